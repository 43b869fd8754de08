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
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, NamedTuple

from sqlalchemy import String, and_, func, or_, select, true, type_coerce

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
    Area,
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
from liaison.core.rules.cadence import CadenceRule, cadence_for, visit_due_on
from liaison.core.rules.config import RuleConfig
from liaison.core.rules.facts import PersonFacts
from liaison.core.rules.idnumber import age_on
from liaison.core.rules.subsidy import care_subsidy_eligibility, living_subsidy_eligibility
from liaison.core.rules.workflows import DEVICE_STATE
from liaison.core.services.areas import AreaInfo, area_children, area_directory
from liaison.core.services.context import Actor, ensure_area_in_scope
from liaison.core.services.modifications import target_for, yearly_targets
from liaison.core.services.persons import parse_components
from liaison.core.uow import UnitOfWork

ENROLLED = frozenset({SchoolStatus.REGULAR, SchoolStatus.INCLUSIVE, SchoolStatus.SPECIAL_SCHOOL,
                      SchoolStatus.HOME_DELIVERED})
SCHOOL_AGES = (6, 15)  # 义务教育
PENSION_MIN_AGE = 16  # 城乡居民基本养老保险
FOLLOW_UP_LIST_LIMIT = 500  # the spreadsheet lists these; the PDF the first PDF_FOLLOW_UPS
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
    children = area_children(directory)
    units, unit_of = _units(root, directory, children)
    figures = {u.id: UnitFigures(u.id, u.name) for u in units}
    # ids are compared as the database returns them (no uuid.UUID per row: a county has 10^6)
    unit_by_raw: dict[object, UnitFigures] = {}
    for area, unit in unit_of.items():
        for form in (area, area.hex, str(area)):
            unit_by_raw[form] = figures[unit]
    whole = root.parent_id is None and actor.scope_area_ids is None
    in_area = true() if whole else Person.area_id.in_(_subtree_select(root.id))

    def check() -> None:
        if cancel is not None:
            cancel.check()

    unit_of_person: dict[object, UnitFigures] = {}
    on_file: list[OnFile] = []
    traits = _Traits(rules)
    active = PersonStatus.ACTIVE.value
    for (pid, area, registered_on, status, status_on, birth_date, category, components, grade, has_cert, alone,
         dibao, tekun, fanpin, low_income, living_receiving, care_receiving, pension, medical,
         school) in session.execute(select(*_person_columns()).where(in_area)):
        f = unit_by_raw[area]
        unit_of_person[pid] = f
        if registered_on <= as_of and (status == active or (status_on and status_on > as_of)):
            f.on_file += 1
            f.by_category[category or NO_CATEGORY] += 1
            f.by_grade[grade or NO_CATEGORY] += 1
            rule, living, care = traits.answers(category, components, grade, has_cert, alone, dibao, tekun, fanpin,
                                                low_income)
            on_file.append(OnFile(pid, f, registered_on, birth_date, rule, living, care,
                                  bool(dibao or tekun), bool(dibao or tekun or low_income or fanpin),
                                  bool(living_receiving), bool(care_receiving), bool(pension), bool(medical), school))
        if start <= registered_on <= as_of:
            f.new_records += 1
        if status != active and status_on and start <= status_on <= as_of:
            f.closed_records[PersonStatus(status)] += 1
    check()

    changed = session.execute(
        select(raw(AuditEvent.entity_id)).distinct()
        .where(AuditEvent.entity == "person", AuditEvent.action != "create",
               AuditEvent.at >= start, AuditEvent.at < as_of + timedelta(days=1))
    ).scalars()
    for person_id in changed:
        if person_id in unit_of_person:
            unit_of_person[person_id].changed_records += 1

    # Every person of the area is in unit_of_person: rows below are read by person id and
    # counted in Python, without joining the person table again.
    people = None if whole else select(Person.id).where(in_area)

    def of_people(column: Any) -> Any:
        return true() if people is None else column.in_(people)

    contact_modes = {m.value for m in rules.cadence.contact_modes}
    visited_in_month: set[object] = set()
    for person_id, kind, mode in session.execute(
        select(raw(Visit.person_id), raw(Visit.kind), raw(Visit.contact_mode))
        .where(of_people(Visit.person_id), Visit.visit_date.between(start, as_of))
    ):
        f = unit_of_person[person_id]
        f.visits_by_kind[VisitKind(kind)] += 1
        f.visits_by_mode[ContactMode(mode)] += 1
        if mode in contact_modes:
            visited_in_month.add(person_id)
    check()

    # Contacts older than the longest interval cannot keep anyone from being due by the end
    # (visits are never dated before registration), so only that window is read.
    window = as_of - timedelta(days=max(rules.cadence.intensive.interval_days, rules.cadence.regular.interval_days))
    person_col = raw(Visit.person_id)
    last_contact = dict(session.execute(
        select(person_col, func.max(Visit.visit_date))
        .where(of_people(Visit.person_id), Visit.visit_date >= window, Visit.visit_date < start,
               raw(Visit.contact_mode).in_(sorted(contact_modes)))
        .group_by(person_col)
    ).all())
    for p in on_file:
        if p.rule is not None and visit_due_on(last_contact.get(p.id), p.registered_on, p.rule) <= as_of:
            p.unit.due_for_visit += 1
            if p.id in visited_in_month:
                p.unit.due_and_visited += 1
    check()

    alert_before = as_of - timedelta(days=rules.alerts.need_alert_days)
    for person_id, raised_on, resolved_on in session.execute(
        select(raw(Need.person_id), Need.raised_on, Need.resolved_on)
        .where(of_people(Need.person_id), Need.raised_on <= as_of,
               or_(Need.resolved_on.is_(None), Need.resolved_on >= start))
    ):
        f = unit_of_person[person_id]
        if raised_on >= start:
            f.needs_raised += 1
        if resolved_on is not None and start <= resolved_on <= as_of:
            f.needs_resolved += 1
        if raised_on <= alert_before and (resolved_on is None or resolved_on > as_of):
            f.needs_overdue += 1

    mod_state = _states_at(session, CaseType.MODIFICATION, as_of,
                           select(HomeModificationCase.id).where(of_people(HomeModificationCase.person_id),
                                                                 HomeModificationCase.year == year))
    for case_id, person_id in session.execute(
        select(raw(HomeModificationCase.id), raw(HomeModificationCase.person_id))
        .where(of_people(HomeModificationCase.person_id), HomeModificationCase.year == year)
    ):
        state = mod_state.get(case_id)
        if state is not None:
            unit_of_person[person_id].modification_stages[ModificationStage(state)] += 1
    ref_state = _states_at(session, CaseType.REFERRAL, as_of,
                           select(RehabReferral.id).where(of_people(RehabReferral.person_id),
                                                          RehabReferral.referred_on <= as_of))
    referrals = session.execute(
        select(raw(RehabReferral.id), raw(RehabReferral.person_id), raw(RehabReferral.need_id),
               raw(RehabReferral.service_kind), RehabReferral.referred_on)
        .where(of_people(RehabReferral.person_id), RehabReferral.referred_on <= as_of)
    ).all()
    for ref_id, person_id, _need, _kind, referred_on in referrals:
        state = ref_state.get(ref_id)
        if state is not None and referred_on.year == year:
            unit_of_person[person_id].referral_states[_referral_state(state)] += 1
    check()

    targets = yearly_targets(session, year)
    for unit in units:
        figures[unit.id].modification_target = target_for(targets, children, unit.id)
    year_target = target_for(targets, children, root.id)

    open_at_end = and_(
        of_people(FollowUp.person_id), FollowUp.due_on < as_of, FollowUp.created_at < as_of + timedelta(days=1),
        or_(FollowUp.status == FollowUpStatus.OPEN, and_(FollowUp.done_on.is_not(None), FollowUp.done_on > as_of)),
    )
    follow_person = raw(FollowUp.person_id)
    for person_id, n in session.execute(
        select(follow_person, func.count()).where(open_at_end).group_by(follow_person)
    ):
        unit_of_person[person_id].overdue_follow_ups += n
    overdue_total = sum(f.overdue_follow_ups for f in figures.values())
    overdue = []
    for name, area, action, due_on in session.execute(
        select(Person.name, raw(Person.area_id), FollowUp.action, FollowUp.due_on)
        .join(Person, Person.id == FollowUp.person_id).where(open_at_end)
        .order_by(FollowUp.due_on, Person.name_sort).limit(FOLLOW_UP_LIST_LIMIT)
    ):
        info = directory.get(_as_uuid(area))
        overdue.append(OverdueFollowUp(name, unit_by_raw[area].name, info.full_name if info else "", action,
                                       due_on, (as_of - due_on).days))
    check()

    total = UnitFigures(None, _("合计"))
    for unit in units:
        total.add(figures[unit.id])
    total.modification_target = year_target
    needs_of_year = session.execute(
        select(raw(Need.id), raw(Need.person_id), raw(Need.kind), raw(Need.status), Need.resolved_on)
        .where(of_people(Need.person_id), Need.kind.in_([NeedKind.REHABILITATION, NeedKind.ASSISTIVE_DEVICE]),
               Need.raised_on.between(date(year, 1, 1), as_of))
    ).all()
    indicators = _indicators(on_file, as_of, total, year_target, needs_of_year, referrals, ref_state)
    return MonthlySummary(
        area_id=root.id,
        area_name=root.full_name or root.name,
        year=year, month=month, start=start, end=end, as_of=as_of,
        unit_level=units[0].level.value if units else AreaLevel.VILLAGE.value,
        units=[figures[u.id] for u in units], total=total, indicators=indicators,
        overdue_follow_ups=overdue, overdue_follow_ups_total=overdue_total,
        modification_year_target=year_target, need_alert_days=rules.alerts.need_alert_days,
    )


_RAW = String()


def raw(column: Any) -> Any:
    """The column as the database stores it, without per-row conversion to uuid.UUID or enums."""
    return type_coerce(column, _RAW)


def _as_uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _person_columns() -> tuple[Any, ...]:
    return (
        raw(Person.id), raw(Person.area_id), Person.registered_on, raw(Person.status), Person.status_on,
        Person.birth_date, Person.category, Person.component_categories, Person.grade,
        Person.cert_number.is_not(None), Person.lives_alone, Person.dibao, Person.tekun, Person.fanpin_monitor,
        Person.low_income, Person.living_subsidy_receiving, Person.care_subsidy_receiving, Person.pension_insured,
        Person.medical_insured, raw(Person.school_status),
    )


class OnFile(NamedTuple):
    """A person on file at the end of the month, with what the indicators need."""

    id: object
    unit: UnitFigures
    registered_on: date
    birth_date: date
    rule: CadenceRule | None
    living_eligible: bool
    care_eligible: bool
    dibao_or_tekun: bool
    poor: bool  # 低保, 特困, 低收入 or 防返贫监测
    living_receiving: bool
    care_receiving: bool
    pension_insured: bool
    medical_insured: bool
    school_status: str


class _Traits:
    """The rules' answers for a person on file, worked out once per combination of the traits
    they depend on (a county has 100,000 people but only a few hundred combinations)."""

    def __init__(self, rules: RuleConfig) -> None:
        self.rules = rules
        self._memo: dict[tuple[Any, ...], tuple[CadenceRule | None, bool, bool]] = {}

    def answers(self, *key: Any) -> tuple[CadenceRule | None, bool, bool]:
        """(visit cadence, 生活补贴 eligible, 护理补贴 eligible) for (category, components, grade,
        has certificate, lives alone, 低保, 特困, 防返贫监测, 低收入)."""
        found = self._memo.get(key)
        if found is None:
            category, components, grade, has_cert, alone, dibao, tekun, fanpin, low_income = key
            facts = PersonFacts(
                birth_date=date(2000, 1, 1), category=category, component_categories=parse_components(components),
                grade=grade, has_certificate=bool(has_cert), status=PersonStatus.ACTIVE, lives_alone=bool(alone),
                dibao=bool(dibao), tekun=bool(tekun), fanpin_monitor=bool(fanpin), low_income=bool(low_income),
            )
            found = (cadence_for(facts, self.rules.cadence),
                     living_subsidy_eligibility(facts, self.rules.subsidy).eligible,
                     care_subsidy_eligibility(facts, self.rules.subsidy).eligible)
            self._memo[key] = found
        return found


def _subtree_select(root_id: uuid.UUID) -> Any:
    tree = select(Area.id).where(Area.id == root_id).cte("report_tree", recursive=True)
    tree = tree.union_all(select(Area.id).where(Area.parent_id == tree.c.id))
    return select(tree.c.id)


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
    root: AreaInfo, directory: Mapping[uuid.UUID, AreaInfo], children: Mapping[uuid.UUID, list[uuid.UUID]]
) -> tuple[list[AreaInfo], dict[uuid.UUID, uuid.UUID]]:
    """The row areas and, for every area below the root, the row it is counted in."""
    if root.level is AreaLevel.VILLAGE:
        units = [root]
    else:
        units = sorted((directory[c] for c in children.get(root.id, [])), key=lambda i: i.code)
    unit_of: dict[uuid.UUID, uuid.UUID] = {}
    for unit in units:
        stack = [unit.id]
        while stack:
            area = stack.pop()
            unit_of[area] = unit.id
            stack.extend(children.get(area, ()))
    return units, unit_of


def _states_at(session: Any, case_type: CaseType, as_of: date, cases: Any) -> dict[object, str]:
    """Each case's stage on `as_of`, replayed from its timeline: the last step taken by then."""
    last = (
        select(
            raw(CaseEvent.case_id).label("case_id"), CaseEvent.to_state,
            func.row_number().over(partition_by=CaseEvent.case_id,
                                   order_by=(CaseEvent.on_date.desc(), CaseEvent.at.desc(),
                                             CaseEvent.id.desc())).label("rn"),
        )
        .where(CaseEvent.case_type == case_type, CaseEvent.on_date <= as_of, CaseEvent.case_id.in_(cases))
        .subquery()
    )
    return dict(session.execute(select(last.c.case_id, last.c.to_state).where(last.c.rn == 1)).all())


def _referral_state(state: str) -> ReferralState:
    device = DEVICE_STATE.get(state)
    if device is not None and state not in {s.value for s in ReferralState}:
        return device
    return ReferralState(state)


def _indicators(
    on_file: list[OnFile], as_of: date, total: UnitFigures, year_target: int | None,
    needs: list[Any], referrals: list[Any], referral_states: dict[object, str],
) -> list[Indicator]:
    living_eligible = [p for p in on_file if p.living_eligible]
    care_eligible = [p for p in on_file if p.care_eligible]
    poor = [p for p in on_file if p.poor]
    adults = [p for p in on_file if age_on(p.birth_date, as_of) >= PENSION_MIN_AGE]
    children = [p for p in on_file if SCHOOL_AGES[0] <= age_on(p.birth_date, as_of) <= SCHOOL_AGES[1]]
    enrolled = {s.value for s in ENROLLED}
    on_file_ids = {p.id for p in on_file}
    rehab_need, rehab_served = _served(NeedKind.REHABILITATION, {ReferralState.IN_SERVICE, ReferralState.COMPLETED},
                                       None, as_of, on_file_ids, needs, referrals, referral_states)
    device_need, device_served = _served(NeedKind.ASSISTIVE_DEVICE, {ReferralState.COMPLETED},
                                         ReferralServiceKind.DEVICE_FITTING.value, as_of, on_file_ids, needs,
                                         referrals, referral_states)
    return [
        Indicator(_("困难残疾人生活补贴覆盖率"), sum(p.living_receiving for p in living_eligible),
                  len(living_eligible), 1.0, "100%", _(N_("按规则表符合生活补贴条件的在册残疾人中，正在领取的比例"))),
        Indicator(_("重度残疾人护理补贴覆盖率"), sum(p.care_receiving for p in care_eligible),
                  len(care_eligible), 1.0, "100%", _(N_("按规则表符合护理补贴条件的在册残疾人中，正在领取的比例"))),
        Indicator(_("符合条件的残疾人纳入最低生活保障比例"), sum(p.dibao_or_tekun for p in poor), len(poor), 1.0,
                  "100%", _(N_("家庭被标为低保、特困、低收入或防返贫监测的在册残疾人中，已纳入低保或特困供养的比例"))),
        Indicator(_("残疾人城乡居民基本养老保险参保率"), sum(p.pension_insured for p in adults), len(adults), 0.90,
                  ">90%", _(N_("16 周岁及以上在册残疾人中已参保的比例"))),
        Indicator(_("残疾人城乡居民基本医疗保险参保率"), sum(p.medical_insured for p in on_file), len(on_file), 0.95,
                  ">95%", _(N_("在册残疾人中已参保的比例"))),
        Indicator(_("有康复需求的残疾人基本康复服务覆盖率"), rehab_served, rehab_need, 0.85, "85%",
                  _(N_("本年提出康复需求的在册残疾人中，需求已解决或转介已进入服务的比例"))),
        Indicator(_("有适配需求的残疾人辅助器具适配率"), device_served, device_need, 0.85, "85%",
                  _(N_("本年提出辅助器具需求的在册残疾人中，需求已解决或辅具已适配的比例"))),
        Indicator(_("残疾儿童少年义务教育入学率"), sum(p.school_status in enrolled for p in children), len(children),
                  0.97, "97%", _(N_("6–15 周岁在册残疾儿童少年中在普通学校、随班就读、特教学校或送教上门的比例"))),
        Indicator(_("困难残疾人家庭无障碍改造数"), total.modifications_closed, year_target or 0, None,
                  _("{n} 户").format(n=year_target) if year_target is not None else _("未设定"),
                  _(N_("本年度已结案的改造户数，对照年度目标")), target_count=year_target),
    ]


def _served(
    kind: NeedKind, served_states: set[ReferralState], service: str | None, as_of: date, on_file: set[object],
    needs: list[Any], referrals: list[Any], referral_states: dict[object, str],
) -> tuple[int, int]:
    """(people on file with such a need raised this year, those whose need was met or whose
    referral for it reached one of `served_states` by `as_of`)."""
    of_kind = [(need, person, status, resolved_on) for need, person, need_kind, status, resolved_on in needs
               if need_kind == kind.value and person in on_file]
    people = {person for _n, person, _s, _r in of_kind}
    served = {person for _n, person, status, resolved_on in of_kind
              if status == NeedStatus.MET.value and resolved_on is not None and resolved_on <= as_of}
    need_person = {need: person for need, person, _s, _r in of_kind}
    for ref_id, _person, need_id, service_kind, _on in referrals:
        state = referral_states.get(ref_id)
        if (need_id in need_person and state is not None and _referral_state(state) in served_states
                and (service is None or service_kind == service)):
            served.add(need_person[need_id])
    return len(people), len(served)
