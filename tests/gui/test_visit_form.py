"""The visit form: typed by keyboard, saved all or nothing, errors next to their rows."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from liaison.core.enums import ContactMode, FollowUpStatus, NeedKind, NeedStatus, VisitKind
from liaison.core.models import FollowUp, Need, Visit
from liaison.core.services.visits import FollowUpInput, NeedInput
from liaison.gui.app import apply_font_scale
from liaison.gui.dialogs import UnsavedChoice
from liaison.gui.visit_form import VisitDialog
from tests.core.services.helpers import add_person, add_visit, count_rows
from tests.gui.conftest import TODAY

TABLES = ("visit", "need", "follow_up")


def person(ctx, area_tree, name="王秀兰", **kwargs):
    return add_person(
        ctx.workspace, ctx.actor, area_tree.village, today=TODAY, name=name, **kwargs
    ).person_id


def open_dialog(qtbot, ctx, person_id, **kwargs) -> VisitDialog:
    dialog = VisitDialog(ctx, person_id, **kwargs)
    # a test that fails half-way must not leave a question for the real message box
    qtbot.addWidget(dialog, before_close_func=lambda d: d.mark_clean())
    with qtbot.waitActive(dialog):
        dialog.show()
        dialog.activateWindow()
    return dialog


def stored(ctx, model, **where):
    with ctx.workspace.uow() as uow:
        stmt = select(model).filter_by(**where)
        rows = list(uow.session.scalars(stmt))
        uow.session.expunge_all()
        return rows


def type_text(widget, text):
    """Chinese arrives from the input method as committed text, not as key presses."""
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def make_active(qtbot, dialog):
    """Shortcuts reach only the active window, as a person's keys do: the dialog must be it."""
    if QApplication.activeWindow() is not dialog:
        dialog.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)


def press_save(qtbot, dialog):
    make_active(qtbot, dialog)
    qtbot.keyClick(
        QApplication.focusWidget() or dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier
    )


def error_text(dialog, name):
    label = dialog.grid.errors[name]
    return label.text() if label.isVisible() else ""


# --- the quick form ---------------------------------------------------------------------------


def test_a_visit_typed_by_keyboard_is_stored_for_today(qtbot, ctx, area_tree):
    person_id = person(ctx, area_tree)
    dialog = open_dialog(qtbot, ctx, person_id)
    assert "王秀兰" in dialog.header.name.text()
    assert "两家子村" in dialog.header.details.text()
    assert "肢体残疾三级" in dialog.header.details.text()

    grid = dialog.grid.fields
    assert QApplication.focusWidget() is grid["visit_date"]
    assert grid["visit_date"].text() == "2026-11-25"
    # Tab walks the form in reading order; the lost-contact reason is skipped while disabled
    qtbot.keyClick(grid["visit_date"], Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is grid["kind"]
    qtbot.keyClick(grid["kind"], Qt.Key.Key_Tab)
    qtbot.keyClick(grid["contact_mode"], Qt.Key.Key_Down)  # 入户 → 见面
    qtbot.keyClick(grid["contact_mode"], Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is grid["visitor_name"]
    qtbot.keyClick(grid["visitor_name"], Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is grid["findings"]
    type_text(grid["findings"], "家中整洁，身体尚好")

    with qtbot.waitSignal(dialog.saved) as saved:
        press_save(qtbot, dialog)

    [visit] = stored(ctx, Visit, person_id=person_id)
    assert saved.args == [visit.id]
    assert (visit.visit_date, visit.kind, visit.contact_mode) == (
        TODAY,
        VisitKind.ROUTINE,
        ContactMode.IN_PERSON,
    )
    assert (visit.visitor_name, visit.findings) == ("本机管理员", "家中整洁，身体尚好")
    assert not dialog.isVisible()


def test_lost_contact_without_a_reason_is_refused_next_to_the_field(
    qtbot, ctx, area_tree, recorder
):
    person_id = person(ctx, area_tree)
    dialog = open_dialog(qtbot, ctx, person_id)
    reason = dialog.grid.fields["lost_reason"]
    assert not reason.isEnabled()
    dialog.grid.fields["contact_mode"].set_value(ContactMode.LOST)
    assert reason.isEnabled()

    press_save(qtbot, dialog)

    assert error_text(dialog, "lost_reason") == "⚠ 失访时必须填写原因"
    assert QApplication.focusWidget() is reason
    assert dialog.isVisible()
    assert count_rows(ctx.workspace, "visit") == {"visit": 0}

    type_text(reason, "外出务工")
    with qtbot.waitSignal(dialog.saved):
        press_save(qtbot, dialog)
    [visit] = stored(ctx, Visit, person_id=person_id)
    assert (visit.contact_mode, visit.lost_reason) == (ContactMode.LOST, "外出务工")
    assert recorder.errors == []


def test_income_monitoring_shows_and_requires_the_income(qtbot, ctx, area_tree):
    person_id = person(ctx, area_tree)
    dialog = open_dialog(qtbot, ctx, person_id, kind=VisitKind.INCOME_MONITORING)
    income, size = dialog.grid.fields["household_income_fen"], dialog.grid.fields["household_size"]
    assert income.isVisible() and size.isVisible()

    press_save(qtbot, dialog)
    assert error_text(dialog, "household_income_fen") == "⚠ 收入状况监测必须填写家庭年收入"
    assert QApplication.focusWidget() is income

    income.setText("一万")
    size.setText("40")
    press_save(qtbot, dialog)
    assert error_text(dialog, "household_income_fen")
    assert "1 到 30" in error_text(dialog, "household_size")
    assert count_rows(ctx.workspace, "visit") == {"visit": 0}

    income.setText("18,500")
    size.setText("3")
    with qtbot.waitSignal(dialog.saved):
        press_save(qtbot, dialog)
    [visit] = stored(ctx, Visit, person_id=person_id)
    assert (visit.kind, visit.household_income_fen, visit.household_size) == (
        VisitKind.INCOME_MONITORING,
        1_850_000,
        3,
    )


def test_income_fields_are_hidden_for_other_kinds_and_not_sent(qtbot, ctx, area_tree):
    person_id = person(ctx, area_tree)
    dialog = open_dialog(qtbot, ctx, person_id, kind=VisitKind.INCOME_MONITORING)
    dialog.grid.fields["household_income_fen"].setText("100")
    dialog.grid.fields["kind"].set_value(VisitKind.ROUTINE)
    assert not dialog.grid.fields["household_income_fen"].isVisible()
    assert not dialog.grid.labels["household_income_fen"].isVisible()
    with qtbot.waitSignal(dialog.saved):
        dialog.save_and_close()
    [visit] = stored(ctx, Visit, person_id=person_id)
    assert visit.household_income_fen is None


# --- needs, follow-ups, need updates, completed follow-ups -------------------------------------


@pytest.fixture
def visited(ctx, area_tree):
    """A person with one open need (a wheelchair) and one open follow-up from an earlier visit."""
    person_id = person(ctx, area_tree)
    earlier = add_visit(
        ctx.workspace,
        ctx.actor,
        person_id,
        date(2026, 10, 10),
        today=TODAY,
        needs=[NeedInput(NeedKind.ASSISTIVE_DEVICE, "需要轮椅")],
        follow_ups=[FollowUpInput("联系辅具中心", date(2026, 11, 1))],
    )
    return person_id, earlier.need_ids[0], earlier.follow_up_ids[0]


def choose(combo, text):
    index = combo.findText(text)
    assert index >= 0, f"{text!r} not in {[combo.itemText(i) for i in range(combo.count())]}"
    combo.setCurrentIndex(index)


def fill_full_visit(qtbot, dialog):
    """Two new needs, a follow-up for the first, the wheelchair met, the old follow-up done."""
    make_active(qtbot, dialog)
    qtbot.keyClick(dialog, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)  # 添加需求(&A)
    qtbot.waitUntil(lambda: len(dialog.needs.rows) == 1)  # a mnemonic animates the click
    first = dialog.needs.rows[0]
    assert QApplication.focusWidget() is first.kind
    first.kind.set_value(NeedKind.HOME_MODIFICATION)
    type_text(first.detail, "卫生间加装扶手")
    second = dialog.add_need()
    second.kind.set_value(NeedKind.REHABILITATION)

    qtbot.keyClick(dialog, Qt.Key.Key_G, Qt.KeyboardModifier.AltModifier)  # 添加跟进事项(&G)
    qtbot.waitUntil(lambda: len(dialog.follow_ups.rows) == 1)
    follow = dialog.follow_ups.rows[0]
    assert follow.due.text() == "2026-12-09"  # the visit date + 14 days
    type_text(follow.action, "联系镇残联安排入户勘测")
    choose(follow.need, "本次需求 1：无障碍改造")

    [update] = dialog.updates.rows
    choose(update.status, "已解决")
    update.note.setText("已发放轮椅")
    [done] = dialog.done_rows
    assert done.check.accessibleName() == "已完成：联系辅具中心（期限 2026-11-01，已逾期）"
    done.check.setChecked(True)
    return follow


def test_needs_follow_ups_and_updates_are_stored_together(qtbot, ctx, visited):
    person_id, old_need, old_follow_up = visited
    dialog = open_dialog(qtbot, ctx, person_id)
    assert "待办需求 1 项" in dialog.header.counts.text()
    assert "未完成的跟进事项 1 项" in dialog.header.counts.text()
    fill_full_visit(qtbot, dialog)

    with qtbot.waitSignal(dialog.saved) as saved:
        press_save(qtbot, dialog)

    visit_id = saved.args[0]
    new_needs = {n.kind: n for n in stored(ctx, Need, raised_visit_id=visit_id)}
    assert set(new_needs) == {NeedKind.HOME_MODIFICATION, NeedKind.REHABILITATION}
    assert new_needs[NeedKind.HOME_MODIFICATION].detail == "卫生间加装扶手"
    [follow_up] = stored(ctx, FollowUp, visit_id=visit_id)
    assert (follow_up.action, follow_up.due_on, follow_up.need_id) == (
        "联系镇残联安排入户勘测",
        date(2026, 12, 9),
        new_needs[NeedKind.HOME_MODIFICATION].id,
    )
    [wheelchair] = stored(ctx, Need, id=old_need)
    assert (wheelchair.status, wheelchair.resolution, wheelchair.resolved_visit_id) == (
        NeedStatus.MET,
        "已发放轮椅",
        visit_id,
    )
    [old] = stored(ctx, FollowUp, id=old_follow_up)
    assert (old.status, old.done_on) == (FollowUpStatus.DONE, TODAY)


def test_a_follow_up_may_serve_an_existing_need(qtbot, ctx, visited):
    person_id, old_need, _old_follow_up = visited
    dialog = open_dialog(qtbot, ctx, person_id)
    follow = dialog.add_follow_up()
    follow.action.setText("催办轮椅")
    choose(follow.need, "已有需求：辅助器具：需要轮椅（2026-10-10 提出，目前待办）")
    with qtbot.waitSignal(dialog.saved) as saved:
        dialog.save_and_close()
    [item] = stored(ctx, FollowUp, visit_id=saved.args[0])
    assert item.need_id == old_need


def test_one_bad_row_refuses_everything_and_is_shown_at_that_row(qtbot, ctx, visited, recorder):
    person_id, old_need, old_follow_up = visited
    before = count_rows(ctx.workspace, *TABLES)
    dialog = open_dialog(qtbot, ctx, person_id)
    fill_full_visit(qtbot, dialog)
    second = dialog.add_follow_up()
    second.action.setText("回访")
    second.due.setText("2026-11-01")  # before the visit

    press_save(qtbot, dialog)

    assert count_rows(ctx.workspace, *TABLES) == before
    [wheelchair] = stored(ctx, Need, id=old_need)
    assert wheelchair.status is NeedStatus.OPEN
    [old] = stored(ctx, FollowUp, id=old_follow_up)
    assert old.status is FollowUpStatus.OPEN
    assert second.error.isVisible()
    assert second.error.text() == "⚠ 第 2 项跟进事项：期限不能早于走访日期"
    assert not dialog.follow_ups.rows[0].error.isVisible()
    assert QApplication.focusWidget() is second.due
    assert dialog.isVisible() and recorder.errors == []

    second.due.setText("2026-12-20")
    with qtbot.waitSignal(dialog.saved):
        press_save(qtbot, dialog)
    assert count_rows(ctx.workspace, *TABLES) == {"visit": 2, "need": 3, "follow_up": 3}


def test_row_errors_from_the_form_and_the_need_updates(qtbot, ctx, visited):
    person_id, _need, _follow_up = visited
    dialog = open_dialog(qtbot, ctx, person_id)
    row = dialog.add_need()  # no kind chosen
    follow = dialog.add_follow_up()
    follow.action.setText("回访")
    follow.due.setText("下周")
    press_save(qtbot, dialog)
    assert row.error.text() == "⚠ 第 1 项需求：请选择需求类型"
    assert "日期格式" in follow.error.text()
    assert QApplication.focusWidget() is row.kind

    row.kind.set_value(NeedKind.CARE)
    follow.due.setText("2026-12-01")
    [update] = dialog.updates.rows
    choose(update.status, "本人不需要")
    press_save(qtbot, dialog)
    assert not row.error.isVisible()
    assert update.error.text() == "⚠ “本人不需要”必须写明原因"
    assert QApplication.focusWidget() is update.note
    assert count_rows(ctx.workspace, *TABLES) == {"visit": 1, "need": 1, "follow_up": 1}


def test_deleting_a_need_row_renumbers_and_unlinks_its_follow_ups(qtbot, ctx, area_tree):
    dialog = open_dialog(qtbot, ctx, person(ctx, area_tree))
    first, second = dialog.add_need(), dialog.add_need()
    first.kind.set_value(NeedKind.CARE)
    second.kind.set_value(NeedKind.TRAINING)
    follow = dialog.add_follow_up()
    choose(follow.need, "本次需求 2：职业培训")
    first.remove.click()
    assert dialog.needs.rows == [second]
    assert follow.need.currentText() == "本次需求 1：职业培训"
    assert QApplication.focusWidget() is second.kind
    second.remove.click()
    assert follow.need.value() is None
    assert QApplication.focusWidget() is dialog.needs.add_button


def test_new_rows_come_in_reading_order_before_the_buttons(qtbot, ctx, area_tree):
    dialog = open_dialog(qtbot, ctx, person(ctx, area_tree))
    need = dialog.add_need()
    follow = dialog.add_follow_up()
    order = [
        dialog.grid.fields["safety_risks"],
        need.kind,
        need.detail,
        need.remove,
        dialog.needs.add_button,
        follow.action,
        follow.due,
        follow.need,
        follow.remove,
        dialog.follow_ups.add_button,
        dialog.save_button,
    ]
    order[0].setFocus()
    for current, expected in itertools.pairwise(order):
        qtbot.keyClick(current, Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is expected


def test_every_input_is_labelled(qtbot, ctx, visited):
    dialog = open_dialog(qtbot, ctx, visited[0])
    dialog.add_need()
    dialog.add_follow_up()
    for name, caption in dialog.grid.labels.items():
        assert caption.buddy() is dialog.grid.fields[name]
    for section in (dialog.needs, dialog.follow_ups, dialog.updates, dialog.open_follow_ups):
        for row in section.rows:
            for widget in row.inputs():
                assert widget.accessibleName(), f"{type(row).__name__} has an unnamed input"
    assert dialog.needs.rows[0].kind.accessibleName() == "第 1 项需求的类型"


def test_at_double_font_size_the_form_scrolls_instead_of_clipping(qtbot, ctx, visited, qapp):
    person_id, _need, _follow_up = visited
    apply_font_scale(qapp, 200)
    try:
        dialog = open_dialog(qtbot, ctx, person_id)
        dialog.add_need().detail.setText("需要轮椅，还需要助行器和防褥疮床垫，家属希望尽快解决" * 2)
        dialog.add_follow_up()
        content = dialog.scroll_area.widget()
        assert dialog.scroll_area.widgetResizable()
        # narrow enough for a 1024-pixel screen: long texts wrap, combo boxes do not grow with them
        assert content.minimumSizeHint().width() < 900
        assert dialog.width() <= dialog.screen().availableGeometry().width()
    finally:
        apply_font_scale(qapp, 100)


# --- save and next ----------------------------------------------------------------------------


def test_save_and_next_keeps_date_kind_and_visitor(qtbot, ctx, area_tree):
    people = [person(ctx, area_tree, name=n) for n in ("王秀兰", "陈国富", "李桂芝")]
    dialog = open_dialog(qtbot, ctx, people[0], kind=VisitKind.RETURN_VISIT, next_people=people)
    fields = dialog.grid.fields
    fields["visit_date"].setText("2026-11-20")
    fields["visitor_name"].setText("张委员")
    fields["findings"].setPlainText("第一位")
    dialog.add_need().kind.set_value(NeedKind.CARE)
    assert dialog.next_button.isEnabled()

    make_active(qtbot, dialog)
    with qtbot.waitSignal(dialog.saved):
        qtbot.keyClick(dialog, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)  # 保存并下一位(&N)

    assert dialog.isVisible()
    assert dialog.target.id == people[1]
    assert "陈国富" in dialog.header.name.text()
    assert fields["visit_date"].text() == "2026-11-20"
    assert fields["kind"].value() == VisitKind.RETURN_VISIT
    assert fields["visitor_name"].text() == "张委员"
    assert fields["findings"].toPlainText() == ""
    assert dialog.needs.rows == []
    assert not dialog.has_unsaved_input()
    [first] = stored(ctx, Visit, person_id=people[0])
    assert (first.visit_date, first.kind, first.visitor_name) == (
        date(2026, 11, 20),
        VisitKind.RETURN_VISIT,
        "张委员",
    )

    with qtbot.waitSignal(dialog.saved):
        dialog.next_button.click()
    assert dialog.target.id == people[2]
    assert not dialog.next_button.isEnabled()
    assert len(stored(ctx, Visit, person_id=people[1])) == 1


# --- the person picker ------------------------------------------------------------------------


def test_the_picker_finds_a_person_and_enter_selects(qtbot, ctx, area_tree):
    wang = person(ctx, area_tree, name="王秀兰")
    chen = person(ctx, area_tree, name="陈国富")
    dialog = open_dialog(qtbot, ctx, None)
    picker = dialog.picker
    assert QApplication.focusWidget() is picker.edit
    assert dialog.target is None

    qtbot.keyClicks(picker.edit, "wxl")
    qtbot.waitUntil(lambda: not picker.searching and picker.model.rowCount() == 1)
    assert "王秀兰" in picker.model.data(picker.model.index(0))
    qtbot.keyClick(picker.edit, Qt.Key.Key_Return)
    assert dialog.target.id == wang
    assert "王秀兰" in dialog.header.name.text()
    assert QApplication.focusWidget() is dialog.grid.fields["visit_date"]

    # Enter typed before the results arrive waits for them
    picker.edit.setFocus()
    picker.edit.clear()
    type_text(picker.edit, "陈")
    qtbot.keyClick(picker.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.target is not None and dialog.target.id == chen)

    with qtbot.waitSignal(dialog.saved):
        dialog.save_and_close()
    assert len(stored(ctx, Visit, person_id=chen)) == 1


def test_the_picker_list_is_reached_with_down(qtbot, ctx, area_tree):
    person(ctx, area_tree, name="王秀兰")
    wang2 = person(ctx, area_tree, name="王小兰", birth=date(1970, 1, 1))
    dialog = open_dialog(qtbot, ctx, None)
    picker = dialog.picker
    type_text(picker.edit, "王")
    qtbot.waitUntil(lambda: not picker.searching and picker.model.rowCount() == 2)
    qtbot.keyClick(picker.edit, Qt.Key.Key_Down)
    assert QApplication.focusWidget() is picker.results
    qtbot.keyClick(picker.results, Qt.Key.Key_Down)
    qtbot.keyClick(picker.results, Qt.Key.Key_Return)
    assert dialog.target.id == picker.model.rows[1].id
    assert wang2 in {r.id for r in picker.model.rows}


def test_saving_without_a_person_asks_for_one(qtbot, ctx, area_tree):
    dialog = open_dialog(qtbot, ctx, None)
    dialog.grid.fields["findings"].setPlainText("x")
    press_save(qtbot, dialog)
    assert dialog.header.error.text() == "⚠ 请先选择走访对象"
    assert QApplication.focusWidget() is dialog.picker.edit


# --- closing ----------------------------------------------------------------------------------


def test_closing_with_typed_input_asks(qtbot, ctx, area_tree, recorder):
    person_id = person(ctx, area_tree)
    dialog = open_dialog(qtbot, ctx, person_id)
    type_text(dialog.grid.fields["visitor_name"], "乙")

    recorder.unsaved_answers = [UnsavedChoice.CANCEL]
    dialog.close()
    assert dialog.isVisible()

    recorder.unsaved_answers = [UnsavedChoice.CANCEL]
    qtbot.keyClick(dialog.grid.fields["visitor_name"], Qt.Key.Key_Escape)
    assert dialog.isVisible()
    assert len(recorder.asked) == 2

    recorder.unsaved_answers = [UnsavedChoice.DISCARD]
    dialog.cancel_button.click()
    assert not dialog.isVisible()
    assert count_rows(ctx.workspace, "visit") == {"visit": 0}


def test_closing_and_saving(qtbot, ctx, area_tree, recorder):
    person_id = person(ctx, area_tree)
    dialog = open_dialog(qtbot, ctx, person_id)
    dialog.grid.fields["findings"].setPlainText("说好了")
    recorder.unsaved_answers = [UnsavedChoice.SAVE]
    with qtbot.waitSignal(dialog.saved):
        dialog.close()
    assert not dialog.isVisible()
    assert len(stored(ctx, Visit, person_id=person_id)) == 1


def test_closing_an_untouched_form_asks_nothing(qtbot, ctx, area_tree, recorder):
    dialog = open_dialog(qtbot, ctx, person(ctx, area_tree))
    dialog.close()
    assert not dialog.isVisible()
    assert recorder.asked == []


def test_saving_emits_a_changed_event(qtbot, ctx, area_tree):
    dialog = open_dialog(qtbot, ctx, person(ctx, area_tree))
    with qtbot.waitSignal(ctx.events.changed) as changed:
        dialog.save_and_close()
    assert changed.args == ["visit"]


def test_the_picker_and_the_header_show_the_id_masked(qtbot, ctx, area_tree):
    from PySide6.QtWidgets import QLabel, QLineEdit

    from liaison.core.models import Person
    from liaison.core.rules.idnumber import mask_id_number

    wang = person(ctx, area_tree, name="王秀兰")
    with ctx.workspace.uow() as uow:
        number = uow.session.get(Person, wang).id_number
    dialog = open_dialog(qtbot, ctx, None)
    picker = dialog.picker
    qtbot.keyClicks(picker.edit, "wxl")
    qtbot.waitUntil(lambda: not picker.searching and picker.model.rowCount() == 1)
    listed = picker.model.data(picker.model.index(0))
    assert mask_id_number(number) in listed and number not in listed
    qtbot.keyClick(picker.edit, Qt.Key.Key_Return)
    texts = [w.text() for w in dialog.findChildren(QLabel)] + [w.text() for w in dialog.findChildren(QLineEdit)]
    assert not [t for t in texts if number in t]
