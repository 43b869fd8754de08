"""Home visits: recording one with its needs and follow-ups, resolving needs, closing
follow-ups, listing visits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from liaison.core.enums import (
    CaseType,
    OPEN_NEED_STATUSES,
    ContactMode,
    FollowUpStatus,
    NeedKind,
    NeedStatus,
    PersonStatus,
    VisitKind,
    label,
)
from liaison.core.errors import NotFoundError, StaleRecordError, ValidationError
from liaison.core.i18n import _
from liaison.core.models import FollowUp, Need, Person, Visit
from liaison.core.services import audit
from liaison.core.services.context import Actor, restrict_to_scope
from liaison.core.services.persons import load_person
from liaison.core.uow import UnitOfWork

FIELD_LABELS = {
    "visit_date": "走访日期",
    "kind": "走访类型",
    "contact_mode": "联系方式",
    "lost_reason": "失访原因",
    "visitor_name": "走访人",
    "findings": "走访情况",
    "safety_risks": "安全隐患",
    "household_income_fen": "家庭年收入",
    "household_size": "家庭人口",
    "person": "走访对象",
}
MAX_TEXT = 2000
MAX_YEARLY_INCOME_FEN = 100_000_000  # 1,000,000 元 a year: above is a typing error
RESOLVED_STATUSES = frozenset({NeedStatus.MET, NeedStatus.DECLINED, NeedStatus.UNREACHABLE})


@dataclass
class NeedInput:
    kind: NeedKind
    detail: str | None = None


@dataclass
class FollowUpInput:
    action: str
    due_on: date
    # index into VisitInput.needs when the action serves a need raised in the same visit
    need_index: int | None = None
    need_id: uuid.UUID | None = None


@dataclass
class NeedUpdate:
    """A change to an existing need during a visit (resolved, declined, in service …)."""

    need_id: uuid.UUID
    status: NeedStatus
    note: str | None = None


@dataclass
class VisitInput:
    person_id: uuid.UUID
    visit_date: date
    kind: VisitKind
    contact_mode: ContactMode
    visitor_name: str
    lost_reason: str | None = None
    findings: str | None = None
    safety_risks: str | None = None
    household_income_fen: int | None = None
    household_size: int | None = None
    needs: list[NeedInput] = field(default_factory=list)
    follow_ups: list[FollowUpInput] = field(default_factory=list)
    need_updates: list[NeedUpdate] = field(default_factory=list)


@dataclass(frozen=True)
class VisitSaved:
    visit_id: uuid.UUID
    need_ids: tuple[uuid.UUID, ...]
    follow_up_ids: tuple[uuid.UUID, ...]
    updated_need_ids: tuple[uuid.UUID, ...]


def _labels(errors: dict[str, str]) -> dict[str, str]:
    return {k: _(FIELD_LABELS.get(k, k)) for k in errors}


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _validate_visit(data: VisitInput, person: Person, today: date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.visit_date > today:
        errors["visit_date"] = _("不能晚于今天")
    elif data.visit_date < person.birth_date:
        errors["visit_date"] = _("不能早于走访对象的出生日期")
    if person.status is PersonStatus.DECEASED and data.visit_date > (person.status_on or today):
        errors["person"] = _("该人员已于 {on} 死亡，不能再登记走访").format(on=person.status_on)
    try:
        VisitKind(data.kind)
    except ValueError:
        errors["kind"] = _("未知的走访类型")
    try:
        mode = ContactMode(data.contact_mode)
    except ValueError:
        errors["contact_mode"] = _("未知的联系方式")
    else:
        if mode is ContactMode.LOST and not _text(data.lost_reason):
            errors["lost_reason"] = _("失访时必须填写原因")
        if mode is not ContactMode.LOST and _text(data.lost_reason):
            errors["lost_reason"] = _("只有失访时才填写失访原因")
    name = _text(data.visitor_name)
    if name is None:
        errors["visitor_name"] = _("不能为空")
    elif len(name) > 50:
        errors["visitor_name"] = _("不能超过 50 个字")
    for key in ("findings", "safety_risks"):
        text = _text(getattr(data, key))
        if text is not None and len(text) > MAX_TEXT:
            errors[key] = _("不能超过 {n} 个字").format(n=MAX_TEXT)
    if (lost := _text(data.lost_reason)) is not None and len(lost) > 200:
        errors["lost_reason"] = _("不能超过 200 个字")
    income = data.household_income_fen
    if income is not None and not 0 <= income <= MAX_YEARLY_INCOME_FEN:
        errors["household_income_fen"] = _("应在 0 到 1,000,000 元之间")
    size = data.household_size
    if size is not None and not 1 <= size <= 30:
        errors["household_size"] = _("应在 1 到 30 人之间")
    if data.kind == VisitKind.INCOME_MONITORING and income is None:
        errors["household_income_fen"] = _("收入状况监测必须填写家庭年收入")
    for i, need in enumerate(data.needs, start=1):
        try:
            NeedKind(need.kind)
        except ValueError:
            errors[f"needs[{i}].kind"] = _("第 {i} 项需求：未知的需求类型").format(i=i)
        detail = _text(need.detail)
        if detail is not None and len(detail) > MAX_TEXT:
            errors[f"needs[{i}].detail"] = _("第 {i} 项需求：说明不能超过 {n} 个字").format(i=i, n=MAX_TEXT)
    for i, fu in enumerate(data.follow_ups, start=1):
        action = _text(fu.action)
        if action is None:
            errors[f"follow_ups[{i}].action"] = _("第 {i} 项跟进事项：内容不能为空").format(i=i)
        elif len(action) > 200:
            errors[f"follow_ups[{i}].action"] = _("第 {i} 项跟进事项：内容不能超过 200 个字").format(i=i)
        if fu.due_on < data.visit_date:
            errors[f"follow_ups[{i}].due_on"] = _("第 {i} 项跟进事项：期限不能早于走访日期").format(i=i)
        if fu.need_index is not None and fu.need_id is not None:
            errors[f"follow_ups[{i}].need_id"] = _(
                "第 {i} 项跟进事项：只能对应本次提出的需求或已有的需求之一，不能同时指定").format(i=i)
        elif fu.need_index is not None and not 0 <= fu.need_index < len(data.needs):
            errors[f"follow_ups[{i}].need_index"] = _("第 {i} 项跟进事项：对应的需求不存在").format(i=i)
    return errors


def record_visit(
    uow: UnitOfWork, actor: Actor, data: VisitInput, *, today: date | None = None
) -> VisitSaved:
    """Save a visit, the needs it raised, the follow-ups it promised and the needs it settled,
    all in the caller's transaction: either all of it is stored or none."""
    today = today or date.today()
    person = load_person(uow, actor, data.person_id)
    errors = _validate_visit(data, person, today)
    existing_needs: dict[uuid.UUID, Need] = {}
    for i, upd in enumerate(data.need_updates, start=1):
        need = uow.session.get(Need, upd.need_id)
        key = f"need_updates[{i}]"
        if need is None or need.person_id != person.id:
            errors[key] = _("第 {i} 项需求处理：该需求不属于此人").format(i=i)
            continue
        if need.id in existing_needs:
            # each update is checked against the stored status, so a second one would skip it
            errors[key] = _("第 {i} 项需求处理：同一需求在一次走访中只能处理一次").format(i=i)
            continue
        existing_needs[need.id] = need
        if data.visit_date < need.raised_on:
            errors[key] = _("第 {i} 项需求处理：走访日期早于需求提出日期 {on}").format(
                i=i, on=need.raised_on)
            continue
        try:
            _check_need_transition(need, NeedStatus(upd.status), upd.note)
        except ValidationError as exc:
            errors[key] = _("第 {i} 项需求处理：{msg}").format(i=i, msg="；".join(exc.errors.values()))
    for i, fu in enumerate(data.follow_ups, start=1):
        if fu.need_id is not None and fu.need_index is None:
            need = uow.session.get(Need, fu.need_id)
            if need is None or need.person_id != person.id:
                errors[f"follow_ups[{i}].need_id"] = _("第 {i} 项跟进事项：对应的需求不属于此人").format(i=i)
    if errors:
        raise ValidationError(errors, _labels(errors))

    session = uow.session
    visit = Visit(
        person_id=person.id,
        visit_date=data.visit_date,
        kind=VisitKind(data.kind),
        contact_mode=ContactMode(data.contact_mode),
        lost_reason=_text(data.lost_reason),
        visitor_name=_text(data.visitor_name) or "",
        visitor_user_id=actor.user_id,
        findings=_text(data.findings),
        safety_risks=_text(data.safety_risks),
        household_income_fen=data.household_income_fen,
        household_size=data.household_size,
        origin_device=actor.device_id,
    )
    session.add(visit)
    session.flush()
    audit.record_created(
        session,
        actor,
        visit,
        ("person_id", "visit_date", "kind", "contact_mode", "lost_reason", "visitor_name",
         "findings", "safety_risks", "household_income_fen", "household_size"),
    )
    new_needs: list[Need] = []
    for need_in in data.needs:
        need = Need(
            person_id=person.id,
            kind=NeedKind(need_in.kind),
            detail=_text(need_in.detail),
            raised_on=data.visit_date,
            raised_visit_id=visit.id,
            status=NeedStatus.OPEN,
            status_on=data.visit_date,
            origin_device=actor.device_id,
        )
        session.add(need)
        new_needs.append(need)
    session.flush()
    for need in new_needs:
        audit.record_created(session, actor, need, ("person_id", "kind", "detail", "raised_on", "raised_visit_id", "status"))
    follow_ups: list[FollowUp] = []
    for fu in data.follow_ups:
        need_id = new_needs[fu.need_index].id if fu.need_index is not None else fu.need_id
        item = FollowUp(
            visit_id=visit.id,
            person_id=person.id,
            need_id=need_id,
            action=_text(fu.action) or "",
            due_on=fu.due_on,
            status=FollowUpStatus.OPEN,
            origin_device=actor.device_id,
        )
        session.add(item)
        follow_ups.append(item)
    session.flush()
    for item in follow_ups:
        audit.record_created(session, actor, item, ("visit_id", "person_id", "need_id", "action", "due_on"))
    for upd in data.need_updates:
        apply_need_status(uow, actor, existing_needs[upd.need_id], NeedStatus(upd.status),
                           on=data.visit_date, note=upd.note, visit_id=visit.id)
    return VisitSaved(
        visit.id,
        tuple(n.id for n in new_needs),
        tuple(f.id for f in follow_ups),
        tuple(existing_needs),
    )


def _check_need_transition(need: Need, status: NeedStatus, note: str | None) -> None:
    if status is need.status:
        raise ValidationError.single("status", _("需求已是“{s}”状态").format(s=label(status)), _("需求状态"))
    if need.status in RESOLVED_STATUSES and status in RESOLVED_STATUSES:
        raise ValidationError.single(
            "status", _("需求已办结（{s}），如需重新跟进请先改为待办").format(s=label(need.status)),
            _("需求状态"),
        )
    if status in (NeedStatus.DECLINED, NeedStatus.UNREACHABLE) and not _text(note):
        raise ValidationError.single("note", _("“{s}”必须写明原因").format(s=label(status)), _("说明"))
    if note is not None and len(note) > 200:
        raise ValidationError.single("note", _("不能超过 200 个字"), _("说明"))


def apply_need_status(
    uow: UnitOfWork,
    actor: Actor,
    need: Need,
    status: NeedStatus,
    *,
    on: date,
    note: str | None,
    visit_id: uuid.UUID | None,
) -> None:
    resolved = status in RESOLVED_STATUSES
    values = {
        "status": status,
        "status_on": on,
        "resolved_on": on if resolved else None,
        "resolution": _text(note) if resolved else need.resolution,
        "resolved_visit_id": visit_id if resolved else None,
    }
    changes = audit.diff({k: getattr(need, k) for k in values}, values)
    for key, value in values.items():
        setattr(need, key, value)
    uow.session.flush()
    audit.record(uow.session, actor, entity="need", entity_id=need.id, action="status",
                 changes=changes, reason=_text(note))


def set_need_status(
    uow: UnitOfWork,
    actor: Actor,
    need_id: uuid.UUID,
    status: NeedStatus,
    *,
    on: date,
    note: str | None = None,
    visit_id: uuid.UUID | None = None,
    expected_version: int | None = None,
    today: date | None = None,
) -> None:
    """Move a need along (referred, in service) or settle it (met, declined, unreachable)."""
    today = today or date.today()
    need = uow.session.get(Need, need_id)
    if need is None:
        raise NotFoundError(_("找不到该需求"))
    person = load_person(uow, actor, need.person_id)
    if expected_version is not None and need.row_version != expected_version:
        raise StaleRecordError(_("“{name}”的需求").format(name=person.name))
    status = NeedStatus(status)
    _check_need_transition(need, status, note)
    if on > today:
        raise ValidationError.single("status_on", _("不能晚于今天"), _("日期"))
    if on < need.raised_on:
        raise ValidationError.single("status_on", _("不能早于需求提出日期"), _("日期"))
    apply_need_status(uow, actor, need, status, on=on, note=note, visit_id=visit_id)


def complete_follow_up(
    uow: UnitOfWork,
    actor: Actor,
    follow_up_id: uuid.UUID,
    *,
    on: date,
    outcome: str | None = None,
    cancelled: bool = False,
    today: date | None = None,
) -> None:
    today = today or date.today()
    item = uow.session.get(FollowUp, follow_up_id)
    if item is None:
        raise NotFoundError(_("找不到该跟进事项"))
    load_person(uow, actor, item.person_id)
    if item.status is not FollowUpStatus.OPEN:
        raise ValidationError.single("status", _("该事项已是“{s}”状态").format(s=label(item.status)), _("跟进事项"))
    if on > today:
        raise ValidationError.single("done_on", _("不能晚于今天"), _("完成日期"))
    visit = uow.session.get(Visit, item.visit_id) if item.visit_id is not None else None
    if visit is not None and on < visit.visit_date:
        raise ValidationError.single("done_on", _("不能早于提出该事项的走访日期 {on}").format(
            on=visit.visit_date), _("完成日期"))
    if cancelled and not _text(outcome):
        raise ValidationError.single("outcome", _("取消时必须写明原因"), _("说明"))
    values = {
        "status": FollowUpStatus.CANCELLED if cancelled else FollowUpStatus.DONE,
        "done_on": on,
        "outcome": _text(outcome),
    }
    changes = audit.diff({k: getattr(item, k) for k in values}, values)
    for key, value in values.items():
        setattr(item, key, value)
    uow.session.flush()
    audit.record(uow.session, actor, entity="follow_up", entity_id=item.id, action="status", changes=changes)
    if item.case_type is CaseType.REFERRAL and item.case_id is not None and not cancelled:
        from liaison.core.services.referrals import note_revisit  # referrals builds on this module

        note_revisit(uow, actor, item.case_id, on=on, outcome=_text(outcome))


@dataclass(frozen=True)
class VisitRow:
    id: uuid.UUID
    person_id: uuid.UUID
    person_name: str
    visit_date: date
    kind: VisitKind
    contact_mode: ContactMode
    visitor_name: str
    findings: str | None
    needs_raised: int


def list_visits(
    uow: UnitOfWork,
    actor: Actor,
    *,
    area_ids: frozenset[uuid.UUID] | None = None,
    month: tuple[int, int] | None = None,
    kind: VisitKind | None = None,
    visitor_name: str | None = None,
    person_id: uuid.UUID | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[VisitRow]:
    """Visits newest first, filtered by area, month, kind, visitor or person."""
    needs = (
        select(Need.raised_visit_id, func.count().label("n"))
        .where(Need.raised_visit_id.is_not(None))
        .group_by(Need.raised_visit_id)
        .subquery()
    )
    stmt = (
        select(Visit, Person.name, func.coalesce(needs.c.n, 0))
        .join(Person, Person.id == Visit.person_id)
        .outerjoin(needs, needs.c.raised_visit_id == Visit.id)
    )
    areas = restrict_to_scope(uow, actor, area_ids)
    if areas is not None:
        stmt = stmt.where(Person.area_id.in_(areas))
    if person_id is not None:
        stmt = stmt.where(Visit.person_id == person_id)
    if month is not None:
        year, mon = month
        start = date(year, mon, 1)
        end = date(year + (mon == 12), mon % 12 + 1, 1)
        stmt = stmt.where(Visit.visit_date >= start, Visit.visit_date < end)
    if kind is not None:
        stmt = stmt.where(Visit.kind == kind)
    if visitor_name:
        stmt = stmt.where(Visit.visitor_name == visitor_name)
    stmt = stmt.order_by(Visit.visit_date.desc(), Visit.created_at.desc()).limit(limit).offset(offset)
    return [
        VisitRow(v.id, v.person_id, name, v.visit_date, v.kind, v.contact_mode, v.visitor_name,
                 v.findings, n)
        for v, name, n in uow.session.execute(stmt)
    ]


def open_needs(uow: UnitOfWork, actor: Actor, person_id: uuid.UUID) -> list[Need]:
    person = load_person(uow, actor, person_id)
    return list(
        uow.session.scalars(
            select(Need)
            .where(Need.person_id == person.id, Need.status.in_(OPEN_NEED_STATUSES))
            .order_by(Need.raised_on)
        )
    )



def open_follow_ups(uow: UnitOfWork, actor: Actor, person_id: uuid.UUID) -> list[FollowUp]:
    """The person's follow-ups still to do, soonest first."""
    person = load_person(uow, actor, person_id)
    return list(
        uow.session.scalars(
            select(FollowUp)
            .where(FollowUp.person_id == person.id, FollowUp.status == FollowUpStatus.OPEN)
            .order_by(FollowUp.due_on)
        )
    )


def visitor_names(
    uow: UnitOfWork, actor: Actor, *, area_ids: frozenset[uuid.UUID] | None = None
) -> list[str]:
    """Everyone who has recorded a visit in these areas, for the visit list's filter."""
    stmt = select(Visit.visitor_name).join(Person, Person.id == Visit.person_id).distinct()
    areas = restrict_to_scope(uow, actor, area_ids)
    if areas is not None:
        stmt = stmt.where(Person.area_id.in_(areas))
    return sorted(name for name in uow.session.scalars(stmt) if name)
