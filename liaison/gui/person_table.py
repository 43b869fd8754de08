"""The roster as a Qt item model over the search service, fetched a page at a time."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from liaison.core.enums import DisabilityCategory, DisabilityGrade, PersonStatus, label
from liaison.core.i18n import _
from liaison.core.services.search import PersonRow, SearchPage, SearchQuery, SortKey, search_people
from liaison.gui.context import GuiContext

PAGE_SIZE = 100

# (header, sort key or None when the column does not sort)
COLUMNS: list[tuple[str, SortKey | None]] = [
    ("姓名", SortKey.NAME),
    ("性别", None),
    ("年龄", SortKey.AGE),
    ("身份证号", None),
    ("残疾类别", None),
    ("等级", SortKey.GRADE),
    ("村（社区）", SortKey.AREA),
    ("状态", None),
    ("待办需求", None),
]

Index = QModelIndex | QPersistentModelIndex


def _cell(row: PersonRow, column: int) -> str:
    if column == 0:
        return row.name
    if column == 1:
        return label(row.sex)
    if column == 2:
        return str(row.age)
    if column == 3:
        return row.id_number_masked
    if column == 4:
        return label(DisabilityCategory(row.category)) if row.category else _("未评定")
    if column == 5:
        return label(DisabilityGrade(row.grade)) if row.grade else ""
    if column == 6:
        return row.area_name
    if column == 7:
        return label(row.status)
    return str(row.open_needs) if row.open_needs else ""


class PersonTableModel(QAbstractTableModel):
    """Shows one query's results; the first page is set from a background search
    (`show_page`), later pages are fetched as the view scrolls (`fetchMore`)."""

    sort_requested = Signal(object, bool)  # SortKey, descending

    def __init__(self, ctx: GuiContext, parent: Any = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.query = SearchQuery(limit=PAGE_SIZE)
        self.rows: list[PersonRow] = []
        self.total = 0
        self.total_exact = True

    # --- loading ---------------------------------------------------------------------------

    def fetch_page(self, query: SearchQuery) -> SearchPage:
        """Runs the search; safe to call from a worker thread (own unit of work)."""
        with self.ctx.workspace.uow() as uow:
            return search_people(uow, self.ctx.actor, query, today=self.ctx.today())

    def show_page(self, query: SearchQuery, page: SearchPage) -> None:
        self.beginResetModel()
        self.query = query
        self.rows = list(page.rows)
        self.total = page.total
        self.total_exact = page.total_exact
        self.endResetModel()

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and len(self.rows) < self.total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid():
            return
        page = self.fetch_page(replace(self.query, offset=len(self.rows), limit=PAGE_SIZE))
        if not page.rows:
            self.total = len(self.rows)
            return
        start = len(self.rows)
        self.beginInsertRows(QModelIndex(), start, start + len(page.rows) - 1)
        self.rows.extend(page.rows)
        if not page.total_exact:
            # past the counted cap: keep offering more while pages come back full
            self.total = len(self.rows) + (PAGE_SIZE if len(page.rows) == PAGE_SIZE else 0)
        self.endInsertRows()

    def person_id(self, row: int) -> uuid.UUID | None:
        return self.rows[row].id if 0 <= row < len(self.rows) else None

    def person_ids(self) -> list[uuid.UUID]:
        return [r.id for r in self.rows]

    # --- the model interface ----------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return _cell(row, index.column())
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 7 and row.status is not PersonStatus.ACTIVE:
            return _("已不在册：{s}").format(s=label(row.status))
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _(COLUMNS[section][0])
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = COLUMNS[column][1]
        if key is not None:
            self.sort_requested.emit(key, order == Qt.SortOrder.DescendingOrder)
