"""残疾人档案: find people as you type, filter, sort, open their files."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from liaison.core.enums import DisabilityCategory, DisabilityGrade, PersonStatus, label
from liaison.core.i18n import _
from liaison.core.services.areas import subtree_ids
from liaison.core.services.search import COUNT_CAP, SearchPage, SearchQuery, SortKey
from liaison.core.services.tasks import overdue_person_ids
from liaison.gui import windows
from liaison.gui.context import GuiContext
from liaison.gui.fields import ChoiceField
from liaison.gui.ops import Op, run_in_background
from liaison.gui.person_table import PAGE_SIZE, PersonTableModel

TYPE_AHEAD_MS = 150


class _SearchBox(QLineEdit):
    """Down moves into the results, so the list is reached without the mouse."""

    down_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Down:
            self.down_pressed.emit()
            return
        super().keyPressEvent(event)


class RosterPage(QWidget):
    # a search finished and is on screen (tests wait on it)
    results_shown = Signal()

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = PersonTableModel(ctx, self)
        self._generation = 0
        self._op: Op | None = None
        self._overdue_ids: frozenset[uuid.UUID] | None = None
        self._sort = (SortKey.NAME, False)
        self._build()
        self._timer = QTimer(self, singleShot=True, interval=TYPE_AHEAD_MS)
        self._timer.timeout.connect(self.run_search)
        self.search.textChanged.connect(lambda _t: self._timer.start())
        for combo in (self.area, self.category, self.grade, self.status):
            combo.value_changed.connect(self.run_search)
        self.open_needs.toggled.connect(self.run_search)
        self.overdue.toggled.connect(self._overdue_toggled)
        self.model.sort_requested.connect(self._sort_requested)
        ctx.events.changed.connect(self._data_changed)
        self.run_search()

    # --- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        caption = QLabel(_("查找(&F)："))
        self.search = _SearchBox()
        self.search.setPlaceholderText(_("姓名、拼音或首字母、身份证号片段、电话"))
        self.search.setAccessibleName(_("查找人员"))
        self.search.setClearButtonEnabled(True)
        caption.setBuddy(self.search)
        top.addWidget(caption)
        top.addWidget(self.search, 1)
        self.new_button = QPushButton(_("新建档案(&N)"))
        self.open_button = QPushButton(_("打开档案(&O)"))
        self.visit_button = QPushButton(_("登记走访(&V)"))
        for button in (self.new_button, self.open_button, self.visit_button):
            top.addWidget(button)
        layout.addLayout(top)

        # two rows, so the filters fit a small screen at a large font size
        filters = QGridLayout()
        self.area = self._filter(filters, 0, 0, _("村（社区）"), self.ctx.area_choices())
        self.category = self._filter(
            filters, 0, 1, _("类别"), [(c, label(c)) for c in DisabilityCategory])
        self.grade = self._filter(filters, 1, 0, _("等级"), [(g, label(g)) for g in DisabilityGrade])
        self.status = self._filter(
            filters, 1, 1, _("状态"), [(s, label(s)) for s in PersonStatus], empty=_("全部状态"))
        self.status.set_value(PersonStatus.ACTIVE)
        self.open_needs = QCheckBox(_("有待办需求"))
        self.overdue = QCheckBox(_("有逾期事项"))
        filters.addWidget(self.open_needs, 0, 4)
        filters.addWidget(self.overdue, 1, 4)
        filters.setColumnStretch(5, 1)
        layout.addLayout(filters)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName(_("人员列表"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().hide()
        # sized to the first page once: measuring every column on every keystroke is slow
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self._columns_sized = False
        layout.addWidget(self.table, 1)
        self.count_label = QLabel()
        self.count_label.setAccessibleName(_("查找结果数"))
        layout.addWidget(self.count_label)

        self.search.down_pressed.connect(self._focus_results)
        self.search.returnPressed.connect(self._focus_results)
        self.table.activated.connect(self._open_index)  # Enter, or a double-click
        self.new_button.clicked.connect(lambda: windows.open_person_file(self.ctx, self, None))
        self.open_button.clicked.connect(lambda: self._open_index(self.table.currentIndex()))
        self.visit_button.clicked.connect(self.visit_selected)

    def _filter(self, layout: QGridLayout, row: int, column: int, caption: str,
                choices: list[tuple[Any, str]], empty: str | None = None) -> ChoiceField:
        combo = ChoiceField(choices, empty_text=empty or _("全部"))
        text = QLabel(caption + "：")
        text.setBuddy(combo)
        combo.setAccessibleName(caption)
        layout.addWidget(text, row, column * 2)
        layout.addWidget(combo, row, column * 2 + 1)
        return combo

    # --- searching ---------------------------------------------------------------------------

    def current_query(self) -> SearchQuery:
        """The filters as set; a chosen area stands for itself until `_with_subtree` (run in
        the worker) widens it to everything below it."""
        area = self.area.value()
        return SearchQuery(
            text=self.search.text(),
            area_ids=frozenset({area}) if area is not None else None,
            category=self.category.value(),
            grade=self.grade.value(),
            status=self.status.value(),
            has_open_need=self.open_needs.isChecked(),
            person_ids=self._overdue_ids if self.overdue.isChecked() else None,
            sort=self._sort[0],
            descending=self._sort[1],
            limit=PAGE_SIZE,
        )

    def run_search(self) -> None:
        """Search off the GUI thread; a result that arrives after a newer search is dropped."""
        self._timer.stop()
        if self.overdue.isChecked() and self._overdue_ids is None:
            return  # _overdue_toggled searches again once the ids are known
        query = self.current_query()
        self._generation += 1
        generation = self._generation
        self.count_label.setText(_("正在查找……"))

        def work(_token: object, _progress: object) -> tuple[SearchQuery, SearchPage]:
            full = self._with_subtree(query)
            return full, self.model.fetch_page(full)

        def done(result: tuple[SearchQuery, SearchPage]) -> None:
            full, page = result
            if generation == self._generation:
                self.model.show_page(full, page)
                if not self._columns_sized and page.rows:
                    self.table.resizeColumnsToContents()
                    self._columns_sized = True
                self._show_count(page)
                self.results_shown.emit()

        self._op = run_in_background(self, work, on_done=done)

    def _with_subtree(self, query: SearchQuery) -> SearchQuery:
        if query.area_ids is None:
            return query
        with self.ctx.workspace.uow() as uow:
            return replace(query, area_ids=frozenset(subtree_ids(uow.session, query.area_ids)))

    def _show_count(self, page: SearchPage) -> None:
        if page.total_exact:
            self.count_label.setText(_("共 {n} 人").format(n=page.total))
        else:
            self.count_label.setText(_("超过 {n} 人，请输入更多条件缩小范围").format(n=COUNT_CAP))

    def _overdue_toggled(self, checked: bool) -> None:
        if not checked:
            self.run_search()
            return
        self._overdue_ids = None
        self.count_label.setText(_("正在计算逾期事项……"))

        def done(ids: frozenset[uuid.UUID]) -> None:
            self._overdue_ids = ids
            self.run_search()

        def work(_t: object, _p: object) -> frozenset[uuid.UUID]:
            with self.ctx.workspace.uow() as uow:
                return overdue_person_ids(uow, self.ctx.actor, self.ctx.rules, today=self.ctx.today())

        self._op = run_in_background(self, work, on_done=done)

    def _sort_requested(self, key: SortKey, descending: bool) -> None:
        self._sort = (key, descending)
        self.run_search()

    def _data_changed(self, kind: str) -> None:
        if kind in ("person", "visit", "need"):
            self._overdue_ids = None if self.overdue.isChecked() else self._overdue_ids
            if self.overdue.isChecked():
                self._overdue_toggled(True)
            else:
                self.run_search()

    # --- actions -----------------------------------------------------------------------------

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _focus_results(self) -> None:
        if self.model.rowCount():
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)
            self.table.selectRow(0)

    def selected_person(self) -> uuid.UUID | None:
        index = self.table.currentIndex()
        return self.model.person_id(index.row()) if index.isValid() else None

    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid() and (person_id := self.model.person_id(index.row())) is not None:
            windows.open_person_file(self.ctx, self, person_id)

    def visit_selected(self) -> None:
        person_id = self.selected_person()
        ids = self.model.person_ids()
        following = ids[ids.index(person_id) + 1:] if person_id in ids else None
        windows.open_visit_form(self.ctx, self, person_id, next_people=following)

