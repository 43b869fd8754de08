"""无障碍改造 and 康复转介: each workflow's cases in one list, with the count in every stage
as buttons that filter, the cases that stay too long in a stage marked, sorting by column,
and Enter to open a case. The modification page adds the yearly target and the priority
list (case_targets.py); the referral page the list of 定点机构 (liaison/gui/institutions.py).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from liaison.core.enums import (
    AreaLevel,
    CaseType,
    ModificationStage,
    ReferralServiceKind,
    ReferralState,
    UserRole,
    label,
)
from liaison.core.i18n import _
from liaison.core.rules.money import format_yuan
from liaison.core.services.areas import area_directory, list_areas, subtree_ids
from liaison.core.services.case_lists import (
    CaseFilter,
    CaseList,
    CaseRow,
    list_cases,
    stage_choices,
)
from liaison.core.services.modifications import (
    Candidate,
    TargetProgress,
    modification_candidates,
    target_progress,
)
from liaison.gui import windows
from liaison.gui.context import GuiContext
from liaison.gui.fields import ChoiceField
from liaison.gui.flow_layout import FlowLayout
from liaison.gui.ops import Op, run_in_background
from liaison.gui.pages.case_targets import PriorityPanel, TargetDialog, default_year, target_text

AREA_CHARS = 12  # the area pick list is this wide; longer names are cut when it is closed
YEARS_BACK = 5  # the year list: this year and the five before it, then 全部年度
OVERDUE_COLOUR = QColor("#b00020")
# kinds of `ctx.events.changed` after which every case page reads its list again
RELOAD_ON = frozenset({"case", "need", "person", "workspace"})

Index = QModelIndex | QPersistentModelIndex

# one column set per workflow; only the last two headers differ
_COLUMNS = {
    CaseType.MODIFICATION: ("姓名", "村（社区）", "阶段", "进入阶段日期", "在此阶段天数",
                            "金额（元）", "施工单位"),
    CaseType.REFERRAL: ("姓名", "村（社区）", "阶段", "进入阶段日期", "在此阶段天数",
                        "费用（元）", "服务类别·机构"),
}
# the ways a case ends early: their count buttons show only when there are such cases
QUIET_STAGES = {
    CaseType.MODIFICATION: frozenset({ModificationStage.INELIGIBLE.value,
                                      ModificationStage.TERMINATED.value}),
    CaseType.REFERRAL: frozenset({ReferralState.NOT_COMPLETED.value,
                                  ReferralState.NOT_ACCEPTED.value}),
}
COL_NAME, COL_VILLAGE, COL_STAGE, COL_STAGE_ON, COL_DAYS, COL_AMOUNT, COL_DETAIL = range(7)


def year_choices(today: date) -> list[tuple[int | None, str]]:
    years: list[tuple[int | None, str]] = [
        (y, _("{y} 年").format(y=y)) for y in range(today.year, today.year - YEARS_BACK - 1, -1)
    ]
    return [*years, (None, _("全部年度"))]


def days_text(row: CaseRow) -> str:
    if row.overdue:
        return _("{n} 天 · 超期").format(n=row.days_in_stage)
    return _("{n} 天").format(n=row.days_in_stage)


def plain_button(text: str) -> QPushButton:
    """A button that Enter in another control never presses by surprise."""
    button = QPushButton(text)
    button.setAutoDefault(False)
    return button


# --- the table -------------------------------------------------------------------------------


class CaseTableModel(QAbstractTableModel):
    """The cases of one list; sorted here (every row is in memory), and back in the order the
    service gives (overdue first, longest waiting first) when no column is chosen."""

    def __init__(self, case_type: CaseType, parent: Any = None) -> None:
        super().__init__(parent)
        self.case_type = CaseType(case_type)
        self.headers = _COLUMNS[self.case_type]
        self._order = {value: k for k, (value, _text) in enumerate(stage_choices(case_type))}
        self._base: list[CaseRow] = []
        self.rows: list[CaseRow] = []
        self._sort: tuple[int, Qt.SortOrder] = (-1, Qt.SortOrder.AscendingOrder)

    def set_rows(self, rows: list[CaseRow]) -> None:
        self.beginResetModel()
        self._base = list(rows)
        self.rows = self._sorted()
        self.endResetModel()

    def row_at(self, row: int) -> CaseRow | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def cell(self, row: CaseRow, column: int) -> str:
        if column == COL_NAME:
            return row.person_name
        if column == COL_VILLAGE:
            return row.village
        if column == COL_STAGE:
            return row.step_label or row.stage_label
        if column == COL_STAGE_ON:
            return row.stage_on.isoformat()
        if column == COL_DAYS:
            return days_text(row)
        if column == COL_AMOUNT:
            return format_yuan(row.amount_fen) if row.amount_fen is not None else ""
        return row.detail

    # --- sorting -------------------------------------------------------------------------------

    def _key(self, column: int) -> Any:
        if column == COL_NAME:
            return lambda r: (r.person_name_sort, r.person_name)
        if column == COL_VILLAGE:
            return lambda r: r.village
        if column == COL_STAGE:
            return lambda r: (self._order.get(r.stage, 99), r.step_label)
        if column == COL_STAGE_ON:
            return lambda r: r.stage_on
        if column == COL_DAYS:
            return lambda r: r.days_in_stage
        if column == COL_AMOUNT:
            return lambda r: r.amount_fen
        return lambda r: r.detail

    def _sorted(self) -> list[CaseRow]:
        column, order = self._sort
        if not 0 <= column < len(self.headers):
            return list(self._base)
        key = self._key(column)
        # rows without a value (no amount yet, no contractor yet) stay last either way
        known = [r for r in self._base if key(r) not in (None, "")]
        missing = [r for r in self._base if key(r) in (None, "")]
        return sorted(known, key=key, reverse=order == Qt.SortOrder.DescendingOrder) + missing

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        old_ids = [self.rows[i.row()].id if 0 <= i.row() < len(self.rows) else None for i in old]
        self._sort = (column, order)
        self.rows = self._sorted()
        position = {r.id: k for k, r in enumerate(self.rows)}
        self.changePersistentIndexList(old, [
            self.index(position[i], index.column()) if i in position else QModelIndex()
            for i, index in zip(old_ids, old, strict=True)
        ])
        self.layoutChanged.emit()

    # --- the model interface ------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row, column = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(row, column)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            text = self.cell(row, column)
            return _("{text}（超期）").format(text=text) if row.overdue and column == COL_NAME else text
        if role == Qt.ItemDataRole.ForegroundRole and row.overdue:
            return OVERDUE_COLOUR
        if role == Qt.ItemDataRole.FontRole and row.overdue and column == COL_DAYS:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (COL_DAYS, COL_AMOUNT):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == COL_DAYS and row.overdue:
                return _("在“{s}”停留的天数已超过规定期限").format(s=row.step_label or row.stage_label)
            if column == COL_STAGE and row.step_label and row.step_label != row.stage_label:
                return _("转介状态：{s}").format(s=row.stage_label)
            if column == COL_AMOUNT and self.case_type is CaseType.MODIFICATION:
                return _("验收后为实际费用，之前为评估预算")
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _(self.headers[section])
        return None


# --- the counts as buttons -------------------------------------------------------------------


class StageChips(QWidget):
    """"全部 20", "申请 12", "评估 5", …, "超期 3": pressing one shows only those cases."""

    stage_chosen = Signal(object)  # a stage value, or None for every stage
    overdue_chosen = Signal()

    def __init__(self, stages: list[tuple[str, str]], quiet: frozenset[str] = frozenset(),
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stages = stages
        self.quiet = quiet  # ways of ending early: shown only when there are such cases
        layout = FlowLayout(self)
        caption = QLabel(_("按阶段："))
        caption.setToolTip(_("每个按钮是该阶段的件数，按下只看这些案件"))
        layout.addWidget(caption)
        self.all_button = self._chip(layout)
        self.all_button.clicked.connect(lambda: self.stage_chosen.emit(None))
        self.buttons: dict[str, QToolButton] = {}
        for value, _text in stages:
            button = self._chip(layout)
            button.clicked.connect(lambda _c=False, v=value: self.stage_chosen.emit(v))
            self.buttons[value] = button
        self.overdue_button = self._chip(layout)
        self.overdue_button.clicked.connect(self.overdue_chosen)
        self.show_counts(None, None, False)

    def _chip(self, layout: FlowLayout) -> QToolButton:
        """Tool buttons: less padding than push buttons, so more of them fit on a line."""
        button = QToolButton()
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        button.setCheckable(True)
        button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        layout.addWidget(button)
        return button

    def show_counts(self, result: CaseList | None, stage: str | None, overdue_only: bool) -> None:
        counts = result.counts if result is not None else {}
        total = result.total if result is not None else 0
        overdue = result.overdue if result is not None else 0
        known = result is not None

        def show(button: QToolButton, text: str, n: int, checked: bool) -> None:
            button.setText(f"{text} {n}" if known else text)
            button.setAccessibleName(_("{text}：{n} 件").format(text=text, n=n) if known else text)
            button.setChecked(checked)
            font = button.font()
            font.setBold(checked)
            button.setFont(font)

        show(self.all_button, _("全部"), total, stage is None and not overdue_only)
        for value, text in self.stages:
            n = counts.get(value, 0)
            show(self.buttons[value], text, n, stage == value)
            self.buttons[value].setHidden(value in self.quiet and not n and stage != value)
        show(self.overdue_button, _("超期"), overdue, overdue_only)
        self.overdue_button.setStyleSheet("color: #b00020;" if overdue else "")
        self.overdue_button.setToolTip(_("在某一阶段停留超过规定天数的案件"))

    def chip_texts(self) -> list[str]:
        """The texts of the buttons shown."""
        return [b.text() for b in (self.all_button, *self.buttons.values(), self.overdue_button)
                if not b.isHidden()]


# --- the page --------------------------------------------------------------------------------


class CaseListPage(QWidget):
    """The shared list page; a subclass names its `case_type` and adds what is its own."""

    case_type: CaseType = CaseType.MODIFICATION
    reload_on: frozenset[str] = RELOAD_ON
    loaded = Signal()  # a list was read and is on screen (tests wait on it)

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.result: CaseList | None = None
        self._generation = 0
        self._op: Op | None = None
        self.stages = stage_choices(self.case_type)
        self.model = CaseTableModel(self.case_type, self)
        self._build()
        ctx.events.changed.connect(self._data_changed)
        self.reload()

    # --- building ----------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.addWidget(self._build_filters())
        self._build_header(layout)
        self._build_body(layout, self._build_case_panel())

    def _build_filters(self) -> QWidget:
        """One line at the usual font size; wraps onto more at a large one."""
        bar = QWidget()
        flow = FlowLayout(bar, spacing=12)
        self.year = self._filter(flow, _("年度(&Y)"), ChoiceField(year_choices(self.ctx.today())))
        self.area = self._filter(flow, _("地区(&A)"),
                                 ChoiceField(self.ctx.area_choices(), empty_text=_("全部")))
        # long village names are cut in the closed list, not allowed to widen the window
        self.area.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.area.setMinimumContentsLength(AREA_CHARS)
        self.stage = self._filter(flow, _("阶段(&S)"),
                                  ChoiceField(self.stages, empty_text=_("全部阶段")))
        self._extra_filters(flow)
        self.overdue = QCheckBox(_("只看超期(&L)"))
        self.overdue.setToolTip(_("只列出在某一阶段停留超过规定天数的案件"))
        flow.addWidget(self.overdue)
        self.refresh_button = plain_button(_("刷新(&R)"))
        flow.addWidget(self.refresh_button)
        self.year.value_changed.connect(self._scope_changed)
        self.area.value_changed.connect(self._scope_changed)
        self.stage.value_changed.connect(lambda: self.reload())
        self.overdue.toggled.connect(lambda _on: self.reload(focus_table=True))
        self.refresh_button.clicked.connect(self._scope_changed)
        return bar

    def _filter(self, flow: FlowLayout, caption: str, field: ChoiceField) -> ChoiceField:
        """A caption and its pick list, kept together on one line."""
        pair = QWidget()
        row = QHBoxLayout(pair)
        row.setContentsMargins(0, 0, 0, 0)
        text = QLabel(caption + "：")
        text.setBuddy(field)
        field.setAccessibleName(caption.split("(&")[0])
        row.addWidget(text)
        row.addWidget(field)
        flow.addWidget(pair)
        return field

    def _extra_filters(self, flow: FlowLayout) -> None:
        """More filters, after 阶段."""

    def _extra_filter_widgets(self) -> tuple[QWidget, ...]:
        return ()

    def _build_header(self, layout: QVBoxLayout) -> None:
        """Lines between the filters and the list."""

    def _build_body(self, layout: QVBoxLayout, case_panel: QWidget) -> None:
        layout.addWidget(case_panel, 1)

    def _build_case_panel(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        self.chips = StageChips(self.stages, QUIET_STAGES[self.case_type])
        self.chips.stage_chosen.connect(self.choose_stage)
        self.chips.overdue_chosen.connect(self.choose_overdue)
        layout.addWidget(self.chips)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName(_("{kind}案件列表").format(kind=label(self.case_type)))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table, arrows move inside
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # the service's order first
        self.table.setSortingEnabled(True)
        self._columns_sized = False
        self.table.activated.connect(self.open_case)  # Enter, or a double-click
        self.table.selectionModel().currentChanged.connect(lambda *_a: self._update_buttons())
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.count_label = QLabel()
        self.count_label.setAccessibleName(_("案件数"))
        self.count_label.setWordWrap(True)
        row.addWidget(self.count_label, 1)
        self.open_button = plain_button(_("打开案件(&O)"))
        self.open_button.setToolTip(_("选中一行后按回车或双击，也可打开案件"))
        self.file_button = plain_button(_("打开档案(&D)"))
        self.open_button.clicked.connect(lambda: self.open_case(self.table.currentIndex()))
        self.file_button.clicked.connect(self.open_person_file)
        row.addWidget(self.open_button)
        row.addWidget(self.file_button)
        self._extra_buttons(row)
        layout.addLayout(row)
        self._update_buttons()
        return panel

    def _extra_buttons(self, row: QHBoxLayout) -> None:
        """More buttons after 打开档案."""

    # --- reading -----------------------------------------------------------------------------

    def current_filter(self) -> CaseFilter:
        """The filters as set; a chosen area stands for itself until the worker widens it to
        everything below it."""
        area = self.area.value()
        return CaseFilter(
            year=self.year.value(),
            area_ids=frozenset({area}) if area is not None else None,
            stage=self.stage.value(),
            overdue_only=self.overdue.isChecked(),
            service_kind=self._service_kind(),
        )

    def _service_kind(self) -> ReferralServiceKind | None:
        return None

    @property
    def loading(self) -> bool:
        return self._op is not None and self._op.running

    def reload(self, *, focus_table: bool = False) -> None:
        """Read the list off the GUI thread; an answer to an older request is dropped."""
        self._generation += 1
        generation, flt = self._generation, self.current_filter()
        ctx, case_type, today = self.ctx, self.case_type, self.ctx.today()

        def work(_token: object, _progress: object) -> CaseList:
            with ctx.workspace.uow() as uow:
                full = flt
                if flt.area_ids is not None:
                    full = replace(flt, area_ids=frozenset(subtree_ids(uow.session, flt.area_ids)))
                result = list_cases(uow, ctx.actor, case_type, full, rules=ctx.rules, today=today)
            return result

        def done(result: CaseList) -> None:
            if generation == self._generation:
                self._show(flt, result, focus_table=focus_table)

        self.count_label.setText(_("正在读取……"))
        self._op = run_in_background(self, work, on_done=done)

    def _show(self, flt: CaseFilter, result: CaseList, *, focus_table: bool) -> None:
        current = self.selected_row()
        self.result = result
        self.model.set_rows(result.rows)
        if not self._columns_sized and result.rows:
            self.table.resizeColumnsToContents()
            self._columns_sized = True
        self._restore_current(current.id if current else None)
        self.chips.show_counts(result, flt.stage, flt.overdue_only)
        self.count_label.setText(self._count_text(result))
        self._update_buttons()
        if focus_table:
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        self.loaded.emit()

    def _restore_current(self, case_id: uuid.UUID | None) -> None:
        """Keep the keyboard on the case it was on (or the first), so Enter works at once."""
        if not self.model.rows:
            return
        ids = [r.id for r in self.model.rows]
        row = ids.index(case_id) if case_id in ids else 0
        self.table.setCurrentIndex(self.model.index(row, 0))

    def _count_text(self, result: CaseList) -> str:
        shown = len(result.rows)
        if result.total == 0:
            return _("没有符合条件的案件")
        whole = _("共 {n} 件").format(n=result.total)
        if result.overdue:
            whole += _("，其中超期 {n} 件").format(n=result.overdue)
        if shown == result.total:
            return whole
        return _("显示 {shown} 件（{whole}）").format(shown=shown, whole=whole)

    def _scope_changed(self) -> None:
        """Year or area changed (or 刷新): the list and whatever else depends on them."""
        self.reload()

    def _data_changed(self, kind: str) -> None:
        if kind in self.reload_on:
            self._scope_changed()

    # --- the counts --------------------------------------------------------------------------

    def choose_stage(self, stage: str | None) -> None:
        """A count pressed: only that stage (or every stage), overdue or not."""
        self._set_filters(stage=stage, overdue=False)

    def choose_overdue(self) -> None:
        self._set_filters(stage=None, overdue=True)

    def _set_filters(self, *, stage: str | None, overdue: bool) -> None:
        for widget in (self.stage, self.overdue):
            widget.blockSignals(True)
        self.stage.set_value(stage)
        self.overdue.setChecked(overdue)
        for widget in (self.stage, self.overdue):
            widget.blockSignals(False)
        self.reload(focus_table=True)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter in the filters (which do not use it themselves) goes to the list."""
        filters = (self.year, self.area, self.stage, self.overdue, *self._extra_filter_widgets())
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.focusWidget() in filters:
            self.focus_list()
            return
        super().keyPressEvent(event)

    def focus_list(self) -> None:
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)

    # --- opening -----------------------------------------------------------------------------

    def selected_row(self) -> CaseRow | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def _update_buttons(self) -> None:
        has = self.selected_row() is not None
        self.open_button.setEnabled(has)
        self.file_button.setEnabled(has)

    def open_case(self, index: QModelIndex | None = None) -> None:
        row = self.model.row_at(index.row()) if index is not None and index.isValid() else None
        if row is not None:
            windows.open_case(self.ctx, self, self.case_type, row.id)

    def open_person_file(self) -> None:
        row = self.selected_row()
        if row is not None:
            windows.open_person_file(self.ctx, self, row.person_id, section="cases")

    # --- for tests and the screenshots -------------------------------------------------------

    def visible_rows(self) -> list[tuple[str, ...]]:
        """The table as shown, one tuple of cell texts per row."""
        return [tuple(self.model.cell(r, c) for c in range(len(self.model.headers)))
                for r in self.model.rows]


class ReferralPage(CaseListPage):
    """康复转介: the referrals, filtered also by service kind, and the 定点机构 list."""

    case_type = CaseType.REFERRAL
    reload_on = RELOAD_ON | {"institution"}

    def _extra_filters(self, flow: FlowLayout) -> None:
        self.service_kind = self._filter(
            flow, _("服务类别(&K)"),
            ChoiceField.for_enum(ReferralServiceKind, empty_text=_("全部类别")))
        self.service_kind.value_changed.connect(lambda: self.reload())

    def _extra_filter_widgets(self) -> tuple[QWidget, ...]:
        return (self.service_kind,)

    def _service_kind(self) -> ReferralServiceKind | None:
        value = self.service_kind.value()
        return ReferralServiceKind(value) if value is not None else None

    def _extra_buttons(self, row: QHBoxLayout) -> None:
        self.institutions_button = plain_button(_("定点机构(&I)…"))
        self.institutions_button.setToolTip(_("查看定点康复机构名单"))
        self.institutions_button.clicked.connect(self.show_institutions)
        row.addWidget(self.institutions_button)

    def show_institutions(self) -> QWidget:
        from liaison.gui.institutions import InstitutionsDialog

        dialog = getattr(self, "institutions_dialog", None)
        if dialog is None or not dialog.isVisible():
            dialog = InstitutionsDialog(self.ctx, self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.destroyed.connect(lambda _o=None: setattr(self, "institutions_dialog", None))
            self.institutions_dialog = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog


class ModificationPage(CaseListPage):
    """无障碍改造: the cases, the yearly target of the chosen area and year, and the priority
    list of households waiting (read together, apart from the list, since the stage
    buttons do not change them)."""

    case_type = CaseType.MODIFICATION
    reload_on = RELOAD_ON | {"visit", "target"}  # a visit may raise a modification need
    side_loaded = Signal()  # the target line and the priority list are on screen

    progress: TargetProgress | None = None
    target_areas: list[tuple[uuid.UUID, str]] = []  # noqa: RUF012 - replaced, never changed
    target_dialog: TargetDialog | None = None
    _side_generation = 0
    _side_op: Op | None = None

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self._reload_side()

    def _build_header(self, layout: QVBoxLayout) -> None:
        row = QHBoxLayout()
        self.target_label = QLabel(_("正在读取年度目标……"))
        self.target_label.setAccessibleName(_("年度目标进度"))
        self.target_label.setWordWrap(True)
        font = self.target_label.font()
        font.setBold(True)
        self.target_label.setFont(font)
        row.addWidget(self.target_label, 1)
        self.target_button: QPushButton | None = None
        if self.ctx.actor.role is not UserRole.VILLAGE_OFFICER:
            self.target_button = plain_button(_("设定年度目标(&T)…"))
            self.target_button.setEnabled(False)  # until the areas are known
            self.target_button.clicked.connect(self.edit_target)
            row.addWidget(self.target_button)
        layout.addLayout(row)

    def _build_body(self, layout: QVBoxLayout, case_panel: QWidget) -> None:
        self.priority = PriorityPanel(self.ctx)
        self.tabs = QTabWidget()
        self.tabs.addTab(case_panel, _("改造案件(&C)"))
        self.tabs.addTab(self.priority, _("优先名单(&Q)"))
        layout.addWidget(self.tabs, 1)

    def _scope_changed(self) -> None:
        super()._scope_changed()
        self._reload_side()

    def focus_list(self) -> None:
        if self.tabs.currentWidget() is self.priority:
            self.priority.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
        else:
            super().focus_list()

    def _reload_side(self) -> None:
        self._side_generation += 1
        generation, ctx, today = self._side_generation, self.ctx, self.ctx.today()
        year, area = default_year(self.year.value(), today), self.area.value()

        def work(_token: object, _progress: object) -> tuple[
                TargetProgress, list[Candidate], dict[uuid.UUID, str], list[tuple[uuid.UUID, str]]]:
            with ctx.workspace.uow() as uow:
                area_ids = frozenset(subtree_ids(uow.session, [area])) if area is not None else None
                progress = target_progress(uow, ctx.actor, year, area_id=area)
                candidates = modification_candidates(
                    uow, ctx.actor, rules=ctx.rules, today=today, area_ids=area_ids)
                directory = area_directory(uow)
                areas = [(a.id, a.full_name or a.name) for a in list_areas(uow, ctx.actor)
                         if a.level in (AreaLevel.COUNTY, AreaLevel.TOWNSHIP, AreaLevel.VILLAGE)]
            places = {c.area_id: info.full_name for c in candidates
                      if (info := directory.get(c.area_id)) is not None and info.full_name}
            return progress, candidates, places, areas

        def done(payload: tuple[TargetProgress, list[Candidate], dict[uuid.UUID, str],
                                list[tuple[uuid.UUID, str]]]) -> None:
            if generation == self._side_generation:
                self._show_side(*payload)

        self._side_op = run_in_background(self, work, on_done=done)

    def _show_side(self, progress: TargetProgress, candidates: list[Candidate],
                   places: dict[uuid.UUID, str], areas: list[tuple[uuid.UUID, str]]) -> None:
        self.progress, self.target_areas = progress, areas
        self.target_label.setText(target_text(progress))
        self.priority.show_candidates(candidates, places)
        self.tabs.setTabText(1, _("优先名单（{n} 户）(&Q)").format(n=len(candidates)))
        if self.target_button is not None:
            self.target_button.setEnabled(bool(areas))
        self.side_loaded.emit()

    @property
    def side_loading(self) -> bool:
        return self._side_op is not None and self._side_op.running

    def edit_target(self) -> TargetDialog | None:
        """The target dialog for the chosen area (or the actor's own) and year; not modal to
        the application, so the list stays readable behind it."""
        if not self.target_areas:
            return None
        area = self.area.value()
        if area is None:
            area = self.target_areas[0][0]  # ordered by code: the widest area first
        year = default_year(self.year.value(), self.ctx.today())
        current = self.progress.target if self.progress is not None and self.progress.year == year else None
        dialog = TargetDialog(self.ctx, self.target_areas, area, year, current, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(lambda: self.ctx.events.changed.emit("target"))
        dialog.destroyed.connect(lambda _o=None: setattr(self, "target_dialog", None))
        self.target_dialog = dialog
        dialog.open()
        return dialog
