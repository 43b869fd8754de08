"""残疾人证号: the 18-character ID number followed by the category digit (1–7) and the grade
digit (1–4). Checking it against the registered ID, category and grade catches typing errors
and stale certificates after a re-assessment."""

from __future__ import annotations

from liaison.core.enums import DisabilityCategory, DisabilityGrade, label
from liaison.core.errors import LiaisonError
from liaison.core.i18n import _
from liaison.core.rules.idnumber import normalize_id_number

CERTIFICATE_LENGTH = 20


class CertificateNumberError(LiaisonError, ValueError):
    """A 证号 that cannot be built or does not match the person's record."""


def certificate_number(id_number: str, category: int, grade: int) -> str:
    """Build the 证号 for a person; the ID must already be a (normalised) 18-character number."""
    number = normalize_id_number(id_number)
    if len(number) != 18:
        raise CertificateNumberError(
            _("生成残疾人证号需要 18 位身份证号，实际为 {n} 位").format(n=len(number))
        )
    if category not in DisabilityCategory._value2member_map_:
        raise CertificateNumberError(_("残疾类别应为 1–7，实际为 {v}").format(v=category))
    if grade not in DisabilityGrade._value2member_map_:
        raise CertificateNumberError(_("残疾等级应为 1–4，实际为 {v}").format(v=grade))
    return f"{number}{int(category)}{int(grade)}"


def check_certificate_number(cert: str, *, id_number: str, category: int, grade: int) -> str:
    """Return the normalised 证号, or raise naming every position that disagrees."""
    number = normalize_id_number(cert)
    if len(number) != CERTIFICATE_LENGTH:
        raise CertificateNumberError(
            _(
                "残疾人证号应为 20 位（身份证号 18 位 + 类别 1 位 + 等级 1 位），实际为 {n} 位"
            ).format(n=len(number))
        )
    problems: list[str] = []
    if number[:18] != normalize_id_number(id_number):
        problems.append(_("证号前 18 位与身份证号不一致"))
    problems += _check_digit_at(number[18], 19, DisabilityCategory, category, _("残疾类别"))
    problems += _check_digit_at(number[19], 20, DisabilityGrade, grade, _("残疾等级"))
    if problems:
        raise CertificateNumberError("；".join(problems))
    return number


def is_severe(grade: int | None) -> bool:
    """一级 and 二级 are 重度, the threshold of the care subsidy and of visit frequency."""
    return grade in (DisabilityGrade.ONE, DisabilityGrade.TWO)


def _check_digit_at(
    char: str,
    position: int,
    enum_cls: type[DisabilityCategory] | type[DisabilityGrade],
    registered: int,
    what: str,
) -> list[str]:
    if not (char.isascii() and char.isdigit()) or int(char) not in enum_cls._value2member_map_:
        return [
            _("证号第 {pos} 位“{char}”不是有效的{what}代码").format(
                pos=position, char=char, what=what
            )
        ]
    if int(char) != registered:
        return [
            _("证号第 {pos} 位为 {digit}（{found}），与登记的{what} {registered} 不一致").format(
                pos=position,
                digit=char,
                found=label(enum_cls(int(char))),
                what=what,
                registered=_label_or_value(enum_cls, registered),
            )
        ]
    return []


def _label_or_value(enum_cls: type[DisabilityCategory] | type[DisabilityGrade], value: int) -> str:
    try:
        return label(enum_cls(value))
    except ValueError:
        return str(value)
