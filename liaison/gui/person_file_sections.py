"""The parts of a person's file window.

`PersonForm` builds the six form sections (identity … work) that edit one `PersonInput`,
with the live checks that belong to the inputs themselves: the ID number decoded as it is
typed, inputs enabled only when they apply, and the 两项补贴 pre-check. The record tables
(needs, visits, cases, history) are item models over what `open_person_file` returned.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from liaison.core.enums import (
    N_,
    DisabilityCategory,
    DisabilityGrade,
    EmploymentForm,
    EmploymentStatus,
    HukouType,
    NeedStatus,
    PersonStatus,
    SchoolStatus,
    Sex,
    label,
)
from liaison.core.errors import LiaisonError, NotFoundError, ScopeError
from liaison.core.i18n import _
from liaison.core.rules.facts import PersonFacts
from liaison.core.rules.idnumber import (
    IdNumberError,
    IdNumberInfo,
    mask_cert_number,
    mask_id_number,
    normalize_id_number,
    parse_id_number,
)
from liaison.core.rules.money import format_yuan
from liaison.core.rules.subsidy import (
    Eligibility,
    care_subsidy_eligibility,
    living_subsidy_eligibility,
    subsidy_gaps,
)
from liaison.core.services import persons
from liaison.core.services.areas import AreaInfo, area_directory
from liaison.core.services.audit import AuditEntry, masked_changes
from liaison.gui.context import GuiContext
from liaison.gui.dialogs import Message
from liaison.gui.fields import (
    CheckField,
    ChoiceField,
    DateField,
    FieldValueError,
    FormGrid,
    MoneyField,
    MultiLineField,
    TextField,
)

FORM_SECTIONS = ("identity", "disability", "family", "economy", "insurance", "work")

# Captions for what persons.FIELD_LABELS does not name (flags, derived values).
_EXTRA_CAPTIONS = {
    "sex": N_("性别"),
    "birth_date": N_("出生日期"),
    "dibao": N_("低保"),
    "tekun": N_("特困供养"),
    "fanpin_monitor": N_("防返贫监测对象"),
    "low_income": N_("低收入家庭"),
    "chronic_illness_in_household": N_("家中有重病患者（残病一体）"),
    "living_subsidy_receiving": N_("享受困难残疾人生活补贴"),
    "care_subsidy_receiving": N_("享受重度残疾人护理补贴"),
    "pension_insured": N_("参加城乡居民养老保险"),
    "medical_insured": N_("参加城乡居民医疗保险"),
    "employment_status": N_("就业状态"),
}
_ENUM_FIELDS: dict[str, type[Enum]] = {
    "sex": Sex,
    "hukou": HukouType,
    "status": PersonStatus,
    "employment_status": EmploymentStatus,
    "employment_form": EmploymentForm,
    "school_status": SchoolStatus,
    "category": DisabilityCategory,
    "grade": DisabilityGrade,
}
_MONEY_FIELDS = frozenset({"living_subsidy_fen", "care_subsidy_fen"})
_COMPONENT_CATEGORIES = tuple(c for c in DisabilityCategory if c is not DisabilityCategory.MULTIPLE)


def caption(name: str) -> str:
    """The Chinese name of a person field, for form labels, error lines and history."""
    text = persons.FIELD_LABELS.get(name) or _EXTRA_CAPTIONS.get(name)
    return _(text) if text else name


def format_date(value: date | None) -> str:
    return value.isoformat() if value else ""


def format_value(field: str, value: Any, areas: Mapping[uuid.UUID, AreaInfo]) -> str:
    """A stored (JSON) value of a person field in words: labels, 是/否, yuan, area names."""
    if value is None or value == "":
        return _("（空）")
    if field == "id_number":  # shown masked wherever a stored value is listed
        return mask_id_number(str(value))
    if field == "cert_number":
        return mask_cert_number(str(value))
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if field in _MONEY_FIELDS:
        return _("{amount} 元").format(amount=format_yuan(int(value)))
    try:
        if field in _ENUM_FIELDS:
            return label(_ENUM_FIELDS[field](value))
        if field == "component_categories":
            parts = persons.parse_components(str(value))
            return "、".join(label(DisabilityCategory(c)) for c in sorted(parts))
        if field == "area_id":
            area = areas.get(uuid.UUID(str(value)))
            return area.full_name if area else str(value)
    except ValueError:
        pass  # a value from a newer version: show it as stored
    return str(value)


class FormErrors(Exception):
    """Inputs whose text cannot be read; `errors` maps field names to Chinese messages.
    `partial` is what could be read (unreadable inputs left empty), so the remaining
    inputs can still be checked in the same pass."""

    def __init__(self, errors: dict[str, str], partial: Any = None) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors
        self.partial = partial


class QuestionDialog(QDialog):
    """A small OK / Cancel form; `answer` is set when what was typed reads correctly."""

    def __init__(self, parent: QWidget | None, title: str, intro: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.answer: Any = None
        self.grid = FormGrid()
        intro_label = QLabel(intro)
        intro_label.setWordWrap(True)
        buttons = QDialogButtonBox()
        buttons.addButton(_("确定(&Y)"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(_("取消(&N)"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro_label)
        layout.addWidget(self.grid)
        layout.addWidget(buttons)

    def _read(self) -> Any:
        raise NotImplementedError

    def accept(self) -> None:
        try:
            self.answer = self._read()
        except FormErrors as exc:
            first = self.grid.set_errors(exc.errors)
            if first is not None:
                first.setFocus()
            return
        super().accept()


class CategoryChecks(QWidget):
    """The categories a 多重 disability is made of: one check box each, three to a row."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[int, CheckField] = {}
        for i, category in enumerate(_COMPONENT_CATEGORIES):
            box = CheckField(label(category))
            box.setObjectName(f"component_{int(category)}")
            box.toggled.connect(self.changed)
            grid.addWidget(box, i // 3, i % 3)
            self.boxes[int(category)] = box
        self.setFocusProxy(self.boxes[int(_COMPONENT_CATEGORIES[0])])

    def value(self) -> frozenset[int]:
        return frozenset(c for c, box in self.boxes.items() if box.isChecked())

    def set_value(self, values: Iterable[int]) -> None:
        chosen = set(values)
        for category, box in self.boxes.items():
            box.setChecked(category in chosen)


def _align_columns(*grids: FormGrid) -> None:
    """Grids stacked in one section line up as one form: equal caption columns, no gap."""
    widths: dict[int, int] = {}
    captions = []
    for grid in grids:
        layout = grid.layout()
        for caption_label in grid.labels.values():
            column = layout.getItemPosition(layout.indexOf(caption_label))[1]  # type: ignore[attr-defined]
            widths[column] = max(widths.get(column, 0), caption_label.sizeHint().width())
            captions.append((caption_label, column))
    for caption_label, column in captions:
        caption_label.setMinimumWidth(widths[column])
    for i, grid in enumerate(grids):
        margins = grid.layout().contentsMargins()
        grid.layout().setContentsMargins(margins.left(), margins.top() if i == 0 else 0,
                                         margins.right(), margins.bottom() if i == len(grids) - 1 else 0)


def _yes_box() -> CheckField:
    """A check box whose question is its form label; the box itself just says 是."""
    return CheckField(_("是"))


def _page(*parts: QWidget) -> QWidget:
    page = QWidget()
    layout = QVBoxLayout(page)
    for part in parts:
        layout.addWidget(part)
    layout.addStretch(1)
    return page


def _note(text: str) -> QLabel:
    note = QLabel(text)
    note.setWordWrap(True)
    return note


class PersonForm(QObject):
    """The editable sections of a person's file; `pages` holds one widget per section."""

    changed = Signal()  # an edit by the person at the keyboard (not a load)
    open_existing = Signal(object)  # the id of the person the typed ID already belongs to
    id_revealed = Signal()  # the full 身份证号 was shown (and the reveal recorded)

    # offered when the full number is asked for; any other purpose may be typed
    REVEAL_PURPOSES = (N_("核对身份证件"), N_("办理补贴或保险"), N_("填写上报材料"), N_("更正身份证号"))

    def __init__(
        self, ctx: GuiContext, areas: Sequence[AreaInfo], *, columns: int, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.person_id: uuid.UUID | None = None
        self.status = PersonStatus.ACTIVE
        self._columns = columns
        self._loading = False
        self._id_info: IdNumberInfo | None = None
        # an existing file's number, shown masked until revealed; None while the field holds it
        self._hidden_id: str | None = None
        self._hidden_cert: str | None = None
        self.fields: dict[str, QWidget] = {}
        self.grids: list[FormGrid] = []
        self._section_of: dict[str, str] = {}
        self.pages: dict[str, QWidget] = {
            "identity": self._identity_page(areas),
            "disability": self._disability_page(),
            "family": self._family_page(),
            "economy": self._economy_page(),
            "insurance": self._insurance_page(),
            "work": self._work_page(),
        }
        self._update_dependents()

    # --- building ------------------------------------------------------------------------

    def _grid(self, section: str, columns: int | None = None) -> FormGrid:
        grid = FormGrid(columns=columns or self._columns)
        grid.setObjectName(f"{section}_grid")
        grid.section = section  # type: ignore[attr-defined]
        self.grids.append(grid)
        return grid

    def _add(self, grid: FormGrid, name: str, widget: QWidget, *, wide: bool = False) -> Any:
        grid.add(name, caption(name), widget, wide=wide)
        self.fields[name] = widget
        self._section_of[name] = grid.section  # type: ignore[attr-defined]
        if isinstance(widget, (QLineEdit, QPlainTextEdit)):
            widget.textChanged.connect(self._edited)
        elif isinstance(widget, CheckField):
            widget.toggled.connect(self._edited)
        elif isinstance(widget, ChoiceField):
            widget.value_changed.connect(self._edited)
        elif isinstance(widget, CategoryChecks):
            widget.changed.connect(self._edited)
        return widget

    @staticmethod
    def _text(max_length: int, placeholder: str | None = None) -> TextField:
        field = TextField()
        field.setMaxLength(max_length)
        if placeholder:
            field.setPlaceholderText(placeholder)
        return field

    @staticmethod
    def _derived() -> QLineEdit:
        field = QLineEdit()
        field.setReadOnly(True)
        field.setPlaceholderText(_("由身份证号自动得出"))
        return field

    def _identity_page(self, areas: Sequence[AreaInfo]) -> QWidget:
        top = self._grid("identity")
        self._add(top, "name", self._text(50))
        id_field = self._text(30, _("18 位，末位可为 X"))
        self.reveal_id_button = QPushButton(_("显示(&D)"))
        self.reveal_id_button.setObjectName("reveal_id")
        self.reveal_id_button.setAutoDefault(False)
        self.reveal_id_button.setToolTip(_("显示完整身份证号以便核对或更正；每次显示都记入审计日志"))
        self.reveal_id_button.clicked.connect(self.reveal_id_number)
        id_box = QWidget()
        id_row = QHBoxLayout(id_box)
        id_row.setContentsMargins(0, 0, 0, 0)
        id_row.addWidget(id_field, 1)
        id_row.addWidget(self.reveal_id_button)
        id_box.setFocusProxy(id_field)
        top.add("id_number", caption("id_number"), id_box)
        id_field.setObjectName("id_number")
        id_field.setAccessibleName(caption("id_number"))
        self.fields["id_number"] = id_field
        self._section_of["id_number"] = top.section  # type: ignore[attr-defined]
        id_field.textChanged.connect(self._edited)
        id_field.textEdited.connect(lambda _text: self._evaluate_id(final=False))
        id_field.editingFinished.connect(lambda: self._evaluate_id(final=True))
        self.existing_notice = QLabel()
        self.existing_notice.setObjectName("existing_notice")
        self.existing_notice.setWordWrap(True)
        self.open_existing_button = QPushButton(_("打开该档案(&O)"))
        self.open_existing_button.setAutoDefault(False)
        self.open_existing_button.clicked.connect(lambda: self.open_existing.emit(self._existing_id))
        self._existing_id: uuid.UUID | None = None
        notice_row = QWidget()
        row = QHBoxLayout(notice_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.existing_notice, 1)
        row.addWidget(self.open_existing_button)
        self.existing_row = notice_row
        notice_row.hide()

        rest = self._grid("identity")
        self._add(rest, "sex", self._derived())
        self._add(rest, "birth_date", self._derived())
        self._add(rest, "ethnicity", self._text(20, _("如 汉族、朝鲜族")))
        self._add(rest, "phone", self._text(30, _("手机号或带区号的固定电话")))
        choices = [(str(a.id), a.full_name) for a in areas]
        self._add(rest, "area_id", ChoiceField(choices, empty_text=_("请选择")))
        self._add(rest, "hukou", ChoiceField.for_enum(HukouType))
        self._add(rest, "address", self._text(200), wide=True)
        self._add(rest, "cert_number", self._text(30, _("留空则按身份证号、类别、等级自动生成")), wide=True)
        self._add(rest, "cert_issued_on", DateField())
        self._add(rest, "cert_valid_until", DateField())
        self._add(rest, "registered_on", DateField())
        self._add(rest, "notes", MultiLineField(lines=3), wide=True)
        _align_columns(top, rest)
        return _page(top, notice_row, rest)

    def _disability_page(self) -> QWidget:
        grid = self._grid("disability")
        not_given = _("（未填写）")
        self._add(grid, "category", ChoiceField.for_enum(DisabilityCategory, empty_text=not_given))
        self._add(grid, "grade", ChoiceField.for_enum(DisabilityGrade, empty_text=not_given))
        self._add(grid, "component_categories", CategoryChecks(), wide=True)
        self._add(grid, "diagnosis", self._text(200), wide=True)
        self._add(grid, "diagnosed_on", DateField())
        note = _note(_("多重残疾须勾选包含的各类别。未办残疾人证的 0–6 岁儿童："
                       "不填证件信息，填写诊断和诊断日期。"))
        return _page(note, grid)

    def _family_page(self) -> QWidget:
        grid = self._grid("family")
        self._add(grid, "lives_alone", _yes_box())
        self._add(grid, "guardian_name", self._text(50))
        self._add(grid, "guardian_relation", self._text(20, _("如 父亲、配偶、子女")))
        self._add(grid, "guardian_phone", self._text(30))
        return _page(grid)

    def _economy_page(self) -> QWidget:
        flags = self._grid("economy")
        for name in ("dibao", "tekun", "fanpin_monitor", "low_income", "chronic_illness_in_household"):
            self._add(flags, name, _yes_box())
        subsidies = self._grid("economy")
        for prefix in ("living_subsidy", "care_subsidy"):
            self._add(subsidies, f"{prefix}_receiving", _yes_box())
            self._add(subsidies, f"{prefix}_fen", MoneyField())
        return _page(flags, subsidies, self._eligibility_box())

    def _eligibility_box(self) -> QGroupBox:
        box = QGroupBox(_("两项补贴预审（按当前填写内容）"))
        layout = QVBoxLayout(box)
        self.living_label, self.care_label, self.gaps_label = QLabel(), QLabel(), QLabel()
        names = ("living_eligibility", "care_eligibility", "subsidy_gaps")
        for widget, name in zip((self.living_label, self.care_label, self.gaps_label), names, strict=True):
            widget.setObjectName(name)
            widget.setWordWrap(True)
            widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(widget)
        return box

    def _insurance_page(self) -> QWidget:
        grid = self._grid("insurance")
        for kind in ("pension", "medical"):
            self._add(grid, f"{kind}_insured", _yes_box())
            self._add(grid, f"{kind}_gov_paid", _yes_box())
        return _page(grid)

    def _work_page(self) -> QWidget:
        grid = self._grid("work")
        self._add(grid, "employment_status", ChoiceField.for_enum(EmploymentStatus))
        self._add(grid, "employment_form", ChoiceField.for_enum(EmploymentForm, empty_text=_("（未填写）")))
        self._add(grid, "training_wish", self._text(200, _("如 电商、手工编织、按摩")), wide=True)
        self._add(grid, "school_status", ChoiceField.for_enum(SchoolStatus))
        return _page(grid)

    # --- loading and reading -------------------------------------------------------------

    def load(self, data: persons.PersonInput, *, person_id: uuid.UUID | None, status: PersonStatus) -> None:
        """Show stored (or default) values; this is not an edit."""
        self.person_id, self.status = person_id, status
        self._loading = True
        try:
            for name, widget in self.fields.items():
                if hasattr(data, name) and name not in ("area_id", "id_number"):
                    widget.set_value(getattr(data, name))  # type: ignore[attr-defined]
            self._load_id_number(data.id_number, masked=person_id is not None)
            area = self.fields["area_id"]
            area.set_value(str(data.area_id) if data.area_id else None)  # type: ignore[attr-defined]
            if data.area_id is None and area.count() == 2:  # type: ignore[attr-defined]
                area.setCurrentIndex(1)  # type: ignore[attr-defined]  # the only village there is
            self._evaluate_id(final=True, lookup=False)
        finally:
            self._loading = False
        self.clear_errors()
        self._update_dependents()

    def _load_id_number(self, number: str, *, masked: bool) -> None:
        """A stored file shows its number masked (read-only, with 显示); a new file's field is
        plain input: typing a number is not a reveal."""
        id_field = self.fields["id_number"]
        masked = masked and bool(number)
        self._hidden_id = number if masked else None
        id_field.set_value(mask_id_number(number) if masked else number)  # type: ignore[attr-defined]
        id_field.setReadOnly(masked)  # type: ignore[attr-defined]
        self.reveal_id_button.setVisible(masked)
        self.reveal_id_button.setEnabled(masked)
        cert = self.fields["cert_number"]
        cert_text = cert.text()  # type: ignore[attr-defined]
        if masked and cert_text:
            self._hidden_cert = cert_text
            cert.set_value(mask_cert_number(cert_text))  # type: ignore[attr-defined]
            cert.setReadOnly(True)  # type: ignore[attr-defined]
        else:
            self._hidden_cert = None
            cert.setReadOnly(False)  # type: ignore[attr-defined]

    @property
    def id_masked(self) -> bool:
        return self._hidden_id is not None

    def _id_text(self) -> str:
        return self._hidden_id if self._hidden_id is not None else self.fields["id_number"].text()  # type: ignore[attr-defined]

    @staticmethod
    def ask_reveal_purpose(parent: QWidget | None) -> str | None:
        """Why the full number is needed (None: cancelled)."""
        text, ok = QInputDialog.getItem(parent, _("显示完整身份证号"),
                                        _("查看完整身份证号会记入审计日志。请选择或填写用途："),
                                        [_(p) for p in PersonForm.REVEAL_PURPOSES], 0, True)
        return text.strip() if ok and text.strip() else None

    def reveal_id_number(self) -> bool:
        """Show the full 身份证号 (and 残疾人证号) of the stored file, then let it be edited; the
        reveal is recorded with its purpose. Returns whether the number is now shown."""
        if self._hidden_id is None or self.person_id is None:
            return False
        window = self.pages["identity"].window()
        purpose = self.ask_reveal_purpose(window)
        if purpose is None:
            return False
        try:
            with self.ctx.workspace.uow() as uow:
                number = persons.reveal_id_number(uow, self.ctx.actor, self.person_id, purpose=purpose,
                                                  shown_in=_("档案窗口"))
                uow.commit()
        except LiaisonError as exc:
            Message.show_error(window, exc.message)
            return False
        self._loading = True
        try:
            id_field = self.fields["id_number"]
            id_field.set_value(number)  # type: ignore[attr-defined]
            id_field.setReadOnly(False)  # type: ignore[attr-defined]
            if self._hidden_cert is not None:
                self.fields["cert_number"].set_value(self._hidden_cert)  # type: ignore[attr-defined]
            self.fields["cert_number"].setReadOnly(False)  # type: ignore[attr-defined]
            self._hidden_id = self._hidden_cert = None
        finally:
            self._loading = False
        self.reveal_id_button.setEnabled(False)
        self.reveal_id_button.hide()
        self.fields["id_number"].setFocus()
        self.id_revealed.emit()
        return True

    def read(self) -> persons.PersonInput:
        """The values typed, as a PersonInput; FormErrors names every input it cannot read."""
        raw: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for name, widget in self.fields.items():
            if name in ("sex", "birth_date"):
                continue
            try:
                raw[name] = widget.value()  # type: ignore[attr-defined]
            except FieldValueError as exc:
                errors[name] = str(exc)
                raw[name] = None
        if self._hidden_id is not None:  # shown masked: the stored numbers stand unchanged
            raw["id_number"] = self._hidden_id
            if self._hidden_cert is not None:
                raw["cert_number"] = self._hidden_cert
        data = self._input_from(raw)
        if errors:
            raise FormErrors(errors, data)
        return data

    def _input_from(self, raw: dict[str, Any]) -> persons.PersonInput:
        def applies(name: str) -> bool:
            return self.fields[name].isEnabled()

        category = int(raw["category"]) if raw["category"] is not None else None
        status = EmploymentStatus(raw["employment_status"])
        values = dict(
            raw,
            name=raw["name"] or "",
            id_number=raw["id_number"] or "",
            area_id=uuid.UUID(raw["area_id"]) if raw["area_id"] else None,
            hukou=HukouType(raw["hukou"]),
            category=category,
            grade=int(raw["grade"]) if raw["grade"] is not None else None,
            component_categories=raw["component_categories"] if applies("component_categories") else frozenset(),
            living_subsidy_fen=raw["living_subsidy_fen"] if applies("living_subsidy_fen") else None,
            care_subsidy_fen=raw["care_subsidy_fen"] if applies("care_subsidy_fen") else None,
            pension_gov_paid=raw["pension_gov_paid"] and applies("pension_gov_paid"),
            medical_gov_paid=raw["medical_gov_paid"] and applies("medical_gov_paid"),
            employment_status=status,
            employment_form=(EmploymentForm(raw["employment_form"])
                             if raw["employment_form"] and applies("employment_form") else None),
            school_status=SchoolStatus(raw["school_status"]),
        )
        return persons.PersonInput(**values)

    # --- errors --------------------------------------------------------------------------

    def show_errors(self, errors: Mapping[str, str]) -> tuple[str | None, dict[str, str]]:
        """Show each message under its input; returns the first input in error (in reading
        order) and the messages that belong to no input."""
        for grid in self.grids:
            grid.set_errors({k: v for k, v in errors.items() if k in grid.fields})
        first = next((name for name in self.fields if name in errors), None)
        leftovers = {k: v for k, v in errors.items() if k not in self.fields}
        return first, leftovers

    def clear_errors(self) -> None:
        for grid in self.grids:
            grid.clear_errors()

    def section_of(self, name: str) -> str:
        return self._section_of[name]

    def sections_with_errors(self) -> set[str]:
        return {grid.section for grid in self.grids  # type: ignore[attr-defined]
                if any(not e.isHidden() for e in grid.errors.values())}

    def error_text(self, name: str) -> str:
        """The message shown under an input ("" when none), as the person sees it."""
        for grid in self.grids:
            if name in grid.errors:
                error = grid.errors[name]
                return error.text() if not error.isHidden() else ""
        raise KeyError(name)

    # --- live behaviour ------------------------------------------------------------------

    def _edited(self) -> None:
        self._update_dependents()
        if not self._loading:
            self.changed.emit()

    def _update_dependents(self) -> None:
        f = self.fields
        f["component_categories"].setEnabled(f["category"].value() == DisabilityCategory.MULTIPLE)  # type: ignore[attr-defined]
        for prefix in ("living_subsidy", "care_subsidy"):
            f[f"{prefix}_fen"].setEnabled(f[f"{prefix}_receiving"].isChecked())  # type: ignore[attr-defined]
        for kind in ("pension", "medical"):
            f[f"{kind}_gov_paid"].setEnabled(f[f"{kind}_insured"].isChecked())  # type: ignore[attr-defined]
        employed = f["employment_status"].value() == EmploymentStatus.EMPLOYED  # type: ignore[attr-defined]
        f["employment_form"].setEnabled(employed)
        self._update_eligibility()

    def _evaluate_id(self, *, final: bool, lookup: bool = True) -> None:
        """Decode the ID as it is typed: sex and birth date once it parses, the reason when it
        cannot. While typing (fewer than 18 characters) only bad characters are reported."""
        number = normalize_id_number(self._id_text())
        typing = not final and len(number) < 18
        info: IdNumberInfo | None = None
        message: str | None = None
        if typing:
            # 15 digits may be the start of an 18-digit number: only say what is surely wrong
            message = _bad_characters(number)
        elif number:
            try:
                info = parse_id_number(number, today=self.ctx.today())
            except IdNumberError as exc:
                message = exc.message
        self._id_info = info
        self.fields["sex"].setText(label(info.sex) if info else "")  # type: ignore[attr-defined]
        self.fields["birth_date"].setText(format_date(info.birth_date if info else None))  # type: ignore[attr-defined]
        for grid in self.grids:
            if "id_number" in grid.errors:
                grid.errors["id_number"].show_message(message)
        if info is not None and lookup and not self._loading:
            self._look_for_existing(info.number)
        else:
            self._show_existing(None, None)
        self._update_eligibility()

    def _look_for_existing(self, number: str) -> None:
        try:
            with self.ctx.workspace.uow() as uow:
                found = persons.find_person(uow, self.ctx.actor, number)
                place = area_directory(uow).get(found.area_id)
                found_id, name = found.id, found.name
        except NotFoundError:
            self._show_existing(None, None)
            return
        except ScopeError:
            # filed in a village this officer may not see: say so without naming anyone
            self._show_existing(_("该身份证号已在其他村（社区）建档，不能重复建档；"
                                  "如本人已迁入，请联系乡镇或县残联办理迁移"), None)
            return
        if found_id == self.person_id:
            self._show_existing(None, None)
            return
        text = _("该身份证号已建档：{name}（{place}）").format(
            name=name, place=place.full_name if place else "")
        self._show_existing(text, found_id)

    def _show_existing(self, text: str | None, person_id: uuid.UUID | None) -> None:
        self._existing_id = person_id
        self.existing_notice.setText(("ⓘ " + text) if text else "")
        self.existing_notice.setAccessibleName(text or "")
        self.open_existing_button.setVisible(person_id is not None)
        self.existing_row.setVisible(bool(text))

    @property
    def existing_text(self) -> str:
        return self.existing_notice.text() if not self.existing_row.isHidden() else ""

    # --- 两项补贴 pre-check ----------------------------------------------------------------

    def facts(self) -> PersonFacts:
        """What the subsidy rules need, from the inputs as they are now (unreadable = empty)."""
        f = self.fields

        def checked(name: str) -> bool:
            return f[name].isEnabled() and f[name].isChecked()  # type: ignore[attr-defined]

        category = f["category"].value()  # type: ignore[attr-defined]
        grade = f["grade"].value()  # type: ignore[attr-defined]
        has_certificate = any(
            f[name].text().strip() for name in ("cert_number", "cert_issued_on", "cert_valid_until")  # type: ignore[attr-defined]
        )
        components = f["component_categories"].value() if f["component_categories"].isEnabled() else frozenset()  # type: ignore[attr-defined]
        return PersonFacts(
            birth_date=self._id_info.birth_date if self._id_info else self.ctx.today(),
            category=int(category) if category is not None else None,
            component_categories=components,
            grade=int(grade) if grade is not None else None,
            has_certificate=has_certificate,
            status=self.status,
            lives_alone=checked("lives_alone"),
            dibao=checked("dibao"),
            tekun=checked("tekun"),
            fanpin_monitor=checked("fanpin_monitor"),
            low_income=checked("low_income"),
            chronic_illness_in_household=checked("chronic_illness_in_household"),
            receiving_living_subsidy=checked("living_subsidy_receiving"),
            receiving_care_subsidy=checked("care_subsidy_receiving"),
        )

    def _update_eligibility(self) -> None:
        if not hasattr(self, "gaps_label"):
            return  # still building
        facts, config = self.facts(), self.ctx.rules.subsidy
        self.living_label.setText(_("困难残疾人生活补贴：{verdict}").format(
            verdict=verdict(living_subsidy_eligibility(facts, config))))
        self.care_label.setText(_("重度残疾人护理补贴：{verdict}").format(
            verdict=verdict(care_subsidy_eligibility(facts, config))))
        gaps = subsidy_gaps(facts, config)
        self.gaps_label.setText("\n".join(_("提示：{gap}").format(gap=gap) for gap in gaps))
        self.gaps_label.setVisible(bool(gaps))


def _bad_characters(partial: str) -> str | None:
    """The message for characters no ID number may hold, while it is still being typed
    (the length is checked before the characters, so pad it to full length first)."""
    try:
        parse_id_number(partial + "0" * (18 - len(partial)))
    except IdNumberError as exc:
        return exc.message if exc.code == "chars" else None
    return None


def verdict(result: Eligibility) -> str:
    """"符合条件：低保家庭成员" or "不符合：非低保家庭"."""
    reasons = "、".join(result.reasons)
    if result.eligible:
        return _("符合条件：{why}").format(why=reasons)
    return _("不符合：{why}").format(why=reasons)


# --- record tables --------------------------------------------------------------------------

Column = tuple[str, Callable[[Any], str]]


class RecordTableModel(QAbstractTableModel):
    """Read-only rows of any objects, each column a header and a function giving its text."""

    def __init__(self, columns: Sequence[Column], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._columns = list(columns)
        self._rows: list[Any] = []

    def set_rows(self, rows: Iterable[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> Any:
        return self._rows[row]

    def rows(self) -> list[Any]:
        return list(self._rows)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._columns[index.column()][1](self._rows[index.row()])
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._columns[section][0]
        return str(section + 1)


def record_table(model: RecordTableModel, name: str) -> QTableView:
    """A read-only table the keyboard can leave with Tab (arrows move between rows)."""
    table = QTableView()
    table.setObjectName(name)
    table.setModel(model)
    table.setAccessibleName(name)
    table.setTabKeyNavigation(False)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(True)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    model.modelReset.connect(table.resizeColumnsToContents)
    model.modelReset.connect(table.resizeRowsToContents)
    return table


def need_columns() -> list[Column]:
    return [
        (_("类型"), lambda n: label(n.kind)),
        (_("说明"), lambda n: n.detail or ""),
        (_("提出日期"), lambda n: format_date(n.raised_on)),
        (_("状态"), lambda n: label(n.status)),
        (_("状态日期"), lambda n: format_date(n.status_on)),
        (_("办结说明"), lambda n: n.resolution or ""),
    ]


def visit_columns() -> list[Column]:
    return [
        (_("走访日期"), lambda v: format_date(v.visit_date)),
        (_("走访类型"), lambda v: label(v.kind)),
        (_("联系方式"), lambda v: label(v.contact_mode)),
        (_("走访人"), lambda v: v.visitor_name),
        (_("走访情况 / 失访原因"), lambda v: v.findings or v.lost_reason or ""),
    ]


def modification_columns() -> list[Column]:
    return [
        (_("年度"), lambda c: str(c.year)),
        (_("阶段"), lambda c: label(c.stage)),
        (_("阶段日期"), lambda c: format_date(c.stage_on)),
        (_("申请日期"), lambda c: format_date(c.applied_on)),
        (_("结案日期"), lambda c: format_date(c.closed_on)),
    ]


def referral_state_text(referral: Any) -> str:
    """The state, and for 辅具适配 the step it has reached: "服务中（审批）"."""
    text = label(referral.state)
    if referral.device_step is not None:
        text += _("（{step}）").format(step=label(referral.device_step))
    return text


def referral_columns() -> list[Column]:
    return [
        (_("服务类型"), lambda r: label(r.service_kind)),
        (_("状态"), referral_state_text),
        (_("状态日期"), lambda r: format_date(r.state_on)),
        (_("转介日期"), lambda r: format_date(r.referred_on)),
        (_("结案日期"), lambda r: format_date(r.closed_on)),
    ]


def local_time(at: datetime) -> str:
    """Stored times are naive UTC; people read them in the computer's own time zone."""
    return at.replace(tzinfo=UTC).astimezone().strftime("%Y-%m-%d %H:%M")


_ACTIONS = {"create": N_("新建"), "update": N_("修改"), "status": N_("状态变更"),
            persons.REVEAL_ACTION: N_("查看身份证号")}


def _reveal_details(entry: AuditEntry) -> str:
    where = (entry.changes.get("shown_in") or [None, None])[1]
    text = _("查看了完整身份证号（{where}）").format(where=where) if where else _("查看了完整身份证号")
    return text + "\n" + _("用途：{purpose}").format(purpose=entry.reason or "")


@dataclass(frozen=True)
class HistoryRow:
    at: str
    user: str
    action: str
    details: str


def person_history_rows(entries: Sequence[AuditEntry], areas: Mapping[uuid.UUID, AreaInfo]) -> list[HistoryRow]:
    """The person's audit trail, newest first, each changed field as "字段：旧值 → 新值"."""
    rows = []
    for entry in reversed(entries):
        if entry.action == persons.REVEAL_ACTION:
            rows.append(HistoryRow(local_time(entry.at), entry.username, _(_ACTIONS[entry.action]),
                                   _reveal_details(entry)))
            continue
        lines = []
        for field, (old, new) in masked_changes(entry.changes).items():
            if entry.action == "create":
                lines.append(f"{caption(field)}：{format_value(field, new, areas)}")
            else:
                lines.append(f"{caption(field)}：{format_value(field, old, areas)} → "
                             f"{format_value(field, new, areas)}")
        if entry.reason and "status_reason" not in entry.changes:
            lines.append(_("原因：{reason}").format(reason=entry.reason))
        action = _(_ACTIONS[entry.action]) if entry.action in _ACTIONS else entry.action
        rows.append(HistoryRow(local_time(entry.at), entry.username, action, "\n".join(lines)))
    return rows


def history_columns() -> list[Column]:
    return [
        (_("时间"), lambda r: r.at),
        (_("操作人"), lambda r: r.user),
        (_("操作"), lambda r: r.action),
        (_("变更内容"), lambda r: r.details),
    ]


def _need_status_text(value: Any) -> str:
    try:
        return label(NeedStatus(value))
    except ValueError:
        return str(value)


def need_history_rows(entries: Sequence[AuditEntry]) -> list[HistoryRow]:
    """How one need moved, oldest first: the date it took effect, who, from → to, note."""
    rows = []
    for entry in entries:
        changes = entry.changes
        on = (changes.get("status_on") or changes.get("raised_on") or [None, None])[1]
        old, new = changes.get("status", [None, None])
        if new is None:
            move = ""
        elif old is None:
            move = _("提出：{status}").format(status=_need_status_text(new))
        else:
            move = f"{_need_status_text(old)} → {_need_status_text(new)}"
        note = entry.reason or (changes.get("detail") or [None, None])[1] or ""
        rows.append(HistoryRow(on or local_time(entry.at)[:10], entry.username, move, note))
    return rows


def need_history_columns() -> list[Column]:
    return [
        (_("日期"), lambda r: r.at),
        (_("操作人"), lambda r: r.user),
        (_("状态变化"), lambda r: r.action),
        (_("说明"), lambda r: r.details),
    ]
