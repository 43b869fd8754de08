"""定点机构: the designated rehabilitation institutions referrals go to. Everyone may look at
the list; county staff and administrators add and change entries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from liaison.core.enums import ReferralServiceKind, UserRole, label
from liaison.core.errors import LiaisonError, ValidationError
from liaison.core.i18n import _
from liaison.core.services.referrals import InstitutionInput, list_institutions, save_institution
from liaison.gui.context import GuiContext
from liaison.gui.dialogs import Confirm, Message, UnsavedChanges, UnsavedChoice
from liaison.gui.fields import CheckField, FormGrid, TextField
from liaison.gui.flow_layout import FlowLayout
from liaison.gui.ops import Op, run_in_background

EDITORS = frozenset({UserRole.COUNTY_STAFF, UserRole.ADMIN})
COLUMNS = ("机构名称", "机构编码", "服务类别", "地址", "电话", "状态")

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class InstitutionRow:
    """An institution read in a worker, detached from its database session."""

    id: uuid.UUID
    name: str
    code: str | None
    address: str | None
    phone: str | None
    service_kinds: tuple[ReferralServiceKind, ...]
    active: bool

    def kinds_text(self) -> str:
        return "、".join(label(k) for k in self.service_kinds)


def _kinds(stored: str) -> tuple[ReferralServiceKind, ...]:
    values = {v for v in stored.split(",") if v}
    return tuple(k for k in ReferralServiceKind if k.value in values)


def read_institutions(ctx: GuiContext, *, include_inactive: bool) -> list[InstitutionRow]:
    with ctx.workspace.uow() as uow:
        return [
            InstitutionRow(i.id, i.name, i.code, i.address, i.phone, _kinds(i.service_kinds), i.active)
            for i in list_institutions(uow, include_inactive=include_inactive)
        ]


def _button(text: str) -> QPushButton:
    button = QPushButton(text)
    button.setAutoDefault(False)  # Enter in a field must not press a button by surprise
    return button


class InstitutionTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[InstitutionRow] = []

    def set_rows(self, rows: list[InstitutionRow]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> InstitutionRow | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    @staticmethod
    def cell(row: InstitutionRow, column: int) -> str:
        values = (row.name, row.code or "", row.kinds_text(), row.address or "", row.phone or "",
                  _("在用") if row.active else _("已停用"))
        return values[column]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.cell(row, index.column())
        if role == Qt.ItemDataRole.ToolTipRole and index.column() in (2, 3):
            return self.cell(row, index.column())
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _(COLUMNS[section])
        return None


class KindChecks(QWidget):
    """One tick box per service kind, on as few lines as fit."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        flow = FlowLayout(self, spacing=12)
        self.boxes: dict[ReferralServiceKind, QCheckBox] = {}
        for kind in ReferralServiceKind:
            box = QCheckBox(label(kind))
            flow.addWidget(box)
            self.boxes[kind] = box
        self.setFocusProxy(self.boxes[next(iter(ReferralServiceKind))])

    def value(self) -> list[ReferralServiceKind]:
        return [kind for kind, box in self.boxes.items() if box.isChecked()]

    def set_value(self, kinds: tuple[ReferralServiceKind, ...] | list[ReferralServiceKind]) -> None:
        for kind, box in self.boxes.items():
            box.setChecked(kind in kinds)


class InstitutionsDialog(QDialog):
    """The list above; for county staff a form below it for a new institution, or for the
    one chosen in the list (Enter or a double-click)."""

    loaded = Signal()
    saved = Signal(object)  # the institution's id

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.editable = ctx.actor.role in EDITORS
        self.editing_id: uuid.UUID | None = None
        self.dirty = False
        self._generation = 0
        self._op: Op | None = None
        self.setWindowTitle(_("定点康复机构"))
        self.model = InstitutionTableModel(self)
        layout = QVBoxLayout(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName(_("定点机构列表"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        self.count_label = QLabel(_("正在读取……"))
        self.count_label.setWordWrap(True)
        layout.addWidget(self.count_label)
        if self.editable:
            layout.addWidget(self._build_form())
        else:
            note = QLabel(_("定点机构名单由县（区）残联维护，这里只能查看。"))
            note.setWordWrap(True)
            layout.addWidget(note)
        row = QHBoxLayout()
        row.addStretch(1)
        if self.editable:
            row.addWidget(self.new_button)
            row.addWidget(self.save_button)
        self.close_button = _button(_("关闭(&C)"))
        self.close_button.clicked.connect(self.reject)
        row.addWidget(self.close_button)
        layout.addLayout(row)
        if self.editable:
            self.table.activated.connect(self._activated)  # Enter, or a double-click
        self._fit_to_screen()
        self.reload()

    def _fit_to_screen(self) -> None:
        """Room for the form and several rows of the list, at any font size, within the screen."""
        row = self.table.verticalHeader().defaultSectionSize()
        self.table.setMinimumHeight(self.table.horizontalHeader().sizeHint().height() + 3 * row)
        hint = self.sizeHint()
        screen = self.screen().availableGeometry()
        width = max(hint.width(), self.fontMetrics().averageCharWidth() * 90)
        height = hint.height() + 5 * row
        self.resize(min(width, screen.width() - 40), min(height, screen.height() - 60))

    def _build_form(self) -> QWidget:
        self.form_box = QGroupBox(_("新增机构"))
        box_layout = QVBoxLayout(self.form_box)
        self.form = FormGrid(columns=2)
        self.name = self.form.add("name", _("机构名称"), TextField())
        self.code = self.form.add("code", _("机构编码"), TextField())
        self.address = self.form.add("address", _("地址"), TextField(), wide=True)
        self.phone = self.form.add("phone", _("电话"), TextField())
        self.active = self.form.add("active", _("状态"), CheckField(_("在用（可接受转介）")))
        self.kinds = self.form.add("service_kinds", _("服务类别"), KindChecks(), wide=True)
        self.name.setMaxLength(100)
        self.code.setMaxLength(40)
        self.phone.setMaxLength(30)
        self.active.setChecked(True)
        for line in (self.name, self.code, self.address, self.phone):
            line.textEdited.connect(self._touched)
        for box in (self.active, *self.kinds.boxes.values()):
            box.clicked.connect(self._touched)
        box_layout.addWidget(self.form)
        self.new_button = _button(_("新增机构(&N)"))
        self.save_button = _button(_("保存(&S)"))
        self.new_button.clicked.connect(self.start_new)
        self.save_button.clicked.connect(self.save)
        return self.form_box

    # --- reading -----------------------------------------------------------------------------

    def reload(self, select: uuid.UUID | None = None) -> None:
        self._generation += 1
        generation, ctx, everything = self._generation, self.ctx, self.editable

        def work(_token: object, _progress: object) -> list[InstitutionRow]:
            return read_institutions(ctx, include_inactive=everything)

        def done(rows: list[InstitutionRow]) -> None:
            if generation == self._generation:
                self._show(rows, select)

        self._op = run_in_background(self, work, on_done=done)

    @property
    def loading(self) -> bool:
        return self._op is not None and self._op.running

    def _show(self, rows: list[InstitutionRow], select: uuid.UUID | None) -> None:
        self.model.set_rows(rows)
        self.table.resizeColumnsToContents()
        text = _("共 {n} 家").format(n=len(rows)) if rows else _("还没有登记定点机构")
        if rows and self.editable:
            text += _("。选中一家后按回车或双击，可在下面修改它。")
        self.count_label.setText(text)
        ids = [r.id for r in rows]
        if select in ids:
            self.table.setCurrentIndex(self.model.index(ids.index(select), 0))
        self.loaded.emit()

    # --- editing -----------------------------------------------------------------------------

    def _activated(self, index: QModelIndex) -> None:
        row = self.model.row_at(index.row())
        if row is not None and row.id != self.editing_id and self._may_discard():
            self.edit(row)

    def _may_discard(self) -> bool:
        """Before the form is filled with something else: typed changes are not lost silently."""
        return not self.dirty or Confirm.ask(
            self, _("放弃修改"), _("表单中有未保存的修改，要放弃吗？"), yes_text=_("放弃修改"))

    def _touched(self, *_args: object) -> None:
        self.dirty = True

    def edit(self, row: InstitutionRow) -> None:
        self.editing_id = row.id
        self.form_box.setTitle(_("修改：{name}").format(name=row.name))
        self.form.clear_errors()
        self.name.set_value(row.name)
        self.code.set_value(row.code)
        self.address.set_value(row.address)
        self.phone.set_value(row.phone)
        self.kinds.set_value(row.service_kinds)
        self.active.set_value(row.active)
        self.dirty = False
        self.name.setFocus()

    def start_new(self) -> None:
        if not self._may_discard():
            return
        self.editing_id = None
        self.form_box.setTitle(_("新增机构"))
        self.form.clear_errors()
        for field in (self.name, self.code, self.address, self.phone):
            field.set_value(None)
        self.kinds.set_value([])
        self.active.set_value(True)
        self.dirty = False
        self.name.setFocus()

    def reject(self) -> None:
        """Closing (Esc, 关闭, the window's ×) with unsaved changes asks first."""
        if self.dirty:
            choice = UnsavedChanges.ask(self, _("定点机构"))
            if choice is UnsavedChoice.CANCEL or (choice is UnsavedChoice.SAVE and not self.save()):
                return
        self.dirty = False
        super().reject()

    def current_input(self) -> InstitutionInput:
        return InstitutionInput(
            name=self.name.text(),
            service_kinds=self.kinds.value(),
            code=self.code.value(),
            address=self.address.value(),
            phone=self.phone.value(),
            active=self.active.value(),
        )

    def save(self) -> bool:
        """Store the form; field problems are shown under their fields."""
        self.form.clear_errors()
        try:
            with self.ctx.workspace.uow() as uow:
                institution = save_institution(uow, self.ctx.actor, self.current_input(), self.editing_id)
                saved_id, name = institution.id, institution.name
                uow.commit()
        except ValidationError as exc:
            first = self.form.set_errors(exc.errors)
            if first is not None:
                first.setFocus()
            else:
                Message.show_error(self, exc.message)
            return False
        except LiaisonError as exc:
            Message.show_error(self, exc.message)
            return False
        self.editing_id = saved_id
        self.dirty = False
        self.form_box.setTitle(_("修改：{name}").format(name=name))
        self.saved.emit(saved_id)
        self.ctx.events.changed.emit("institution")
        self.reload(select=saved_id)
        return True
