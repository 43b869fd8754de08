"""困难重度残疾人家庭无障碍改造: a household's case from application to the 回访 after it.

申请 → 评估 (surveyed items with costs) → 方案确认 (the household agrees) → 施工 (contractor,
start date) → 验收 (date, result, actual cost, photos, who accepted) → 结案; or 不符合条件 /
终止 with a reason. The need behind the case follows it: 已转介 while it is being prepared,
服务中 during construction, 已解决 at 结案, 无法落实 when the case ends early.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from liaison.core.enums import (
    OPEN_NEED_STATUSES,
    AttachmentRole,
    CaseType,
    ModificationStage,
    NeedKind,
    NeedStatus,
    PersonStatus,
    UserRole,
    label,
)
from liaison.core.errors import NotFoundError, ScopeError, ValidationError
from liaison.core.i18n import _
from liaison.core.models import (
    Area,
    AreaTarget,
    HomeModificationCase,
    ModificationItem,
    Need,
    Person,
)
from liaison.core.rules.config import ModificationConfig, RuleConfig
from liaison.core.rules.money import format_yuan
from liaison.core.rules.priority import (
    modification_eligibility,
    modification_priority,
    priority_sort_key,
)
from liaison.core.rules.workflows import MODIFICATION, Move
from liaison.core.services import audit
from liaison.core.services.areas import area_children, area_directory, subtree_ids
from liaison.core.services.attachments import attachment_roles
from liaison.core.services.case_common import (
    StepResult,
    check_step_date,
    check_text,
    check_version,
    follow_need,
    record_event,
    schedule_return_visit,
    step_error,
)
from liaison.core.services.context import Actor, ensure_area_in_scope, restrict_to_scope
from liaison.core.services.persons import load_person, person_facts
from liaison.core.uow import UnitOfWork

_S = ModificationStage
MAX_QUANTITY = 999
MAX_UNIT_COST_FEN = 10_000_000  # 100,000 元 for one item is a typing error
MAX_CASE_COST_FEN = 100_000_000
FINAL_STAGES = frozenset({_S.CLOSED, _S.INELIGIBLE, _S.TERMINATED})
# the need's status while the case is in a stage
NEED_STATUS_IN_STAGE = {
    _S.APPLIED: NeedStatus.REFERRED,
    _S.ASSESSED: NeedStatus.REFERRED,
    _S.PLAN_CONFIRMED: NeedStatus.REFERRED,
    _S.CONSTRUCTION: NeedStatus.IN_SERVICE,
    _S.ACCEPTED: NeedStatus.IN_SERVICE,
    _S.CLOSED: NeedStatus.MET,
    _S.INELIGIBLE: NeedStatus.UNREACHABLE,
    _S.TERMINATED: NeedStatus.UNREACHABLE,
}
# the date column each forward stage fills in
_STAGE_DATE = {
    _S.ASSESSED: "assessed_on",
    _S.PLAN_CONFIRMED: "plan_confirmed_on",
    _S.CONSTRUCTION: "construction_started_on",
    _S.ACCEPTED: "accepted_on",
    _S.CLOSED: "closed_on",
}
_CLEARED_WHEN_LEFT = {
    # sent back from 验收 (e.g. 验收不合格, 返工): the acceptance did not happen
    _S.ACCEPTED: ("accepted_on", "acceptance_result", "accepted_by", "actual_cost_fen"),
}


def _case_label(person: Person) -> str:
    return _("“{name}”的改造案件").format(name=person.name)


# --- applying -----------------------------------------------------------------------------


@dataclass
class ModificationApplication:
    person_id: uuid.UUID
    applied_on: date
    need_id: uuid.UUID | None = None  # None: a direct application; a need is raised for it
    note: str | None = None


def active_case_of(uow: UnitOfWork, person_id: uuid.UUID) -> HomeModificationCase | None:
    return uow.session.scalars(
        select(HomeModificationCase).where(
            HomeModificationCase.person_id == person_id,
            HomeModificationCase.stage.not_in(FINAL_STAGES),
        )
    ).first()


def open_modification(
    uow: UnitOfWork, actor: Actor, data: ModificationApplication, *, today: date | None = None
) -> StepResult:
    today = today or date.today()
    person = load_person(uow, actor, data.person_id)
    note = check_text("reason", data.note)
    if person.status is not PersonStatus.ACTIVE:
        raise step_error(
            "person",
            _("{name}的档案状态为“{s}”，不能申请改造").format(
                name=person.name, s=label(person.status)
            ),
        )
    if data.applied_on > today:
        raise step_error("applied_on", _("不能晚于今天"))
    existing = active_case_of(uow, person.id)
    if existing is not None:
        raise step_error(
            "person",
            _("{name}已有进行中的改造案件（{s}），不能重复申请").format(
                name=person.name, s=label(existing.stage)
            ),
        )
    session = uow.session
    if data.need_id is not None:
        need = session.get(Need, data.need_id)
        if need is None or need.person_id != person.id:
            raise step_error("need", _("找不到{name}的这项需求").format(name=person.name))
        if need.kind is not NeedKind.HOME_MODIFICATION:
            raise step_error(
                "need",
                _("只有“无障碍改造”需求可以申请改造，这项是“{k}”").format(k=label(need.kind)),
            )
        if need.status not in OPEN_NEED_STATUSES:
            raise step_error(
                "need", _("这项需求已办结（{s}），请先改为待办").format(s=label(need.status))
            )
        if data.applied_on < need.raised_on:
            raise step_error(
                "applied_on", _("不能早于需求提出日期（{on}）").format(on=need.raised_on)
            )
    else:
        need = Need(
            origin_device=actor.device_id,
            person_id=person.id,
            kind=NeedKind.HOME_MODIFICATION,
            detail=note or _("直接申请无障碍改造"),
            raised_on=data.applied_on,
            status=NeedStatus.OPEN,
            status_on=data.applied_on,
        )
        session.add(need)
        session.flush()
        audit.record_created(
            session, actor, need, ("person_id", "kind", "detail", "raised_on", "status")
        )
    case = HomeModificationCase(
        origin_device=actor.device_id,
        person_id=person.id,
        need_id=need.id,
        year=data.applied_on.year,
        stage=_S.APPLIED,
        stage_on=data.applied_on,
        applied_on=data.applied_on,
    )
    session.add(case)
    session.flush()
    audit.record_created(
        session, actor, case, ("person_id", "need_id", "year", "stage", "applied_on")
    )
    record_event(
        uow,
        actor,
        CaseType.MODIFICATION,
        case.id,
        source=None,
        target=_S.APPLIED.value,
        on=data.applied_on,
        reason=note,
    )
    follow_need(
        uow, actor, need, NeedStatus.REFERRED, on=data.applied_on, note=_("已申请无障碍改造")
    )
    session.flush()
    return StepResult(case.id, case.stage.value, case.row_version)


# --- moving along -------------------------------------------------------------------------


@dataclass
class ItemInput:
    code: str
    quantity: int
    unit_cost_fen: int
    name: str | None = None  # defaults to the catalogue's
    unit: str | None = None


@dataclass
class ModificationStep:
    target: ModificationStage
    on: date
    reason: str | None = None  # required to send back or end; a note otherwise
    items: list[ItemInput] = field(default_factory=list)  # → 评估
    contractor: str | None = None  # → 施工
    actual_cost_fen: int | None = None  # → 验收
    acceptance_result: str | None = None
    accepted_by: str | None = None


@dataclass(frozen=True)
class CheckedItem:
    code: str
    name: str
    unit: str | None
    quantity: int
    unit_cost_fen: int

    @property
    def estimate_fen(self) -> int:
        return self.quantity * self.unit_cost_fen


def check_items(items: list[ItemInput], config: ModificationConfig) -> list[CheckedItem]:
    """The surveyed items, each checked; a ValidationError names the row that is wrong."""
    if not items:
        raise step_error("items", _("请至少添加一个改造项目"))
    checked: list[CheckedItem] = []
    errors: dict[str, str] = {}
    labels: dict[str, str] = {}
    for k, item in enumerate(items, start=1):
        key = f"items[{k}]"
        labels[key] = _("第 {k} 项").format(k=k)
        known = config.catalogue_item(item.code)
        name = (item.name or "").strip() or (known.name if known else "")
        if known is None and not name:
            errors[key] = _("项目“{code}”不在改造项目目录中，请写明名称").format(code=item.code)
        elif len(name) > 100:
            errors[key] = _("名称不能超过 100 个字")
        elif not isinstance(item.quantity, int) or not 1 <= item.quantity <= MAX_QUANTITY:
            errors[key] = _("{name}：数量应为 1–{n}").format(name=name, n=MAX_QUANTITY)
        elif (
            not isinstance(item.unit_cost_fen, int)
            or not 0 < item.unit_cost_fen <= MAX_UNIT_COST_FEN
        ):
            errors[key] = _("{name}：单价应大于 0 且不超过 {max} 元").format(
                name=name, max=format_yuan(MAX_UNIT_COST_FEN)
            )
        else:
            unit = (item.unit or "").strip() or (known.unit if known else None)
            checked.append(CheckedItem(item.code, name, unit, item.quantity, item.unit_cost_fen))
    if errors:
        raise ValidationError(errors, labels)
    return checked


def cap_warning(amount_fen: int, config: ModificationConfig, what: str) -> str | None:
    if amount_fen <= config.household_cap_fen:
        return None
    return _(
        "{what} {amount} 元超过每户改造上限 {cap} 元（超出 {over} 元），请说明理由或调整方案"
    ).format(
        what=what,
        amount=format_yuan(amount_fen),
        cap=format_yuan(config.household_cap_fen),
        over=format_yuan(amount_fen - config.household_cap_fen),
    )


def load_modification(
    uow: UnitOfWork, actor: Actor, case_id: uuid.UUID
) -> tuple[HomeModificationCase, Person]:
    case = uow.session.get(HomeModificationCase, case_id)
    if case is None:
        raise NotFoundError(_("找不到该改造案件"))
    return case, load_person(uow, actor, case.person_id)


def move_modification(
    uow: UnitOfWork,
    actor: Actor,
    case_id: uuid.UUID,
    step: ModificationStep,
    *,
    rules: RuleConfig,
    expected_version: int | None = None,
    today: date | None = None,
) -> StepResult:
    """Take one step; refused (TransitionRefused, ValidationError) with nothing changed."""
    today = today or date.today()
    config = rules.modification
    case, person = load_modification(uow, actor, case_id)
    check_version(case.row_version, expected_version, _case_label(person))
    source, target = case.stage, ModificationStage(step.target)
    reason = check_text("reason", step.reason)
    transition = MODIFICATION.check(source.value, target.value, role=actor.role, reason=reason)
    check_step_date(
        step.on,
        since=case.stage_on,
        since_label=_("进入“{s}”阶段的日期").format(s=label(source)),
        today=today,
    )
    before = {c: getattr(case, c) for c in _AUDITED}
    warnings: list[str] = []
    follow_up_id = None
    session = uow.session

    if transition.move is Move.FORWARD:
        if target is _S.ASSESSED:
            items = check_items(step.items, config)
            session.execute(delete(ModificationItem).where(ModificationItem.case_id == case.id))
            for item in items:
                session.add(
                    ModificationItem(
                        origin_device=actor.device_id,
                        case_id=case.id,
                        item_code=item.code,
                        name=item.name,
                        quantity=item.quantity,
                        unit=item.unit,
                        unit_cost_fen=item.unit_cost_fen,
                        estimate_fen=item.estimate_fen,
                    )
                )
            case.estimate_fen = sum(item.estimate_fen for item in items)
            if warning := cap_warning(case.estimate_fen, config, _("评估预算")):
                warnings.append(warning)
        elif target is _S.CONSTRUCTION:
            case.contractor = check_text("contractor", step.contractor, required=True, limit=100)
        elif target is _S.ACCEPTED:
            result = check_text("acceptance_result", step.acceptance_result, required=True)
            accepted_by = check_text("accepted_by", step.accepted_by, required=True, limit=50)
            cost = step.actual_cost_fen
            if cost is None:
                raise step_error("actual_cost_fen", _("必须填写"))
            if not isinstance(cost, int) or not 0 <= cost <= MAX_CASE_COST_FEN:
                raise step_error(
                    "actual_cost_fen",
                    _("应为 0–{max} 元").format(max=format_yuan(MAX_CASE_COST_FEN)),
                )
            case.acceptance_result, case.accepted_by, case.actual_cost_fen = (
                result,
                accepted_by,
                cost,
            )
            if warning := cap_warning(cost, config, _("实际费用")):
                warnings.append(warning)
            roles = attachment_roles(uow, CaseType.MODIFICATION, case.id)
            missing = [
                label(r) for r in (AttachmentRole.BEFORE, AttachmentRole.AFTER) if r not in roles
            ]
            if missing:
                warnings.append(_("尚未附{what}，验收材料不完整").format(what="、".join(missing)))
        setattr(case, _STAGE_DATE[target], step.on)
    elif transition.move is Move.END:
        case.end_reason = reason
        case.closed_on = step.on
    else:  # back one stage
        for column in _CLEARED_WHEN_LEFT.get(source, ()):
            setattr(case, column, None)

    case.stage, case.stage_on = target, step.on
    session.flush()
    audit.record(
        session,
        actor,
        entity="modification_case",
        entity_id=case.id,
        action="stage",
        changes=audit.diff(before, {c: getattr(case, c) for c in _AUDITED}),
        reason=reason,
    )
    record_event(
        uow,
        actor,
        CaseType.MODIFICATION,
        case.id,
        source=source.value,
        target=target.value,
        on=step.on,
        reason=reason,
    )
    need = session.get(Need, case.need_id) if case.need_id else None
    follow_need(
        uow,
        actor,
        need,
        NEED_STATUS_IN_STAGE[target],
        on=step.on,
        note=reason
        if transition.move is Move.END
        else _("无障碍改造：{s}").format(s=label(target)),
    )
    if target is _S.CLOSED:
        follow_up = schedule_return_visit(
            uow,
            actor,
            case_type=CaseType.MODIFICATION,
            case_id=case.id,
            person_id=person.id,
            need_id=case.need_id,
            action=_("无障碍改造结案后回访"),
            due_on=step.on + timedelta(days=config.follow_up_days),
        )
        follow_up_id = follow_up.id
    session.flush()
    return StepResult(
        case.id, case.stage.value, case.row_version, tuple(warnings), follow_up_id, transition
    )


_AUDITED = (
    "stage",
    "stage_on",
    "assessed_on",
    "plan_confirmed_on",
    "contractor",
    "construction_started_on",
    "estimate_fen",
    "actual_cost_fen",
    "accepted_on",
    "acceptance_result",
    "accepted_by",
    "closed_on",
    "end_reason",
)


# --- yearly targets and the priority list ---------------------------------------------------


def set_target(
    uow: UnitOfWork, actor: Actor, area_id: uuid.UUID, year: int, households: int
) -> AreaTarget:
    """The yearly number of households to modify in an area (township staff and above)."""
    if actor.role is UserRole.VILLAGE_OFFICER:
        raise ScopeError(_("年度改造目标由乡镇或县残联设定"))
    ensure_area_in_scope(uow, actor, area_id)
    if uow.session.get(Area, area_id) is None:
        raise NotFoundError(_("找不到该地区"))
    if not 2000 <= year <= 2100:
        raise ValidationError.single("year", _("年份不正确"), _("年度"))
    if not isinstance(households, int) or not 0 <= households <= 100_000:
        raise ValidationError.single("target", _("应为 0–100000 户"), _("年度目标"))
    row = uow.session.scalars(
        select(AreaTarget).where(
            AreaTarget.area_id == area_id,
            AreaTarget.year == year,
            AreaTarget.kind == CaseType.MODIFICATION,
        )
    ).first()
    if row is None:
        row = AreaTarget(
            origin_device=actor.device_id,
            area_id=area_id,
            year=year,
            kind=CaseType.MODIFICATION,
            target=households,
        )
        uow.session.add(row)
        uow.session.flush()
        audit.record_created(uow.session, actor, row, ("area_id", "year", "kind", "target"))
    elif row.target != households:
        changes = {"target": [row.target, households]}
        row.target = households
        uow.session.flush()
        audit.record(
            uow.session,
            actor,
            entity="area_target",
            entity_id=row.id,
            action="update",
            changes=changes,
        )
    return row


@dataclass(frozen=True)
class TargetProgress:
    year: int
    target: int | None  # None: nobody set one for these areas
    applied: int  # cases opened this year
    in_progress: int
    closed: int  # 结案: counted against the target
    ended: int  # 不符合条件 / 终止

    @property
    def share(self) -> float | None:
        return self.closed / self.target if self.target else None


def yearly_targets(session: Session, year: int) -> dict[uuid.UUID, int]:
    """The household targets set for `year`, by area."""
    return dict(session.execute(select(AreaTarget.area_id, AreaTarget.target).where(
        AreaTarget.year == year, AreaTarget.kind == CaseType.MODIFICATION)).all())


def target_for(
    targets: dict[uuid.UUID, int], children: dict[uuid.UUID, list[uuid.UUID]], area_id: uuid.UUID
) -> int | None:
    """An area's own target, or else the sum of its children's (None when nobody set one)."""
    if area_id in targets:
        return targets[area_id]
    parts = [t for c in children.get(area_id, []) if (t := target_for(targets, children, c)) is not None]
    return sum(parts) if parts else None


def target_progress(
    uow: UnitOfWork, actor: Actor, year: int, *, area_id: uuid.UUID | None = None
) -> TargetProgress:
    """How far an area (default: the actor's areas, or the whole county) got in `year`."""
    session = uow.session
    directory = area_directory(uow)
    children = area_children(directory)
    if area_id is not None:
        ensure_area_in_scope(uow, actor, area_id)
        roots: frozenset[uuid.UUID] = frozenset({area_id})
    elif actor.scope_area_ids is not None:
        roots = actor.scope_area_ids
    else:
        roots = frozenset(i.id for i in directory.values() if i.parent_id is None)
    targets = yearly_targets(session, year)
    parts = [t for r in roots if (t := target_for(targets, children, r)) is not None]
    stmt = (
        select(HomeModificationCase.stage, func.count())
        .join(Person, Person.id == HomeModificationCase.person_id)
        .where(HomeModificationCase.year == year)
        .group_by(HomeModificationCase.stage)
    )
    if area_id is not None or actor.scope_area_ids is not None:
        stmt = stmt.where(Person.area_id.in_(subtree_ids(session, roots)))
    counts = {stage: n for stage, n in session.execute(stmt)}
    ended = counts.get(_S.INELIGIBLE, 0) + counts.get(_S.TERMINATED, 0)
    closed = counts.get(_S.CLOSED, 0)
    total = sum(counts.values())
    return TargetProgress(
        year, sum(parts) if parts else None, total, total - closed - ended, closed, ended
    )


@dataclass(frozen=True)
class Candidate:
    person_id: uuid.UUID
    name: str
    area_id: uuid.UUID
    village: str
    need_id: uuid.UUID
    raised_on: date
    score: int
    reasons: tuple[str, ...]
    eligible: bool
    eligibility: str


def modification_candidates(
    uow: UnitOfWork,
    actor: Actor,
    *,
    rules: RuleConfig,
    today: date,
    area_ids: frozenset[uuid.UUID] | None = None,
    include_ineligible: bool = False,
) -> list[Candidate]:
    """Households with an open home-modification need and no case yet, highest priority
    first (重度, 多重, 老残一体, 残病一体, 低保/特困), then whoever asked earlier."""
    session = uow.session
    scope = restrict_to_scope(uow, actor, area_ids)
    with_case = select(HomeModificationCase.need_id).where(
        HomeModificationCase.need_id.is_not(None)
    )
    stmt = (
        select(Person, Need.id, Need.raised_on)
        .join(Need, Need.person_id == Person.id)
        .where(
            Need.kind == NeedKind.HOME_MODIFICATION,
            Need.status == NeedStatus.OPEN,
            Need.id.not_in(with_case),
            Person.status == PersonStatus.ACTIVE,
        )
    )
    if scope is not None:
        stmt = stmt.where(Person.area_id.in_(scope))
    directory = area_directory(uow)
    seen: set[uuid.UUID] = set()
    result: list[tuple[tuple[int, int, date], Candidate]] = []
    busy = set(
        session.scalars(
            select(HomeModificationCase.person_id).where(
                HomeModificationCase.stage.not_in(FINAL_STAGES)
            )
        )
    )
    for person, need_id, raised_on in session.execute(stmt.order_by(Need.raised_on)):
        if person.id in seen or person.id in busy:
            continue
        seen.add(person.id)
        facts = person_facts(person)
        eligibility = modification_eligibility(facts, rules.modification)
        if not eligibility.eligible and not include_ineligible:
            continue
        priority = modification_priority(facts, rules.priority, today)
        info = directory.get(person.area_id)
        candidate = Candidate(
            person.id,
            person.name,
            person.area_id,
            info.full_name if info else "",
            need_id,
            raised_on,
            priority.score,
            priority.reasons,
            eligibility.eligible,
            eligibility.reason,
        )
        score, applied = priority_sort_key(priority, raised_on)
        result.append(((0 if eligibility.eligible else 1, score, applied), candidate))
    result.sort(key=lambda pair: pair[0])
    return [c for _key, c in result]
