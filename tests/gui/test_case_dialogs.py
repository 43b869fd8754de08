"""The dialogs that open a case (申请无障碍改造, 康复转介) and the items editor of 评估, and the
ways into them from the person's file."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from liaison.core.enums import (
    CaseType,
    DeviceStep,
    ModificationStage,
    NeedKind,
    NeedStatus,
    ReferralState,
)
from liaison.core.models import HomeModificationCase, Need, RehabReferral
from liaison.core.services import modifications
from liaison.core.services.visits import NeedInput
from liaison.gui import windows
from liaison.gui.case_dialogs import NewModificationDialog, NewReferralDialog
from liaison.gui.case_window import CaseWindow
from liaison.gui.dialogs import UnsavedChoice
from liaison.gui.person_file import PersonFileDialog
from tests.core.services.case_helpers import START, case_at, person_with_need
from tests.core.services.helpers import add_person, add_visit
from tests.gui.case_support import (
    K,
    add_institution,
    click,
    fill,
    open_window,
    pick,
    save,
    start_step,
    texts,
)
from tests.gui.conftest import TODAY

S = ModificationStage


def open_file(qtbot, ctx, person_id) -> PersonFileDialog:  # type: ignore[no-untyped-def]
    dialog = windows.open_person_file(ctx, None, person_id)  # freed when closed
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def case_windows() -> list[CaseWindow]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, CaseWindow) and w.isVisible()]


def child_dialog(parent, cls):  # type: ignore[no-untyped-def]
    found = [d for d in parent.findChildren(cls) if d.isVisible()]
    assert len(found) == 1, found
    return found[0]


def close_all(ctx) -> None:  # type: ignore[no-untyped-def]
    for window in list(ctx.workspace.cache.get("held_windows", ())):
        if window.isVisible():
            if hasattr(window, "mark_clean"):
                window.mark_clean()
            window.close()


# --- 申请无障碍改造 -------------------------------------------------------------------------


def test_the_need_button_opens_the_application_and_saving_opens_the_case(qtbot, ctx, area_tree, recorder):
    pid, need_id = person_with_need(ctx.workspace, ctx.actor, area_tree.village, name="孙淑珍")
    person = open_file(qtbot, ctx, pid)
    person.select_section("needs")
    person.select_need(need_id)
    assert person.need_apply_button.isVisibleTo(person) and person.need_apply_button.isEnabled()
    assert not person.need_refer_button.isVisibleTo(person)
    assert not person.need_case_button.isVisibleTo(person)

    click(qtbot, person.need_apply_button)
    dialog = child_dialog(person, NewModificationDialog)
    assert dialog.windowTitle() == "申请无障碍改造 — 孙淑珍"
    assert dialog.intro.text().startswith("申请人：孙淑珍（")
    assert dialog.field("need").value() == need_id
    assert dialog.field("applied_on").text() == TODAY.isoformat()
    fill(dialog.field("reason"), "卫生间需加扶手")
    with qtbot.waitSignal(ctx.events.changed):
        save(qtbot, dialog)

    assert recorder.errors == []
    with ctx.workspace.uow() as uow:
        case = uow.session.scalars(select(HomeModificationCase)).one()
        assert (case.person_id, case.need_id, case.stage, case.applied_on) == (pid, need_id, S.APPLIED, TODAY)
        assert uow.session.get(Need, need_id).status is NeedStatus.REFERRED
    opened = case_windows()
    assert len(opened) == 1 and opened[0].case_id == case.id
    assert opened[0].stage_label.text() == "当前：申请"
    # the file follows: the need now has a case to look at, and no second application
    assert not person.need_apply_button.isEnabled()
    assert person.need_case_button.isVisibleTo(person)
    assert person.cases_model.rowCount() == 1
    click(qtbot, person.need_case_button)
    assert case_windows() == opened  # the same window, brought to the front
    close_all(ctx)


def test_a_direct_application_raises_a_need(qtbot, ctx, area_tree, recorder):
    pid = add_person(ctx.workspace, ctx.actor, area_tree.village, today=TODAY).person_id
    person = open_file(qtbot, ctx, pid)
    person.select_section("cases")
    click(qtbot, person.apply_case_button)
    dialog = child_dialog(person, NewModificationDialog)
    assert dialog.field("need").currentText() == "（直接申请：同时登记一项无障碍改造需求）"
    fill(dialog.field("applied_on"), "2026-11-20")
    save(qtbot, dialog)
    with ctx.workspace.uow() as uow:
        need = uow.session.scalars(select(Need)).one()
        case = uow.session.scalars(select(HomeModificationCase)).one()
        assert (need.kind, need.status, case.need_id, case.applied_on) == (
            NeedKind.HOME_MODIFICATION, NeedStatus.REFERRED, need.id, date(2026, 11, 20))
    assert person.needs_model.rowCount() == 1
    close_all(ctx)


def test_an_application_shows_the_services_errors_by_their_fields(qtbot, ctx, area_tree, recorder):
    pid, need_id = person_with_need(ctx.workspace, ctx.actor, area_tree.village)
    dialog = NewModificationDialog(ctx, pid, need_id)
    qtbot.addWidget(dialog)
    dialog.show()
    fill(dialog.field("applied_on"), "2026-12-01")
    save(qtbot, dialog)
    assert dialog.error_text("applied_on") == "⚠ 不能晚于今天"
    fill(dialog.field("applied_on"), "2024-11-01")
    save(qtbot, dialog)
    assert dialog.error_text("applied_on") == f"⚠ 不能早于需求提出日期（{START.isoformat()}）"
    fill(dialog.field("applied_on"), "2026-11-31")
    save(qtbot, dialog)
    assert dialog.error_text("applied_on") == "⚠ 2026-11-31 不是有效日期"
    with ctx.workspace.uow() as uow:
        assert uow.session.scalars(select(HomeModificationCase)).all() == []


def test_a_second_application_while_one_is_open_is_not_offered(qtbot, ctx, area_tree, recorder):
    case_id, _need = case_at(ctx.workspace, ctx.actor, area_tree.village, S.CONSTRUCTION)
    with ctx.workspace.uow() as uow:
        pid = uow.session.get(HomeModificationCase, case_id).person_id
    dialog = NewModificationDialog(ctx, pid, None)
    qtbot.addWidget(dialog)
    assert not dialog.save_button.isEnabled()
    assert "已有进行中的改造案件（施工）" in dialog.form_error.text()


def test_closing_an_application_with_typed_input_asks_first(qtbot, ctx, area_tree, recorder):
    pid, _need = person_with_need(ctx.workspace, ctx.actor, area_tree.village)
    dialog = NewModificationDialog(ctx, pid, None)
    qtbot.addWidget(dialog)
    dialog.show()
    fill(dialog.field("reason"), "门槛太高")
    recorder.unsaved_answers.append(UnsavedChoice.CANCEL)
    qtbot.keyClick(dialog.field("reason"), Qt.Key.Key_Escape)
    assert dialog.isVisible() and recorder.asked == ["申请无障碍改造 — 王秀兰"]
    recorder.unsaved_answers.append(UnsavedChoice.DISCARD)
    dialog.close()
    assert not dialog.isVisible()
    with ctx.workspace.uow() as uow:
        assert uow.session.scalars(select(HomeModificationCase)).all() == []


# --- 康复转介 ---------------------------------------------------------------------------------


def test_a_device_need_is_referred_for_fitting_and_the_referral_opens(qtbot, ctx, area_tree, recorder):
    centre = add_institution(ctx, "昌邑区辅具中心", [K.DEVICE_FITTING])
    add_institution(ctx, "康复医院", [K.REHAB_TRAINING])
    pid, need_id = person_with_need(ctx.workspace, ctx.actor, area_tree.village, NeedKind.ASSISTIVE_DEVICE)
    person = open_file(qtbot, ctx, pid)
    person.select_section("needs")
    person.select_need(need_id)
    assert person.need_refer_button.isVisibleTo(person) and not person.need_apply_button.isVisibleTo(person)
    click(qtbot, person.need_refer_button)
    dialog = child_dialog(person, NewReferralDialog)
    assert dialog.field("need").value() == need_id
    assert dialog.field("service_kind").value() == K.DEVICE_FITTING.value
    picker = dialog.field("institution_id")
    assert [picker.itemText(i) for i in range(picker.count())] == ["（暂不选定，机构受理时再选）", "昌邑区辅具中心"]
    pick(qtbot, dialog.field("service_kind"), K.REHAB_TRAINING.value)  # the list follows the service
    assert [picker.itemText(i) for i in range(picker.count())] == ["（暂不选定，机构受理时再选）", "康复医院"]
    pick(qtbot, dialog.field("service_kind"), K.DEVICE_FITTING.value)
    pick(qtbot, picker, centre)
    fill(dialog.field("reason"), "需要轮椅")
    save(qtbot, dialog)

    assert recorder.errors == [] and recorder.infos == []
    with ctx.workspace.uow() as uow:
        row = uow.session.scalars(select(RehabReferral)).one()
        assert (row.need_id, row.service_kind, row.institution_id, row.state, row.device_step) == (
            need_id, K.DEVICE_FITTING, centre, ReferralState.REFERRED, DeviceStep.APPLIED)
    window = case_windows()[0]
    assert window.case_id == row.id
    assert window.action_texts()[0] == "村初审通过"
    assert texts(window.timeline_model, 3) == ["需要轮椅"]
    assert person.referrals_model.rowCount() == 1
    assert texts(person.referrals_model, 1) == ["转介（申请）"]
    assert not person.need_refer_button.isEnabled() and person.need_case_button.isVisibleTo(person)
    close_all(ctx)


def test_a_childs_referral_over_the_rescue_cap_is_refused_under_the_cost(qtbot, ctx, area_tree, recorder):
    pid, need_id = person_with_need(ctx.workspace, ctx.actor, area_tree.village, NeedKind.REHABILITATION,
                                    name="李小宝", birth=date(2022, 3, 1), certified=False,
                                    diagnosis="孤独症", diagnosed_on=date(2024, 1, 1))
    dialog = NewReferralDialog(ctx, pid, need_id)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.field("service_kind").value() == K.REHAB_TRAINING.value
    fill(dialog.field("cost_fen"), "25000")
    save(qtbot, dialog)
    assert dialog.error_text("cost_fen").startswith("⚠ 康复训练年度救助上限 24,000.00 元")
    assert "超出 1,000.00 元" in dialog.error_text("cost_fen")
    with ctx.workspace.uow() as uow:
        assert uow.session.scalars(select(RehabReferral)).all() == []
    fill(dialog.field("cost_fen"), "abc")
    save(qtbot, dialog)
    assert dialog.error_text("cost_fen") == "⚠ 金额格式不对：abc"
    fill(dialog.field("cost_fen"), "24000")
    with qtbot.waitSignal(dialog.saved):
        save(qtbot, dialog)
    assert len(recorder.infos) == 1 and "剩余 0.00 元" in recorder.infos[0]


def test_a_person_without_a_referrable_need_is_told_what_to_do(qtbot, ctx, area_tree, recorder):
    pid = add_person(ctx.workspace, ctx.actor, area_tree.village, today=TODAY).person_id
    add_visit(ctx.workspace, ctx.actor, pid, date(2025, 3, 1), needs=[NeedInput(NeedKind.EMPLOYMENT)])
    dialog = NewReferralDialog(ctx, pid)
    qtbot.addWidget(dialog)
    assert not dialog.save_button.isEnabled()
    assert "没有待转介的康复或辅助器具需求" in dialog.error_text("need")


def test_a_need_with_a_referral_under_way_is_not_offered_again(qtbot, ctx, area_tree):
    pid, first = person_with_need(ctx.workspace, ctx.actor, area_tree.village, NeedKind.REHABILITATION)
    second = add_visit(ctx.workspace, ctx.actor, pid, date(2025, 3, 1),
                       needs=[NeedInput(NeedKind.ASSISTIVE_DEVICE, "助听器")]).need_ids[0]
    dialog = NewReferralDialog(ctx, pid)
    qtbot.addWidget(dialog)
    dialog.field("need").set_value(second)
    save(qtbot, dialog)
    again = NewReferralDialog(ctx, pid)
    qtbot.addWidget(again)
    need = again.field("need")
    assert [need.value_at(i) for i in range(need.count())] == [first]


# --- the items editor ---------------------------------------------------------------------


def test_item_rows_in_error_are_named_by_their_row(qtbot, ctx, area_tree, recorder):
    case_id, _need = case_at(ctx.workspace, ctx.actor, area_tree.village, S.APPLIED)
    window = open_window(qtbot, ctx, CaseType.MODIFICATION, case_id)
    dialog = start_step(qtbot, window, "assessed")
    editor = dialog.items_editor
    click(qtbot, editor.add_button)
    pick(qtbot, editor.lines[1].item, "threshold")
    fill(editor.lines[1].quantity, "0")
    click(qtbot, editor.add_button)
    pick(qtbot, editor.lines[2].item, "other")
    fill(editor.lines[2].quantity, "1")
    fill(editor.lines[2].unit_cost, "100")
    save(qtbot, dialog)
    assert dialog.item_error(1) == "⚠ 请选择项目；请填写数量；请填写单价"
    assert dialog.item_error(2) == "⚠ 数量应在 1 到 999 之间"
    assert dialog.item_error(3) == "⚠ 请写明项目名称"
    assert QApplication.focusWidget() is editor.lines[0].item
    assert window.view.position == S.APPLIED.value

    click(qtbot, editor.lines[0].remove)
    assert len(editor.lines) == 2 and QApplication.focusWidget() is editor.lines[0].item
    assert editor.lines[0].item.accessibleName() == "第 1 项的项目"
    for line in list(editor.lines):
        click(qtbot, line.remove)
    assert editor.empty.isVisible() and QApplication.focusWidget() is editor.add_button
    save(qtbot, dialog)
    assert editor.error.text() == "⚠ 请至少添加一个改造项目"
    assert recorder.errors == []


def test_an_item_price_typed_by_hand_is_kept_when_the_item_changes(qtbot, ctx, area_tree):
    case_id, _need = case_at(ctx.workspace, ctx.actor, area_tree.village, S.APPLIED)
    window = open_window(qtbot, ctx, CaseType.MODIFICATION, case_id)
    line = start_step(qtbot, window, "assessed").items_editor.lines[0]
    pick(qtbot, line.item, "ramp")
    assert line.unit_cost.text() == "400.00"
    pick(qtbot, line.item, "grab_bar")  # the catalogue price follows the item
    assert (line.unit_cost.text(), line.unit.text()) == ("250.00", "套")
    fill(line.unit_cost, "300")
    pick(qtbot, line.item, "bath_chair")  # a price typed by hand stays
    assert (line.unit_cost.text(), line.unit.text()) == ("300", "个")
    pick(qtbot, line.item, "other")
    assert line.unit.text() == "" and line.unit_cost.text() == "300"
    window.step_dialog.mark_clean()


def test_a_reassessment_starts_from_the_items_on_file(qtbot, ctx, area_tree, recorder):
    case_id, _need = case_at(ctx.workspace, ctx.actor, area_tree.village, S.ASSESSED)
    with ctx.workspace.uow() as uow:
        modifications.move_modification(uow, ctx.actor, case_id, modifications.ModificationStep(
            S.APPLIED, TODAY, reason="需重新勘测"), rules=ctx.rules, today=TODAY)
        uow.commit()
    window = open_window(qtbot, ctx, CaseType.MODIFICATION, case_id)
    assert texts(window.items_model, 0) == ["坡道", "扶手"]
    dialog = start_step(qtbot, window, "assessed")
    editor = dialog.items_editor
    assert [line.item.currentText() for line in editor.lines] == ["坡道", "扶手"]
    assert [line.quantity.text() for line in editor.lines] == ["3", "2"]
    assert editor.total.text() == "预算合计：1,700.00 元"
    assert not dialog.has_unsaved_input()
    fill(editor.lines[0].quantity, "4")
    save(qtbot, dialog)
    with ctx.workspace.uow() as uow:
        assert uow.session.get(HomeModificationCase, case_id).estimate_fen == 210_000


# --- the person file's cases section -----------------------------------------------------------


def test_the_cases_section_opens_a_case_with_enter(qtbot, ctx, area_tree):
    case_id, _need = case_at(ctx.workspace, ctx.actor, area_tree.village, S.CONSTRUCTION)
    with ctx.workspace.uow() as uow:
        pid = uow.session.get(HomeModificationCase, case_id).person_id
    person = open_file(qtbot, ctx, pid)
    person.select_section("cases")
    texts_on_page = [w.text() for w in person.tabs.currentWidget().findChildren(type(person.heading))]
    assert any("按 Enter 或双击" in t for t in texts_on_page)
    assert texts(person.cases_model, 1) == ["施工"]
    table = person.cases_table
    table.setFocus()
    table.selectRow(0)
    qtbot.keyClick(table, Qt.Key.Key_Return)
    opened = case_windows()
    assert [w.case_id for w in opened] == [case_id]
    # a step taken in the case window shows in the file at once
    dialog = start_step(qtbot, opened[0], "accepted")
    fill(dialog.field("actual_cost_fen"), "1600")
    fill(dialog.field("acceptance_result"), "合格")
    fill(dialog.field("accepted_by"), "张主任")
    save(qtbot, dialog)
    assert texts(person.cases_model, 1) == ["验收"]
    close_all(ctx)


def test_the_need_buttons_follow_the_kind_of_need(qtbot, ctx, area_tree):
    pid = add_person(ctx.workspace, ctx.actor, area_tree.village, today=TODAY).person_id
    ids = add_visit(ctx.workspace, ctx.actor, pid, START, needs=[
        NeedInput(NeedKind.REHABILITATION), NeedInput(NeedKind.CARE)]).need_ids
    person = open_file(qtbot, ctx, pid)
    person.select_section("needs")
    person.select_need(ids[0])
    buttons = (person.need_apply_button, person.need_refer_button, person.need_case_button)
    assert [b.isVisibleTo(person) for b in buttons] == [False, True, False]
    person.select_need(ids[1])
    assert [b.isVisibleTo(person) for b in buttons] == [False, False, False]
    person.close()
