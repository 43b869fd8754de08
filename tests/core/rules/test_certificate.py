import pytest

from liaison.core.enums import DisabilityCategory, DisabilityGrade
from liaison.core.rules.certificate import (
    CertificateNumberError,
    certificate_number,
    check_certificate_number,
    is_severe,
)

ID = "22020219800101123X"


@pytest.mark.parametrize(
    ("id_number", "category", "grade", "expected"),
    [
        (ID, 4, 1, "22020219800101123X41"),
        ("22020219800101123x", DisabilityCategory.MULTIPLE, DisabilityGrade.FOUR,
         "22020219800101123X74"),
        ("２２０２０２１９８００１０１１２３ｘ", 1, 2, "22020219800101123X12"),
    ],
)  # fmt: skip
def test_certificate_number(id_number: str, category: int, grade: int, expected: str) -> None:
    assert certificate_number(id_number, category, grade) == expected


@pytest.mark.parametrize(
    ("id_number", "category", "grade", "message"),
    [
        ("110105491231002", 4, 1, "生成残疾人证号需要 18 位身份证号，实际为 15 位"),
        (ID, 8, 1, "残疾类别应为 1–7，实际为 8"),
        (ID, 0, 1, "残疾类别应为 1–7，实际为 0"),
        (ID, 4, 5, "残疾等级应为 1–4，实际为 5"),
    ],
)
def test_certificate_number_refused(id_number: str, category: int, grade: int, message: str):
    with pytest.raises(CertificateNumberError) as err:
        certificate_number(id_number, category, grade)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("cert", "expected"),
    [
        ("22020219800101123X11", "22020219800101123X11"),
        ("22020219800101123x11", "22020219800101123X11"),
        (" 220202 19800101 123X 11 ", "22020219800101123X11"),
        ("２２０２０２１９８００１０１１２３ｘ１１", "22020219800101123X11"),
    ],
)
def test_check_consistent(cert: str, expected: str) -> None:
    assert check_certificate_number(cert, id_number=ID, category=1, grade=1) == expected


@pytest.mark.parametrize(
    ("cert", "category", "grade", "message"),
    [
        ("22020219800101123X1", 1, 1,
         "残疾人证号应为 20 位（身份证号 18 位 + 类别 1 位 + 等级 1 位），实际为 19 位"),
        ("22020219800101123X111", 1, 1,
         "残疾人证号应为 20 位（身份证号 18 位 + 类别 1 位 + 等级 1 位），实际为 21 位"),
        ("22020219800101124811", 1, 1, "证号前 18 位与身份证号不一致"),
        ("22020219800101123X41", 1, 1,
         "证号第 19 位为 4（肢体残疾），与登记的残疾类别 视力残疾 不一致"),
        ("22020219800101123X81", 1, 1, "证号第 19 位“8”不是有效的残疾类别代码"),
        ("22020219800101123XA1", 1, 1, "证号第 19 位“A”不是有效的残疾类别代码"),
        ("22020219800101123X13", 1, 1, "证号第 20 位为 3（三级），与登记的残疾等级 一级 不一致"),
        ("22020219800101123X10", 1, 1, "证号第 20 位“0”不是有效的残疾等级代码"),
        # every inconsistency is named, in position order
        ("22020219800101124873", 1, 1,
         "证号前 18 位与身份证号不一致；"
         "证号第 19 位为 7（多重残疾），与登记的残疾类别 视力残疾 不一致；"
         "证号第 20 位为 3（三级），与登记的残疾等级 一级 不一致"),
        # an impossible registered value is shown as is
        ("22020219800101123X11", 9, 1, "证号第 19 位为 1（视力残疾），与登记的残疾类别 9 不一致"),
    ],
)  # fmt: skip
def test_check_inconsistent(cert: str, category: int, grade: int, message: str) -> None:
    with pytest.raises(CertificateNumberError) as err:
        check_certificate_number(cert, id_number=ID, category=category, grade=grade)
    assert err.value.message == message
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize(
    ("grade", "severe"), [(1, True), (2, True), (3, False), (4, False), (None, False)]
)
def test_is_severe(grade: int | None, severe: bool) -> None:
    assert is_severe(grade) is severe
