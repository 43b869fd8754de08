"""The audit trail's hash chain: every write through the services links on, and verify_chain
finds an edited, removed, cut-off or slipped-in event by its seq."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select, text

from liaison.core.models import AuditEvent, AuditHead
from liaison.core.services import audit
from liaison.core.services.audit import GENESIS_HASH, event_hash, verify_chain
from tests.core.services.helpers import TODAY, add_person, add_visit


def _verify(ws):  # type: ignore[no-untyped-def]
    with ws.uow() as uow:
        return verify_chain(uow)


def _sql(ws, statement: str, **params) -> None:  # type: ignore[no-untyped-def]
    with ws.engine.begin() as conn:
        conn.execute(text(statement), params)


@pytest.fixture
def trail(workspace, actor, area_tree):  # type: ignore[no-untyped-def]
    """A few people and a visit: a dozen events or so, all through the services."""
    people = [add_person(workspace, actor, area_tree.village).person_id for _ in range(3)]
    add_visit(workspace, actor, people[0], TODAY)
    with workspace.uow() as uow:
        seqs = list(uow.session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)))
    assert len(seqs) >= 8
    return seqs


def test_events_written_by_the_services_form_an_intact_chain(workspace, trail) -> None:
    report = _verify(workspace)
    assert report.ok, report.findings
    assert (report.count, report.last_seq) == (len(trail), trail[-1])
    assert trail == list(range(1, len(trail) + 1))
    with workspace.uow() as uow:
        events = list(uow.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
        head = uow.session.get(AuditHead, 1)
    assert events[0].prev_hash == GENESIS_HASH
    for before, after in zip(events, events[1:]):
        assert after.prev_hash == before.hash
    assert (head.last_seq, head.last_hash, head.count) == (events[-1].seq, events[-1].hash, len(events))


def test_the_hash_covers_each_field(workspace, trail) -> None:
    with workspace.uow() as uow:
        event = uow.session.get(AuditEvent, trail[3])
        fields = {name: getattr(event, name) for name in audit.HASHED_FIELDS}
    assert event_hash(event.prev_hash, fields) == event.hash
    for name, other in (("seq", 999), ("username", "x"), ("reason", "r"), ("changes", {"a": [1, 2]}),
                        ("entity_id", uuid.uuid4()), ("at", fields["at"].replace(microsecond=1))):
        assert event_hash(event.prev_hash, {**fields, name: other}) != event.hash, name


def test_an_edited_event_is_found_by_its_seq(workspace, trail) -> None:
    target = trail[4]
    _sql(workspace, "UPDATE audit_event SET changes = :c WHERE seq = :s",
         c=json.dumps({"name": [None, "张三"]}), s=target)
    report = _verify(workspace)
    assert [(f.seq, f.kind) for f in report.findings] == [(target, "edited")]
    assert f"第 {target} 条" in report.findings[0].message and "修改" in report.findings[0].message


def test_a_removed_middle_event_is_found(workspace, trail) -> None:
    target = trail[3]
    _sql(workspace, "DELETE FROM audit_event WHERE seq = :s", s=target)
    report = _verify(workspace)
    assert [(f.seq, f.kind) for f in report.findings] == [(target + 1, "removed")]
    assert f"第 {target} 条记录缺失" in report.findings[0].message


def test_events_cut_from_the_end_are_found_though_the_head_was_left_alone(workspace, trail) -> None:
    _sql(workspace, "DELETE FROM audit_event WHERE seq >= :s", s=trail[-2])
    report = _verify(workspace)
    assert [(f.seq, f.kind) for f in report.findings] == [(trail[-1], "truncated")]
    assert f"第 {trail[-2]}–{trail[-1]} 条" in report.findings[0].message


def test_removing_the_last_event_and_moving_the_head_back_is_still_found_by_the_count(workspace, trail) -> None:
    # an editor who also rewinds last_seq/last_hash but not the count
    with workspace.uow() as uow:
        previous = uow.session.get(AuditEvent, trail[-2])
        prev_hash = previous.hash
    _sql(workspace, "DELETE FROM audit_event WHERE seq = :s", s=trail[-1])
    _sql(workspace, "UPDATE audit_head SET last_seq = :s, last_hash = :h", s=trail[-2], h=prev_hash)
    report = _verify(workspace)
    assert [f.kind for f in report.findings] == ["head"]


def test_an_event_inserted_behind_the_programs_back_is_found(workspace, trail, actor) -> None:
    _sql(workspace, "INSERT INTO audit_event (seq, id, at, username, device_id, entity, entity_id, action, changes)"
                    " VALUES (:s, :i, '2025-01-01 00:00:00.000000', 'x', 'd', 'person', :e, 'update', '{}')",
         s=trail[-1] + 1, i=uuid.uuid4().hex, e=uuid.uuid4().hex)
    report = _verify(workspace)
    assert [(f.seq, f.kind) for f in report.findings] == [(trail[-1] + 1, "unchained")]


def test_a_forged_event_with_a_recomputed_hash_but_a_wrong_link_is_found(workspace, trail) -> None:
    """Replacing an event with a self-consistent one (its own hash right) breaks the next link."""
    target = trail[2]
    with workspace.uow() as uow:
        event = uow.session.get(AuditEvent, target)
        fields = {name: getattr(event, name) for name in audit.HASHED_FIELDS}
        prev_hash = event.prev_hash
    fields["changes"] = {"grade": [3, 1]}
    forged = event_hash(prev_hash, fields)
    _sql(workspace, "UPDATE audit_event SET changes = :c, hash = :h WHERE seq = :s",
         c=json.dumps(fields["changes"]), h=forged, s=target)
    report = _verify(workspace)
    assert [(f.seq, f.kind) for f in report.findings] == [(target + 1, "unlinked")]


def test_a_rolled_back_write_leaves_the_chain_and_head_as_they_were(workspace, actor, area_tree, trail) -> None:
    with workspace.uow() as uow:
        audit.record(uow.session, actor, entity="person", entity_id=uuid.uuid4(), action="update", changes={})
        uow.flush()
        uow.rollback()
        # the same session goes on after the rollback: the chain state is read again
        audit.record(uow.session, actor, entity="person", entity_id=uuid.uuid4(), action="update", changes={})
        uow.commit()
        audit.record(uow.session, actor, entity="person", entity_id=uuid.uuid4(), action="update", changes={})
        uow.commit()
    report = _verify(workspace)
    assert report.ok, report.findings
    assert report.last_seq == trail[-1] + 2


def test_a_rolled_back_savepoint_does_not_fork_the_chain(workspace, actor, trail) -> None:
    with workspace.uow() as uow:
        audit.record(uow.session, actor, entity="person", entity_id=uuid.uuid4(), action="a", changes={})
        savepoint = uow.session.begin_nested()
        audit.record(uow.session, actor, entity="person", entity_id=uuid.uuid4(), action="b", changes={})
        uow.flush()
        savepoint.rollback()
        audit.record(uow.session, actor, entity="person", entity_id=uuid.uuid4(), action="c", changes={})
        uow.commit()
    report = _verify(workspace)
    assert report.ok, report.findings
    with workspace.uow() as uow:
        actions = list(uow.session.scalars(select(AuditEvent.action).where(AuditEvent.seq > trail[-1])
                                           .order_by(AuditEvent.seq)))
    assert actions == ["a", "c"]


def test_two_workspaces_on_one_file_write_one_chain(workspace, actor, trail, tmp_path) -> None:
    """The GUI and a CLI command open the same file: each transaction reads the head afresh."""
    from liaison.bootstrap import open_workspace

    other = open_workspace(str(workspace.engine.url))
    try:
        for ws in (workspace, other, workspace, other):
            with ws.uow() as uow:
                audit.record(uow.session, actor, entity="person", entity_id=uuid.uuid4(), action="x", changes={})
                uow.commit()
    finally:
        other.close()
    report = _verify(workspace)
    assert report.ok, report.findings
    assert report.count == len(trail) + 4


def test_an_empty_trail_verifies(workspace) -> None:
    report = _verify(workspace)
    assert report.ok and report.count == 0


def test_a_deleted_head_row_is_found(workspace, trail) -> None:
    _sql(workspace, "DELETE FROM audit_head")
    assert [f.kind for f in _verify(workspace).findings] == ["head"]


def test_no_code_updates_or_deletes_audit_events() -> None:
    """Append-only by construction: only migration 0005 (which chains old events) writes to
    existing rows. The chain check is the real guarantee; this keeps the code honest."""
    import re
    from pathlib import Path

    import liaison

    root = Path(liaison.__file__).parent
    pattern = re.compile(r"(update|delete)\(\s*AuditEvent|(UPDATE|DELETE\s+FROM)\s+\"?audit_event", re.IGNORECASE)
    offenders = [str(path.relative_to(root)) for path in root.rglob("*.py")
                 if "migrations" not in path.parts and pattern.search(path.read_text(encoding="utf-8"))]
    assert offenders == []


@pytest.mark.parametrize("user_id, reason", [(None, None), (uuid.uuid4(), "导入数据包 3 号：\"引号\"\n换行")])
def test_bulk_chaining_of_uniform_events_gives_the_same_links_as_one_by_one(workspace, user_id, reason) -> None:
    """chain_uniform assembles the canonical JSON around the parts that differ; its links
    must be exactly those of chain_rows, or verify_chain would call every imported event edited."""
    common = {"at": "2026-11-25 08:30:00.000123", "user_id": user_id, "username": "县残联·王",
              "device_id": "dev-1", "entity": "person", "action": "sync-create", "reason": reason}
    changes = [{"name": [None, "张三"], "notes": [None, "轮椅\t“坏了”\\"], "grade": [None, 2]},
               {}, {"z": [None, None], "a": [None, {"b": 1, "a": [1.5, True]}]}]
    items = [(uuid.uuid4().hex.upper() if k == 1 else uuid.uuid4().hex, uuid.uuid4().hex, change)
             for k, change in enumerate(changes)]
    with workspace.uow() as uow:
        one_by_one = audit.chain_rows(uow.session, [
            {**common, "id": event_id, "entity_id": entity_id, "changes": change}
            for event_id, entity_id, change in items])
        uow.rollback()
    with workspace.uow() as uow:
        bulk = audit.chain_uniform(uow.session, common, [
            (event_id, entity_id, audit.canonical_changes(change)) for event_id, entity_id, change in items])
        head = uow.session.get(AuditHead, 1)
        assert (head.last_seq, head.last_hash) == bulk[-1][:1] + bulk[-1][2:]
    assert bulk == [(e["seq"], e["prev_hash"], e["hash"]) for e in one_by_one]
    assert [seq for seq, _prev, _hash in bulk] == [1, 2, 3]
