"""The case window: a case walked through its steps by its buttons and step dialogs, the steps
each user may take, attachments, and the links to and from the person's file."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QFileDialog
from sqlalchemy import select

from liaison.core.enums import (
    AttachmentRole,
    CaseType,
    DeviceStep,
    ModificationStage,
    NeedKind,
    NeedStatus,
    ReferralState,
    UserRole,
)
from liaison.core.models import Attachment, FollowUp, Need
from liaison.core.rules.workflows import DEVICE_FITTING, Move
from liaison.core.services import modifications
from liaison.gui import viewer_copies, windows
from liaison.gui.case_dialogs import AttachmentRoleDialog, RemoveAttachmentDialog, StepDialog
from liaison.gui.case_window import CaseWindow
from liaison.gui.dialogs import UnsavedChoice
from liaison.gui.person_file import PersonFileDialog
from tests.core.services.case_helpers import (
    PNG,
    START,
    case_at,
    person_with_need,
    referral_at,
    write_file,
)
from tests.gui.case_support import (
    K,
    add_institution,
    click,
    event_count,
    fill,
    modification,
    officer_of,
    open_window,
    pick,
    referral,
    save,
    start_step,
    texts,
)
from tests.gui.conftest import TODAY, type_text

S = ModificationStage


def new_case(ctx, area_tree, **person):  # type: ignore[no-untyped-def]
    pid, need_id = person_with_need(ctx.workspace, ctx.actor, area_tree.village, **person)
    with ctx.workspace.uow() as uow:
        case_id = modifications.open_modification(
            uow, ctx.actor, modifications.ModificationApplication(pid, START, need_id), today=TODAY).case_id
        uow.commit()
    return pid, need_id, case_id


def timeline_moves(window: CaseWindow) -> list[str]:
    return texts(window.timeline_model, 1)


# --- a modification from application to closing ---------------------------------------------


def test_a_modification_walked_from_application_to_closing(qtbot, ctx, area_tree, recorder):
    _pid, need_id, case_id = new_case(ctx, area_tree, name="王秀兰")
    window = open_window(qtbot, ctx, CaseType.MODIFICATION, case_id)
    assert window.windowTitle() == "王秀兰 — 无障碍改造"
    assert window.stage_label.text() == "当前：申请"
    assert window.stage_since.text() == f"自 {START.isoformat()} 起（{(TODAY - START).days} 天）"
    assert window.action_texts() == ["入户评估", "不符合条件…", "终止…"]
    assert [c.text() for c in window.strip_labels] == ["▶ 申请", "评估", "方案确认", "施工", "验收", "结案"]
    assert not window.items_table.isVisible() and window.items_empty.isVisible()

    # 评估: the items typed into the editor, the estimate shown as they are typed
    dialog = start_step(qtbot, window, "assessed")
    assert dialog.field("on").text() == TODAY.isoformat()
    editor = dialog.items_editor
    first = editor.lines[0]
    pick(qtbot, first.item, "ramp")
    assert (first.unit.text(), first.unit_cost.text(), first.quantity.text()) == ("米", "400.00", "1")
    fill(first.quantity, "3")
    assert first.estimate.text() == "1,200.00"
    click(qtbot, editor.add_button)
    second = editor.lines[1]
    assert QApplication.focusWidget() is second.item
    pick(qtbot, second.item, "grab_bar")
    fill(second.quantity, "2")
    fill(second.unit_cost, "260")  # the contractor's price, not the catalogue's
    assert second.estimate.text() == "520.00"
    click(qtbot, editor.add_button)
    third = editor.lines[2]
    pick(qtbot, third.item, "other")
    assert third.name.isVisible() and not third.unit.isReadOnly()
    fill(third.name, "床边扶手")
    fill(third.unit, "个")
    fill(third.quantity, "1")
    fill(third.unit_cost, "150")
    assert editor.total.text() == "预算合计：1,870.00 元"
    assert editor.cap_warning.isHidden()
    save(qtbot, dialog)

    assert recorder.errors == [] and recorder.infos == []
    case = modification(ctx, case_id)
    assert (case.stage, case.estimate_fen, case.assessed_on) == (S.ASSESSED, 187_000, TODAY)
    assert texts(window.items_model, 0) == ["坡道", "扶手", "床边扶手"]
    model = window.items_model
    assert [model.data(model.index(1, c)) for c in range(5)] == ["扶手", "2", "套", "260.00", "520.00"]
    assert window.items_total.text() == "预算合计：1,870.00 元"
    assert window.stage_label.text() == "当前：评估"
    assert timeline_moves(window) == ["登记：申请", "申请 → 评估"]

    # 方案确认: nothing to record but the date
    dialog = start_step(qtbot, window, "plan_confirmed")
    assert set(dialog.grid.fields) == {"on", "reason"}
    save(qtbot, dialog)
    assert modification(ctx, case_id).stage is S.PLAN_CONFIRMED

    # 施工: the contractor
    dialog = start_step(qtbot, window, "construction")
    fill(dialog.field("contractor"), "吉林市安居建筑工程有限公司")
    save(qtbot, dialog)
    case = modification(ctx, case_id)
    assert (case.stage, case.contractor) == (S.CONSTRUCTION, "吉林市安居建筑工程有限公司")
    assert ("施工单位", "吉林市安居建筑工程有限公司") in window.view.facts

    # 验收: the cost, the result and who accepted; no photos yet, so a warning after saving
    dialog = start_step(qtbot, window, "accepted")
    assert "评估预算 1,870.00 元" in dialog.field("actual_cost_fen").placeholderText()
    fill(dialog.field("actual_cost_fen"), "1,820.50")
    fill(dialog.field("acceptance_result"), "合格")
    fill(dialog.field("accepted_by"), "乡镇残联 张主任")
    save(qtbot, dialog)
    case = modification(ctx, case_id)
    assert (case.stage, case.actual_cost_fen, case.acceptance_result, case.accepted_by) == (
        S.ACCEPTED, 182_050, "合格", "乡镇残联 张主任")
    assert recorder.infos == ["尚未附改造前照片、改造后照片，验收材料不完整"]

    # 结案: the case is closed, a 回访 is put on the list and the officer told when it is due
    dialog = start_step(qtbot, window, "closed")
    save(qtbot, dialog)
    assert modification(ctx, case_id).stage is S.CLOSED
    due = TODAY + timedelta(days=ctx.rules.modification.follow_up_days)
    assert recorder.infos[-1] == f"已在工作清单中安排回访，请于 {due.isoformat()} 前完成。"
    with ctx.workspace.uow() as uow:
        follow_up = uow.session.scalars(select(FollowUp).where(FollowUp.case_id == case_id)).one()
        assert follow_up.due_on == due
        assert uow.session.get(Need, need_id).status is NeedStatus.MET

    assert timeline_moves(window) == [
        "登记：申请", "申请 → 评估", "评估 → 方案确认", "方案确认 → 施工", "施工 → 验收", "验收 → 结案"]
    assert texts(window.timeline_model, 0)[1:] == [TODAY.isoformat()] * 5
    assert set(texts(window.timeline_model, 2)) == {"本机管理员"}
    assert window.stage_label.text() == "当前：结案"
    assert window.action_buttons == []
    assert window.closed_note.text() == "此案件已办结（结案），不能再办理。"
    assert [c.text() for c in window.strip_labels] == [
        "✓ 申请", "✓ 评估", "✓ 方案确认", "✓ 施工", "✓ 验收", "▶ 结案"]
    assert recorder.errors == []


def test_every_step_announces_the_change(qtbot, ctx, area_tree):
    _pid, _need, case_id = new_case(ctx, area_tree)
    window = open_window(qtbot, ctx, CaseType.MODIFICATION, case_id)
    dialog = start_step(qtbot, window, "ineligible")
    fill(dialog.field("reason"), "非重度且非低保家庭")
    with qtbot.waitSignal(ctx.events.changed) as changed:
        save(qtbot, dialog)
    assert changed.args == ["case"]
    assert window.view.position == S.INELIGIBLE.value
    assert [c.text() for c in window.strip_labels] == ["✓ 申请", "✕ 不符合条件"]
    assert window.action_buttons == []
    assert "不符合条件" in window.closed_note.text()
    assert texts(window.timeline_model, 3)[-1] == "非重度且非低保家庭"
    assert ("终止原因", "非重度且非低保家庭") in window.view.facts


# --- only the steps this user may take --------------------------------------------------------


def test_back_and_end_steps_come_after_the_forward_ones(qtbot, ctx, area_tree):
    case_id, _need = case_at(ctx.workspace, ctx.actor, area_tree.village, S.CONSTRUCTION)
    window = open_window(qtbot, ctx, CaseType.MODIFICATION, case_id)
    assert window.action_texts() == ["竣工验收", "退回上一步…", "终止…"]
    forward, back, end = window.action_buttons
    assert forward.font().bold() and not back.font().bold() and not end.font().bold()
    assert [c.text() for c in window.strip_labels] == [
        "✓ 申请", "✓ 评估", "✓ 方案确认", "▶ 施工", "验收", "结案"]
    assert window.strip_labels[3].accessibleName() == "当前阶段：施工"


def test_a_village_officer_sees_no_township_review_on_a_device_referral(qtbot, ctx, area_tree):
    rid, _need = referral_at(ctx.workspace, ctx.actor, area_tree.village, ["village_reviewed"],
                             kind=K.DEVICE_FITTING, need_kind=NeedKind.ASSISTIVE_DEVICE)
    officer = officer_of(ctx, area_tree.village)
    window = open_window(qtbot, officer, CaseType.REFERRAL, rid)
    assert window.view.workflow is DEVICE_FITTING
    assert window.windowTitle().endswith("康复转介（辅具适配）")
    assert [c.text() for c in window.strip_labels] == [
        "✓ 申请", "▶ 初审（村）", "复审（乡镇）", "评估", "审批", "适配", "回访"]
    assert "乡镇复审通过" not in window.action_texts()
    allowed = DEVICE_FITTING.allowed("village_reviewed", UserRole.VILLAGE_OFFICER)
    assert window.action_texts() == [  # exactly the steps the workflow allows this officer
        t.action_label() + ("" if t.move is Move.FORWARD else "…") for t in allowed]
    assert "退回上一步…" in window.action_texts()
    assert window.closed_note.text() == "下一步“乡镇复审通过”须由乡镇或县残联办理。"
    # the township staff (here the administrator) sees it
    admin = open_window(qtbot, ctx, CaseType.REFERRAL, rid)
    assert admin.action_texts()[0] == "乡镇复审通过"


def test_a_closed_case_offers_no_step(qtbot, ctx, area_tree):
    case_id, _need = case_at(ctx.workspace, ctx.actor, area_tree.village, S.CLOSED)
    window = open_window(qtbot, ctx, CaseType.MODIFICATION, case_id)
    assert window.action_buttons == []
    assert window.closed_note.isVisible()
    assert window.closed_note.text() == "此案件已办结（结案），不能再办理。"
    assert window.add_button.isEnabled()  # photos may still be added for the record


# --- refused steps --------------------------------------------------------------------------


def test_a_step_on_a_case_changed_elsewhere_is_refused_and_changes_nothing(qtbot, ctx, area_tree, recorder):
    case_id, _need = case_at(ctx.workspace, ctx.actor, area_tree.village, S.PLAN_CONFIRMED)
    window = open_window(qtbot, ctx, CaseType.MODIFICATION, case_id)
    dialog = start_step(qtbot, window, "construction")
    fill(dialog.field("contractor"), "甲公司")
    # meanwhile the case is sent back in another window (no announcement reaches this one)
    with ctx.workspace.uow() as uow:
        modifications.move_modification(uow, ctx.actor, case_id, modifications.ModificationStep(
            S.ASSESSED, TODAY, reason="方案需调整"), rules=ctx.rules, today=TODAY)
        uow.commit()
    before = event_count(ctx, case_id)
    save(qtbot, dialog)
    assert len(recorder.errors) == 1 and "已被修改" in recorder.errors[0]
    assert dialog.isVisible() and dialog.field("contractor").text() == "甲公司"
    case = modification(ctx, case_id)
    assert (case.stage, case.contractor) == (S.ASSESSED, None)
    assert event_count(ctx, case_id) == before
    dialog.mark_clean()
    dialog.reject()
    qtbot.waitUntil(lambda: window.step_dialog is None)
    assert window.stage_label.text() == "当前：评估"  # shown as it now stands
    assert window.action_texts()[0] == "方案确认"


def test_a_step_the_workflow_refuses_shows_its_message(qtbot, ctx, area_tree, recorder):
    rid, _need = referral_at(ctx.workspace, ctx.actor, area_tree.village, ["village_reviewed"],
                             kind=K.DEVICE_FITTING, need_kind=NeedKind.ASSISTIVE_DEVICE)
    officer = officer_of(ctx, area_tree.village)
    window = open_window(qtbot, officer, CaseType.REFERRAL, rid)
    # a form for a step this officer may not take (as if built from an outdated list)
    step = DEVICE_FITTING.find("village_reviewed", "township_reviewed")
    dialog = StepDialog(officer, window.view, step, window)
    qtbot.addWidget(dialog)
    dialog.show()
    save(qtbot, dialog)
    assert recorder.errors == ["“乡镇复审通过”须由乡镇（街道）工作人员、县（区）残联工作人员、系统管理员办理"]
    assert referral(ctx, rid).device_step is DeviceStep.VILLAGE_REVIEWED


def test_sending_back_without_a_reason_is_refused_under_the_reason(qtbot, ctx, area_tree, recorder):
    case_id, _need = case_at(ctx.workspace, ctx.actor, area_tree.village, S.ACCEPTED)
    window = open_window(qtbot, ctx, CaseType.MODIFICATION, case_id)
    dialog = start_step(qtbot, window, "construction")  # 退回上一步
    assert dialog.intro.text() == "把案件从“验收”退回到“施工”。请写明退回原因。"
    assert dialog.grid.labels["reason"].text() == "原因："
    save(qtbot, dialog)
    assert dialog.error_text("reason") == "⚠ 必须写明原因"
    assert QApplication.focusWidget() is dialog.field("reason")
    assert modification(ctx, case_id).stage is S.ACCEPTED
    fill(dialog.field("reason"), "验收不合格，扶手松动需返工")
    save(qtbot, dialog)
    case = modification(ctx, case_id)
    assert (case.stage, case.accepted_on, case.actual_cost_fen) == (S.CONSTRUCTION, None, None)
    assert texts(window.timeline_model, 3)[-1] == "验收不合格，扶手松动需返工"
    assert timeline_moves(window)[-1] == "验收 → 施工"


def test_a_date_before_the_stage_is_shown_under_the_date(qtbot, ctx, area_tree, recorder):
    case_id, _need = case_at(ctx.workspace, ctx.actor, area_tree.village, S.ASSESSED)
    window = open_window(qtbot, ctx, CaseType.MODIFICATION, case_id)
    dialog = start_step(qtbot, window, "plan_confirmed")
    fill(dialog.field("on"), START.isoformat())
    save(qtbot, dialog)
    assert dialog.error_text("on").startswith("⚠ 不能早于进入“评估”阶段的日期")
    assert recorder.errors == []
    assert modification(ctx, case_id).stage is S.ASSESSED


# --- warnings ---------------------------------------------------------------------------------


def test_an_estimate_over_the_household_cap_is_warned_about(qtbot, ctx, area_tree, recorder):
    _pid, _need, case_id = new_case(ctx, area_tree)
    window = open_window(qtbot, ctx, CaseType.MODIFICATION, case_id)
    dialog = start_step(qtbot, window, "assessed")
    line = dialog.items_editor.lines[0]
    pick(qtbot, line.item, "stove")  # 灶台改低, 1,200 元 each
    fill(line.quantity, "6")
    warning = dialog.items_editor.cap_warning
    assert warning.isVisible()
    assert warning.text() == ("⚠ 评估预算 7,200.00 元超过每户改造上限 6,000.00 元（超出 1,200.00 元），"
                              "请说明理由或调整方案")
    fill(line.quantity, "5")
    assert warning.isHidden()
    fill(line.quantity, "6")
    save(qtbot, dialog)
    assert modification(ctx, case_id).estimate_fen == 720_000  # a warning does not stop saving
    assert recorder.infos == [warning.text().removeprefix("⚠ ")]
    assert window.warnings_label.isVisible() and "超过每户改造上限" in window.warnings_label.text()


# --- referrals ---------------------------------------------------------------------------------


def test_a_referral_is_accepted_by_an_institution_of_its_service(qtbot, ctx, area_tree, recorder):
    centre = add_institution(ctx, "昌邑区残疾人康复中心", [K.REHAB_TRAINING, K.DEVICE_FITTING])
    add_institution(ctx, "精神康复医院", [K.PSYCHIATRIC_MEDICATION])
    rid, _need = referral_at(ctx.workspace, ctx.actor, area_tree.village, [])
    window = open_window(qtbot, ctx, CaseType.REFERRAL, rid)
    assert ("定点机构", "未选定") in window.view.facts
    assert window.action_texts() == ["机构受理", "未受理…"]
    dialog = start_step(qtbot, window, "accepted")
    picker = dialog.field("institution_id")
    assert [picker.itemText(i) for i in range(picker.count())] == ["（请选择受理机构）", "昌邑区残疾人康复中心"]
    save(qtbot, dialog)
    assert dialog.error_text("institution_id") == "⚠ 请选择受理的定点机构"
    pick(qtbot, picker, centre)
    save(qtbot, dialog)
    row = referral(ctx, rid)
    assert (row.state, row.institution_id, row.accepted_on) == (ReferralState.ACCEPTED, centre, TODAY)
    assert ("定点机构", "昌邑区残疾人康复中心") in window.view.facts
    assert not window.items_box.isVisible()

    start_step(qtbot, window, "in_service")
    save(qtbot, window.step_dialog)
    dialog = start_step(qtbot, window, "completed")
    assert {"outcome", "cost_fen"} <= set(dialog.grid.fields)
    fill(dialog.field("outcome"), "训练 3 个月，能扶拐行走")
    fill(dialog.field("cost_fen"), "3600")
    save(qtbot, dialog)
    row = referral(ctx, rid)
    assert (row.state, row.outcome, row.cost_fen) == (ReferralState.COMPLETED, "训练 3 个月，能扶拐行走", 360_000)
    assert timeline_moves(window) == ["登记：转介", "转介 → 受理", "受理 → 服务中", "服务中 → 结案（完成）"]
    assert recorder.errors == []


def test_a_childs_cost_over_the_rescue_cap_is_shown_under_the_cost(qtbot, ctx, area_tree, recorder):
    centre = add_institution(ctx, "儿童康复中心", list(K))
    rid, _need = referral_at(ctx.workspace, ctx.actor, area_tree.village, [], name="李小宝",
                             birth=date(2021, 3, 1), certified=False, diagnosis="脑瘫",
                             diagnosed_on=date(2022, 1, 1))
    window = open_window(qtbot, ctx, CaseType.REFERRAL, rid)
    dialog = start_step(qtbot, window, "accepted")
    pick(qtbot, dialog.field("institution_id"), centre)
    fill(dialog.field("cost_fen"), "30000")
    save(qtbot, dialog)
    message = dialog.error_text("cost_fen")
    assert message.startswith("⚠ 康复训练年度救助上限 24,000.00 元") and "超出 6,000.00 元" in message
    assert QApplication.focusWidget() is dialog.field("cost_fen")
    row = referral(ctx, rid)
    assert (row.state, row.cost_fen) == (ReferralState.REFERRED, None)
    fill(dialog.field("cost_fen"), "20000")
    save(qtbot, dialog)
    row = referral(ctx, rid)
    assert (row.state, row.cost_fen) == (ReferralState.ACCEPTED, 2_000_000)
    assert len(recorder.infos) == 1 and "剩余" in recorder.infos[0]  # the cap line, for the record


def test_a_device_return_visit_needs_what_was_found(qtbot, ctx, area_tree, recorder):
    centre = add_institution(ctx, "辅具中心", [K.DEVICE_FITTING])
    rid, _need = referral_at(ctx.workspace, ctx.actor, area_tree.village,
                             ["village_reviewed", "township_reviewed", "assessed", "approved", "fitted"],
                             kind=K.DEVICE_FITTING, need_kind=NeedKind.ASSISTIVE_DEVICE, institution_id=centre)
    window = open_window(qtbot, ctx, CaseType.REFERRAL, rid)
    assert window.action_texts() == ["回访"]
    dialog = start_step(qtbot, window, "revisited")
    assert dialog.grid.labels["outcome"].text() == "回访情况："
    save(qtbot, dialog)
    assert dialog.error_text("outcome") == "⚠ 请写明回访情况"
    assert referral(ctx, rid).device_step is DeviceStep.FITTED
    fill(dialog.field("outcome"), "轮椅使用良好")
    save(qtbot, dialog)
    assert referral(ctx, rid).device_step is DeviceStep.REVISITED
    assert window.action_buttons == []
    assert texts(window.timeline_model, 3)[-1] == "轮椅使用良好"


# --- attachments ------------------------------------------------------------------------------


def test_a_photo_is_attached_opened_and_reported_missing_when_gone(
        qtbot, ctx, area_tree, recorder, monkeypatch, tmp_path):
    case_id, _need = case_at(ctx.workspace, ctx.actor, area_tree.village, S.CONSTRUCTION)
    window = open_window(qtbot, ctx, CaseType.MODIFICATION, case_id)
    photo = write_file(tmp_path, "卫生间门口.png", PNG)
    asked = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(photo), ""))
    monkeypatch.setattr(AttachmentRoleDialog, "ask", classmethod(
        lambda cls, parent, name, roles, default: asked.append((name, roles, default))
        or (AttachmentRole.BEFORE, "改造前的卫生间门口")))
    monkeypatch.setattr(viewer_copies.tempfile, "tempdir", str(tmp_path / "temp"))
    (tmp_path / "temp").mkdir()
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)

    click(qtbot, window.add_button)
    qtbot.waitUntil(lambda: not window.attaching and window.attachments_model.rowCount() == 1)
    assert asked == [("卫生间门口.png", list(AttachmentRole), AttachmentRole.BEFORE)]
    model = window.attachments_model
    assert [model.data(model.index(0, c)) for c in range(6)] == [
        "改造前照片", "卫生间门口.png", TODAY.isoformat(), "本机管理员", "可打开", "改造前的卫生间门口"]
    assert window.attachments_count.text() == "共 1 个附件"

    window.attachments_table.setFocus()
    window.attachments_table.selectRow(0)
    qtbot.keyClick(window.attachments_table, Qt.Key.Key_Return)
    assert len(opened) == 1
    copy = opened[0].toLocalFile()
    assert copy.endswith("卫生间门口.png") and Path(copy).read_bytes() == PNG
    table = window.attachments_table
    cell = table.visualRect(window.attachments_model.index(0, 1)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=cell)  # a double-click:
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=cell)  # press, then again
    assert len(opened) == 2 and opened[1].toLocalFile() == copy  # once, from the same copy

    with ctx.workspace.uow() as uow:
        sha = uow.session.scalars(select(Attachment.sha256).where(Attachment.case_id == case_id)).one()
    ctx.workspace.files.path_for(sha).unlink()
    ctx.events.changed.emit("case")
    assert model.data(model.index(0, 4)) == "⚠ 文件缺失"
    assert window.attachments_count.text() == "共 1 个附件，其中 1 个文件缺失"
    window.attachments_table.selectRow(0)
    click(qtbot, window.open_button)
    assert len(opened) == 2
    assert recorder.errors == [
        f"附件“卫生间门口.png”的文件已不在本机资料夹中（编号 {sha[:12]}），请从备份恢复或重新添加"]


def test_a_file_that_cannot_be_attached_is_explained(qtbot, ctx, area_tree, recorder, monkeypatch, tmp_path):
    case_id, _need = case_at(ctx.workspace, ctx.actor, area_tree.village, S.APPLIED)
    window = open_window(qtbot, ctx, CaseType.MODIFICATION, case_id)
    fake = write_file(tmp_path, "照片.png", b"not a picture at all")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(fake), ""))
    monkeypatch.setattr(AttachmentRoleDialog, "ask", classmethod(
        lambda cls, parent, name, roles, default: (default, None)))
    click(qtbot, window.add_button)
    qtbot.waitUntil(lambda: not window.attaching)
    assert recorder.errors == ["附件：照片.png 的内容与扩展名不符（文件可能已损坏或被改名）"]
    assert window.attachments_model.rowCount() == 0 and window.add_button.isEnabled()


def test_removing_an_attachment_asks_why(qtbot, ctx, area_tree, recorder, monkeypatch, tmp_path):
    case_id, _need = case_at(ctx.workspace, ctx.actor, area_tree.village, S.ACCEPTED)
    window = open_window(qtbot, ctx, CaseType.MODIFICATION, case_id)
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *a, **k: (str(write_file(tmp_path, "错的.png", PNG)), ""))
    monkeypatch.setattr(AttachmentRoleDialog, "ask", classmethod(
        lambda cls, parent, name, roles, default: (default, None)))
    click(qtbot, window.add_button)
    qtbot.waitUntil(lambda: window.attachments_model.rowCount() == 1)
    assert window.attachments_model.row_at(0).role is AttachmentRole.AFTER  # suggested in 验收
    assert not window.remove_button.isEnabled()  # nothing chosen yet
    window.attachments_table.selectRow(0)
    answers = [None, "传错了照片"]
    monkeypatch.setattr(RemoveAttachmentDialog, "ask", classmethod(lambda cls, parent, name: answers.pop(0)))
    click(qtbot, window.remove_button)  # cancelled
    assert window.attachments_model.rowCount() == 1
    click(qtbot, window.remove_button)
    assert window.attachments_model.rowCount() == 0
    with ctx.workspace.uow() as uow:
        assert uow.session.scalars(select(Attachment.removed)).one() is True


def test_the_role_question_needs_no_more_than_a_choice(qtbot):
    dialog = AttachmentRoleDialog(None, "a.png", [AttachmentRole.DOCUMENT], AttachmentRole.DOCUMENT)
    qtbot.addWidget(dialog)
    dialog.accept()
    assert dialog.answer == (AttachmentRole.DOCUMENT, None)
    remove = RemoveAttachmentDialog(None, "a.png")
    qtbot.addWidget(remove)
    remove.accept()
    assert remove.answer is None and remove.grid.errors["reason"].text() == "⚠ 必须写明原因"


# --- links and windows --------------------------------------------------------------------------


def test_open_case_brings_the_same_window_back(qtbot, ctx, area_tree):
    case_id, _need = case_at(ctx.workspace, ctx.actor, area_tree.village, S.ASSESSED)
    first = windows.open_case(ctx, None, CaseType.MODIFICATION, case_id)  # freed when closed
    assert windows.open_case(ctx, None, CaseType.MODIFICATION, case_id) is first
    first.close()
    second = windows.open_case(ctx, None, CaseType.MODIFICATION, case_id)
    assert second is not first and second.isVisible()
    second.close()


def test_the_header_links_to_the_person_file(qtbot, ctx, area_tree, monkeypatch):
    pid, need_id, case_id = new_case(ctx, area_tree, name="赵桂芝")
    window = open_window(qtbot, ctx, CaseType.MODIFICATION, case_id)
    assert window.name_label.text() == "赵桂芝"
    assert window.view.id_number_masked in window.person_label.text()
    assert "两家子村" in window.person_label.text()
    assert window.need_text.text().startswith("无障碍改造（")
    click(qtbot, window.need_button)
    person = windows.open_person_file(ctx, None, pid)  # the one the link opened
    assert person.current_section() == "needs"
    assert person._selected_need().id == need_id
    person.select_section("identity")
    click(qtbot, window.file_button)
    assert windows.open_person_file(ctx, None, pid) is person
    assert person.current_section() == "cases"
    assert person.cases_model.rowCount() == 1
    person.close()


def test_a_step_dialog_with_typed_input_asks_before_closing(qtbot, ctx, area_tree, recorder):
    case_id, _need = case_at(ctx.workspace, ctx.actor, area_tree.village, S.PLAN_CONFIRMED)
    window = open_window(qtbot, ctx, CaseType.MODIFICATION, case_id)
    dialog = start_step(qtbot, window, "construction")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # nothing typed: closes at once
    qtbot.waitUntil(lambda: window.step_dialog is None)
    assert recorder.asked == []
    dialog = start_step(qtbot, window, "construction")
    fill(dialog.field("contractor"), "乙公司")
    recorder.unsaved_answers.append(UnsavedChoice.CANCEL)
    qtbot.keyClick(dialog.field("contractor"), Qt.Key.Key_Escape)
    assert recorder.asked == ["“开始施工”"] and dialog.isVisible()
    recorder.unsaved_answers.append(UnsavedChoice.SAVE)
    qtbot.keyClick(dialog.field("contractor"), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.step_dialog is None)
    assert modification(ctx, case_id).contractor == "乙公司"


def test_the_next_step_is_reachable_by_keyboard(qtbot, ctx, area_tree, recorder):
    case_id, _need = case_at(ctx.workspace, ctx.actor, area_tree.village, S.PLAN_CONFIRMED)
    window = open_window(qtbot, ctx, CaseType.MODIFICATION, case_id)
    assert QApplication.focusWidget() is window.action_button("construction")
    chain = [window.remove_button.nextInFocusChain()]
    while chain[-1] is not window.close_button:
        chain.append(chain[-1].nextInFocusChain())
    tab_stops = [w for w in chain if w.focusPolicy() & Qt.FocusPolicy.TabFocus and w.isVisible()]
    assert tab_stops == [*window.action_buttons, window.close_button]
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    dialog = window.step_dialog
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    assert QApplication.focusWidget() is dialog.field("on")
    qtbot.keyClick(dialog.field("on"), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.field("contractor")
    type_text(dialog.field("contractor"), "丙公司")
    qtbot.keyClick(dialog.field("contractor"), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.step_dialog is None)
    assert modification(ctx, case_id).contractor == "丙公司"
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.isVisible()


def test_the_case_window_renders_at_200_percent_font(qtbot, ctx, area_tree, qapp):
    from liaison.gui.app import apply_font_scale

    case_id, _need = case_at(ctx.workspace, ctx.actor, area_tree.village, S.CONSTRUCTION)
    ctx.settings.font_scale = 200
    apply_font_scale(qapp, 200)
    try:
        window = open_window(qtbot, ctx, CaseType.MODIFICATION, case_id)
        qapp.processEvents()
        screen = window.screen().availableGeometry()
        assert window.width() <= screen.width() and window.height() <= screen.height()
        for button in [*window.action_buttons, window.close_button, window.add_button]:
            assert button.width() >= button.sizeHint().width(), button.text()
        assert window.facts_grid.columnCount() == 2  # one column of facts at large sizes
    finally:
        apply_font_scale(qapp, 100)


@pytest.fixture(autouse=True)
def _no_windows_left(ctx):  # type: ignore[no-untyped-def]
    """Windows opened through `windows` are held by the workspace; close them after a test."""
    yield
    for window in list(ctx.workspace.cache.get("held_windows", ())):
        if isinstance(window, (CaseWindow, PersonFileDialog)) and window.isVisible():
            window.close()
