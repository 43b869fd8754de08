"""Home-modification priority: 重度, 多重, 老残一体 and 残病一体 households first (the yearly
target is smaller than the demand, so the order must be explainable to a village)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from liaison.core.i18n import _
from liaison.core.rules.config import ModificationConfig, PriorityConfig
from liaison.core.rules.facts import PersonFacts


@dataclass(frozen=True)
class Priority:
    score: int
    reasons: tuple[str, ...]


def modification_priority(facts: PersonFacts, config: PriorityConfig, on: date) -> Priority:
    """The sum of the weights of the traits the household has, with the traits named."""
    traits = [
        (facts.is_severe, config.severe, _("重度残疾")),
        (facts.is_multiple, config.multiple, _("多重残疾")),
        (facts.age_on(on) >= config.elderly_age, config.elderly, _("老残一体")),
        (facts.chronic_illness_in_household, config.chronic_illness, _("残病一体")),
        (facts.dibao or facts.tekun, config.dibao_or_tekun, _("低保/特困")),
    ]
    present = [(weight, reason) for has, weight, reason in traits if has]
    return Priority(sum(w for w, _r in present), tuple(r for _w, r in present))


def priority_sort_key(priority: Priority, applied_on: date) -> tuple[int, date]:
    """Higher score first, then whoever applied earlier."""
    return (-priority.score, applied_on)


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reason: str  # why (or why not), for the list and the public notice


def modification_eligibility(facts: PersonFacts, config: ModificationConfig) -> Eligibility:
    """困难重度: an active certificate holder who is severely disabled or lives in a household
    with one of the configured economic flags (see [modification.eligibility])."""
    if not facts.is_active:
        return Eligibility(False, _("不在册"))
    if not facts.has_certificate:
        return Eligibility(False, _("未持残疾人证"))
    if facts.grade in config.eligible_grades:
        return Eligibility(True, _("重度残疾"))
    flags = [name for name in config.eligible_economic_flags if facts.has_flag(name)]
    if flags:
        return Eligibility(True, _("困难家庭"))
    return Eligibility(False, _("非重度且非困难家庭"))
