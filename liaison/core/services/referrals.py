"""康复转介: a rehab or assistive-device need referred to a designated institution.

转介 → 受理 → 服务中 → 结案（完成/未完成）, or 未受理 with a reason. 辅具适配 follows its own
steps (申请 → 初审（村）→ 复审（乡镇）→ 评估 → 审批 → 适配 → 回访) and the referral's state
follows the step. Closing as completed marks the need met and puts a 回访 on the list; a
referral that ends without the service puts the need back to 待办, to be referred elsewhere.
For children 0–6 the 残疾儿童康复救助 yearly cap is enforced on every amount entered.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from liaison.core.enums import (
    OPEN_NEED_STATUSES,
    CaseType,
    DeviceStep,
    FollowUpStatus,
    NeedKind,
    NeedStatus,
    PersonStatus,
    ReferralServiceKind,
    ReferralState,
    UserRole,
    label,
)
from liaison.core.errors import NotFoundError, ScopeError, ValidationError
from liaison.core.i18n import _
from liaison.core.models import Institution, Need, Person, RehabReferral
from liaison.core.rules.child_rescue import check_rescue_cap, is_rescue_age, rescue_kind
from liaison.core.rules.config import RuleConfig
from liaison.core.rules.money import format_yuan
from liaison.core.rules.workflows import (
    DEVICE_FITTING,
    DEVICE_STATE,
    REFERRAL,
    Move,
    Workflow,
    device_position,
)
from liaison.core.services import audit
from liaison.core.services.case_common import (
    StepResult,
    check_step_date,
    check_text,
    check_version,
    follow_need,
    open_case_follow_up,
    record_event,
    schedule_return_visit,
    step_error,
)
from liaison.core.services.context import Actor
from liaison.core.services.persons import load_person
from liaison.core.uow import UnitOfWork

_R = ReferralState
REFERRABLE_NEEDS = frozenset({NeedKind.REHABILITATION, NeedKind.ASSISTIVE_DEVICE})
CLOSED_STATES = frozenset({_R.COMPLETED, _R.NOT_COMPLETED, _R.NOT_ACCEPTED})
MAX_COST_FEN = 100_000_000
NEED_STATUS_IN_STATE = {
    _R.REFERRED: NeedStatus.REFERRED,
    _R.ACCEPTED: NeedStatus.REFERRED,
    _R.IN_SERVICE: NeedStatus.IN_SERVICE,
    _R.COMPLETED: NeedStatus.MET,
    _R.NOT_COMPLETED: NeedStatus.OPEN,
    _R.NOT_ACCEPTED: NeedStatus.OPEN,
}


def workflow_of(referral: RehabReferral) -> Workflow:
    return (
        DEVICE_FITTING if referral.service_kind is ReferralServiceKind.DEVICE_FITTING else REFERRAL
    )


def position_of(referral: RehabReferral) -> str:
    """Where the referral stands in its workflow: its state, or for 辅具适配 its step."""
    if referral.service_kind is ReferralServiceKind.DEVICE_FITTING:
        return device_position(referral.device_step, referral.state)
    return referral.state.value


def _referral_label(person: Person) -> str:
    return _("“{name}”的康复转介").format(name=person.name)


# --- institutions ---------------------------------------------------------------------------


@dataclass
class InstitutionInput:
    name: str
    service_kinds: list[ReferralServiceKind]
    code: str | None = None
    address: str | None = None
    phone: str | None = None
    active: bool = True


def list_institutions(
    uow: UnitOfWork,
    *,
    service_kind: ReferralServiceKind | None = None,
    include_inactive: bool = False,
) -> list[Institution]:
    stmt = select(Institution).order_by(Institution.code, Institution.name)
    if not include_inactive:
        stmt = stmt.where(Institution.active.is_(True))
    rows = list(uow.session.scalars(stmt))
    if service_kind is not None:
        rows = [r for r in rows if offers(r, service_kind)]
    return rows


def offers(institution: Institution, service_kind: ReferralServiceKind) -> bool:
    return ReferralServiceKind(service_kind).value in institution.service_kinds.split(",")


def save_institution(
    uow: UnitOfWork, actor: Actor, data: InstitutionInput, institution_id: uuid.UUID | None = None
) -> Institution:
    """Add or change a 定点机构 (county staff and administrators keep the list)."""
    if actor.role not in (UserRole.COUNTY_STAFF, UserRole.ADMIN):
        raise ScopeError(_("定点机构名单由县残联维护"))
    labels = {
        "name": _("机构名称"),
        "service_kinds": _("服务类别"),
        "code": _("机构编码"),
        "address": _("地址"),
        "phone": _("电话"),
    }
    errors: dict[str, str] = {}
    name = check_text("name", data.name, limit=100)
    if not name:
        errors["name"] = _("必须填写")
    if not data.service_kinds:
        errors["service_kinds"] = _("请至少选择一项")
    code = check_text("code", data.code, limit=40)
    address = check_text("address", data.address)
    phone = check_text("phone", data.phone, limit=30)
    if code is not None:
        clash = uow.session.scalar(select(Institution.id).where(Institution.code == code))
        if clash is not None and clash != institution_id:
            errors["code"] = _("编码 {code} 已被其他机构使用").format(code=code)
    if errors:
        raise ValidationError(errors, labels)
    kinds = ",".join(ReferralServiceKind(k).value for k in dict.fromkeys(data.service_kinds))
    values = {
        "name": name,
        "code": code,
        "address": address,
        "phone": phone,
        "service_kinds": kinds,
        "active": data.active,
    }
    if institution_id is None:
        institution = Institution(origin_device=actor.device_id, designated=True, **values)
        uow.session.add(institution)
        uow.session.flush()
        audit.record_created(uow.session, actor, institution, tuple(values))
        return institution
    institution = uow.session.get(Institution, institution_id)
    if institution is None:
        raise NotFoundError(_("找不到该机构"))
    changes = audit.diff({k: getattr(institution, k) for k in values}, values)
    for key, value in values.items():
        setattr(institution, key, value)
    uow.session.flush()
    if changes:
        audit.record(
            uow.session,
            actor,
            entity="institution",
            entity_id=institution.id,
            action="update",
            changes=changes,
        )
    return institution


def _check_institution(
    uow: UnitOfWork, institution_id: uuid.UUID, kind: ReferralServiceKind
) -> Institution:
    institution = uow.session.get(Institution, institution_id)
    if institution is None or not institution.active:
        raise step_error("institution_id", _("找不到该定点机构，或机构已停用"))
    if not offers(institution, kind):
        raise step_error(
            "institution_id",
            _("{name}不提供“{kind}”服务").format(name=institution.name, kind=label(kind)),
        )
    return institution


# --- child rescue caps ----------------------------------------------------------------------


def rescue_spent(
    uow: UnitOfWork,
    person_id: uuid.UUID,
    year: int,
    kind: str,
    *,
    excluding: uuid.UUID | None = None,
) -> int:
    """What the rescue fund already covers for this child and kind in `year` (by referral date)."""
    services = [s for s in ReferralServiceKind if rescue_kind(s) == kind]
    stmt = select(func.coalesce(func.sum(RehabReferral.cost_fen), 0)).where(
        RehabReferral.person_id == person_id,
        RehabReferral.service_kind.in_(services),
        RehabReferral.state != _R.NOT_ACCEPTED,
        RehabReferral.referred_on >= date(year, 1, 1),
        RehabReferral.referred_on <= date(year, 12, 31),
    )
    if excluding is not None:
        stmt = stmt.where(RehabReferral.id != excluding)
    return int(uow.session.scalar(stmt) or 0)


def _check_cost(
    uow: UnitOfWork,
    person: Person,
    service_kind: ReferralServiceKind,
    referred_on: date,
    cost_fen: int | None,
    rules: RuleConfig,
    *,
    referral_id: uuid.UUID | None,
) -> str | None:
    """Refuse a cost that breaks the child's yearly cap; return the cap line to show otherwise."""
    if cost_fen is None:
        return None
    if not isinstance(cost_fen, int) or not 0 <= cost_fen <= MAX_COST_FEN:
        raise step_error("cost_fen", _("应为 0–{max} 元").format(max=format_yuan(MAX_COST_FEN)))
    kind = rescue_kind(service_kind)
    if kind is None or not is_rescue_age(person.birth_date, referred_on, rules.child_rescue):
        return None
    spent = rescue_spent(uow, person.id, referred_on.year, kind, excluding=referral_id)
    check = check_rescue_cap(kind, spent, cost_fen, rules.child_rescue)
    if not check.allowed:
        raise step_error("cost_fen", check.message)
    return check.message


# --- referring ------------------------------------------------------------------------------


@dataclass
class ReferralInput:
    need_id: uuid.UUID
    service_kind: ReferralServiceKind
    referred_on: date
    institution_id: uuid.UUID | None = None  # may be chosen when the institution accepts
    cost_fen: int | None = None  # the expected cost (what the rescue fund is asked for)
    note: str | None = None


def refer(
    uow: UnitOfWork,
    actor: Actor,
    data: ReferralInput,
    *,
    rules: RuleConfig,
    today: date | None = None,
) -> StepResult:
    today = today or date.today()
    session = uow.session
    need = session.get(Need, data.need_id)
    if need is None:
        raise step_error("need", _("找不到该需求"))
    person = load_person(uow, actor, need.person_id)
    note = check_text("reason", data.note)
    if person.status is not PersonStatus.ACTIVE:
        raise step_error(
            "person",
            _("{name}的档案状态为“{s}”，不能转介").format(name=person.name, s=label(person.status)),
        )
    if need.kind not in REFERRABLE_NEEDS:
        raise step_error(
            "need", _("只有“康复”“辅助器具”需求可以转介，这项是“{k}”").format(k=label(need.kind))
        )
    if need.status not in OPEN_NEED_STATUSES:
        raise step_error(
            "need", _("这项需求已办结（{s}），请先改为待办").format(s=label(need.status))
        )
    try:
        kind = ReferralServiceKind(data.service_kind)
    except ValueError:
        raise step_error("service_kind", _("未知的服务类别")) from None
    if kind.value not in rules.referral.service_kinds:
        raise step_error("service_kind", _("本县未开展“{k}”服务").format(k=label(kind)))
    open_one = session.scalars(
        select(RehabReferral).where(
            RehabReferral.need_id == need.id, RehabReferral.state.not_in(CLOSED_STATES)
        )
    ).first()
    if open_one is not None:
        raise step_error(
            "need", _("这项需求已有进行中的转介（{s}）").format(s=label(open_one.state))
        )
    if data.referred_on > today:
        raise step_error("referred_on", _("不能晚于今天"))
    if data.referred_on < need.raised_on:
        raise step_error("referred_on", _("不能早于需求提出日期（{on}）").format(on=need.raised_on))
    if data.institution_id is not None:
        _check_institution(uow, data.institution_id, kind)
    cap_line = _check_cost(
        uow, person, kind, data.referred_on, data.cost_fen, rules, referral_id=None
    )
    device = kind is ReferralServiceKind.DEVICE_FITTING
    referral = RehabReferral(
        origin_device=actor.device_id,
        person_id=person.id,
        need_id=need.id,
        institution_id=data.institution_id,
        service_kind=kind,
        state=_R.REFERRED,
        state_on=data.referred_on,
        device_step=DeviceStep.APPLIED if device else None,
        referred_on=data.referred_on,
        cost_fen=data.cost_fen,
    )
    session.add(referral)
    session.flush()
    audit.record_created(
        session,
        actor,
        referral,
        (
            "person_id",
            "need_id",
            "institution_id",
            "service_kind",
            "state",
            "device_step",
            "referred_on",
            "cost_fen",
        ),
    )
    first = DeviceStep.APPLIED.value if device else _R.REFERRED.value
    record_event(
        uow,
        actor,
        CaseType.REFERRAL,
        referral.id,
        source=None,
        target=first,
        on=data.referred_on,
        reason=note,
    )
    follow_need(
        uow,
        actor,
        need,
        NeedStatus.REFERRED,
        on=data.referred_on,
        note=_("已转介：{k}").format(k=label(kind)),
    )
    session.flush()
    return StepResult(referral.id, first, referral.row_version, (cap_line,) if cap_line else ())


# --- moving along ---------------------------------------------------------------------------


@dataclass
class ReferralStep:
    target: str  # a ReferralState value; for 辅具适配 a DeviceStep value or an ending
    on: date
    reason: str | None = None  # required to send back or end
    institution_id: uuid.UUID | None = None  # → 受理 (or 辅具评估)
    cost_fen: int | None = None  # the cost, when it is known or changes
    outcome: str | None = None  # → 结案


def load_referral(
    uow: UnitOfWork, actor: Actor, referral_id: uuid.UUID
) -> tuple[RehabReferral, Person]:
    referral = uow.session.get(RehabReferral, referral_id)
    if referral is None:
        raise NotFoundError(_("找不到该转介"))
    return referral, load_person(uow, actor, referral.person_id)


_AUDITED = (
    "state",
    "state_on",
    "device_step",
    "institution_id",
    "accepted_on",
    "closed_on",
    "cost_fen",
    "outcome",
    "not_accepted_reason",
)


def move_referral(
    uow: UnitOfWork,
    actor: Actor,
    referral_id: uuid.UUID,
    step: ReferralStep,
    *,
    rules: RuleConfig,
    expected_version: int | None = None,
    today: date | None = None,
) -> StepResult:
    today = today or date.today()
    session = uow.session
    referral, person = load_referral(uow, actor, referral_id)
    check_version(referral.row_version, expected_version, _referral_label(person))
    flow = workflow_of(referral)
    device = flow is DEVICE_FITTING
    source = position_of(referral)
    reason = check_text("reason", step.reason)
    transition = flow.check(source, step.target, role=actor.role, reason=reason)
    check_step_date(
        step.on,
        since=referral.state_on,
        since_label=_("进入“{s}”的日期").format(s=flow.state_label(source)),
        today=today,
    )
    target = step.target
    new_state = DEVICE_STATE[target] if device else ReferralState(target)
    before = {c: getattr(referral, c) for c in _AUDITED}
    warnings: list[str] = []
    follow_up_id = None

    institution_id = step.institution_id or referral.institution_id
    accepting = (device and target == DeviceStep.ASSESSED.value) or (
        not device and new_state is _R.ACCEPTED
    )
    if transition.move is Move.FORWARD and accepting:
        if institution_id is None:
            raise step_error("institution_id", _("请选择受理的定点机构"))
        _check_institution(uow, institution_id, referral.service_kind)
        referral.institution_id = institution_id
        referral.accepted_on = step.on
    elif step.institution_id is not None and step.institution_id != referral.institution_id:
        _check_institution(uow, step.institution_id, referral.service_kind)
        referral.institution_id = step.institution_id
    if step.cost_fen is not None:
        line = _check_cost(
            uow,
            person,
            referral.service_kind,
            referral.referred_on,
            step.cost_fen,
            rules,
            referral_id=referral.id,
        )
        referral.cost_fen = step.cost_fen
        if line:
            warnings.append(line)

    completing = (
        transition.move is Move.FORWARD
        and new_state is _R.COMPLETED
        and referral.state is not _R.COMPLETED
    )
    revisiting = device and target == DeviceStep.REVISITED.value
    if completing:
        referral.outcome = check_text("outcome", step.outcome) or reason or referral.outcome
        referral.closed_on = step.on
    elif revisiting:
        note = check_text("outcome", step.outcome) or reason
        if note is None:
            raise step_error("outcome", _("请写明回访情况"))
        follow_up = open_case_follow_up(uow, CaseType.REFERRAL, referral.id)
        if follow_up is not None:
            changes = {
                "status": [follow_up.status.value, FollowUpStatus.DONE.value],
                "done_on": [None, step.on.isoformat()],
                "outcome": [None, note],
            }
            follow_up.status, follow_up.done_on, follow_up.outcome = (
                FollowUpStatus.DONE,
                step.on,
                note[:200],
            )
            audit.record(
                session,
                actor,
                entity="follow_up",
                entity_id=follow_up.id,
                action="status",
                changes=changes,
            )
    elif transition.move is Move.END:
        referral.closed_on = step.on
        if new_state is _R.NOT_ACCEPTED:
            referral.not_accepted_reason = reason
        else:
            referral.outcome = reason
    elif transition.move is Move.BACK and new_state is _R.REFERRED:
        referral.accepted_on = None

    referral.state, referral.state_on = new_state, step.on
    if device and target in {step.value for step in DeviceStep}:
        referral.device_step = DeviceStep(target)
    session.flush()
    audit.record(
        session,
        actor,
        entity="rehab_referral",
        entity_id=referral.id,
        action="state",
        changes=audit.diff(before, {c: getattr(referral, c) for c in _AUDITED}),
        reason=reason,
    )
    record_event(
        uow,
        actor,
        CaseType.REFERRAL,
        referral.id,
        source=source,
        target=target,
        on=step.on,
        reason=reason or (check_text("outcome", step.outcome) if revisiting else None),
    )
    need = session.get(Need, referral.need_id)
    if not revisiting:
        follow_need(
            uow,
            actor,
            need,
            NEED_STATUS_IN_STATE[new_state],
            on=step.on,
            note=reason
            if transition.move is not Move.FORWARD
            else _("康复转介：{s}").format(s=flow.state_label(target)),
        )
    if completing:
        follow_up = schedule_return_visit(
            uow,
            actor,
            case_type=CaseType.REFERRAL,
            case_id=referral.id,
            person_id=person.id,
            need_id=referral.need_id,
            action=_("{kind}服务结束后回访").format(kind=label(referral.service_kind)),
            due_on=step.on + timedelta(days=rules.referral.follow_up_days),
        )
        follow_up_id = follow_up.id
    session.flush()
    return StepResult(
        referral.id,
        position_of(referral),
        referral.row_version,
        tuple(warnings),
        follow_up_id,
        transition,
    )


def note_revisit(uow: UnitOfWork, actor: Actor, referral_id: uuid.UUID, *, on: date, outcome: str | None) -> None:
    """A 回访 recorded from the work queue (the case's follow-up done in a visit) is also the
    device workflow's last step, so the case does not ask for it a second time."""
    referral = uow.session.get(RehabReferral, referral_id)
    if (
        referral is None
        or referral.service_kind is not ReferralServiceKind.DEVICE_FITTING
        or referral.device_step is not DeviceStep.FITTED
        or referral.state is not _R.COMPLETED
        or on < referral.state_on
    ):
        return
    changes = {"device_step": [DeviceStep.FITTED.value, DeviceStep.REVISITED.value],
               "state_on": [referral.state_on.isoformat(), on.isoformat()]}
    referral.device_step, referral.state_on = DeviceStep.REVISITED, on
    uow.session.flush()
    audit.record(uow.session, actor, entity="rehab_referral", entity_id=referral.id, action="state",
                 changes=changes, reason=outcome)
    record_event(uow, actor, CaseType.REFERRAL, referral.id, source=DeviceStep.FITTED.value,
                 target=DeviceStep.REVISITED.value, on=on, reason=outcome or _("入户回访"))
