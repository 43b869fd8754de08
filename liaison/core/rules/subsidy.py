"""两项补贴 eligibility. The form shows the result next to the "receiving" boxes so an officer
sees at once who qualifies but is not yet paid (the coverage indicators are 100% targets)."""

from __future__ import annotations

from dataclasses import dataclass

from liaison.core.enums import N_, DisabilityCategory, DisabilityGrade, label
from liaison.core.i18n import _
from liaison.core.rules.config import CareExtension, SubsidyConfig
from liaison.core.rules.facts import PersonFacts

_FLAG_REASONS = {
    "dibao": (N_("低保家庭成员"), N_("非低保家庭")),
    "tekun": (N_("特困供养人员"), N_("非特困供养人员")),
    "low_income": (N_("低收入家庭成员"), N_("非低收入家庭")),
    "fanpin_monitor": (N_("防返贫监测对象"), N_("非防返贫监测对象")),
}


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reasons: tuple[str, ...]  # why (not), in Chinese, for the form


def living_subsidy_eligibility(facts: PersonFacts, config: SubsidyConfig) -> Eligibility:
    """困难残疾人生活补贴: certificate, active, and any configured economic flag."""
    problems = _basic_problems(facts)
    matched = [_(_FLAG_REASONS[f][0]) for f in config.living_economic_flags if facts.has_flag(f)]
    if not matched:
        problems += [_(_FLAG_REASONS[f][1]) for f in config.living_economic_flags]
    if problems:
        return Eligibility(False, tuple(problems))
    return Eligibility(True, tuple(matched))


def care_subsidy_eligibility(facts: PersonFacts, config: SubsidyConfig) -> Eligibility:
    """重度残疾人护理补贴: certificate, active, and a covered grade (or an enabled extension)."""
    problems = _basic_problems(facts)
    reason = _care_reason(facts, config)
    if reason is None:
        if facts.grade is None:
            problems.append(_("未评定残疾等级"))
        else:
            problems.append(
                _("{grade}残疾不在护理补贴范围内").format(grade=label(DisabilityGrade(facts.grade)))
            )
    if problems:
        return Eligibility(False, tuple(problems))
    assert reason is not None
    return Eligibility(True, (reason,))


def subsidy_gaps(facts: PersonFacts, config: SubsidyConfig) -> tuple[str, ...]:
    """'Eligible but not receiving' notes for the person form."""
    gaps = []
    living = living_subsidy_eligibility(facts, config)
    if living.eligible and not facts.receiving_living_subsidy:
        gaps.append(
            _("符合困难残疾人生活补贴条件（{why}），但未享受").format(why="、".join(living.reasons))
        )
    care = care_subsidy_eligibility(facts, config)
    if care.eligible and not facts.receiving_care_subsidy:
        gaps.append(
            _("符合重度残疾人护理补贴条件（{why}），但未享受").format(why="、".join(care.reasons))
        )
    return tuple(gaps)


def _basic_problems(facts: PersonFacts) -> list[str]:
    problems = []
    if not facts.has_certificate:
        problems.append(_("未持残疾人证"))
    if not facts.is_active:
        problems.append(_("非在册状态（{status}）").format(status=label(facts.status)))
    return problems


def _care_reason(facts: PersonFacts, config: SubsidyConfig) -> str | None:
    if facts.grade is None:
        return None
    grade = label(DisabilityGrade(facts.grade))
    if facts.grade in config.care_grades:
        return _("{grade}残疾").format(grade=grade)
    for ext in config.care_extensions:
        category = _extension_category(facts, ext)
        if ext.enabled and facts.grade in ext.grades and category is not None:
            return _("{grade}{category}（护理补贴扩展范围）").format(
                grade=grade, category=label(DisabilityCategory(category))
            )
    return None


def _extension_category(facts: PersonFacts, ext: CareExtension) -> int | None:
    """The category through which an extension applies; a 多重 person qualifies through
    any of its component categories."""
    candidates = {facts.category, *facts.component_categories} - {None}
    matching = sorted(c for c in candidates if c in ext.categories)
    return matching[0] if matching else None
