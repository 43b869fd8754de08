import pytest

from liaison.core.rules.money import format_yuan, parse_yuan


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("6000", 600_000),
        ("6,000.5", 600_050),
        ("6,000.05", 600_005),
        ("1,234,567.89", 123_456_789),
        ("６０００", 600_000),
        ("６，０００．５", 600_050),
        ("6000元", 600_000),
        ("6000 元", 600_000),
        ("￥80", 8_000),
        (" 80.00 ", 8_000),
        ("0", 0),
        ("0.01", 1),
    ],
)
def test_parse_yuan(text: str, fen: int) -> None:
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "金额不能为空"),
        ("  元", "金额不能为空"),
        ("-5", "金额不能为负数"),
        ("－5.00", "金额不能为负数"),
        ("80.001", "金额最多保留两位小数（到分）：80.001"),
        ("abc", "金额格式不对：abc"),
        ("6,00", "金额格式不对：6,00"),
        ("60,00.5", "金额格式不对：60,00.5"),
        ("6000.", "金额格式不对：6000."),
        (".5", "金额格式不对：.5"),
        ("1.2.3", "金额格式不对：1.2.3"),
        ("六千", "金额格式不对：六千"),
    ],
)
def test_parse_yuan_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_yuan(text)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("fen", "thousands", "text"),
    [
        (600_000, True, "6,000.00"),
        (600_000, False, "6000.00"),
        (600_050, True, "6,000.50"),
        (123_456_789, True, "1,234,567.89"),
        (5, True, "0.05"),
        (0, True, "0.00"),
        (-150_000, True, "-1,500.00"),
        (-5, True, "-0.05"),
    ],
)
def test_format_yuan(fen: int, thousands: bool, text: str) -> None:
    assert format_yuan(fen, thousands=thousands) == text


@pytest.mark.parametrize("fen", [0, 1, 99, 100, 600_050, 123_456_789])
def test_round_trip(fen: int) -> None:
    assert parse_yuan(format_yuan(fen)) == fen
    assert parse_yuan(format_yuan(fen, thousands=False)) == fen
