"""Visits: one visit with its needs, follow-ups and need updates saved as a whole; need and
follow-up status changes; the visit list."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from liaison.core.enums import (
    ContactMode,
    FollowUpStatus,
    NeedKind,
    NeedStatus,
    PersonStatus,
    VisitKind,
)
from liaison.core.errors import NotFoundError, ScopeError, ValidationError
from liaison.core.models import FollowUp, Need, Visit
from liaison.core.services import areas, persons, visits
from liaison.core.services.visits import FollowUpInput, NeedInput, NeedUpdate, VisitInput
from tests.core.services.helpers import TODAY, add_person, add_visit, audit_events, count_rows

TABLES = ("visit", "need", "follow_up", "audit_event")
VISIT_DAY = TODAY - timedelta(days=2)


@pytest.fixture
def person_id(workspace, actor, area_tree) -> uuid.UUID:
    return add_person(workspace, actor, area_tree.village, name="刘桂珍").person_id


def visit_input(person_id: uuid.UUID, **changes) -> VisitInput:
    data = VisitInput(
        person_id=person_id,
        visit_date=VISIT_DAY,
        kind=VisitKind.ROUTINE,
        contact_mode=ContactMode.HOME,
        visitor_name="李专委",
        findings="居住条件一般，冬季取暖困难",
    )
    return replace(data, **changes)


def record(workspace, actor, data: VisitInput) -> visits.VisitSaved:
    with workspace.uow() as uow:
        saved = visits.record_visit(uow, actor, data, today=TODAY)
        uow.commit()
    return saved


def refused(workspace, actor, data: VisitInput) -> ValidationError:
    """The visit must be refused as a whole: no visit, need, follow-up or audit row stored."""
    before = count_rows(workspace, *TABLES)
    with workspace.uow() as uow, pytest.raises(ValidationError) as info:
        visits.record_visit(uow, actor, data, today=TODAY)
        uow.commit()
    assert count_rows(workspace, *TABLES) == before
    return info.value


def get(workspace, cls, obj_id):
    with workspace.uow() as uow:
        obj = uow.session.get(cls, obj_id)
        assert obj is not None
        uow.session.expunge(obj)
        return obj


def raise_need(workspace, actor, person_id, on: date, kind=NeedKind.ASSISTIVE_DEVICE) -> uuid.UUID:
    saved = add_visit(workspace, actor, person_id, on, needs=[NeedInput(kind, "需要轮椅")])
    return saved.need_ids[0]


# --- recording a visit ------------------------------------------------------------------


def test_a_visit_stores_needs_follow_ups_and_need_updates_together(workspace, actor, person_id):
    old_need = raise_need(workspace, actor, person_id, TODAY - timedelta(days=40))
    data = visit_input(
        person_id,
        safety_risks="电线老化",
        needs=[
            NeedInput(NeedKind.HOME_MODIFICATION, "卫生间加装扶手"),
            NeedInput(NeedKind.REHABILITATION, " "),
        ],
        follow_ups=[
            FollowUpInput("联系镇残联安排入户勘测", TODAY + timedelta(days=10), need_index=0),
            FollowUpInput("提醒家属办理审验", TODAY + timedelta(days=20)),
        ],
        need_updates=[NeedUpdate(old_need, NeedStatus.MET, "已发放轮椅")],
    )
    saved = record(workspace, actor, data)

    visit = get(workspace, Visit, saved.visit_id)
    assert (visit.person_id, visit.visit_date, visit.kind, visit.contact_mode) == (
        person_id,
        VISIT_DAY,
        VisitKind.ROUTINE,
        ContactMode.HOME,
    )
    assert (visit.visitor_name, visit.safety_risks, visit.lost_reason) == (
        "李专委",
        "电线老化",
        None,
    )

    assert len(saved.need_ids) == 2
    needs = [get(workspace, Need, need_id) for need_id in saved.need_ids]
    assert [
        (n.kind, n.detail, n.status, n.raised_on, n.status_on, n.raised_visit_id) for n in needs
    ] == [
        (
            NeedKind.HOME_MODIFICATION,
            "卫生间加装扶手",
            NeedStatus.OPEN,
            VISIT_DAY,
            VISIT_DAY,
            visit.id,
        ),
        (NeedKind.REHABILITATION, None, NeedStatus.OPEN, VISIT_DAY, VISIT_DAY, visit.id),
    ]

    follow_ups = [get(workspace, FollowUp, fu_id) for fu_id in saved.follow_up_ids]
    assert [(f.action, f.need_id, f.visit_id, f.status, f.person_id) for f in follow_ups] == [
        ("联系镇残联安排入户勘测", saved.need_ids[0], visit.id, FollowUpStatus.OPEN, person_id),
        ("提醒家属办理审验", None, visit.id, FollowUpStatus.OPEN, person_id),
    ]

    assert saved.updated_need_ids == (old_need,)
    resolved = get(workspace, Need, old_need)
    assert (resolved.status, resolved.status_on, resolved.resolved_on) == (
        NeedStatus.MET,
        VISIT_DAY,
        VISIT_DAY,
    )
    assert (resolved.resolved_visit_id, resolved.resolution, resolved.row_version) == (
        visit.id,
        "已发放轮椅",
        2,
    )

    assert [e.action for e in audit_events(workspace, visit.id)] == ["create"]
    need_events = audit_events(workspace, old_need)
    assert [e.action for e in need_events] == ["create", "status"]
    assert need_events[1].changes["status"] == ["open", "met"]
    assert need_events[1].reason == "已发放轮椅"


def test_follow_up_may_name_an_existing_need(workspace, actor, person_id):
    old_need = raise_need(workspace, actor, person_id, TODAY - timedelta(days=40))
    saved = record(
        workspace,
        actor,
        visit_input(
            person_id,
            follow_ups=[FollowUpInput("联系辅具中心", TODAY + timedelta(days=5), need_id=old_need)],
        ),
    )
    assert get(workspace, FollowUp, saved.follow_up_ids[0]).need_id == old_need


def other_persons_need(workspace, actor, area_tree) -> uuid.UUID:
    other = add_person(workspace, actor, area_tree.village, name="陈国富").person_id
    return raise_need(workspace, actor, other, TODAY - timedelta(days=40))


@pytest.mark.parametrize(
    ("broken", "field"),
    [
        ("follow_up_before_visit", "follow_ups[2].due_on"),
        ("need_update_for_another_person", "need_updates[1]"),
        ("follow_up_for_another_persons_need", "follow_ups[1].need_id"),
        ("need_index_out_of_range", "follow_ups[1].need_index"),
        ("need_update_resolving_twice", "need_updates[1]"),
        ("need_update_before_need_was_raised", "need_updates[1]"),
        ("empty_follow_up_action", "follow_ups[1].action"),
        ("declined_without_note", "need_updates[1]"),
        ("same_need_updated_twice", "need_updates[2]"),
    ],
)
def test_one_bad_part_refuses_the_whole_visit(
    workspace, actor, area_tree, person_id, broken, field
):
    own_need = raise_need(workspace, actor, person_id, TODAY - timedelta(days=40))
    stranger = other_persons_need(workspace, actor, area_tree)
    good_follow_up = FollowUpInput("联系镇残联", TODAY + timedelta(days=10), need_index=0)
    parts = {
        "needs": [NeedInput(NeedKind.CARE, "日间照料")],
        "follow_ups": [good_follow_up],
        "need_updates": [NeedUpdate(own_need, NeedStatus.IN_SERVICE)],
    }
    if broken == "follow_up_before_visit":
        parts["follow_ups"] = [good_follow_up, FollowUpInput("回访", VISIT_DAY - timedelta(days=1))]
    elif broken == "need_update_for_another_person":
        parts["need_updates"] = [NeedUpdate(stranger, NeedStatus.MET, "已解决")]
    elif broken == "follow_up_for_another_persons_need":
        parts["follow_ups"] = [FollowUpInput("联系", TODAY, need_id=stranger)]
    elif broken == "need_index_out_of_range":
        parts["follow_ups"] = [FollowUpInput("联系", TODAY, need_index=1)]
    elif broken == "need_update_resolving_twice":
        with workspace.uow() as uow:
            visits.set_need_status(uow, actor, own_need, NeedStatus.MET, on=VISIT_DAY, today=TODAY)
            uow.commit()
        parts["need_updates"] = [NeedUpdate(own_need, NeedStatus.DECLINED, "不需要了")]
    elif broken == "need_update_before_need_was_raised":
        parts["need_updates"] = [NeedUpdate(own_need, NeedStatus.MET, "补录")]
        parts["visit_date"] = TODAY - timedelta(days=50)
        parts["follow_ups"] = []
    elif broken == "empty_follow_up_action":
        parts["follow_ups"] = [FollowUpInput("  ", TODAY)]
    elif broken == "declined_without_note":
        parts["need_updates"] = [NeedUpdate(own_need, NeedStatus.DECLINED, " ")]
    elif broken == "same_need_updated_twice":  # would resolve it twice: met, then declined
        parts["need_updates"] = [
            NeedUpdate(own_need, NeedStatus.MET, "已解决"),
            NeedUpdate(own_need, NeedStatus.DECLINED, "不需要"),
        ]
    own_before = get(workspace, Need, own_need)

    error = refused(workspace, actor, visit_input(person_id, **parts))

    assert field in error.errors
    own_after = get(workspace, Need, own_need)
    assert (own_after.status, own_after.row_version) == (own_before.status, own_before.row_version)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"contact_mode": ContactMode.LOST}, "lost_reason"),
        ({"contact_mode": ContactMode.LOST, "lost_reason": "  "}, "lost_reason"),
        ({"lost_reason": "联系不上"}, "lost_reason"),  # a reason only for 失访
        ({"visit_date": TODAY + timedelta(days=1)}, "visit_date"),
        ({"visit_date": date(1960, 1, 1)}, "visit_date"),  # before the person was born
        ({"kind": VisitKind.INCOME_MONITORING}, "household_income_fen"),
        ({"household_income_fen": -1}, "household_income_fen"),
        ({"household_size": 0}, "household_size"),
        ({"visitor_name": " "}, "visitor_name"),
    ],
)
def test_visit_fields_are_checked(workspace, actor, person_id, changes, field):
    error = refused(workspace, actor, visit_input(person_id, **changes))
    assert field in error.errors


@pytest.mark.parametrize(
    "changes",
    [
        {"contact_mode": ContactMode.LOST, "lost_reason": "外出务工"},
        {
            "kind": VisitKind.INCOME_MONITORING,
            "household_income_fen": 1_850_000,
            "household_size": 3,
        },
        {"visit_date": TODAY, "contact_mode": ContactMode.PHONE},
    ],
)
def test_valid_visit_variants_are_stored(workspace, actor, person_id, changes):
    saved = record(workspace, actor, visit_input(person_id, **changes))
    visit = get(workspace, Visit, saved.visit_id)
    for key, value in changes.items():
        assert getattr(visit, key) == value


def test_no_visit_after_the_person_died(workspace, actor, person_id):
    with workspace.uow() as uow:
        persons.change_status(
            uow,
            actor,
            person_id,
            PersonStatus.DECEASED,
            on=TODAY - timedelta(days=5),
            reason="病故",
            today=TODAY,
        )
        uow.commit()
    assert "person" in refused(workspace, actor, visit_input(person_id)).errors
    # a condolence visit before the date of death can still be entered afterwards
    record(workspace, actor, visit_input(person_id, visit_date=TODAY - timedelta(days=6)))


def test_a_visit_outside_the_officers_scope_is_refused(workspace, officer, person_id):
    before = count_rows(workspace, *TABLES)
    with workspace.uow() as uow, pytest.raises(ScopeError):
        visits.record_visit(uow, officer, visit_input(person_id), today=TODAY)
    assert count_rows(workspace, *TABLES) == before


# --- need status --------------------------------------------------------------------------


def set_status(workspace, actor, need_id, status, on=VISIT_DAY, note=None):
    with workspace.uow() as uow:
        visits.set_need_status(uow, actor, need_id, status, on=on, note=note, today=TODAY)
        uow.commit()


def test_need_moves_along_and_is_resolved(workspace, actor, person_id):
    need_id = raise_need(workspace, actor, person_id, TODAY - timedelta(days=40))
    set_status(workspace, actor, need_id, NeedStatus.REFERRED, on=TODAY - timedelta(days=30))
    need = get(workspace, Need, need_id)
    assert (need.status, need.status_on, need.resolved_on) == (
        NeedStatus.REFERRED,
        TODAY - timedelta(days=30),
        None,
    )
    set_status(workspace, actor, need_id, NeedStatus.MET, note="已适配轮椅")
    need = get(workspace, Need, need_id)
    assert (need.status, need.resolved_on, need.resolution, need.resolved_visit_id) == (
        NeedStatus.MET,
        VISIT_DAY,
        "已适配轮椅",
        None,
    )
    assert [e.action for e in audit_events(workspace, need_id)] == ["create", "status", "status"]


@pytest.mark.parametrize("status", [NeedStatus.DECLINED, NeedStatus.UNREACHABLE])
def test_declined_or_unreachable_needs_a_note(workspace, actor, person_id, status):
    need_id = raise_need(workspace, actor, person_id, TODAY - timedelta(days=40))
    with workspace.uow() as uow, pytest.raises(ValidationError) as info:
        visits.set_need_status(uow, actor, need_id, status, on=VISIT_DAY, note="  ", today=TODAY)
    assert set(info.value.errors) == {"note"}
    set_status(workspace, actor, need_id, status, note="本人表示暂不需要")
    assert get(workspace, Need, need_id).status is status


@pytest.mark.parametrize("again", [NeedStatus.MET, NeedStatus.DECLINED, NeedStatus.UNREACHABLE])
def test_a_resolved_need_cannot_be_resolved_again(workspace, actor, person_id, again):
    need_id = raise_need(workspace, actor, person_id, TODAY - timedelta(days=40))
    set_status(workspace, actor, need_id, NeedStatus.MET, on=TODAY - timedelta(days=20))
    with workspace.uow() as uow, pytest.raises(ValidationError):
        visits.set_need_status(uow, actor, need_id, again, on=VISIT_DAY, note="再次", today=TODAY)
    need = get(workspace, Need, need_id)
    assert (need.status, need.resolved_on) == (NeedStatus.MET, TODAY - timedelta(days=20))


def test_a_resolved_need_can_be_reopened(workspace, actor, person_id):
    need_id = raise_need(workspace, actor, person_id, TODAY - timedelta(days=40))
    set_status(
        workspace, actor, need_id, NeedStatus.MET, on=TODAY - timedelta(days=20), note="已解决"
    )
    set_status(workspace, actor, need_id, NeedStatus.OPEN, note="轮椅损坏")
    need = get(workspace, Need, need_id)
    assert (need.status, need.resolved_on, need.resolved_visit_id) == (NeedStatus.OPEN, None, None)


@pytest.mark.parametrize(
    "on",
    [TODAY + timedelta(days=1), TODAY - timedelta(days=41)],  # future; before it was raised
)
def test_need_status_date_is_checked(workspace, actor, person_id, on):
    need_id = raise_need(workspace, actor, person_id, TODAY - timedelta(days=40))
    with workspace.uow() as uow, pytest.raises(ValidationError) as info:
        visits.set_need_status(uow, actor, need_id, NeedStatus.MET, on=on, today=TODAY)
    assert set(info.value.errors) == {"status_on"}


def test_open_needs_lists_only_unresolved_needs_oldest_first(workspace, actor, person_id):
    first = raise_need(workspace, actor, person_id, TODAY - timedelta(days=40))
    met = raise_need(workspace, actor, person_id, TODAY - timedelta(days=30))
    later = raise_need(workspace, actor, person_id, TODAY - timedelta(days=20))
    set_status(workspace, actor, met, NeedStatus.MET)
    set_status(workspace, actor, later, NeedStatus.IN_SERVICE)
    with workspace.uow() as uow:
        assert [n.id for n in visits.open_needs(uow, actor, person_id)] == [first, later]


def test_set_need_status_of_a_missing_need_is_not_found(workspace, actor, person_id):
    with workspace.uow() as uow, pytest.raises(NotFoundError):
        visits.set_need_status(uow, actor, uuid.uuid4(), NeedStatus.MET, on=TODAY, today=TODAY)


# --- follow-ups --------------------------------------------------------------------------


def follow_up(workspace, actor, person_id) -> uuid.UUID:
    saved = add_visit(
        workspace,
        actor,
        person_id,
        VISIT_DAY,
        follow_ups=[FollowUpInput("送护理补贴申请表", TODAY + timedelta(days=7))],
    )
    return saved.follow_up_ids[0]


@pytest.mark.parametrize(
    ("cancelled", "outcome", "status"),
    [(False, "已送达", FollowUpStatus.DONE), (False, None, FollowUpStatus.DONE),
     (True, "本人已自行办理", FollowUpStatus.CANCELLED)],
)  # fmt: skip
def test_complete_follow_up(workspace, actor, person_id, cancelled, outcome, status):
    fu_id = follow_up(workspace, actor, person_id)
    with workspace.uow() as uow:
        visits.complete_follow_up(
            uow, actor, fu_id, on=TODAY, outcome=outcome, cancelled=cancelled, today=TODAY
        )
        uow.commit()
    item = get(workspace, FollowUp, fu_id)
    assert (item.status, item.done_on, item.outcome) == (status, TODAY, outcome)
    events = audit_events(workspace, fu_id)
    assert [e.action for e in events] == ["create", "status"]
    assert events[1].changes["status"] == ["open", status.value]


@pytest.mark.parametrize(
    ("on", "cancelled", "outcome", "field"),
    [
        (TODAY + timedelta(days=1), False, None, "done_on"),
        (VISIT_DAY - timedelta(days=1), False, "已送达", "done_on"),  # before it was promised
        (TODAY, True, " ", "outcome"),
    ],
)
def test_complete_follow_up_is_checked(workspace, actor, person_id, on, cancelled, outcome, field):
    fu_id = follow_up(workspace, actor, person_id)
    with workspace.uow() as uow, pytest.raises(ValidationError) as info:
        visits.complete_follow_up(
            uow, actor, fu_id, on=on, outcome=outcome, cancelled=cancelled, today=TODAY
        )
    assert set(info.value.errors) == {field}
    assert get(workspace, FollowUp, fu_id).status is FollowUpStatus.OPEN


def test_a_done_follow_up_cannot_be_completed_again(workspace, actor, person_id):
    fu_id = follow_up(workspace, actor, person_id)
    with workspace.uow() as uow:
        visits.complete_follow_up(uow, actor, fu_id, on=TODAY, today=TODAY)
        uow.commit()
    with workspace.uow() as uow, pytest.raises(ValidationError) as info:
        visits.complete_follow_up(
            uow, actor, fu_id, on=TODAY, cancelled=True, outcome="x", today=TODAY
        )
    assert set(info.value.errors) == {"status"}


# --- the visit list ---------------------------------------------------------------------


@pytest.fixture
def visit_log(workspace, actor, area_tree):
    """Five visits to three people in two villages over May and June 2025."""
    liu = add_person(workspace, actor, area_tree.village, name="刘桂珍").person_id
    zhao = add_person(workspace, actor, area_tree.group, name="赵德山").person_id
    qian = add_person(workspace, actor, area_tree.other_village, name="钱秀英").person_id
    add_visit(workspace, actor, liu, date(2025, 5, 31), visitor_name="李专委")
    add_visit(
        workspace,
        actor,
        liu,
        date(2025, 6, 1),
        visitor_name="李专委",
        needs=[NeedInput(NeedKind.CARE), NeedInput(NeedKind.TRAINING)],
    )
    add_visit(
        workspace,
        actor,
        zhao,
        date(2025, 6, 10),
        kind=VisitKind.ANNUAL_SURVEY,
        visitor_name="王站长",
    )
    add_visit(
        workspace, actor, qian, date(2025, 6, 12), visitor_name="张专委", mode=ContactMode.LOST
    )
    add_visit(workspace, actor, qian, date(2025, 4, 30), visitor_name="张专委")


def listed(workspace, actor, **filters) -> list[tuple[str, date]]:
    with workspace.uow() as uow:
        return [(r.person_name, r.visit_date) for r in visits.list_visits(uow, actor, **filters)]


def test_list_visits_newest_first_with_needs_counted(workspace, actor, visit_log):
    with workspace.uow() as uow:
        rows = visits.list_visits(uow, actor)
    assert [(r.person_name, r.visit_date, r.needs_raised) for r in rows] == [
        ("钱秀英", date(2025, 6, 12), 0),
        ("赵德山", date(2025, 6, 10), 0),
        ("刘桂珍", date(2025, 6, 1), 2),
        ("刘桂珍", date(2025, 5, 31), 0),
        ("钱秀英", date(2025, 4, 30), 0),
    ]
    assert rows[0].contact_mode is ContactMode.LOST


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (
            {"month": (2025, 6)},
            [
                ("钱秀英", date(2025, 6, 12)),
                ("赵德山", date(2025, 6, 10)),
                ("刘桂珍", date(2025, 6, 1)),
            ],
        ),
        ({"month": (2025, 5)}, [("刘桂珍", date(2025, 5, 31))]),
        ({"month": (2025, 12)}, []),
        ({"kind": VisitKind.ANNUAL_SURVEY}, [("赵德山", date(2025, 6, 10))]),
        (
            {"visitor_name": "张专委"},
            [("钱秀英", date(2025, 6, 12)), ("钱秀英", date(2025, 4, 30))],
        ),
        ({"month": (2025, 6), "visitor_name": "李专委"}, [("刘桂珍", date(2025, 6, 1))]),
        ({"limit": 2, "offset": 1}, [("赵德山", date(2025, 6, 10)), ("刘桂珍", date(2025, 6, 1))]),
    ],
)
def test_list_visits_filters(workspace, actor, visit_log, filters, expected):
    assert listed(workspace, actor, **filters) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            "220202100001",
            [
                ("赵德山", date(2025, 6, 10)),
                ("刘桂珍", date(2025, 6, 1)),
                ("刘桂珍", date(2025, 5, 31)),
            ],
        ),  # the village and its group
        ("220202100001001", [("赵德山", date(2025, 6, 10))]),
        ("220202100002", [("钱秀英", date(2025, 6, 12)), ("钱秀英", date(2025, 4, 30))]),
    ],
)
def test_list_visits_by_area(workspace, actor, visit_log, code, expected):
    with workspace.uow() as uow:
        area_ids = areas.resolve_area_filter(uow, code)
    assert listed(workspace, actor, area_ids=area_ids) == expected


def test_list_visits_for_a_scoped_officer(workspace, officer, area_tree, visit_log):
    assert [name for name, _ in listed(workspace, officer)] == ["钱秀英", "钱秀英"]
    assert listed(workspace, officer, area_ids=frozenset({area_tree.village})) == []


def test_list_visits_for_one_person(workspace, actor, visit_log):
    with workspace.uow() as uow:
        zhao = uow.session.scalar(
            select(Visit.person_id).where(Visit.kind == VisitKind.ANNUAL_SURVEY)
        )
    assert listed(workspace, actor, person_id=zhao) == [("赵德山", date(2025, 6, 10))]


def test_a_follow_up_naming_both_a_new_and_an_existing_need_is_refused(workspace, actor, person_id):
    """need_index (a need raised in this visit) and need_id (an older one) are alternatives;
    with both set, one of them would be silently dropped."""
    old_need = raise_need(workspace, actor, person_id, TODAY - timedelta(days=40))
    data = visit_input(
        person_id,
        needs=[NeedInput(NeedKind.CARE, "日间照料")],
        follow_ups=[
            FollowUpInput("联系镇残联", TODAY + timedelta(days=10), need_index=0),
            FollowUpInput("联系辅具中心", TODAY + timedelta(days=5), need_index=0, need_id=old_need),
        ],
    )

    error = refused(workspace, actor, data)

    assert set(error.errors) == {"follow_ups[2].need_id"}
    assert "第 2 项跟进事项" in error.errors["follow_ups[2].need_id"]


def test_both_needs_named_is_refused_even_when_the_index_is_out_of_range(
    workspace, actor, person_id
):
    old_need = raise_need(workspace, actor, person_id, TODAY - timedelta(days=40))
    data = visit_input(
        person_id,
        follow_ups=[FollowUpInput("联系", TODAY, need_index=3, need_id=old_need)],
    )

    error = refused(workspace, actor, data)

    assert "follow_ups[1].need_id" in error.errors
