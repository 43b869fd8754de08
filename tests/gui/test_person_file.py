"""The person's file window: typed by keyboard, checked as typed, saved through the services,
closed only when nothing typed would be lost."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QWidget
from sqlalchemy import func, select

from liaison.core.enums import NeedKind, NeedStatus, PersonStatus, Sex, UserRole
from liaison.core.models import Need, Person
from liaison.core.rules.idnumber import compose_id_number, mask_cert_number, mask_id_number
from liaison.core.services import persons
from liaison.core.services.context import Actor
from liaison.core.services.visits import NeedInput
from liaison.gui import person_file, windows
from liaison.gui.app import apply_font_scale
from liaison.gui.context import GuiContext
from liaison.gui.dialogs import UnsavedChoice
from liaison.gui.person_file import NeedStatusDialog, PersonFileDialog, StatusChangeDialog
from tests.core.services.helpers import add_person, add_visit
from tests.gui.conftest import TODAY

ZHANG_ID = compose_id_number("220202", date(1985, 7, 12), 33)  # male, 41 on TODAY


# --- helpers --------------------------------------------------------------------------------


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def type_text(qtbot, widget: QWidget, text: str) -> None:
    """Type as an officer would: digits and letters as keys, Chinese through the input
    method (which hands the widget a committed string, not key presses)."""
    widget.setFocus()
    run = ""
    for char in text + "\0":
        if char.isascii() and char != "\0":
            run += char
            continue
        if run:
            qtbot.keyClicks(widget, run)
            run = ""
        if char != "\0":
            event = QInputMethodEvent()
            event.setCommitString(char)
            QApplication.sendEvent(widget, event)


def tab(qtbot) -> QWidget:
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    return focused()


def replace_text(qtbot, widget: QLineEdit, text: str) -> None:
    widget.setFocus()
    widget.selectAll()
    qtbot.keyClick(widget, Qt.Key.Key_Backspace)
    type_text(qtbot, widget, text)


def open_dialog(qtbot, ctx, person_id=None) -> PersonFileDialog:
    dialog = PersonFileDialog(ctx, person_id)
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):
        dialog.show()
        dialog.activateWindow()
    return dialog


def close_discarding(recorder, dialog: PersonFileDialog) -> None:
    if dialog.is_dirty():
        recorder.unsaved_answers.append(UnsavedChoice.DISCARD)
    dialog.close()
    assert not dialog.isVisible()


def field(dialog: PersonFileDialog, name: str):  # type: ignore[no-untyped-def]
    return dialog.form.fields[name]


def load(ctx, person_id) -> Person:
    with ctx.workspace.uow() as uow:
        person = persons.load_person(uow, ctx.actor, person_id)
        uow.session.expunge_all()
    return person


def person_count(ctx) -> int:
    with ctx.workspace.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(Person))


def add(ctx, area, **kwargs):  # type: ignore[no-untyped-def]
    return add_person(ctx.workspace, ctx.actor, area, today=TODAY, **kwargs).person_id


def test_every_field_of_a_person_has_a_labelled_input(qtbot, ctx, area_tree):
    dialog = open_dialog(qtbot, ctx)
    names = {f.name for f in fields(persons.PersonInput)}
    assert names <= dialog.form.fields.keys()
    for grid in dialog.form.grids:
        for name, widget in grid.fields.items():
            assert grid.labels[name].buddy() is widget and widget.accessibleName(), name
    assert field(dialog, "sex").isReadOnly() and field(dialog, "birth_date").isReadOnly()
    assert field(dialog, "cert_number").placeholderText() == "留空则按身份证号、类别、等级自动生成"
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == [
        "身份与证件", "残疾情况", "家庭与监护", "经济与补贴", "保险", "就业与教育",
        "需求", "走访记录", "案例与转介", "变更记录"]


# --- a new person -----------------------------------------------------------------------------


def test_new_person_typed_by_keyboard_is_stored_with_derived_values(qtbot, ctx, area_tree, recorder):
    dialog = open_dialog(qtbot, ctx)
    assert dialog.windowTitle() == "新建档案"
    assert not dialog.tabs.isTabEnabled(6)  # 需求: only once the person is on file

    assert focused() is field(dialog, "name")
    type_text(qtbot, focused(), "张三")
    assert tab(qtbot) is field(dialog, "id_number")
    type_text(qtbot, focused(), ZHANG_ID)
    assert field(dialog, "sex").text() == "男"
    assert field(dialog, "birth_date").text() == "1985-07-12"
    assert tab(qtbot) is field(dialog, "sex")  # read-only, but reachable for screen readers
    assert tab(qtbot) is field(dialog, "birth_date")
    assert tab(qtbot) is field(dialog, "ethnicity")
    type_text(qtbot, focused(), "汉族")
    assert tab(qtbot) is field(dialog, "phone")
    type_text(qtbot, focused(), "13812345678")
    area = tab(qtbot)
    assert area is field(dialog, "area_id")
    qtbot.keyClick(area, Qt.Key.Key_Down)  # 请选择 → 桦皮厂镇 两家子村
    assert tab(qtbot) is field(dialog, "hukou")
    assert tab(qtbot) is field(dialog, "address")
    type_text(qtbot, focused(), "两家子村3号")
    assert tab(qtbot) is field(dialog, "cert_number")  # left empty: derived when saved
    assert tab(qtbot) is field(dialog, "cert_issued_on")
    type_text(qtbot, focused(), "2020-05-01")
    assert tab(qtbot) is field(dialog, "cert_valid_until")
    type_text(qtbot, focused(), "2030-05-01")
    assert dialog.is_dirty() and dialog.windowTitle() == "新建档案 *"

    qtbot.keyClick(focused(), Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)  # next section
    assert dialog.current_section() == "disability"
    category = focused()
    assert category is field(dialog, "category")
    for _step in range(4):  # （未填写） → 视力 → 听力 → 言语 → 肢体
        qtbot.keyClick(category, Qt.Key.Key_Down)
    grade = tab(qtbot)
    assert grade is field(dialog, "grade")
    for _step in range(3):
        qtbot.keyClick(grade, Qt.Key.Key_Down)

    with qtbot.waitSignal(dialog.saved) as saved:
        qtbot.keyClick(focused(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    assert recorder.errors == []
    person = load(ctx, saved.args[0])
    assert (person.name, person.id_number, person.sex, person.birth_date) == (
        "张三", ZHANG_ID, Sex.MALE, date(1985, 7, 12))
    assert person.cert_number == ZHANG_ID + "43"
    assert (person.category, person.grade, person.area_id) == (4, 3, area_tree.village)
    assert (person.phone, person.ethnicity, person.address) == ("13812345678", "汉族", "两家子村3号")
    assert person.registered_on == TODAY
    # the window is now that person's file
    assert dialog.person_id == person.id
    assert dialog.windowTitle() == "张三的档案"
    assert not dialog.is_dirty()
    # a stored file shows its numbers masked; typing them in was not a reveal
    assert field(dialog, "cert_number").text() == mask_cert_number(ZHANG_ID + "43")
    assert field(dialog, "id_number").text() == mask_id_number(ZHANG_ID)
    assert dialog.tabs.isTabEnabled(6) and dialog.status_button.isEnabled()
    assert "在册" in dialog.status_label.text()


def test_id_errors_show_under_the_field_as_it_is_typed(qtbot, ctx, area_tree, recorder):
    dialog = open_dialog(qtbot, ctx)
    id_field = field(dialog, "id_number")
    id_field.setFocus()
    qtbot.keyClicks(id_field, ZHANG_ID[:10])
    assert dialog.form.error_text("id_number") == ""  # still typing: no nagging
    wrong = "0" if ZHANG_ID[-1] != "0" else "1"
    qtbot.keyClicks(id_field, ZHANG_ID[10:17] + wrong)
    assert dialog.form.error_text("id_number") == (
        f"⚠ 校验位错误：最后一位应为 {ZHANG_ID[-1]}，实际为 {wrong}")
    assert field(dialog, "sex").text() == ""
    qtbot.keyClick(id_field, Qt.Key.Key_Backspace)
    qtbot.keyClicks(id_field, ZHANG_ID[-1])
    assert dialog.form.error_text("id_number") == ""
    assert field(dialog, "birth_date").text() == "1985-07-12"
    replace_text(qtbot, id_field, "22020219850ab")
    assert dialog.form.error_text("id_number") == "⚠ 含有无效字符：第 12 位“a”、第 13 位“b”"
    assert dialog.form.existing_text == ""
    close_discarding(recorder, dialog)


def test_an_id_already_on_file_is_named_with_a_way_to_open_it(
        qtbot, ctx, area_tree, monkeypatch, recorder):
    existing = add(ctx, area_tree.village, name="王秀兰")
    number = load(ctx, existing).id_number
    opened = []
    monkeypatch.setattr(windows, "open_person_file", lambda *args: opened.append(args))
    dialog = open_dialog(qtbot, ctx)

    type_text(qtbot, field(dialog, "id_number"), number)

    assert dialog.form.existing_text == "ⓘ 该身份证号已建档：王秀兰（桦皮厂镇 两家子村）"
    assert dialog.form.open_existing_button.isVisible()
    qtbot.mouseClick(dialog.form.open_existing_button, Qt.MouseButton.LeftButton)
    assert opened == [(ctx, None, existing)]
    close_discarding(recorder, dialog)


def test_an_id_filed_in_another_village_is_reported_without_naming_anyone(
        qtbot, workspace, gui_settings, area_tree, recorder):
    add_person(workspace, workspace.system_actor, area_tree.village, today=TODAY, name="王秀兰",
               sequence=57)
    number = compose_id_number("220202", date(1962, 3, 8), 57)
    officer = Actor("qianjin", "前进村专职委员", UserRole.VILLAGE_OFFICER, workspace.device_id,
                    scope_area_ids=frozenset({area_tree.other_village}))
    ctx = GuiContext(workspace, officer, gui_settings, clock=lambda: TODAY)
    dialog = open_dialog(qtbot, ctx)
    # the officer can only file people in their own village
    assert [field(dialog, "area_id").itemText(i) for i in range(2)] == ["请选择", "桦皮厂镇 前进村"]

    type_text(qtbot, field(dialog, "id_number"), number)

    assert "已在其他村（社区）建档" in dialog.form.existing_text
    assert "王秀兰" not in dialog.form.existing_text and "两家子" not in dialog.form.existing_text
    assert not dialog.form.open_existing_button.isVisible()
    close_discarding(recorder, dialog)


def test_a_save_with_bad_fields_shows_every_message_by_its_field(qtbot, ctx, area_tree, recorder):
    dialog = open_dialog(qtbot, ctx)
    bad_id = ZHANG_ID[:17] + ("0" if ZHANG_ID[-1] != "0" else "1")
    type_text(qtbot, field(dialog, "id_number"), bad_id)
    type_text(qtbot, field(dialog, "phone"), "12345")
    type_text(qtbot, field(dialog, "cert_issued_on"), "2020-13-45")
    field(dialog, "living_subsidy_receiving").setChecked(True)  # but no amount

    assert dialog.save() is False

    error = dialog.form.error_text
    assert error("name") == "⚠ 不能为空"
    assert error("id_number").startswith("⚠ 校验位错误")
    assert error("phone").startswith("⚠ 应为 11 位手机号")
    assert error("cert_issued_on") == "⚠ 2020-13-45 不是有效日期"
    assert error("area_id") == "⚠ 必须选择"
    assert error("living_subsidy_fen") == "⚠ 正在领取时必须填写每月金额"
    assert focused() is field(dialog, "name")
    assert dialog.tabs.tabText(0) == "身份与证件 ⚠" and dialog.tabs.tabText(3) == "经济与补贴 ⚠"
    assert dialog.tabs.tabText(1) == "残疾情况"
    assert person_count(ctx) == 0 and recorder.errors == []

    # an error in a later section takes the window there
    replace_text(qtbot, field(dialog, "name"), "张三")
    replace_text(qtbot, field(dialog, "id_number"), ZHANG_ID)
    replace_text(qtbot, field(dialog, "phone"), "13812345678")
    replace_text(qtbot, field(dialog, "cert_issued_on"), "2020-05-01")
    type_text(qtbot, field(dialog, "cert_valid_until"), "2030-05-01")
    field(dialog, "area_id").setCurrentIndex(1)
    field(dialog, "category").set_value(7)
    dialog.form.fields["component_categories"].boxes[1].setChecked(True)  # only one: too few
    field(dialog, "grade").set_value(2)
    field(dialog, "living_subsidy_receiving").setChecked(False)
    assert dialog.save() is False
    assert dialog.form.error_text("name") == ""
    assert dialog.form.error_text("component_categories").startswith("⚠ 多重残疾须选择至少两种")
    assert dialog.current_section() == "disability"
    assert focused() is dialog.form.fields["component_categories"].boxes[1]
    assert person_count(ctx) == 0
    close_discarding(recorder, dialog)


def test_a_15_digit_id_is_converted_and_the_officer_told(qtbot, ctx, area_tree, recorder):
    dialog = open_dialog(qtbot, ctx)
    eighteen = compose_id_number("220202", date(1962, 3, 8), 41)
    fifteen = eighteen[:6] + eighteen[8:17]
    type_text(qtbot, field(dialog, "name"), "李四")
    type_text(qtbot, field(dialog, "id_number"), fifteen)
    qtbot.keyClick(field(dialog, "id_number"), Qt.Key.Key_Tab)  # leaving the field: final check
    assert field(dialog, "birth_date").text() == "1962-03-08"
    field(dialog, "area_id").setCurrentIndex(1)
    type_text(qtbot, field(dialog, "cert_issued_on"), "2020-05-01")
    type_text(qtbot, field(dialog, "cert_valid_until"), "2030-05-01")
    field(dialog, "category").set_value(1)
    field(dialog, "grade").set_value(2)

    assert dialog.save() is True

    assert recorder.infos == [f"15 位旧身份证号已转换为 18 位：{eighteen}"]
    assert load(ctx, dialog.person_id).id_number == eighteen
    assert field(dialog, "id_number").text() == mask_id_number(eighteen)


def test_saving_an_id_already_on_file_is_refused_and_nothing_typed_is_lost(
        qtbot, ctx, area_tree, recorder):
    existing = add(ctx, area_tree.village, name="王秀兰")
    number = load(ctx, existing).id_number
    dialog = open_dialog(qtbot, ctx)
    type_text(qtbot, field(dialog, "name"), "王秀兰")
    type_text(qtbot, field(dialog, "id_number"), number)
    field(dialog, "area_id").setCurrentIndex(1)
    type_text(qtbot, field(dialog, "cert_issued_on"), "2020-05-01")
    type_text(qtbot, field(dialog, "cert_valid_until"), "2030-05-01")
    field(dialog, "category").set_value(4)
    field(dialog, "grade").set_value(3)

    assert dialog.save() is False

    assert len(recorder.errors) == 1 and "不能重复建档" in recorder.errors[0]
    assert person_count(ctx) == 1
    assert field(dialog, "name").text() == "王秀兰" and dialog.is_dirty()
    close_discarding(recorder, dialog)


# --- editing ----------------------------------------------------------------------------------


def test_editing_a_person_updates_the_record_and_the_history_shows_it(qtbot, ctx, area_tree, recorder):
    pid = add(ctx, area_tree.village, name="王秀兰")
    dialog = open_dialog(qtbot, ctx, pid)
    assert dialog.windowTitle() == "王秀兰的档案"
    version = load(ctx, pid).row_version
    changed = []
    ctx.events.changed.connect(changed.append)

    replace_text(qtbot, field(dialog, "phone"), "13912345678")
    field(dialog, "dibao").setChecked(True)
    assert dialog.windowTitle() == "王秀兰的档案 *"
    qtbot.keyClick(focused(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    person = load(ctx, pid)
    assert (person.phone, person.dibao, person.row_version) == ("13912345678", True, version + 1)
    assert recorder.errors == [] and changed == ["person"]
    assert dialog.windowTitle() == "王秀兰的档案" and not dialog.is_dirty()
    dialog.select_section("history")
    latest = dialog.history_model.row_at(0)
    assert latest.action == "修改" and latest.user == "local-admin"
    assert "联系电话：（空） → 13912345678" in latest.details.split("\n")
    assert "低保：否 → 是" in latest.details.split("\n")
    created = dialog.history_model.row_at(1)
    assert created.action == "新建" and "残疾类别：肢体残疾" in created.details.split("\n")


def test_a_change_saved_elsewhere_meanwhile_is_not_overwritten(qtbot, ctx, area_tree, recorder):
    pid = add(ctx, area_tree.village, name="王秀兰")
    dialog = open_dialog(qtbot, ctx, pid)
    replace_text(qtbot, field(dialog, "phone"), "13912345678")
    with ctx.workspace.uow() as uow:  # someone else saves first
        data = replace(persons.PersonInput.from_person(persons.load_person(uow, ctx.actor, pid)),
                       notes="县残联核对过")
        persons.update_person(uow, ctx.actor, pid, data, expected_version=None, today=TODAY)
        uow.commit()

    assert dialog.save() is False

    assert len(recorder.errors) == 1 and "已被修改" in recorder.errors[0]
    assert field(dialog, "phone").text() == "13912345678" and dialog.is_dirty()
    person = load(ctx, pid)
    assert (person.phone, person.notes) == (None, "县残联核对过")
    close_discarding(recorder, dialog)


def test_money_is_shown_in_yuan_in_history(qtbot, ctx, area_tree):
    pid = add(ctx, area_tree.village, grade=1, care_subsidy_receiving=True, care_subsidy_fen=10000)
    dialog = open_dialog(qtbot, ctx, pid)
    replace_text(qtbot, field(dialog, "care_subsidy_fen"), "120")
    assert dialog.save()
    assert "护理补贴月标准：100.00 元 → 120.00 元" in dialog.history_model.row_at(0).details


# --- closing ----------------------------------------------------------------------------------


def test_closing_with_unsaved_edits_asks_first(qtbot, ctx, area_tree, recorder):
    pid = add(ctx, area_tree.village, name="王秀兰")
    dialog = open_dialog(qtbot, ctx, pid)
    replace_text(qtbot, field(dialog, "phone"), "13912345678")

    recorder.unsaved_answers = [UnsavedChoice.CANCEL]
    qtbot.keyClick(focused(), Qt.Key.Key_Escape)
    assert dialog.isVisible() and recorder.asked == ["王秀兰的档案"]

    recorder.unsaved_answers = [UnsavedChoice.CANCEL]
    dialog.close()  # the window's own close box
    assert dialog.isVisible() and len(recorder.asked) == 2

    recorder.unsaved_answers = [UnsavedChoice.SAVE]
    dialog.close()
    assert not dialog.isVisible() and len(recorder.asked) == 3  # asked once, not twice
    assert load(ctx, pid).phone == "13912345678"


def test_discarding_closes_without_saving(qtbot, ctx, area_tree, recorder):
    pid = add(ctx, area_tree.village, name="王秀兰")
    dialog = open_dialog(qtbot, ctx, pid)
    replace_text(qtbot, field(dialog, "phone"), "13912345678")
    recorder.unsaved_answers = [UnsavedChoice.DISCARD]
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible() and len(recorder.asked) == 1
    assert load(ctx, pid).phone is None


def test_save_when_closing_keeps_the_window_open_if_saving_fails(qtbot, ctx, area_tree, recorder):
    dialog = open_dialog(qtbot, ctx)
    type_text(qtbot, field(dialog, "name"), "张三")
    recorder.unsaved_answers = [UnsavedChoice.SAVE]
    qtbot.keyClick(focused(), Qt.Key.Key_Escape)
    assert dialog.isVisible() and dialog.form.error_text("id_number") == "⚠ 身份证号不能为空"
    close_discarding(recorder, dialog)


def test_a_clean_window_closes_without_asking(qtbot, ctx, area_tree, recorder):
    dialog = open_dialog(qtbot, ctx, add(ctx, area_tree.village))
    qtbot.keyClick(focused(), Qt.Key.Key_Escape)
    assert not dialog.isVisible() and recorder.asked == []


# --- status, needs, visits ------------------------------------------------------------------


def test_status_change_is_stored_and_shown_in_words(qtbot, ctx, area_tree, monkeypatch, recorder):
    pid = add(ctx, area_tree.village, name="王秀兰")
    dialog = open_dialog(qtbot, ctx, pid)
    offered = []

    def ask(cls, parent, current, today):  # type: ignore[no-untyped-def]
        offered.append((current, today))
        return PersonStatus.MOVED_OUT, date(2026, 11, 20), "迁往外省"

    monkeypatch.setattr(StatusChangeDialog, "ask", classmethod(ask))
    qtbot.mouseClick(dialog.status_button, Qt.MouseButton.LeftButton)

    assert offered == [(PersonStatus.ACTIVE, TODAY)]
    person = load(ctx, pid)
    assert (person.status, person.status_on, person.status_reason) == (
        PersonStatus.MOVED_OUT, date(2026, 11, 20), "迁往外省")
    assert dialog.status_label.text() == "人员状态：迁出（2026-11-20起；原因：迁往外省）"
    assert recorder.errors == [] and not dialog.is_dirty()
    dialog.select_section("history")
    assert dialog.history_model.row_at(0).action == "状态变更"
    assert "人员状态：在册 → 迁出" in dialog.history_model.row_at(0).details


def test_status_change_errors_are_shown(qtbot, ctx, area_tree, monkeypatch, recorder):
    pid = add(ctx, area_tree.village)
    dialog = open_dialog(qtbot, ctx, pid)
    monkeypatch.setattr(StatusChangeDialog, "ask", classmethod(
        lambda cls, parent, current, today: (PersonStatus.DECEASED, date(2027, 1, 1), "病故")))
    dialog.change_status()
    assert recorder.errors == ["状态变更日期：不能晚于今天"]
    assert load(ctx, pid).status is PersonStatus.ACTIVE


def test_status_dialog_offers_what_applies_and_needs_a_reason(qtbot):
    dialog = StatusChangeDialog(None, PersonStatus.MOVED_OUT, TODAY)
    qtbot.addWidget(dialog)
    options = dialog.grid.fields["status"]
    assert [options.itemText(i) for i in range(options.count())] == ["恢复在册", "死亡", "注销残疾人证"]
    assert dialog.grid.fields["status_on"].text() == "2026-11-25"
    dialog.accept()
    assert dialog.answer is None and dialog.grid.errors["status_reason"].text() == "⚠ 必须填写原因"
    dialog.grid.fields["status_reason"].setText("户口迁回本村")
    dialog.accept()
    assert dialog.answer == (PersonStatus.ACTIVE, TODAY, "户口迁回本村")


def test_need_status_change_is_stored_and_its_history_shown(qtbot, ctx, area_tree, monkeypatch, recorder):
    pid = add(ctx, area_tree.village)
    saved = add_visit(ctx.workspace, ctx.actor, pid, date(2026, 11, 2), today=TODAY,
                      needs=[NeedInput(NeedKind.ASSISTIVE_DEVICE, "需要轮椅")])
    need_id = saved.need_ids[0]
    dialog = open_dialog(qtbot, ctx, pid)
    assert not dialog.need_status_button.isEnabled()
    qtbot.keyClick(focused(), Qt.Key.Key_7, Qt.KeyboardModifier.AltModifier)  # 需求
    assert [dialog.needs_model.data(dialog.needs_model.index(0, c)) for c in range(4)] == [
        "辅助器具", "需要轮椅", "2026-11-02", "待办"]
    # the keyboard lands on the list, on the first need
    assert focused() is dialog.needs_table
    assert dialog.needs_table.selectionModel().isRowSelected(0)
    assert dialog.need_status_button.isEnabled()
    assert dialog.need_history_model.row_at(0).action == "提出：待办"
    asked = []

    def ask(cls, parent, need_text, current, today):  # type: ignore[no-untyped-def]
        asked.append((need_text, current))
        return NeedStatus.MET, date(2026, 11, 24), "已配发轮椅"

    monkeypatch.setattr(NeedStatusDialog, "ask", classmethod(ask))
    qtbot.mouseClick(dialog.need_status_button, Qt.MouseButton.LeftButton)

    assert asked == [("辅助器具（需要轮椅）", NeedStatus.OPEN)]
    with ctx.workspace.uow() as uow:
        need = uow.session.get(Need, need_id)
        assert (need.status, need.status_on, need.resolution) == (
            NeedStatus.MET, date(2026, 11, 24), "已配发轮椅")
    assert recorder.errors == []
    assert dialog.needs_model.data(dialog.needs_model.index(0, 3)) == "已解决"
    steps = dialog.need_history_model.rows()
    assert [(s.at, s.action, s.details) for s in steps] == [
        ("2026-11-02", "提出：待办", "需要轮椅"),
        ("2026-11-24", "待办 → 已解决", "已配发轮椅"),
    ]


def test_need_status_errors_are_shown(qtbot, ctx, area_tree, monkeypatch, recorder):
    pid = add(ctx, area_tree.village)
    need_id = add_visit(ctx.workspace, ctx.actor, pid, date(2026, 11, 2), today=TODAY,
                        needs=[NeedInput(NeedKind.CARE)]).need_ids[0]
    dialog = open_dialog(qtbot, ctx, pid)
    dialog.select_need(need_id)
    monkeypatch.setattr(NeedStatusDialog, "ask", classmethod(
        lambda cls, parent, text, current, today: (NeedStatus.DECLINED, TODAY, None)))
    dialog.change_need_status()
    assert recorder.errors == ["“本人不需要”必须写明原因"]
    monkeypatch.setattr(NeedStatusDialog, "ask", classmethod(
        lambda cls, parent, text, current, today: (NeedStatus.MET, date(2026, 11, 1), None)))
    dialog.change_need_status()
    assert recorder.errors[1] == "日期：不能早于需求提出日期"


def test_visits_are_listed_newest_first_and_refreshed_when_a_visit_is_saved(
        qtbot, ctx, area_tree, monkeypatch):
    pid = add(ctx, area_tree.village)
    add_visit(ctx.workspace, ctx.actor, pid, date(2026, 9, 1), today=TODAY)
    dialog = open_dialog(qtbot, ctx, pid)
    opened = []
    monkeypatch.setattr(windows, "open_visit_form", lambda *args: opened.append(args))
    dialog.select_section("visits")
    qtbot.mouseClick(dialog.visit_button, Qt.MouseButton.LeftButton)
    assert opened == [(ctx, dialog, pid)]

    add_visit(ctx.workspace, ctx.actor, pid, date(2026, 11, 20), today=TODAY, findings="家中安全")
    ctx.events.changed.emit("visit")  # what the visit form announces

    model = dialog.visits_model
    assert [model.data(model.index(r, 0)) for r in range(model.rowCount())] == ["2026-11-20", "2026-09-01"]
    assert [model.data(model.index(0, c)) for c in range(5)] == [
        "2026-11-20", "日常走访", "入户", "李专委", "家中安全"]
    assert "共 2 次走访" in dialog.visits_count.text()


def test_cases_tab_says_how_to_open_a_case(qtbot, ctx, area_tree):
    dialog = open_dialog(qtbot, ctx, add(ctx, area_tree.village))
    dialog.select_section("cases")
    assert dialog.cases_model.rowCount() == 0 and dialog.referrals_model.rowCount() == 0
    texts = [w.text() for w in dialog.tabs.currentWidget().findChildren(person_file.QLabel)]
    assert any("按 Enter 或双击" in t for t in texts)
    assert dialog.apply_case_button.isEnabled() and dialog.new_referral_button.isEnabled()


# --- inputs that depend on each other -------------------------------------------------------


def test_inputs_are_enabled_only_when_they_apply(qtbot, ctx, area_tree, recorder):
    dialog = open_dialog(qtbot, ctx)
    components = dialog.form.fields["component_categories"]
    assert not components.isEnabled()
    field(dialog, "category").set_value(7)
    assert components.isEnabled()
    field(dialog, "category").set_value(4)
    assert not components.isEnabled()

    amount = field(dialog, "living_subsidy_fen")
    assert not amount.isEnabled()
    field(dialog, "living_subsidy_receiving").setChecked(True)
    assert amount.isEnabled()

    assert not field(dialog, "employment_form").isEnabled()
    status = field(dialog, "employment_status")
    status.setCurrentIndex(status.findText("已就业"))
    assert field(dialog, "employment_form").isEnabled()
    assert not field(dialog, "pension_gov_paid").isEnabled()
    field(dialog, "pension_insured").setChecked(True)
    assert field(dialog, "pension_gov_paid").isEnabled()
    close_discarding(recorder, dialog)


def test_subsidy_precheck_follows_the_form(qtbot, ctx, area_tree, recorder):
    pid = add(ctx, area_tree.village, grade=1)
    dialog = open_dialog(qtbot, ctx, pid)
    dialog.select_section("economy")
    form = dialog.form
    assert form.living_label.text() == "困难残疾人生活补贴：不符合：非低保家庭"
    assert form.care_label.text() == "重度残疾人护理补贴：符合条件：一级残疾"
    assert "符合重度残疾人护理补贴条件（一级残疾），但未享受" in form.gaps_label.text()

    field(dialog, "dibao").setChecked(True)
    assert form.living_label.text() == "困难残疾人生活补贴：符合条件：低保家庭成员"
    field(dialog, "care_subsidy_receiving").setChecked(True)
    assert "护理补贴" not in form.gaps_label.text()
    field(dialog, "grade").set_value(4)
    assert form.care_label.text() == "重度残疾人护理补贴：不符合：四级残疾不在护理补贴范围内"
    close_discarding(recorder, dialog)


def test_record_sections_wait_for_the_person_to_be_saved(qtbot, ctx, area_tree):
    dialog = open_dialog(qtbot, ctx)
    dialog.select_section("visits")
    assert dialog.current_section() == "identity"
    with pytest.raises(ValueError):
        dialog.select_section("nonsense")


def test_alt_digit_changes_section(qtbot, ctx, area_tree):
    dialog = open_dialog(qtbot, ctx, add(ctx, area_tree.village))
    qtbot.keyClick(focused(), Qt.Key.Key_0, Qt.KeyboardModifier.AltModifier)
    assert dialog.current_section() == "history"
    qtbot.keyClick(focused(), Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)
    assert dialog.current_section() == "family"


# --- large fonts ----------------------------------------------------------------------------


def test_the_window_renders_at_200_percent_font(qtbot, ctx, area_tree, qapp):
    pid = add(ctx, area_tree.village, grade=1)
    add_visit(ctx.workspace, ctx.actor, pid, date(2026, 11, 2), today=TODAY,
              needs=[NeedInput(NeedKind.ASSISTIVE_DEVICE, "需要轮椅")])
    ctx.settings.font_scale = 200
    apply_font_scale(qapp, 200)
    try:
        dialog = open_dialog(qtbot, ctx, pid)
        assert dialog.form.grids[0].layout().columnCount() == 2  # label + input: one column
        for index in range(dialog.tabs.count()):
            dialog.tabs.setCurrentIndex(index)
            qapp.processEvents()
            page = dialog.tabs.currentWidget()
            for widget in page.findChildren(QWidget):
                if not widget.isVisibleTo(page) or not isinstance(widget, (QLineEdit, QComboBox)):
                    continue
                hint = widget.minimumSizeHint()
                assert widget.width() >= hint.width() and widget.height() >= hint.height(), (
                    widget.objectName())
        for button in (dialog.save_button, dialog.close_button, dialog.status_button):
            assert button.width() >= button.sizeHint().width()
        image = dialog.grab()
        assert not image.isNull() and image.width() == dialog.width()
    finally:
        apply_font_scale(qapp, 100)


# --- the 身份证号: masked, revealed on request and audited ------------------------------------------


def reveal_events(ctx, pid) -> list:  # type: ignore[type-arg]
    from liaison.core.models import AuditEvent

    with ctx.workspace.uow() as uow:
        return list(uow.session.scalars(select(AuditEvent).where(
            AuditEvent.entity_id == pid, AuditEvent.action == "reveal")))


def visible_texts(dialog: PersonFileDialog) -> list[str]:
    from PySide6.QtWidgets import QLabel

    texts = [w.text() for w in dialog.findChildren(QLineEdit)] + [w.text() for w in dialog.findChildren(QLabel)]
    model = dialog.history_model
    texts += [model.row_at(r).details for r in range(model.rowCount())]
    return texts


def test_a_stored_file_shows_the_id_masked_with_a_reveal_button(qtbot, ctx, area_tree, recorder):
    pid = add(ctx, area_tree.village, name="王秀兰")
    number = load(ctx, pid).id_number
    cert = load(ctx, pid).cert_number
    dialog = open_dialog(qtbot, ctx, pid)
    id_field = field(dialog, "id_number")
    assert id_field.text() == mask_id_number(number) and id_field.isReadOnly()
    assert field(dialog, "cert_number").text() == mask_cert_number(cert)
    assert dialog.form.reveal_id_button.isVisible() and dialog.form.reveal_id_button.text() == "显示(&D)"
    # nowhere on screen, the history's 新建 line included
    texts = visible_texts(dialog)
    assert not [t for t in texts if number in t or cert in t]
    assert any(f"身份证号：{mask_id_number(number)}" in t for t in texts)
    # sex and birth date are still derived from the stored number
    assert field(dialog, "sex").text() and field(dialog, "birth_date").text()
    assert reveal_events(ctx, pid) == []


def test_revealing_records_one_event_shows_it_in_history_and_allows_editing(
        qtbot, ctx, area_tree, recorder, monkeypatch):
    pid = add(ctx, area_tree.village, name="王秀兰")
    number = load(ctx, pid).id_number
    dialog = open_dialog(qtbot, ctx, pid)
    monkeypatch.setattr(type(dialog.form), "ask_reveal_purpose", staticmethod(lambda parent: "核对身份证件"))

    qtbot.mouseClick(dialog.form.reveal_id_button, Qt.MouseButton.LeftButton)

    id_field = field(dialog, "id_number")
    assert id_field.text() == number and not id_field.isReadOnly()
    assert not dialog.form.reveal_id_button.isVisible() and not dialog.is_dirty()
    [event] = reveal_events(ctx, pid)
    assert event.reason == "核对身份证件" and number not in str(event.changes)
    dialog.select_section("history")
    latest = dialog.history_model.row_at(0)
    assert latest.action == "查看身份证号"
    assert "查看了完整身份证号（档案窗口）" in latest.details and "用途：核对身份证件" in latest.details
    # now the number can be corrected and saved
    corrected = compose_id_number("220202", date(1962, 3, 8), 901)
    replace_text(qtbot, id_field, corrected)
    replace_text(qtbot, field(dialog, "cert_number"), "")  # the 证号 follows from the new number
    assert dialog.save(), dialog.form.error_text("cert_number")
    assert load(ctx, pid).id_number == corrected
    assert field(dialog, "id_number").text() == mask_id_number(corrected)
    assert len(reveal_events(ctx, pid)) == 1


def test_cancelling_the_purpose_reveals_nothing_and_records_nothing(qtbot, ctx, area_tree, recorder, monkeypatch):
    pid = add(ctx, area_tree.village)
    number = load(ctx, pid).id_number
    dialog = open_dialog(qtbot, ctx, pid)
    monkeypatch.setattr(type(dialog.form), "ask_reveal_purpose", staticmethod(lambda parent: None))
    assert dialog.form.reveal_id_number() is False
    assert field(dialog, "id_number").text() == mask_id_number(number)
    assert reveal_events(ctx, pid) == []


def test_saving_other_edits_keeps_the_masked_numbers_as_stored(qtbot, ctx, area_tree, recorder):
    pid = add(ctx, area_tree.village)
    before = load(ctx, pid)
    dialog = open_dialog(qtbot, ctx, pid)
    replace_text(qtbot, field(dialog, "phone"), "13912345678")
    assert dialog.save()
    after = load(ctx, pid)
    assert (after.phone, after.id_number, after.cert_number) == ("13912345678", before.id_number, before.cert_number)
    assert "身份证号" not in dialog.history_model.row_at(0).details
    assert reveal_events(ctx, pid) == []


def test_a_reveal_outside_the_officers_villages_is_refused_and_records_nothing(
        qtbot, ctx, area_tree, recorder, monkeypatch):
    pid = add(ctx, area_tree.village)
    dialog = open_dialog(qtbot, ctx, pid)
    monkeypatch.setattr(type(dialog.form), "ask_reveal_purpose", staticmethod(lambda parent: "核对"))
    # the officer's scope changes under the open window (e.g. logged in as someone else)
    ctx.actor = Actor(username="qianjin", display_name="前进村专职委员", role=UserRole.VILLAGE_OFFICER,
                      device_id=ctx.workspace.device_id, scope_area_ids=frozenset({area_tree.other_village}))
    assert dialog.form.reveal_id_number() is False
    assert len(recorder.errors) == 1 and "无权" in recorder.errors[0]
    assert field(dialog, "id_number").isReadOnly()
    assert reveal_events(ctx, pid) == []
