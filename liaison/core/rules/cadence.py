"""Visit cadence as CHT-style tasks: each task has a due date, shows as upcoming `lead_days`
before it and turns overdue `grace_days` after it.

Who is owed visits is decided in one place, `cadence_for`: only people on the active roster
(status ACTIVE). Moved-out, deceased and cancelled people get no visit tasks, so
`next_visit_due` returns None for them. The annual survey and first contact functions do not
see the person; callers ask them only for active certificate holders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from liaison.core.enums import N_, ContactMode
from liaison.core.i18n import _
from liaison.core.rules.config import CadenceConfig, VisitInterval
from liaison.core.rules.facts import PersonFacts

_TRIGGER_LABELS = {
    "severe": N_("重度残疾"),
    "lives_alone": N_("独居"),
    "dibao": N_("低保家庭"),
    "tekun": N_("特困供养"),
    "low_income": N_("低收入家庭"),
    "fanpin_monitor": N_("防返贫监测户"),
}


class DueState(StrEnum):
    NOT_YET = "not_yet"
    UPCOMING = "upcoming"
    DUE = "due"
    OVERDUE = "overdue"


class CadenceKind(StrEnum):
    INTENSIVE = "intensive"
    REGULAR = "regular"


@dataclass(frozen=True)
class Due:
    due_on: date
    shows_from: date  # first day the task is listed (upcoming)
    overdue_after: date  # last day of grace; overdue from the next day
    state: DueState
    days_overdue: int  # days since due_on while OVERDUE, else 0


@dataclass(frozen=True)
class CadenceRule:
    kind: CadenceKind
    interval: VisitInterval
    reason: str  # e.g. "重度残疾，每月走访"


def classify(due_on: date, lead_days: int, grace_days: int, today: date) -> Due:
    """Place `today` relative to a due date: not yet < upcoming < due (incl. grace) < overdue."""
    shows_from = due_on - timedelta(days=lead_days)
    overdue_after = due_on + timedelta(days=grace_days)
    if today < shows_from:
        state = DueState.NOT_YET
    elif today < due_on:
        state = DueState.UPCOMING
    elif today <= overdue_after:
        state = DueState.DUE
    else:
        state = DueState.OVERDUE
    days_overdue = (today - due_on).days if state == DueState.OVERDUE else 0
    return Due(due_on, shows_from, overdue_after, state, days_overdue)


def cadence_for(facts: PersonFacts, config: CadenceConfig) -> CadenceRule | None:
    """Which visit rhythm applies and why; None when the person is owed no visits."""
    if not facts.is_active:
        return None
    triggers = [t for t in config.intensive_triggers if _has_trigger(facts, t)]
    if triggers:
        who = "、".join(_(_TRIGGER_LABELS[t]) for t in triggers)
        return CadenceRule(CadenceKind.INTENSIVE, config.intensive, _reason(who, config.intensive))
    return CadenceRule(CadenceKind.REGULAR, config.regular, _reason(_("常规对象"), config.regular))


def next_visit_due(
    last_contact_on: date | None,
    registered_on: date,
    facts: PersonFacts,
    config: CadenceConfig,
    today: date,
    rule: CadenceRule | None = None,
) -> Due | None:
    """The next routine visit, counted from the last contact (or registration if none).
    `rule` is `cadence_for(facts, config)` when the caller has it already."""
    rule = rule or cadence_for(facts, config)
    if rule is None:
        return None
    iv = rule.interval
    return classify(visit_due_on(last_contact_on, registered_on, rule), iv.lead_days, iv.grace_days, today)


def visit_due_on(last_contact_on: date | None, registered_on: date, rule: CadenceRule) -> date:
    """When the next routine visit is due: one interval after the last contact (or registration)."""
    return (last_contact_on or registered_on) + timedelta(days=rule.interval.interval_days)


def annual_survey_due(
    last_survey_on: date | None, today: date, config: CadenceConfig
) -> Due | None:
    """This year's 基本状况调查: listed from the period's opening, due on its deadline and
    overdue after it until the year ends. None when already done this calendar year or
    before the period opens."""
    if last_survey_on is not None and last_survey_on.year == today.year:
        return None
    period = config.annual_survey
    opens, deadline = period.opens_on(today.year), period.deadline_on(today.year)
    if today < opens:
        return None
    return classify(deadline, (deadline - opens).days, 0, today)


def first_contact_due(
    cert_issued_on: date,
    first_contact_after_issue_on: date | None,
    today: date,
    config: CadenceConfig,
) -> Due | None:
    """新办证对象快速介入: listed from the issue date, due `first_contact_days` later, no grace.
    None once a contact after the issue date is recorded."""
    if first_contact_after_issue_on is not None:
        return None
    days = config.first_contact_days
    return classify(cert_issued_on + timedelta(days=days), days, 0, today)


def counts_as_contact(mode: ContactMode, config: CadenceConfig) -> bool:
    """Whether a visit record resets the visit clock (失访 never does)."""
    return mode in config.contact_modes


def _has_trigger(facts: PersonFacts, trigger: str) -> bool:
    if trigger == "severe":
        return facts.is_severe
    if trigger == "lives_alone":
        return facts.lives_alone
    return facts.has_flag(trigger)


def _reason(who: str, interval: VisitInterval) -> str:
    rhythm = {30: _("每月"), 90: _("每季度")}.get(interval.interval_days)
    if rhythm is None:
        rhythm = _("每 {n} 天").format(n=interval.interval_days)
    return _("{who}，{rhythm}走访").format(who=who, rhythm=rhythm)
