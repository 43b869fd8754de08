from datetime import date

import pytest

from liaison.core.enums import ReferralServiceKind
from liaison.core.rules.child_rescue import check_rescue_cap, is_rescue_age, rescue_kind
from liaison.core.rules.config import default_rule_config

RESCUE = default_rule_config().child_rescue


@pytest.mark.parametrize(
    ("service", "kind"),
    [
        (ReferralServiceKind.REHAB_TRAINING, "training"),
        (ReferralServiceKind.HOME_REHAB, "training"),
        (ReferralServiceKind.COMMUNITY_REHAB, "training"),
        (ReferralServiceKind.SURGERY, "surgery"),
        (ReferralServiceKind.DEVICE_FITTING, "device"),
        (ReferralServiceKind.PSYCHIATRIC_MEDICATION, None),
    ],
)
def test_rescue_kind(service: ReferralServiceKind, kind: str | None) -> None:
    assert rescue_kind(service) == kind


@pytest.mark.parametrize(
    ("on", "eligible"),
    [
        (date(2019, 3, 10), True),  # birth day
        (date(2025, 3, 10), True),  # 6th birthday
        (date(2026, 3, 9), True),  # last day aged 6
        (date(2026, 3, 10), False),  # 7th birthday
        (date(2019, 3, 9), False),  # not born yet
    ],
)
def test_is_rescue_age(on: date, eligible: bool) -> None:
    assert is_rescue_age(date(2019, 3, 10), on, RESCUE) is eligible


@pytest.mark.parametrize(
    ("kind", "spent", "requested", "allowed", "remaining", "over_by", "message"),
    [
        ("training", 0, 2_400_000, True, 2_400_000, 0,
         "康复训练年度救助上限 24,000.00 元，本年已使用 0.00 元，本次 24,000.00 元后剩余 0.00 元"),
        ("training", 0, 2_400_001, False, 2_400_000, 1,
         "康复训练年度救助上限 24,000.00 元，本年已使用 0.00 元，本次 24,000.01 元超出 0.01 元"),
        ("training", 2_000_000, 500_000, False, 400_000, 100_000,
         "康复训练年度救助上限 24,000.00 元，本年已使用 20,000.00 元，"
         "本次 5,000.00 元超出 1,000.00 元"),
        ("training", 2_000_000, 400_000, True, 400_000, 0,
         "康复训练年度救助上限 24,000.00 元，本年已使用 20,000.00 元，"
         "本次 4,000.00 元后剩余 0.00 元"),
        ("surgery", 1_000_000, 1_550_000, True, 1_550_000, 0,
         "手术年度救助上限 25,500.00 元，本年已使用 10,000.00 元，本次 15,500.00 元后剩余 0.00 元"),
        ("surgery", 1_000_000, 1_550_001, False, 1_550_000, 1, None),
        ("device", 6_000_000, 100_000, True, 250_000, 0,
         "辅助器具年度救助上限 62,500.00 元，本年已使用 60,000.00 元，"
         "本次 1,000.00 元后剩余 1,500.00 元"),
        ("device", 6_250_000, 1, False, 0, 1, None),
        ("device", 6_300_000, 0, False, 0, 50_000, None),  # already over (bad earlier data)
    ],
)  # fmt: skip
def test_check_rescue_cap(kind, spent, requested, allowed, remaining, over_by, message) -> None:
    check = check_rescue_cap(kind, spent, requested, RESCUE)
    assert (check.allowed, check.remaining_fen, check.over_by_fen) == (allowed, remaining, over_by)
    assert check.cap_fen == RESCUE.cap_fen(kind)
    if message is not None:
        assert check.message == message


@pytest.mark.parametrize(
    ("kind", "spent", "requested"), [("massage", 0, 1), ("training", -1, 1), ("training", 0, -1)]
)
def test_check_rescue_cap_refuses_nonsense(kind: str, spent: int, requested: int) -> None:
    with pytest.raises(ValueError):
        check_rescue_cap(kind, spent, requested, RESCUE)
