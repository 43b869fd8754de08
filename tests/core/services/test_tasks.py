"""The work queue: which tasks a village produces on a fixed day, and in which order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from liaison.core.enums import ContactMode, NeedKind, NeedStatus, PersonStatus, VisitKind
from liaison.core.rules.cadence import DueState
from liaison.core.rules.config import default_rule_config
from liaison.core.services import areas, persons, visits
from liaison.core.services.tasks import TaskKind, WorkQueue, work_queue
from liaison.core.services.visits import FollowUpInput, NeedInput
from tests.core.services.helpers import add_person, add_visit

RULES = default_rule_config()
# outside the annual survey period (03-01 to 10-31), so only the other kinds appear
T = date(2025, 1, 20)


def days(n: int) -> date:
    return T + timedelta(days=n)


@dataclass(frozen=True)
class Village:
    ids: dict[str, uuid.UUID]

    def name_of(self, person_id: uuid.UUID) -> str:
        return next(name for name, pid in self.ids.items() if pid == person_id)


@pytest.fixture
def village(workspace, actor, area_tree) -> Village:
    """One person per situation, all but 孔令军 (前进村) in 两家子村 or its group."""
    ids: dict[str, uuid.UUID] = {}

    def person(name: str, area=area_tree.village, **kwargs) -> uuid.UUID:
        ids[name] = add_person(workspace, actor, area, name=name, today=T, **kwargs).person_id
        return ids[name]

    def visit(person_id: uuid.UUID, on: date, **kwargs) -> visits.VisitSaved:
        return add_visit(workspace, actor, person_id, on, today=T, **kwargs)

    visit(person("安国强", grade=1), days(-40))  # severe, monthly: overdue by 10 days
    visit(person("白玉兰"), days(-80))  # quarterly: due in 10 days, shown 14 days ahead
    visit(person("崔明"), days(-10))  # just visited
    ding = person("丁秀梅")  # last real contact 100 days ago, in grace; a 失访 since
    visit(ding, days(-100))
    visit(ding, days(-5), mode=ContactMode.LOST)
    # certified 5 days ago, on file (uncertified) since 2020 and never visited
    person("鄂春花", cert_issued_on=days(-5), cert_valid_until=days(-5 + 5 * 365))
    visit(person("方志远"), days(-20), follow_ups=[FollowUpInput("送护理补贴申请表", days(-3))])
    ge = person("葛长青")
    met = visit(ge, days(-40), needs=[NeedInput(NeedKind.ASSISTIVE_DEVICE)]).need_ids[0]
    with workspace.uow() as uow:
        visits.set_need_status(uow, actor, met, NeedStatus.MET, on=days(-35), today=T)
        uow.commit()
    visit(ge, days(-31), needs=[NeedInput(NeedKind.REHABILITATION)])
    visit(person("韩冬梅", cert_valid_until=days(20)), days(-10))
    visit(person("黄建国", cert_valid_until=days(-3)), days(-10))
    # would have every kind of task, but has died
    jiang = person("蒋德福", grade=1, cert_valid_until=days(-3))
    visit(
        jiang,
        days(-60),
        needs=[NeedInput(NeedKind.CARE)],
        follow_ups=[FollowUpInput("联系托养机构", days(-50), need_index=0)],
    )
    with workspace.uow() as uow:
        persons.change_status(
            uow, actor, jiang, PersonStatus.DECEASED, on=days(-30), reason="病故", today=T
        )
        uow.commit()
    visit(person("孔令军", area=area_tree.other_village, grade=2), days(-41))
    visit(
        person("刘小军", area=area_tree.group),
        days(-10),
        follow_ups=[FollowUpInput("回访康复效果", days(5))],
    )
    return Village(ids)


def queue(workspace, actor, today: date = T, **kwargs) -> WorkQueue:
    with workspace.uow() as uow:
        return work_queue(uow, actor, RULES, today=today, **kwargs)


def summary(q: WorkQueue) -> list[tuple[TaskKind, DueState, str, date, int]]:
    return [(t.kind, t.state, t.person_name, t.due_on, t.days_overdue) for t in q.tasks]


EXPECTED = [
    (TaskKind.NEED_ALERT, DueState.OVERDUE, "葛长青", days(-31), 31),
    (TaskKind.VISIT, DueState.OVERDUE, "孔令军", days(-11), 11),
    (TaskKind.VISIT, DueState.OVERDUE, "安国强", days(-10), 10),
    (TaskKind.FOLLOW_UP, DueState.OVERDUE, "方志远", days(-3), 3),
    (TaskKind.CERT_EXPIRY, DueState.OVERDUE, "黄建国", days(-3), 3),
    (TaskKind.VISIT, DueState.DUE, "丁秀梅", days(-10), 0),
    (TaskKind.FOLLOW_UP, DueState.UPCOMING, "刘小军", days(5), 0),
    (TaskKind.VISIT, DueState.UPCOMING, "白玉兰", days(10), 0),
    (TaskKind.FIRST_CONTACT, DueState.UPCOMING, "鄂春花", days(10), 0),
    (TaskKind.CERT_EXPIRY, DueState.UPCOMING, "韩冬梅", days(20), 0),
]


def test_exact_tasks_in_order(workspace, actor, village):
    q = queue(workspace, actor)
    assert summary(q) == EXPECTED
    assert q.today == T
    assert q.counts() == {DueState.OVERDUE: 5, DueState.DUE: 1, DueState.UPCOMING: 4}
    assert [t.person_name for t in q.by_state(DueState.DUE)] == ["丁秀梅"]


def test_task_details(workspace, actor, village):
    tasks = {(t.kind, t.person_name): t for t in queue(workspace, actor).tasks}
    severe = tasks[(TaskKind.VISIT, "安国强")]
    assert severe.visit_kind is VisitKind.HARDSHIP and "重度残疾" in severe.detail
    assert severe.area_name == "桦皮厂镇 两家子村"
    assert tasks[(TaskKind.VISIT, "白玉兰")].visit_kind is VisitKind.ROUTINE
    assert tasks[(TaskKind.FIRST_CONTACT, "鄂春花")].visit_kind is VisitKind.FIRST_CONTACT
    follow_up = tasks[(TaskKind.FOLLOW_UP, "方志远")]
    assert follow_up.ref_id is not None and "送护理补贴申请表" in follow_up.detail
    alert = tasks[(TaskKind.NEED_ALERT, "葛长青")]
    assert "31 天" in alert.detail and "康复" in alert.detail
    assert tasks[(TaskKind.FOLLOW_UP, "刘小军")].area_name == "桦皮厂镇 两家子村 一组"
    for task in tasks.values():
        assert village.name_of(task.person_id) == task.person_name


def test_a_lost_contact_does_not_reset_the_visit_clock(workspace, actor, village):
    add_visit(workspace, actor, village.ids["丁秀梅"], days(-1), today=T)  # a real contact now
    assert "丁秀梅" not in [t.person_name for t in queue(workspace, actor).tasks]


def test_first_contact_is_replaced_by_the_regular_cadence_once_contacted(workspace, actor, village):
    add_visit(workspace, actor, village.ids["鄂春花"], days(-1), today=T, mode=ContactMode.PHONE)
    assert "鄂春花" not in [t.person_name for t in queue(workspace, actor).tasks]


def test_acting_on_the_need_and_doing_the_follow_up_clears_their_tasks(workspace, actor, village):
    q = queue(workspace, actor)
    need_id = next(t.ref_id for t in q.tasks if t.kind is TaskKind.NEED_ALERT)
    follow_up_id = next(t.ref_id for t in q.tasks if t.person_name == "方志远")
    with workspace.uow() as uow:
        visits.set_need_status(uow, actor, need_id, NeedStatus.IN_SERVICE, on=T, today=T)
        visits.complete_follow_up(uow, actor, follow_up_id, on=T, today=T)
        uow.commit()
    kinds = {(t.kind, t.person_name) for t in queue(workspace, actor).tasks}
    # once someone acts on the need (in service), 需求预警 stops; the done follow-up goes
    assert (TaskKind.NEED_ALERT, "葛长青") not in kinds
    assert (TaskKind.FOLLOW_UP, "方志远") not in kinds
    assert len(kinds) == len(EXPECTED) - 2


@pytest.mark.parametrize(
    ("code", "names"),
    [
        (
            "220202100001",
            [
                "葛长青",
                "安国强",
                "方志远",
                "黄建国",
                "丁秀梅",
                "刘小军",
                "白玉兰",
                "鄂春花",
                "韩冬梅",
            ],
        ),
        ("220202100001001", ["刘小军"]),
        ("220202100002", ["孔令军"]),
        ("220202", [row[2] for row in EXPECTED]),
    ],
)
def test_area_filter(workspace, actor, village, code, names):
    with workspace.uow() as uow:
        area_ids = areas.resolve_area_filter(uow, code)
    assert [t.person_name for t in queue(workspace, actor, area_ids=area_ids).tasks] == names


def test_a_scoped_officer_sees_only_their_village(workspace, officer, area_tree, village):
    assert [t.person_name for t in queue(workspace, officer).tasks] == ["孔令军"]
    assert queue(workspace, officer, area_ids=frozenset({area_tree.village})).tasks == []


def test_tasks_of_one_person(workspace, actor, village):
    q = queue(workspace, actor, person_id=village.ids["方志远"])
    assert summary(q) == [(TaskKind.FOLLOW_UP, DueState.OVERDUE, "方志远", days(-3), 3)]
    assert queue(workspace, actor, person_id=village.ids["蒋德福"]).tasks == []


# --- the annual survey -------------------------------------------------------------------

IN_PERIOD = date(2025, 6, 16)


def survey_tasks(workspace, actor, today: date) -> list[tuple[str, DueState, date, int]]:
    return [
        (t.person_name, t.state, t.due_on, t.days_overdue)
        for t in queue(workspace, actor, today=today).tasks
        if t.kind is TaskKind.ANNUAL_SURVEY
    ]


def test_annual_survey_for_certified_people_not_yet_surveyed_this_year(workspace, actor, area_tree):
    def person(name: str, **kwargs) -> uuid.UUID:
        return add_person(
            workspace, actor, area_tree.village, name=name, today=IN_PERIOD, **kwargs
        ).person_id

    def visit(person_id: uuid.UUID, on: date, **kwargs) -> None:
        add_visit(workspace, actor, person_id, on, today=IN_PERIOD, **kwargs)

    person("包未查")
    visit(person("常已查"), date(2025, 4, 1), kind=VisitKind.ANNUAL_SURVEY)
    visit(person("邓去年"), date(2024, 9, 1), kind=VisitKind.ANNUAL_SURVEY)
    visit(person("范失访"), date(2025, 5, 1), kind=VisitKind.ANNUAL_SURVEY, mode=ContactMode.LOST)
    visit(person("高走访"), date(2025, 5, 1), kind=VisitKind.ROUTINE)
    person("胡幼儿", birth=date(2022, 1, 5), certified=False, diagnosis="唐氏综合征")
    moved = person("简迁出")
    with workspace.uow() as uow:
        persons.change_status(
            uow,
            actor,
            moved,
            PersonStatus.MOVED_OUT,
            on=date(2025, 5, 1),
            reason="迁出",
            today=IN_PERIOD,
        )
        uow.commit()

    deadline = date(2025, 10, 31)
    assert sorted(survey_tasks(workspace, actor, IN_PERIOD)) == sorted(
        (name, DueState.UPCOMING, deadline, 0) for name in ("包未查", "邓去年", "范失访", "高走访")
    )
    task = next(
        t
        for t in queue(workspace, actor, today=IN_PERIOD).tasks
        if t.kind is TaskKind.ANNUAL_SURVEY
    )
    assert task.visit_kind is VisitKind.ANNUAL_SURVEY


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2025, 2, 28), []),  # the period has not opened
        (date(2025, 3, 1), [("包未查", DueState.UPCOMING, date(2025, 10, 31), 0)]),
        (date(2025, 10, 31), [("包未查", DueState.DUE, date(2025, 10, 31), 0)]),
        (date(2025, 11, 5), [("包未查", DueState.OVERDUE, date(2025, 10, 31), 5)]),
        (date(2026, 3, 1), [("包未查", DueState.UPCOMING, date(2026, 10, 31), 0)]),
    ],
)
def test_annual_survey_period(workspace, actor, area_tree, today, expected):
    add_person(
        workspace,
        actor,
        area_tree.village,
        name="包未查",
        today=date(2025, 1, 2),
        registered_on=date(2025, 1, 2),
    )
    assert survey_tasks(workspace, actor, today) == expected
