"""Applying records that arrived from another workspace: the same checks as a form (validation,
area scope), an audit line per change, and a three-way comparison with the values last
exchanged so that a field changed on both sides becomes a conflict for a person to decide —
never a silent overwrite. A person whose 身份证号 is already on file under another record is
held back as a duplicate case, with everything that belongs to them.

Records are upserted by UUID: applying the same records again changes nothing.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, select
from sqlalchemy.orm import Session

from liaison.core.enums import CaseType, PersonStatus
from liaison.core.errors import LiaisonError, ScopeError, ValidationError
from liaison.core.i18n import _
from liaison.core.models import (
    CaseEvent,
    FollowUp,
    HomeModificationCase,
    Institution,
    ModificationItem,
    Need,
    Person,
    RehabReferral,
    SyncBase,
    SyncConflict,
    SyncDuplicate,
    Visit,
)
from liaison.core.models.base import utcnow
from liaison.core.services import audit
from liaison.core.services.context import Actor, ensure_area_in_scope
from liaison.core.services.persons import (
    PersonInput,
    next_search_no,
    parse_components,
    refresh_search_terms,
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
STATUS_FIELDS = ("status", "status_on", "status_reason")


@dataclass(frozen=True)
class RecordOutcome:
    table: str
    record_id: str
    action: str  # created / updated / unchanged / conflict / duplicate / held / error
    detail: str = ""
    fields: tuple[str, ...] = ()


@dataclass
class ApplyReport:
    outcomes: list[RecordOutcome] = field(default_factory=list)

    @property
    def counts(self) -> Counter[str]:
        return Counter(o.action for o in self.outcomes)

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


class _Context:
    def __init__(self, uow: UnitOfWork, actor: Actor, device_id: str, package_id: str, today: date) -> None:
        self.uow, self.actor, self.device_id, self.package_id, self.today = uow, actor, device_id, package_id, today
        self.held: dict[uuid.UUID, SyncDuplicate] = {}  # incoming person id → its duplicate case
        self.reason = _("同步数据包 {p}").format(p=package_id[:8])

    @property
    def session(self) -> Session:
        return self.uow.session


def apply_records(
    uow: UnitOfWork,
    actor: Actor,
    records: list[tuple[str, dict[str, Any], dict[str, Any]]],
    *,
    device_id: str,
    package_id: str,
    today: date,
) -> ApplyReport:
    """Apply (table, decoded values, raw JSON row) records in order; every outcome reported.

    The caller commits or rolls back: with any "error" outcome an import is all-or-nothing."""
    ctx = _Context(uow, actor, device_id, package_id, today)
    report = ApplyReport()
    for existing in uow.session.scalars(select(SyncDuplicate).where(SyncDuplicate.status == "open")):
        ctx.held[existing.incoming_person_id] = existing
    for table, values, raw in records:
        try:
            outcome = _apply_one(ctx, table, values, raw)
        except (ValidationError, ScopeError, LiaisonError) as exc:
            outcome = RecordOutcome(table, str(values.get("id")), "error", exc.message)
        report.outcomes.append(outcome)
        if outcome.action != "error":
            uow.session.flush()
    return report


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


def _apply_one(ctx: _Context, table: str, values: dict[str, Any], raw: dict[str, Any]) -> RecordOutcome:
    session = ctx.session
    model = MODELS[table]
    record_id = values["id"]
    person_id = _person_of(table, values, session)
    if person_id in ctx.held and table != "person":
        duplicate = ctx.held[person_id]
        duplicate.records = [*duplicate.records, [table, raw]]
        return RecordOutcome(table, str(record_id), "held", _("随待核对的重复人员暂存"))
    _check_dates(table, values, ctx.today)
    existing = session.get(model, record_id)
    if table == "institution":
        # the county's list of designated institutions: no person, no area scope
        if existing is None and values.get("code"):
            clash = session.scalar(select(Institution.name).where(Institution.code == values["code"]))
            if clash is not None:
                raise LiaisonError(_("定点机构编码 {c} 已被“{n}”使用").format(c=values["code"], n=clash))
    elif table == "person":
        ensure_area_in_scope(ctx.uow, ctx.actor, values["area_id"])
        if existing is None:
            return _new_person(ctx, values, raw)
    else:
        _check_references(ctx, table, values, person_id)
    if existing is None:
        obj = model(**{k: v for k, v in values.items() if k not in LOCAL})
        session.add(obj)
        session.flush()
        audit.record(session, ctx.actor, entity=table, entity_id=record_id, action="sync-create",
                     changes={k: [None, _jsonable(v)] for k, v in values.items() if v is not None and k not in FIXED},
                     reason=ctx.reason)
        remember_base(session, table, record_id, values)
        return RecordOutcome(table, str(record_id), "created")
    if table == "person":
        ensure_area_in_scope(ctx.uow, ctx.actor, existing.area_id)
    return _merge(ctx, table, existing, values)


def _check_dates(table: str, values: dict[str, Any], today: date) -> None:
    limit = today + timedelta(days=1)  # a day of clock difference between PCs
    for column in MODELS[table].__table__.columns:
        value = values.get(column.name)
        if isinstance(column.type, Date) and value is not None and value > limit and column.name not in (
                "cert_valid_until", "due_on"):
            raise ValidationError.single(column.name, _("日期 {d} 晚于今天").format(d=value), column.name)


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


def _new_person(ctx: _Context, values: dict[str, Any], raw: dict[str, Any]) -> RecordOutcome:
    session = ctx.session
    merged = _validated_person(values, ctx.today)
    other = session.scalars(select(Person).where(Person.id_number == merged["id_number"])).first()
    if other is not None:
        duplicate = SyncDuplicate(
            id_number=merged["id_number"], existing_person_id=other.id, incoming_person_id=values["id"],
            device_id=ctx.device_id, package_id=ctx.package_id, records=[["person", raw]], status="open",
        )
        session.add(duplicate)
        ctx.held[values["id"]] = duplicate
        return RecordOutcome("person", str(values["id"]), "duplicate",
                             _("身份证号与已有档案“{n}”相同，待核对（迁入？录入错误？）").format(n=other.name))
    stored = {k: v for k, v in merged.items() if k not in LOCAL or k == "name_sort"}
    person = Person(**stored, search_no=next_search_no())
    session.add(person)
    session.flush()
    refresh_search_terms(session, person)
    audit.record(session, ctx.actor, entity="person", entity_id=person.id, action="sync-create",
                 changes={k: [None, _jsonable(v)] for k, v in merged.items()
                          if v is not None and k not in FIXED and k not in LOCAL},
                 reason=ctx.reason)
    remember_base(session, "person", person.id, values)
    return RecordOutcome("person", str(person.id), "created")


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
        return RecordOutcome(table, str(obj.id), "conflict", _("双方都改了：{f}").format(f="、".join(conflicts)),
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

