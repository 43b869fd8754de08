"""Revealing a full 身份证号: checked against the actor's areas, recorded once with its
purpose (never the number itself), refused and unrecorded otherwise."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from liaison.core.errors import ScopeError, ValidationError
from liaison.core.models import AuditEvent
from liaison.core.services import audit, persons
from tests.core.services.helpers import add_person, count_rows


def _reveals(ws) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with ws.uow() as uow:
        return list(uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "reveal")))


def test_a_reveal_returns_the_number_and_writes_exactly_one_event(workspace, actor, area_tree):
    pid = add_person(workspace, actor, area_tree.village).person_id
    before = count_rows(workspace, "audit_event")["audit_event"]
    with workspace.uow() as uow:
        stored = persons.load_person(uow, actor, pid).id_number
        number = persons.reveal_id_number(uow, actor, pid, purpose="  核对身份证件 ", shown_in="档案窗口")
        uow.commit()
    assert number == stored
    assert count_rows(workspace, "audit_event")["audit_event"] == before + 1
    [event] = _reveals(workspace)
    assert (event.entity, event.entity_id, event.username) == ("person", pid, actor.username)
    assert event.reason == "核对身份证件" and event.changes == {"shown_in": [None, "档案窗口"]}
    assert stored not in str(event.changes) and stored[6:14] not in str(event.changes)
    with workspace.uow() as uow:
        history = audit.history(uow, "person", pid)
        assert [e.action for e in history] == ["create", "reveal"]
        assert audit.verify_chain(uow).ok


def test_a_reveal_outside_the_actors_villages_is_refused_and_writes_nothing(workspace, actor, officer, area_tree):
    pid = add_person(workspace, actor, area_tree.village).person_id  # 两家子村; the officer has 前进村
    before = count_rows(workspace, "audit_event")
    with workspace.uow() as uow, pytest.raises(ScopeError):
        persons.reveal_id_number(uow, officer, pid, purpose="核对")
    assert count_rows(workspace, "audit_event") == before
    assert _reveals(workspace) == []


def test_a_reveal_needs_a_purpose(workspace, actor, area_tree):
    pid = add_person(workspace, actor, area_tree.village).person_id
    with workspace.uow() as uow, pytest.raises(ValidationError) as caught:
        persons.reveal_id_number(uow, actor, pid, purpose="  ")
    assert caught.value.errors == {"purpose": "必须说明查看完整身份证号的用途"}
    assert _reveals(workspace) == []


def test_a_bulk_reveal_is_one_event_naming_the_export_count_and_purpose(workspace, actor):
    with workspace.uow() as uow:
        persons.record_bulk_reveal(uow, actor, export="花名册（Excel）：a.xlsx", count=120, purpose="上报县残联")
        uow.commit()
    [event] = _reveals(workspace)
    assert event.entity == "export" and event.reason == "上报县残联"
    assert event.changes == {"export": [None, "花名册（Excel）：a.xlsx"], "people": [None, 120]}


def test_masked_changes_hides_both_numbers():
    changes = {"id_number": [None, "220202196203080114"], "cert_number": ["22020219620308011443", None],
               "phone": [None, "13900000000"]}
    assert audit.masked_changes(changes) == {
        "id_number": [None, "220202********0114"], "cert_number": ["220202********011443", None],
        "phone": [None, "13900000000"]}
