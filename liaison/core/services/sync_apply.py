"""Applying records that arrived from another workspace: the same checks as a form (validation,
area scope), an audit line per change, and a three-way comparison with the values last
exchanged so that a field changed on both sides becomes a conflict for a person to decide —
never a silent overwrite. A person whose 身份证号 is already on file under another record is
held back as a duplicate case, with everything that belongs to them.

Records are upserted by UUID: applying the same records again changes nothing.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from functools import cache
from operator import itemgetter
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
from liaison.core.sync_records import (
    AREA_TABLES,
    DATETIME_TEXT,
    decode_row,
    decode_value,
    shared_columns,
    wire_decoder,
    wire_encoder,
)
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
# entries in the lookup caches of an import (see _Context.trim_caches): ids of records other
# than people, and people with their areas (every later record refers to one, so they are kept
# longer). About 100 bytes an entry.
CACHE_LIMIT = 200_000
PEOPLE_CACHE_LIMIT = 1_000_000


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
        self.held: dict[str, SyncDuplicate] = {}  # incoming person id (hex) → its duplicate case
        self.reason = _("同步数据包 {p}").format(p=package_id[:8])
        self.created: Counter[str] = Counter()
        # lookups in the stored text forms (UUIDs as 32 hex digits), so that a checked batch
        # needs no Python object per value
        self.known: dict[str, set[str]] = defaultdict(set)  # ids known to exist, per table
        self.person_areas: dict[str, str] = {}  # person → its area
        self.case_people: dict[str, str] = {}  # modification case or referral → its person
        self.numbers: set[str] = set()  # 身份证号 of the people this import created
        self.latest_date = (today + timedelta(days=1)).isoformat()  # a day of clock difference between PCs
        self.now = utcnow().strftime(DATETIME_TEXT)
        self._allowed: frozenset[str] | None | bool = False
        self._area_codes: dict[str, str] | None = None

    def trim_caches(self) -> None:
        """The lookup caches are only shortcuts: emptied when they grow, so that a county-sized
        import keeps to a bounded memory (what they held can be asked of the database again).

        The largest cache goes first, and the people last: emptying everything at once made each
        batch of a million visits ask the database again for its people and their areas."""
        others: list[set[str] | dict[str, str]] = [v for k, v in self.known.items() if k != "person"]
        others.append(self.case_people)
        while sum(map(len, others)) > CACHE_LIMIT:
            max(others, key=len).clear()
        if len(self.known["person"]) + len(self.person_areas) > PEOPLE_CACHE_LIMIT:
            self.known["person"].clear()
            self.person_areas.clear()

    @property
    def allowed(self) -> frozenset[str] | None:
        """The hex ids of the areas in the actor's scope (None: the whole county)."""
        if self._allowed is False:
            from liaison.core.services.context import allowed_area_ids

            allowed = allowed_area_ids(self.uow, self.actor)
            self._allowed = None if allowed is None else frozenset(a.hex for a in allowed)
        return self._allowed  # type: ignore[return-value]

    def ensure_area(self, area_hex: str) -> None:
        allowed = self.allowed
        if allowed is not None and area_hex not in allowed:
            ensure_area_in_scope(self.uow, self.actor, uuid.UUID(area_hex))

    def raw(self, table: str, row: list[Any]) -> dict[str, Any]:
        """A record in the form a package carries it (kept with a duplicate case): the area
        as its code."""
        raw = dict(zip(shared_columns(table), row, strict=True))
        if table in AREA_TABLES:
            if self._area_codes is None:
                from liaison.core.services.areas import area_directory

                self._area_codes = {info.id.hex: info.code for info in area_directory(self.uow).values()}
            area = raw.pop("area_id")
            raw["area_code"] = self._area_codes.get(area) if area else None
        return raw

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
    """Apply decoded (table, values, raw JSON row) records in order; see `apply_batches`."""
    return apply_batches(uow, actor, _as_batches(records), device_id=device_id, package_id=package_id, today=today)


def _as_batches(records: Iterable[tuple[str, dict[str, Any], dict[str, Any]]]) -> Iterator[tuple[str, list[list[Any]]]]:
    table, rows = "", []
    for name, values, _raw in records:
        if rows and (name != table or len(rows) >= BATCH):
            yield table, rows
            rows = []
        table = name
        rows.append(wire_encoder(name)([values[c] for c in shared_columns(name)]))
    if rows:
        yield table, rows


def apply_batches(
    uow: UnitOfWork,
    actor: Actor,
    batches: Iterable[tuple[str, list[list[Any]]]],
    *,
    device_id: str,
    package_id: str,
    today: date,
) -> ApplyReport:
    """Apply batches of records of one table each, in order, every outcome reported. Each row
    is in the positional form of `sync_records` (`wire_rows`), in `shared_columns` order, its
    area (if it has one) as this workspace's area id.

    New records are checked a batch at a time and inserted as they arrived; records already
    here are merged one by one. The caller commits or rolls back: with any error an import is
    all-or-nothing."""
    ctx = _Context(uow, actor, device_id, package_id, today)
    report = ApplyReport()
    for existing in uow.session.scalars(select(SyncDuplicate).where(SyncDuplicate.status == "open")):
        ctx.held[existing.incoming_person_id.hex] = existing
    with _import_cache(uow.session):
        for table, rows in batches:
            for start in range(0, len(rows), BATCH):
                _apply_batch(ctx, table, rows[start : start + BATCH], report)
    created = {table: n for table, n in ctx.created.items() if table != "person"}
    if created:
        # visits, needs and cases arrive by the hundred thousand: one audit line per package
        # and table says where they came from (people get one each)
        audit.record(uow.session, actor, entity="sync_package", entity_id=uuid.UUID(package_id),
                     action="sync-create", changes={t: [0, n] for t, n in sorted(created.items())},
                     reason=ctx.reason)
    return report


IMPORT_CACHE_KIB = 64 * 1024


@contextmanager
def _import_cache(session: Session) -> Iterator[None]:
    """A larger SQLite page cache while a package is applied: the index pages of the tables
    written to stay in memory instead of being spilled to the WAL and read back (bounded, and
    given back afterwards)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


def _existing_ids(session: Session, table: str, ids: list[str]) -> set[str]:
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        marks = ", ".join("?" * len(ids))
        return {r[0] for r in connection.exec_driver_sql(f'SELECT id FROM "{table}" WHERE id IN ({marks})', tuple(ids))}
    model = MODELS[table]
    return {i.hex for i in session.scalars(select(model.id).where(model.id.in_([uuid.UUID(i) for i in ids])))}


def _apply_batch(ctx: _Context, table: str, rows: list[list[Any]], report: ApplyReport) -> None:
    session = ctx.session
    columns = shared_columns(table)
    id_at = columns.index("id")
    ids = [row[id_at] for row in rows]
    # rows inserted by earlier batches of this import are in the database already
    present = _existing_ids(session, table, ids)
    if not present and len(set(ids)) == len(ids):
        fresh = rows
    else:
        fresh, in_batch = [], set()
        for row in rows:
            if row[id_at] in present or row[id_at] in in_batch:
                values = decode_row(table, dict(zip(columns, row, strict=True)))
                report.add(_guarded(ctx, table, values, ctx.raw(table, row)))
            else:
                fresh.append(row)
                in_batch.add(row[id_at])
    ctx.trim_caches()
    if not fresh:
        return
    if table == "person":
        people, outcomes = _check_new_people(ctx, fresh)
        for outcome in outcomes:
            report.add(outcome)
        if people:
            _insert_people(ctx, people)
            ctx.created[table] += len(people)
            report.created(len(people))
        return
    ready, outcomes = _check_new(ctx, table, fresh)
    for outcome in outcomes:
        report.add(outcome)
    if ready:
        _insert_wire(session, table, ready, ctx.now)
        ctx.created[table] += len(ready)
        report.created(len(ready))


def _guarded(ctx: _Context, table: str, values: dict[str, Any], raw: dict[str, Any]) -> RecordOutcome:
    try:
        outcome = _apply_existing(ctx, table, values, raw)
        ctx.session.flush()
        return outcome
    except (ValidationError, ScopeError, LiaisonError) as exc:
        return RecordOutcome(table, str(values.get("id")), "error", exc.message)


def _record_id(row_id: str) -> str:
    return str(uuid.UUID(row_id))


def _check_new_people(ctx: _Context, fresh: list[list[Any]]) -> tuple[list[dict[str, Any]], list[RecordOutcome]]:
    """People to insert (validated as the form validates them), and the outcomes of those that
    are not (errors, duplicates of a 身份证号 already on file)."""
    session = ctx.session
    columns = shared_columns("person")
    number_at = columns.index("id_number")
    on_file = dict(session.execute(select(Person.id_number, Person.name).where(
        Person.id_number.in_([row[number_at] for row in fresh]))).all())
    outcomes: list[RecordOutcome] = []
    people: list[dict[str, Any]] = []
    decode = wire_decoder("person")
    for row in fresh:
        values = decode(row)
        try:
            _check_dates("person", values, ctx.today)
            ctx.ensure_area(values["area_id"].hex)
            merged = _validated_person(values, ctx.today)
        except (ValidationError, ScopeError, LiaisonError) as exc:
            outcomes.append(RecordOutcome("person", str(values["id"]), "error", exc.message))
            continue
        number = merged["id_number"]
        if number in on_file or number in ctx.numbers:
            outcomes.append(_hold_duplicate(ctx, values, ctx.raw("person", row), merged, on_file.get(number)))
            continue
        ctx.numbers.add(number)
        people.append(merged)
    return people, outcomes


def _check_new(ctx: _Context, table: str, fresh: list[list[Any]]) -> tuple[list[list[Any]], list[RecordOutcome]]:
    """Rows ready to insert, and the outcomes of those that are not (errors, held). A batch is
    checked column by column; only a batch with something wrong in it is gone through record
    by record, for the outcome of each."""
    columns = shared_columns(table)
    at = {name: k for k, name in enumerate(columns)}
    fks = _foreign_keys(table)
    cells = list(zip(*fresh, strict=True))
    _learn_references(ctx, table, fresh, at, cells, fks)
    people = _people_of(ctx, table, fresh, at, cells)
    clean = table != "institution"  # the county's institution codes are checked one by one
    for name in _date_columns(table):
        dates = [d for d in cells[at[name]] if d is not None]
        if dates and max(dates) > ctx.latest_date:
            clean = False
    if clean and table != "institution":
        distinct = set(people)
        allowed = ctx.allowed
        known = None not in distinct and distinct <= ctx.person_areas.keys() and distinct.isdisjoint(ctx.held)
        if not known or (allowed is not None and not {ctx.person_areas[p] for p in distinct} <= allowed):
            clean = False
    if clean:
        for column, target in fks:
            refs = set(cells[at[column]])
            refs.discard(None)
            if not refs <= ctx.known[target]:
                clean = False
    if clean:
        ready = fresh
        outcomes: list[RecordOutcome] = []
    else:
        ready, outcomes = [], []
        for row, person_id in zip(fresh, people, strict=True):
            outcome = _check_one(ctx, table, row, person_id, at, fks)
            if outcome is None:
                ready.append(row)
            else:
                outcomes.append(outcome)
    ctx.known[table].update(row[at["id"]] for row in ready)
    if table in ("modification_case", "rehab_referral"):
        person_at = at["person_id"]
        ctx.case_people.update((row[at["id"]], row[person_at]) for row in ready)
    return ready, outcomes


def _check_one(ctx: _Context, table: str, row: list[Any], person_id: str | None, at: dict[str, int],
               fks: list[tuple[str, str]]) -> RecordOutcome | None:
    """A new record's checks one by one: None if it may be inserted, else its outcome."""
    record_id = _record_id(row[at["id"]])
    if person_id in ctx.held:
        duplicate = ctx.held[person_id]
        duplicate.records = [*duplicate.records, [table, ctx.raw(table, row)]]
        return RecordOutcome(table, record_id, "held", _("随待核对的重复人员暂存"))
    try:
        for name in _date_columns(table):
            value = row[at[name]]
            if value is not None and value > ctx.latest_date:
                raise ValidationError.single(name, _("日期 {d} 晚于今天").format(d=value), name)
        if table == "institution" and row[at["code"]]:
            code = row[at["code"]]
            clash = ctx.session.scalar(select(Institution.name).where(Institution.code == code))
            if clash is not None:
                raise LiaisonError(_("定点机构编码 {c} 已被“{n}”使用").format(c=code, n=clash))
        if table != "institution":
            area = ctx.person_areas.get(person_id) if person_id is not None else None
            if area is None:
                raise LiaisonError(_("引用的人员档案不存在（记录 {r}）").format(r=record_id[:8]))
            ctx.ensure_area(area)
        for column, target in fks:
            ref = row[at[column]]
            if ref is not None and ref not in ctx.known[target]:
                raise LiaisonError(_("引用的{what}不存在（记录 {r}）").format(what=target, r=record_id[:8]))
    except (ValidationError, ScopeError, LiaisonError) as exc:
        return RecordOutcome(table, record_id, "error", exc.message)
    return None


@cache
def _foreign_keys(table: str) -> list[tuple[str, str]]:
    """(column, referenced table) of the columns that travel (a device's own accounts do not)."""
    shared = set(shared_columns(table))
    return [(column.name, fk.column.table.name) for column in MODELS[table].__table__.columns
            for fk in column.foreign_keys if column.name in shared]


def _people_of(ctx: _Context, table: str, fresh: list[list[Any]], at: dict[str, int],
               cells: list[tuple[Any, ...]]) -> list[str | None]:
    """The person each row belongs to (through its case for case items and events)."""
    if "person_id" in at:
        return list(cells[at["person_id"]])
    if "case_id" in at:
        return [ctx.case_people.get(case) for case in cells[at["case_id"]]]
    return [None] * len(fresh)


def _rows_by_id(session: Session, table: str, columns: tuple[str, ...], ids: set[str]) -> list[tuple[str, ...]]:
    """`columns` (UUIDs, as hex) of the rows of `table` with these ids, a few hundred at a time."""
    connection = session.connection()
    found: list[tuple[str, ...]] = []
    ordered = sorted(ids)
    t = Base.metadata.tables[table]
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        if connection.dialect.name == "sqlite":
            sql = f'SELECT {", ".join(columns)} FROM "{table}" WHERE id IN ({", ".join("?" * len(chunk))})'
            found += [tuple(r) for r in connection.exec_driver_sql(sql, tuple(chunk))]
        else:
            stmt = select(*[t.c[c] for c in columns]).where(t.c.id.in_([uuid.UUID(i) for i in chunk]))
            found += [tuple(v.hex for v in r) for r in session.execute(stmt)]
    return found


def _learn_references(ctx: _Context, table: str, fresh: list[list[Any]], at: dict[str, int],
                      cells: list[tuple[Any, ...]], fks: list[tuple[str, str]]) -> None:
    """Load, a batch at a time, which referenced rows exist (and the areas of the people)."""
    session = ctx.session
    if table in ("modification_item", "case_event"):
        kinds = cells[at["case_type"]] if table == "case_event" else ("modification",) * len(fresh)
        wanted_cases: dict[str, set[str]] = defaultdict(set)
        for case_id, kind in zip(cells[at["case_id"]], kinds, strict=True):
            if case_id not in ctx.case_people:
                wanted_cases[kind].add(case_id)
        for kind, refs in wanted_cases.items():
            case_table = "modification_case" if kind == CaseType.MODIFICATION.value else "rehab_referral"
            for case_id, person_id in _rows_by_id(session, case_table, ("id", "person_id"), refs):
                ctx.case_people[case_id] = person_id
    wanted: dict[str, set[str]] = defaultdict(set)
    for column, target in fks:
        wanted[target].update(cells[at[column]])
    if table != "institution":
        wanted["person"].update(_people_of(ctx, table, fresh, at, cells))
    for target, refs in wanted.items():
        refs.discard(None)
        refs -= ctx.known[target]
        if target == "person":
            refs |= {p for p in wanted["person"] if p is not None and p not in ctx.person_areas}
        if not refs:
            continue
        if target == "person":
            for person_id, area_id in _rows_by_id(session, "person", ("id", "area_id"), refs):
                ctx.known["person"].add(person_id)
                ctx.person_areas[person_id] = sys.intern(area_id)
        else:
            ctx.known[target].update(r[0] for r in _rows_by_id(session, target, ("id",), refs))


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
    ctx.held[values["id"].hex] = duplicate
    return RecordOutcome("person", str(values["id"]), "duplicate",
                         _("身份证号与已有档案“{n}”相同，待核对（迁入？录入错误？）").format(n=existing_name or other.name))


def _sqlite_converter(kind: Any) -> Callable[[Any], Any]:
    """A value in the form SQLAlchemy itself stores in SQLite (so queries match it exactly)."""
    if isinstance(kind, Uuid):
        return lambda v: None if v is None else v.hex
    if isinstance(kind, DateTime):
        return lambda v: None if v is None else v.strftime(DATETIME_TEXT)
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


def _insert_wire(session: Session, table: str, rows: list[list[Any]], now: str) -> None:
    """New records of a checked batch, inserted as they arrived (the positional form is what
    SQLite stores): only this workspace's own columns are added, as constants."""
    connection = session.connection()
    columns = shared_columns(table)
    if connection.dialect.name != "sqlite":
        insert_rows(session, MODELS[table].__table__,
                    [decode_row(table, dict(zip(columns, row, strict=True))) for row in rows])
        return
    names = ", ".join(f'"{name}"' for name in columns)
    sql = (f'INSERT INTO "{table}" ({names}, "updated_at", "row_version") '
           f"VALUES ({', '.join('?' * len(columns))}, '{now}', 1)")
    # the driver's own executemany: SQLAlchemy would want a tuple made of every row first
    _executemany(session, sql, rows)


def _insert_people(ctx: _Context, people: list[dict[str, Any]]) -> None:
    """New people with their search terms, an audit line each and the state now shared."""
    session = ctx.session
    start = int(session.scalar(select(func.coalesce(func.max(Person.search_no), 0))) or 0)
    if session.connection().dialect.name != "sqlite":
        _insert_people_core(ctx, people, start)
        return
    columns = shared_columns("person")
    encode = wire_encoder("person")
    stored = [encode([merged[c] for c in columns]) for merged in people]
    numbers = range(start + 1, start + 1 + len(people))
    names = ", ".join(f'"{c}"' for c in columns)
    _executemany(session, f'INSERT INTO person ({names}, name_sort, search_no, updated_at, row_version) '
                          f"VALUES ({', '.join('?' * len(columns))}, ?, ?, '{ctx.now}', 1)",
                 [[*row, merged["name_sort"], number] for row, merged, number in zip(stored, people, numbers, strict=True)])
    # in key order (the table is its own (term, search_no) index): each page of the index is
    # then visited once per batch, not once per term
    terms = sorted((term, number) for merged, number in zip(people, numbers, strict=True)
                   for term in search_terms(merged["name"], merged["id_number"], merged.get("phone")))
    _executemany(session, "INSERT INTO person_search_term (term, search_no) VALUES (?, ?)", terms)
    # the JSON form of what each person now is (audit.jsonable): the stored text but the area
    kept = [k for k, c in enumerate(columns) if c not in FIXED]
    pick, kept_names, area_at = itemgetter(*kept), [columns[k] for k in kept], columns.index("area_id")
    states = [dict(zip(kept_names, pick(row), strict=True)) for row in stored]
    for state, row in zip(states, stored, strict=True):
        state["area_id"] = str(uuid.UUID(row[area_at]))
    id_at = columns.index("id")
    actor = ctx.actor
    # one audit line each, chained in the stored text forms (the hash reads them as it reads
    # them back: ids and times are normalised, the changes compared as JSON)
    ids = [new_uuid().hex for _ in stored]
    changes = [audit.canonical_changes({k: [None, v] for k, v in state.items() if v is not None})
               for state in states]
    common = {"at": ctx.now, "user_id": actor.user_id, "username": actor.username[:40],
              "device_id": actor.device_id, "entity": "person", "action": "sync-create", "reason": ctx.reason}
    links = audit.chain_uniform(session, common, zip(ids, (row[id_at] for row in stored), changes, strict=True))
    user = actor.user_id.hex if actor.user_id is not None else None
    _executemany(session, "INSERT INTO audit_event (seq, id, at, user_id, username, device_id, entity, entity_id, "
                          "action, changes, reason, prev_hash, hash) "
                          "VALUES (?, ?, ?, ?, ?, ?, 'person', ?, 'sync-create', ?, ?, ?, ?)",
                 [(seq, event_id, ctx.now, user, common["username"], actor.device_id, row[id_at], change,
                   ctx.reason, prev_hash, this_hash)
                  for (seq, prev_hash, this_hash), event_id, row, change in zip(links, ids, stored, changes, strict=True)])
    _executemany(session, "INSERT INTO sync_base (entity, entity_id, \"values\") VALUES ('person', ?, ?)",
                 [(row[id_at], json.dumps(state, ensure_ascii=False)) for row, state in zip(stored, states, strict=True)])
    for row in stored:
        ctx.known["person"].add(row[id_at])
        ctx.person_areas[row[id_at]] = sys.intern(row[area_at])


def _executemany(session: Session, sql: str, rows: list[Any]) -> None:
    """The driver's own executemany, inside the session's transaction."""
    if not rows:
        return
    cursor = session.connection().connection.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def _insert_people_core(ctx: _Context, people: list[dict[str, Any]], start: int) -> None:
    """`_insert_people` on a database other than SQLite, through SQLAlchemy Core."""
    session = ctx.session
    rows = []
    for k, merged in enumerate(people, start=start + 1):
        row = {k: v for k, v in merged.items() if k not in LOCAL or k == "name_sort"}
        row["search_no"] = k
        rows.append(row)
    insert_rows(session, Person.__table__, rows)
    insert_rows(session, PersonSearchTerm.__table__, [
        {"term": term, "search_no": row["search_no"]} for row in rows
        for term in search_terms(row["name"], row["id_number"], row.get("phone"))])
    shared = [(name, _jsonable_of(Person.__table__.c[name].type)) for name in shared_columns("person")
              if name not in FIXED]
    states = [{name: convert(row[name]) for name, convert in shared} for row in rows]
    now = utcnow()
    insert_rows(session, AuditEvent.__table__, audit.chain_rows(session, [
        {"id": new_uuid(), "at": now, "user_id": ctx.actor.user_id, "username": ctx.actor.username[:40],
         "device_id": ctx.actor.device_id, "entity": "person", "entity_id": row["id"], "action": "sync-create",
         "changes": {k: [None, v] for k, v in state.items() if v is not None}, "reason": ctx.reason}
        for row, state in zip(rows, states, strict=True)
    ]))
    insert_rows(session, SyncBase.__table__, [
        {"entity": "person", "entity_id": row["id"], "values": state} for row, state in zip(rows, states, strict=True)
    ])
    for row in rows:
        ctx.known["person"].add(row["id"].hex)
        ctx.person_areas[row["id"].hex] = row["area_id"].hex


def _jsonable_of(kind: Any) -> Callable[[Any], Any]:
    """`audit.jsonable` for one column's type, chosen once."""
    if isinstance(kind, Uuid):
        return lambda v: None if v is None else str(v)
    if isinstance(kind, Date | DateTime):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(kind, Enum):
        return lambda v: None if v is None else v.value
    return _plain


def _plain(value: Any) -> Any:
    return value


def _person_of(table: str, values: dict[str, Any], session: Session) -> uuid.UUID | None:
    if table == "person":
        return values["id"]
    if "person_id" in values:
        return values["person_id"]
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
    if person_id is not None and person_id.hex in ctx.held and table != "person":
        duplicate = ctx.held[person_id.hex]
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

