from dataclasses import replace
from datetime import date

import pytest

from liaison.core.enums import ContactMode, PersonStatus
from liaison.core.rules.cadence import (
    CadenceKind,
    Due,
    DueState,
    annual_survey_due,
    cadence_for,
    classify,
    counts_as_contact,
    first_contact_due,
    next_visit_due,
)
from liaison.core.rules.config import default_rule_config, load_rule_config
from liaison.core.rules.facts import PersonFacts

CADENCE = default_rule_config().cadence
D = date

PERSON = PersonFacts(birth_date=D(1970, 5, 1), category=4, grade=3, has_certificate=True)
SEVERE = replace(PERSON, grade=1)


@pytest.mark.parametrize(
    ("today", "state", "days_overdue"),
    [
        (D(2025, 1, 23), DueState.NOT_YET, 0),
        (D(2025, 1, 24), DueState.UPCOMING, 0),  # first lead day
        (D(2025, 1, 30), DueState.UPCOMING, 0),
        (D(2025, 1, 31), DueState.DUE, 0),  # due day
        (D(2025, 2, 7), DueState.DUE, 0),  # last grace day
        (D(2025, 2, 8), DueState.OVERDUE, 8),  # first overdue day, counted from due
        (D(2025, 3, 31), DueState.OVERDUE, 59),
    ],
)
def test_classify_boundaries(today: date, state: DueState, days_overdue: int) -> None:
    due = classify(D(2025, 1, 31), 7, 7, today)
    assert due == Due(D(2025, 1, 31), D(2025, 1, 24), D(2025, 2, 7), state, days_overdue)


@pytest.mark.parametrize(
    ("today", "state"),
    [(D(2025, 1, 30), DueState.NOT_YET), (D(2025, 1, 31), DueState.DUE),
     (D(2025, 2, 1), DueState.OVERDUE)],
)  # fmt: skip
def test_classify_without_lead_or_grace(today: date, state: DueState) -> None:
    assert classify(D(2025, 1, 31), 0, 0, today).state == state


@pytest.mark.parametrize(
    ("changes", "kind", "reason"),
    [
        ({"grade": 1}, CadenceKind.INTENSIVE, "重度残疾，每月走访"),
        ({"grade": 2}, CadenceKind.INTENSIVE, "重度残疾，每月走访"),
        ({"lives_alone": True}, CadenceKind.INTENSIVE, "独居，每月走访"),
        ({"dibao": True}, CadenceKind.INTENSIVE, "低保家庭，每月走访"),
        ({"grade": 1, "lives_alone": True, "dibao": True}, CadenceKind.INTENSIVE,
         "重度残疾、独居、低保家庭，每月走访"),
        ({}, CadenceKind.REGULAR, "常规对象，每季度走访"),
        ({"grade": None}, CadenceKind.REGULAR, "常规对象，每季度走访"),
        ({"tekun": True}, CadenceKind.REGULAR, "常规对象，每季度走访"),  # not a default trigger
    ],
)  # fmt: skip
def test_cadence_for(changes: dict, kind: CadenceKind, reason: str) -> None:
    rule = cadence_for(replace(PERSON, **changes), CADENCE)
    assert rule is not None
    assert (rule.kind, rule.reason) == (kind, reason)
    expected = CADENCE.intensive if kind == CadenceKind.INTENSIVE else CADENCE.regular
    assert rule.interval == expected


@pytest.mark.parametrize(
    ("overrides", "changes", "kind", "reason"),
    [
        ({"triggers": ["tekun"]}, {"tekun": True}, CadenceKind.INTENSIVE, "特困供养，每月走访"),
        ({"triggers": []}, {"grade": 1}, CadenceKind.REGULAR, "常规对象，每季度走访"),
        ({"interval_days": 20}, {"grade": 1}, CadenceKind.INTENSIVE, "重度残疾，每 20 天走访"),
    ],
)
def test_cadence_for_configured(overrides, changes, kind, reason) -> None:
    config = load_rule_config(overrides={"cadence": {"intensive": overrides}}).cadence
    rule = cadence_for(replace(PERSON, **changes), config)
    assert rule is not None and (rule.kind, rule.reason) == (kind, reason)


@pytest.mark.parametrize(
    "status", [PersonStatus.MOVED_OUT, PersonStatus.DECEASED, PersonStatus.CERT_CANCELLED]
)
def test_inactive_people_get_no_visit_tasks(status: PersonStatus) -> None:
    person = replace(SEVERE, status=status)
    assert cadence_for(person, CADENCE) is None
    assert next_visit_due(None, D(2020, 1, 1), person, CADENCE, D(2025, 6, 1)) is None


@pytest.mark.parametrize(
    ("person", "last", "today", "due_on", "state", "days_overdue"),
    [
        # intensive: every 30 days, lead 7, grace 7
        (SEVERE, D(2025, 1, 1), D(2025, 1, 23), D(2025, 1, 31), DueState.NOT_YET, 0),
        (SEVERE, D(2025, 1, 1), D(2025, 1, 24), D(2025, 1, 31), DueState.UPCOMING, 0),
        (SEVERE, D(2025, 1, 1), D(2025, 1, 31), D(2025, 1, 31), DueState.DUE, 0),
        (SEVERE, D(2025, 1, 1), D(2025, 2, 7), D(2025, 1, 31), DueState.DUE, 0),
        (SEVERE, D(2025, 1, 1), D(2025, 2, 8), D(2025, 1, 31), DueState.OVERDUE, 8),
        # regular: every 90 days, lead 14, grace 15
        (PERSON, D(2025, 1, 1), D(2025, 3, 17), D(2025, 4, 1), DueState.NOT_YET, 0),
        (PERSON, D(2025, 1, 1), D(2025, 3, 18), D(2025, 4, 1), DueState.UPCOMING, 0),
        (PERSON, D(2025, 1, 1), D(2025, 4, 1), D(2025, 4, 1), DueState.DUE, 0),
        (PERSON, D(2025, 1, 1), D(2025, 4, 16), D(2025, 4, 1), DueState.DUE, 0),
        (PERSON, D(2025, 1, 1), D(2025, 4, 17), D(2025, 4, 1), DueState.OVERDUE, 16),
        # never contacted: counted from registration (2024-12-01)
        (SEVERE, None, D(2024, 12, 20), D(2024, 12, 31), DueState.NOT_YET, 0),
        (SEVERE, None, D(2025, 1, 8), D(2024, 12, 31), DueState.OVERDUE, 8),
        (PERSON, None, D(2025, 3, 1), D(2025, 3, 1), DueState.DUE, 0),
    ],
)  # fmt: skip
def test_next_visit_due(person, last, today, due_on, state, days_overdue) -> None:
    due = next_visit_due(last, D(2024, 12, 1), person, CADENCE, today)
    assert due is not None
    assert (due.due_on, due.state, due.days_overdue) == (due_on, state, days_overdue)


@pytest.mark.parametrize(
    ("last_survey", "today", "state"),
    [
        (None, D(2025, 2, 28), None),  # before the period
        (None, D(2025, 3, 1), DueState.UPCOMING),  # first day of the period
        (None, D(2025, 10, 30), DueState.UPCOMING),
        (None, D(2025, 10, 31), DueState.DUE),  # deadline
        (None, D(2025, 11, 1), DueState.OVERDUE),  # missed: overdue until the year ends
        (None, D(2025, 12, 31), DueState.OVERDUE),
        (D(2024, 9, 1), D(2025, 6, 1), DueState.UPCOMING),  # last year's does not count
        (D(2025, 4, 1), D(2025, 6, 1), None),  # done this year
        (D(2025, 1, 15), D(2025, 6, 1), None),  # done this year before the period opened
        (D(2025, 10, 31), D(2025, 10, 31), None),
    ],
)
def test_annual_survey_due(last_survey: date | None, today: date, state: DueState | None) -> None:
    due = annual_survey_due(last_survey, today, CADENCE)
    if state is None:
        assert due is None
        return
    assert due is not None
    assert (due.due_on, due.shows_from, due.overdue_after) == (
        D(2025, 10, 31), D(2025, 3, 1), D(2025, 10, 31)
    )  # fmt: skip
    assert due.state == state


@pytest.mark.parametrize(
    ("contacted", "today", "state", "days_overdue"),
    [
        (None, D(2025, 5, 31), DueState.NOT_YET, 0),  # certificate not issued yet
        (None, D(2025, 6, 1), DueState.UPCOMING, 0),  # issue day
        (None, D(2025, 6, 15), DueState.UPCOMING, 0),
        (None, D(2025, 6, 16), DueState.DUE, 0),  # 15 days after issue
        (None, D(2025, 6, 17), DueState.OVERDUE, 1),
        (D(2025, 6, 3), D(2025, 6, 20), None, 0),
    ],
)
def test_first_contact_due(contacted, today, state, days_overdue) -> None:
    due = first_contact_due(D(2025, 6, 1), contacted, today, CADENCE)
    if state is None:
        assert due is None
        return
    assert due is not None
    assert (due.due_on, due.shows_from) == (D(2025, 6, 16), D(2025, 6, 1))
    assert (due.state, due.days_overdue) == (state, days_overdue)


@pytest.mark.parametrize(
    ("mode", "counts"),
    [(ContactMode.HOME, True), (ContactMode.IN_PERSON, True), (ContactMode.PHONE, True),
     (ContactMode.LOST, False)],
)  # fmt: skip
def test_counts_as_contact(mode: ContactMode, counts: bool) -> None:
    assert counts_as_contact(mode, CADENCE) is counts


def test_phone_can_be_excluded() -> None:
    config = load_rule_config(overrides={"cadence": {"contact_modes": ["home", "in_person"]}})
    assert not counts_as_contact(ContactMode.PHONE, config.cadence)
    assert counts_as_contact(ContactMode.HOME, config.cadence)
