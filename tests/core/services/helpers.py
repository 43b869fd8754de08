"""Helpers for the service tests: valid ID numbers, a PersonInput with sensible defaults,
saving a person or a visit in one call, counting rows."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import select, text

from liaison.bootstrap import Workspace
from liaison.core.enums import ContactMode, VisitKind
from liaison.core.models import AuditEvent
from liaison.core.rules.idnumber import check_digit, compose_id_number
from liaison.core.services import persons, visits
from liaison.core.services.context import Actor

# Every service call in these tests passes this (or a date derived from it) as `today`.
TODAY = date(2025, 6, 16)
COUNTY_CODE = "220202"

_sequences = itertools.count()


def id_number(birth: date, sequence: int | None = None) -> str:
    """A valid 18-digit number born in 昌邑区; a fresh sequence unless one is given."""
    # the sequence part has three digits: the counter cycles through them over a whole test run
    fresh = 11 + next(_sequences) % 980
    return compose_id_number(COUNTY_CODE, birth, fresh if sequence is None else sequence)


def id_number_ending_in_x(birth: date) -> str:
    """A valid number whose check character is X (about one number in eleven)."""
    for sequence in range(1, 1000):
        first17 = f"{COUNTY_CODE}{birth:%Y%m%d}{sequence:03d}"
        if check_digit(first17) == "X":
            return first17 + "X"
    raise AssertionError("no sequence gives X")  # pragma: no cover


def person_input(
    area_id: uuid.UUID | None,
    *,
    name: str = "王秀兰",
    birth: date = date(1962, 3, 8),
    sequence: int | None = None,
    certified: bool = True,
    **changes: Any,
) -> persons.PersonInput:
    """A valid certificate holder (肢体三级, 2020–2030 certificate, on file since 2020)."""
    data = persons.PersonInput(
        name=name,
        id_number=id_number(birth, sequence),
        area_id=area_id,
        category=4 if certified else None,
        grade=3 if certified else None,
        cert_issued_on=date(2020, 5, 1) if certified else None,
        cert_valid_until=date(2030, 5, 1) if certified else None,
        registered_on=date(2020, 5, 10),
    )
    return replace(data, **changes)


def add_person(
    ws: Workspace, actor: Actor, area_id: uuid.UUID, *, today: date = TODAY, **kwargs: Any
) -> persons.PersonSaved:
    """Create and commit a person (see `person_input` for the keyword arguments)."""
    with ws.uow() as uow:
        saved = persons.create_person(uow, actor, person_input(area_id, **kwargs), today=today)
        uow.commit()
    return saved


def add_visit(
    ws: Workspace,
    actor: Actor,
    person_id: uuid.UUID,
    visit_date: date,
    *,
    today: date = TODAY,
    kind: VisitKind = VisitKind.ROUTINE,
    mode: ContactMode = ContactMode.HOME,
    **kwargs: Any,
) -> visits.VisitSaved:
    """Record and commit a visit; a lost contact gets a reason unless one is given."""
    if mode is ContactMode.LOST:
        kwargs.setdefault("lost_reason", "外出务工，家中无人")
    data = visits.VisitInput(
        person_id=person_id,
        visit_date=visit_date,
        kind=kind,
        contact_mode=mode,
        visitor_name=kwargs.pop("visitor_name", "李专委"),
        **kwargs,
    )
    with ws.uow() as uow:
        saved = visits.record_visit(uow, actor, data, today=today)
        uow.commit()
    return saved


def count_rows(ws: Workspace, *tables: str) -> dict[str, int]:
    with ws.engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}


def audit_events(ws: Workspace, entity_id: uuid.UUID) -> list[AuditEvent]:
    with ws.uow() as uow:
        events = list(
            uow.session.scalars(
                select(AuditEvent).where(AuditEvent.entity_id == entity_id).order_by(AuditEvent.seq)
            )
        )
        uow.session.expunge_all()  # a read-only unit rolls back on exit, which would expire them
        return events
