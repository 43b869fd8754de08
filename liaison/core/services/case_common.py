"""What the two case workflows share: the timeline, checks on a step's date and reason, the
need that follows the case, and the 回访 a finished case puts on the officer's list."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from liaison.core.enums import CaseType, FollowUpStatus, NeedStatus
from liaison.core.errors import StaleRecordError, ValidationError
from liaison.core.i18n import _
from liaison.core.models import CaseEvent, FollowUp, Need
from liaison.core.models.base import utcnow
from liaison.core.rules.workflows import Transition
from liaison.core.services import audit
from liaison.core.services.context import Actor
from liaison.core.services.visits import apply_need_status
from liaison.core.uow import UnitOfWork

MAX_REASON = 200
STEP_LABELS = {
    "on": "日期",
    "reason": "原因/说明",
    "items": "评估项目",
    "contractor": "施工单位",
    "actual_cost_fen": "实际费用",
    "acceptance_result": "验收结果",
    "accepted_by": "验收人",
    "institution_id": "定点机构",
    "cost_fen": "费用",
    "outcome": "服务结果",
    "service_kind": "服务类别",
    "need": "需求",
    "person": "服务对象",
    "applied_on": "申请日期",
    "referred_on": "转介日期",
}


def step_error(field: str, message: str) -> ValidationError:
    return ValidationError.single(field, message, _(STEP_LABELS.get(field, field)))


def clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def check_text(
    field: str, value: str | None, *, required: bool = False, limit: int = MAX_REASON
) -> str | None:
    text = clean(value)
    if required and text is None:
        raise step_error(field, _("必须填写"))
    if text is not None and len(text) > limit:
        raise step_error(field, _("不能超过 {n} 个字").format(n=limit))
    return text


def check_step_date(on: date, *, since: date, since_label: str, today: date) -> None:
    """A step happens today or earlier, and not before the stage it leaves."""
    if on > today:
        raise step_error("on", _("不能晚于今天"))
    if on < since:
        raise step_error("on", _("不能早于{what}（{since}）").format(what=since_label, since=since))


def check_version(row_version: int, expected: int | None, what: str) -> None:
    if expected is not None and row_version != expected:
        raise StaleRecordError(what)


def record_event(
    uow: UnitOfWork,
    actor: Actor,
    case_type: CaseType,
    case_id: uuid.UUID,
    *,
    source: str | None,
    target: str,
    on: date,
    reason: str | None,
) -> CaseEvent:
    event = CaseEvent(
        origin_device=actor.device_id,
        case_type=case_type,
        case_id=case_id,
        from_state=source,
        to_state=target,
        on_date=on,
        at=utcnow(),
        by_user=actor.display_name[:50],
        reason=reason,
    )
    uow.session.add(event)
    return event


@dataclass(frozen=True)
class TimelineEntry:
    source: str | None
    target: str
    on: date
    at: datetime
    by_user: str
    reason: str | None


def timeline(uow: UnitOfWork, case_type: CaseType, case_id: uuid.UUID) -> list[TimelineEntry]:
    rows = uow.session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_type == case_type, CaseEvent.case_id == case_id)
        .order_by(CaseEvent.on_date, CaseEvent.at, CaseEvent.id)  # ids grow with time: a tie-break
    )
    return [
        TimelineEntry(r.from_state, r.to_state, r.on_date, r.at, r.by_user, r.reason) for r in rows
    ]


def follow_need(
    uow: UnitOfWork,
    actor: Actor,
    need: Need | None,
    status: NeedStatus,
    *,
    on: date,
    note: str | None,
) -> None:
    """Keep the need's status in step with its case (only when it changes)."""
    if need is None or need.status is status:
        return
    apply_need_status(
        uow, actor, need, status, on=max(on, need.raised_on), note=note, visit_id=None
    )


def schedule_return_visit(
    uow: UnitOfWork,
    actor: Actor,
    *,
    case_type: CaseType,
    case_id: uuid.UUID,
    person_id: uuid.UUID,
    need_id: uuid.UUID | None,
    action: str,
    due_on: date,
) -> FollowUp:
    item = FollowUp(
        origin_device=actor.device_id,
        visit_id=None,
        case_type=case_type,
        case_id=case_id,
        person_id=person_id,
        need_id=need_id,
        action=action,
        due_on=due_on,
        status=FollowUpStatus.OPEN,
    )
    uow.session.add(item)
    uow.session.flush()
    audit.record_created(
        uow.session, actor, item, ("case_type", "case_id", "person_id", "action", "due_on")
    )
    return item


def open_case_follow_up(
    uow: UnitOfWork, case_type: CaseType, case_id: uuid.UUID
) -> FollowUp | None:
    return uow.session.scalars(
        select(FollowUp).where(
            FollowUp.case_type == case_type,
            FollowUp.case_id == case_id,
            FollowUp.status == FollowUpStatus.OPEN,
        )
    ).first()


@dataclass(frozen=True)
class StepResult:
    """What a step changed: the case's new stage, its version, warnings to show, and the
    回访 it scheduled (if any)."""

    case_id: uuid.UUID
    state: str
    row_version: int
    warnings: tuple[str, ...] = ()
    follow_up_id: uuid.UUID | None = None
    transition: Transition | None = None
