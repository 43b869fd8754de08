"""Applying records that arrived from another workspace: the same checks as a form (validation,
area scope), an audit line per change, and a three-way comparison with the values last
exchanged so that a field changed on both sides becomes a conflict for a person to decide —
never a silent overwrite. A person whose 身份证号 is already on file under another record is
held back as a duplicate case, with everything that belongs to them.

Records are upserted by UUID: applying the same records again changes nothing.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from functools import cache
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Enum, Uuid, delete, func, select
from sqlalchemy.orm import Session

from liaison.core.enums import CaseType, PersonStatus
from liaison.core.errors import LiaisonError, ScopeError, ValidationError
from liaison.core.i18n import _
from liaison.core.models import (
    AuditEvent,
    Base,
    CaseEvent,
    FollowUp,
    HomeModificationCase,
    Institution,
    ModificationItem,
    Need,
    Person,
    PersonSearchTerm,
    RehabReferral,
    SyncBase,
    SyncConflict,
    SyncDuplicate,
    Visit,
)
from liaison.core.models.base import new_uuid, utcnow
from liaison.core.services import audit
from liaison.core.services.context import Actor, ensure_area_in_scope
from liaison.core.services.persons import (
    PersonInput,
    field_label,
    parse_components,
    refresh_search_terms,
    search_terms,
    validate_person,
)
from liaison.core.sync_records import decode_row, decode_value
from liaison.core.uow import UnitOfWork

MODELS: dict[str, type[Any]] = {
    "institution": Institution, "person": Person, "visit": Visit, "need": Need, "follow_up": FollowUp,
    "modification_case": HomeModificationCase, "modification_item": ModificationItem,
    "rehab_referral": RehabReferral, "case_event": CaseEvent,
}
# set once, never merged field by field
FIXED = frozenset({"id", "created_at", "origin_device"})
LOCAL = frozenset({"search_no", "name_sort", "row_version", "updated_at", "visitor_user_id"})
PERSON_FIELDS = frozenset(f.name for f in fields(PersonInput))


@dataclass(frozen=True)
class RecordOutcome:
    table: str
    record_id: str
    action: str  # created / updated / unchanged / conflict / duplicate / held / error
    detail: str = ""
    fields: tuple[str, ...] = ()


# outcomes too common to list one by one in a county-sized import: counted only
COUNTED_ONLY = frozenset({"created", "unchanged"})
BATCH = 2000
CACHE_LIMIT = 200_000


@dataclass
class ApplyReport:
    outcomes: list[RecordOutcome] = field(default_factory=list)  # all but created/unchanged
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, outcome: RecordOutcome) -> None:
        self.counts[outcome.action] += 1
        if outcome.action not in COUNTED_ONLY:
            self.outcomes.append(outcome)

    def created(self, n: int) -> None:
        self.counts["created"] += n

    @property
    def errors(self) -> list[RecordOutcome]:
        return [o for o in self.outcomes if o.action == "error"]


def _shared(model: type[Any]) -> list[str]:
    return [c.name for c in model.__table__.columns if c.name not in LOCAL]


def _jsonable(value: Any) -> Any:
    return audit.jsonable(value)


def current_values(obj: Any, table: str) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in _shared(MODELS[table])}


def _load_base(session: Session, table: str, record_id: uuid.UUID) -> SyncBase | None:
    return session.scalars(select(SyncBase).where(SyncBase.entity == table, SyncBase.entity_id == record_id)).first()


def remember_base(session: Session, table: str, record_id: uuid.UUID, values: dict[str, Any]) -> None:
    """Record `values` as the last exchanged state of a record (JSON form)."""
    stored = {k: _jsonable(v) for k, v in values.items() if k not in FIXED and k not in LOCAL}
    row = _load_base(session, table, record_id)
    if row is None:
        session.add(SyncBase(entity=table, entity_id=record_id, values=stored))
    elif row.values != stored:
        row.values = stored


def remember_bases(session: Session, table: str, items: list[tuple[uuid.UUID, dict[str, Any]]]) -> None:
    """`remember_base` for many records at once (an export of a whole village)."""
    for start in range(0, len(items), 500):
        chunk = items[start : start + 500]
        session.execute(delete(SyncBase).where(SyncBase.entity == table,
                                               SyncBase.entity_id.in_([record_id for record_id, _v in chunk])))
        insert_rows(session, SyncBase.__table__, [
            {"entity": table, "entity_id": record_id,
             "values": {k: _jsonable(v) for k, v in values.items() if k not in FIXED and k not in LOCAL}}
            for record_id, values in chunk
        ])


class _Context:
    def __init__(self, uow: UnitOfWork, actor: Actor, device_id: str, package_id: str, today: date) -> None:
        self.uow, self.actor, self.device_id, self.package_id, self.today = uow, actor, device_id, package_id, today
        self.held: dict[uuid.UUID, SyncDuplicate] = {}  # incoming person id → its duplicate case
        self.reason = _("同步数据包 {p}").format(p=package_id[:8])
        self.created: Counter[str] = Counter()
        self.known: dict[str, set[Any]] = defaultdict(set)  # ids known to exist, per table
        self.person_areas: dict[Any, uuid.UUID] = {}
        self.case_people: dict[Any, Any] = {}
        self.numbers: set[str] = set()  # 身份证号 of the people this import created
        self._allowed: frozenset[uuid.UUID] | None | bool = False

    def trim_caches(self) -> None:
        """The lookup caches are only shortcuts: emptied when they grow, so that a county-sized
        import keeps to a bounded memory (what they held can be asked of the database again)."""
        if sum(len(v) for v in self.known.values()) + len(self.person_areas) + len(self.case_people) > CACHE_LIMIT:
            self.known.clear()
            self.person_areas.clear()
            self.case_people.clear()

    def ensure_area(self, area_id: uuid.UUID) -> None:
        if self._allowed is False:
            from liaison.core.services.context import allowed_area_ids

            self._allowed = allowed_area_ids(self.uow, self.actor)
        if self._allowed is not None and area_id not in self._allowed:
            ensure_area_in_scope(self.uow, self.actor, area_id)

    @property
    def session(self) -> Session:
        return self.uow.session


def apply_records(
    uow: UnitOfWork,
    actor: Actor,
    records: Iterable[tuple[str, dict[str, Any], dict[str, Any]]],
    *,
    device_id: str,
    package_id: str,
    today: date,
) -> ApplyReport:
    """Apply (table, decoded values, raw JSON row) records in order; every outcome reported.

    New records are checked and inserted a batch at a time; records already here are merged
    one by one. The caller commits or rolls back: with any error an import is all-or-nothing."""
    ctx = _Context(uow, actor, device_id, package_id, today)
    report = ApplyReport()
    for existing in uow.session.scalars(select(SyncDuplicate).where(SyncDuplicate.status == "open")):
        ctx.held[existing.incoming_person_id] = existing
    batch: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    for record in records:
        if batch and (record[0] != batch[0][0] or len(batch) >= BATCH):
            _apply_batch(ctx, batch, report)
            batch = []
        batch.append(record)
    if batch:
        _apply_batch(ctx, batch, report)
    created = {table: n for table, n in ctx.created.items() if table != "person"}
    if created:
        # visits, needs and cases arrive by the hundred thousand: one audit line per package
        # and table says where they came from (people get one each)
        audit.record(uow.session, actor, entity="sync_package", entity_id=uuid.UUID(package_id),
                     action="sync-create", changes={t: [0, n] for t, n in sorted(created.items())},
                     reason=ctx.reason)
    return report


def _apply_batch(ctx: _Context, batch: list[tuple[str, dict[str, Any], dict[str, Any]]], report: ApplyReport) -> None:
    table = batch[0][0]
    model = MODELS[table]
    session = ctx.session
    ids = [values["id"] for _t, values, _r in batch]
    # rows inserted by earlier batches of this import are in the database already
    present = set(session.scalars(select(model.id).where(model.id.in_(ids))))
    fresh: list[tuple[dict[str, Any], dict[str, Any]]] = []
    in_batch: set[uuid.UUID] = set()
    for _t, values, raw in batch:
        if values["id"] in present or values["id"] in in_batch:
            outcome = _guarded(ctx, table, values, raw)
            report.add(outcome)
        else:
            fresh.append((values, raw))
            in_batch.add(values["id"])
    ctx.trim_caches()
    if not fresh:
        return
    rows, outcomes = _check_new(ctx, table, fresh)
    for outcome in outcomes:
        report.add(outcome)
    if not rows:
        return
    if table == "person":
        _insert_people(ctx, rows)
    else:
        insert_rows(session, model.__table__, rows)
    ctx.created[table] += len(rows)
    report.created(len(rows))


def _guarded(ctx: _Context, table: str, values: dict[str, Any], raw: dict[str, Any]) -> RecordOutcome:
    try:
        outcome = _apply_existing(ctx, table, values, raw)
        ctx.session.flush()
        return outcome
    except (ValidationError, ScopeError, LiaisonError) as exc:
        return RecordOutcome(table, str(values.get("id")), "error", exc.message)


def _check_new(
    ctx: _Context, table: str, fresh: list[tuple[dict[str, Any], dict[str, Any]]]
) -> tuple[list[dict[str, Any]], list[RecordOutcome]]:
    """Rows ready to insert, and the outcomes of those that are not (errors, held, duplicates)."""
    session = ctx.session
    outcomes: list[RecordOutcome] = []
    rows: list[dict[str, Any]] = []
    if table == "person":
        numbers = [v.get("id_number") for v, _r in fresh]
        on_file = dict(session.execute(select(Person.id_number, Person.name).where(Person.id_number.in_(numbers))).all())
        for values, raw in fresh:
            try:
                _check_dates(table, values, ctx.today)
                ctx.ensure_area(values["area_id"])
                merged = _validated_person(values, ctx.today)
            except (ValidationError, ScopeError, LiaisonError) as exc:
                outcomes.append(RecordOutcome(table, str(values["id"]), "error", exc.message))
                continue
            number = merged["id_number"]
            if number in on_file or number in ctx.numbers:
                outcomes.append(_hold_duplicate(ctx, values, raw, merged, on_file.get(number)))
                continue
            ctx.numbers.add(number)
            ctx.person_areas[values["id"]] = merged["area_id"]
            rows.append({k: v for k, v in merged.items() if k not in LOCAL or k == "name_sort"})
        return rows, outcomes
    fks = _foreign_keys(table)
    _learn_references(ctx, table, fresh, fks)
    for values, raw in fresh:
        person_id = _person_of(table, values, session, ctx)
        if person_id in ctx.held:
            duplicate = ctx.held[person_id]
            duplicate.records = [*duplicate.records, [table, raw]]
            outcomes.append(RecordOutcome(table, str(values["id"]), "held", _("随待核对的重复人员暂存")))
            continue
        try:
            _check_dates(table, values, ctx.today)
            if table == "institution" and values.get("code"):
                clash = session.scalar(select(Institution.name).where(Institution.code == values["code"]))
                if clash is not None:
                    raise LiaisonError(_("定点机构编码 {c} 已被“{n}”使用").format(c=values["code"], n=clash))
            if table != "institution":
                area = ctx.person_areas.get(person_id) if person_id is not None else None
                if area is None:
                    raise LiaisonError(_("引用的人员档案不存在（记录 {r}）").format(r=str(values["id"])[:8]))
                ctx.ensure_area(area)
            for column, target in fks:
                ref = values.get(column)
                if ref is not None and ref not in ctx.known[target]:
                    raise LiaisonError(_("引用的{what}不存在（记录 {r}）").format(what=target, r=str(values["id"])[:8]))
        except (ValidationError, ScopeError, LiaisonError) as exc:
            outcomes.append(RecordOutcome(table, str(values["id"]), "error", exc.message))
            continue
        ctx.known[table].add(values["id"])
        if table == "modification_case" or table == "rehab_referral":
            ctx.case_people[values["id"]] = values["person_id"]
        rows.append({k: v for k, v in values.items() if k not in LOCAL})
    return rows, outcomes


def _foreign_keys(table: str) -> list[tuple[str, str]]:
    return [(column.name, fk.column.table.name) for column in MODELS[table].__table__.columns
            for fk in column.foreign_keys]


def _learn_references(ctx: _Context, table: str, fresh: list[tuple[dict[str, Any], dict[str, Any]]],
                      fks: list[tuple[str, str]]) -> None:
    """Load, a batch at a time, which referenced rows exist (and the areas of the people)."""
    session = ctx.session
    wanted: dict[str, set[Any]] = defaultdict(set)
    for values, _raw in fresh:
        for column, target in fks:
            ref = values.get(column)
            if ref is not None and ref not in ctx.known[target]:
                wanted[target].add(ref)
        if table in ("modification_item", "case_event"):
            case_id = values["case_id"]
            if case_id not in ctx.case_people:
                wanted["case:" + (values.get("case_type").value if table == "case_event" else "modification")].add(case_id)
    for target, refs in wanted.items():
        if target.startswith("case:"):
            model = HomeModificationCase if target == "case:modification" else RehabReferral
            for case_id, person_id in session.execute(select(model.id, model.person_id).where(model.id.in_(refs))):
                ctx.case_people[case_id] = person_id
            continue
        t = Base.metadata.tables[target]
        if target == "person":
            for person_id, area_id in session.execute(select(Person.id, Person.area_id).where(Person.id.in_(refs))):
                ctx.known["person"].add(person_id)
                ctx.person_areas[person_id] = area_id
        else:
            ctx.known[target].update(session.scalars(select(t.c.id).where(t.c.id.in_(refs))))
    people = {_person_of(table, v, session, ctx) for v, _r in fresh} - {None}
    missing_people = {p for p in people if p not in ctx.person_areas}
    if missing_people:
        for person_id, area_id in session.execute(select(Person.id, Person.area_id).where(Person.id.in_(missing_people))):
            ctx.known["person"].add(person_id)
            ctx.person_areas[person_id] = area_id


def _hold_duplicate(ctx: _Context, values: dict[str, Any], raw: dict[str, Any], merged: dict[str, Any],
                    existing_name: str | None) -> RecordOutcome:
    session = ctx.session
    other = session.scalars(select(Person).where(Person.id_number == merged["id_number"])).first()
    if other is None:  # the same number twice in this very package
        return RecordOutcome("person", str(values["id"]), "error",
                             _("身份证号 {n} 在数据包中出现两次").format(n=merged["id_number"][:6] + "…"))
    duplicate = SyncDuplicate(
        id_number=merged["id_number"], existing_person_id=other.id, incoming_person_id=values["id"],
        device_id=ctx.device_id, package_id=ctx.package_id, records=[["person", raw]], status="open",
    )
    session.add(duplicate)
    ctx.held[values["id"]] = duplicate
    return RecordOutcome("person", str(values["id"]), "duplicate",
                         _("身份证号与已有档案“{n}”相同，待核对（迁入？录入错误？）").format(n=existing_name or other.name))


def _sqlite_converter(kind: Any) -> Callable[[Any], Any]:
    """A value in the form SQLAlchemy itself stores in SQLite (so queries match it exactly)."""
    if isinstance(kind, Uuid):
        return lambda v: None if v is None else v.hex
    if isinstance(kind, DateTime):
        return lambda v: None if v is None else v.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(kind, Date):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(kind, Enum):
        return lambda v: None if v is None else v.value
    if isinstance(kind, Boolean):
        return lambda v: None if v is None else int(v)
    if isinstance(kind, JSON):
        return lambda v: json.dumps(v, ensure_ascii=False)
    return lambda v: v


def _fill_defaults(table: Any, rows: list[dict[str, Any]]) -> None:
    """What SQLAlchemy would have filled in: timestamps, the row version, scalar defaults."""
    now = utcnow()
    for column in table.c:
        if column.name in rows[0]:
            continue
        if column.name in ("created_at", "updated_at"):
            value: Any = now
        elif column.name == "row_version":
            value = 1
        elif column.default is not None and column.default.is_scalar:
            value = column.default.arg
        else:
            continue
        for row in rows:
            row[column.name] = value


def insert_rows(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert many rows at once. On SQLite the values are converted here and handed to the
    driver's executemany: the per-row parameter processing of SQLAlchemy would cost more than
    the inserts themselves in a county-sized import. Elsewhere SQLAlchemy Core does it."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        connection.execute(table.insert(), rows)
        return
    _fill_defaults(table, rows)
    names = [name for name in rows[0] if name in table.c]
    converters = [_sqlite_converter(table.c[name].type) for name in names]
    columns = ", ".join(f'"{name}"' for name in names)
    sql = f'INSERT INTO "{table.name}" ({columns}) VALUES ({", ".join("?" * len(names))})'
    data = [tuple(convert(row.get(name)) for name, convert in zip(names, converters, strict=True)) for row in rows]
    connection.exec_driver_sql(sql, data)


def _insert_people(ctx: _Context, rows: list[dict[str, Any]]) -> None:
    session = ctx.session
    start = int(session.scalar(select(func.coalesce(func.max(Person.search_no), 0))) or 0)
    for k, row in enumerate(rows, start=1):
        row["search_no"] = start + k
    insert_rows(session, Person.__table__, rows)
    terms = [{"term": term, "search_no": row["search_no"]} for row in rows
             for term in search_terms(row["name"], row["id_number"], row.get("phone"))]
    if terms:
        insert_rows(session, PersonSearchTerm.__table__, terms)
    now = utcnow()
    insert_rows(session, AuditEvent.__table__, audit.chain_rows(session, [
        {"id": new_uuid(), "at": now, "user_id": ctx.actor.user_id, "username": ctx.actor.username[:40],
         "device_id": ctx.actor.device_id, "entity": "person", "entity_id": row["id"], "action": "sync-create",
         "changes": {k: [None, _jsonable(v)] for k, v in row.items()
                     if v is not None and k not in FIXED and k not in LOCAL},
         "reason": ctx.reason}
        for row in rows
    ]))
    insert_rows(session, SyncBase.__table__, [
        {"entity": "person", "entity_id": row["id"],
         "values": {k: _jsonable(v) for k, v in row.items() if k not in FIXED and k not in LOCAL}}
        for row in rows
    ])
    for row in rows:
        ctx.known["person"].add(row["id"])


def _person_of(table: str, values: dict[str, Any], session: Session, ctx: _Context | None = None) -> uuid.UUID | None:
    if table == "person":
        return values["id"]
    if "person_id" in values:
        return values["person_id"]
    if ctx is not None and values.get("case_id") in ctx.case_people:
        return ctx.case_people[values["case_id"]]
    if table == "modification_item":
        case = session.get(HomeModificationCase, values["case_id"])
        return case.person_id if case else None
    if table == "case_event":
        model = HomeModificationCase if values["case_type"] is CaseType.MODIFICATION else RehabReferral
        case = session.get(model, values["case_id"])
        return case.person_id if case else None
    return None


def _apply_existing(ctx: _Context, table: str, values: dict[str, Any], raw: dict[str, Any]) -> RecordOutcome:
    """A record this workspace has already: merged field by field with what arrived."""
    session = ctx.session
    record_id = values["id"]
    person_id = _person_of(table, values, session)
    if person_id in ctx.held and table != "person":
        duplicate = ctx.held[person_id]
        duplicate.records = [*duplicate.records, [table, raw]]
        return RecordOutcome(table, str(record_id), "held", _("随待核对的重复人员暂存"))
    _check_dates(table, values, ctx.today)
    existing = session.get(MODELS[table], record_id)
    if existing is None:  # the same record twice in one batch of a package
        raise LiaisonError(_("同一记录在数据包中出现了两次（记录 {r}）").format(r=str(record_id)[:8]))
    if table == "person":
        ensure_area_in_scope(ctx.uow, ctx.actor, values["area_id"])
        ensure_area_in_scope(ctx.uow, ctx.actor, existing.area_id)
    elif table != "institution":  # the county's list of institutions has no person or area scope
        _check_references(ctx, table, values, person_id)
    return _merge(ctx, table, existing, values)


@cache
def _date_columns(table: str) -> tuple[str, ...]:
    # an expiry or a due date may lie ahead; nothing else may
    return tuple(c.name for c in MODELS[table].__table__.columns
                 if isinstance(c.type, Date) and c.name not in ("cert_valid_until", "due_on"))


def _check_dates(table: str, values: dict[str, Any], today: date) -> None:
    limit = today + timedelta(days=1)  # a day of clock difference between PCs
    for name in _date_columns(table):
        value = values.get(name)
        if value is not None and value > limit:
            raise ValidationError.single(name, _("日期 {d} 晚于今天").format(d=value), name)


def _check_references(ctx: _Context, table: str, values: dict[str, Any], person_id: uuid.UUID | None) -> None:
    session = ctx.session
    if person_id is None or session.get(Person, person_id) is None:
        raise LiaisonError(_("引用的人员档案不存在（记录 {r}）").format(r=str(values["id"])[:8]))
    person = session.get(Person, person_id)
    ensure_area_in_scope(ctx.uow, ctx.actor, person.area_id)
    for column in MODELS[table].__table__.columns:
        for fk in column.foreign_keys:
            target = values.get(column.name)
            if target is None:
                continue
            target_table = fk.column.table
            exists = session.execute(select(target_table.c.id).where(target_table.c.id == target)).first()
            if exists is None:
                raise LiaisonError(_("引用的{what}不存在（记录 {r}）").format(
                    what=fk.column.table.name, r=str(values["id"])[:8]))


def _person_input(values: dict[str, Any]) -> PersonInput:
    data = {k: values[k] for k in PERSON_FIELDS if k in values and k != "component_categories"}
    return PersonInput(**data, component_categories=parse_components(values.get("component_categories")))


def _validated_person(values: dict[str, Any], today: date) -> dict[str, Any]:
    checked = validate_person(_person_input(values), today=today)
    merged = {**values, **checked.values}
    status = merged.get("status")
    if status is not PersonStatus.ACTIVE and merged.get("status_on") is None:
        raise ValidationError.single("status_on", _("不在册时必须有变更日期"), _("状态日期"))
    return merged


def _merge(ctx: _Context, table: str, obj: Any, incoming: dict[str, Any]) -> RecordOutcome:
    session = ctx.session
    current = current_values(obj, table)
    base_row = _load_base(session, table, obj.id)
    base = base_row.values if base_row is not None else None
    take: dict[str, Any] = {}
    conflicts: list[str] = []
    for name, value in incoming.items():
        if name in FIXED or name in LOCAL:
            continue
        mine = current[name]
        if _same(value, mine):
            continue
        was = base.get(name, _jsonable(mine)) if base is not None else _jsonable(mine)
        if _jsonable(mine) == was:
            take[name] = value  # changed only over there
        elif _jsonable(value) == was:
            continue  # changed only here: ours stands and travels back
        else:
            conflicts.append(name)
            _record_conflict(ctx, table, obj.id, name, was, mine, value)
    if take:
        after = {**current, **take}
        if table == "person":
            after = _validated_person(after, ctx.today)
            take = {k: after[k] for k in take}
            if "name" in take:
                obj.name_sort = after["name_sort"]
        for name, value in take.items():
            setattr(obj, name, value)
        session.flush()
        if table == "person" and {"name", "id_number", "phone"} & take.keys():
            refresh_search_terms(session, obj)
        audit.record(session, ctx.actor, entity=table, entity_id=obj.id, action="sync-update",
                     changes=audit.diff({k: current[k] for k in take}, take), reason=ctx.reason)
    remember_base(session, table, obj.id, incoming)
    if conflicts:
        names = [field_label(name) if table == "person" else name for name in conflicts]
        return RecordOutcome(table, str(obj.id), "conflict", _("双方都改了：{f}").format(f="、".join(names)),
                             tuple(conflicts))
    if take:
        return RecordOutcome(table, str(obj.id), "updated", "", tuple(sorted(take)))
    return RecordOutcome(table, str(obj.id), "unchanged")


def _same(a: Any, b: Any) -> bool:
    return _jsonable(a) == _jsonable(b)


def _record_conflict(ctx: _Context, table: str, record_id: uuid.UUID, name: str, base: Any, mine: Any,
                     theirs: Any) -> None:
    session = ctx.session
    open_one = session.scalars(select(SyncConflict).where(
        SyncConflict.entity == table, SyncConflict.entity_id == record_id, SyncConflict.field == name,
        SyncConflict.status == "open")).first()
    if open_one is not None:
        open_one.remote_value = _jsonable(theirs)
        open_one.local_value = _jsonable(mine)
        return
    session.add(SyncConflict(
        entity=table, entity_id=record_id, field=name, base_value=base, local_value=_jsonable(mine),
        remote_value=_jsonable(theirs), device_id=ctx.device_id, package_id=ctx.package_id, status="open",
    ))


# --- deciding ---------------------------------------------------------------------------------


def resolve_conflict(uow: UnitOfWork, actor: Actor, conflict_id: uuid.UUID, *, take: str, today: date) -> None:
    """Keep this side's value ("local") or take the other side's ("remote"); audited."""
    session = uow.session
    conflict = session.get(SyncConflict, conflict_id)
    if conflict is None or conflict.status != "open":
        raise LiaisonError(_("找不到待处理的冲突"))
    if take not in ("local", "remote"):
        raise ValidationError.single("take", _("应为 local（保留本机）或 remote（采用对方）"), _("处理方式"))
    model = MODELS[conflict.entity]
    obj = session.get(model, conflict.entity_id)
    if obj is None:
        raise LiaisonError(_("冲突所属的记录已不存在"))
    person_id = obj.id if conflict.entity == "person" else getattr(obj, "person_id", None)
    if person_id is not None:
        person = session.get(Person, person_id)
        if person is not None:
            ensure_area_in_scope(uow, actor, person.area_id)
    if take == "remote":
        column = model.__table__.columns[conflict.field]
        value = decode_value(column.type, conflict.remote_value, nullable=bool(column.nullable))
        before = getattr(obj, conflict.field)
        if conflict.entity == "person":
            after = _validated_person({**current_values(obj, "person"), conflict.field: value}, today)
            value = after[conflict.field]
        setattr(obj, conflict.field, value)
        session.flush()
        if conflict.entity == "person" and conflict.field in ("name", "id_number", "phone"):
            refresh_search_terms(session, obj)
        audit.record(session, actor, entity=conflict.entity, entity_id=obj.id, action="conflict-resolved",
                     changes=audit.diff({conflict.field: before}, {conflict.field: value}),
                     reason=_("采用对方的值"))
    else:
        audit.record(session, actor, entity=conflict.entity, entity_id=obj.id, action="conflict-resolved",
                     changes={}, reason=_("保留本机的值“{v}”").format(v=conflict.local_value))
    conflict.status, conflict.resolution = "resolved", take
    conflict.resolved_by, conflict.resolved_at = actor.display_name[:50], utcnow()


def open_conflicts(uow: UnitOfWork) -> list[SyncConflict]:
    return list(uow.session.scalars(select(SyncConflict).where(SyncConflict.status == "open")
                                    .order_by(SyncConflict.created_at)))


def open_duplicates(uow: UnitOfWork) -> list[SyncDuplicate]:
    return list(uow.session.scalars(select(SyncDuplicate).where(SyncDuplicate.status == "open")
                                    .order_by(SyncDuplicate.created_at)))


def decide_duplicate(uow: UnitOfWork, actor: Actor, duplicate_id: uuid.UUID, *, decision: str,
                     note: str | None, today: date) -> ApplyReport:
    """"merge": the same person (moved, or entered twice) — the held visits, needs and cases
    are attached to the existing file; "discard": an entry mistake — the held rows are dropped
    (they stay in the duplicate case for the record)."""
    session = uow.session
    duplicate = session.get(SyncDuplicate, duplicate_id)
    if duplicate is None or duplicate.status != "open":
        raise LiaisonError(_("找不到待核对的重复人员"))
    if decision not in ("merge", "discard"):
        raise ValidationError.single("decision", _("应为 merge（同一人）或 discard（录入错误）"), _("核对结果"))
    existing = session.get(Person, duplicate.existing_person_id)
    if existing is None:
        raise LiaisonError(_("已有的档案不存在"))
    ensure_area_in_scope(uow, actor, existing.area_id)
    report = ApplyReport()
    if decision == "merge":
        records = []
        for table, raw in duplicate.records:
            if table == "person":
                continue
            values = decode_row(table, raw)
            if values.get("person_id") == duplicate.incoming_person_id:
                values["person_id"] = existing.id
            records.append((table, values, raw))
        duplicate.status = "merged"
        session.flush()
        report = apply_records(uow, actor, records, device_id=duplicate.device_id,
                               package_id=duplicate.package_id, today=today)
        if report.errors:
            raise LiaisonError(_("合并时有记录无法导入：{e}").format(e=report.errors[0].detail))
    else:
        duplicate.status = "discarded"
    duplicate.decided_by, duplicate.decided_at, duplicate.note = actor.display_name[:50], utcnow(), note
    audit.record(session, actor, entity="sync_duplicate", entity_id=duplicate.id, action=decision, changes={},
                 reason=note)
    return report

