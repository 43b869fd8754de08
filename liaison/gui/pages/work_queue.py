"""工作台: what to do next, grouped by urgency; opening a task opens the right form."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from liaison.core.i18n import _
from liaison.core.rules.cadence import DueState
from liaison.core.services.areas import subtree_ids
from liaison.core.services.tasks import (
    Task,
    TaskKind,
    WorkQueue,
    state_label,
    task_kind_label,
    work_queue,
)
from liaison.gui import windows
from liaison.gui.context import GuiContext
from liaison.gui.fields import ChoiceField
from liaison.gui.ops import Op, run_in_background

STATES = (DueState.OVERDUE, DueState.DUE, DueState.UPCOMING)
HEADERS = ("类型", "姓名", "村（社区）", "期限", "逾期", "说明")
TASK_ROLE = Qt.ItemDataRole.UserRole + 1
# a long queue is listed in full only up to this many per group; the rest are counted
SHOWN_PER_STATE = 500


class WorkQueuePage(QWidget):
    loaded = Signal()

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.queue: WorkQueue | None = None
        self._tasks: list[Task] = []
        self._generation = 0
        self._op: Op | None = None
        self.model = QStandardItemModel(self)
        self._build()
        ctx.events.changed.connect(lambda _kind: self.refresh())
        self.refresh()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        caption = QLabel(_("范围(&A)："))
        self.area = ChoiceField(self.ctx.area_choices(), empty_text=_("我负责的全部地区"))
        self.area.setAccessibleName(_("工作台范围"))
        caption.setBuddy(self.area)
        self.refresh_button = QPushButton(_("刷新(&R)"))
        top.addWidget(caption)
        top.addWidget(self.area)
        top.addStretch(1)
        top.addWidget(self.refresh_button)
        layout.addLayout(top)
        self.summary = QLabel(_("正在加载……"))
        self.summary.setAccessibleName(_("待办汇总"))
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setAccessibleName(_("待办事项"))
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setUniformRowHeights(True)
        self.tree.setAllColumnsShowFocus(True)
        layout.addWidget(self.tree, 1)
        hint = QLabel(_("选中一项后按回车，或双击，打开对应的走访表或档案。"))
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.area.value_changed.connect(self.refresh)
        self.refresh_button.clicked.connect(self.refresh)
        self.tree.activated.connect(self.open_index)  # Enter, or a double-click

    # --- loading -----------------------------------------------------------------------------

    def refresh(self) -> None:
        self._generation += 1
        generation = self._generation
        area = self.area.value()
        self.summary.setText(_("正在加载……"))

        def work(_t: object, _p: object) -> WorkQueue:
            with self.ctx.workspace.uow() as uow:
                area_ids = frozenset(subtree_ids(uow.session, [area])) if area else None
                return work_queue(uow, self.ctx.actor, self.ctx.rules, area_ids=area_ids,
                                  today=self.ctx.today())

        def done(queue: WorkQueue) -> None:
            if generation == self._generation:
                self.show_queue(queue)

        self._op = run_in_background(self, work, on_done=done)

    def show_queue(self, queue: WorkQueue) -> None:
        self.queue = queue
        self._tasks: list[Task] = []
        self.model.clear()
        self.model.setHorizontalHeaderLabels([_(h) for h in HEADERS])
        counts = queue.counts()
        for state in STATES:
            tasks = queue.by_state(state)
            group = QStandardItem(_("{state}（{n} 项）").format(state=state_label(state), n=len(tasks)))
            group.setAccessibleText(group.text())
            font = group.font()
            font.setBold(True)
            group.setFont(font)
            for task in tasks[:SHOWN_PER_STATE]:
                group.appendRow(self._task_row(task))
            if len(tasks) > SHOWN_PER_STATE:
                more = QStandardItem(_("另有 {n} 项未列出，请选择更小的范围").format(
                    n=len(tasks) - SHOWN_PER_STATE))
                group.appendRow([more])
            self.model.appendRow([group] + [QStandardItem() for _h in HEADERS[1:]])
        for row in range(self.model.rowCount()):
            self.tree.setFirstColumnSpanned(row, QModelIndex(), True)
            self.tree.expand(self.model.index(row, 0))
        header = self.tree.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # the group rows span every column; the first column only needs the kind of task
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        kind_width = max(self.fontMetrics().horizontalAdvance(task_kind_label(k)) for k in TaskKind)
        header.resizeSection(0, kind_width + 2 * self.tree.indentation() + 16)
        header.setStretchLastSection(True)
        self.summary.setText(
            _("已逾期 {o} 项 · 今日到期 {d} 项 · 即将到期 {u} 项（{day}）").format(
                o=counts.get(DueState.OVERDUE, 0), d=counts.get(DueState.DUE, 0),
                u=counts.get(DueState.UPCOMING, 0), day=queue.today.isoformat()))
        first = self.model.index(0, 0)
        if self.model.rowCount(first):
            self.tree.setCurrentIndex(self.model.index(0, 0, first))
        self.loaded.emit()

    def _task_row(self, task: Task) -> list[QStandardItem]:
        overdue = _("逾期 {n} 天").format(n=task.days_overdue) if task.days_overdue else ""
        texts = [task_kind_label(task.kind), task.person_name, task.area_name,
                 task.due_on.isoformat(), overdue, task.detail]
        items = [QStandardItem(t) for t in texts]
        self._tasks.append(task)
        for item in items:
            item.setData(len(self._tasks) - 1, TASK_ROLE)  # an int: see ChoiceField on why
        items[0].setAccessibleText(f"{state_label(task.state)} {texts[0]} {task.person_name} {task.detail}")
        return items

    # --- opening -----------------------------------------------------------------------------

    def task_at(self, index: QModelIndex) -> Task | None:
        position = index.data(TASK_ROLE) if index.isValid() else None
        return self._tasks[position] if isinstance(position, int) else None

    def open_index(self, index: QModelIndex) -> None:
        task = self.task_at(index)
        if task is not None:
            self.open_task(task)

    def open_task(self, task: Task) -> None:
        """Visits and follow-ups open the visit form (moving on through the same group);
        need alerts and certificates open the person's file where the matter is."""
        if task.kind in (TaskKind.NEED_ALERT,):
            windows.open_person_file(self.ctx, self, task.person_id, section="needs")
        elif task.kind is TaskKind.CERT_EXPIRY:
            windows.open_person_file(self.ctx, self, task.person_id, section="identity")
        else:
            following = self._following_visits(task)
            windows.open_visit_form(self.ctx, self, task.person_id, kind=task.visit_kind,
                                    next_people=following)

    def _following_visits(self, task: Task) -> list[Any]:
        assert self.queue is not None
        same = [t for t in self.queue.by_state(task.state) if t.visit_kind is not None
                and t.kind not in (TaskKind.NEED_ALERT, TaskKind.CERT_EXPIRY)]
        ids: list[Any] = []
        for t in same:
            if t.person_id not in ids:
                ids.append(t.person_id)
        return ids[ids.index(task.person_id) + 1:] if task.person_id in ids else []
