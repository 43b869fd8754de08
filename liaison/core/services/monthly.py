"""The monthly summary (月报) of a township or village: every figure of the printed report, the
spreadsheet and the screen comes from `monthly_summary`, the one query path.

Figures are "as of" the month's last day (or today, for the running month): who was on file,
what was done in the month, how cases stood (replayed from their timelines), and the plan
indicators of 专栏1 computed from the records. Rows are the areas one level below the chosen
one (a county's townships, a township's villages; a village is its own single row).
"""

from __future__ import annotations

import calendar
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select

from liaison.core.enums import (
    N_,
    AreaLevel,
    CaseType,
    ContactMode,
    FollowUpStatus,
    ModificationStage,
    NeedKind,
    NeedStatus,
    PersonStatus,
    ReferralServiceKind,
    ReferralState,
    SchoolStatus,
    VisitKind,
)
from liaison.core.errors import NotFoundError, ValidationError
from liaison.core.i18n import _
from liaison.core.models import (
    AreaTarget,
    AuditEvent,
    CaseEvent,
    FollowUp,
    HomeModificationCase,
    Need,
    Person,
    RehabReferral,
    Visit,
)
from liaison.core.progress import CancelToken
from liaison.core.rules.cadence import cadence_for, next_visit_due
from liaison.core.rules.config import RuleConfig
from liaison.core.rules.idnumber import age_on
from liaison.core.rules.subsidy import care_subsidy_eligibility, living_subsidy_eligibility
from liaison.core.rules.workflows import DEVICE_STATE
from liaison.core.services.areas import AreaInfo, area_directory, subtree_ids
from liaison.core.services.context import Actor, ensure_area_in_scope
from liaison.core.services.persons import person_facts
from liaison.core.uow import UnitOfWork

ENROLLED = frozenset({SchoolStatus.REGULAR, SchoolStatus.INCLUSIVE, SchoolStatus.SPECIAL_SCHOOL,
                      SchoolStatus.HOME_DELIVERED})
SCHOOL_AGES = (6, 15)  # 义务教育
PENSION_MIN_AGE = 16  # 城乡居民基本养老保险
FOLLOW_UP_LIST_LIMIT = 300
NO_CATEGORY = 0  # children with a diagnosis and no certificate yet: 未评定


@dataclass
class UnitFigures:
    """One row of the summary (a village, or a township in a county summary)."""

    area_id: uuid.UUID | None  # None for the total
    name: str
    on_file: int = 0
    by_category: Counter[int] = field(default_factory=Counter)  # 1–7, NO_CATEGORY
    by_grade: Counter[int] = field(default_factory=Counter)  # 1–4, NO_CATEGORY
    new_records: int = 0
    changed_records: int = 0
    closed_records: Counter[PersonStatus] = field(default_factory=Counter)
    visits_by_kind: Counter[VisitKind] = field(default_factory=Counter)
    visits_by_mode: Counter[ContactMode] = field(default_factory=Counter)
    due_for_visit: int = 0
    due_and_visited: int = 0
    needs_raised: int = 0
    needs_resolved: int = 0
    needs_overdue: int = 0  # unresolved longer than the alert threshold at the end
    modification_stages: Counter[ModificationStage] = field(default_factory=Counter)
    referral_states: Counter[ReferralState] = field(default_factory=Counter)
    modification_target: int | None = None
    overdue_follow_ups: int = 0

    @property
    def visits(self) -> int:
        return sum(self.visits_by_kind.values())

    @property
    def closed_total(self) -> int:
        return sum(self.closed_records.values())

    @property
    def coverage(self) -> float | None:
        return self.due_and_visited / self.due_for_visit if self.due_for_visit else None

    @property
    def modifications_closed(self) -> int:
        return self.modification_stages[ModificationStage.CLOSED]

    def add(self, other: UnitFigures) -> None:
        for name in ("on_file", "new_records", "changed_records", "due_for_visit", "due_and_visited",
                     "needs_raised", "needs_resolved", "needs_overdue", "overdue_follow_ups"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("by_category", "by_grade", "closed_records", "visits_by_kind", "visits_by_mode",
                     "modification_stages", "referral_states"):
            getattr(self, name).update(getattr(other, name))


@dataclass(frozen=True)
class Indicator:
    """A plan indicator of 专栏1: numerator / denominator against its target."""

    name: str
    numerator: int
    denominator: int
    target: float | None  # a share (0.85), or None for a count target
    target_text: str
    definition: str
    target_count: int | None = None  # for the modification count

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def met(self) -> bool | None:
        if self.target_count is not None:
            return self.numerator >= self.target_count
        if self.target is None or self.rate is None:
            return None
        return self.rate >= self.target - 1e-9


@dataclass(frozen=True)
class OverdueFollowUp:
    person_name: str
    unit: str
    village: str
    action: str
    due_on: date
    days_overdue: int


@dataclass
class MonthlySummary:
    area_id: uuid.UUID | None
    area_name: str  # 填报单位
    year: int
    month: int
    start: date
    end: date  # the month's last day
    as_of: date  # min(end, today)
    unit_level: str  # "township", "village"
    units: list[UnitFigures]
    total: UnitFigures
    indicators: list[Indicator]
    overdue_follow_ups: list[OverdueFollowUp]  # the longest overdue first, at most the limit
    overdue_follow_ups_total: int
    modification_year_target: int | None
    need_alert_days: int

    @property
    def period_label(self) -> str:
        return _("{y}年{m}月").format(y=self.year, m=self.month)


def month_bounds(year: int, month: int) -> tuple[date, date]:
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise ValidationError.single("month", _("月份不正确"), _("统计月份"))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def parse_month(text: str) -> tuple[int, int]:
    """"2026-11" (or 2026-1, 2026年11月) → (2026, 11); a ValidationError otherwise."""
    cleaned = text.strip().replace("年", "-").replace("月", "").replace("/", "-").replace(".", "-")
    try:
        year_text, month_text = cleaned.split("-")
        year, month = int(year_text), int(month_text)
        month_bounds(year, month)
    except (ValueError, ValidationError):
        raise ValidationError.single("month", _("“{t}”不是月份，应写成 2026-11").format(t=text), _("统计月份")) from None
    return year, month


# --- the query path -----------------------------------------------------------------------


def monthly_summary(
    uow: UnitOfWork,
    actor: Actor,
    *,
    year: int,
    month: int,
    rules: RuleConfig,
    today: date,
    area_id: uuid.UUID | None = None,
    cancel: CancelToken | None = None,
) -> MonthlySummary:
    """The month's figures for `area_id` (default: the actor's area, or the whole county)."""
    start, end = month_bounds(year, month)
    if start > today:
        raise ValidationError.single("month", _("{y}年{m}月还没有开始").format(y=year, m=month), _("统计月份"))
    as_of = min(end, today)
    session = uow.session
    directory = area_directory(uow)
    root = _root_area(uow, actor, area_id, directory)
    units, unit_of = _units(root, directory, session)
    area_ids = list(unit_of)
    figures = {u.id: UnitFigures(u.id, u.name) for u in units}

    def check() -> None:
        if cancel is not None:
            cancel.raise_if_cancelled()

    person_unit: dict[uuid.UUID, uuid.UUID] = {}
    on_file_facts = []
    for p in session.execute(select(*_PERSON_COLUMNS).where(Person.area_id.in_(area_ids))):
        unit = unit_of[p.area_id]
        person_unit[p.id] = unit
        f = figures[unit]
        if p.registered_on <= as_of and (p.status is PersonStatus.ACTIVE or (p.status_on and p.status_on > as_of)):
            f.on_file += 1
            f.by_category[p.category or NO_CATEGORY] += 1
            f.by_grade[p.grade or NO_CATEGORY] += 1
            on_file_facts.append((p, replace(person_facts(p), status=PersonStatus.ACTIVE)))
        if start <= p.registered_on <= as_of:
            f.new_records += 1
        if p.status is not PersonStatus.ACTIVE and p.status_on and start <= p.status_on <= as_of:
            f.closed_records[p.status] += 1
    check()

    in_area = Person.area_id.in_(area_ids)
    changed = session.execute(
        select(AuditEvent.entity_id).distinct()
        .where(AuditEvent.entity == "person", AuditEvent.action != "create",
               AuditEvent.at >= start, AuditEvent.at < as_of + timedelta(days=1))
    ).scalars()
    for person_id in changed:
        if person_id in person_unit:
            figures[person_unit[person_id]].changed_records += 1

    contact_modes = list(rules.cadence.contact_modes)
    visited_in_month: set[uuid.UUID] = set()
    for person_id, kind, mode in session.execute(
        select(Visit.person_id, Visit.kind, Visit.contact_mode).join(Person, Person.id == Visit.person_id)
        .where(in_area, Visit.visit_date.between(start, as_of))
    ):
        f = figures[person_unit[person_id]]
        f.visits_by_kind[kind] += 1
        f.visits_by_mode[mode] += 1
        if mode in contact_modes:
            visited_in_month.add(person_id)
    check()

    last_contact = dict(session.execute(
        select(Visit.person_id, func.max(Visit.visit_date)).join(Person, Person.id == Visit.person_id)
        .where(in_area, Visit.visit_date < start, Visit.contact_mode.in_(contact_modes))
        .group_by(Visit.person_id)
    ).all())
    for p, facts in on_file_facts:
        rule = cadence_for(facts, rules.cadence)
        due = next_visit_due(last_contact.get(p.id), p.registered_on, facts, rules.cadence, start, rule)
        if due is not None and due.due_on <= as_of:
            f = figures[person_unit[p.id]]
            f.due_for_visit += 1
            if p.id in visited_in_month:
                f.due_and_visited += 1
    check()

    alert_before = as_of - timedelta(days=rules.alerts.need_alert_days)
    for person_id, raised_on, resolved_on in session.execute(
        select(Need.person_id, Need.raised_on, Need.resolved_on).join(Person, Person.id == Need.person_id)
        .where(in_area, Need.raised_on <= as_of, or_(Need.resolved_on.is_(None), Need.resolved_on >= start))
    ):
        f = figures[person_unit[person_id]]
        if raised_on >= start:
            f.needs_raised += 1
        if resolved_on is not None and start <= resolved_on <= as_of:
            f.needs_resolved += 1
        if raised_on <= alert_before and (resolved_on is None or resolved_on > as_of):
            f.needs_overdue += 1
    # needs raised in the month and resolved before it cannot exist; raised earlier and
    # resolved earlier are outside every count above

    mod_state = _states_at(session, CaseType.MODIFICATION, as_of, area_ids)
    for case_id, person_id in session.execute(
        select(HomeModificationCase.id, HomeModificationCase.person_id)
        .join(Person, Person.id == HomeModificationCase.person_id)
        .where(in_area, HomeModificationCase.year == year)
    ):
        state = mod_state.get(case_id)
        if state is not None:
            figures[person_unit[person_id]].modification_stages[ModificationStage(state)] += 1
    ref_state = _states_at(session, CaseType.REFERRAL, as_of, area_ids)
    for ref_id, person_id in session.execute(
        select(RehabReferral.id, RehabReferral.person_id).join(Person, Person.id == RehabReferral.person_id)
        .where(in_area, RehabReferral.referred_on.between(date(year, 1, 1), date(year, 12, 31)))
    ):
        state = ref_state.get(ref_id)
        if state is not None:
            figures[person_unit[person_id]].referral_states[_referral_state(state)] += 1
    check()

    targets = dict(session.execute(select(AreaTarget.area_id, AreaTarget.target).where(
        AreaTarget.year == year, AreaTarget.kind == CaseType.MODIFICATION)).all())
    children: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for info in directory.values():
        if info.parent_id is not None:
            children[info.parent_id].append(info.id)
    for unit in units:
        figures[unit.id].modification_target = _target_for(targets, children, unit.id)
    year_target = _target_for(targets, children, root.id)

    overdue: list[OverdueFollowUp] = []
    for person_id, name, area, action, due_on in session.execute(
        select(FollowUp.person_id, Person.name, Person.area_id, FollowUp.action, FollowUp.due_on)
        .join(Person, Person.id == FollowUp.person_id)
        .where(in_area, FollowUp.due_on < as_of,
               or_(FollowUp.status == FollowUpStatus.OPEN, and_(FollowUp.done_on.is_not(None),
                                                                FollowUp.done_on > as_of)),
               FollowUp.created_at < as_of + timedelta(days=1))
    ):
        unit = person_unit[person_id]
        figures[unit].overdue_follow_ups += 1
        info = directory.get(area)
        overdue.append(OverdueFollowUp(name, figures[unit].name, info.full_name if info else "", action, due_on,
                                       (as_of - due_on).days))
    overdue.sort(key=lambda o: (-o.days_overdue, o.unit, o.person_name))
    check()

    total = UnitFigures(None, _("合计"))
    for unit in units:
        total.add(figures[unit.id])
    total.modification_target = year_target
    indicators = _indicators(session, on_file_facts, rules, year, as_of, total, year_target, area_ids, ref_state)
    return MonthlySummary(
        area_id=root.id,
        area_name=root.full_name or root.name,
        year=year, month=month, start=start, end=end, as_of=as_of,
        unit_level=units[0].level.value if units else AreaLevel.VILLAGE.value,
        units=[figures[u.id] for u in units], total=total, indicators=indicators,
        overdue_follow_ups=overdue[:FOLLOW_UP_LIST_LIMIT], overdue_follow_ups_total=len(overdue),
        modification_year_target=year_target, need_alert_days=rules.alerts.need_alert_days,
    )


_PERSON_COLUMNS = (
    Person.id, Person.area_id, Person.registered_on, Person.status, Person.status_on, Person.birth_date,
    Person.category, Person.component_categories, Person.grade, Person.cert_number, Person.cert_issued_on,
    Person.cert_valid_until, Person.lives_alone, Person.dibao, Person.tekun, Person.fanpin_monitor,
    Person.low_income, Person.chronic_illness_in_household, Person.living_subsidy_receiving,
    Person.care_subsidy_receiving, Person.pension_insured, Person.medical_insured, Person.school_status,
)


def _root_area(
    uow: UnitOfWork, actor: Actor, area_id: uuid.UUID | None, directory: Mapping[uuid.UUID, AreaInfo]
) -> AreaInfo:
    if area_id is not None:
        info = directory.get(area_id)
        if info is None:
            raise NotFoundError(_("找不到该地区"))
        ensure_area_in_scope(uow, actor, area_id)
        if info.level is AreaLevel.GROUP:
            raise ValidationError.single("area", _("月报按村（社区）以上编制，请选择村或乡镇"), _("地区"))
        return info
    if actor.scope_area_ids is not None and len(actor.scope_area_ids) == 1:
        return directory[next(iter(actor.scope_area_ids))]
    if actor.scope_area_ids is None:
        tops = [i for i in directory.values() if i.parent_id is None]
        if len(tops) == 1:
            return tops[0]
    raise ValidationError.single("area", _("请选择要编制月报的乡镇或村"), _("地区"))


def _units(
    root: AreaInfo, directory: Mapping[uuid.UUID, AreaInfo], session: Any
) -> tuple[list[AreaInfo], dict[uuid.UUID, uuid.UUID]]:
    """The row areas and, for every area below the root, the row it is counted in."""
    if root.level is AreaLevel.VILLAGE:
        units = [root]
    else:
        units = sorted((i for i in directory.values() if i.parent_id == root.id), key=lambda i: i.code)
    unit_of: dict[uuid.UUID, uuid.UUID] = {}
    for unit in units:
        for area in subtree_ids(session, [unit.id]):
            unit_of[area] = unit.id
    return units, unit_of


def _states_at(session: Any, case_type: CaseType, as_of: date, area_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Each case's stage on `as_of`, replayed from its timeline (the last step by then)."""
    model = HomeModificationCase if case_type is CaseType.MODIFICATION else RehabReferral
    cases = select(model.id).join(Person, Person.id == model.person_id).where(Person.area_id.in_(area_ids))
    states: dict[uuid.UUID, str] = {}
    rows = session.execute(
        select(CaseEvent.case_id, CaseEvent.to_state)
        .where(CaseEvent.case_type == case_type, CaseEvent.on_date <= as_of, CaseEvent.case_id.in_(cases))
        .order_by(CaseEvent.on_date, CaseEvent.at)
    )
    for case_id, state in rows:
        states[case_id] = state
    return states


def _referral_state(state: str) -> ReferralState:
    device = DEVICE_STATE.get(state)
    if device is not None and state not in {s.value for s in ReferralState}:
        return device
    return ReferralState(state)


def _target_for(targets: dict[uuid.UUID, int], children: dict[uuid.UUID, list[uuid.UUID]],
                area_id: uuid.UUID) -> int | None:
    if area_id in targets:
        return targets[area_id]
    return _sum_or_none(_target_for(targets, children, c) for c in children.get(area_id, []))


def _sum_or_none(values: Iterable[int | None]) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _indicators(
    session: Any,
    on_file: list[tuple[Any, Any]],
    rules: RuleConfig,
    year: int,
    as_of: date,
    total: UnitFigures,
    year_target: int | None,
    area_ids: list[uuid.UUID],
    referral_states: Mapping[uuid.UUID, str],
) -> list[Indicator]:
    living_eligible = [p for p, f in on_file if living_subsidy_eligibility(f, rules.subsidy).eligible]
    care_eligible = [p for p, f in on_file if care_subsidy_eligibility(f, rules.subsidy).eligible]
    poor = [p for p, f in on_file if f.dibao or f.tekun or f.low_income or f.fanpin_monitor]
    adults = [p for p, _f in on_file if age_on(p.birth_date, as_of) >= PENSION_MIN_AGE]
    children = [p for p, _f in on_file if SCHOOL_AGES[0] <= age_on(p.birth_date, as_of) <= SCHOOL_AGES[1]]
    on_file_ids = {p.id for p, _f in on_file}
    served = {"session": session, "year": year, "as_of": as_of, "on_file": on_file_ids, "area_ids": area_ids,
              "referral_states": referral_states}
    rehab_need, rehab_served = _served(kind=NeedKind.REHABILITATION,
                                       served_states={ReferralState.IN_SERVICE, ReferralState.COMPLETED}, **served)
    device_need, device_served = _served(kind=NeedKind.ASSISTIVE_DEVICE, served_states={ReferralState.COMPLETED},
                                         kinds={ReferralServiceKind.DEVICE_FITTING}, **served)
    return [
        Indicator(_("困难残疾人生活补贴覆盖率"), sum(p.living_subsidy_receiving for p in living_eligible),
                  len(living_eligible), 1.0, "100%", _(N_("按规则表符合生活补贴条件的在册残疾人中，正在领取的比例"))),
        Indicator(_("重度残疾人护理补贴覆盖率"), sum(p.care_subsidy_receiving for p in care_eligible),
                  len(care_eligible), 1.0, "100%", _(N_("按规则表符合护理补贴条件的在册残疾人中，正在领取的比例"))),
        Indicator(_("符合条件的残疾人纳入最低生活保障比例"), sum(p.dibao or p.tekun for p in poor), len(poor), 1.0,
                  "100%", _(N_("家庭被标为低保、特困、低收入或防返贫监测的在册残疾人中，已纳入低保或特困供养的比例"))),
        Indicator(_("残疾人城乡居民基本养老保险参保率"), sum(p.pension_insured for p in adults), len(adults), 0.90,
                  ">90%", _(N_("16 周岁及以上在册残疾人中已参保的比例"))),
        Indicator(_("残疾人城乡居民基本医疗保险参保率"), sum(p.medical_insured for p, _f in on_file), len(on_file), 0.95,
                  ">95%", _(N_("在册残疾人中已参保的比例"))),
        Indicator(_("有康复需求的残疾人基本康复服务覆盖率"), rehab_served, rehab_need, 0.85, "85%",
                  _(N_("本年提出康复需求的在册残疾人中，需求已解决或转介已进入服务的比例"))),
        Indicator(_("有适配需求的残疾人辅助器具适配率"), device_served, device_need, 0.85, "85%",
                  _(N_("本年提出辅助器具需求的在册残疾人中，需求已解决或辅具已适配的比例"))),
        Indicator(_("残疾儿童少年义务教育入学率"), sum(p.school_status in ENROLLED for p in children), len(children),
                  0.97, "97%", _(N_("6–15 周岁在册残疾儿童少年中在普通学校、随班就读、特教学校或送教上门的比例"))),
        Indicator(_("困难残疾人家庭无障碍改造数"), total.modifications_closed, year_target or 0, None,
                  _("{n} 户").format(n=year_target) if year_target is not None else _("未设定"),
                  _(N_("本年度已结案的改造户数，对照年度目标")), target_count=year_target),
    ]


def _served(
    *, session: Any, kind: NeedKind, year: int, as_of: date, on_file: set[uuid.UUID], area_ids: list[uuid.UUID],
    referral_states: Mapping[uuid.UUID, str], served_states: set[ReferralState],
    kinds: set[ReferralServiceKind] | None = None,
) -> tuple[int, int]:
    """(people with such a need raised this year, those whose need was met or whose referral
    reached one of `served_states` by `as_of`)."""
    needs = session.execute(
        select(Need.id, Need.person_id, Need.status, Need.resolved_on).join(Person, Person.id == Need.person_id)
        .where(Person.area_id.in_(area_ids), Need.kind == kind, Need.raised_on.between(date(year, 1, 1), as_of))
    ).all()
    people = {n.person_id for n in needs if n.person_id in on_file}
    served = {n.person_id for n in needs if n.person_id in people and n.status is NeedStatus.MET
              and n.resolved_on is not None and n.resolved_on <= as_of}
    need_ids = {n.id: n.person_id for n in needs if n.person_id in people}
    rows = session.execute(
        select(RehabReferral.id, RehabReferral.need_id, RehabReferral.service_kind)
        .join(Person, Person.id == RehabReferral.person_id)
        .where(Person.area_id.in_(area_ids), RehabReferral.referred_on <= as_of)
    )
    for ref_id, need_id, service in rows:
        state = referral_states.get(ref_id)
        if (need_id in need_ids and state is not None and _referral_state(state) in served_states
                and (kinds is None or service in kinds)):
            served.add(need_ids[need_id])
    return len(people), len(served)
