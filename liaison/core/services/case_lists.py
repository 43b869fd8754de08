"""Reading cases: the lists per workflow with counts per stage, one case with its timeline and
the steps it may take next, and the cases behind a person or a need."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from liaison.core.enums import (
    CaseType,
    DeviceStep,
    ModificationStage,
    ReferralServiceKind,
    ReferralState,
    label,
)
from liaison.core.files import FileStore
from liaison.core.i18n import _
from liaison.core.models import (
    HomeModificationCase,
    Institution,
    ModificationItem,
    Need,
    Person,
    RehabReferral,
)
from liaison.core.rules.config import RuleConfig
from liaison.core.rules.idnumber import mask_id_number
from liaison.core.rules.money import format_yuan
from liaison.core.rules.workflows import (
    MODIFICATION,
    Transition,
    Workflow,
)
from liaison.core.services.areas import area_directory
from liaison.core.services.attachments import AttachmentRow, list_attachments
from liaison.core.services.case_common import TimelineEntry, timeline
from liaison.core.services.context import Actor, restrict_to_scope
from liaison.core.services.modifications import cap_warning, load_modification
from liaison.core.services.persons import load_person
from liaison.core.services.referrals import load_referral, position_of, workflow_of
from liaison.core.uow import UnitOfWork


@dataclass
class CaseFilter:
    year: int | None = None  # the year applied (改造) or referred (转介)
    area_ids: frozenset[uuid.UUID] | None = None  # an area and everything below it
    stage: str | None = None  # a ModificationStage / ReferralState value
    overdue_only: bool = False
    service_kind: ReferralServiceKind | None = None  # referrals only
    person_id: uuid.UUID | None = None


@dataclass(frozen=True)
class CaseRow:
    case_type: CaseType
    id: uuid.UUID
    person_id: uuid.UUID
    person_name: str
    village: str
    need_id: uuid.UUID | None
    stage: str  # ModificationStage or ReferralState value
    stage_label: str
    step_label: str  # 辅具适配: the device step; otherwise the stage again
    stage_on: date
    started_on: date
    days_in_stage: int
    overdue: bool  # longer in the stage than the rule table allows
    amount_fen: int | None  # estimate/actual cost (改造) or cost (转介)
    detail: str  # service kind and institution (转介), contractor (改造)
    person_name_sort: str  # the person's stored pinyin sort key (persons.name_sort_key)


@dataclass(frozen=True)
class CaseList:
    rows: list[CaseRow]
    counts: dict[str, int]  # per stage, over the filter without its stage and overdue parts
    overdue: int  # among the counted
    total: int


def _overdue_days(
    rules: RuleConfig, case_type: CaseType, position: str, device: bool
) -> int | None:
    if case_type is CaseType.MODIFICATION:
        return rules.modification.stage_days.get(position)
    if device:
        return rules.referral.device_step_days.get(position)
    return rules.referral.stage_days.get(position)


def _finish(rows: list[CaseRow], flt: CaseFilter) -> CaseList:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.stage] = counts.get(row.stage, 0) + 1
    overdue = sum(1 for row in rows if row.overdue)
    shown = [
        r
        for r in rows
        if (flt.stage is None or r.stage == flt.stage) and (not flt.overdue_only or r.overdue)
    ]
    shown.sort(
        key=lambda r: (
            not r.overdue,
            -r.days_in_stage if r.overdue else 0,
            r.stage_on,
            r.person_name,
        )
    )
    return CaseList(shown, counts, overdue, len(rows))


def list_modifications(
    uow: UnitOfWork, actor: Actor, flt: CaseFilter, *, rules: RuleConfig, today: date
) -> CaseList:
    scope = restrict_to_scope(uow, actor, flt.area_ids)
    stmt = select(HomeModificationCase, Person.name, Person.area_id, Person.name_sort).join(
        Person, Person.id == HomeModificationCase.person_id
    )
    if flt.year is not None:
        stmt = stmt.where(HomeModificationCase.year == flt.year)
    if flt.person_id is not None:
        stmt = stmt.where(HomeModificationCase.person_id == flt.person_id)
    if scope is not None:
        stmt = stmt.where(Person.area_id.in_(scope))
    directory = area_directory(uow)
    rows = []
    for case, name, area_id, name_sort in uow.session.execute(stmt):
        days = (today - case.stage_on).days
        limit = _overdue_days(rules, CaseType.MODIFICATION, case.stage.value, False)
        info = directory.get(area_id)
        rows.append(
            CaseRow(
                CaseType.MODIFICATION,
                case.id,
                case.person_id,
                name,
                info.full_name if info else "",
                case.need_id,
                case.stage.value,
                label(case.stage),
                label(case.stage),
                case.stage_on,
                case.applied_on,
                days,
                limit is not None and days > limit,
                case.actual_cost_fen if case.actual_cost_fen is not None else case.estimate_fen,
                case.contractor or "",
                name_sort,
            )
        )
    return _finish(rows, flt)


def list_referrals(
    uow: UnitOfWork, actor: Actor, flt: CaseFilter, *, rules: RuleConfig, today: date
) -> CaseList:
    scope = restrict_to_scope(uow, actor, flt.area_ids)
    stmt = (
        select(RehabReferral, Person.name, Person.area_id, Institution.name, Person.name_sort)
        .join(Person, Person.id == RehabReferral.person_id)
        .outerjoin(Institution, Institution.id == RehabReferral.institution_id)
    )
    if flt.year is not None:
        stmt = stmt.where(
            RehabReferral.referred_on.between(date(flt.year, 1, 1), date(flt.year, 12, 31))
        )
    if scope is not None:
        stmt = stmt.where(Person.area_id.in_(scope))
    if flt.person_id is not None:
        stmt = stmt.where(RehabReferral.person_id == flt.person_id)
    if flt.service_kind is not None:
        stmt = stmt.where(RehabReferral.service_kind == ReferralServiceKind(flt.service_kind))
    directory = area_directory(uow)
    rows = []
    for referral, name, area_id, institution, name_sort in uow.session.execute(stmt):
        device = referral.service_kind is ReferralServiceKind.DEVICE_FITTING
        position = position_of(referral)
        days = (today - referral.state_on).days
        limit = _overdue_days(rules, CaseType.REFERRAL, position, device)
        info = directory.get(area_id)
        step = workflow_of(referral).state_label(position)
        detail = label(referral.service_kind) + (f" · {institution}" if institution else "")
        rows.append(
            CaseRow(
                CaseType.REFERRAL,
                referral.id,
                referral.person_id,
                name,
                info.full_name if info else "",
                referral.need_id,
                referral.state.value,
                label(referral.state),
                step,
                referral.state_on,
                referral.referred_on,
                days,
                limit is not None and days > limit,
                referral.cost_fen,
                detail,
                name_sort,
            )
        )
    return _finish(rows, flt)


def list_cases(
    uow: UnitOfWork,
    actor: Actor,
    case_type: CaseType,
    flt: CaseFilter,
    *,
    rules: RuleConfig,
    today: date,
) -> CaseList:
    if CaseType(case_type) is CaseType.MODIFICATION:
        return list_modifications(uow, actor, flt, rules=rules, today=today)
    return list_referrals(uow, actor, flt, rules=rules, today=today)


def stage_choices(case_type: CaseType) -> list[tuple[str, str]]:
    """(value, label) of every stage of a workflow, in order, for filters and count columns."""
    members = ModificationStage if CaseType(case_type) is CaseType.MODIFICATION else ReferralState
    return [(m.value, label(m)) for m in members]


# --- one case -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRow:
    code: str
    name: str
    unit: str | None
    quantity: int
    unit_cost_fen: int
    estimate_fen: int


@dataclass(frozen=True)
class CaseView:
    case_type: CaseType
    id: uuid.UUID
    row_version: int
    person_id: uuid.UUID
    person_name: str
    id_number_masked: str
    village: str
    need_id: uuid.UUID | None
    need_label: str
    position: str  # where it stands in its workflow (stage, or device step)
    position_label: str
    stage_on: date
    final: bool
    workflow: Workflow
    facts: list[tuple[str, str]]  # (label, value) lines for the header
    actions: list[Transition]  # the steps this user may take now
    timeline: list[TimelineEntry]
    attachments: list[AttachmentRow]
    items: list[ItemRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    service_kind: ReferralServiceKind | None = None
    institution_id: uuid.UUID | None = None
    cost_fen: int | None = None

    def state_label(self, state: str | None) -> str:
        return self.workflow.state_label(state) if state else ""


def _money(fen: int | None) -> str:
    return _("{yuan} 元").format(yuan=format_yuan(fen)) if fen is not None else "—"


def _day(value: date | None) -> str:
    return value.isoformat() if value else "—"


def _need_label(uow: UnitOfWork, need_id: uuid.UUID | None) -> str:
    need = uow.session.get(Need, need_id) if need_id else None
    if need is None:
        return ""
    return _("{kind}（{on} 提出，{status}）").format(
        kind=label(need.kind), on=need.raised_on, status=label(need.status)
    )


def open_case(
    uow: UnitOfWork,
    actor: Actor,
    store: FileStore,
    case_type: CaseType,
    case_id: uuid.UUID,
    *,
    rules: RuleConfig,
    today: date,
) -> CaseView:
    case_type = CaseType(case_type)
    directory = area_directory(uow)
    if case_type is CaseType.MODIFICATION:
        case, person = load_modification(uow, actor, case_id)
        items = [
            ItemRow(i.item_code, i.name, i.unit, i.quantity, i.unit_cost_fen, i.estimate_fen)
            for i in uow.session.scalars(
                select(ModificationItem)
                .where(ModificationItem.case_id == case.id)
                .order_by(ModificationItem.created_at)
            )
        ]
        facts = [
            (_("年度"), str(case.year)),
            (_("申请日期"), _day(case.applied_on)),
            (_("评估日期"), _day(case.assessed_on)),
            (_("评估预算"), _money(case.estimate_fen)),
            (_("方案确认"), _day(case.plan_confirmed_on)),
            (_("施工单位"), case.contractor or "—"),
            (_("开工日期"), _day(case.construction_started_on)),
            (_("验收日期"), _day(case.accepted_on)),
            (_("验收结果"), case.acceptance_result or "—"),
            (_("验收人"), case.accepted_by or "—"),
            (_("实际费用"), _money(case.actual_cost_fen)),
            (_("结案日期"), _day(case.closed_on)),
        ]
        if case.end_reason:
            facts.append((_("终止原因"), case.end_reason))
        warnings = [
            w
            for w in (
                cap_warning(case.estimate_fen or 0, rules.modification, _("评估预算")),
                cap_warning(case.actual_cost_fen or 0, rules.modification, _("实际费用")),
            )
            if w
        ]
        flow, position, stage_on = MODIFICATION, case.stage.value, case.stage_on
        extra: dict[str, object] = {"items": items}
        row_version, need_id = case.row_version, case.need_id
    else:
        referral, person = load_referral(uow, actor, case_id)
        institution = (
            uow.session.get(Institution, referral.institution_id)
            if referral.institution_id
            else None
        )
        flow, position, stage_on = workflow_of(referral), position_of(referral), referral.state_on
        facts = [
            (_("服务类别"), label(referral.service_kind)),
            (_("定点机构"), institution.name if institution else _("未选定")),
            (_("转介日期"), _day(referral.referred_on)),
            (_("受理日期"), _day(referral.accepted_on)),
            (_("状态"), label(referral.state)),
            (_("费用"), _money(referral.cost_fen)),
            (_("结案日期"), _day(referral.closed_on)),
        ]
        if referral.service_kind is ReferralServiceKind.DEVICE_FITTING:
            facts.insert(4, (_("适配环节"), label(referral.device_step or DeviceStep.APPLIED)))
        if referral.outcome:
            facts.append((_("服务结果"), referral.outcome))
        if referral.not_accepted_reason:
            facts.append((_("未受理原因"), referral.not_accepted_reason))
        warnings = []
        extra = {
            "service_kind": referral.service_kind,
            "institution_id": referral.institution_id,
            "cost_fen": referral.cost_fen,
        }
        row_version, need_id = referral.row_version, referral.need_id
    info = directory.get(person.area_id)
    return CaseView(
        case_type=case_type,
        id=case_id,
        row_version=row_version,
        person_id=person.id,
        person_name=person.name,
        id_number_masked=mask_id_number(person.id_number),
        village=info.full_name if info else "",
        need_id=need_id,
        need_label=_need_label(uow, need_id),
        position=position,
        position_label=flow.state_label(position),
        stage_on=stage_on,
        final=flow.is_final(position),
        workflow=flow,
        facts=facts,
        actions=flow.allowed(position, actor.role),
        timeline=timeline(uow, case_type, case_id),
        attachments=list_attachments(uow, actor, store, case_type, case_id),
        warnings=warnings,
        **extra,  # type: ignore[arg-type]
    )


# --- links from a person and a need ----------------------------------------------------------


def cases_of_person(
    uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, *, rules: RuleConfig, today: date
) -> list[CaseRow]:
    """Every modification case and referral of a person, newest first."""
    load_person(uow, actor, person_id)
    flt = CaseFilter(person_id=person_id)
    rows = list_modifications(uow, actor, flt, rules=rules, today=today).rows
    rows += list_referrals(uow, actor, flt, rules=rules, today=today).rows
    rows.sort(key=lambda r: r.started_on, reverse=True)
    return rows


def cases_of_need(uow: UnitOfWork, need_id: uuid.UUID) -> list[tuple[CaseType, uuid.UUID]]:
    """The case (or cases, after a failed referral) opened for a need, oldest first."""
    session = uow.session
    found = [
        (CaseType.MODIFICATION, cid, on)
        for cid, on in session.execute(
            select(HomeModificationCase.id, HomeModificationCase.applied_on).where(
                HomeModificationCase.need_id == need_id
            )
        )
    ]
    found += [
        (CaseType.REFERRAL, rid, on)
        for rid, on in session.execute(
            select(RehabReferral.id, RehabReferral.referred_on).where(
                RehabReferral.need_id == need_id
            )
        )
    ]
    found.sort(key=lambda t: t[2])
    return [(t, i) for t, i, _on in found]
