from dataclasses import replace
from datetime import date

import pytest

from liaison.core.enums import PersonStatus
from liaison.core.rules.config import default_rule_config, load_rule_config
from liaison.core.rules.facts import PersonFacts
from liaison.core.rules.subsidy import (
    care_subsidy_eligibility,
    living_subsidy_eligibility,
    subsidy_gaps,
)

SUBSIDY = default_rule_config().subsidy
EXTENDED = load_rule_config(
    overrides={
        "subsidy": {"care": {"extensions": {"grade3_intellectual_mental": {"enabled": True}}}}
    }
).subsidy
WIDER_LIVING = load_rule_config(
    overrides={"subsidy": {"living": {"economic_flags": ["dibao", "tekun"]}}}
).subsidy

BASE = PersonFacts(
    birth_date=date(1970, 5, 1), category=4, grade=3, has_certificate=True,
    cert_issued_on=date(2020, 1, 1),
)  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "config", "eligible", "reasons"),
    [
        ({"dibao": True}, SUBSIDY, True, ("低保家庭成员",)),
        ({}, SUBSIDY, False, ("非低保家庭",)),
        ({"tekun": True}, SUBSIDY, False, ("非低保家庭",)),  # not a configured flag
        ({"tekun": True}, WIDER_LIVING, True, ("特困供养人员",)),
        ({"dibao": True, "tekun": True}, WIDER_LIVING, True, ("低保家庭成员", "特困供养人员")),
        ({}, WIDER_LIVING, False, ("非低保家庭", "非特困供养人员")),
        ({"dibao": True, "has_certificate": False}, SUBSIDY, False, ("未持残疾人证",)),
        ({"dibao": True, "status": PersonStatus.DECEASED}, SUBSIDY, False, ("非在册状态（死亡）",)),
        ({"dibao": True, "status": PersonStatus.MOVED_OUT}, SUBSIDY, False,
         ("非在册状态（迁出）",)),
        ({"has_certificate": False, "status": PersonStatus.CERT_CANCELLED}, SUBSIDY, False,
         ("未持残疾人证", "非在册状态（注销残疾人证）", "非低保家庭")),
    ],
)  # fmt: skip
def test_living_subsidy(changes, config, eligible, reasons) -> None:
    result = living_subsidy_eligibility(replace(BASE, **changes), config)
    assert (result.eligible, result.reasons) == (eligible, reasons)


@pytest.mark.parametrize(
    ("changes", "config", "eligible", "reasons"),
    [
        ({"grade": 1}, SUBSIDY, True, ("一级残疾",)),
        ({"grade": 2}, SUBSIDY, True, ("二级残疾",)),
        ({"grade": 3}, SUBSIDY, False, ("三级残疾不在护理补贴范围内",)),
        ({"grade": 4}, SUBSIDY, False, ("四级残疾不在护理补贴范围内",)),
        ({"grade": None}, SUBSIDY, False, ("未评定残疾等级",)),
        # the provincial extension: grade 3 intellectual/mental, off by default
        ({"grade": 3, "category": 5}, SUBSIDY, False, ("三级残疾不在护理补贴范围内",)),
        ({"grade": 3, "category": 5}, EXTENDED, True, ("三级智力残疾（护理补贴扩展范围）",)),
        ({"grade": 3, "category": 6}, EXTENDED, True, ("三级精神残疾（护理补贴扩展范围）",)),
        ({"grade": 3, "category": 4}, EXTENDED, False, ("三级残疾不在护理补贴范围内",)),
        ({"grade": 4, "category": 6}, EXTENDED, False, ("四级残疾不在护理补贴范围内",)),
        ({"grade": 3, "category": 7, "component_categories": frozenset({4, 6})}, EXTENDED, True,
         ("三级精神残疾（护理补贴扩展范围）",)),
        ({"grade": 3, "category": 7, "component_categories": frozenset({1, 4})}, EXTENDED, False,
         ("三级残疾不在护理补贴范围内",)),
        ({"grade": 1, "has_certificate": False}, SUBSIDY, False, ("未持残疾人证",)),
        ({"grade": 1, "status": PersonStatus.DECEASED}, SUBSIDY, False, ("非在册状态（死亡）",)),
        ({"grade": 4, "status": PersonStatus.DECEASED}, SUBSIDY, False,
         ("非在册状态（死亡）", "四级残疾不在护理补贴范围内")),
    ],
)  # fmt: skip
def test_care_subsidy(changes, config, eligible, reasons) -> None:
    result = care_subsidy_eligibility(replace(BASE, **changes), config)
    assert (result.eligible, result.reasons) == (eligible, reasons)


@pytest.mark.parametrize(
    ("changes", "gaps"),
    [
        ({"dibao": True, "grade": 1}, (
            "符合困难残疾人生活补贴条件（低保家庭成员），但未享受",
            "符合重度残疾人护理补贴条件（一级残疾），但未享受",
        )),
        ({"dibao": True, "grade": 1, "receiving_living_subsidy": True},
         ("符合重度残疾人护理补贴条件（一级残疾），但未享受",)),
        ({"dibao": True, "grade": 1, "receiving_living_subsidy": True,
          "receiving_care_subsidy": True}, ()),
        ({"dibao": True, "grade": 4}, ("符合困难残疾人生活补贴条件（低保家庭成员），但未享受",)),
        ({"grade": 4}, ()),
        ({"dibao": True, "grade": 1, "status": PersonStatus.DECEASED}, ()),
    ],
)  # fmt: skip
def test_subsidy_gaps(changes: dict, gaps: tuple[str, ...]) -> None:
    assert subsidy_gaps(replace(BASE, **changes), SUBSIDY) == gaps
