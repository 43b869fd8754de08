"""Form inputs read typed values and refuse what they cannot read, in Chinese."""

from __future__ import annotations

from datetime import date

import pytest

from liaison.core.enums import ContactMode
from liaison.gui.fields import (
    ChoiceField,
    DateField,
    FieldValueError,
    FormGrid,
    IntField,
    MoneyField,
    TextField,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-25", date(2026, 11, 25)),
        ("20261125", date(2026, 11, 25)),
        ("2026/1/5", date(2026, 1, 5)),
        ("2026年11月25日", date(2026, 11, 25)),
        ("２０２６－１１－２５", date(2026, 11, 25)),
        ("", None),
    ],
)
def test_date_field_reads_common_ways_of_writing_a_date(qtbot, text, expected):
    field = DateField()
    qtbot.addWidget(field)
    field.setText(text)
    assert field.value() == expected


@pytest.mark.parametrize(("text", "message"), [("2026-02-30", "不是有效日期"), ("明天", "日期格式")])
def test_date_field_refuses_what_is_not_a_date(qtbot, text, message):
    field = DateField()
    qtbot.addWidget(field)
    field.setText(text)
    with pytest.raises(FieldValueError, match=message):
        field.value()


def test_required_date_field_refuses_empty(qtbot):
    field = DateField(required=True)
    qtbot.addWidget(field)
    with pytest.raises(FieldValueError, match="必须填写"):
        field.value()


def test_money_and_int_fields(qtbot):
    money, number = MoneyField(), IntField(minimum=1, maximum=30)
    qtbot.addWidget(money)
    qtbot.addWidget(number)
    money.setText("6,000.50")
    assert money.value() == 600050
    money.set_value(8000)
    assert money.text() == "80.00"
    money.setText("八十")
    with pytest.raises(FieldValueError):
        money.value()
    number.setText("31")
    with pytest.raises(FieldValueError, match="1 到 30"):
        number.value()


def test_form_grid_labels_are_buddies_and_errors_are_words_not_colour(qtbot):
    grid = FormGrid()
    qtbot.addWidget(grid)
    name = grid.add("name", "姓名", TextField())
    mode = grid.add("mode", "联系方式", ChoiceField.for_enum(ContactMode))
    assert grid.labels["name"].buddy() is name
    assert name.accessibleName() == "姓名"
    grid.show()
    first = grid.set_errors({"mode": "必须选择"})
    assert first is mode
    assert grid.errors["mode"].isVisible()
    assert grid.errors["mode"].text() == "⚠ 必须选择"
    assert not grid.errors["name"].isVisible()
    grid.clear_errors()
    assert not grid.errors["mode"].isVisible()
