"""One person's file: visits, last contact, subsidies and their gaps, cadence, history."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from liaison.core.enums import ContactMode, NeedKind, PersonStatus, VisitKind
from liaison.core.errors import ScopeError
from liaison.core.rules.cadence import CadenceKind, DueState
from liaison.core.rules.config import default_rule_config, load_rule_config
from liaison.core.services import persons
from liaison.core.services.person_file import PersonFile, open_person_file
from liaison.core.services.visits import FollowUpInput, NeedInput
from tests.core.services.helpers import TODAY, add_person, add_visit

RULES = default_rule_config()


def open_file(workspace, actor, person_id, rules=RULES, today=TODAY) -> PersonFile:
    with workspace.uow() as uow:
        result = open_person_file(uow, actor, rules, person_id, today=today)
        uow.session.expunge_all()  # keep the loaded rows after the read-only unit ends
    return result


def test_visits_newest_first_and_last_contact_ignores_lost_contacts(workspace, actor, area_tree):
    pid = add_person(workspace, actor, area_tree.village, name="马桂英", grade=1).person_id
    add_visit(workspace, actor, pid, TODAY - timedelta(days=60), kind=VisitKind.ANNUAL_SURVEY)
    add_visit(workspace, actor, pid, TODAY - timedelta(days=20), mode=ContactMode.PHONE)
    add_visit(
        workspace,
        actor,
        pid,
        TODAY - timedelta(days=45),
        needs=[NeedInput(NeedKind.REHABILITATION)],
        follow_ups=[FollowUpInput("联系康复中心", TODAY + timedelta(days=3), need_index=0)],
    )
    add_visit(workspace, actor, pid, TODAY - timedelta(days=2), mode=ContactMode.LOST)

    pf = open_file(workspace, actor, pid)

    assert [v.visit_date for v in pf.visits] == [TODAY - timedelta(days=d) for d in (2, 20, 45, 60)]
    assert pf.visits[0].contact_mode is ContactMode.LOST
    assert pf.last_contact_on == TODAY - timedelta(days=20)
    # severe: monthly, counted from the last real contact
    assert pf.cadence is not None and pf.cadence.kind is CadenceKind.INTENSIVE
    assert pf.next_visit is not None
    assert (pf.next_visit.due_on, pf.next_visit.state) == (
        TODAY + timedelta(days=10),
        DueState.NOT_YET,
    )
    assert [n.kind for n in pf.needs] == [NeedKind.REHABILITATION]
    assert [f.action for f in pf.follow_ups] == ["联系康复中心"]
    assert pf.modification_cases == [] and pf.referrals == []
    assert (pf.person.name, pf.area.full_name, pf.age) == ("马桂英", "桦皮厂镇 两家子村", 63)


def test_a_person_without_contact_is_counted_from_registration(workspace, actor, area_tree):
    pid = add_person(
        workspace, actor, area_tree.village, registered_on=TODAY - timedelta(days=100)
    ).person_id
    add_visit(workspace, actor, pid, TODAY - timedelta(days=1), mode=ContactMode.LOST)
    pf = open_file(workspace, actor, pid)
    assert pf.last_contact_on is None
    assert pf.next_visit is not None
    assert (pf.next_visit.due_on, pf.next_visit.state) == (TODAY - timedelta(days=10), DueState.DUE)


@pytest.mark.parametrize(
    ("kwargs", "living", "care", "gaps"),
    [
        # 低保 and grade 1, receiving neither: eligible for both, two gaps
        ({"dibao": True, "grade": 1}, True, True, ["困难残疾人生活补贴", "重度残疾人护理补贴"]),
        # receiving both: no gaps
        (
            {
                "dibao": True,
                "grade": 1,
                "living_subsidy_receiving": True,
                "living_subsidy_fen": 8000,
                "care_subsidy_receiving": True,
                "care_subsidy_fen": 9000,
            },
            True,
            True,
            [],
        ),
        # receiving one
        (
            {"dibao": True, "grade": 2, "care_subsidy_receiving": True, "care_subsidy_fen": 9000},
            True,
            True,
            ["困难残疾人生活补贴"],
        ),
        # grade 3, not 低保: neither
        ({"grade": 3}, False, False, []),
        # grade 3 intellectual is outside the care subsidy unless the extension is enabled
        ({"grade": 3, "category": 5}, False, False, []),
    ],
)
def test_subsidy_eligibility_and_gaps(workspace, actor, area_tree, kwargs, living, care, gaps):
    pid = add_person(workspace, actor, area_tree.village, **kwargs).person_id
    pf = open_file(workspace, actor, pid)
    assert (pf.living_subsidy.eligible, pf.care_subsidy.eligible) == (living, care)
    assert len(pf.subsidy_gaps) == len(gaps)
    for gap, name in zip(pf.subsidy_gaps, gaps, strict=True):
        assert name in gap and "但未享受" in gap


def test_eligibility_follows_the_configured_rules(workspace, actor, area_tree):
    pid = add_person(workspace, actor, area_tree.village, grade=3, category=5).person_id
    extended = load_rule_config(
        overrides={
            "subsidy": {"care": {"extensions": {"grade3_intellectual_mental": {"enabled": True}}}}
        }
    )
    pf = open_file(workspace, actor, pid, rules=extended)
    assert pf.care_subsidy.eligible
    assert len(pf.subsidy_gaps) == 1 and "护理补贴扩展范围" in pf.subsidy_gaps[0]


def test_a_person_off_the_roster_is_owed_nothing(workspace, actor, area_tree):
    pid = add_person(workspace, actor, area_tree.village, dibao=True, grade=1).person_id
    with workspace.uow() as uow:
        persons.change_status(
            uow, actor, pid, PersonStatus.DECEASED, on=TODAY, reason="病故", today=TODAY
        )
        uow.commit()
    pf = open_file(workspace, actor, pid)
    assert not pf.living_subsidy.eligible and not pf.care_subsidy.eligible
    assert pf.subsidy_gaps == ()
    assert pf.cadence is None and pf.next_visit is None


def test_history_entries(workspace, actor, area_tree):
    pid = add_person(workspace, actor, area_tree.village, phone="13812345678").person_id
    with workspace.uow() as uow:
        person = persons.load_person(uow, actor, pid)
        data = persons.PersonInput.from_person(person)
        data.phone = "13900001111"
        persons.update_person(uow, actor, pid, data, expected_version=1, today=TODAY)
        persons.change_status(
            uow, actor, pid, PersonStatus.MOVED_OUT, on=TODAY, reason="迁出", today=TODAY
        )
        uow.commit()
    pf = open_file(workspace, actor, pid)
    assert [(e.action, e.username) for e in pf.history] == [
        ("create", actor.username),
        ("update", actor.username),
        ("status", actor.username),
    ]
    assert pf.history[1].changes == {"phone": ["13812345678", "13900001111"]}
    assert pf.history[2].reason == "迁出"


def test_age_is_counted_on_the_given_day(workspace, actor, area_tree):
    pid = add_person(workspace, actor, area_tree.village, birth=date(1960, 6, 17)).person_id
    assert open_file(workspace, actor, pid, today=date(2025, 6, 16)).age == 64
    assert open_file(workspace, actor, pid, today=date(2025, 6, 17)).age == 65


def test_a_file_outside_the_officers_scope_cannot_be_opened(workspace, actor, officer, area_tree):
    pid = add_person(workspace, actor, area_tree.village).person_id
    with workspace.uow() as uow, pytest.raises(ScopeError):
        open_person_file(uow, officer, RULES, pid, today=TODAY)
