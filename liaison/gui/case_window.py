"""One case in its own window: a home modification (无障碍改造) or a rehabilitation referral
(康复转介, with 辅具适配 following its own steps).

At the top: who it is for, the need it serves, the stage it is in (large) and since when,
the workflow's stages with this one marked, and any warnings. Below: the facts, the surveyed
items with their total, the timeline of every step, and the attachments. At the bottom: one
button per step this user may take now (forward steps first; sending back and ending are
set apart), or a note that the case is closed.

Reading a case is a few small queries, done on the GUI thread like the person file;
attaching a file (copying and hashing up to 20 MB) runs in the background.
"""

from __future__ import annotations

import itertools
import os
import uuid
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QFont
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from liaison.core.enums import CaseType, UserRole, label
from liaison.core.errors import LiaisonError
from liaison.core.i18n import _
from liaison.core.rules.money import format_yuan
from liaison.core.rules.workflows import Move, Transition
from liaison.core.services.attachments import (
    ALLOWED_SUFFIXES,
    AttachmentRow,
    attach_file,
    export_attachment,
    remove_attachment,
)
from liaison.core.services.case_common import TimelineEntry
from liaison.core.services.case_lists import CaseView, ItemRow, open_case
from liaison.gui import dialogs, windows
from liaison.gui.case_dialogs import (
    AttachmentRoleDialog,
    RemoveAttachmentDialog,
    StepDialog,
    WarningLabel,
    attachment_roles_for,
    money_text,
    suggested_role,
)
from liaison.gui.context import GuiContext
from liaison.gui.fields import ErrorLabel
from liaison.gui.flow_layout import FlowLayout
from liaison.gui.ops import Op, report_error, run_in_background
from liaison.gui.person_file_sections import Column, RecordTableModel, format_date, record_table
from liaison.gui.viewer_copies import open_copy_dir
from liaison.gui.visit_form import plain_button

Index = QModelIndex | QPersistentModelIndex
CURRENT_STYLE = ("background: #1f5fa8; color: white; border-radius: 4px; padding: 2px 8px;"
                 " font-weight: bold;")
DONE_STYLE = "color: #2e6b30; padding: 2px 4px;"
TODO_STYLE = "color: #666666; padding: 2px 4px;"
ENDED_STYLE = ("background: #9a2a2a; color: white; border-radius: 4px; padding: 2px 8px;"
               " font-weight: bold;")
TABLE_ROWS_SHOWN = 8  # a table taller than this scrolls inside itself


class CaseTableModel(RecordTableModel):
    """A record table whose amount and count columns read right-aligned."""

    def __init__(self, columns: list[Column], right: set[int], parent: Any = None) -> None:
        super().__init__(columns, parent)
        self._right = right

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.TextAlignmentRole and index.isValid():
            if index.column() in self._right:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        return super().data(index, role)


def item_columns() -> list[Column]:
    return [
        (_("名称"), lambda i: i.name),
        (_("数量"), lambda i: str(i.quantity)),
        (_("单位"), lambda i: i.unit or ""),
        (_("单价（元）"), lambda i: format_yuan(i.unit_cost_fen)),
        (_("预算（元）"), lambda i: format_yuan(i.estimate_fen)),
    ]


def timeline_columns(view_of: Any) -> list[Column]:
    def move(entry: TimelineEntry) -> str:
        view: CaseView = view_of()
        if entry.source is None:
            return _("登记：{to}").format(to=view.state_label(entry.target))
        return f"{view.state_label(entry.source)} → {view.state_label(entry.target)}"

    return [
        (_("日期"), lambda e: format_date(e.on)),
        (_("环节变化"), move),
        (_("办理人"), lambda e: e.by_user),
        (_("原因 / 说明"), lambda e: e.reason or ""),
    ]


def attachment_columns() -> list[Column]:
    return [
        (_("类别"), lambda a: label(a.role)),
        (_("文件名"), lambda a: a.file_name),
        (_("添加日期"), lambda a: format_date(a.added_on)),
        (_("添加人"), lambda a: a.added_by),
        (_("状态"), lambda a: _("可打开") if a.available else _("⚠ 文件缺失")),
        (_("说明"), lambda a: a.note or ""),
    ]


def fit_table(table: QTableView) -> None:
    """As tall as its rows (up to TABLE_ROWS_SHOWN), so the window scrolls, not the table."""
    rows = table.model().rowCount()
    shown = max(1, min(rows, TABLE_ROWS_SHOWN))
    header = table.horizontalHeader().sizeHint().height()
    if rows:
        body = sum(table.rowHeight(r) for r in range(shown))
    else:
        body = table.verticalHeader().defaultSectionSize()
    table.setFixedHeight(header + body + 2 * table.frameWidth() + 2)


def _clear(layout: Any) -> None:
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget()
        if widget is not None:
            widget.hide()
            widget.deleteLater()
        elif item.layout() is not None:
            _clear(item.layout())


class CaseWindow(QDialog):
    """One case; non-modal, opened through `windows.open_case`."""

    def __init__(self, ctx: GuiContext, case_type: CaseType, case_id: uuid.UUID,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.case_type = CaseType(case_type)
        self.case_id = case_id
        self.view: CaseView | None = None
        self.step_dialog: StepDialog | None = None
        self.action_buttons: list[QPushButton] = []
        self._transitions: dict[QPushButton, Transition] = {}
        self._attaching: Op | None = None
        self.setModal(False)
        self.setWindowFlag(Qt.WindowType.WindowMinMaxButtonsHint, True)
        self._build()
        ctx.events.changed.connect(self._on_data_changed)
        self.reload()
        self._fit_to_screen()
        (self.action_buttons[0] if self.action_buttons else self.close_button).setFocus()

    # --- building ------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.addLayout(self._header())
        self.message_line = ErrorLabel()
        self.message_line.setObjectName("message_line")
        layout.addWidget(self.message_line)
        content = QWidget()
        column = QVBoxLayout(content)
        strip = QWidget()
        strip.setObjectName("stage_strip")
        self.strip_layout = FlowLayout(strip, spacing=2)  # wraps at large font sizes
        self.strip_labels: list[QLabel] = []
        column.addWidget(strip)
        self.warnings_label = WarningLabel()
        self.warnings_label.setObjectName("warnings")
        column.addWidget(self.warnings_label)
        self.facts_box = QGroupBox(_("基本情况"))
        self.facts_grid = QGridLayout(self.facts_box)
        column.addWidget(self.facts_box)
        column.addWidget(self._items_box())
        column.addWidget(self._timeline_box())
        column.addWidget(self._attachments_box())
        column.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.scroll_area.setWidget(content)
        layout.addWidget(self.scroll_area, 1)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        layout.addWidget(line)
        self.actions_row = QHBoxLayout()
        self.closed_note = QLabel()
        self.closed_note.setObjectName("closed_note")
        self.closed_note.setWordWrap(True)
        self.close_button = plain_button(_("关闭(&C)"))
        self.close_button.setToolTip(_("关闭（Esc）"))
        self.close_button.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addLayout(self.actions_row, 1)
        bottom.addWidget(self.closed_note, 1)
        bottom.addWidget(self.close_button)
        layout.addLayout(bottom)

    def _header(self) -> QVBoxLayout:
        box = QVBoxLayout()
        top = QHBoxLayout()
        self.name_label = QLabel()
        self.name_label.setObjectName("person_name")
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.name_label.setFont(font)
        self.person_label = QLabel()
        self.person_label.setObjectName("person_line")
        self.person_label.setWordWrap(True)
        self.person_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.file_button = plain_button(_("打开档案(&O)"))
        self.file_button.setToolTip(_("打开此人的档案（一人一档）"))
        self.file_button.clicked.connect(self.open_person_file)
        top.addWidget(self.name_label)
        top.addWidget(self.person_label, 1)
        top.addWidget(self.file_button)
        box.addLayout(top)
        need_row = QHBoxLayout()
        need_caption = QLabel(_("服务的需求："))
        need_caption.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.need_text = QLabel()
        self.need_text.setObjectName("need_text")
        self.need_text.setWordWrap(True)
        self.need_button = plain_button(_("查看需求(&N)"))
        self.need_button.setToolTip(_("在档案的“需求”栏目中查看这项需求的处理经过"))
        self.need_button.clicked.connect(self.open_need)
        need_row.addWidget(need_caption)
        need_row.addWidget(self.need_text, 1)
        need_row.addWidget(self.need_button, 0, Qt.AlignmentFlag.AlignTop)
        box.addLayout(need_row)
        stage_row = QHBoxLayout()
        self.stage_label = QLabel()
        self.stage_label.setObjectName("stage_label")
        big = QFont(self.font())
        big.setPointSizeF(big.pointSizeF() * 1.6)
        big.setBold(True)
        self.stage_label.setFont(big)
        self.stage_since = QLabel()
        self.stage_since.setObjectName("stage_since")
        stage_row.addWidget(self.stage_label)
        stage_row.addWidget(self.stage_since, 1, Qt.AlignmentFlag.AlignBottom)
        box.addLayout(stage_row)
        return box

    def _items_box(self) -> QGroupBox:
        self.items_box = QGroupBox(_("改造项目（入户评估）"))
        layout = QVBoxLayout(self.items_box)
        self.items_model = CaseTableModel(item_columns(), {1, 3, 4}, self)
        self.items_table = record_table(self.items_model, _("改造项目"))
        header = self.items_table.horizontalHeader()
        header.setStretchLastSection(False)  # the name takes the room, the amounts stay close
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.items_total = QLabel()
        self.items_total.setObjectName("items_total")
        self.items_total.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.items_empty = QLabel(_("尚未入户评估，评估时登记改造项目和预算。"))
        layout.addWidget(self.items_table)
        layout.addWidget(self.items_empty)
        layout.addWidget(self.items_total)
        return self.items_box

    def _timeline_box(self) -> QGroupBox:
        box = QGroupBox(_("办理经过"))
        layout = QVBoxLayout(box)
        self.timeline_model = CaseTableModel(timeline_columns(lambda: self.view), set(), self)
        self.timeline_table = record_table(self.timeline_model, _("办理经过"))
        layout.addWidget(self.timeline_table)
        return box

    def _attachments_box(self) -> QGroupBox:
        box = QGroupBox(_("附件（照片与材料）"))
        layout = QVBoxLayout(box)
        self.attachments_model = CaseTableModel(attachment_columns(), set(), self)
        self.attachments_table = record_table(self.attachments_model, _("附件"))
        self.attachments_table.activated.connect(lambda _i: self.open_attachment())  # Enter, double-click
        self.attachments_table.selectionModel().currentRowChanged.connect(
            lambda *_a: self._update_attachment_buttons())
        self.attachments_count = QLabel()
        kinds = "、".join(sorted({s.lstrip(".").upper() for s in ALLOWED_SUFFIXES}))
        self.attachments_empty = QLabel(_("暂无附件。可添加入户勘测、改造前后的照片和扫描的材料（{kinds}）。").format(
            kinds=kinds))
        self.attachments_empty.setWordWrap(True)
        self.add_button = plain_button(_("添加附件(&A)…"))
        self.add_button.clicked.connect(self.add_attachment)
        self.open_button = plain_button(_("打开(&P)"))
        self.open_button.clicked.connect(self.open_attachment)
        self.remove_button = plain_button(_("移除(&R)…"))
        self.remove_button.clicked.connect(self.remove_attachment)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.open_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.attachments_count)
        layout.addWidget(self.attachments_table)
        layout.addWidget(self.attachments_empty)
        layout.addLayout(buttons)
        return box

    def _fit_to_screen(self) -> None:
        em = self.fontMetrics().horizontalAdvance("走")
        screen = self.screen().availableGeometry()
        self.resize(min(screen.width() * 95 // 100, max(em * 60, self.sizeHint().width())),
                    min(screen.height() * 95 // 100, em * 46))

    # --- loading ---------------------------------------------------------------------------

    def reload(self) -> bool:
        """Read the case again and show it."""
        try:
            with self.ctx.workspace.uow() as uow:
                view = open_case(uow, self.ctx.actor, self.ctx.workspace.files, self.case_type,
                                 self.case_id, rules=self.ctx.rules, today=self.ctx.today())
        except LiaisonError as exc:
            self.message_line.show_message(exc.message)
            self.scroll_area.setEnabled(False)
            self._set_actions([], final=False)
            return False
        self.message_line.show_message(None)
        self.scroll_area.setEnabled(True)
        self.view = view
        self._show(view)
        return True

    def _show(self, view: CaseView) -> None:
        kind = (_("无障碍改造") if view.case_type is CaseType.MODIFICATION
                else _("康复转介（{kind}）").format(kind=label(view.service_kind)))
        self.setWindowTitle(_("{name} — {kind}").format(name=view.person_name, kind=kind))
        self.name_label.setText(view.person_name)
        self.person_label.setText(f"{view.id_number_masked}　{view.village}　{kind}")
        self.need_text.setText(view.need_label or _("（未关联需求）"))
        self.need_button.setEnabled(view.need_id is not None)
        self.stage_label.setText(_("当前：{stage}").format(stage=view.position_label))
        days = (self.ctx.today() - view.stage_on).days
        self.stage_since.setText(_("自 {on} 起（{days} 天）").format(
            on=format_date(view.stage_on), days=days))
        self._show_strip(view)
        self.warnings_label.show_message("\n⚠ ".join(view.warnings) or None)
        self._show_facts(view.facts)
        self._show_items(view)
        self.timeline_model.set_rows(view.timeline)
        fit_table(self.timeline_table)
        self._show_attachments(view.attachments)
        self._set_actions(view.actions, final=view.final)

    def _show_strip(self, view: CaseView) -> None:
        """The stages in order, the current one marked (in words as well as colour)."""
        _clear(self.strip_layout)
        self.strip_labels = []
        order = list(view.workflow.order)
        ended = view.position not in order
        if ended:
            source = next((e.source for e in reversed(view.timeline)
                           if e.target == view.position and e.source), None)
            reached = order.index(source) if source in order else -1
            chips = [(s, "done") for s in order[: reached + 1]] + [(view.position, "ended")]
        else:
            current = order.index(view.position)
            chips = [(s, "done" if i < current else "current" if i == current else "todo")
                     for i, s in enumerate(order)]
        for i, (state, kind) in enumerate(chips):
            text = view.state_label(state)
            chip = QLabel({"done": "✓ ", "current": "▶ ", "ended": "✕ ", "todo": ""}[kind] + text)
            chip.setObjectName(f"stage_{kind}")
            chip.setStyleSheet({"done": DONE_STYLE, "current": CURRENT_STYLE,
                                "ended": ENDED_STYLE, "todo": TODO_STYLE}[kind])
            chip.setAccessibleName({"done": _("已完成：{s}"), "current": _("当前阶段：{s}"),
                                    "ended": _("已结束：{s}"), "todo": _("未到：{s}")}[kind].format(s=text))
            step = QWidget()  # the stage and the arrow after it stay on one line
            row = QHBoxLayout(step)
            row.setContentsMargins(0, 0, 0, 0)
            row.addWidget(chip)
            if i < len(chips) - 1:
                arrow = QLabel("→")
                arrow.setStyleSheet(TODO_STYLE)
                row.addWidget(arrow)
            self.strip_layout.addWidget(step)
            self.strip_labels.append(chip)

    def _show_facts(self, facts: list[tuple[str, str]]) -> None:
        _clear(self.facts_grid)
        columns = 2 if self.ctx.settings.font_scale <= 150 else 1
        rows = (len(facts) + columns - 1) // columns
        for i, (caption, value) in enumerate(facts):
            row, col = (i % rows, (i // rows) * 2)  # read down, then across
            name = QLabel(caption + "：")
            name.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            text = QLabel(value)
            text.setWordWrap(True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            text.setAccessibleName(caption)
            if value == "—":
                text.setStyleSheet(TODO_STYLE)
            self.facts_grid.addWidget(name, row, col)
            self.facts_grid.addWidget(text, row, col + 1)
        for col in range(columns):
            self.facts_grid.setColumnStretch(col * 2 + 1, 1)

    def _show_items(self, view: CaseView) -> None:
        modification = view.case_type is CaseType.MODIFICATION
        self.items_box.setVisible(modification)
        if not modification:
            return
        items: list[ItemRow] = view.items
        self.items_model.set_rows(items)
        fit_table(self.items_table)
        self.items_table.setVisible(bool(items))
        self.items_empty.setVisible(not items)
        total = sum(i.estimate_fen for i in items)
        self.items_total.setText(_("预算合计：{amount}").format(amount=money_text(total)))
        self.items_total.setVisible(bool(items))

    def _show_attachments(self, rows: list[AttachmentRow]) -> None:
        selected = self.selected_attachment()
        self.attachments_model.set_rows(rows)
        fit_table(self.attachments_table)
        self.attachments_table.setVisible(bool(rows))
        self.attachments_empty.setVisible(not rows)
        missing = sum(1 for a in rows if not a.available)
        text = _("共 {n} 个附件").format(n=len(rows))
        if missing:
            text += _("，其中 {m} 个文件缺失").format(m=missing)
        self.attachments_count.setText(text)
        if selected is not None:
            for i, row in enumerate(rows):
                if row.id == selected.id:
                    self.attachments_table.selectRow(i)
        self._update_attachment_buttons()

    def _set_actions(self, actions: list[Transition], *, final: bool) -> None:
        """One button per step allowed now: forward steps first and prominent, sending back
        and ending after a gap, plain."""
        _clear(self.actions_row)
        self.action_buttons = []
        self._transitions = {}
        forward = [t for t in actions if t.move is Move.FORWARD]
        others = [t for t in actions if t.move is not Move.FORWARD]
        for i, transition in enumerate(forward + others):
            if i == len(forward) and forward:
                self.actions_row.addSpacing(self.fontMetrics().horizontalAdvance("走") * 2)
            text = transition.action_label() + ("…" if transition.move is not Move.FORWARD else "")
            button = plain_button(text)
            button.setObjectName(f"action_{transition.target}")
            if transition.move is Move.FORWARD:
                font = QFont(button.font())
                font.setBold(True)
                button.setFont(font)
                button.setToolTip(_("进入“{stage}”").format(
                    stage=self.view.state_label(transition.target) if self.view else ""))
            else:
                button.setToolTip(_("须写明原因"))
            button.clicked.connect(lambda _c=False, t=transition: self.start_step(t))
            self.actions_row.addWidget(button)
            self.action_buttons.append(button)
            self._transitions[button] = transition
        self.actions_row.addStretch(1)
        chain = [self.remove_button, *self.action_buttons, self.close_button]
        for first, second in itertools.pairwise(chain):  # the new buttons before 关闭
            QWidget.setTabOrder(first, second)
        self.closed_note.setText(self._note_on_actions(actions, final=final))
        self.closed_note.setVisible(bool(self.closed_note.text()))

    def _note_on_actions(self, actions: list[Transition], *, final: bool) -> str:
        """Why a step is missing: the case is closed, or the next step is someone else's."""
        view = self.view
        if view is None:
            return ""
        if final:
            return _("此案件已办结（{stage}），不能再办理。").format(stage=view.position_label)
        withheld = [t for t in view.workflow.from_state(view.position)
                    if t.move is Move.FORWARD and t not in actions]
        if not withheld:
            return ""
        roles = withheld[0].roles or frozenset()
        who = _("乡镇或县残联") if UserRole.TOWNSHIP_STAFF in roles else _("县残联")
        return _("下一步“{action}”须由{who}办理。").format(
            action=withheld[0].action_label(), who=who)

    def action_texts(self) -> list[str]:
        return [b.text() for b in self.action_buttons]

    def action_button(self, target: str) -> QPushButton:
        return next(b for b in self.action_buttons if self._transitions[b].target == target)

    def _on_data_changed(self, kind: str) -> None:
        if kind in ("case", "need", "person", "workspace"):
            self.reload()

    # --- steps -----------------------------------------------------------------------------

    def start_step(self, transition: Transition) -> StepDialog | None:
        """Open the form for one step (window-modal; the case reloads once it is saved)."""
        if self.view is None:
            return None
        if self.step_dialog is not None:
            self.step_dialog.raise_()
            self.step_dialog.activateWindow()
            return self.step_dialog
        dialog = StepDialog(self.ctx, self.view, transition, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(self._step_finished)
        self.step_dialog = dialog
        dialog.open()
        return dialog

    def _step_finished(self, _result: int) -> None:
        self.step_dialog = None
        self.reload()  # a refused or stale step: show the case as it now stands
        target = self.action_buttons[0] if self.action_buttons else self.close_button
        target.setFocus()

    # --- links ------------------------------------------------------------------------------

    def open_person_file(self) -> None:
        if self.view is not None:
            windows.open_person_file(self.ctx, self.parentWidget(), self.view.person_id,
                                     section="cases")

    def open_need(self) -> None:
        if self.view is None or self.view.need_id is None:
            return
        dialog = windows.open_person_file(self.ctx, self.parentWidget(), self.view.person_id,
                                          section="needs")
        dialog.select_need(self.view.need_id)

    # --- attachments -----------------------------------------------------------------------------

    def selected_attachment(self) -> AttachmentRow | None:
        index = self.attachments_table.currentIndex()
        if not index.isValid() or index.row() >= self.attachments_model.rowCount():
            return None
        return self.attachments_model.row_at(index.row())  # type: ignore[no-any-return]

    def _update_attachment_buttons(self) -> None:
        chosen = self.selected_attachment() is not None
        busy = self._attaching is not None
        self.add_button.setEnabled(not busy and self.view is not None)
        self.open_button.setEnabled(chosen)
        self.remove_button.setEnabled(chosen and not busy)

    @property
    def attaching(self) -> bool:
        return self._attaching is not None

    def add_attachment(self) -> None:
        if self.view is None or self._attaching is not None:
            return
        patterns = " ".join(f"*{s}" for s in ALLOWED_SUFFIXES)
        chosen, _filter = QFileDialog.getOpenFileName(
            self, _("选择要添加的照片或文件"), "",
            _("照片和文件 ({patterns})").format(patterns=patterns))
        if not chosen:
            return
        source = Path(chosen)
        answer = AttachmentRoleDialog.ask(self, source.name, attachment_roles_for(self.case_type),
                                          suggested_role(self.view))
        if answer is None:
            return
        role, note = answer
        ctx, case_type, case_id = self.ctx, self.case_type, self.case_id
        actor, store, today = ctx.actor, ctx.workspace.files, ctx.today()

        def job(_token: object, _progress: object) -> None:
            with ctx.workspace.uow() as uow:
                attach_file(uow, actor, store, case_type=case_type, case_id=case_id,
                            source=source, role=role, note=note, today=today)
                uow.commit()

        self._attaching = run_in_background(self, job, on_done=self._attached,
                                            on_error=self._attach_failed)
        self.attachments_count.setText(_("正在添加 {name}…").format(name=source.name))
        self._update_attachment_buttons()

    def _attached(self, _result: object) -> None:
        self._attaching = None
        self.ctx.events.changed.emit("case")  # reloads this window too
        self._update_attachment_buttons()

    def _attach_failed(self, exc: BaseException) -> None:
        self._attaching = None
        self._update_attachment_buttons()
        if self.view is not None:
            self._show_attachments(self.view.attachments)
        report_error(self, exc)

    def open_attachment(self) -> None:
        """Open a copy of the file in the system's viewer; a missing file is reported."""
        row = self.selected_attachment()
        if row is None:
            return
        try:
            copy = self._viewer_copy(row)
        except LiaisonError as exc:
            dialogs.Message.show_error(self, exc.message)
            return
        except OSError as exc:
            dialogs.Message.show_error(self, _("无法复制附件以打开：{why}").format(why=exc.strerror or exc))
            return
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(copy))):
            dialogs.Message.show_error(self, _(
                "本机没有能打开“{name}”的程序；文件已复制到 {path}").format(name=row.file_name, path=copy))

    def _viewer_copy(self, row: AttachmentRow) -> Path:
        """A decrypted copy under the attachment's own name, so the viewer knows its type and
        nothing it does can change the stored original."""
        folder = open_copy_dir() / str(row.id)
        folder.mkdir(parents=True, exist_ok=True)
        name = Path(row.file_name).name or f"attachment{Path(row.file_name).suffix}"
        copy = folder / name
        fresh = folder / f".{name}.new"
        with self.ctx.workspace.uow() as uow:  # checked (and decrypted) on every open
            export_attachment(uow, self.ctx.actor, self.ctx.workspace.files, row.id, fresh)
        fresh.chmod(0o444)
        try:
            if copy.exists():
                copy.chmod(0o644)
            os.replace(fresh, copy)
        except PermissionError:
            # Windows: the viewer still has the earlier copy open; it has the same content
            fresh.chmod(0o644)
            fresh.unlink()
            if not (copy.is_file() and copy.stat().st_size == row.size):
                raise
        return copy

    def remove_attachment(self) -> None:
        row = self.selected_attachment()
        if row is None:
            return
        reason = RemoveAttachmentDialog.ask(self, row.file_name)
        if reason is None:
            return
        try:
            with self.ctx.workspace.uow() as uow:
                remove_attachment(uow, self.ctx.actor, row.id, reason=reason)
                uow.commit()
        except LiaisonError as exc:
            dialogs.Message.show_error(self, exc.message)
            return
        self.ctx.events.changed.emit("case")

