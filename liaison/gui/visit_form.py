"""The home-visit form (入户走访登记): who is visited, what was found, the needs raised, the
follow-ups promised, what happened to the person's open needs and follow-ups.

Everything in one form is saved in one unit of work: the visit, its needs and follow-ups,
the need updates and the completed follow-ups are stored together or not at all. Errors from
the services are shown next to the field or the row they name ("needs[2].kind" goes under
the second need row).
"""

from __future__ import annotations

import itertools
import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from liaison.core.enums import (
    ContactMode,
    DisabilityCategory,
    DisabilityGrade,
    NeedKind,
    NeedStatus,
    PersonStatus,
    VisitKind,
    choices,
    label,
)
from liaison.core.errors import LiaisonError, ValidationError
from liaison.core.i18n import _
from liaison.core.rules.idnumber import age_on
from liaison.core.services.areas import area_directory
from liaison.core.services.persons import load_person, parse_components
from liaison.core.services.search import PersonRow, SearchPage, SearchQuery, search_people
from liaison.core.services.visits import (
    FIELD_LABELS,
    FollowUpInput,
    NeedInput,
    NeedUpdate,
    VisitInput,
    complete_follow_up,
    open_follow_ups,
    open_needs,
    record_visit,
)
from liaison.gui import dialogs
from liaison.gui.context import GuiContext
from liaison.gui.fields import (
    ChoiceField,
    DateField,
    ErrorLabel,
    FieldValueError,
    FormGrid,
    IntField,
    MoneyField,
    MultiLineField,
    TextField,
)
from liaison.gui.ops import Op, report_error, run_in_background

FOLLOW_UP_DAYS = 14
SEARCH_DELAY_MS = 150
SEARCH_LIMIT = 20
# a nested service error key: "needs[2].kind", "follow_ups[1].due_on", "need_updates[3]"
_ROW_KEY = re.compile(r"^(needs|follow_ups|need_updates|done)\[(\d+)\](?:\.(\w+))?$")
# "第 2 项需求处理：" – the service numbers only the updates it was given, not the rows shown
_ROW_PREFIX = re.compile(r"^第\s*\d+\s*项[^：]*：")
# a field code the service left in a message ("note：…"): it names no field a person can see
_CODE_PREFIX = re.compile(r"^[a-z_]+：")
# the choices for an existing need, in the order officers think of them; None = unchanged
UPDATE_CHOICES = (
    NeedStatus.MET,
    NeedStatus.IN_SERVICE,
    NeedStatus.REFERRED,
    NeedStatus.DECLINED,
    NeedStatus.UNREACHABLE,
)

Index = QModelIndex | QPersistentModelIndex


# --- what the form shows about the person -----------------------------------------------------


@dataclass(frozen=True)
class OpenNeed:
    id: uuid.UUID
    kind: NeedKind
    detail: str | None
    status: NeedStatus
    raised_on: date

    def caption(self) -> str:
        text = label(self.kind) + (f"：{self.detail}" if self.detail else "")
        return _("{need}（{on} 提出，目前{status}）").format(
            need=text, on=self.raised_on.isoformat(), status=label(self.status)
        )


@dataclass(frozen=True)
class OpenFollowUp:
    id: uuid.UUID
    action: str
    due_on: date


@dataclass(frozen=True)
class VisitTarget:
    """The person being visited, as the form shows them."""

    id: uuid.UUID
    name: str
    village: str
    age: int
    disability: str
    status: PersonStatus
    needs: tuple[OpenNeed, ...]
    follow_ups: tuple[OpenFollowUp, ...]


def disability_text(category: int | None, grade: int | None, components: str | None) -> str:
    if category is None:
        return _("未评定")
    text = label(DisabilityCategory(category))
    parts = parse_components(components)
    if category == DisabilityCategory.MULTIPLE and parts:
        text += "（" + "、".join(label(DisabilityCategory(c)) for c in sorted(parts)) + "）"
    return text + (label(DisabilityGrade(grade)) if grade else "")


def load_target(ctx: GuiContext, person_id: uuid.UUID) -> VisitTarget:
    with ctx.workspace.uow() as uow:
        person = load_person(uow, ctx.actor, person_id)
        needs = open_needs(uow, ctx.actor, person_id)
        follow_ups = open_follow_ups(uow, ctx.actor, person_id)
        area = area_directory(uow).get(person.area_id)
        return VisitTarget(
            id=person.id,
            name=person.name,
            village=area.full_name if area else "",
            age=age_on(person.birth_date, ctx.today()),
            disability=disability_text(person.category, person.grade, person.component_categories),
            status=person.status,
            needs=tuple(OpenNeed(n.id, n.kind, n.detail, n.status, n.raised_on) for n in needs),
            follow_ups=tuple(OpenFollowUp(f.id, f.action, f.due_on) for f in follow_ups),
        )


def widget_state(widget: QWidget) -> object:
    """What a person has entered in an input, for telling whether anything was typed."""
    if isinstance(widget, QLineEdit):
        return widget.text()
    if isinstance(widget, QPlainTextEdit):
        return widget.toPlainText()
    if isinstance(widget, QComboBox):
        return widget.currentIndex()
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    return None


def plain_button(text: str) -> QPushButton:
    """A button that Enter in a line edit never presses by surprise."""
    button = QPushButton(text)
    button.setAutoDefault(False)
    return button


# --- the person picker ------------------------------------------------------------------------


class PersonResultsModel(QAbstractListModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[PersonRow] = []

    def set_rows(self, rows: list[PersonRow]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return _("{name}  {sex} {age}岁  {area}  {id}").format(
                name=row.name,
                sex=label(row.sex),
                age=row.age,
                area=row.area_name,
                id=row.id_number_masked,
            )
        return None


class PersonPicker(QWidget):
    """Type a name, pinyin initials or an ID fragment; Enter takes the highlighted person,
    Down moves into the list."""

    picked = Signal(object)  # person id

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._generation = 0
        self._searching = False
        self._pick_when_found = False
        self._op: Op | None = None
        self._build()

    def _build(self) -> None:
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(_("输入姓名、拼音首字母或身份证号"))
        self.edit.setAccessibleName(_("查找走访对象"))
        caption = QLabel(_("查找走访对象(&F)："))
        caption.setBuddy(self.edit)
        self.model = PersonResultsModel(self)
        self.results = QListView()
        self.results.setModel(self.model)
        self.results.setAccessibleName(_("查找结果"))
        self.results.setMaximumHeight(self.fontMetrics().lineSpacing() * 7)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(caption, 0, 0)
        layout.addWidget(self.edit, 0, 1)
        layout.addWidget(self.results, 1, 1)
        layout.addWidget(self.status, 2, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self._search)
        self.edit.textEdited.connect(lambda _text: self._timer.start())
        self.edit.returnPressed.connect(self.pick_current)
        self.edit.installEventFilter(self)
        self.results.installEventFilter(self)
        self.results.activated.connect(self._pick_index)

    @property
    def searching(self) -> bool:
        return self._timer.isActive() or self._searching

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress:
            key = event.key()  # type: ignore[attr-defined]
            if watched is self.edit and key == Qt.Key.Key_Down and self.model.rowCount():
                self.results.setFocus()
                self.results.setCurrentIndex(
                    self.model.index(max(self.results.currentIndex().row(), 0))
                )
                return True
            if (
                watched is self.results
                and key == Qt.Key.Key_Up
                and self.results.currentIndex().row() <= 0
            ):
                self.edit.setFocus()
                return True
        return super().eventFilter(watched, event)

    def _search(self) -> None:
        self._timer.stop()
        self._generation += 1
        generation, text = self._generation, self.edit.text().strip()
        if not text:
            self._searching = False
            self._show(generation, None)
            return
        self._searching = True
        query = SearchQuery(text=text, limit=SEARCH_LIMIT)
        ctx = self.ctx

        def job(_token: object, _progress: object) -> SearchPage:
            with ctx.workspace.uow() as uow:
                return search_people(uow, ctx.actor, query, today=ctx.today())

        self._op = run_in_background(
            self,
            job,
            on_done=lambda page: self._show(generation, page),
            on_error=lambda exc: self._failed(generation, exc),
        )

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self._searching = False
            self._pick_when_found = False
            report_error(self, exc)

    def _show(self, generation: int, page: SearchPage | None) -> None:
        if generation != self._generation:
            return  # a later search is under way; this answer is stale
        self._searching = False
        rows = page.rows if page else []
        self.model.set_rows(rows)
        if rows:
            self.results.setCurrentIndex(self.model.index(0))
            more = "" if page is None or page.total <= len(rows) else _("，请再多输入几个字")
            self.status.setText(
                _("找到 {n} 人{more}").format(n=page.total if page else 0, more=more)
            )
        else:
            self.status.setText(_("没有找到") if self.edit.text().strip() else "")
        if self._pick_when_found:
            self._pick_when_found = False
            self.pick_current()

    def pick_current(self) -> None:
        """Enter: take the highlighted person (waiting for a search still under way)."""
        if self.searching:
            self._pick_when_found = True
            if self._timer.isActive():
                self._search()
            return
        index = self.results.currentIndex()
        if not index.isValid() and self.model.rowCount():
            index = self.model.index(0)
        if index.isValid():
            self._pick_index(index)

    def _pick_index(self, index: QModelIndex) -> None:
        row = self.model.rows[index.row()]
        self.edit.setText(row.name)
        self.picked.emit(row.id)


# --- rows of the tables -----------------------------------------------------------------------


class FormRow(QFrame):
    """One row of a table in the form: its inputs, and an error line under them."""

    remove_requested = Signal(object)  # the row
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.grid = QGridLayout(self)
        self.grid.setColumnStretch(1, 1)
        self.error = ErrorLabel()
        self.captions: dict[QWidget, QLabel] = {}

    def add_input(self, row: int, widget: QWidget, *, span: int = 1) -> QWidget:
        caption = QLabel()
        caption.setBuddy(widget)
        self.captions[widget] = caption
        self.grid.addWidget(caption, row, 0, Qt.AlignmentFlag.AlignRight)
        self.grid.addWidget(widget, row, 1, 1, span)
        return widget

    def label_input(self, widget: QWidget, caption: str, accessible: str) -> None:
        self.captions[widget].setText(caption)
        widget.setAccessibleName(accessible)

    def add_error_line(self, row: int) -> None:
        self.grid.addWidget(self.error, row, 1, 1, 2)

    def show_errors(self, messages: list[str]) -> None:
        self.error.show_message("；".join(messages) or None)

    def inputs(self) -> list[QWidget]:
        raise NotImplementedError

    def input_for(self, field: str | None) -> QWidget:
        return self.inputs()[0]

    def set_number(self, number: int) -> None:
        """Rows are numbered as the services number them (from 1)."""

    def snapshot(self) -> tuple[object, ...]:
        return tuple(widget_state(w) for w in self.inputs())


class NeedRow(FormRow):
    """A need raised in this visit: its kind and a few words about it."""

    def __init__(self, key: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.kind = ChoiceField.for_enum(NeedKind, empty_text=_("（请选择）"))
        self.detail = TextField()
        self.detail.setMaxLength(2000)
        self.detail.setPlaceholderText(_("具体需要什么，如“需要轮椅”"))
        self.remove = plain_button(_("删除"))
        self.add_input(0, self.kind)
        self.grid.addWidget(self.remove, 0, 2)
        self.add_input(1, self.detail, span=2)
        self.add_error_line(2)
        self.kind.value_changed.connect(self.changed)
        self.remove.clicked.connect(lambda: self.remove_requested.emit(self))

    def set_number(self, number: int) -> None:
        self.number = number
        self.label_input(
            self.kind,
            _("需求 {n} 类型：").format(n=number),
            _("第 {n} 项需求的类型").format(n=number),
        )
        self.label_input(self.detail, _("说明："), _("第 {n} 项需求的说明").format(n=number))
        self.remove.setAccessibleName(_("删除第 {n} 项需求").format(n=number))

    def inputs(self) -> list[QWidget]:
        return [self.kind, self.detail, self.remove]

    def input_for(self, field: str | None) -> QWidget:
        return self.detail if field == "detail" else self.kind

    def choice_text(self) -> str:
        kind = self.kind.value()
        what = label(NeedKind(kind)) if kind else _("未选类型")
        return _("本次需求 {n}：{what}").format(n=self.number, what=what)


class FollowUpRow(FormRow):
    """Something promised during the visit: what, by when, and which need it serves."""

    def __init__(
        self, due_on: date, need_choices: list[tuple[Any, str]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.action = TextField()
        self.action.setMaxLength(200)
        self.action.setPlaceholderText(_("要做的事，如“联系镇残联安排入户勘测”"))
        self.due = DateField(required=True)
        self.due.set_value(due_on)
        self.need = ChoiceField([])
        # long need descriptions must not widen the form at large font sizes
        self.need.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.need.setMinimumContentsLength(12)
        self.remove = plain_button(_("删除"))
        self.add_input(0, self.action)
        self.grid.addWidget(self.remove, 0, 2)
        self.add_input(1, self.due)
        self.add_input(2, self.need)
        self.add_error_line(3)
        self.set_need_choices(need_choices)
        self.remove.clicked.connect(lambda: self.remove_requested.emit(self))

    def set_number(self, number: int) -> None:
        self.label_input(
            self.action,
            _("事项 {n}：").format(n=number),
            _("第 {n} 项跟进事项的内容").format(n=number),
        )
        self.label_input(self.due, _("期限："), _("第 {n} 项跟进事项的期限").format(n=number))
        self.label_input(
            self.need, _("对应需求："), _("第 {n} 项跟进事项对应的需求").format(n=number)
        )
        self.remove.setAccessibleName(_("删除第 {n} 项跟进事项").format(n=number))

    def set_need_choices(self, need_choices: list[tuple[Any, str]]) -> None:
        """Refresh the needs to choose from, keeping the one chosen while it still exists."""
        current = self.need.value()
        self.need.blockSignals(True)
        self.need.clear()
        for value, text in need_choices:
            self.need.addItem(text, value)
        self.need.set_value(current)
        self.need.blockSignals(False)

    def inputs(self) -> list[QWidget]:
        return [self.action, self.due, self.need, self.remove]

    def input_for(self, field: str | None) -> QWidget:
        return {"due_on": self.due, "need_id": self.need, "need_index": self.need}.get(
            field or "", self.action
        )

    def snapshot(self) -> tuple[object, ...]:
        return (self.action.text(), self.due.text(), self.need.value())


class NeedUpdateRow(FormRow):
    """One of the person's open needs: leave it, or say what became of it."""

    def __init__(self, need: OpenNeed, number: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.need_info = need
        caption = QLabel(_("已有需求 {n}：{need}").format(n=number, need=need.caption()))
        caption.setWordWrap(True)
        self.grid.addWidget(caption, 0, 0, 1, 2)
        options = [(None, _("不变"))] + [
            (s, label(s)) for s in UPDATE_CHOICES if s is not need.status
        ]
        self.status = ChoiceField(options)
        self.note = TextField()
        self.note.setMaxLength(200)
        self.note.setPlaceholderText(_("“本人不需要”“无法落实”时必须写明原因"))
        self.add_input(1, self.status)
        self.add_input(2, self.note)
        self.add_error_line(3)
        self.label_input(
            self.status,
            _("处理："),
            _("已有需求 {n}（{kind}）的处理").format(n=number, kind=label(need.kind)),
        )
        self.label_input(
            self.note,
            _("说明："),
            _("已有需求 {n}（{kind}）的处理说明").format(n=number, kind=label(need.kind)),
        )

    def inputs(self) -> list[QWidget]:
        return [self.status, self.note]

    def input_for(self, field: str | None) -> QWidget:
        status = self.status.value()
        needs_note = (
            status in (NeedStatus.DECLINED, NeedStatus.UNREACHABLE) and not self.note.value()
        )
        return self.note if needs_note else self.status

    def show_errors(self, messages: list[str]) -> None:
        super().show_errors([_CODE_PREFIX.sub("", _ROW_PREFIX.sub("", m)) for m in messages])

    def need_update(self) -> NeedUpdate | None:
        status = self.status.value()
        if status is None:
            return None
        return NeedUpdate(self.need_info.id, NeedStatus(status), self.note.value())


class DoneRow(FormRow):
    """One of the person's open follow-ups, with a box to tick when it was done."""

    def __init__(self, item: OpenFollowUp, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        overdue = _("，已逾期") if item.due_on < today else ""
        text = _("{action}（期限 {due}{overdue}）").format(
            action=item.action, due=item.due_on.isoformat(), overdue=overdue
        )
        self.check = QCheckBox(_("已完成"))
        self.check.setAccessibleName(_("已完成：{what}").format(what=text))
        # the words beside the box wrap (a check box's own text would not at large font sizes)
        self.description = QLabel(text)
        self.description.setWordWrap(True)
        self.description.setBuddy(self.check)
        self.grid.addWidget(self.check, 0, 0)
        self.grid.addWidget(self.description, 0, 1)
        self.grid.addWidget(self.error, 1, 1)

    def inputs(self) -> list[QWidget]:
        return [self.check]


class RowsSection(QGroupBox):
    """A titled list of rows, with an optional add button and an error line of its own."""

    changed = Signal()

    def __init__(
        self,
        title: str,
        empty_text: str,
        add_text: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(title, parent)
        self.rows: list[FormRow] = []
        layout = QVBoxLayout(self)
        self._rows_layout = QVBoxLayout()
        layout.addLayout(self._rows_layout)
        self.empty = QLabel(empty_text)
        layout.addWidget(self.empty)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        self.add_button = plain_button(add_text) if add_text else None
        if self.add_button is not None:
            line = QHBoxLayout()
            line.addWidget(self.add_button)
            line.addStretch(1)
            layout.addLayout(line)

    def on_add(self, slot: Any) -> None:
        assert self.add_button is not None
        self.add_button.clicked.connect(lambda: slot())

    def append(self, row: FormRow) -> None:
        self.rows.append(row)
        self._rows_layout.addWidget(row)
        row.show()  # at once, so the new row can take the focus (the layout would show it later)
        row.remove_requested.connect(self.remove)
        row.changed.connect(self.changed)
        self._after_change()

    def remove(self, row: FormRow) -> None:
        position = self.rows.index(row)
        self._detach(row)
        self._after_change()
        following = self.rows[min(position, len(self.rows) - 1)] if self.rows else None
        target = following.inputs()[0] if following else self.add_button
        if target is not None:
            target.setFocus()

    def clear(self) -> None:
        for row in list(self.rows):
            self._detach(row)
        self._after_change()

    def _detach(self, row: FormRow) -> None:
        self.rows.remove(row)
        self._rows_layout.removeWidget(row)
        row.hide()
        row.deleteLater()

    def _after_change(self) -> None:
        for number, row in enumerate(self.rows, start=1):
            row.set_number(number)
        self.empty.setVisible(not self.rows)
        self.changed.emit()

    def focus_chain(self) -> list[QWidget]:
        chain = [w for row in self.rows for w in row.inputs()]
        return chain + ([self.add_button] if self.add_button is not None else [])

    def clear_errors(self) -> None:
        self.error.show_message(None)
        for row in self.rows:
            row.show_errors([])

    def snapshot(self) -> tuple[object, ...]:
        return tuple(row.snapshot() for row in self.rows)


# --- the header: who is visited ---------------------------------------------------------------


class PersonHeader(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(_("走访对象"), parent)
        self.layout_ = QVBoxLayout(self)
        self.name = QLabel()
        font = QFont(self.name.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.name.setFont(font)
        self.details = QLabel()
        self.counts = QLabel()
        for text in (self.name, self.details, self.counts):
            text.setWordWrap(True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.layout_.addWidget(text)
        self.error = ErrorLabel()
        self.layout_.addWidget(self.error)
        self.show_target(None)

    def add_picker(self, picker: PersonPicker) -> None:
        self.layout_.insertWidget(0, picker)

    def show_target(self, target: VisitTarget | None) -> None:
        if target is None:
            self.name.setText(_("尚未选择走访对象"))
            self.details.clear()
            self.counts.clear()
            return
        status = (
            ""
            if target.status is PersonStatus.ACTIVE
            else _("（{s}）").format(s=label(target.status))
        )
        self.name.setText(target.name + status)
        self.details.setText(
            _("{village} · {age} 岁 · {disability}").format(
                village=target.village, age=target.age, disability=target.disability
            )
        )
        self.counts.setText(
            _("待办需求 {n} 项 · 未完成的跟进事项 {m} 项").format(
                n=len(target.needs), m=len(target.follow_ups)
            )
        )


# --- the dialog -------------------------------------------------------------------------------


class FormErrors(Exception):
    """Inputs that could not be read; keys as the services name them."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


class VisitDialog(QDialog):
    """Record one home visit (non-modal: callers `show()` it)."""

    saved = Signal(object)  # the visit id

    def __init__(
        self,
        ctx: GuiContext,
        person_id: uuid.UUID | None,
        parent: QWidget | None = None,
        *,
        kind: VisitKind | None = None,
        next_people: list[uuid.UUID] | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.target: VisitTarget | None = None
        self._next_people = list(next_people or [])
        self._need_keys = 0
        self._submitted_updates: list[NeedUpdateRow] = []
        self._submitted_done: list[DoneRow] = []
        self.setWindowTitle(_("走访登记"))
        self._build(picker=person_id is None)
        self._reset_inputs(ctx.today(), kind or VisitKind.ROUTINE, ctx.actor.display_name)
        if person_id is not None:
            self._load_person(person_id)
        self.mark_clean()
        first = self.picker.edit if self.picker is not None else self.grid.fields["visit_date"]
        first.setFocus()

    # --- building -----------------------------------------------------------------------------

    def _build(self, *, picker: bool) -> None:
        self.header = PersonHeader()
        self.picker = PersonPicker(self.ctx) if picker else None
        if self.picker is not None:
            self.header.add_picker(self.picker)
            self.picker.picked.connect(self._on_picked)
        self.grid = self._build_grid()
        self.needs = RowsSection(_("新提出的需求"), _("本次没有提出新的需求"), _("添加需求(&A)"))
        self.follow_ups = RowsSection(
            _("跟进事项"), _("本次没有要跟进的事项"), _("添加跟进事项(&G)")
        )
        self.updates = RowsSection(_("已有需求的处理"), _("没有待办的需求"))
        self.open_follow_ups = RowsSection(_("未完成的跟进事项"), _("没有未完成的跟进事项"))
        self.needs.on_add(self.add_need)
        self.follow_ups.on_add(self.add_follow_up)
        self.needs.changed.connect(self._on_needs_changed)
        self.follow_ups.changed.connect(self._update_tab_order)
        content = QWidget()
        column = QVBoxLayout(content)
        for part in (self.header, self._group(_("走访情况"), self.grid), *self.sections):
            column.addWidget(part)
        column.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setWidget(content)
        self.form_error = ErrorLabel()
        layout = QVBoxLayout(self)
        layout.addWidget(self.scroll_area, 1)
        layout.addWidget(self.form_error)
        layout.addLayout(self._build_buttons())
        self._fit_to_screen()

    def _fit_to_screen(self) -> None:
        """About 46 characters wide, never larger than the screen (large fonts, small laptops)."""
        em = self.fontMetrics().horizontalAdvance("走")
        available = self.screen().availableGeometry()
        self.resize(
            min(em * 46, available.width() * 9 // 10), min(em * 40, available.height() * 9 // 10)
        )

    @staticmethod
    def _group(title: str, widget: QWidget) -> QGroupBox:
        box = QGroupBox(title)
        QVBoxLayout(box).addWidget(widget)
        return box

    def _build_grid(self) -> FormGrid:
        grid = FormGrid()

        def caption(name: str) -> str:
            return _(FIELD_LABELS[name])

        grid.add("visit_date", caption("visit_date"), DateField(required=True))
        grid.add("kind", caption("kind"), ChoiceField(choices(VisitKind)))
        grid.add("contact_mode", caption("contact_mode"), ChoiceField(choices(ContactMode)))
        lost, visitor = TextField(), TextField()
        lost.setMaxLength(200)
        lost.setPlaceholderText(_("仅失访时填写，如“外出务工，家中无人”"))
        visitor.setMaxLength(50)
        grid.add("lost_reason", caption("lost_reason"), lost)
        grid.add("visitor_name", caption("visitor_name"), visitor)
        grid.add("findings", caption("findings"), MultiLineField(lines=4))
        grid.add("safety_risks", caption("safety_risks"), MultiLineField(lines=2))
        grid.add("household_income_fen", caption("household_income_fen"), MoneyField())
        grid.add("household_size", caption("household_size"), IntField(minimum=1, maximum=30))
        grid.fields["kind"].value_changed.connect(self._on_kind_changed)  # type: ignore[attr-defined]
        grid.fields["contact_mode"].value_changed.connect(self._on_mode_changed)  # type: ignore[attr-defined]
        return grid

    def _build_buttons(self) -> QHBoxLayout:
        self.save_button = plain_button(_("保存(&S)"))
        self.save_button.setToolTip(_("保存本次走访（Ctrl+S）"))
        self.next_button = plain_button(_("保存并下一位(&N)"))
        self.next_button.setToolTip(_("保存后接着登记名单中的下一位"))
        self.cancel_button = plain_button(_("取消"))
        self.save_button.clicked.connect(self.save_and_close)
        self.next_button.clicked.connect(self.save_and_next)
        self.cancel_button.clicked.connect(self.reject)
        QShortcut(QKeySequence("Ctrl+S"), self, activated=self.save_and_close)
        row = QHBoxLayout()
        row.addStretch(1)
        for button in (self.save_button, self.next_button, self.cancel_button):
            row.addWidget(button)
        return row

    def _field(self, name: str) -> Any:
        return self.grid.fields[name]

    @property
    def sections(self) -> tuple[RowsSection, ...]:
        """The tables of the form, top to bottom."""
        return (self.needs, self.follow_ups, self.updates, self.open_follow_ups)

    # typed views of the sections' rows
    @property
    def need_rows(self) -> list[NeedRow]:
        return cast(list[NeedRow], self.needs.rows)

    @property
    def follow_up_rows(self) -> list[FollowUpRow]:
        return cast(list[FollowUpRow], self.follow_ups.rows)

    @property
    def update_rows(self) -> list[NeedUpdateRow]:
        return cast(list[NeedUpdateRow], self.updates.rows)

    @property
    def done_rows(self) -> list[DoneRow]:
        return cast(list[DoneRow], self.open_follow_ups.rows)

    # --- reacting to input --------------------------------------------------------------------

    def _on_kind_changed(self) -> None:
        income = self._field("kind").value() == VisitKind.INCOME_MONITORING
        for name in ("household_income_fen", "household_size"):
            self.grid.labels[name].setVisible(income)
            self.grid.fields[name].setVisible(income)
            self.grid.fields[name].setEnabled(income)
            if not income:
                self.grid.errors[name].show_message(None)

    def _on_mode_changed(self) -> None:
        lost = self._field("contact_mode").value() == ContactMode.LOST
        self.grid.fields["lost_reason"].setEnabled(lost)
        if not lost:
            self.grid.errors["lost_reason"].show_message(None)

    def _on_needs_changed(self) -> None:
        choices_ = self._need_choices()
        for row in self.follow_up_rows:
            row.set_need_choices(choices_)
        self._update_tab_order()

    def _need_choices(self) -> list[tuple[Any, str]]:
        result: list[tuple[Any, str]] = [(None, _("（不对应需求）"))]
        result += [(("new", row.key), row.choice_text()) for row in self.need_rows]
        if self.target is not None:
            result += [
                (("need", n.id), _("已有需求：{c}").format(c=n.caption()))
                for n in self.target.needs
            ]
        return result

    def add_need(self) -> NeedRow:
        self._need_keys += 1
        row = NeedRow(self._need_keys)
        self.needs.append(row)
        self._show_new_row(row)
        return row

    def add_follow_up(self) -> FollowUpRow:
        try:
            start = self._field("visit_date").value() or self.ctx.today()
        except FieldValueError:
            start = self.ctx.today()
        row = FollowUpRow(start + timedelta(days=FOLLOW_UP_DAYS), self._need_choices())
        self.follow_ups.append(row)
        self._show_new_row(row)
        return row

    def _show_new_row(self, row: FormRow) -> None:
        focus = row.inputs()[0]
        focus.setFocus()
        QTimer.singleShot(0, self, lambda: self.scroll_area.ensureWidgetVisible(row))

    def _update_tab_order(self) -> None:
        chain: list[QWidget] = []
        if self.picker is not None:
            chain += [self.picker.edit, self.picker.results]
        chain += list(self.grid.fields.values())
        for section in self.sections:
            chain += section.focus_chain()
        chain += [self.save_button, self.next_button, self.cancel_button]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    # --- the person ---------------------------------------------------------------------------

    def _on_picked(self, person_id: uuid.UUID) -> None:
        keep = self._snapshot() == self._clean_state
        self._load_person(person_id)
        if keep:
            self.mark_clean()
        self.grid.fields["visit_date"].setFocus()

    def _load_person(self, person_id: uuid.UUID) -> None:
        try:
            target = load_target(self.ctx, person_id)
        except LiaisonError as exc:
            dialogs.Message.show_error(self, exc.message)
            target = None
        self.target = target
        self.header.show_target(target)
        self.header.error.show_message(None)
        self.setWindowTitle(
            _("走访登记 — {name}").format(name=target.name) if target else _("走访登记")
        )
        self._fill_person_sections(target)
        self.next_button.setEnabled(self.next_person() is not None)

    def _fill_person_sections(self, target: VisitTarget | None) -> None:
        self.updates.clear()
        self.open_follow_ups.clear()
        for number, need in enumerate(target.needs if target else (), start=1):
            self.updates.append(NeedUpdateRow(need, number))
        for item in target.follow_ups if target else ():
            self.open_follow_ups.append(DoneRow(item, self.ctx.today()))
        self._on_needs_changed()

    def next_person(self) -> uuid.UUID | None:
        """Who "save and next" moves on to: the one after this person in `next_people`."""
        people = self._next_people
        current = self.target.id if self.target else None
        if current in people:
            position = people.index(current)
            return people[position + 1] if position + 1 < len(people) else None
        return people[0] if people and current is not None else None

    def _reset_inputs(self, visit_date: date | str, kind: Any, visitor: str) -> None:
        for widget in self.grid.fields.values():
            widget.set_value(None)  # type: ignore[attr-defined]
        if isinstance(visit_date, str):
            self._field("visit_date").setText(visit_date)  # kept as typed for the next person
        else:
            self._field("visit_date").set_value(visit_date)
        self._field("kind").set_value(kind)
        self._field("contact_mode").set_value(ContactMode.HOME)
        self._field("visitor_name").set_value(visitor)
        self.needs.clear()
        self.follow_ups.clear()
        self._clear_errors()
        self._on_kind_changed()
        self._on_mode_changed()

    # --- unsaved input ------------------------------------------------------------------------

    def _snapshot(self) -> tuple[object, ...]:
        fields = tuple(widget_state(w) for w in self.grid.fields.values())
        sections = tuple(s.snapshot() for s in self.sections)
        return fields + sections

    def mark_clean(self) -> None:
        self._clean_state = self._snapshot()

    def has_unsaved_input(self) -> bool:
        return self._snapshot() != self._clean_state

    def reject(self) -> None:
        """Esc, 取消 and closing the window all come here (QDialog.closeEvent calls reject)."""
        if not self.has_unsaved_input():
            super().reject()
            return
        choice = dialogs.UnsavedChanges.ask(self, _("本次走访登记"))
        if choice is dialogs.UnsavedChoice.DISCARD:
            super().reject()
        elif choice is dialogs.UnsavedChoice.SAVE and self.save():
            self.accept()

    # --- saving -------------------------------------------------------------------------------

    def save_and_close(self) -> None:
        if self.save():
            self.accept()

    def save_and_next(self) -> None:
        following = self.next_person()
        if following is None or not self.save():
            return
        keep = (
            self._field("visit_date").text(),
            self._field("kind").value(),
            self._field("visitor_name").text(),
        )
        self._reset_inputs(*keep)
        self._load_person(following)
        self.mark_clean()
        self.grid.fields["findings"].setFocus()
        self.scroll_area.ensureVisible(0, 0)

    def save(self) -> bool:
        """Store the visit; on error show it next to its field and store nothing."""
        self._clear_errors()
        if self.target is None:
            self._show_errors({"person": _("请先选择走访对象")})
            return False
        try:
            data, completions = self._collect()
            visit_id = self._store(data, completions)
        except FormErrors as exc:
            self._show_errors(exc.errors)
            return False
        except ValidationError as exc:
            self._show_errors(exc.errors)
            return False
        except LiaisonError as exc:
            dialogs.Message.show_error(self, exc.message)
            return False
        except Exception as exc:  # noqa: BLE001 - a bug: logged with a reference, shown as such
            report_error(self, exc)
            return False
        self.mark_clean()
        self.ctx.events.changed.emit("visit")
        self.saved.emit(visit_id)
        return True

    def _store(self, data: VisitInput, completions: list[uuid.UUID]) -> uuid.UUID:
        today = self.ctx.today()
        with self.ctx.workspace.uow() as uow:
            saved = record_visit(uow, self.ctx.actor, data, today=today)
            errors: dict[str, str] = {}
            for number, follow_up_id in enumerate(completions, start=1):
                try:
                    complete_follow_up(
                        uow, self.ctx.actor, follow_up_id, on=data.visit_date, today=today
                    )
                except ValidationError as exc:
                    errors[f"done[{number}]"] = exc.message
            if errors:
                raise ValidationError(errors)
            uow.commit()
        return saved.visit_id

    def _collect(self) -> tuple[VisitInput, list[uuid.UUID]]:
        assert self.target is not None
        errors: dict[str, str] = {}
        kind = self._field("kind").value()
        mode = self._field("contact_mode").value()
        income = kind == VisitKind.INCOME_MONITORING
        visit_date = self._read(self._field("visit_date"), "visit_date", errors)
        data = VisitInput(
            person_id=self.target.id,
            visit_date=visit_date or self.ctx.today(),
            kind=VisitKind(kind),
            contact_mode=ContactMode(mode),
            visitor_name=self._field("visitor_name").value() or "",
            lost_reason=self._field("lost_reason").value() if mode == ContactMode.LOST else None,
            findings=self._field("findings").value(),
            safety_risks=self._field("safety_risks").value(),
            household_income_fen=self._read(
                self._field("household_income_fen"), "household_income_fen", errors
            )
            if income
            else None,
            household_size=self._read(self._field("household_size"), "household_size", errors)
            if income
            else None,
            needs=self._collect_needs(errors),
            follow_ups=self._collect_follow_ups(errors),
            need_updates=self._collect_updates(),
        )
        self._submitted_done = [row for row in self.done_rows if row.check.isChecked()]
        if errors:
            raise FormErrors(errors)
        return data, [row.item.id for row in self._submitted_done]

    @staticmethod
    def _read(widget: Any, key: str, errors: dict[str, str]) -> Any:
        try:
            return widget.value()
        except FieldValueError as exc:
            errors[key] = str(exc)
            return None

    def _collect_needs(self, errors: dict[str, str]) -> list[NeedInput]:
        needs = []
        for i, row in enumerate(self.need_rows, start=1):
            kind = row.kind.value()
            if kind is None:
                errors[f"needs[{i}].kind"] = _("第 {i} 项需求：请选择需求类型").format(i=i)
            needs.append(NeedInput(NeedKind(kind or NeedKind.OTHER), row.detail.value()))
        return needs

    def _collect_follow_ups(self, errors: dict[str, str]) -> list[FollowUpInput]:
        keys = [row.key for row in self.need_rows]
        items = []
        for i, row in enumerate(self.follow_up_rows, start=1):
            due = self._read(row.due, f"follow_ups[{i}].due_on", errors)
            link = row.need.value()
            need_index = keys.index(link[1]) if link and link[0] == "new" else None
            need_id = link[1] if link and link[0] == "need" else None
            items.append(
                FollowUpInput(
                    row.action.value() or "",
                    due or self.ctx.today(),
                    need_index=need_index,
                    need_id=need_id,
                )
            )
        return items

    def _collect_updates(self) -> list[NeedUpdate]:
        self._submitted_updates = []
        updates = []
        for row in self.update_rows:
            update = row.need_update()
            if update is not None:
                updates.append(update)
                self._submitted_updates.append(row)
        return updates

    # --- errors -------------------------------------------------------------------------------

    def _clear_errors(self) -> None:
        self.grid.clear_errors()
        self.header.error.show_message(None)
        self.form_error.show_message(None)
        for section in self.sections:
            section.clear_errors()

    def _show_errors(self, errors: dict[str, str]) -> None:
        """Each message under its field or row; the first one (top to bottom) takes the focus."""
        focus: list[QWidget | None] = []
        if "person" in errors:
            self.header.error.show_message(errors["person"])
            focus.append(self.picker.edit if self.picker else self.header)
        focus.append(self.grid.set_errors(errors))
        focus.append(self._show_row_errors(errors))
        rest = [
            msg
            for key, msg in errors.items()
            if key != "person" and key not in self.grid.errors and not _ROW_KEY.match(key)
        ]
        self.form_error.show_message("；".join(rest) or None)
        first = next((w for w in focus if w is not None), None)
        if first is not None:
            first.setFocus()
            self.scroll_area.ensureWidgetVisible(first)

    def _show_row_errors(self, errors: dict[str, str]) -> QWidget | None:
        sections = {
            "needs": (self.needs, self.needs.rows),
            "follow_ups": (self.follow_ups, self.follow_ups.rows),
            "need_updates": (self.updates, self._submitted_updates),
            "done": (self.open_follow_ups, self._submitted_done),
        }
        found: dict[FormRow, list[tuple[str | None, str]]] = {}
        for key, message in errors.items():
            match = _ROW_KEY.match(key)
            if not match:
                continue
            section, rows = sections[match[1]]
            number = int(match[2])
            if 1 <= number <= len(rows):
                found.setdefault(rows[number - 1], []).append((match[3], message))
            else:
                section.error.show_message(message)
        order = [row for section in self.sections for row in section.rows]
        first = None
        for row in order:
            if row in found:
                row.show_errors([message for _field, message in found[row]])
                if first is None:
                    first = row.input_for(found[row][0][0])
        return first
