"""无障碍改造 and 康复转介 pages: counts per stage that filter, the overdue mark, year and area
filters, sorting, opening a case, the yearly target, the priority list, 定点机构."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton, QToolButton

from liaison.core.enums import (
    CaseType,
    ModificationStage,
    NeedKind,
    ReferralServiceKind,
    UserRole,
)
from liaison.core.models import Institution
from liaison.core.services import modifications, referrals
from liaison.core.services.context import Actor
from liaison.gui import windows
from liaison.gui.context import GuiContext
from liaison.gui.dialogs import UnsavedChoice
from liaison.gui.institutions import InstitutionsDialog
from liaison.gui.pages.cases import (
    COL_AMOUNT,
    COL_DAYS,
    COL_DETAIL,
    COL_NAME,
    COL_STAGE,
    OVERDUE_COLOUR,
    ModificationPage,
    ReferralPage,
)
from tests.core.services.case_helpers import FORWARD, person_with_need, step_for
from tests.gui.conftest import TODAY, type_text

_S = ModificationStage
# needs are raised in visits that the service helpers check against their own "today" (2025)
RAISED = date(2025, 6, 1)


# --- building cases ------------------------------------------------------------------------


def modification(ctx, area, stage, applied, *, name, **person):
    """A case applied on `applied` and walked forward to `stage`, one step every ten days."""
    pid, need = person_with_need(ctx.workspace, ctx.actor, area, raised=RAISED, name=name, **person)
    on = applied
    with ctx.workspace.uow() as uow:
        case_id = modifications.open_modification(
            uow, ctx.actor, modifications.ModificationApplication(pid, applied, need), today=TODAY).case_id
        for target in FORWARD[: FORWARD.index(stage) + 1] if stage is not _S.APPLIED else []:
            on += timedelta(days=10)
            modifications.move_modification(uow, ctx.actor, case_id, step_for(target, on),
                                             rules=ctx.rules, today=TODAY)
        uow.commit()
    return case_id, pid


def referral(ctx, area, path, referred, *, name, kind=ReferralServiceKind.REHAB_TRAINING,
             need_kind=NeedKind.REHABILITATION, institution_id=None, cost_fen=None):
    """A referral made on `referred` and moved along `path`, ten days a step."""
    _pid, need = person_with_need(ctx.workspace, ctx.actor, area, need_kind, raised=RAISED, name=name)
    on = referred
    with ctx.workspace.uow() as uow:
        rid = referrals.refer(uow, ctx.actor, referrals.ReferralInput(
            need, kind, referred, institution_id=institution_id, cost_fen=cost_fen),
            rules=ctx.rules, today=TODAY).case_id
        for target in path:
            on += timedelta(days=10)
            referrals.move_referral(uow, ctx.actor, rid, referrals.ReferralStep(
                target, on, institution_id=institution_id), rules=ctx.rules, today=TODAY)
        uow.commit()
    return rid


@pytest.fixture
def cases(ctx, area_tree):
    """Four cases in 2026 (one overdue, one in 前进村, one closed) and an overdue one of 2025."""
    ids = {}
    ids["申请新"], _ = modification(ctx, area_tree.village, _S.APPLIED, TODAY - timedelta(days=5), name="申请新")
    ids["申请久"], ids["申请久_person"] = modification(
        ctx, area_tree.village, _S.APPLIED, date(2026, 9, 1), name="申请久")
    ids["评估中"], _ = modification(ctx, area_tree.other_village, _S.ASSESSED, date(2026, 10, 20), name="评估中")
    ids["已结案"], _ = modification(ctx, area_tree.village, _S.CLOSED, date(2026, 3, 1), name="已结案")
    ids["去年"], _ = modification(ctx, area_tree.village, _S.APPLIED, date(2025, 6, 10), name="去年")
    return ids


@pytest.fixture
def officer(workspace, area_tree):
    return Actor(username="lj", display_name="两家子村专职委员", role=UserRole.VILLAGE_OFFICER,
                 device_id=workspace.device_id, scope_area_ids=frozenset({area_tree.village}))


def make_modification_page(qtbot, ctx) -> ModificationPage:
    page = ModificationPage(ctx)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.result is not None and page.progress is not None, timeout=5000)
    return page


def make_referral_page(qtbot, ctx) -> ReferralPage:
    page = ReferralPage(ctx)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.result is not None, timeout=5000)
    return page


def names(page) -> list[str]:
    return [row[COL_NAME] for row in page.visible_rows()]


def chip(page, text: str) -> QToolButton:
    [button] = [b for b in (page.chips.all_button, *page.chips.buttons.values(), page.chips.overdue_button)
                if b.text().split(" ")[0] == text]
    return button


def show_active(qtbot, widget) -> None:
    widget.show()
    widget.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget)


# --- the modification list -------------------------------------------------------------------


def test_counts_per_stage_and_the_overdue_case_first(qtbot, ctx, cases):
    page = make_modification_page(qtbot, ctx)
    assert page.year.value() == 2026
    texts = page.chips.chip_texts()
    assert texts[0] == "全部 4"
    assert {"申请 2", "评估 1", "方案确认 0", "施工 0", "结案 1", "超期 1"} <= set(texts)
    # the ways of ending early show only when there are such cases (or one is chosen)
    assert not [t for t in texts if t.startswith(("不符合条件", "终止"))]
    assert page.count_label.text() == "共 4 件，其中超期 1 件"
    rows = page.visible_rows()
    assert rows[0][COL_NAME] == "申请久"  # the overdue case comes first
    assert rows[0][COL_DAYS] == "85 天 · 超期"
    assert rows[0][COL_STAGE] == "申请"
    assert page.model.index(0, COL_DAYS).data(Qt.ItemDataRole.ForegroundRole) == OVERDUE_COLOUR
    fresh = names(page).index("申请新")
    assert rows[fresh][COL_DAYS] == "5 天"
    assert page.model.index(fresh, COL_DAYS).data(Qt.ItemDataRole.ForegroundRole) is None
    closed = rows[names(page).index("已结案")]
    assert (closed[COL_STAGE], closed[COL_AMOUNT], closed[COL_DETAIL]) == (
        "结案", "1,650.00", "吉林市安居建筑工程有限公司")
    assessed = rows[names(page).index("评估中")]
    assert assessed[COL_AMOUNT] == "1,700.00"  # the estimate of the surveyed items


def test_pressing_a_stage_count_filters_the_list_and_moves_to_it(qtbot, ctx, cases):
    page = make_modification_page(qtbot, ctx)
    show_active(qtbot, page)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        qtbot.mouseClick(chip(page, "申请"), Qt.MouseButton.LeftButton)
    assert sorted(names(page)) == ["申请久", "申请新"]
    assert page.stage.value() == "applied"
    assert chip(page, "申请").isChecked() and not chip(page, "全部").isChecked()
    assert chip(page, "评估").text() == "评估 1"  # the counts stay those of every stage
    assert page.count_label.text() == "显示 2 件（共 4 件，其中超期 1 件）"
    assert QApplication.focusWidget() is page.table
    with qtbot.waitSignal(page.loaded, timeout=5000):
        qtbot.mouseClick(chip(page, "全部"), Qt.MouseButton.LeftButton)
    assert len(names(page)) == 4 and page.stage.value() is None
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.stage.set_value("terminated")
    assert names(page) == [] and "终止 0" in page.chips.chip_texts()
    assert chip(page, "终止").isChecked()
    assert page.count_label.text() == "显示 0 件（共 4 件，其中超期 1 件）"


def test_arrows_choose_in_the_filters_and_enter_goes_to_the_list(qtbot, ctx, cases):
    page = make_modification_page(qtbot, ctx)
    show_active(qtbot, page)
    page.year.setFocus()
    with qtbot.waitSignal(page.loaded, timeout=5000):
        qtbot.keyClick(page.year, Qt.Key.Key_Down)
    assert page.year.value() == 2025 and names(page) == ["去年"]
    assert QApplication.focusWidget() is page.year  # still choosing
    qtbot.keyClick(page.year, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is page.table
    assert page.selected_row().person_name == "去年"


def test_overdue_count_and_check_box(qtbot, ctx, cases):
    page = make_modification_page(qtbot, ctx)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        chip(page, "超期").click()
    assert names(page) == ["申请久"]
    assert page.overdue.isChecked()
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.overdue.setChecked(False)
    assert len(names(page)) == 4
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.overdue.setChecked(True)
    assert names(page) == ["申请久"]


def test_year_and_area_filters(qtbot, ctx, cases, area_tree):
    page = make_modification_page(qtbot, ctx)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.year.set_value(None)  # 全部年度
    assert page.year.currentText() == "全部年度"
    assert len(names(page)) == 5
    assert chip(page, "超期").text() == "超期 2"
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.year.set_value(2025)
    assert names(page) == ["去年"]
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.year.set_value(2026)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.area.set_value(area_tree.other_village)
    assert names(page) == ["评估中"]
    assert chip(page, "全部").text() == "全部 1"
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.area.set_value(area_tree.township)  # a township stands for all its villages
    assert len(names(page)) == 4


def test_sorting_by_column(qtbot, ctx, cases):
    page = make_modification_page(qtbot, ctx)
    page.table.sortByColumn(COL_DAYS, Qt.SortOrder.AscendingOrder)
    days = [int(row[COL_DAYS].split(" ")[0]) for row in page.visible_rows()]
    assert days == sorted(days) and days[0] == 5
    page.table.sortByColumn(COL_AMOUNT, Qt.SortOrder.DescendingOrder)
    assert names(page)[:2] == ["评估中", "已结案"]  # 1,700.00 and 1,650.00; no amount yet last
    page.table.sortByColumn(COL_STAGE, Qt.SortOrder.DescendingOrder)
    assert names(page)[0] == "已结案"
    # a reload keeps the chosen order
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.refresh_button.click()
    assert names(page)[0] == "已结案"
    # names sort by their pinyin (ping, shen qing jiu, shen qing xin, yi), not by code point
    page.table.sortByColumn(COL_NAME, Qt.SortOrder.AscendingOrder)
    assert names(page) == ["评估中", "申请久", "申请新", "已结案"]


def test_enter_opens_the_case_and_the_file_button_the_person(qtbot, ctx, cases, monkeypatch):
    opened = []
    monkeypatch.setattr(windows, "open_case", lambda c, p, kind, cid: opened.append((c, p, kind, cid)),
                        raising=False)
    monkeypatch.setattr(windows, "open_person_file",
                        lambda c, p, pid, **kw: opened.append(("file", pid, kw)))
    page = make_modification_page(qtbot, ctx)
    row = names(page).index("评估中")
    page.table.setCurrentIndex(page.model.index(row, 0))
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert opened == [(ctx, page, CaseType.MODIFICATION, cases["评估中"])]
    page.table.setCurrentIndex(page.model.index(names(page).index("申请久"), 0))
    page.file_button.click()
    assert opened[-1] == ("file", cases["申请久_person"], {"section": "cases"})
    show_active(qtbot, page)
    row = names(page).index("已结案")
    cell = page.table.visualRect(page.model.index(row, COL_NAME)).center()
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=cell)  # as a mouse does
    qtbot.mouseDClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    assert opened[-1] == (ctx, page, CaseType.MODIFICATION, cases["已结案"])


def test_a_changed_case_reloads_the_list(qtbot, ctx, cases, area_tree):
    page = make_modification_page(qtbot, ctx)
    modification(ctx, area_tree.village, _S.APPLIED, TODAY - timedelta(days=1), name="刚申请")
    with qtbot.waitSignal(page.loaded, timeout=5000):
        ctx.events.changed.emit("case")
    assert "刚申请" in names(page)
    assert chip(page, "申请").text() == "申请 3"


# --- the yearly target -----------------------------------------------------------------------


def test_target_line_without_and_with_a_target(qtbot, ctx, cases, area_tree):
    page = make_modification_page(qtbot, ctx)
    assert page.target_label.text() == "2026 年度：未设定年度目标，已结案 1 户，办理中 3 户"
    with ctx.workspace.uow() as uow:
        modifications.set_target(uow, ctx.actor, area_tree.township, 2026, 70)
        uow.commit()
    with qtbot.waitSignal(page.side_loaded, timeout=5000):
        ctx.events.changed.emit("target")
    assert page.target_label.text() == "2026 年度目标 70 户，已结案 1 户（1%），办理中 3 户"
    with qtbot.waitSignal(page.side_loaded, timeout=5000):
        page.area.set_value(area_tree.other_village)  # no target of its own, none below it
    assert page.target_label.text() == "2026 年度：未设定年度目标，已结案 0 户，办理中 1 户"


def test_setting_the_target_updates_the_line(qtbot, ctx, cases, area_tree):
    page = make_modification_page(qtbot, ctx)
    assert page.target_button is not None and page.target_button.isEnabled()
    page.target_button.click()
    dialog = page.target_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.year.value() == 2026
    dialog.area.set_value(area_tree.township)
    type_text(dialog.households, "7x")
    dialog.ok_button.click()
    assert dialog.isVisible()  # refused: the error is under the field
    assert dialog.grid.errors["target"].text() == "⚠ 应为整数"
    dialog.households.clear()
    type_text(dialog.households, "70")
    with qtbot.waitSignal(page.side_loaded, timeout=5000):
        dialog.ok_button.click()
    assert page.target_label.text().startswith("2026 年度目标 70 户，已结案 1 户（1%）")
    qtbot.waitUntil(lambda: page.target_dialog is None or not page.target_dialog.isVisible())


def test_a_village_officer_has_no_target_button_and_sees_only_the_village(
        qtbot, workspace, officer, gui_settings, qapp, ctx, cases):
    officer_ctx = GuiContext(workspace, officer, gui_settings, clock=lambda: TODAY)
    page = make_modification_page(qtbot, officer_ctx)
    assert page.target_button is None
    assert not [b for b in page.findChildren(QPushButton) if "目标" in b.text()]
    assert "评估中" not in names(page)  # 前进村 is not the officer's
    assert sorted(names(page)) == ["已结案", "申请久", "申请新"]


# --- the priority list -----------------------------------------------------------------------


def test_priority_list_order_and_applying(qtbot, ctx, area_tree, monkeypatch):
    ws, actor, village = ctx.workspace, ctx.actor, area_tree.village
    people = {}
    for name, area, extra in [
        ("困难户", area_tree.group, {"grade": 4, "dibao": True, "birth": date(1980, 1, 1)}),  # 10
        ("重度户", village, {"grade": 2, "birth": date(1980, 1, 1)}),  # 40
        ("老重度", village, {"grade": 1, "birth": date(1950, 1, 1)}),  # 40 + 20 (老残一体)
        ("不符合", village, {"grade": 4, "birth": date(1980, 1, 1)}),  # neither severe nor poor
    ]:
        people[name] = person_with_need(ws, actor, area, raised=RAISED, name=name, **extra)
    applied = []
    monkeypatch.setattr(windows, "open_new_modification",
                        lambda c, p, pid, need: applied.append((pid, need)), raising=False)
    page = make_modification_page(qtbot, ctx)
    rows = page.priority.visible_rows()
    assert [r[:4] for r in rows] == [("1", "老重度", "桦皮厂镇 两家子村", "60"),
                                     ("2", "重度户", "桦皮厂镇 两家子村", "40"),
                                     ("3", "困难户", "桦皮厂镇 两家子村 一组", "10")]
    assert rows[0][4] == "重度残疾、老残一体"
    assert rows[0][5] == RAISED.isoformat()
    assert page.tabs.tabText(1) == "优先名单（3 户）(&Q)"
    page.tabs.setCurrentIndex(1)
    page.priority.table.setCurrentIndex(page.priority.model.index(1, 0))
    qtbot.keyClick(page.priority.table, Qt.Key.Key_Return)
    assert applied == [people["重度户"]]
    page.priority.apply_button.click()
    assert applied[-1] == people["重度户"]
    # a need raised in a visit joins the list (the visit form announces "visit")
    person_with_need(ws, actor, village, raised=date(2025, 5, 1), name="新提出", grade=1,
                     birth=date(1940, 1, 1))  # 60, like 老重度, but asked earlier
    with qtbot.waitSignal(page.side_loaded, timeout=5000):
        ctx.events.changed.emit("visit")
    assert [r[1] for r in page.priority.visible_rows()] == ["新提出", "老重度", "重度户", "困难户"]
    assert page.priority.selected().name == "重度户"  # the keyboard stays where it was


# --- referrals -----------------------------------------------------------------------------------


@pytest.fixture
def centre(ctx):
    with ctx.workspace.uow() as uow:
        institution = referrals.save_institution(uow, ctx.actor, referrals.InstitutionInput(
            "吉林市康复中心", [ReferralServiceKind.REHAB_TRAINING, ReferralServiceKind.DEVICE_FITTING],
            code="JG001"))
        uow.commit()
        return institution.id


@pytest.fixture
def referred(ctx, area_tree, centre):
    return {
        "转介新": referral(ctx, area_tree.village, [], TODAY - timedelta(days=3), name="转介新"),
        "受理中": referral(ctx, area_tree.village, ["accepted"], date(2026, 10, 1), name="受理中",
                          institution_id=centre, cost_fen=300_000),
        "辅具": referral(ctx, area_tree.other_village, ["village_reviewed"], date(2026, 11, 1), name="辅具",
                        kind=ReferralServiceKind.DEVICE_FITTING, need_kind=NeedKind.ASSISTIVE_DEVICE),
    }


def test_referral_list_counts_steps_and_service_kind(qtbot, ctx, referred):
    page = make_referral_page(qtbot, ctx)
    texts = page.chips.chip_texts()
    assert {"全部 3", "转介 2", "受理 1", "服务中 0", "超期 1"} <= set(texts)
    rows = {row[COL_NAME]: row for row in page.visible_rows()}
    assert rows["受理中"][COL_DAYS] == "45 天 · 超期"
    assert (rows["受理中"][COL_AMOUNT], rows["受理中"][COL_DETAIL]) == ("3,000.00", "康复训练 · 吉林市康复中心")
    assert rows["辅具"][COL_STAGE] == "初审（村）"  # the 辅具适配 step, not only 转介
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.service_kind.set_value(ReferralServiceKind.DEVICE_FITTING)
    assert names(page) == ["辅具"]
    assert chip(page, "全部").text() == "全部 1"


def test_enter_opens_the_referral(qtbot, ctx, referred, monkeypatch):
    opened = []
    monkeypatch.setattr(windows, "open_case", lambda c, p, kind, cid: opened.append((kind, cid)),
                        raising=False)
    page = make_referral_page(qtbot, ctx)
    page.table.setCurrentIndex(page.model.index(names(page).index("辅具"), 0))
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert opened == [(CaseType.REFERRAL, referred["辅具"])]


def make_institutions(qtbot, page) -> InstitutionsDialog:
    dialog = page.show_institutions()
    qtbot.waitUntil(lambda: not dialog.loading, timeout=5000)
    return dialog


def test_institution_dialog_adds_one_and_shows_field_errors(qtbot, ctx, centre, recorder):
    page = make_referral_page(qtbot, ctx)
    dialog = make_institutions(qtbot, page)
    assert [r.name for r in dialog.model.rows] == ["吉林市康复中心"]
    assert dialog.model.cell(dialog.model.rows[0], 2) == "康复训练、辅具适配"
    assert dialog.editing_id is None and dialog.name.text() == ""  # a new one, nothing typed
    assert not dialog.save()
    assert dialog.form.errors["name"].text() == "⚠ 必须填写"
    assert dialog.form.errors["service_kinds"].text() == "⚠ 请至少选择一项"
    type_text(dialog.name, "昌邑区残疾人康复站")
    type_text(dialog.code, "JG002")
    dialog.kinds.boxes[ReferralServiceKind.HOME_REHAB].setChecked(True)
    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        assert dialog.save()
    assert dialog.form.errors["name"].isHidden()
    assert sorted(r.name for r in dialog.model.rows) == ["吉林市康复中心", "昌邑区残疾人康复站"]
    with ctx.workspace.uow() as uow:
        saved = uow.session.get(Institution, dialog.editing_id)
        assert (saved.name, saved.code, saved.service_kinds, saved.active) == (
            "昌邑区残疾人康复站", "JG002", "home_rehab", True)
    # the same code again is refused under the code field
    dialog.new_button.click()
    type_text(dialog.name, "另一家")
    type_text(dialog.code, "JG002")
    dialog.kinds.boxes[ReferralServiceKind.SURGERY].setChecked(True)
    assert not dialog.save()
    assert "已被其他机构使用" in dialog.form.errors["code"].text()
    recorder.unsaved_answers = [UnsavedChoice.DISCARD]
    dialog.close()
    assert recorder.asked == ["定点机构"] and recorder.unexpected == []


def test_institution_dialog_edits_the_chosen_one(qtbot, ctx, centre, recorder):
    page = make_referral_page(qtbot, ctx)
    dialog = make_institutions(qtbot, page)
    type_text(dialog.name, "半途")
    dialog.table.setCurrentIndex(dialog.model.index(0, 0))
    assert dialog.name.text() == "半途"  # choosing a row alone does not replace the form
    recorder.confirm_answers = [False]
    qtbot.keyClick(dialog.table, Qt.Key.Key_Return)
    assert recorder.asked == ["表单中有未保存的修改，要放弃吗？"]
    assert dialog.editing_id is None and dialog.name.text() == "半途"  # kept
    recorder.confirm_answers = [True]
    qtbot.keyClick(dialog.table, Qt.Key.Key_Return)
    assert dialog.editing_id == centre and dialog.name.text() == "吉林市康复中心"
    assert dialog.form_box.title() == "修改：吉林市康复中心"
    dialog.phone.clear()
    type_text(dialog.phone, "0432-62345678")
    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        assert dialog.save()
    assert dialog.model.rows[0].phone == "0432-62345678"
    assert not dialog.dirty
    dialog.close()
    assert not dialog.isVisible()


def test_closing_the_institutions_with_unsaved_changes_asks(qtbot, ctx, centre, recorder):
    page = make_referral_page(qtbot, ctx)
    dialog = make_institutions(qtbot, page)
    type_text(dialog.name, "新机构")
    recorder.unsaved_answers = [UnsavedChoice.CANCEL]
    dialog.close()
    assert dialog.isVisible() and dialog.name.text() == "新机构"
    recorder.unsaved_answers = [UnsavedChoice.DISCARD]
    dialog.close()
    assert not dialog.isVisible()
    with ctx.workspace.uow() as uow:
        assert uow.session.query(Institution).count() == 1


def test_others_see_the_institutions_read_only(qtbot, workspace, officer, gui_settings, qapp, ctx, centre):
    officer_ctx = GuiContext(workspace, officer, gui_settings, clock=lambda: TODAY)
    page = make_referral_page(qtbot, officer_ctx)
    dialog = make_institutions(qtbot, page)
    assert not dialog.editable
    assert [r.name for r in dialog.model.rows] == ["吉林市康复中心"]
    assert not [b for b in dialog.findChildren(QPushButton) if "保存" in b.text()]
    dialog.close()
