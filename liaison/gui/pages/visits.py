"""The visit log (走访记录): the visits in the actor's villages, filtered by month, kind,
visitor and village, loaded off the GUI thread."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from liaison.core.enums import AreaLevel, VisitKind, choices, label
from liaison.core.i18n import _
from liaison.core.services.areas import list_areas, resolve_area_filter
from liaison.core.services.visits import VisitRow, list_visits, visitor_names
from liaison.gui import windows
from liaison.gui.context import GuiContext
from liaison.gui.fields import ChoiceField, FormGrid
from liaison.gui.ops import Op, run_in_background

MONTHS_BACK = 24
ROW_LIMIT = 500
SUMMARY_CHARS = 40
COLUMNS = ("走访日期", "姓名", "走访类型", "联系方式", "走访人", "情况摘要", "提出需求数")

Index = QModelIndex | QPersistentModelIndex


def recent_months(today: date, count: int = MONTHS_BACK) -> list[tuple[int, int]]:
    """This month and the `count - 1` before it, newest first."""
    year, month = today.year, today.month
    months = []
    for _i in range(count):
        months.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months


def summary(text: str | None) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= SUMMARY_CHARS else flat[:SUMMARY_CHARS] + "…"


@dataclass(frozen=True)
class VisitFilter:
    month: tuple[int, int] | None
    kind: VisitKind | None
    visitor: str | None
    area_code: str | None


class VisitTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[VisitRow] = []

    def set_rows(self, rows: list[VisitRow]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> VisitRow | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    @staticmethod
    def cell(row: VisitRow, column: int) -> str:
        values = (
            row.visit_date.isoformat(),
            row.person_name,
            label(row.kind),
            label(row.contact_mode),
            row.visitor_name,
            summary(row.findings),
            str(row.needs_raised),
        )
        return values[column]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.cell(row, index.column())
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 5 and row.findings:
            return row.findings
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 6:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _(COLUMNS[section])
        return None


class VisitsPage(QWidget):
    """走访记录: Enter or a double-click on a row opens that person's file."""

    loaded = Signal()  # after a result was shown (tests wait on it)

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._generation = 0
        self._op: Op | None = None
        self._visitors: set[str] = {ctx.actor.display_name}
        self._build()
        ctx.events.changed.connect(self._on_data_changed)
        self.refresh()
        self._load_visitor_names()

    def _load_visitor_names(self) -> None:
        """Every visitor on record, for the filter: a scan of all visits at county scale, so
        it is read in the background rather than while the window opens."""
        ctx = self.ctx

        def job(_token: object, _progress: object) -> list[str]:
            with ctx.workspace.uow() as uow:
                return visitor_names(uow, ctx.actor)

        def done(names: list[str]) -> None:
            if set(names) - self._visitors:
                self._visitors |= set(names)
                self._fill_visitors()

        self._names_op = run_in_background(self, job, on_done=done)

    # --- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.filters = self._build_filters()
        self.model = VisitTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName(_("走访记录列表"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table, arrows move inside
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.table.activated.connect(self._open_person)  # Enter, or a double-click
        self.count = QLabel()
        self.count.setAccessibleName(_("走访次数"))
        self.new_button = QPushButton(_("新增走访"))
        self.new_button.clicked.connect(self._new_visit)
        top = QHBoxLayout()
        top.addWidget(self.count, 1)
        top.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filters)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)

    def _build_filters(self) -> FormGrid:
        months = [
            (m, _("{y} 年 {m} 月").format(y=m[0], m=m[1])) for m in recent_months(self.ctx.today())
        ]
        everything = _("全部")
        self.month = ChoiceField([*months, (None, everything)])
        self.kind = ChoiceField(choices(VisitKind), empty_text=everything)
        self.visitor = ChoiceField([], empty_text=everything)
        self.village = ChoiceField(self._villages(), empty_text=everything)
        self._fill_visitors()
        grid = FormGrid(columns=2)
        for name, caption, field in (
            ("month", _("月份"), self.month),
            ("kind", _("走访类型"), self.kind),
            ("visitor", _("走访人"), self.visitor),
            ("village", _("村（社区）"), self.village),
        ):
            grid.add(name, caption, field)
            field.value_changed.connect(self.refresh)
        return grid

    def _villages(self) -> list[tuple[str, str]]:
        with self.ctx.workspace.uow() as uow:
            areas = list_areas(uow, self.ctx.actor)
        return [(a.code, a.full_name) for a in areas if a.level is AreaLevel.VILLAGE]

    def _fill_visitors(self) -> None:
        """The visitor names seen so far, keeping the one chosen."""
        field = self.visitor
        current = field.value()
        field.blockSignals(True)
        while field.count() > 1:
            field.removeItem(1)
        for name in sorted(self._visitors):
            field.addItem(name, name)
        field.set_value(current)
        field.blockSignals(False)

    # --- loading ------------------------------------------------------------------------------

    def current_filter(self) -> VisitFilter:
        kind = self.kind.value()
        return VisitFilter(
            month=self.month.value(),
            kind=VisitKind(kind) if kind else None,
            visitor=self.visitor.value(),
            area_code=self.village.value(),
        )

    @property
    def loading(self) -> bool:
        return self._op is not None and self._op.running

    def refresh(self) -> None:
        """Load the list for the current filters; an answer to an older request is dropped."""
        self._generation += 1
        generation, chosen = self._generation, self.current_filter()
        ctx = self.ctx

        def job(_token: object, _progress: object) -> list[VisitRow]:
            with ctx.workspace.uow() as uow:
                return list_visits(
                    uow,
                    ctx.actor,
                    area_ids=resolve_area_filter(uow, chosen.area_code),
                    month=chosen.month,
                    kind=chosen.kind,
                    visitor_name=chosen.visitor,
                    limit=ROW_LIMIT,
                )

        self.count.setText(_("正在读取…"))
        self._op = run_in_background(
            self, job, on_done=lambda rows: self._show(generation, chosen, rows)
        )

    def _show(self, generation: int, chosen: VisitFilter, rows: list[VisitRow]) -> None:
        if generation != self._generation:
            return
        current = self.model.row_at(self.table.currentIndex().row())
        self.model.set_rows(rows)
        self._restore_current(current.id if current else None)
        new_names = {r.visitor_name for r in rows} - self._visitors
        if new_names:
            self._visitors |= new_names
            self._fill_visitors()
        self.count.setText(self._count_text(chosen, len(rows)))
        self.loaded.emit()

    def _restore_current(self, visit_id: uuid.UUID | None) -> None:
        """Keep the keyboard on the visit it was on (or the first), so Enter works at once."""
        if not self.model.rows:
            return
        ids = [r.id for r in self.model.rows]
        row = ids.index(visit_id) if visit_id in ids else 0
        self.table.setCurrentIndex(self.model.index(row, 0))

    def _count_text(self, chosen: VisitFilter, count: int) -> str:
        today = self.ctx.today()
        if chosen.month == (today.year, today.month):
            text = _("本月共 {n} 次走访").format(n=count)
        elif chosen.month is not None:
            text = _("{y} 年 {m} 月共 {n} 次走访").format(
                y=chosen.month[0], m=chosen.month[1], n=count
            )
        else:
            text = _("共 {n} 次走访").format(n=count)
        if count >= ROW_LIMIT:
            text += _("（只列出最近的 {n} 次，请缩小范围）").format(n=ROW_LIMIT)
        return text

    def _on_data_changed(self, what: str) -> None:
        if what in ("visit", "person", "workspace"):
            self.refresh()

    # --- for tests and the main window --------------------------------------------------------

    def visible_rows(self) -> list[tuple[str, ...]]:
        """The table as shown, one tuple of cell texts per row."""
        return [tuple(self.model.cell(r, c) for c in range(len(COLUMNS))) for r in self.model.rows]

    # --- actions ------------------------------------------------------------------------------

    def _open_person(self, index: QModelIndex) -> None:
        row = self.model.row_at(index.row())
        if row is not None:
            windows.open_person_file(self.ctx, self, row.person_id)

    def _new_visit(self) -> None:
        windows.open_visit_form(self.ctx, self, None)

    def person_id_at(self, row: int) -> uuid.UUID | None:
        visit = self.model.row_at(row)
        return visit.person_id if visit else None
