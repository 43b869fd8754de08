"""A person's file (一人一档) in its own window: the form to create or edit the person, the
roster status, and the records gathered around them (needs, visits, cases, history).

Everything is reachable by keyboard: Tab walks the form in reading order and then the
buttons, Ctrl+Tab / Alt+1 … Alt+0 change section, Ctrl+S saves, Esc closes (asking first
when there are unsaved edits).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from liaison.core.enums import (
    N_,
    OPEN_NEED_STATUSES,
    CaseType,
    NeedKind,
    NeedStatus,
    PersonStatus,
    label,
)
from liaison.core.errors import LiaisonError, ValidationError
from liaison.core.i18n import _
from liaison.core.models import Need
from liaison.core.services import audit, persons, visits
from liaison.core.services.areas import PERSON_LEVELS, AreaInfo, area_directory, list_areas
from liaison.core.services.case_lists import cases_of_need
from liaison.core.services.modifications import FINAL_STAGES as MODIFICATION_FINAL
from liaison.core.services.person_file import PersonFile, open_person_file
from liaison.core.services.referrals import CLOSED_STATES as REFERRAL_CLOSED
from liaison.core.services.referrals import REFERRABLE_NEEDS
from liaison.gui import windows
from liaison.gui.context import GuiContext
from liaison.gui.dialogs import Message, UnsavedChanges, UnsavedChoice
from liaison.gui.fields import (
    ChoiceField,
    DateField,
    ErrorLabel,
    FieldValueError,
    TextField,
)
from liaison.gui.ops import report_error
from liaison.gui.person_file_sections import (
    FormErrors,
    PersonForm,
    QuestionDialog,
    RecordTableModel,
    caption,
    format_date,
    history_columns,
    modification_columns,
    need_columns,
    need_history_columns,
    need_history_rows,
    person_history_rows,
    record_table,
    referral_columns,
    visit_columns,
)

SECTIONS: tuple[tuple[str, str], ...] = (
    ("identity", N_("身份与证件")),
    ("disability", N_("残疾情况")),
    ("family", N_("家庭与监护")),
    ("economy", N_("经济与补贴")),
    ("insurance", N_("保险")),
    ("work", N_("就业与教育")),
    ("needs", N_("需求")),
    ("visits", N_("走访记录")),
    ("cases", N_("案例与转介")),
    ("history", N_("变更记录")),
)
RECORD_SECTIONS = ("needs", "visits", "cases", "history")
# set_need_status names the field in error; some messages already say which (status, note)
NEED_STATUS_LABELS = {"status_on": N_("日期")}
ERROR_MARK = " ⚠"


def form_columns(ctx: GuiContext) -> int:
    """Two columns of inputs while they fit on a laptop screen; one at large font sizes."""
    return 2 if ctx.settings.font_scale <= 150 else 1


def _button(text: str, slot: Any) -> QPushButton:
    button = QPushButton(text)
    button.setAutoDefault(False)  # Enter in an input must not press a button by surprise
    button.clicked.connect(slot)
    return button


def _scrolled(page: QWidget) -> QScrollArea:
    """Large fonts make pages tall: scroll rather than squeeze or clip."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # not a Tab stop; it follows the focus itself
    area.setWidget(page)
    return area


# --- small question dialogs -----------------------------------------------------------------


class _AskDialog(QuestionDialog):
    """A question dialog of the person file, which reads dates."""

    def _date(self, name: str, errors: dict[str, str]) -> date | None:
        try:
            return self.grid.fields[name].value()  # type: ignore[attr-defined,no-any-return]
        except FieldValueError as exc:
            errors[name] = str(exc)
            return None


def status_option_text(status: PersonStatus) -> str:
    return _("恢复在册") if status is PersonStatus.ACTIVE else label(status)


class StatusChangeDialog(_AskDialog):
    """迁出 / 死亡 / 注销残疾人证 / 恢复在册, with the date and the reason."""

    def __init__(self, parent: QWidget | None, current: PersonStatus, today: date) -> None:
        super().__init__(parent, _("变更人员状态"),
                         _("当前状态：{status}。人员档案不会删除，只变更在册状态。").format(status=label(current)))
        options = [(s.value, status_option_text(s)) for s in PersonStatus if s is not current]
        self.grid.add("status", _("变更为"), ChoiceField(options))
        self.grid.add("status_on", _("日期"), DateField(required=True)).set_value(today)  # type: ignore[attr-defined]
        reason = self.grid.add("status_reason", _("原因"), TextField())
        reason.setMaxLength(200)  # type: ignore[attr-defined]
        reason.setPlaceholderText(_("如 迁往外省、病故、经复核注销"))  # type: ignore[attr-defined]

    def _read(self) -> tuple[PersonStatus, date, str]:
        errors: dict[str, str] = {}
        on = self._date("status_on", errors)
        reason = self.grid.fields["status_reason"].value()  # type: ignore[attr-defined]
        if not reason:
            errors["status_reason"] = _("必须填写原因")
        if errors:
            raise FormErrors(errors)
        assert on is not None
        return PersonStatus(self.grid.fields["status"].value()), on, reason  # type: ignore[attr-defined]

    @classmethod
    def ask(cls, parent: QWidget | None, current: PersonStatus,
            today: date) -> tuple[PersonStatus, date, str] | None:
        dialog = cls(parent, current, today)
        return dialog.answer if dialog.exec() == QDialog.DialogCode.Accepted else None


class NeedStatusDialog(_AskDialog):
    """Move a need along (转介, 服务中) or settle it (已解决, 本人不需要, 无法落实)."""

    def __init__(self, parent: QWidget | None, need_text: str, current: NeedStatus, today: date) -> None:
        super().__init__(parent, _("更改需求状态"),
                         _("需求：{need}，当前状态：{status}").format(need=need_text, status=label(current)))
        options = [(s.value, label(s)) for s in NeedStatus if s is not current]
        self.grid.add("status", _("变更为"), ChoiceField(options))
        self.grid.add("status_on", _("日期"), DateField(required=True)).set_value(today)  # type: ignore[attr-defined]
        note = self.grid.add("note", _("说明"), TextField())
        note.setMaxLength(200)  # type: ignore[attr-defined]
        note.setPlaceholderText(_("办结、不需要或无法落实时写明情况"))  # type: ignore[attr-defined]

    def _read(self) -> tuple[NeedStatus, date, str | None]:
        errors: dict[str, str] = {}
        on = self._date("status_on", errors)
        if errors:
            raise FormErrors(errors)
        assert on is not None
        note = self.grid.fields["note"].value()  # type: ignore[attr-defined]
        return NeedStatus(self.grid.fields["status"].value()), on, note  # type: ignore[attr-defined]

    @classmethod
    def ask(cls, parent: QWidget | None, need_text: str, current: NeedStatus,
            today: date) -> tuple[NeedStatus, date, str | None] | None:
        dialog = cls(parent, need_text, current, today)
        return dialog.answer if dialog.exec() == QDialog.DialogCode.Accepted else None


# --- the window -----------------------------------------------------------------------------


class PersonFileDialog(QDialog):
    """One person's file; `person_id` None opens an empty form for a new person."""

    saved = Signal(object)  # the person's id, after every successful save

    def __init__(self, ctx: GuiContext, person_id: uuid.UUID | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.person_id = person_id
        self.file: PersonFile | None = None
        self._row_version: int | None = None
        self._dirty = False
        self._emitting = False
        self._areas: dict[uuid.UUID, AreaInfo] = {}
        self._need_cases: list[tuple[CaseType, uuid.UUID]] = []
        self.setModal(False)
        self.setWindowFlag(Qt.WindowType.WindowMinMaxButtonsHint, True)
        self.form = PersonForm(ctx, self._area_choices(), columns=form_columns(ctx), parent=self)
        self._build()
        self.form.changed.connect(lambda: self._set_dirty(True))
        self.form.open_existing.connect(self._open_existing)
        self.form.id_revealed.connect(self._refresh_records)
        ctx.events.changed.connect(self._on_data_changed)
        if person_id is None:
            self._start_new()
        else:
            self._reload()
        self._fit_to_screen()
        self.form.fields["name"].setFocus()

    # --- building ------------------------------------------------------------------------

    def _area_choices(self) -> list[AreaInfo]:
        with self.ctx.workspace.uow() as uow:
            return [a for a in list_areas(uow, self.ctx.actor) if a.level in PERSON_LEVELS]

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        self.heading = QLabel()
        self.heading.setObjectName("heading")
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.heading.setFont(font)
        self.status_label = QLabel()
        self.status_label.setObjectName("status_label")
        self.status_label.setWordWrap(True)
        self.message_line = ErrorLabel()
        self.message_line.setObjectName("message_line")
        self.tabs = QTabWidget()
        self.tabs.setObjectName("sections")
        self.tabs.setUsesScrollButtons(True)
        self.tabs.setToolTip(_("切换栏目：Ctrl+Tab / Ctrl+Shift+Tab，或 Alt+1 … Alt+0"))
        pages = dict(self.form.pages, needs=self._needs_page(), visits=self._visits_page(),
                     cases=self._cases_page(), history=self._history_page())
        for name, title in SECTIONS:
            self.tabs.addTab(_scrolled(pages[name]), _(title))
        for layout_widget in (self.heading, self.status_label, self.message_line, self.tabs):
            layout.addWidget(layout_widget)
        layout.setStretchFactor(self.tabs, 1)
        layout.addLayout(self._button_row())
        self._add_shortcuts()

    def _button_row(self) -> QHBoxLayout:
        self.status_button = _button(_("变更人员状态(&T)…"), self.change_status)
        self.save_button = _button(_("保存(&S)"), self.save)
        self.save_button.setToolTip(_("保存（Ctrl+S）"))
        self.close_button = _button(_("关闭(&C)"), self.reject)
        self.close_button.setToolTip(_("关闭（Esc）"))
        row = QHBoxLayout()
        row.addWidget(self.status_button)
        row.addStretch(1)
        row.addWidget(self.save_button)
        row.addWidget(self.close_button)
        return row

    def _add_shortcuts(self) -> None:
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save)
        for i, (name, _title) in enumerate(SECTIONS):
            key = QKeySequence(f"Alt+{(i + 1) % 10}")
            QShortcut(key, self, activated=lambda n=name: self.select_section(n))

    def _needs_page(self) -> QWidget:
        self.needs_model = RecordTableModel(need_columns(), self)
        self.needs_table = record_table(self.needs_model, _("需求列表"))
        self.needs_table.selectionModel().currentRowChanged.connect(self._show_need_history)
        self.needs_count = QLabel()
        self.need_status_button = _button(_("更改需求状态(&G)…"), self.change_need_status)
        self.need_apply_button = _button(_("申请改造(&P)…"), self.apply_for_selected_need)
        self.need_apply_button.setToolTip(_("为这项需求申请无障碍改造"))
        self.need_refer_button = _button(_("转介(&Z)…"), self.refer_selected_need)
        self.need_refer_button.setToolTip(_("把这项需求转介给定点机构"))
        self.need_case_button = _button(_("查看案例(&K)"), self.open_selected_need_case)
        self.need_case_button.setToolTip(_("打开为这项需求办理的改造或转介"))
        self.need_history_model = RecordTableModel(need_history_columns(), self)
        self.need_history_table = record_table(self.need_history_model, _("该需求的处理经过"))
        self._update_need_buttons(None)
        history_caption = QLabel(_("该需求的处理经过："))
        history_caption.setBuddy(self.need_history_table)
        buttons = [self.need_status_button, self.need_apply_button, self.need_refer_button,
                   self.need_case_button]
        return self._records_page(self.needs_count, self.needs_table, buttons,
                                  history_caption, self.need_history_table)

    def _visits_page(self) -> QWidget:
        self.visits_model = RecordTableModel(visit_columns(), self)
        self.visits_table = record_table(self.visits_model, _("走访记录"))
        self.visits_count = QLabel()
        self.visit_button = _button(_("登记走访(&V)"), self.record_visit)
        return self._records_page(self.visits_count, self.visits_table, [self.visit_button])

    def _cases_page(self) -> QWidget:
        note = QLabel(_("此人的无障碍改造案例和康复转介。选中一行按 Enter 或双击，"
                        "在案例窗口中查看经过、办理下一步、添加照片。"))
        note.setWordWrap(True)
        self.cases_model = RecordTableModel(modification_columns(), self)
        self.cases_table = record_table(self.cases_model, _("无障碍改造案例"))
        self.referrals_model = RecordTableModel(referral_columns(), self)
        self.referrals_table = record_table(self.referrals_model, _("康复转介"))
        for table, case_type in ((self.cases_table, CaseType.MODIFICATION),
                                 (self.referrals_table, CaseType.REFERRAL)):
            # Enter, or a double-click
            table.activated.connect(lambda index, t=case_type: self._open_case_row(t, index.row()))
        cases_caption, referrals_caption = QLabel(_("无障碍改造：")), QLabel(_("康复转介："))
        cases_caption.setBuddy(self.cases_table)
        referrals_caption.setBuddy(self.referrals_table)
        self.apply_case_button = _button(_("申请无障碍改造(&M)…"), lambda: self.apply_modification())
        self.new_referral_button = _button(_("康复转介(&R)…"), lambda: self.refer_need())
        return self._records_page(note, [self.apply_case_button, self.new_referral_button],
                                  cases_caption, self.cases_table,
                                  referrals_caption, self.referrals_table)

    def _history_page(self) -> QWidget:
        self.history_model = RecordTableModel(history_columns(), self)
        self.history_table = record_table(self.history_model, _("变更记录"))
        self.history_note = QLabel()
        self.history_note.setBuddy(self.history_table)
        self.history_note.setWordWrap(True)
        return self._records_page(self.history_note, self.history_table)

    @staticmethod
    def _records_page(*parts: QWidget | list[QPushButton]) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        for part in parts:
            if isinstance(part, list):
                row = QHBoxLayout()
                for button in part:
                    row.addWidget(button)
                row.addStretch(1)
                layout.addLayout(row)
            else:
                layout.addWidget(part, 1 if isinstance(part, QTableView) else 0)
        return page

    def _fit_to_screen(self) -> None:
        screen = self.screen().availableGeometry()
        em = self.fontMetrics().height()
        self.resize(min(screen.width(), max(self.sizeHint().width(), 48 * em)),
                    min(screen.height(), max(self.sizeHint().height(), 34 * em)))

    # --- public interface ----------------------------------------------------------------

    def select_section(self, name: str) -> None:
        names = [n for n, _title in SECTIONS]
        if name not in names:
            raise ValueError(f"unknown section {name!r}")
        index = names.index(name)
        if self.tabs.isTabEnabled(index):
            self.tabs.setCurrentIndex(index)

    def current_section(self) -> str:
        return SECTIONS[self.tabs.currentIndex()][0]

    def is_dirty(self) -> bool:
        return self._dirty

    def save(self) -> bool:
        """Store what is typed; on any problem the form keeps every value and says why."""
        self._clear_errors()
        try:
            data = self.form.read()
            saved = self._store(data)
        except FormErrors as exc:
            self._show_errors(self._all_errors(exc))
            return False
        except ValidationError as exc:
            self._show_errors(exc.errors)
            return False
        except LiaisonError as exc:  # duplicate, stale, out of scope
            Message.show_error(self, exc.message)
            return False
        except Exception as exc:  # noqa: BLE001 - a bug: logged with a reference, shown
            report_error(self, exc)
            return False
        for warning in saved.warnings:
            Message.show_info(self, warning)
        self.person_id = saved.person_id
        self._reload()
        self._announce("person")
        self.saved.emit(saved.person_id)
        return True

    def _all_errors(self, exc: FormErrors) -> dict[str, str]:
        """Unreadable inputs plus whatever else the rules find wrong, so that one attempt
        shows every problem (an unreadable input's own message wins)."""
        try:
            persons.validate_person(exc.partial, today=self.ctx.today())
        except ValidationError as invalid:
            return {**invalid.errors, **exc.errors}
        return dict(exc.errors)

    def _store(self, data: persons.PersonInput) -> persons.PersonSaved:
        today = self.ctx.today()
        with self.ctx.workspace.uow() as uow:
            if self.person_id is None:
                saved = persons.create_person(uow, self.ctx.actor, data, today=today)
            else:
                saved = persons.update_person(uow, self.ctx.actor, self.person_id, data,
                                              expected_version=self._row_version, today=today)
            uow.commit()
        return saved

    # --- loading -------------------------------------------------------------------------

    def _start_new(self) -> None:
        data = persons.PersonInput(name="", id_number="", area_id=None, registered_on=self.ctx.today())
        self.form.load(data, person_id=None, status=PersonStatus.ACTIVE)
        for name in RECORD_SECTIONS:
            self.tabs.setTabEnabled(self._index(name), False)
        self.status_button.setEnabled(False)
        self.heading.setText(_("新建档案"))
        self.status_label.setText(_("填写后按“保存”（Ctrl+S）建档；带“⚠”的是需要改正的地方。"))
        self._set_dirty(False)

    def _reload(self) -> bool:
        """Read the person again and show it; edits in the form are replaced."""
        assert self.person_id is not None
        pf = self._read_file()
        if pf is None:
            return False
        person = pf.person
        self._row_version = person.row_version
        self.form.load(persons.PersonInput.from_person(person), person_id=person.id, status=person.status)
        self._show_records(pf)
        self._set_dirty(False)
        return True

    def _refresh_records(self) -> None:
        """The record tabs again (the history gains a reveal); edits in the form stay."""
        pf = self._read_file()
        if pf is not None:
            self._show_records(pf)

    def _read_file(self) -> PersonFile | None:
        assert self.person_id is not None
        try:
            with self.ctx.workspace.uow() as uow:
                pf = open_person_file(uow, self.ctx.actor, self.ctx.rules, self.person_id,
                                      today=self.ctx.today())
                self._areas = dict(area_directory(uow))
                uow.session.expunge_all()  # keep the loaded rows readable after the unit ends
        except LiaisonError as exc:
            self._show_unavailable(exc.message)
            return None
        return pf

    def _show_unavailable(self, message: str) -> None:
        self.message_line.show_message(message)
        self.tabs.setEnabled(False)
        self.save_button.setEnabled(False)
        self.status_button.setEnabled(False)

    def _show_records(self, pf: PersonFile) -> None:
        self.file = pf
        person = pf.person
        for name in RECORD_SECTIONS:
            self.tabs.setTabEnabled(self._index(name), True)
        self.status_button.setEnabled(True)
        self.heading.setText(_("{name}（{sex}，{age} 岁，{place}）").format(
            name=person.name, sex=label(person.sex), age=pf.age, place=pf.area.full_name))
        self.status_label.setText(self._status_text(person))
        selected = self._selected_need()
        self.needs_model.set_rows(pf.needs)
        self.needs_count.setText(_("共 {n} 项需求；选中一项可看它的处理经过").format(n=len(pf.needs)))
        self._select_need(selected.id if selected else None)
        self.visits_model.set_rows(pf.visits)
        self.visits_count.setText(_("共 {n} 次走访（最新的在前）").format(n=len(pf.visits)))
        self.cases_model.set_rows(pf.modification_cases)
        self.referrals_model.set_rows(pf.referrals)
        self.history_model.set_rows(person_history_rows(pf.history, self._areas))
        self.history_note.setText(
            _("档案的每一次新建、修改和状态变更（最新的在前）：") if pf.history else
            _("暂无逐条变更记录（批量导入或演示生成的档案从下一次修改开始记录）。"))
        self._update_title()

    @staticmethod
    def _status_text(person: Any) -> str:
        text = _("人员状态：{status}").format(status=label(person.status))
        if person.status_on is not None:
            text += _("（{on}起；原因：{reason}）").format(
                on=format_date(person.status_on), reason=person.status_reason or "")
        return text

    def _on_data_changed(self, kind: str) -> None:
        """Another window saved something: show it (the form only when it has no edits)."""
        if self._emitting or self.person_id is None or kind not in ("person", "visit", "need", "case"):
            return
        if kind == "person" and not self._dirty:
            self._reload()
            return
        pf = self._read_file()
        if pf is not None:
            self._show_records(pf)

    def _announce(self, kind: str) -> None:
        self._emitting = True
        try:
            self.ctx.events.changed.emit(kind)
        finally:
            self._emitting = False

    # --- errors, title, dirty state ------------------------------------------------------

    def _clear_errors(self) -> None:
        self.form.clear_errors()
        self.message_line.show_message(None)
        self._mark_tabs(set())

    def _show_errors(self, errors: Mapping[str, str]) -> None:
        first, leftovers = self.form.show_errors(errors)
        if leftovers:
            self.message_line.show_message("；".join(f"{caption(k)}：{v}" for k, v in leftovers.items()))
        self._mark_tabs(self.form.sections_with_errors())
        if first is not None:
            self.select_section(self.form.section_of(first))
            self.form.fields[first].setFocus()

    def _mark_tabs(self, sections: set[str]) -> None:
        """A "⚠" after the name of every section holding an error (words, not colour)."""
        for i, (name, title) in enumerate(SECTIONS):
            self.tabs.setTabText(i, _(title) + (ERROR_MARK if name in sections else ""))

    def _index(self, section: str) -> int:
        return [n for n, _title in SECTIONS].index(section)

    def _set_dirty(self, dirty: bool) -> None:
        self._dirty = dirty
        self._update_title()

    def _what(self) -> str:
        if self.file is None:
            return _("新建档案")
        return _("{name}的档案").format(name=self.file.person.name)

    def _update_title(self) -> None:
        self.setWindowTitle(self._what() + (" *" if self._dirty else ""))

    # --- closing -------------------------------------------------------------------------

    def _may_close(self) -> bool:
        """True when nothing typed would be lost (saved, discarded, or nothing to lose)."""
        if not self._dirty:
            return True
        choice = UnsavedChanges.ask(self, self._what())
        if choice is UnsavedChoice.SAVE:
            return self.save()
        if choice is UnsavedChoice.DISCARD:
            self._set_dirty(False)
            return True
        return False

    def reject(self) -> None:  # 关闭 button and Esc
        if self._may_close():
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # the window's own close box
        if self.isVisible() and not self._may_close():
            event.ignore()
            return
        super().closeEvent(event)  # calls reject(), which no longer needs to ask

    # --- actions -------------------------------------------------------------------------

    def _open_existing(self, person_id: uuid.UUID | None) -> None:
        if person_id is not None:
            windows.open_person_file(self.ctx, self.parentWidget(), person_id)

    def _settle_edits(self) -> bool:
        """Before a change that rereads the person: save or drop what is typed first."""
        if not self._dirty:
            return True
        choice = UnsavedChanges.ask(self, self._what())
        if choice is UnsavedChoice.SAVE:
            return self.save()
        if choice is UnsavedChoice.DISCARD:
            return self._reload()
        return False

    def change_status(self) -> None:
        if self.person_id is None or self.file is None or not self._settle_edits():
            return
        answer = StatusChangeDialog.ask(self, self.file.person.status, self.ctx.today())
        if answer is None:
            return
        status, on, reason = answer
        try:
            with self.ctx.workspace.uow() as uow:
                persons.change_status(uow, self.ctx.actor, self.person_id, status, on=on, reason=reason,
                                      expected_version=self._row_version, today=self.ctx.today())
                uow.commit()
        except LiaisonError as exc:
            Message.show_error(self, exc.message)
            return
        self._reload()
        self._announce("person")

    def record_visit(self) -> None:
        if self.person_id is not None:
            windows.open_visit_form(self.ctx, self, self.person_id)

    def _selected_need(self) -> Need | None:
        index = self.needs_table.currentIndex()
        return self.needs_model.row_at(index.row()) if index.isValid() else None  # type: ignore[no-any-return]

    def _select_need(self, need_id: uuid.UUID | None) -> None:
        rows = self.needs_model.rows()
        row = next((i for i, n in enumerate(rows) if n.id == need_id), None)
        if row is None:
            self.need_history_model.set_rows([])
            self._update_need_buttons(None)
        else:
            self.needs_table.selectRow(row)
        self.need_status_button.setEnabled(row is not None)

    def _show_need_history(self) -> None:
        need = self._selected_need()
        self.need_status_button.setEnabled(need is not None)
        current = self.needs_table.currentIndex()
        if current.isValid() and not self.needs_table.selectionModel().isRowSelected(current.row()):
            self.needs_table.selectRow(current.row())  # the row acted on is the one highlighted
        if need is None:
            self.need_history_model.set_rows([])
            self._update_need_buttons(None)
            return
        with self.ctx.workspace.uow() as uow:
            entries = audit.history(uow, "need", need.id)
            linked = cases_of_need(uow, need.id)
        self.need_history_model.set_rows(need_history_rows(entries))
        self._update_need_buttons(need, linked)

    def _update_need_buttons(self, need: Need | None,
                             linked: list[tuple[CaseType, uuid.UUID]] | None = None) -> None:
        """申请改造 for a home-modification need, 转介 for a rehabilitation or device need
        (each while the need is open and has no case under way), 查看案例 once it has one."""
        linked = linked or []
        self._need_cases = linked
        active = need is not None and any(self._case_is_open(t, cid) for t, cid in linked)
        is_open = need is not None and need.status in OPEN_NEED_STATUSES
        modification = need is not None and need.kind is NeedKind.HOME_MODIFICATION
        referrable = need is not None and need.kind in REFERRABLE_NEEDS
        self.need_apply_button.setVisible(modification)
        self.need_apply_button.setEnabled(modification and is_open and not active)
        self.need_refer_button.setVisible(referrable)
        self.need_refer_button.setEnabled(referrable and is_open and not active)
        self.need_case_button.setVisible(bool(linked))
        self.need_case_button.setEnabled(bool(linked))

    def _case_is_open(self, case_type: CaseType, case_id: uuid.UUID) -> bool:
        if self.file is None:
            return False
        if case_type is CaseType.MODIFICATION:
            return any(c.id == case_id and c.stage not in MODIFICATION_FINAL
                       for c in self.file.modification_cases)
        return any(r.id == case_id and r.state not in REFERRAL_CLOSED for r in self.file.referrals)

    def apply_for_selected_need(self) -> None:
        need = self._selected_need()
        if need is not None:
            self.apply_modification(need.id)

    def refer_selected_need(self) -> None:
        need = self._selected_need()
        if need is not None:
            self.refer_need(need.id)

    def open_selected_need_case(self) -> None:
        """The newest case opened for the selected need."""
        if self._need_cases:
            case_type, case_id = self._need_cases[-1]
            windows.open_case(self.ctx, self, case_type, case_id)

    def apply_modification(self, need_id: uuid.UUID | None = None) -> None:
        if self.person_id is not None:
            windows.open_new_modification(self.ctx, self, self.person_id, need_id)

    def refer_need(self, need_id: uuid.UUID | None = None) -> None:
        if self.person_id is not None:
            windows.open_new_referral(self.ctx, self, self.person_id, need_id)

    def _open_case_row(self, case_type: CaseType, row: int) -> None:
        model = self.cases_model if case_type is CaseType.MODIFICATION else self.referrals_model
        if 0 <= row < model.rowCount():
            windows.open_case(self.ctx, self, case_type, model.row_at(row).id)

    def select_need(self, need_id: uuid.UUID) -> None:
        """Select a need in the 需求 table (as arrow keys would)."""
        self._select_need(need_id)

    def change_need_status(self) -> None:
        need = self._selected_need()
        if need is None:
            return
        need_text = label(need.kind) + (f"（{need.detail}）" if need.detail else "")
        answer = NeedStatusDialog.ask(self, need_text, need.status, self.ctx.today())
        if answer is None:
            return
        status, on, note = answer
        try:
            with self.ctx.workspace.uow() as uow:
                visits.set_need_status(uow, self.ctx.actor, need.id, status, on=on, note=note,
                                       expected_version=need.row_version, today=self.ctx.today())
                uow.commit()
        except ValidationError as exc:
            Message.show_error(self, "；".join(
                f"{_(NEED_STATUS_LABELS[k])}：{v}" if k in NEED_STATUS_LABELS else v for k, v in exc.errors.items()))
            return
        except LiaisonError as exc:
            Message.show_error(self, exc.message)
            return
        self._announce("need")
        pf = self._read_file()
        if pf is not None:
            self._show_records(pf)
