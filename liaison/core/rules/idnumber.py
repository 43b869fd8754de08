"""身份证号 (GB 11643-1999): normalisation, validation, masking.

Officers type numbers from paper forms with Chinese input methods, so full-width digits,
ideographic spaces and a lower-case x are common and are repaired silently; anything else is
refused with a message that says exactly what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from liaison.core.enums import Sex
from liaison.core.errors import LiaisonError
from liaison.core.i18n import _

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_EARLIEST_BIRTH = date(1900, 1, 1)
_PROVINCE_CODES = frozenset(
    [
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
        81,
        82,
    ]
)
# Full-width ASCII (U+FF01..U+FF5E) maps to ASCII by a fixed offset.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


class IdNumberError(LiaisonError, ValueError):
    """Why an ID number was refused. `code` is stable for programs, `message` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class IdNumberInfo:
    number: str  # normalised, always 18 characters
    area_code: str
    birth_date: date
    sex: Sex
    converted_from_15: bool


def normalize_id_number(raw: str) -> str:
    """Repair what input methods do to a number (full width, spaces, x); no validation."""
    text = raw.translate(_HALF_WIDTH)
    return "".join(text.split()).replace("x", "X")


def check_digit(first17: str) -> str:
    """The 18th character computed from the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("check_digit needs exactly 17 ASCII digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def compose_id_number(area_code: str, birth_date: date, sequence: int) -> str:
    """Build a valid number (for demo data and tests); an odd sequence means male."""
    first17 = f"{area_code}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)


def parse_id_number(raw: str, *, today: date | None = None) -> IdNumberInfo:
    """Validate and decode a number. 15-digit pre-1999 numbers are converted to 18 digits
    (year prefixed with 19, check digit appended) so that one form is stored everywhere."""
    today = today or date.today()
    number = normalize_id_number(raw)
    if not number:
        raise IdNumberError("empty", _("身份证号不能为空"))
    if len(number) not in (15, 18):
        raise IdNumberError(
            "length",
            _("长度应为 18 位（或 15 位旧号码），实际为 {n} 位").format(n=len(number)),
        )
    _check_chars(number)
    converted = len(number) == 15
    if converted:
        number = number[:6] + "19" + number[6:]
        number += check_digit(number)
    _check_area(number[:6])
    birth = _check_birth_date(number[6:14], today)
    expected = check_digit(number[:17])
    if number[17] != expected:
        raise IdNumberError(
            "checksum",
            _("校验位错误：最后一位应为 {expected}，实际为 {actual}").format(
                expected=expected, actual=number[17]
            ),
        )
    sex = Sex.MALE if int(number[16]) % 2 == 1 else Sex.FEMALE
    return IdNumberInfo(number, number[:6], birth, sex, converted)


def is_valid_id_number(raw: str, *, today: date | None = None) -> bool:
    try:
        parse_id_number(raw, today=today)
    except IdNumberError:
        return False
    return True


def mask_id_number(number: str) -> str:
    """Hide the birth date and sequence for screens and printouts (PIPL: sensitive data)."""
    number = normalize_id_number(number)
    if len(number) == 18:
        return number[:6] + "*" * 8 + number[-4:]
    if len(number) <= 5:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 5) + number[-2:]


def mask_cert_number(cert: str) -> str:
    """The 残疾人证号 (身份证号 + category and grade digits), masked like the 身份证号 in it."""
    if len(cert) < 18:
        return mask_id_number(cert)
    return mask_id_number(cert[:18]) + cert[18:]


def age_on(birth_date: date, on: date) -> int:
    """Full years (周岁); someone born on 29 February turns a year older on 1 March."""
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - before_birthday


def _check_chars(number: str) -> None:
    last_may_be_x = len(number) == 18
    bad = [
        _("第 {pos} 位“{char}”").format(pos=pos, char=char)
        for pos, char in enumerate(number, start=1)
        if not (
            (char.isascii() and char.isdigit())
            or (char == "X" and last_may_be_x and pos == len(number))
        )
    ]
    if bad:
        raise IdNumberError("chars", _("含有无效字符：{chars}").format(chars="、".join(bad)))


def _check_area(area_code: str) -> None:
    if int(area_code[:2]) not in _PROVINCE_CODES:
        raise IdNumberError(
            "area",
            _("地区码 {area} 无效：前两位 {province} 不是省级行政区代码").format(
                area=area_code, province=area_code[:2]
            ),
        )


def _check_birth_date(text: str, today: date) -> date:
    try:
        birth = date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise IdNumberError("date", _("出生日期 {d} 不是有效日期").format(d=text)) from None
    if birth > today:
        raise IdNumberError("future", _("出生日期 {d} 晚于今天").format(d=text))
    if birth < _EARLIEST_BIRTH:
        raise IdNumberError("too_old", _("出生日期 {d} 早于 1900 年").format(d=text))
    return birth
