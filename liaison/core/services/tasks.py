"""The work queue: what an officer should do next, most urgent first.

Visits due or overdue by the cadence, this year's annual survey, first contact with new
certificate holders, follow-ups past their date, needs left open too long and certificates
about to expire. Only people on the active roster produce tasks.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from sqlalchemy import func, select

from liaison.core.enums import (
    FollowUpStatus,
    PersonStatus,
    VisitKind,
    label,
)
from liaison.core.i18n import _
from liaison.core.models import FollowUp, Need, Person, Visit
from liaison.core.rules.alerts import (
    ALERTING_NEED_STATUSES,
    ExpiryState,
    certificate_expiry,
    need_alert,
)
from liaison.core.rules.cadence import (
    DueState,
    annual_survey_due,
    cadence_for,
    classify,
    first_contact_due,
    next_visit_due,
)
from liaison.core.rules.config import RuleConfig
from liaison.core.services.areas import area_directory
from liaison.core.services.context import Actor, restrict_to_scope
from liaison.core.services.persons import person_facts
from liaison.core.uow import UnitOfWork

# A certificate issued longer ago than this is no longer "new": the regular cadence covers it.
FIRST_CONTACT_HORIZON_DAYS = 90
# Follow-ups appear this many days before their date.
FOLLOW_UP_LEAD_DAYS = 7


class TaskKind(StrEnum):
    VISIT = "visit"
    ANNUAL_SURVEY = "annual_survey"
    FIRST_CONTACT = "first_contact"
    FOLLOW_UP = "follow_up"
    NEED_ALERT = "need_alert"
    CERT_EXPIRY = "cert_expiry"


_STATE_RANK = {DueState.OVERDUE: 0, DueState.DUE: 1, DueState.UPCOMING: 2}
_KIND_RANK = {kind: i for i, kind in enumerate(TaskKind)}


@dataclass(frozen=True)
class Task:
    kind: TaskKind
    state: DueState
    due_on: date
    days_overdue: int
    person_id: uuid.UUID
    person_name: str
    area_name: str
    title: str
    detail: str
    # the follow-up or need the task is about, when it is about one
    ref_id: uuid.UUID | None = None
    # the visit form to open for it, when a visit settles it
    visit_kind: VisitKind | None = None

    @property
    def sort_key(self) -> tuple[int, int, date, int, str]:
        return (_STATE_RANK[self.state], -self.days_overdue, self.due_on, _KIND_RANK[self.kind], self.person_name)


@dataclass(frozen=True)
class WorkQueue:
    tasks: list[Task]
    today: date

    def counts(self) -> dict[DueState, int]:
        return dict(Counter(t.state for t in self.tasks))

    def by_state(self, state: DueState) -> list[Task]:
        return [t for t in self.tasks if t.state is state]


def work_queue(
    uow: UnitOfWork,
    actor: Actor,
    rules: RuleConfig,
    *,
    area_ids: frozenset[uuid.UUID] | None = None,
    today: date | None = None,
    person_id: uuid.UUID | None = None,
) -> WorkQueue:
    today = today or date.today()
    session = uow.session
    areas = restrict_to_scope(uow, actor, area_ids)
    cadence = rules.cadence

    people = select(
        Person.id, Person.name, Person.area_id, Person.birth_date, Person.category,
        Person.component_categories, Person.grade, Person.cert_number, Person.cert_issued_on,
        Person.cert_valid_until, Person.status, Person.lives_alone, Person.dibao, Person.tekun,
        Person.fanpin_monitor, Person.low_income, Person.chronic_illness_in_household,
        Person.living_subsidy_receiving, Person.care_subsidy_receiving, Person.registered_on,
    ).where(Person.status == PersonStatus.ACTIVE)
    in_scope = Person.status == PersonStatus.ACTIVE
    if areas is not None:
        people = people.where(Person.area_id.in_(areas))
        in_scope = in_scope & Person.area_id.in_(areas)
    if person_id is not None:
        people = people.where(Person.id == person_id)
        in_scope = in_scope & (Person.id == person_id)

    contact = Visit.contact_mode.in_(list(cadence.contact_modes))
    last_contact = dict(
        session.execute(
            select(Visit.person_id, func.max(Visit.visit_date))
            .join(Person, Person.id == Visit.person_id)
            .where(in_scope, contact)
            .group_by(Visit.person_id)
        ).all()  # not the Result itself: it has keys(), so dict() would take it for a mapping
    )
    year_start = date(today.year, 1, 1)
    surveyed = set(
        session.scalars(
            select(Visit.person_id)
            .join(Person, Person.id == Visit.person_id)
            .where(in_scope, contact, Visit.kind == VisitKind.ANNUAL_SURVEY,
                   Visit.visit_date >= year_start)
            .distinct()
        )
    )
    names = area_directory(uow)
    tasks: list[Task] = []
    horizon = today - timedelta(days=FIRST_CONTACT_HORIZON_DAYS)

    for row in session.execute(people):
        facts = person_facts(row)  # a row with the person's columns reads like a Person
        area = names[row.area_id].full_name if row.area_id in names else ""
        last = last_contact.get(row.id)

        def add(kind: TaskKind, due, title: str, detail: str, visit_kind: VisitKind | None,  # type: ignore[no-untyped-def]
                ref_id: uuid.UUID | None = None) -> None:
            tasks.append(Task(kind, due.state, due.due_on, due.days_overdue, row.id, row.name,
                              area, title, detail, ref_id, visit_kind))

        first = None
        if row.cert_issued_on is not None and row.cert_issued_on >= horizon:
            contacted = last if last is not None and last >= row.cert_issued_on else None
            first = first_contact_due(row.cert_issued_on, contacted, today, cadence)
            if first is not None and first.state is not DueState.NOT_YET:
                add(TaskKind.FIRST_CONTACT, first, _("新办证对象首次联系"),
                    _("{on} 办证，{days} 天内完成首次联系").format(
                        on=row.cert_issued_on, days=cadence.first_contact_days),
                    VisitKind.FIRST_CONTACT)
        rule = cadence_for(facts, cadence)
        due = next_visit_due(last, row.registered_on, facts, cadence, today, rule)
        # a pending first contact is the visit; listing both would ask for two trips
        if due is not None and rule is not None and due.state is not DueState.NOT_YET and first is None:
            since = _("上次联系 {on}").format(on=last) if last else _("建档后尚未走访")
            add(TaskKind.VISIT, due, _("走访"), f"{rule.reason}；{since}",
                VisitKind.HARDSHIP if rule.kind == "intensive" else VisitKind.ROUTINE)
        if row.cert_number is not None and row.id not in surveyed:
            survey = annual_survey_due(None, today, cadence)
            if survey is not None and survey.state is not DueState.NOT_YET:
                add(TaskKind.ANNUAL_SURVEY, survey, _("年度基本状况调查"),
                    _("{year} 年尚未调查，截止 {on}").format(year=today.year, on=survey.due_on),
                    VisitKind.ANNUAL_SURVEY)
        expiry = certificate_expiry(row.cert_valid_until, today, rules.alerts)
        if expiry is not None and row.cert_valid_until is not None:
            if expiry.state is ExpiryState.EXPIRED:
                state, title = DueState.OVERDUE, _("残疾人证已过期")
                detail = _("有效期至 {on}，已过期 {n} 天，请提醒办理审验换证").format(
                    on=row.cert_valid_until, n=expiry.days)
            else:
                state, title = DueState.UPCOMING, _("残疾人证即将到期")
                detail = _("有效期至 {on}，还有 {n} 天").format(on=row.cert_valid_until, n=expiry.days)
            tasks.append(Task(TaskKind.CERT_EXPIRY, state, row.cert_valid_until,
                              expiry.days if state is DueState.OVERDUE else 0,
                              row.id, row.name, area, title, detail))

    person_info = {t.person_id: (t.person_name, t.area_name) for t in tasks}

    def person_label(pid: uuid.UUID, name: str, area_id: uuid.UUID) -> tuple[str, str]:
        return person_info.get(pid) or (name, names[area_id].full_name if area_id in names else "")

    follow_ups = session.execute(
        select(FollowUp, Person.name, Person.area_id)
        .join(Person, Person.id == FollowUp.person_id)
        .where(in_scope, FollowUp.status == FollowUpStatus.OPEN,
               FollowUp.due_on <= today + timedelta(days=FOLLOW_UP_LEAD_DAYS))
    )
    for item, name, area_id in follow_ups:
        due = classify(item.due_on, FOLLOW_UP_LEAD_DAYS, 0, today)
        pname, area = person_label(item.person_id, name, area_id)
        tasks.append(Task(TaskKind.FOLLOW_UP, due.state, item.due_on, due.days_overdue,
                          item.person_id, pname, area, _("跟进事项"),
                          _("{action}（期限 {on}）").format(action=item.action, on=item.due_on),
                          item.id, VisitKind.RETURN_VISIT))

    alert_before = today - timedelta(days=rules.alerts.need_alert_days)
    needs = session.execute(
        select(Need, Person.name, Person.area_id)
        .join(Person, Person.id == Need.person_id)
        .where(in_scope, Need.status.in_(ALERTING_NEED_STATUSES), Need.raised_on <= alert_before)
    )
    for need, name, area_id in needs:
        days_open = need_alert(need.raised_on, need.status, today, rules.alerts)
        if days_open is None:
            continue
        pname, area = person_label(need.person_id, name, area_id)
        tasks.append(Task(TaskKind.NEED_ALERT, DueState.OVERDUE, need.raised_on, days_open,
                          need.person_id, pname, area, _("需求预警"),
                          _("{kind}需求（{status}）已 {n} 天未解决").format(
                              kind=label(need.kind), status=label(need.status), n=days_open),
                          need.id, VisitKind.RETURN_VISIT))

    tasks.sort(key=lambda t: t.sort_key)
    return WorkQueue(tasks, today)


def overdue_person_ids(
    uow: UnitOfWork,
    actor: Actor,
    rules: RuleConfig,
    *,
    area_ids: frozenset[uuid.UUID] | None = None,
    today: date | None = None,
) -> frozenset[uuid.UUID]:
    """People with at least one overdue task (a visit, a follow-up, a need alert …)."""
    queue = work_queue(uow, actor, rules, area_ids=area_ids, today=today)
    return frozenset(t.person_id for t in queue.tasks if t.state is DueState.OVERDUE)


TASK_KIND_LABELS = {
    TaskKind.VISIT: "走访",
    TaskKind.ANNUAL_SURVEY: "年度调查",
    TaskKind.FIRST_CONTACT: "首次联系",
    TaskKind.FOLLOW_UP: "跟进事项",
    TaskKind.NEED_ALERT: "需求预警",
    TaskKind.CERT_EXPIRY: "证件到期",
}
STATE_LABELS = {
    DueState.OVERDUE: "已逾期",
    DueState.DUE: "今日到期",
    DueState.UPCOMING: "即将到期",
    DueState.NOT_YET: "未到期",
}


def task_kind_label(kind: TaskKind) -> str:
    return _(TASK_KIND_LABELS[kind])


def state_label(state: DueState) -> str:
    return _(STATE_LABELS[state])
