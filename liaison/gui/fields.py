"""Form building blocks: inputs that read and write typed values, and a form grid that gives
every input a label buddy, an accessible name and an error line beneath it.

Errors are shown as "⚠ message" text under the field (never by colour alone) and the first
field in error takes the focus.
"""

from __future__ import annotations

import re
from datetime import date
from enum import Enum
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QTableWidget,
    QWidget,
)

from liaison.core.enums import label
from liaison.core.errors import LiaisonError, ValidationError
from liaison.core.i18n import _
from liaison.core.rules.money import format_yuan, parse_yuan

_DATE_RE = re.compile(r"^\s*(\d{4})\s*[-./年]?\s*(\d{1,2})\s*[-./月]?\s*(\d{1,2})\s*日?\s*$")
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


class FieldValueError(ValueError):
    """The text in an input cannot be read as its type; the message is Chinese."""


class DateField(QLineEdit):
    """A date typed as 2026-11-25 (also 20261125, 2026/11/25, 2026年11月25日); empty = none.

    A line edit rather than QDateEdit: it can be empty, and typing a date is quicker by
    keyboard than spinning its parts.
    """

    def __init__(self, parent: QWidget | None = None, *, required: bool = False) -> None:
        super().__init__(parent)
        self.required = required
        self.setPlaceholderText(_("年-月-日，如 2026-11-25"))
        self.setMaxLength(12)

    def value(self) -> date | None:
        text = self.text().translate(_HALF_WIDTH).strip()
        if not text:
            if self.required:
                raise FieldValueError(_("必须填写"))
            return None
        match = _DATE_RE.match(text)
        if not match:
            raise FieldValueError(_("日期格式应为 年-月-日，如 2026-11-25"))
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise FieldValueError(_("{text} 不是有效日期").format(text=text)) from None

    def set_value(self, value: date | None) -> None:
        self.setText(value.isoformat() if value else "")


class MoneyField(QLineEdit):
    """An amount in yuan, stored as fen; empty = none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(_("元，如 80 或 6,000.50"))

    def value(self) -> int | None:
        text = self.text().strip()
        if not text:
            return None
        try:
            return parse_yuan(text)
        except ValueError as exc:
            raise FieldValueError(str(exc)) from None

    def set_value(self, fen: int | None) -> None:
        self.setText(format_yuan(fen, thousands=False) if fen is not None else "")


class IntField(QLineEdit):
    def __init__(self, parent: QWidget | None = None, *, minimum: int = 0, maximum: int = 10**9) -> None:
        super().__init__(parent)
        self.minimum, self.maximum = minimum, maximum

    def value(self) -> int | None:
        text = self.text().translate(_HALF_WIDTH).strip()
        if not text:
            return None
        if not text.isdigit():
            raise FieldValueError(_("应为整数"))
        number = int(text)
        if not self.minimum <= number <= self.maximum:
            raise FieldValueError(_("应在 {a} 到 {b} 之间").format(a=self.minimum, b=self.maximum))
        return number

    def set_value(self, value: int | None) -> None:
        self.setText("" if value is None else str(value))


class TextField(QLineEdit):
    def value(self) -> str | None:
        return self.text().strip() or None

    def set_value(self, value: str | None) -> None:
        self.setText(value or "")


class MultiLineField(QPlainTextEdit):
    def __init__(self, parent: QWidget | None = None, *, lines: int = 3) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)  # Tab moves on, as in every other field
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._lines = lines
        self._fit()

    def _fit(self) -> None:
        self.setMinimumHeight(self.fontMetrics().lineSpacing() * self._lines + 12)

    def changeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().changeEvent(event)
        self._fit()

    def value(self) -> str | None:
        return self.toPlainText().strip() or None

    def set_value(self, value: str | None) -> None:
        self.setPlainText(value or "")


class CheckField(QCheckBox):
    def value(self) -> bool:
        return self.isChecked()

    def set_value(self, value: bool) -> None:
        self.setChecked(bool(value))


class ChoiceField(QComboBox):
    """A pick list of (value, text) pairs; `empty_text` adds a first "no value" entry.

    The values stay on the Python side, in a list beside the items: Python objects stored
    as Qt item data went through PySide's reference counting for QVariant wrappers, which
    crashed the garbage collector in worker threads (PySide6 6.12).
    """

    value_changed = Signal()

    def __init__(
        self,
        choices: list[tuple[Any, str]],
        parent: QWidget | None = None,
        *,
        empty_text: str | None = None,
    ) -> None:
        super().__init__(parent)
        self._values: list[Any] = []
        if empty_text is not None:
            self.addItem(empty_text, None)
        for value, text in choices:
            self.addItem(text, value)
        self.currentIndexChanged.connect(self.value_changed)

    def addItem(self, text: str, value: Any = None) -> None:  # type: ignore[override]
        self._values.append(value)
        super().addItem(text)

    def removeItem(self, index: int) -> None:
        if 0 <= index < len(self._values):
            del self._values[index]
        super().removeItem(index)

    def clear(self) -> None:
        self._values.clear()
        super().clear()

    def value_at(self, index: int) -> Any:
        return self._values[index] if 0 <= index < len(self._values) else None

    @classmethod
    def for_enum(cls, enum_cls: type[Enum], *, empty_text: str | None = None,
                 parent: QWidget | None = None) -> ChoiceField:
        return cls([(m, label(m)) for m in enum_cls], parent, empty_text=empty_text)

    def value(self) -> Any:
        return self.value_at(self.currentIndex())

    def set_value(self, value: Any) -> None:
        for i, candidate in enumerate(self._values):
            if candidate == value:
                self.setCurrentIndex(i)
                return
        self.setCurrentIndex(0)


class ErrorLabel(QLabel):
    """The message under a field: a warning sign and words, so it never relies on colour."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setStyleSheet("color: #b00020;")
        self.hide()

    def show_message(self, message: str | None) -> None:
        if message:
            self.setText("⚠ " + message)
            self.setAccessibleName(message)
            self.show()
        else:
            self.clear()
            self.hide()


class FormGrid(QWidget):
    """Rows of label, input and error line. `add()` wires the buddy and accessible name."""

    def __init__(self, parent: QWidget | None = None, *, columns: int = 1) -> None:
        super().__init__(parent)
        self._grid = QGridLayout(self)
        self._grid.setColumnStretch(1, 1)
        if columns == 2:
            self._grid.setColumnStretch(3, 1)
        self._columns = columns
        self._next = 0
        self.fields: dict[str, QWidget] = {}
        self.labels: dict[str, QLabel] = {}
        self.errors: dict[str, ErrorLabel] = {}

    def add(self, name: str, text: str, widget: QWidget, *, wide: bool = False) -> QWidget:
        slot = self._next
        row, col = (slot // self._columns) * 2, (slot % self._columns) * 2
        if wide and col != 0:
            slot += 1
            row, col = (slot // self._columns) * 2, 0
        caption = QLabel(text + "：")
        caption.setBuddy(widget)
        caption.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        widget.setAccessibleName(text)
        widget.setObjectName(name)
        error = ErrorLabel()
        span = self._columns * 2 - 1 if wide else 1
        self._grid.addWidget(caption, row, col)
        self._grid.addWidget(widget, row, col + 1, 1, span)
        self._grid.addWidget(error, row + 1, col + 1, 1, span)
        self.fields[name], self.labels[name], self.errors[name] = widget, caption, error
        self._next = slot + (self._columns if wide else 1)
        return widget

    def set_errors(self, errors: dict[str, str]) -> QWidget | None:
        """Show the messages under their fields; returns the first field in error."""
        first = None
        for name, error in self.errors.items():
            message = errors.get(name)
            error.show_message(message)
            if message and first is None:
                first = self.fields[name]
        return first

    def clear_errors(self) -> None:
        for error in self.errors.values():
            error.show_message(None)


def show_service_error(form: FormGrid, message: ErrorLabel, exc: LiaisonError) -> None:
    """A service's refusal in a form dialog: field errors under their fields (the first one
    takes the focus), anything else on the dialog's message line."""
    first = form.set_errors(exc.errors) if isinstance(exc, ValidationError) else None
    if first is None:
        message.show_message(exc.message)
    else:
        first.setFocus()


def pick_list(headers: list[str], name: str) -> QTableWidget:
    """A short read-only list to pick one row from (accounts, backups): whole rows, one at a
    time, columns as wide as their contents."""
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    table.setAccessibleName(name)
    return table
