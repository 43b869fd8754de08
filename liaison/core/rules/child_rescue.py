"""残疾儿童康复救助 (children 0–6): which referrals it pays for and the yearly cap per child and
kind, checked before a referral is saved so an officer is not surprised by a refused bill."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from liaison.core.enums import N_, ReferralServiceKind
from liaison.core.i18n import _
from liaison.core.rules.config import ChildRescueConfig
from liaison.core.rules.idnumber import age_on
from liaison.core.rules.money import format_yuan

_KIND_OF_SERVICE = {
    ReferralServiceKind.REHAB_TRAINING: "training",
    ReferralServiceKind.HOME_REHAB: "training",
    ReferralServiceKind.COMMUNITY_REHAB: "training",
    ReferralServiceKind.SURGERY: "surgery",
    ReferralServiceKind.DEVICE_FITTING: "device",
}
_KIND_LABELS = {"training": N_("康复训练"), "surgery": N_("手术"), "device": N_("辅助器具")}


@dataclass(frozen=True)
class CapCheck:
    allowed: bool
    cap_fen: int
    remaining_fen: int  # left before this request
    over_by_fen: int
    message: str


def rescue_kind(service_kind: ReferralServiceKind) -> str | None:
    """The cap a referral counts against; None for services the rescue fund does not pay."""
    return _KIND_OF_SERVICE.get(service_kind)


def is_rescue_age(birth_date: date, on: date, config: ChildRescueConfig) -> bool:
    return birth_date <= on and age_on(birth_date, on) <= config.age_max


def check_rescue_cap(
    kind: str, spent_this_year_fen: int, requested_fen: int, config: ChildRescueConfig
) -> CapCheck:
    """Whether `requested_fen` still fits under this year's cap for the child and kind."""
    if spent_this_year_fen < 0 or requested_fen < 0:
        raise ValueError("amounts must not be negative")
    cap = config.cap_fen(kind)
    remaining = max(0, cap - spent_this_year_fen)
    over_by = max(0, spent_this_year_fen + requested_fen - cap)
    values = {
        "kind": _(_KIND_LABELS[kind]),
        "cap": format_yuan(cap),
        "spent": format_yuan(spent_this_year_fen),
        "requested": format_yuan(requested_fen),
    }
    if over_by:
        message = _(
            "{kind}年度救助上限 {cap} 元，本年已使用 {spent} 元，本次 {requested} 元超出 {over} 元"
        ).format(over=format_yuan(over_by), **values)
    else:
        message = _(
            "{kind}年度救助上限 {cap} 元，本年已使用 {spent} 元，"
            "本次 {requested} 元后剩余 {left} 元"
        ).format(left=format_yuan(remaining - requested_fen), **values)
    return CapCheck(over_by == 0, cap, remaining, over_by, message)
