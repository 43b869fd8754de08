"""The dialogs that open a case and move it along.

`StepDialog` is built from one transition of the case's workflow: a date, the inputs that
step records (the surveyed items for 评估, the contractor for 施工, the acceptance for 验收,
the institution when a referral is accepted, the outcome when it is completed), and a reason
that is required when a case is sent back or ended. `NewModificationDialog` (申请无障碍改造) and
`NewReferralDialog` (康复转介) open a case. All of them show a service's errors under the field
they name, keep what was typed when saving fails, and ask before dropping typed input.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from liaison.core.enums import (
    N_,
    AttachmentRole,
    CaseType,
    DeviceStep,
    ModificationStage,
    NeedKind,
    ReferralServiceKind,
    ReferralState,
    label,
)
from liaison.core.errors import LiaisonError, ValidationError
from liaison.core.i18n import _
from liaison.core.models import RehabReferral
from liaison.core.rules.config import CatalogueItem, ModificationConfig
from liaison.core.rules.money import format_yuan
from liaison.core.rules.workflows import DEVICE_FITTING, Move, Transition
from liaison.core.services import modifications, referrals
from liaison.core.services.areas import area_directory
from liaison.core.services.case_common import StepResult
from liaison.core.services.case_lists import CaseView, ItemRow, cases_of_need
from liaison.core.services.persons import load_person
from liaison.core.services.visits import open_needs
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
    TextField,
)
from liaison.gui.ops import report_error
from liaison.gui.person_file_sections import FormErrors, QuestionDialog
from liaison.gui.visit_form import plain_button, widget_state

OTHER_ITEM = "other"  # a surveyed item that is not in the catalogue: its name is typed
MAX_QUANTITY = modifications.MAX_QUANTITY
WARNING_STYLE = "color: #8a4b00;"  # amber words after a "⚠": a warning, not an error


def money_text(fen: int | None) -> str:
    return _("{yuan} 元").format(yuan=format_yuan(fen)) if fen is not None else "—"


def read_input(widget: Any, key: str, errors: dict[str, str]) -> Any:
    """The typed value of an input, or None with its message put in `errors`."""
    try:
        return widget.value()
    except FieldValueError as exc:
        errors[key] = str(exc)
        return None


class WarningLabel(QLabel):
    """A "⚠" line in amber: something to look at, which does not stop saving."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setStyleSheet(WARNING_STYLE)
        self.hide()

    def show_message(self, message: str | None) -> None:
        if message:
            self.setText("⚠ " + message)
            self.setAccessibleName(message)
            self.show()
        else:
            self.clear()
            self.hide()


# --- the surveyed items (评估) -----------------------------------------------------------------


class ItemLine:
    """The inputs of one surveyed item; they live in the editor's grid."""

    def __init__(self, catalogue: tuple[CatalogueItem, ...], on_change: Any) -> None:
        choices = [(item.code, item.name) for item in catalogue]
        choices.append((OTHER_ITEM, _("其他（自填名称）")))
        self.catalogue = {item.code: item for item in catalogue}
        self.item = ChoiceField(choices, empty_text=_("（请选择项目）"))
        self.name_caption = QLabel(_("项目名称："))
        self.name_caption.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.name = TextField()
        self.name_caption.setBuddy(self.name)
        self.name.setMaxLength(100)
        self.name.setPlaceholderText(_("如“床边扶手”"))
        self.quantity = IntField(minimum=1, maximum=MAX_QUANTITY)
        self.quantity.setMaxLength(3)
        self.unit = TextField()
        self.unit.setMaxLength(10)
        self.unit_cost = MoneyField()
        self.unit_cost.setPlaceholderText(_("元"))
        self.estimate = QLabel("—")
        self.estimate.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.remove = plain_button(_("删除"))
        self.error = ErrorLabel()
        self._prefilled_cost: str | None = None  # the catalogue price last put in unit_cost
        self._catalogue_unit = False  # the unit shown is the catalogue's
        for field in (self.quantity, self.unit_cost):
            field.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.item.value_changed.connect(self._item_chosen)
        for edit in (self.name, self.quantity, self.unit, self.unit_cost):
            edit.textChanged.connect(on_change)
        self.item.value_changed.connect(on_change)
        self._item_chosen()

    def widgets(self) -> list[QWidget]:
        return [self.item, self.name_caption, self.name, self.quantity, self.unit, self.unit_cost,
                self.estimate, self.remove, self.error]

    def focus_chain(self) -> list[QWidget]:
        chain: list[QWidget] = [self.item]
        if self.is_other():
            chain.append(self.name)
        chain += [self.quantity]
        if self.is_other():
            chain.append(self.unit)
        return chain + [self.unit_cost, self.remove]

    def is_other(self) -> bool:
        return self.item.value() == OTHER_ITEM

    def set_number(self, number: int) -> None:
        self.number = number
        for widget, what in ((self.item, _("项目")), (self.name, _("名称")), (self.quantity, _("数量")),
                             (self.unit, _("单位")), (self.unit_cost, _("单价")),
                             (self.estimate, _("预算"))):
            widget.setAccessibleName(_("第 {n} 项的{what}").format(n=number, what=what))
        self.remove.setAccessibleName(_("删除第 {n} 项").format(n=number))

    def _item_chosen(self) -> None:
        """A catalogue item brings its unit and price (a price typed by hand is kept); an
        other item takes a typed name and unit."""
        code = self.item.value()
        known = self.catalogue.get(code) if code else None
        other = code == OTHER_ITEM
        self.unit.setReadOnly(not other)
        self.unit.setFocusPolicy(Qt.FocusPolicy.StrongFocus if other else Qt.FocusPolicy.NoFocus)
        cost_text = self.unit_cost.text().strip()
        prefilled = self._prefilled_cost is not None and cost_text == self._prefilled_cost
        if known is not None:
            self.unit.setText(known.unit)
            if prefilled or not cost_text:
                price = format_yuan(known.unit_cost_fen)
                self.unit_cost.setText(price)
                self._prefilled_cost = price
            else:
                self._prefilled_cost = None
            if not self.quantity.text().strip():
                self.quantity.setText("1")
            self._catalogue_unit = True
            return
        if self._catalogue_unit:
            self.unit.clear()  # another item's unit and price are no guide for this one
        if prefilled:
            self.unit_cost.clear()
        self._prefilled_cost = None
        self._catalogue_unit = False

    def load(self, row: ItemRow) -> None:
        if row.code in self.catalogue:
            self.item.set_value(row.code)
        else:
            self.item.set_value(OTHER_ITEM)
            self.name.setText(row.name)
            self.unit.setText(row.unit or "")
        self.quantity.set_value(row.quantity)
        self.unit_cost.set_value(row.unit_cost_fen)
        self._prefilled_cost = None  # the case's own price, not the catalogue's

    def estimate_fen(self) -> int | None:
        try:
            quantity, cost = self.quantity.value(), self.unit_cost.value()
        except FieldValueError:
            return None
        if quantity is None or cost is None:
            return None
        return quantity * cost

    def show_estimate(self) -> None:
        fen = self.estimate_fen()
        self.estimate.setText(format_yuan(fen) if fen is not None else "—")

    def read(self, errors: dict[str, str], key: str) -> modifications.ItemInput | None:
        code = self.item.value()
        problems: list[str] = []
        if code is None:
            problems.append(_("请选择项目"))
        name = self.name.value() if code == OTHER_ITEM else None
        if code == OTHER_ITEM and not name:
            problems.append(_("请写明项目名称"))
        quantity = cost = None
        try:
            quantity = self.quantity.value()
            if quantity is None:
                problems.append(_("请填写数量"))
        except FieldValueError as exc:
            problems.append(_("数量{msg}").format(msg=str(exc)))
        try:
            cost = self.unit_cost.value()
            if cost is None:
                problems.append(_("请填写单价"))
        except FieldValueError as exc:
            problems.append(str(exc))
        if problems:
            errors[key] = "；".join(problems)
            return None
        assert code is not None and quantity is not None and cost is not None
        unit = self.unit.value() if code == OTHER_ITEM else None
        return modifications.ItemInput(code, quantity, cost, name=name, unit=unit)

    def snapshot(self) -> tuple[object, ...]:
        return tuple(widget_state(w) for w in (self.item, self.name, self.quantity, self.unit,
                                               self.unit_cost))


class ItemsEditor(QWidget):
    """The items surveyed on site: one row each (catalogue item or a named other one), the
    estimate of every row as it is typed, the total, and a warning above the household cap."""

    changed = Signal()

    HEADERS = ((0, N_("项目")), (2, N_("数量")), (3, N_("单位")), (4, N_("单价（元）")),
               (5, N_("预算（元）")))

    def __init__(self, config: ModificationConfig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.config = config
        self.lines: list[ItemLine] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.grid = QGridLayout()
        self.grid.setColumnStretch(0, 3)
        self.grid.setColumnStretch(2, 1)
        self.grid.setColumnStretch(3, 1)
        self.grid.setColumnStretch(4, 2)
        self.grid.setColumnStretch(5, 2)
        self.headers = []
        for column, text in self.HEADERS:
            header = QLabel(_(text))
            header.setStyleSheet("font-weight: bold;")
            if column in (2, 4, 5):
                header.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.headers.append(header)
            self.grid.addWidget(header, 0, column)
        layout.addLayout(self.grid)
        self.empty = QLabel(_("还没有项目，请按“添加项目”"))
        layout.addWidget(self.empty)
        self.error = ErrorLabel()
        self.error.setObjectName("items_error")
        layout.addWidget(self.error)
        bottom = QHBoxLayout()
        self.add_button = plain_button(_("添加项目(&A)"))
        self.add_button.clicked.connect(lambda: self.add_line(focus=True))
        self.total = QLabel()
        self.total.setObjectName("items_total")
        self.total.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        font = self.total.font()
        font.setBold(True)
        self.total.setFont(font)
        bottom.addWidget(self.add_button)
        bottom.addStretch(1)
        bottom.addWidget(self.total)
        layout.addLayout(bottom)
        self.cap_warning = WarningLabel()
        self.cap_warning.setObjectName("cap_warning")
        layout.addWidget(self.cap_warning)
        self._update()

    # --- rows ----------------------------------------------------------------------------

    def add_line(self, *, focus: bool = False) -> ItemLine:
        line = ItemLine(self.config.catalogue, self._update)
        line.remove.clicked.connect(lambda: self.remove_line(line))
        line.item.value_changed.connect(self._relayout)  # a named row takes one more line
        self.lines.append(line)
        self._relayout()
        if focus:
            line.item.setFocus()
        return line

    def remove_line(self, line: ItemLine) -> None:
        position = self.lines.index(line)
        self.lines.remove(line)
        for widget in line.widgets():
            self.grid.removeWidget(widget)
            widget.hide()
            widget.deleteLater()
        self._relayout()
        if self.lines:
            self.lines[min(position, len(self.lines) - 1)].item.setFocus()
        else:
            self.add_button.setFocus()

    def set_items(self, rows: list[ItemRow]) -> None:
        for row in rows:
            self.add_line().load(row)
        self._update()

    def _relayout(self) -> None:
        """Each item takes three grid lines: its inputs, its name (only for an other item)
        and its error line."""
        for line in self.lines:
            for widget in line.widgets():
                self.grid.removeWidget(widget)
        for number, line in enumerate(self.lines, start=1):
            top = 1 + (number - 1) * 3
            line.set_number(number)
            self.grid.addWidget(line.item, top, 0, 1, 2)
            self.grid.addWidget(line.quantity, top, 2)
            self.grid.addWidget(line.unit, top, 3)
            self.grid.addWidget(line.unit_cost, top, 4)
            self.grid.addWidget(line.estimate, top, 5)
            self.grid.addWidget(line.remove, top, 6)
            self.grid.addWidget(line.name_caption, top + 1, 0, 1, 2)
            self.grid.addWidget(line.name, top + 1, 2, 1, 4)
            self.grid.addWidget(line.error, top + 2, 0, 1, 7)
            for widget in line.widgets():
                if widget is line.name or widget is line.name_caption:
                    widget.setVisible(line.is_other())
                elif widget is not line.error:
                    widget.show()
        self.empty.setVisible(not self.lines)
        for header in self.headers:
            header.setVisible(bool(self.lines))
        self._update()

    # --- what the rows add up to ----------------------------------------------------------

    def total_fen(self) -> int:
        return sum(fen for line in self.lines if (fen := line.estimate_fen()) is not None)

    def _update(self) -> None:
        for line in self.lines:
            line.show_estimate()
        total = self.total_fen()
        self.total.setText(_("预算合计：{amount}").format(amount=money_text(total)))
        self.cap_warning.show_message(
            modifications.cap_warning(total, self.config, _("评估预算")))
        self.changed.emit()

    # --- reading and errors ---------------------------------------------------------------

    def items(self, errors: dict[str, str]) -> list[modifications.ItemInput]:
        found: list[modifications.ItemInput] = []
        if not self.lines:
            errors["items"] = _("请至少添加一个改造项目")
        for number, line in enumerate(self.lines, start=1):
            item = line.read(errors, f"items[{number}]")
            if item is not None:
                found.append(item)
        return found

    def show_errors(self, errors: dict[str, str]) -> QWidget | None:
        """Messages for "items" and "items[k]"; returns the first input in error."""
        self.error.show_message(errors.get("items"))
        first: QWidget | None = self.add_button if "items" in errors else None
        for number, line in enumerate(self.lines, start=1):
            message = errors.get(f"items[{number}]")
            line.error.show_message(message)
            if message and first is None:
                first = line.item
        return first

    def clear_errors(self) -> None:
        self.error.show_message(None)
        for line in self.lines:
            line.error.show_message(None)

    def focus_chain(self) -> list[QWidget]:
        return [w for line in self.lines for w in line.focus_chain()] + [self.add_button]

    def snapshot(self) -> tuple[object, ...]:
        return tuple(line.snapshot() for line in self.lines)


# --- the common frame of the case forms -------------------------------------------------------


class CaseForm(QDialog):
    """A form with a heading, a grid of fields, a line for errors that name no field, and
    保存 / 取消. Subclasses add their inputs, `_store()` what they read, and say what they are."""

    saved = Signal(object)

    def __init__(self, ctx: GuiContext, parent: QWidget | None, title: str) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(title)
        self.intro = QLabel()
        self.intro.setObjectName("intro")
        self.intro.setWordWrap(True)
        self.grid = FormGrid()
        self.form_error = ErrorLabel()
        self.form_error.setObjectName("form_error")
        self.content = QWidget()
        self.column = QVBoxLayout(self.content)
        self.column.addWidget(self.intro)
        self.column.addWidget(self.grid)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.content)
        self.scroll_area = scroll
        buttons = QDialogButtonBox()
        self.save_button = plain_button(_("保存(&S)"))
        self.save_button.setToolTip(_("保存（Ctrl+S）"))
        self.cancel_button = plain_button(_("取消"))
        self.cancel_button.setToolTip(_("关闭（Esc）"))
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.form_error)
        layout.addWidget(buttons)
        self._clean: tuple[object, ...] = ()

    def finish_building(self, width_em: int = 36, height_em: int = 0) -> None:
        """Size to the content (at least `width_em` wide and `height_em` tall, room for rows
        still to be added), never beyond the screen."""
        self.column.addStretch(1)
        self.mark_clean()
        em = self.fontMetrics().horizontalAdvance("走")
        screen = self.screen().availableGeometry()
        hint = self.content.sizeHint()
        height = max(em * height_em,
                     hint.height() + self.save_button.sizeHint().height() * 3 + em * 2)
        self.resize(min(max(em * width_em, hint.width() + em * 2), screen.width() * 9 // 10),
                    min(height, screen.height() * 9 // 10))

    def field(self, name: str) -> Any:
        return self.grid.fields[name]

    # --- unsaved input ---------------------------------------------------------------------

    def snapshot(self) -> tuple[object, ...]:
        return tuple(widget_state(w) for w in self.grid.fields.values())

    def mark_clean(self) -> None:
        self._clean = self.snapshot()

    def has_unsaved_input(self) -> bool:
        return self.snapshot() != self._clean

    def what(self) -> str:
        return self.windowTitle()

    def reject(self) -> None:
        """Esc, 取消 and the close box all come here (QDialog.closeEvent calls reject)."""
        if not self.has_unsaved_input():
            super().reject()
            return
        choice = dialogs.UnsavedChanges.ask(self, self.what())
        if choice is dialogs.UnsavedChoice.DISCARD:
            super().reject()
        elif choice is dialogs.UnsavedChoice.SAVE:
            self.save()

    # --- saving ----------------------------------------------------------------------------

    def save(self) -> bool:
        """Store what is typed and close; on any problem keep every value and say why."""
        if not self.save_button.isEnabled():
            return False
        self.clear_errors()
        try:
            result = self._store()
        except FormErrors as exc:
            self.show_errors(exc.errors)
            return False
        except ValidationError as exc:
            self.show_errors(exc.errors)
            return False
        except LiaisonError as exc:  # a refused step, a stale case, out of scope
            dialogs.Message.show_error(self, exc.message)
            return False
        except Exception as exc:  # noqa: BLE001 - a bug: logged with a reference, shown
            report_error(self, exc)
            return False
        self.mark_clean()
        self.ctx.events.changed.emit("case")
        notes = self._after_save_notes(result)
        if notes:
            dialogs.Message.show_info(self, "\n".join(notes))
        self.saved.emit(result)
        self.accept()
        return True

    def _store(self) -> Any:
        raise NotImplementedError

    def _after_save_notes(self, result: Any) -> list[str]:
        return list(getattr(result, "warnings", ()))

    # --- errors ----------------------------------------------------------------------------

    def clear_errors(self) -> None:
        self.grid.clear_errors()
        self.form_error.show_message(None)

    def show_errors(self, errors: dict[str, str]) -> None:
        first_in_grid = self.grid.set_errors(errors)
        first_elsewhere = self._show_other_errors(errors)  # below the grid
        first = first_in_grid or first_elsewhere
        rest = [message for key, message in errors.items() if not self._placed(key)]
        self.form_error.show_message("；".join(rest) or None)
        if first is not None:
            first.setFocus()
            self.scroll_area.ensureWidgetVisible(first)

    def _show_other_errors(self, errors: dict[str, str]) -> QWidget | None:
        """Errors shown outside the grid (the items); returns the first input in error."""
        return None

    def _placed(self, key: str) -> bool:
        return key in self.grid.fields

    def error_text(self, name: str) -> str:
        """The message shown under a field ("" when none), as the person sees it."""
        error = self.grid.errors[name]
        return error.text() if not error.isHidden() else ""

    def set_tab_order(self, chain: list[QWidget]) -> None:
        chain = [w for w in chain if w.focusPolicy() != Qt.FocusPolicy.NoFocus]
        for first, second in itertools.pairwise(chain + [self.save_button, self.cancel_button]):
            QWidget.setTabOrder(first, second)


# --- one step of a case --------------------------------------------------------------------------


@dataclass(frozen=True)
class InstitutionChoice:
    id: uuid.UUID
    name: str
    kinds: frozenset[str]


def load_institutions(ctx: GuiContext) -> list[InstitutionChoice]:
    with ctx.workspace.uow() as uow:
        return [InstitutionChoice(i.id, i.name, frozenset(i.service_kinds.split(",")))
                for i in referrals.list_institutions(uow)]


def institution_choices(institutions: list[InstitutionChoice],
                        kind: ReferralServiceKind | str | None) -> list[tuple[uuid.UUID, str]]:
    if kind is None:
        return []
    value = ReferralServiceKind(kind).value
    return [(i.id, i.name) for i in institutions if value in i.kinds]


class StepDialog(CaseForm):
    """Take one step of a case: `saved` carries the service's StepResult."""

    def __init__(self, ctx: GuiContext, view: CaseView, transition: Transition,
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent, _("{action} — {name}").format(
            action=transition.action_label(), name=view.person_name))
        self.view = view
        self.transition = transition
        self.items_editor: ItemsEditor | None = None
        self.items_box: QGroupBox | None = None
        move = transition.move
        target = view.state_label(transition.target)
        if move is Move.BACK:
            intro = _("把案件从“{from}”退回到“{to}”。请写明退回原因。")
        elif move is Move.END:
            intro = _("在“{from}”阶段结束案件（{to}）。请写明原因；结束后不能再办理。")
        else:
            intro = _("从“{from}”进入“{to}”。")
        self.intro.setText(intro.format(**{"from": view.position_label, "to": target}))
        self.grid.add("on", _("日期"), DateField(required=True)).set_value(ctx.today())  # type: ignore[attr-defined]
        if view.case_type is CaseType.MODIFICATION:
            self._modification_fields()
        else:
            self._referral_fields()
        reason = TextField()
        reason.setMaxLength(200)
        if transition.needs_reason:
            reason.setPlaceholderText(_("必须填写，如“验收不合格，需返工”"))
            self.grid.add("reason", _("原因"), reason)
        else:
            reason.setPlaceholderText(_("可不填"))
            self.grid.add("reason", _("备注"), reason)
        if self.items_editor is not None:
            self.items_editor.changed.connect(self._update_tab_order)
        self._update_tab_order()
        if self.items_editor is not None:
            self.finish_building(52, 36)
        else:
            self.finish_building(34)
        self.grid.fields["on"].setFocus()

    # --- building --------------------------------------------------------------------------

    @property
    def target(self) -> str:
        return self.transition.target

    @property
    def forward(self) -> bool:
        return self.transition.move is Move.FORWARD

    @property
    def device(self) -> bool:
        return self.view.workflow is DEVICE_FITTING

    def _modification_fields(self) -> None:
        if not self.forward:
            return
        stage = ModificationStage(self.target)
        if stage is ModificationStage.ASSESSED:
            self.items_editor = ItemsEditor(self.ctx.rules.modification)
            self.items_editor.set_items(self.view.items)
            if not self.view.items:
                self.items_editor.add_line()
            self.items_box = QGroupBox(_("入户评估的改造项目"))
            QVBoxLayout(self.items_box).addWidget(self.items_editor)
            self.column.addWidget(self.items_box)
        elif stage is ModificationStage.CONSTRUCTION:
            contractor = TextField()
            contractor.setMaxLength(100)
            contractor.setPlaceholderText(_("中标或承建的施工单位全称"))
            self.grid.add("contractor", _("施工单位"), contractor)
        elif stage is ModificationStage.ACCEPTED:
            cost = MoneyField()
            estimate = sum(i.estimate_fen for i in self.view.items)
            if self.view.items:
                cost.setPlaceholderText(_("元；评估预算 {amount}").format(amount=money_text(estimate)))
            self.grid.add("actual_cost_fen", _("实际费用"), cost)
            result = TextField()
            result.setMaxLength(200)
            result.setPlaceholderText(_("如“合格”，或写明需整改之处"))
            self.grid.add("acceptance_result", _("验收结果"), result)
            by = TextField()
            by.setMaxLength(50)
            by.setPlaceholderText(_("验收人姓名与单位，如“乡镇残联 张主任”"))
            self.grid.add("accepted_by", _("验收人"), by)
            self.actual_warning = WarningLabel()
            self.actual_warning.setObjectName("actual_cost_warning")
            self.column.addWidget(self.actual_warning)
            cost.textChanged.connect(self._check_actual_cost)

    def _check_actual_cost(self) -> None:
        try:
            fen = self.field("actual_cost_fen").value()
        except FieldValueError:
            fen = None
        self.actual_warning.show_message(
            modifications.cap_warning(fen, self.ctx.rules.modification, _("实际费用"))
            if fen is not None else None)

    def _referral_steps(self) -> tuple[bool, bool, bool, bool]:
        """(accepting, completing, revisiting, cost asked) for this step of a referral."""
        target, device, forward = self.target, self.device, self.forward
        accepting = forward and (target == (DeviceStep.ASSESSED.value if device
                                            else ReferralState.ACCEPTED.value))
        completing = forward and (target == (DeviceStep.FITTED.value if device
                                             else ReferralState.COMPLETED.value))
        revisiting = forward and device and target == DeviceStep.REVISITED.value
        costed = accepting or completing or (forward and device and target == DeviceStep.APPROVED.value)
        return accepting, completing, revisiting, costed

    def _referral_fields(self) -> None:
        accepting, completing, revisiting, costed = self._referral_steps()
        if accepting:
            choices = institution_choices(load_institutions(self.ctx), self.view.service_kind)
            picker = ChoiceField(choices, empty_text=_("（请选择受理机构）"))
            picker.set_value(self.view.institution_id)
            self.grid.add("institution_id", _("定点机构"), picker)
            if not choices:
                self.grid.errors["institution_id"].show_message(_(
                    "没有提供“{kind}”服务的定点机构，请县残联先在设置中添加").format(
                        kind=label(self.view.service_kind)))
        if costed:
            cost = MoneyField()
            cost.set_value(self.view.cost_fen)
            cost.setPlaceholderText(_("元，可不填；0–6 岁儿童按康复救助年度上限检查"))
            self.grid.add("cost_fen", _("费用"), cost)
        if completing or revisiting:
            outcome = TextField()
            outcome.setMaxLength(200)
            if revisiting:
                outcome.setPlaceholderText(_("必须填写，如“轮椅使用良好”"))
                self.grid.add("outcome", _("回访情况"), outcome)
            else:
                outcome.setPlaceholderText(_("如“训练 3 个月，能独立行走”"))
                self.grid.add("outcome", _("服务结果"), outcome)

    def _update_tab_order(self) -> None:
        """In reading order: the grid, then the items."""
        items = self.items_editor.focus_chain() if self.items_editor is not None else []
        self.set_tab_order([*self.grid.fields.values(), *items])

    # --- reading and storing --------------------------------------------------------------------

    def snapshot(self) -> tuple[object, ...]:
        items = self.items_editor.snapshot() if self.items_editor is not None else ()
        return super().snapshot() + items

    def what(self) -> str:
        return _("“{action}”").format(action=self.transition.action_label())

    def _read_common(self, errors: dict[str, str]) -> tuple[date, str | None]:
        on = read_input(self.field("on"), "on", errors)
        reason = self.field("reason").value()
        if self.transition.needs_reason and not reason:
            errors["reason"] = _("必须写明原因")
        return on or self.ctx.today(), reason

    def _store(self) -> StepResult:
        errors: dict[str, str] = {}
        on, reason = self._read_common(errors)
        if self.view.case_type is CaseType.MODIFICATION:
            step: Any = self._modification_step(on, reason, errors)
        else:
            step = self._referral_step(on, reason, errors)
        if errors:
            raise FormErrors(errors)
        ctx = self.ctx
        with ctx.workspace.uow() as uow:
            if self.view.case_type is CaseType.MODIFICATION:
                result = modifications.move_modification(
                    uow, ctx.actor, self.view.id, step, rules=ctx.rules,
                    expected_version=self.view.row_version, today=ctx.today())
            else:
                result = referrals.move_referral(
                    uow, ctx.actor, self.view.id, step, rules=ctx.rules,
                    expected_version=self.view.row_version, today=ctx.today())
            uow.commit()
        self._on = on
        return result

    def _modification_step(self, on: date, reason: str | None,
                           errors: dict[str, str]) -> modifications.ModificationStep:
        step = modifications.ModificationStep(ModificationStage(self.target), on, reason)
        if self.items_editor is not None:
            step.items = self.items_editor.items(errors)
        fields = self.grid.fields
        if "contractor" in fields:
            step.contractor = fields["contractor"].value()  # type: ignore[attr-defined]
        if "actual_cost_fen" in fields:
            step.actual_cost_fen = read_input(fields["actual_cost_fen"], "actual_cost_fen", errors)
            step.acceptance_result = fields["acceptance_result"].value()  # type: ignore[attr-defined]
            step.accepted_by = fields["accepted_by"].value()  # type: ignore[attr-defined]
        return step

    def _referral_step(self, on: date, reason: str | None,
                       errors: dict[str, str]) -> referrals.ReferralStep:
        step = referrals.ReferralStep(self.target, on, reason)
        fields = self.grid.fields
        if "institution_id" in fields:
            step.institution_id = fields["institution_id"].value()  # type: ignore[attr-defined]
            if step.institution_id is None:
                errors["institution_id"] = _("请选择受理的定点机构")
        if "cost_fen" in fields:
            cost = read_input(fields["cost_fen"], "cost_fen", errors)
            if cost is not None and cost != self.view.cost_fen:
                step.cost_fen = cost  # only a changed amount is checked against the caps again
        if "outcome" in fields:
            step.outcome = fields["outcome"].value()  # type: ignore[attr-defined]
        return step

    def _after_save_notes(self, result: StepResult) -> list[str]:
        notes = list(result.warnings)
        if result.follow_up_id is not None:
            days = (self.ctx.rules.modification.follow_up_days
                    if self.view.case_type is CaseType.MODIFICATION
                    else self.ctx.rules.referral.follow_up_days)
            notes.append(_("已在工作清单中安排回访，请于 {due} 前完成。").format(
                due=(self._on + timedelta(days=days)).isoformat()))
        return notes

    # --- errors ----------------------------------------------------------------------------------

    def clear_errors(self) -> None:
        super().clear_errors()
        if self.items_editor is not None:
            self.items_editor.clear_errors()

    def _show_other_errors(self, errors: dict[str, str]) -> QWidget | None:
        return self.items_editor.show_errors(errors) if self.items_editor is not None else None

    def _placed(self, key: str) -> bool:
        if self.items_editor is not None and (key == "items" or key.startswith("items[")):
            return True
        return super()._placed(key)

    def item_error(self, number: int) -> str:
        assert self.items_editor is not None
        error = self.items_editor.lines[number - 1].error
        return error.text() if not error.isHidden() else ""


# --- opening a case --------------------------------------------------------------------------


@dataclass(frozen=True)
class NeedChoice:
    id: uuid.UUID
    kind: NeedKind
    text: str


def need_text(need: Any) -> str:
    detail = f"：{need.detail}" if need.detail else ""
    return _("{kind}{detail}（{on} 提出，{status}）").format(
        kind=label(need.kind), detail=detail, on=need.raised_on.isoformat(),
        status=label(need.status))


@dataclass(frozen=True)
class Applicant:
    name: str
    place: str
    needs: list[NeedChoice]
    busy: str | None  # why no new case can be opened now (an open one exists), or None


def _person_heading(uow: Any, ctx: GuiContext, person_id: uuid.UUID) -> tuple[str, str]:
    person = load_person(uow, ctx.actor, person_id)
    info = area_directory(uow).get(person.area_id)
    return person.name, info.full_name if info else ""


def load_modification_applicant(ctx: GuiContext, person_id: uuid.UUID) -> Applicant:
    with ctx.workspace.uow() as uow:
        name, place = _person_heading(uow, ctx, person_id)
        needs = [NeedChoice(n.id, n.kind, need_text(n)) for n in open_needs(uow, ctx.actor, person_id)
                 if n.kind is NeedKind.HOME_MODIFICATION]
        active = modifications.active_case_of(uow, person_id)
        busy = (_("{name}已有进行中的改造案件（{stage}），不能重复申请；请在案件窗口中办理").format(
            name=name, stage=label(active.stage)) if active is not None else None)
    return Applicant(name, place, needs, busy)


def load_referral_applicant(ctx: GuiContext, person_id: uuid.UUID) -> Applicant:
    with ctx.workspace.uow() as uow:
        name, place = _person_heading(uow, ctx, person_id)
        needs = []
        for need in open_needs(uow, ctx.actor, person_id):
            if need.kind not in referrals.REFERRABLE_NEEDS:
                continue
            linked = [uow.session.get(RehabReferral, cid) for t, cid in cases_of_need(uow, need.id)
                      if t is CaseType.REFERRAL]
            if any(r is not None and r.state not in referrals.CLOSED_STATES for r in linked):
                continue  # already being served: one referral at a time
            needs.append(NeedChoice(need.id, need.kind, need_text(need)))
    return Applicant(name, place, needs, None)


class NewModificationDialog(CaseForm):
    """申请无障碍改造: for a person, from one of their open needs or as a direct application;
    `saved` carries the new case's id."""

    def __init__(self, ctx: GuiContext, person_id: uuid.UUID, need_id: uuid.UUID | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent, _("申请无障碍改造"))
        self.person_id = person_id
        applicant = load_modification_applicant(ctx, person_id)
        self.setWindowTitle(_("申请无障碍改造 — {name}").format(name=applicant.name))
        self.intro.setText(_("申请人：{name}（{place}）。提交后进入“申请”阶段，"
                             "之后入户评估、确认方案、施工、验收、结案。").format(
                                 name=applicant.name, place=applicant.place))
        need = ChoiceField([(n.id, n.text) for n in applicant.needs],
                           empty_text=_("（直接申请：同时登记一项无障碍改造需求）"))
        need.set_value(need_id)
        self.grid.add("need", _("对应需求"), need)
        self.grid.add("applied_on", _("申请日期"), DateField(required=True)).set_value(ctx.today())  # type: ignore[attr-defined]
        note = TextField()
        note.setMaxLength(200)
        note.setPlaceholderText(_("如“卫生间需加扶手，门槛过高”"))
        self.grid.add("reason", _("说明"), note)
        if applicant.busy:
            self.form_error.show_message(applicant.busy)
            self.save_button.setEnabled(False)
        self.set_tab_order(list(self.grid.fields.values()))
        self.finish_building()
        need.setFocus()

    def _store(self) -> uuid.UUID:
        errors: dict[str, str] = {}
        on = read_input(self.field("applied_on"), "applied_on", errors)
        if errors:
            raise FormErrors(errors)
        data = modifications.ModificationApplication(
            self.person_id, on, need_id=self.field("need").value(), note=self.field("reason").value())
        with self.ctx.workspace.uow() as uow:
            result = modifications.open_modification(uow, self.ctx.actor, data, today=self.ctx.today())
            uow.commit()
        return result.case_id

    def _after_save_notes(self, result: Any) -> list[str]:
        return []


def default_service_kind(need_kind: NeedKind | None, offered: list[str]) -> str | None:
    """辅具适配 for an assistive-device need, 康复训练 for a rehabilitation need (when offered)."""
    wanted = (ReferralServiceKind.DEVICE_FITTING if need_kind is NeedKind.ASSISTIVE_DEVICE
              else ReferralServiceKind.REHAB_TRAINING).value
    if wanted in offered:
        return wanted
    return offered[0] if offered else None


class NewReferralDialog(CaseForm):
    """康复转介: one of the person's open rehabilitation or assistive-device needs referred for
    a service, optionally to an institution already; `saved` carries the referral's id."""

    def __init__(self, ctx: GuiContext, person_id: uuid.UUID, need_id: uuid.UUID | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent, _("康复转介"))
        self.person_id = person_id
        applicant = load_referral_applicant(ctx, person_id)
        self.needs = {n.id: n for n in applicant.needs}
        self.institutions = load_institutions(ctx)
        self.setWindowTitle(_("康复转介 — {name}").format(name=applicant.name))
        self.intro.setText(_("服务对象：{name}（{place}）。转介后由定点机构受理、提供服务、结案。").format(
            name=applicant.name, place=applicant.place))
        need = ChoiceField([(n.id, n.text) for n in applicant.needs])
        self.grid.add("need", _("需求"), need)
        offered = list(ctx.rules.referral.service_kinds)
        kind = ChoiceField([(k, label(ReferralServiceKind(k))) for k in offered])
        self.grid.add("service_kind", _("服务类别"), kind)
        self.grid.add("institution_id", _("定点机构"),
                      ChoiceField([], empty_text=_("（暂不选定，机构受理时再选）")))
        self.grid.add("referred_on", _("转介日期"), DateField(required=True)).set_value(ctx.today())  # type: ignore[attr-defined]
        cost = MoneyField()
        cost.setPlaceholderText(_("预计费用，元，可不填；0–6 岁儿童按康复救助年度上限检查"))
        self.grid.add("cost_fen", _("费用"), cost)
        note = TextField()
        note.setMaxLength(200)
        self.grid.add("reason", _("说明"), note)
        need.set_value(need_id if need_id in self.needs else (applicant.needs[0].id if applicant.needs else None))
        self._kind_touched = False
        self._need_chosen()
        need.value_changed.connect(self._need_chosen)
        kind.activated.connect(self._kind_picked)
        kind.value_changed.connect(self._fill_institutions)
        if not applicant.needs:
            self.grid.errors["need"].show_message(_(
                "{name}没有待转介的康复或辅助器具需求；请先在走访登记或档案的“需求”栏目中登记").format(
                    name=applicant.name))
            self.save_button.setEnabled(False)
        self.set_tab_order(list(self.grid.fields.values()))
        self.finish_building()
        self.mark_clean()
        need.setFocus()

    def _kind_picked(self) -> None:
        self._kind_touched = True

    def _need_chosen(self) -> None:
        need = self.needs.get(self.field("need").value())
        if not self._kind_touched:
            offered = list(self.ctx.rules.referral.service_kinds)
            self.field("service_kind").set_value(
                default_service_kind(need.kind if need else None, offered))
        self._fill_institutions()

    def _fill_institutions(self) -> None:
        picker: ChoiceField = self.field("institution_id")
        chosen = picker.value()
        while picker.count() > 1:
            picker.removeItem(picker.count() - 1)
        for value, text in institution_choices(self.institutions, self.field("service_kind").value()):
            picker.addItem(text, value)
        picker.set_value(chosen)

    def _store(self) -> uuid.UUID:
        errors: dict[str, str] = {}
        on = read_input(self.field("referred_on"), "referred_on", errors)
        cost = read_input(self.field("cost_fen"), "cost_fen", errors)
        need_id = self.field("need").value()
        if need_id is None:
            errors["need"] = _("请选择需求")
        if errors:
            raise FormErrors(errors)
        data = referrals.ReferralInput(
            need_id, ReferralServiceKind(self.field("service_kind").value()), on,
            institution_id=self.field("institution_id").value(), cost_fen=cost,
            note=self.field("reason").value())
        with self.ctx.workspace.uow() as uow:
            result = referrals.refer(uow, self.ctx.actor, data, rules=self.ctx.rules,
                                     today=self.ctx.today())
            uow.commit()
        self._warnings = list(result.warnings)
        return result.case_id

    def _after_save_notes(self, result: Any) -> list[str]:
        return self._warnings


# --- small questions from the case window ------------------------------------------------------


def attachment_roles_for(case_type: CaseType) -> list[AttachmentRole]:
    """Survey, before and after photos belong to a home modification; a referral keeps
    documents (the institution's reports, a device's receipt)."""
    if CaseType(case_type) is CaseType.MODIFICATION:
        return list(AttachmentRole)
    return [AttachmentRole.DOCUMENT]


def suggested_role(view: CaseView) -> AttachmentRole:
    if view.case_type is not CaseType.MODIFICATION:
        return AttachmentRole.DOCUMENT
    stage = view.position
    if stage in (ModificationStage.APPLIED.value, ModificationStage.ASSESSED.value):
        return AttachmentRole.SURVEY
    if stage in (ModificationStage.PLAN_CONFIRMED.value, ModificationStage.CONSTRUCTION.value):
        return AttachmentRole.BEFORE
    if stage in (ModificationStage.ACCEPTED.value, ModificationStage.CLOSED.value):
        return AttachmentRole.AFTER
    return AttachmentRole.DOCUMENT


class AttachmentRoleDialog(QuestionDialog):
    """What a chosen file is (勘测照片, 改造前照片 …) and a note about it."""

    def __init__(self, parent: QWidget | None, file_name: str, roles: list[AttachmentRole],
                 default: AttachmentRole) -> None:
        super().__init__(parent, _("添加附件"), _("文件：{name}").format(name=file_name))
        role = ChoiceField([(r, label(r)) for r in roles])
        role.set_value(default)
        self.grid.add("role", _("类别"), role)
        note = TextField()
        note.setMaxLength(200)
        note.setPlaceholderText(_("可不填，如“卫生间门口”"))
        self.grid.add("note", _("说明"), note)
        role.setFocus()

    def _read(self) -> tuple[AttachmentRole, str | None]:
        return (AttachmentRole(self.grid.fields["role"].value()),  # type: ignore[attr-defined]
                self.grid.fields["note"].value())  # type: ignore[attr-defined]

    @classmethod
    def ask(cls, parent: QWidget | None, file_name: str, roles: list[AttachmentRole],
            default: AttachmentRole) -> tuple[AttachmentRole, str | None] | None:
        dialog = cls(parent, file_name, roles, default)
        return dialog.answer if dialog.exec() == QDialog.DialogCode.Accepted else None


class RemoveAttachmentDialog(QuestionDialog):
    """Why an attachment is removed (it stays on record, hidden)."""

    def __init__(self, parent: QWidget | None, file_name: str) -> None:
        super().__init__(parent, _("移除附件"), _(
            "移除“{name}”？移除后不再列出，但记录和文件仍保留备查。").format(name=file_name))
        reason = TextField()
        reason.setMaxLength(200)
        reason.setPlaceholderText(_("如“传错了照片”"))
        self.grid.add("reason", _("原因"), reason)
        reason.setFocus()

    def _read(self) -> str:
        reason = self.grid.fields["reason"].value()  # type: ignore[attr-defined]
        if not reason:
            raise FormErrors({"reason": _("必须写明原因")})
        return reason  # type: ignore[no-any-return]

    @classmethod
    def ask(cls, parent: QWidget | None, file_name: str) -> str | None:
        dialog = cls(parent, file_name)
        return dialog.answer if dialog.exec() == QDialog.DialogCode.Accepted else None
