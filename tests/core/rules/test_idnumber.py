from datetime import date

import pytest

from liaison.core.enums import Sex
from liaison.core.rules.idnumber import (
    IdNumberError,
    age_on,
    check_digit,
    is_valid_id_number,
    mask_id_number,
    normalize_id_number,
    parse_id_number,
)

TODAY = date(2025, 6, 15)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("22020219800101123x", "22020219800101123X"),
        ("２２０２０２１９８００１０１１２３ｘ", "22020219800101123X"),
        ("２２０２０２１９８００１０１１２３Ｘ", "22020219800101123X"),
        (" 220202\u300019800101 123X\t\n", "22020219800101123X"),
        ("abc", "abc"),  # normalisation only, no validation
        ("", ""),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize_id_number(raw) == expected


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        ("11010519491231002", "X"),  # checked by hand: sum 167, 167 % 11 = 2
        ("22020219800101123", "X"),  # checked by hand: sum 145, 145 % 11 = 2
        ("22020219800101124", "8"),
        ("44030420000229001", "4"),
    ],
)
def test_check_digit(first17: str, expected: str) -> None:
    assert check_digit(first17) == expected


@pytest.mark.parametrize(
    "bad", ["1101051949123100", "1101051949123100X", "１１０１０５１９４９１２３１００２"]
)
def test_check_digit_needs_17_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        check_digit(bad)


@pytest.mark.parametrize(
    ("raw", "number", "birth", "sex", "converted"),
    [
        ("22020219800101123X", "22020219800101123X", date(1980, 1, 1), Sex.MALE, False),
        ("220202198001011248", "220202198001011248", date(1980, 1, 1), Sex.FEMALE, False),
        ("11010519491231002X", "11010519491231002X", date(1949, 12, 31), Sex.FEMALE, False),
        # full-width, ideographic and internal spaces, lower-case x
        ("２２０２０２\u3000１９８００１０１ １２３ｘ", "22020219800101123X", date(1980, 1, 1),
         Sex.MALE, False),
        (" 22020219800101123x ", "22020219800101123X", date(1980, 1, 1), Sex.MALE, False),
        # 15-digit old number: "19" inserted before the year, check digit appended
        ("110105491231002", "11010519491231002X", date(1949, 12, 31), Sex.FEMALE, True),
        ("440304200002290014", "440304200002290014", date(2000, 2, 29), Sex.MALE, False),
        ("220202190001010011", "220202190001010011", date(1900, 1, 1), Sex.MALE, False),
        ("220202202506150015", "220202202506150015", TODAY, Sex.MALE, False),  # born today
        ("710000197001010016", "710000197001010016", date(1970, 1, 1), Sex.MALE, False),
        ("82000019700101002X", "82000019700101002X", date(1970, 1, 1), Sex.FEMALE, False),
    ],
)  # fmt: skip
def test_parse_valid(raw, number, birth, sex, converted) -> None:
    info = parse_id_number(raw, today=TODAY)
    assert info.number == number
    assert info.area_code == number[:6]
    assert info.birth_date == birth
    assert info.sex == sex
    assert info.converted_from_15 is converted
    assert is_valid_id_number(raw, today=TODAY)


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        ("", "empty", "身份证号不能为空"),
        (" \u3000 ", "empty", "身份证号不能为空"),
        ("22020219800101123", "length", "长度应为 18 位（或 15 位旧号码），实际为 17 位"),
        ("22020219800101123X1", "length", "长度应为 18 位（或 15 位旧号码），实际为 19 位"),
        ("2202021980", "length", "长度应为 18 位（或 15 位旧号码），实际为 10 位"),
        ("2202021980AB01123X", "chars", "含有无效字符：第 11 位“A”、第 12 位“B”"),
        ("X20202198001011230", "chars", "含有无效字符：第 1 位“X”"),
        ("22020219800101123Y", "chars", "含有无效字符：第 18 位“Y”"),
        ("11010549123100X", "chars", "含有无效字符：第 15 位“X”"),  # old numbers are all digits
        ("220202198001011233", "checksum", "校验位错误：最后一位应为 X，实际为 3"),
        ("220202198001011249", "checksum", "校验位错误：最后一位应为 8，实际为 9"),
        ("220202198002301234", "date", "出生日期 19800230 不是有效日期"),
        ("220202190002291234", "date", "出生日期 19000229 不是有效日期"),  # 1900 not leap
        ("220202198013011234", "date", "出生日期 19801301 不是有效日期"),
        ("220202000001011234", "date", "出生日期 00000101 不是有效日期"),
        ("110105491331002", "date", "出生日期 19491331 不是有效日期"),
        # an old number typed in full width, 1900 was not a leap year
        ("４４０３０４０００２２９００１", "date", "出生日期 19000229 不是有效日期"),
        ("220202203001011234", "future", "出生日期 20300101 晚于今天"),
        ("220202202506160010", "future", "出生日期 20250616 晚于今天"),  # tomorrow
        ("220202189912311234", "too_old", "出生日期 18991231 早于 1900 年"),
        ("990202198001011234", "area", "地区码 990202 无效：前两位 99 不是省级行政区代码"),
        ("000000198001011234", "area", "地区码 000000 无效：前两位 00 不是省级行政区代码"),
        ("160202198001011234", "area", "地区码 160202 无效：前两位 16 不是省级行政区代码"),
        ("720202198001011234", "area", "地区码 720202 无效：前两位 72 不是省级行政区代码"),
        ("920202198001011234", "area", "地区码 920202 无效：前两位 92 不是省级行政区代码"),
    ],
)
def test_parse_invalid(raw: str, code: str, message: str) -> None:
    with pytest.raises(IdNumberError) as err:
        parse_id_number(raw, today=TODAY)
    assert err.value.code == code
    assert err.value.message == message
    assert str(err.value) == message
    assert isinstance(err.value, ValueError)
    assert not is_valid_id_number(raw, today=TODAY)


def test_today_defaults_to_the_real_date() -> None:
    assert is_valid_id_number("22020219800101123X")
    assert not is_valid_id_number("220202209901011234")


@pytest.mark.parametrize(
    ("seventeenth", "sex"),
    [(str(d), Sex.MALE if d % 2 else Sex.FEMALE) for d in range(10)],
)
def test_sex_from_17th_digit_parity(seventeenth: str, sex: Sex) -> None:
    first17 = "2202021980010112" + seventeenth
    assert parse_id_number(first17 + check_digit(first17), today=TODAY).sex == sex


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("22020219800101123X", "220202********123X"),
        ("２２０２０２１９８００１０１１２３ｘ", "220202********123X"),
        ("110105491231002", "110**********02"),
        ("22020219800101123", "220************23"),
        ("123456", "123*56"),
        ("12345", "*****"),
        ("", ""),
    ],
)
def test_mask(number: str, masked: str) -> None:
    assert mask_id_number(number) == masked
    assert "19800101" not in masked and "491231" not in masked


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (date(1980, 6, 15), date(2025, 6, 14), 44),
        (date(1980, 6, 15), date(2025, 6, 15), 45),
        (date(1980, 6, 15), date(2025, 6, 16), 45),
        (date(2000, 2, 29), date(2023, 2, 28), 22),
        (date(2000, 2, 29), date(2023, 3, 1), 23),
        (date(2000, 2, 29), date(2024, 2, 29), 24),
        (date(2025, 6, 15), date(2025, 6, 15), 0),
        (date(2024, 12, 31), date(2025, 1, 1), 0),
    ],
)
def test_age_on(birth: date, on: date, age: int) -> None:
    assert age_on(birth, on) == age
