"""Everything shown in one person's file (一人一档), gathered in one read."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from liaison.core.models import FollowUp, HomeModificationCase, Need, Person, RehabReferral, Visit
from liaison.core.rules.cadence import (
    CadenceRule,
    Due,
    cadence_for,
    counts_as_contact,
    next_visit_due,
)
from liaison.core.rules.config import RuleConfig
from liaison.core.rules.facts import PersonFacts
from liaison.core.rules.idnumber import age_on
from liaison.core.rules.subsidy import (
    Eligibility,
    care_subsidy_eligibility,
    living_subsidy_eligibility,
    subsidy_gaps,
)
from liaison.core.services import audit
from liaison.core.services.areas import AreaInfo, area_directory
from liaison.core.services.context import Actor
from liaison.core.services.persons import load_person, person_facts
from liaison.core.uow import UnitOfWork


@dataclass(frozen=True)
class PersonFile:
    person: Person
    area: AreaInfo
    age: int
    facts: PersonFacts
    living_subsidy: Eligibility
    care_subsidy: Eligibility
    subsidy_gaps: tuple[str, ...]
    cadence: CadenceRule | None
    next_visit: Due | None
    last_contact_on: date | None
    needs: list[Need]
    visits: list[Visit]
    follow_ups: list[FollowUp]
    modification_cases: list[HomeModificationCase]
    referrals: list[RehabReferral]
    history: list[audit.AuditEntry]


def open_person_file(
    uow: UnitOfWork,
    actor: Actor,
    rules: RuleConfig,
    person_id: uuid.UUID,
    *,
    today: date | None = None,
) -> PersonFile:
    today = today or date.today()
    session = uow.session
    person = load_person(uow, actor, person_id)
    facts = person_facts(person)
    visits = list(
        session.scalars(
            select(Visit).where(Visit.person_id == person.id)
            .order_by(Visit.visit_date.desc(), Visit.created_at.desc())
        )
    )
    last_contact = next(
        (v.visit_date for v in visits if counts_as_contact(v.contact_mode, rules.cadence)), None
    )
    needs = list(
        session.scalars(select(Need).where(Need.person_id == person.id).order_by(Need.raised_on.desc()))
    )
    follow_ups = list(
        session.scalars(
            select(FollowUp).where(FollowUp.person_id == person.id).order_by(FollowUp.due_on.desc())
        )
    )
    cases = list(
        session.scalars(
            select(HomeModificationCase).where(HomeModificationCase.person_id == person.id)
            .order_by(HomeModificationCase.applied_on.desc())
        )
    )
    referrals = list(
        session.scalars(
            select(RehabReferral).where(RehabReferral.person_id == person.id)
            .order_by(RehabReferral.referred_on.desc())
        )
    )
    return PersonFile(
        person=person,
        area=area_directory(uow)[person.area_id],
        age=age_on(person.birth_date, today),
        facts=facts,
        living_subsidy=living_subsidy_eligibility(facts, rules.subsidy),
        care_subsidy=care_subsidy_eligibility(facts, rules.subsidy),
        subsidy_gaps=subsidy_gaps(facts, rules.subsidy),
        cadence=cadence_for(facts, rules.cadence),
        next_visit=next_visit_due(last_contact, person.registered_on, facts, rules.cadence, today),
        last_contact_on=last_contact,
        needs=needs,
        visits=visits,
        follow_ups=follow_ups,
        modification_cases=cases,
        referrals=referrals,
        history=audit.history(uow, "person", person.id),
    )
