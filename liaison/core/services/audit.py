"""Writing, reading and verifying the audit trail.

The trail is append-only and hash-chained: every event carries the sha256 of the previous
event's hash and its own fields (`event_hash`), and the one-row `audit_head` remembers the
newest link. `verify_chain` recomputes the chain, so an edited, removed or slipped-in event
is found even by someone who can write to the database file with other tools.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from liaison.core.i18n import _
from liaison.core.models import AuditEvent, AuditHead
from liaison.core.models.base import new_uuid, utcnow
from liaison.core.services.context import Actor
from liaison.core.uow import UnitOfWork

# prev_hash of the very first event
GENESIS_HASH = "0" * 64
HEAD_ID = 1
# the fields the hash covers, in the order of the AuditEvent columns
HASHED_FIELDS = ("seq", "id", "at", "user_id", "username", "device_id", "entity", "entity_id", "action",
                 "changes", "reason")
# session.info key of the chain state of the current transaction: (transaction, head row)
_HEAD_KEY = "liaison.audit_head"


def jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Field-level changes as {field: [before, after]}, only where the value differs."""
    return {
        field: [jsonable(before.get(field)), jsonable(value)]
        for field, value in after.items()
        if jsonable(before.get(field)) != jsonable(value)
    }


# --- the hash chain ---------------------------------------------------------------------------


def _uuid_text(value: uuid.UUID | str | None) -> str | None:
    if value is None:
        return None
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))


def _time_text(value: datetime | str) -> str:
    # one fixed form: stored times come back naive (UTC) and isoformat() drops zero microseconds
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")


def canonical_event(event: Mapping[str, Any]) -> bytes:
    """The bytes an event's hash covers: its fields as compact JSON with sorted keys, ids and
    times in one fixed text form, so the same event read back from any database hashes alike."""
    doc = {
        "seq": int(event["seq"]),
        "id": _uuid_text(event["id"]),
        "at": _time_text(event["at"]),
        "user_id": _uuid_text(event.get("user_id")),
        "username": event["username"],
        "device_id": event["device_id"],
        "entity": event["entity"],
        "entity_id": _uuid_text(event["entity_id"]),
        "action": event["action"],
        "changes": event.get("changes") or {},
        "reason": event.get("reason"),
    }
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def event_hash(prev_hash: str, event: Mapping[str, Any]) -> str:
    """sha256(prev_hash || canonical JSON of the event's fields), as 64 hex digits."""
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(canonical_event(event))
    return digest.hexdigest()


def _chain_head(session: Session) -> AuditHead:
    """The head row for this transaction, read (and on PostgreSQL locked) once per transaction.

    The lock makes a second writer wait until this transaction ends, so two transactions
    cannot both append to the same link; SQLite lets only one writer in anyway. Within the
    transaction the row object is the chain state: a rolled-back savepoint expires it, and
    it is read again from the database."""
    transaction = session.get_transaction()
    cached = session.info.get(_HEAD_KEY)
    if cached is not None and transaction is not None and cached[0] is transaction and cached[1] in session:
        return cached[1]
    lock = session.get_bind().dialect.name != "sqlite"
    head = session.get(AuditHead, HEAD_ID, populate_existing=True, with_for_update=lock or None)
    if head is None:  # a database whose chain has not started (0005 writes the head row)
        head = AuditHead(id=HEAD_ID, last_seq=0, last_hash=GENESIS_HASH, count=0)
        session.add(head)
    session.info[_HEAD_KEY] = (session.get_transaction(), head)
    return head


def _link(head: AuditHead, event: dict[str, Any]) -> dict[str, Any]:
    """Give `event` the next seq, its prev_hash and hash, and move the head on to it."""
    event["seq"] = head.last_seq + 1
    event["prev_hash"] = head.last_hash
    event["hash"] = event_hash(head.last_hash, event)
    head.last_seq, head.last_hash, head.count = event["seq"], event["hash"], head.count + 1
    return event


def chain_rows(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chain audit rows that are inserted in bulk (not through `record`), in list order: fills
    in id and at where missing, and seq, prev_hash and hash. Insert them in the same transaction."""
    head = _chain_head(session)
    for row in rows:
        if "id" not in row:
            row["id"] = new_uuid()
        if "at" not in row:
            row["at"] = utcnow()
        row.setdefault("user_id", None)
        row.setdefault("reason", None)
        _link(head, row)
    return rows


def canonical_changes(changes: Mapping[str, Any]) -> str:
    """An event's changes as they appear inside `canonical_event` (also a fine stored form)."""
    return json.dumps(changes, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _hex_uuid_text(value: str) -> str:
    """`_uuid_text` of 32 hex digits, without making a UUID object."""
    value = value.lower()
    if len(value) != 32:
        return str(uuid.UUID(value))
    return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"


# stand-ins for the parts of an event that differ in `chain_uniform`, to find where
# canonical_event writes them (none can occur anywhere else in its output)
_MARK_ID = uuid.UUID("6d61726b-0000-4000-8000-000000000001")
_MARK_ENTITY_ID = uuid.UUID("6d61726b-0000-4000-8000-000000000002")
_MARK_SEQ = 987_654_321_987_654_321
_MARK_CHANGES = {"\u0000changes": 0}


def _uniform_template(common: Mapping[str, Any]) -> tuple[list[str], list[int]]:
    """canonical_event's text for `common` cut around the parts that differ: the literal
    pieces, and which part (0 id, 1 entity_id, 2 seq, 3 changes) goes between each two."""
    sample = canonical_event({**common, "id": _MARK_ID, "entity_id": _MARK_ENTITY_ID, "seq": _MARK_SEQ,
                              "changes": _MARK_CHANGES}).decode()
    marks = [str(_MARK_ID), str(_MARK_ENTITY_ID), str(_MARK_SEQ), canonical_changes(_MARK_CHANGES)]
    assert all(sample.count(mark) == 1 for mark in marks), "a mark occurs in the common fields"
    order = sorted(range(len(marks)), key=lambda k: sample.index(marks[k]))
    literals, rest = [], sample
    for k in order:
        before, rest = rest.split(marks[k])
        literals.append(before)
    literals.append(rest)
    return literals, order


def chain_uniform(session: Session, common: Mapping[str, Any],
                  items: Iterable[tuple[str, str, str]]) -> list[tuple[int, str, str]]:
    """Chain many events that differ only in their id, entity_id and changes, such as one
    bulk insert of a sync import, as `chain_rows` would, at a fraction of its cost: the
    canonical JSON is canonical_event's own, written once and filled in around the parts
    that differ instead of encoded anew.

    `common` holds at, user_id, username, device_id, entity, action and reason; each item is
    (id, entity_id, changes) with the ids as 32 hex digits and the changes as
    `canonical_changes` text. Returns (seq, prev_hash, hash) per item, in order."""
    (l0, l1, l2, l3, l4), (o0, o1, o2, o3) = _uniform_template(common)
    head = _chain_head(session)
    seq, last_hash = head.last_seq, head.last_hash
    linked: list[tuple[int, str, str]] = []
    sha256 = hashlib.sha256
    for event_id, entity_id, changes in items:
        seq += 1
        parts = (_hex_uuid_text(event_id), _hex_uuid_text(entity_id), str(seq), changes)
        canonical = "".join((l0, parts[o0], l1, parts[o1], l2, parts[o2], l3, parts[o3], l4))
        digest = sha256(last_hash.encode("ascii"))
        digest.update(canonical.encode())
        new_hash = digest.hexdigest()
        linked.append((seq, last_hash, new_hash))
        last_hash = new_hash
    head.last_seq, head.last_hash, head.count = seq, last_hash, head.count + len(linked)
    return linked


def record(
    session: Session,
    actor: Actor,
    *,
    entity: str,
    entity_id: uuid.UUID,
    action: str,
    changes: Mapping[str, list[Any]],
    reason: str | None = None,
) -> AuditEvent:
    values = _link(_chain_head(session), {
        "id": new_uuid(),
        "at": utcnow(),
        "user_id": actor.user_id,
        "username": actor.username,
        "device_id": actor.device_id,
        "entity": entity,
        "entity_id": entity_id,
        "action": action,
        "changes": dict(changes),
        "reason": reason,
    })
    event = AuditEvent(**values)
    session.add(event)
    return event


def record_created(session: Session, actor: Actor, obj: Any, fields: Iterable[str]) -> AuditEvent:
    changes = {f: [None, jsonable(getattr(obj, f))] for f in fields if getattr(obj, f) is not None}
    return record(
        session, actor, entity=obj.__tablename__, entity_id=obj.id, action="create", changes=changes
    )


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    username: str
    action: str
    changes: dict[str, list[Any]]
    reason: str | None


def history(uow: UnitOfWork, entity: str, entity_id: uuid.UUID) -> list[AuditEntry]:
    """A record's changes, oldest first (scope is checked by the caller that shows the record)."""
    events = uow.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.seq)
    )
    return [AuditEntry(e.at, e.username, e.action, e.changes, e.reason) for e in events]


def recent(
    uow: UnitOfWork, *, entity: str | None = None, entity_id: uuid.UUID | None = None, limit: int = 50
) -> list[AuditEvent]:
    """The newest events, newest first, optionally of one kind of record or one record
    (for administrators: no scope applies)."""
    stmt = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)
    if entity is not None:
        stmt = stmt.where(AuditEvent.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(AuditEvent.entity_id == entity_id)
    return list(uow.session.scalars(stmt))


# fields whose values are 身份证号 (or start with one): shown masked wherever changes are listed
MASKED_FIELDS = frozenset({"id_number", "cert_number"})


def masked_changes(changes: Mapping[str, list[Any]]) -> dict[str, list[Any]]:
    """`changes` with 身份证号 and 残疾人证号 values masked, for showing a trail to people."""
    from liaison.core.rules.idnumber import mask_cert_number, mask_id_number

    def mask(field: str, value: Any) -> Any:
        if not isinstance(value, str) or not value:
            return value
        return mask_id_number(value) if field == "id_number" else mask_cert_number(value)

    return {f: ([mask(f, v) for v in pair] if f in MASKED_FIELDS else list(pair)) for f, pair in changes.items()}


# --- verifying --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFinding:
    """One thing wrong with the chain: `kind` is stable for programs, `message` is for people."""

    seq: int | None
    kind: str  # edited | removed | unlinked | unchained | truncated | head
    message: str


@dataclass(frozen=True)
class AuditVerifyReport:
    count: int  # events read
    last_seq: int
    findings: list[AuditFinding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def _gap(first: int, last: int) -> str:
    if first == last:
        return _("第 {seq} 条").format(seq=first)
    return _("第 {first}–{last} 条").format(first=first, last=last)


def verify_chain(uow: UnitOfWork, *, batch: int = 5000) -> AuditVerifyReport:
    """Recompute the whole chain, oldest first, and compare it with the head row."""
    columns = [getattr(AuditEvent, name) for name in HASHED_FIELDS]
    rows = uow.session.execute(
        select(*columns, AuditEvent.prev_hash, AuditEvent.hash).order_by(AuditEvent.seq)
        .execution_options(yield_per=batch)
    )
    findings: list[AuditFinding] = []
    prev_seq, prev_hash, count, last_seen = 0, GENESIS_HASH, 0, 0
    for row in rows:
        event = row._mapping
        seq = event["seq"]
        count += 1
        stored = event["hash"]
        if stored is None:
            findings.append(AuditFinding(seq, "unchained", _(
                "第 {seq} 条记录没有校验值：它不是由本程序写入的（被插入或伪造）").format(seq=seq)))
        else:
            if event_hash(event["prev_hash"] or "", event) != stored:
                findings.append(AuditFinding(seq, "edited", _(
                    "第 {seq} 条记录的内容与其校验值不符：记录被修改过").format(seq=seq)))
            # the link, not the seq, is the proof: a PostgreSQL sequence leaves gaps on rollback
            # before 0005, and the upgrade chained those events as they were
            if event["prev_hash"] != prev_hash and seq != prev_seq + 1:
                findings.append(AuditFinding(seq, "removed", _(
                    "{gap}记录缺失（被删除）").format(gap=_gap(prev_seq + 1, seq - 1))))
            elif event["prev_hash"] != prev_hash:
                findings.append(AuditFinding(seq, "unlinked", _(
                    "第 {seq} 条记录与第 {prev} 条接不上：记录被替换、插入或删除过").format(seq=seq, prev=prev_seq)))
        last_seen = seq
        if stored is not None:  # an unchained event is reported once, and the chain goes on past it
            prev_seq, prev_hash = seq, stored
    head = uow.session.get(AuditHead, HEAD_ID, populate_existing=True)
    if head is None:
        if count:
            findings.append(AuditFinding(None, "head", _("缺少校验链的末端记录（audit_head 被删除）")))
    elif head.last_seq > prev_seq:
        findings.append(AuditFinding(head.last_seq, "truncated", _(
            "末尾的{gap}记录缺失（被删除）").format(gap=_gap(prev_seq + 1, head.last_seq))))
    elif head.last_seq < prev_seq:
        findings.append(AuditFinding(prev_seq, "unchained", _(
            "{gap}记录在校验链末端之后：不是由本程序写入的（被插入或伪造）").format(
                gap=_gap(head.last_seq + 1, prev_seq))))
    elif head.last_hash != prev_hash:
        findings.append(AuditFinding(prev_seq, "head", _(
            "最后一条（第 {seq} 条）记录与校验链末端不符：记录被替换过").format(seq=prev_seq)))
    if head is not None and head.count != count and not findings:
        findings.append(AuditFinding(None, "head", _(
            "记录条数 {count} 与校验链末端登记的 {expected} 条不符").format(count=count, expected=head.count)))
    return AuditVerifyReport(count=count, last_seq=last_seen, findings=findings)
