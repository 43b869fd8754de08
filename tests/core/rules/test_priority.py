from datetime import date

import pytest

from liaison.core.rules.config import default_rule_config
from liaison.core.rules.facts import PersonFacts
from liaison.core.rules.priority import Priority, modification_priority, priority_sort_key

PRIORITY = default_rule_config().priority
ON = date(2025, 6, 15)


def person(**changes) -> PersonFacts:
    values = {"birth_date": date(1980, 1, 1), "category": 4, "grade": 3, "has_certificate": True}
    return PersonFacts(**(values | changes))


@pytest.mark.parametrize(
    ("facts", "score", "reasons"),
    [
        (person(), 0, ()),
        (person(grade=1), 40, ("重度残疾",)),
        (person(category=7, component_categories=frozenset({1, 4})), 30, ("多重残疾",)),
        (person(birth_date=date(1965, 6, 15)), 20, ("老残一体",)),  # 60 today
        (person(birth_date=date(1965, 6, 16)), 0, ()),  # 60 tomorrow
        (person(chronic_illness_in_household=True), 15, ("残病一体",)),
        (person(dibao=True), 10, ("低保/特困",)),
        (person(tekun=True), 10, ("低保/特困",)),
        (person(dibao=True, tekun=True), 10, ("低保/特困",)),  # one trait, counted once
        (person(low_income=True, lives_alone=True), 0, ()),
        (person(grade=2, category=7, component_categories=frozenset({5, 6}),
                birth_date=date(1940, 1, 1), chronic_illness_in_household=True, dibao=True),
         115, ("重度残疾", "多重残疾", "老残一体", "残病一体", "低保/特困")),
    ],
)  # fmt: skip
def test_modification_priority(facts: PersonFacts, score: int, reasons: tuple[str, ...]) -> None:
    assert modification_priority(facts, PRIORITY, ON) == Priority(score, reasons)


def test_households_are_ordered_by_score_then_application_date() -> None:
    households = [
        ("elderly dibao, early", person(birth_date=date(1950, 1, 1), dibao=True), date(2025, 1, 5)),
        ("severe, late", person(grade=1), date(2025, 3, 1)),
        ("nothing", person(), date(2024, 12, 1)),
        ("severe, early", person(grade=2), date(2025, 2, 1)),
        ("multiple", person(category=7, component_categories=frozenset({2, 3})), date(2025, 1, 1)),
        ("severe elderly", person(grade=1, birth_date=date(1950, 1, 1)), date(2025, 4, 1)),
        ("ill household", person(chronic_illness_in_household=True), date(2025, 1, 1)),
    ]
    ordered = sorted(
        households,
        key=lambda h: priority_sort_key(modification_priority(h[1], PRIORITY, ON), h[2]),
    )
    assert [name for name, _facts, _applied in ordered] == [
        "severe elderly",  # 60
        "severe, early",  # 40
        "severe, late",  # 40
        "multiple",  # 30
        "elderly dibao, early",  # 30, applied later than "multiple"
        "ill household",  # 15
        "nothing",  # 0, despite applying first
    ]
