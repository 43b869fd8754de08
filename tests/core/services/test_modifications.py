"""Home-modification cases through the services: every step, what it records, what it refuses,
the need that follows the case, the 回访 after 结案, caps, targets and the priority list."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from liaison.core.enums import (
    CaseType,
    FollowUpStatus,
    ModificationStage,
    NeedKind,
    NeedStatus,
    PersonStatus,
    UserRole,
)
from liaison.core.errors import ScopeError, StaleRecordError, ValidationError
from liaison.core.models import CaseEvent, FollowUp, HomeModificationCase, ModificationItem, Need
from liaison.core.rules.workflows import TransitionRefused
from liaison.core.services import modifications, persons
from liaison.core.services.context import Actor
from liaison.core.services.modifications import ModificationApplication, ModificationStep
from tests.core.services.case_helpers import FORWARD, START, case_at, person_with_need, step_for
from tests.core.services.helpers import TODAY, add_person, count_rows

_S = ModificationStage


def load(ws: Any, case_id: Any) -> HomeModificationCase:
    with ws.uow() as uow:
        case = uow.session.get(HomeModificationCase, case_id)
        uow.session.expunge_all()
        return case


def need_status(ws: Any, need_id: Any) -> NeedStatus:
    with ws.uow() as uow:
        return uow.session.get(Need, need_id).status


def move(ws: Any, actor: Actor, case_id: Any, step: ModificationStep, **kw: Any) -> modifications.StepResult:
    with ws.uow() as uow:
        result = modifications.move_modification(uow, actor, case_id, step, rules=ws.rules, today=TODAY, **kw)
        uow.commit()
    return result


def events(ws: Any, case_id: Any) -> list[tuple[str | None, str, str | None]]:
    with ws.uow() as uow:
        rows = uow.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)
                                   .order_by(CaseEvent.on_date, CaseEvent.at))
        return [(e.from_state, e.to_state, e.reason) for e in rows]


# --- opening --------------------------------------------------------------------------------


def test_a_case_opened_from_a_need_marks_it_referred(workspace, actor, area_tree):
    pid, need_id = person_with_need(workspace, actor, area_tree.village)
    with workspace.uow() as uow:
        result = modifications.open_modification(
            uow, actor, ModificationApplication(pid, START + timedelta(days=2), need_id), today=TODAY)
        uow.commit()
    case = load(workspace, result.case_id)
    assert (case.stage, case.year, case.need_id, case.applied_on) == (_S.APPLIED, START.year, need_id,
                                                                     START + timedelta(days=2))
    assert need_status(workspace, need_id) is NeedStatus.REFERRED
    assert events(workspace, case.id) == [(None, "applied", None)]


def test_a_direct_application_raises_a_need_for_it(workspace, actor, area_tree):
    pid = add_person(workspace, actor, area_tree.village).person_id
    with workspace.uow() as uow:
        result = modifications.open_modification(
            uow, actor, ModificationApplication(pid, TODAY, note="本人到村委会申请"), today=TODAY)
        uow.commit()
    case = load(workspace, result.case_id)
    with workspace.uow() as uow:
        need = uow.session.get(Need, case.need_id)
        assert (need.kind, need.status, need.raised_on, need.detail) == (
            NeedKind.HOME_MODIFICATION, NeedStatus.REFERRED, TODAY, "本人到村委会申请")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"applied_on": TODAY + timedelta(days=1)}, "applied_on", "不能晚于今天"),
        ({"applied_on": START - timedelta(days=1)}, "applied_on", "不能早于需求提出日期"),
        ({"need_kind": NeedKind.EMPLOYMENT}, "need", "只有“无障碍改造”需求可以申请改造"),
        ({"note": "长" * 201}, "reason", "不能超过 200 个字"),
    ],
)
def test_a_bad_application_is_refused_with_nothing_written(workspace, actor, area_tree, change, field, message):
    pid, need_id = person_with_need(workspace, actor, area_tree.village,
                                    change.pop("need_kind", NeedKind.HOME_MODIFICATION))
    before = count_rows(workspace, "modification_case", "case_event", "need", "audit_event")
    data = ModificationApplication(pid, change.pop("applied_on", START), need_id, **change)
    with workspace.uow() as uow, pytest.raises(ValidationError) as caught:
        modifications.open_modification(uow, actor, data, today=TODAY)
    assert field in caught.value.errors and message in caught.value.errors[field]
    assert count_rows(workspace, "modification_case", "case_event", "need", "audit_event") == before


def test_a_second_case_while_one_is_open_is_refused(workspace, actor, area_tree):
    case_id, _need = case_at(workspace, actor, area_tree.village, _S.ASSESSED, name="赵一")
    case = load(workspace, case_id)
    with workspace.uow() as uow, pytest.raises(ValidationError, match="已有进行中的改造案件（评估）"):
        modifications.open_modification(uow, actor, ModificationApplication(case.person_id, TODAY), today=TODAY)


def test_a_person_no_longer_on_the_roster_cannot_apply(workspace, actor, area_tree):
    pid, need_id = person_with_need(workspace, actor, area_tree.village)
    with workspace.uow() as uow:
        persons.change_status(uow, actor, pid, PersonStatus.DECEASED, on=START + timedelta(days=5),
                              reason="病故", today=TODAY)
        uow.commit()
    with workspace.uow() as uow, pytest.raises(ValidationError, match="死亡"):
        modifications.open_modification(uow, actor, ModificationApplication(pid, TODAY, need_id), today=TODAY)


def test_a_village_officer_cannot_open_a_case_in_another_village(workspace, actor, area_tree, officer):
    pid, need_id = person_with_need(workspace, actor, area_tree.village)
    with workspace.uow() as uow, pytest.raises(ScopeError):
        modifications.open_modification(uow, officer, ModificationApplication(pid, TODAY, need_id), today=TODAY)


# --- the steps ------------------------------------------------------------------------------


def test_walking_a_case_to_the_end_records_every_step_and_schedules_a_return_visit(workspace, actor, area_tree):
    case_id, need_id = case_at(workspace, actor, area_tree.village, _S.CLOSED)
    case = load(workspace, case_id)
    closed_on = START + timedelta(days=50)
    assert case.stage is _S.CLOSED and case.closed_on == closed_on
    assert case.assessed_on == START + timedelta(days=10)
    assert case.plan_confirmed_on == START + timedelta(days=20)
    assert (case.contractor, case.construction_started_on) == ("吉林市安居建筑工程有限公司", START + timedelta(days=30))
    assert (case.accepted_on, case.acceptance_result, case.actual_cost_fen) == (
        START + timedelta(days=40), "合格", 165_000)
    assert case.estimate_fen == 3 * 40_000 + 2 * 25_000
    assert [e[1] for e in events(workspace, case_id)] == [
        "applied", "assessed", "plan_confirmed", "construction", "accepted", "closed"]
    assert need_status(workspace, need_id) is NeedStatus.MET
    with workspace.uow() as uow:
        follow_up = uow.session.scalars(select(FollowUp).where(FollowUp.case_id == case_id)).one()
        assert (follow_up.case_type, follow_up.visit_id, follow_up.status) == (
            CaseType.MODIFICATION, None, FollowUpStatus.OPEN)
        assert follow_up.due_on == closed_on + timedelta(days=workspace.rules.modification.follow_up_days)
        assert follow_up.need_id == need_id


def test_the_need_follows_the_case(workspace, actor, area_tree):
    seen = {}
    for stage in (_S.PLAN_CONFIRMED, _S.CONSTRUCTION, _S.ACCEPTED):
        _case, need_id = case_at(workspace, actor, area_tree.village, stage, name=f"孙{stage.value[:2]}")
        seen[stage] = need_status(workspace, need_id)
    assert seen == {_S.PLAN_CONFIRMED: NeedStatus.REFERRED, _S.CONSTRUCTION: NeedStatus.IN_SERVICE,
                    _S.ACCEPTED: NeedStatus.IN_SERVICE}


def test_each_step_records_who_and_when(workspace, area_tree, actor):
    case_id, _need = case_at(workspace, actor, area_tree.village, _S.APPLIED)
    clerk = Actor("zhang", "张主任", UserRole.TOWNSHIP_STAFF, workspace.device_id)
    move(workspace, clerk, case_id, step_for(_S.ASSESSED, START + timedelta(days=3), reason="入户勘测"))
    with workspace.uow() as uow:
        event = uow.session.scalars(select(CaseEvent).where(
            CaseEvent.case_id == case_id, CaseEvent.to_state == "assessed")).one()
        assert (event.by_user, event.on_date, event.reason, event.from_state) == (
            "张主任", START + timedelta(days=3), "入户勘测", "applied")


def test_assessment_replaces_the_items_and_sums_the_estimate(workspace, actor, area_tree):
    case_id, _need = case_at(workspace, actor, area_tree.village, _S.ASSESSED)
    move(workspace, actor, case_id, ModificationStep(_S.APPLIED, START + timedelta(days=12), reason="漏测卫生间"))
    move(workspace, actor, case_id, ModificationStep(_S.ASSESSED, START + timedelta(days=15), items=[
        modifications.ItemInput("toilet_seat", 1, 90_000),
        modifications.ItemInput("other", 2, 5_000, name="门铃线路", unit="处"),
    ]))
    with workspace.uow() as uow:
        rows = sorted((i.item_code, i.name, i.unit, i.quantity, i.estimate_fen) for i in uow.session.scalars(
            select(ModificationItem).where(ModificationItem.case_id == case_id)))
    assert rows == [("other", "门铃线路", "处", 2, 10_000), ("toilet_seat", "坐便器改装", "套", 1, 90_000)]
    assert load(workspace, case_id).estimate_fen == 100_000


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (modifications.ItemInput("unknown", 1, 100), "不在改造项目目录中"),
        (modifications.ItemInput("ramp", 0, 100), "数量应为 1–999"),
        (modifications.ItemInput("ramp", 1, 0), "单价应大于 0"),
        (modifications.ItemInput("ramp", 1, 20_000_000), "单价应大于 0"),
    ],
)
def test_a_bad_item_is_named_by_its_row(workspace, actor, area_tree, item, message):
    case_id, _need = case_at(workspace, actor, area_tree.village, _S.APPLIED)
    step = ModificationStep(_S.ASSESSED, START + timedelta(days=1),
                            items=[modifications.ItemInput("ramp", 1, 40_000), item])
    with pytest.raises(ValidationError) as caught:
        move(workspace, actor, case_id, step)
    assert list(caught.value.errors) == ["items[2]"] and message in caught.value.errors["items[2]"]
    assert "第 2 项" in caught.value.message
    assert load(workspace, case_id).stage is _S.APPLIED


def test_an_assessment_without_items_is_refused(workspace, actor, area_tree):
    case_id, _need = case_at(workspace, actor, area_tree.village, _S.APPLIED)
    with pytest.raises(ValidationError, match="请至少添加一个改造项目"):
        move(workspace, actor, case_id, ModificationStep(_S.ASSESSED, START + timedelta(days=1)))


@pytest.mark.parametrize(
    ("stage", "target", "missing"),
    [
        (_S.PLAN_CONFIRMED, _S.CONSTRUCTION, {"contractor": None}),
        (_S.CONSTRUCTION, _S.ACCEPTED, {"actual_cost_fen": None}),
        (_S.CONSTRUCTION, _S.ACCEPTED, {"acceptance_result": " "}),
        (_S.CONSTRUCTION, _S.ACCEPTED, {"accepted_by": ""}),
    ],
)
def test_a_step_without_what_it_records_is_refused(workspace, actor, area_tree, stage, target, missing):
    case_id, _need = case_at(workspace, actor, area_tree.village, stage)
    before = load(workspace, case_id)
    with pytest.raises(ValidationError, match="必须填写"):
        move(workspace, actor, case_id, step_for(target, TODAY, **missing))
    after = load(workspace, case_id)
    assert (after.stage, after.row_version) == (before.stage, before.row_version)


def test_a_step_dated_before_the_current_stage_or_in_the_future_is_refused(workspace, actor, area_tree):
    case_id, _need = case_at(workspace, actor, area_tree.village, _S.ASSESSED)
    with pytest.raises(ValidationError, match="不能早于进入“评估”阶段的日期"):
        move(workspace, actor, case_id, step_for(_S.PLAN_CONFIRMED, START + timedelta(days=9)))
    with pytest.raises(ValidationError, match="不能晚于今天"):
        move(workspace, actor, case_id, step_for(_S.PLAN_CONFIRMED, TODAY + timedelta(days=1)))


def test_skipping_a_stage_is_refused_with_the_next_one_named(workspace, actor, area_tree):
    case_id, _need = case_at(workspace, actor, area_tree.village, _S.APPLIED)
    with pytest.raises(TransitionRefused, match="不能从“申请”直接到“施工”，下一步应为“评估”"):
        move(workspace, actor, case_id, step_for(_S.CONSTRUCTION, TODAY))


def test_sending_back_needs_a_reason_and_clears_a_failed_acceptance(workspace, actor, area_tree):
    case_id, need_id = case_at(workspace, actor, area_tree.village, _S.ACCEPTED)
    with pytest.raises(TransitionRefused, match="“退回上一步”必须写明原因"):
        move(workspace, actor, case_id, ModificationStep(_S.CONSTRUCTION, TODAY))
    move(workspace, actor, case_id, ModificationStep(_S.CONSTRUCTION, TODAY, reason="扶手松动，返工"))
    case = load(workspace, case_id)
    assert (case.stage, case.accepted_on, case.acceptance_result, case.actual_cost_fen) == (
        _S.CONSTRUCTION, None, None, None)
    assert case.contractor == "吉林市安居建筑工程有限公司"
    assert events(workspace, case_id)[-1] == ("accepted", "construction", "扶手松动，返工")
    assert need_status(workspace, need_id) is NeedStatus.IN_SERVICE


@pytest.mark.parametrize("end", [_S.INELIGIBLE, _S.TERMINATED])
def test_ending_early_keeps_the_reason_and_settles_the_need(workspace, actor, area_tree, end):
    case_id, need_id = case_at(workspace, actor, area_tree.village, _S.ASSESSED)
    move(workspace, actor, case_id, ModificationStep(end, TODAY, reason="本人放弃改造"))
    case = load(workspace, case_id)
    assert (case.stage, case.end_reason, case.closed_on) == (end, "本人放弃改造", TODAY)
    with workspace.uow() as uow:
        need = uow.session.get(Need, need_id)
        assert (need.status, need.resolution) == (NeedStatus.UNREACHABLE, "本人放弃改造")
    with pytest.raises(TransitionRefused, match="不能再改为"):
        move(workspace, actor, case_id, step_for(_S.PLAN_CONFIRMED, TODAY))


def test_a_stale_version_is_refused(workspace, actor, area_tree):
    case_id, _need = case_at(workspace, actor, area_tree.village, _S.APPLIED)
    version = load(workspace, case_id).row_version
    move(workspace, actor, case_id, step_for(_S.ASSESSED, TODAY), expected_version=version)
    with pytest.raises(StaleRecordError):
        move(workspace, actor, case_id, ModificationStep(_S.APPLIED, TODAY, reason="重测"),
             expected_version=version)


def test_a_village_officer_cannot_move_another_villages_case(workspace, actor, area_tree, officer):
    case_id, _need = case_at(workspace, actor, area_tree.village, _S.APPLIED)
    with pytest.raises(ScopeError):
        move(workspace, officer, case_id, step_for(_S.ASSESSED, TODAY))


# --- cost cap -------------------------------------------------------------------------------


CAP = 600_000


@pytest.mark.parametrize(
    ("quantity", "warned"),
    [(15, False), (16, True)],  # 15 × 400 元 = 6,000 元 is at the cap; 16 × is over it
)
def test_an_estimate_over_the_household_cap_is_warned_about(workspace, actor, area_tree, quantity, warned):
    assert workspace.rules.modification.household_cap_fen == CAP
    case_id, _need = case_at(workspace, actor, area_tree.village, _S.APPLIED)
    result = move(workspace, actor, case_id, ModificationStep(
        _S.ASSESSED, TODAY, items=[modifications.ItemInput("ramp", quantity, 40_000)]))
    assert bool(result.warnings) is warned
    if warned:
        assert result.warnings == ("评估预算 6,400.00 元超过每户改造上限 6,000.00 元（超出 400.00 元），请说明理由或调整方案",)
    assert load(workspace, case_id).stage is _S.ASSESSED  # a warning, not a refusal


def test_acceptance_warns_about_cost_over_the_cap_and_missing_photos(workspace, actor, area_tree):
    case_id, _need = case_at(workspace, actor, area_tree.village, _S.CONSTRUCTION)
    result = move(workspace, actor, case_id, step_for(_S.ACCEPTED, TODAY, actual_cost_fen=CAP + 1))
    assert len(result.warnings) == 2
    assert "实际费用 6,000.01 元超过每户改造上限" in result.warnings[0]
    assert result.warnings[1] == "尚未附改造前照片、改造后照片，验收材料不完整"


# --- targets and progress -------------------------------------------------------------------


def test_progress_counts_this_years_cases_against_the_target(workspace, actor, area_tree):
    for k, stage in enumerate([_S.CLOSED, _S.CLOSED, _S.CONSTRUCTION, _S.APPLIED]):
        case_at(workspace, actor, area_tree.village if k % 2 else area_tree.other_village, stage, name="周" + "甲乙丙丁"[k])
    ended, _n = case_at(workspace, actor, area_tree.village, _S.APPLIED, name="吴五")
    move(workspace, actor, ended, ModificationStep(_S.INELIGIBLE, TODAY, reason="非困难家庭"))
    with workspace.uow() as uow:
        modifications.set_target(uow, actor, area_tree.village, START.year, 3)
        modifications.set_target(uow, actor, area_tree.other_village, START.year, 4)
        uow.commit()
    with workspace.uow() as uow:
        town = modifications.target_progress(uow, actor, START.year, area_id=area_tree.township)
        village = modifications.target_progress(uow, actor, START.year, area_id=area_tree.village)
        county = modifications.target_progress(uow, actor, START.year)
        other_year = modifications.target_progress(uow, actor, START.year + 1)
    assert (town.target, town.applied, town.closed, town.in_progress, town.ended) == (7, 5, 2, 2, 1)
    assert (village.target, village.applied, village.closed) == (3, 3, 1)
    assert county.target == 7 and county.applied == 5
    assert (other_year.target, other_year.applied) == (None, 0)


def test_a_township_target_overrides_the_sum_of_its_villages(workspace, actor, area_tree):
    with workspace.uow() as uow:
        modifications.set_target(uow, actor, area_tree.village, 2025, 3)
        modifications.set_target(uow, actor, area_tree.township, 2025, 10)
        modifications.set_target(uow, actor, area_tree.township, 2025, 12)  # changed, not added
        uow.commit()
    with workspace.uow() as uow:
        assert modifications.target_progress(uow, actor, 2025, area_id=area_tree.township).target == 12
    assert count_rows(workspace, "area_target")["area_target"] == 2


def test_a_village_officer_cannot_set_targets(workspace, area_tree, officer):
    with workspace.uow() as uow, pytest.raises(ScopeError, match="年度改造目标由乡镇或县残联设定"):
        modifications.set_target(uow, officer, area_tree.other_village, 2025, 5)


@pytest.mark.parametrize("bad", [-1, 100_001])
def test_a_bad_target_is_refused(workspace, actor, area_tree, bad):
    with workspace.uow() as uow, pytest.raises(ValidationError, match="年度目标"):
        modifications.set_target(uow, actor, area_tree.village, 2025, bad)


# --- the priority list ----------------------------------------------------------------------


def test_the_priority_list_puts_the_neediest_first_and_explains_why(workspace, actor, area_tree):
    old, young = date(1950, 1, 1), date(1985, 1, 1)
    table = [
        # name, person fields, expected score
        ("甲重度多重老", {"grade": 1, "category": 7, "component_categories": frozenset({1, 4}),
                      "birth": old}, 40 + 30 + 20),
        ("乙重度低保", {"grade": 2, "dibao": True, "birth": young}, 40 + 10),
        ("丙老残残病低保", {"birth": old, "chronic_illness_in_household": True, "dibao": True}, 20 + 15 + 10),
        ("丁特困", {"tekun": True, "birth": young}, 10),
        ("戊特困早申请", {"tekun": True, "birth": young}, 10),
        ("己不符合", {"birth": young}, 0),
    ]
    raised = {"戊特困早申请": START - timedelta(days=30)}
    for name, fields, _score in table:
        person_with_need(workspace, actor, area_tree.village, name=name, raised=raised.get(name, START), **fields)
    with workspace.uow() as uow:
        listed = modifications.modification_candidates(uow, actor, rules=workspace.rules, today=TODAY)
        everyone = modifications.modification_candidates(uow, actor, rules=workspace.rules, today=TODAY,
                                                         include_ineligible=True)
    assert [(c.name, c.score) for c in listed] == [
        ("甲重度多重老", 90), ("乙重度低保", 50), ("丙老残残病低保", 45), ("戊特困早申请", 10), ("丁特困", 10)]
    assert listed[0].reasons == ("重度残疾", "多重残疾", "老残一体")
    assert listed[2].eligibility == "困难家庭" and listed[0].eligibility == "重度残疾"
    assert everyone[-1].name == "己不符合" and not everyone[-1].eligible
    assert everyone[-1].eligibility == "非重度且非困难家庭"


def test_the_priority_list_leaves_out_households_with_a_case(workspace, actor, area_tree):
    case_at(workspace, actor, area_tree.village, _S.APPLIED, name="有案件", grade=1)
    person_with_need(workspace, actor, area_tree.village, name="待申请", grade=1)
    with workspace.uow() as uow:
        names = [c.name for c in modifications.modification_candidates(
            uow, actor, rules=workspace.rules, today=TODAY)]
    assert names == ["待申请"]


def test_the_priority_list_stays_in_scope(workspace, actor, area_tree, officer):
    person_with_need(workspace, actor, area_tree.village, name="两家子", grade=1)
    person_with_need(workspace, actor, area_tree.other_village, name="前进", grade=1)
    with workspace.uow() as uow:
        names = [c.name for c in modifications.modification_candidates(
            uow, officer, rules=workspace.rules, today=TODAY)]
    assert names == ["前进"]


def test_the_forward_path_is_the_workflow_order():
    from liaison.core.rules.workflows import MODIFICATION

    assert [s.value for s in FORWARD] == list(MODIFICATION.order[1:])
