"""Rehab referrals through the services: referring from a need, institutions, every state,
辅具适配 steps and who may take them, the need and the 回访, and the 0–6 rescue caps."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from liaison.core.enums import (
    CaseType,
    DeviceStep,
    FollowUpStatus,
    NeedKind,
    NeedStatus,
    ReferralServiceKind,
    ReferralState,
    UserRole,
)
from liaison.core.errors import ScopeError, StaleRecordError, ValidationError
from liaison.core.models import FollowUp, Need, RehabReferral
from liaison.core.rules.workflows import TransitionRefused
from liaison.core.services import referrals
from liaison.core.services.case_common import timeline
from liaison.core.services.context import Actor
from liaison.core.services.referrals import InstitutionInput, ReferralInput, ReferralStep
from tests.core.services.case_helpers import START, person_with_need, referral_at
from tests.core.services.helpers import TODAY, count_rows

K = ReferralServiceKind


@pytest.fixture
def centre(workspace, actor) -> Any:
    """A designated centre for training, home rehab and device fitting."""
    with workspace.uow() as uow:
        inst = referrals.save_institution(uow, actor, InstitutionInput(
            "昌邑区残疾人康复中心", [K.REHAB_TRAINING, K.HOME_REHAB, K.DEVICE_FITTING, K.SURGERY], code="JG001"))
        uow.commit()
        return inst.id


def load(ws: Any, rid: Any) -> RehabReferral:
    with ws.uow() as uow:
        row = uow.session.get(RehabReferral, rid)
        uow.session.expunge_all()
        return row


def need_of(ws: Any, need_id: Any) -> Need:
    with ws.uow() as uow:
        need = uow.session.get(Need, need_id)
        uow.session.expunge_all()
        return need


def move(ws: Any, actor: Actor, rid: Any, step: ReferralStep, **kw: Any) -> referrals.StepResult:
    with ws.uow() as uow:
        result = referrals.move_referral(uow, actor, rid, step, rules=ws.rules, today=TODAY, **kw)
        uow.commit()
    return result


# --- referring ------------------------------------------------------------------------------


def test_referring_a_need_marks_it_referred(workspace, actor, area_tree, centre):
    rid, need_id = referral_at(workspace, actor, area_tree.village, [], institution_id=centre)
    referral = load(workspace, rid)
    assert (referral.state, referral.service_kind, referral.institution_id, referral.device_step) == (
        ReferralState.REFERRED, K.REHAB_TRAINING, centre, None)
    assert need_of(workspace, need_id).status is NeedStatus.REFERRED


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"need_kind": NeedKind.EMPLOYMENT}, "need", "只有“康复”“辅助器具”需求可以转介"),
        ({"referred_on": TODAY + timedelta(days=1)}, "referred_on", "不能晚于今天"),
        ({"referred_on": START - timedelta(days=1)}, "referred_on", "不能早于需求提出日期"),
        ({"service_kind": K.PSYCHIATRIC_MEDICATION, "institution": True}, "institution_id", "不提供“精神病服药补助”服务"),
        ({"cost_fen": -1}, "cost_fen", "应为 0–"),
    ],
)
def test_a_bad_referral_is_refused_with_nothing_written(workspace, actor, area_tree, centre, change, field, message):
    _pid, need_id = person_with_need(workspace, actor, area_tree.village,
                                     change.pop("need_kind", NeedKind.REHABILITATION))
    data = ReferralInput(need_id, change.pop("service_kind", K.REHAB_TRAINING),
                         change.pop("referred_on", START), cost_fen=change.pop("cost_fen", None),
                         institution_id=centre if change.pop("institution", False) else None)
    before = count_rows(workspace, "rehab_referral", "case_event", "audit_event")
    with workspace.uow() as uow, pytest.raises(ValidationError) as caught:
        referrals.refer(uow, actor, data, rules=workspace.rules, today=TODAY)
    assert field in caught.value.errors and message in caught.value.errors[field]
    assert count_rows(workspace, "rehab_referral", "case_event", "audit_event") == before
    assert need_of(workspace, need_id).status is NeedStatus.OPEN


def test_a_service_the_county_does_not_offer_is_refused(workspace, actor, area_tree):
    from dataclasses import replace

    rules = workspace.rules
    narrowed = replace(rules, referral=replace(rules.referral, service_kinds=("rehab_training",)))
    _pid, need_id = person_with_need(workspace, actor, area_tree.village, NeedKind.REHABILITATION)
    with workspace.uow() as uow, pytest.raises(ValidationError, match="本县未开展“手术”服务"):
        referrals.refer(uow, actor, ReferralInput(need_id, K.SURGERY, START), rules=narrowed, today=TODAY)


def test_a_need_with_an_open_referral_cannot_be_referred_again(workspace, actor, area_tree):
    _rid, need_id = referral_at(workspace, actor, area_tree.village, [])
    with workspace.uow() as uow, pytest.raises(ValidationError, match="已有进行中的转介"):
        referrals.refer(uow, actor, ReferralInput(need_id, K.HOME_REHAB, TODAY), rules=workspace.rules, today=TODAY)


def test_after_a_refusal_the_need_is_open_again_and_can_go_elsewhere(workspace, actor, area_tree, centre):
    rid, need_id = referral_at(workspace, actor, area_tree.village, ["not_accepted"])
    referral = load(workspace, rid)
    assert (referral.state, referral.not_accepted_reason, referral.closed_on) == (
        ReferralState.NOT_ACCEPTED, "原因", START + timedelta(days=10))
    assert need_of(workspace, need_id).status is NeedStatus.OPEN
    with workspace.uow() as uow:
        referrals.refer(uow, actor, ReferralInput(need_id, K.HOME_REHAB, TODAY, institution_id=centre),
                        rules=workspace.rules, today=TODAY)
        uow.commit()
    assert need_of(workspace, need_id).status is NeedStatus.REFERRED


def test_a_village_officer_cannot_refer_in_another_village(workspace, actor, area_tree, officer):
    _pid, need_id = person_with_need(workspace, actor, area_tree.village, NeedKind.REHABILITATION)
    with workspace.uow() as uow, pytest.raises(ScopeError):
        referrals.refer(uow, officer, ReferralInput(need_id, K.REHAB_TRAINING, TODAY),
                        rules=workspace.rules, today=TODAY)


# --- the states -----------------------------------------------------------------------------


def test_completing_marks_the_need_met_and_schedules_a_return_visit(workspace, actor, area_tree, centre):
    rid, need_id = referral_at(workspace, actor, area_tree.village, ["accepted", "in_service"], institution_id=centre)
    assert need_of(workspace, need_id).status is NeedStatus.IN_SERVICE
    done_on = START + timedelta(days=40)
    result = move(workspace, actor, rid, ReferralStep("completed", done_on, outcome="可独立行走", cost_fen=300_000))
    referral = load(workspace, rid)
    assert (referral.state, referral.closed_on, referral.outcome, referral.cost_fen) == (
        ReferralState.COMPLETED, done_on, "可独立行走", 300_000)
    assert referral.accepted_on == START + timedelta(days=10)
    need = need_of(workspace, need_id)
    assert (need.status, need.resolved_on) == (NeedStatus.MET, done_on)
    with workspace.uow() as uow:
        follow_up = uow.session.get(FollowUp, result.follow_up_id)
        assert (follow_up.case_type, follow_up.case_id, follow_up.status, follow_up.action) == (
            CaseType.REFERRAL, rid, FollowUpStatus.OPEN, "康复训练服务结束后回访")
        assert follow_up.due_on == done_on + timedelta(days=workspace.rules.referral.follow_up_days)


def test_accepting_needs_an_institution_that_offers_the_service(workspace, actor, area_tree):
    rid, _need = referral_at(workspace, actor, area_tree.village, [])
    with pytest.raises(ValidationError, match="请选择受理的定点机构"):
        move(workspace, actor, rid, ReferralStep("accepted", TODAY))
    with workspace.uow() as uow:
        mental = referrals.save_institution(uow, actor, InstitutionInput("精神康复医院", [K.PSYCHIATRIC_MEDICATION]))
        uow.commit()
        mental_id = mental.id
    with pytest.raises(ValidationError, match="不提供“康复训练”服务"):
        move(workspace, actor, rid, ReferralStep("accepted", TODAY, institution_id=mental_id))
    assert load(workspace, rid).state is ReferralState.REFERRED


def test_not_completed_keeps_the_reason_and_reopens_the_need(workspace, actor, area_tree, centre):
    rid, need_id = referral_at(workspace, actor, area_tree.village, ["accepted", "in_service", "not_completed"],
                               institution_id=centre)
    referral = load(workspace, rid)
    assert (referral.state, referral.outcome) == (ReferralState.NOT_COMPLETED, "原因")
    assert need_of(workspace, need_id).status is NeedStatus.OPEN
    with workspace.uow() as uow:
        assert uow.session.scalars(select(FollowUp).where(FollowUp.case_id == rid)).first() is None


def test_sending_back_clears_the_acceptance(workspace, actor, area_tree, centre):
    rid, _need = referral_at(workspace, actor, area_tree.village, ["accepted"], institution_id=centre)
    move(workspace, actor, rid, ReferralStep("referred", TODAY, reason="机构填错"))
    referral = load(workspace, rid)
    assert (referral.state, referral.accepted_on) == (ReferralState.REFERRED, None)


def test_a_stale_version_is_refused(workspace, actor, area_tree, centre):
    rid, _need = referral_at(workspace, actor, area_tree.village, [], institution_id=centre)
    version = load(workspace, rid).row_version
    move(workspace, actor, rid, ReferralStep("accepted", TODAY), expected_version=version)
    with pytest.raises(StaleRecordError):
        move(workspace, actor, rid, ReferralStep("not_accepted", TODAY, reason="x"), expected_version=version)


# --- 辅具适配 -------------------------------------------------------------------------------


DEVICE_PATH = ["village_reviewed", "township_reviewed", "assessed", "approved", "fitted"]


def device_referral(ws: Any, actor: Actor, area_id: Any, path: list[str], centre: Any, **kw: Any) -> tuple[Any, Any]:
    return referral_at(ws, actor, area_id, path, kind=K.DEVICE_FITTING, need_kind=NeedKind.ASSISTIVE_DEVICE,
                       institution_id=centre, **kw)


@pytest.mark.parametrize(
    ("path", "step", "state"),
    [
        ([], DeviceStep.APPLIED, ReferralState.REFERRED),
        (DEVICE_PATH[:1], DeviceStep.VILLAGE_REVIEWED, ReferralState.REFERRED),
        (DEVICE_PATH[:2], DeviceStep.TOWNSHIP_REVIEWED, ReferralState.REFERRED),
        (DEVICE_PATH[:3], DeviceStep.ASSESSED, ReferralState.ACCEPTED),
        (DEVICE_PATH[:4], DeviceStep.APPROVED, ReferralState.IN_SERVICE),
        (DEVICE_PATH, DeviceStep.FITTED, ReferralState.COMPLETED),
        ([*DEVICE_PATH, "revisited"], DeviceStep.REVISITED, ReferralState.COMPLETED),
    ],
)
def test_the_device_step_sets_the_referral_state(workspace, actor, area_tree, centre, path, step, state):
    rid, _need = device_referral(workspace, actor, area_tree.village, path, centre)
    referral = load(workspace, rid)
    assert (referral.device_step, referral.state) == (step, state)


def test_fitting_schedules_the_return_visit_and_the_revisit_step_closes_it(workspace, actor, area_tree, centre):
    rid, need_id = device_referral(workspace, actor, area_tree.village, DEVICE_PATH, centre)
    assert need_of(workspace, need_id).status is NeedStatus.MET
    with workspace.uow() as uow:
        follow_up = uow.session.scalars(select(FollowUp).where(FollowUp.case_id == rid)).one()
        assert follow_up.status is FollowUpStatus.OPEN
    with pytest.raises(ValidationError, match="请写明回访情况"):
        move(workspace, actor, rid, ReferralStep("revisited", TODAY))
    move(workspace, actor, rid, ReferralStep("revisited", TODAY, outcome="轮椅使用良好"))
    with workspace.uow() as uow:
        follow_up = uow.session.scalars(select(FollowUp).where(FollowUp.case_id == rid)).one()
        assert (follow_up.status, follow_up.done_on, follow_up.outcome) == (
            FollowUpStatus.DONE, TODAY, "轮椅使用良好")
    assert need_of(workspace, need_id).status is NeedStatus.MET


def test_a_village_officer_may_review_first_but_not_second(workspace, actor, area_tree, centre, officer):
    rid, _need = device_referral(workspace, actor, area_tree.other_village, [], centre)
    move(workspace, officer, rid, ReferralStep("village_reviewed", START + timedelta(days=1)))
    with pytest.raises(TransitionRefused, match="“乡镇复审通过”须由乡镇（街道）工作人员、县（区）残联工作人员、系统管理员办理"):
        move(workspace, officer, rid, ReferralStep("township_reviewed", START + timedelta(days=2)))
    clerk = Actor("zhang", "张主任", UserRole.TOWNSHIP_STAFF, workspace.device_id)
    move(workspace, clerk, rid, ReferralStep("township_reviewed", START + timedelta(days=2)))
    assert load(workspace, rid).device_step is DeviceStep.TOWNSHIP_REVIEWED


def test_a_refused_review_ends_the_device_referral(workspace, actor, area_tree, centre):
    rid, need_id = device_referral(workspace, actor, area_tree.village, ["village_reviewed"], centre)
    move(workspace, actor, rid, ReferralStep("not_accepted", TODAY, reason="已有同类辅具未满使用年限"))
    referral = load(workspace, rid)
    assert (referral.state, referral.device_step, referral.not_accepted_reason) == (
        ReferralState.NOT_ACCEPTED, DeviceStep.VILLAGE_REVIEWED, "已有同类辅具未满使用年限")
    assert need_of(workspace, need_id).status is NeedStatus.OPEN


# --- 0–6 rescue caps, on tables of referrals -------------------------------------------------


CHILD_BIRTH = date(2021, 3, 1)  # four years old in 2025
CAPS = {"training": 2_400_000, "surgery": 2_550_000, "device": 6_250_000}


@pytest.mark.parametrize(
    ("earlier", "kind", "requested", "allowed"),
    [
        # (service kind, referral date, cost, final state) already on file; then the new request
        ([], K.REHAB_TRAINING, 2_400_000, True),  # exactly the cap
        ([], K.REHAB_TRAINING, 2_400_001, False),
        ([(K.REHAB_TRAINING, date(2025, 2, 1), 2_000_000, "completed")], K.REHAB_TRAINING, 400_000, True),
        ([(K.REHAB_TRAINING, date(2025, 2, 1), 2_000_000, "completed")], K.REHAB_TRAINING, 400_001, False),
        # home and community rehab count against the same training cap
        ([(K.HOME_REHAB, date(2025, 2, 1), 2_000_000, "completed")], K.REHAB_TRAINING, 400_001, False),
        # another year does not count
        ([(K.REHAB_TRAINING, date(2024, 12, 31), 2_400_000, "completed")], K.REHAB_TRAINING, 2_400_000, True),
        # another kind does not count
        ([(K.SURGERY, date(2025, 2, 1), 2_550_000, "completed")], K.REHAB_TRAINING, 2_400_000, True),
        # a referral the institution did not accept does not count
        ([(K.REHAB_TRAINING, date(2025, 2, 1), 2_000_000, "not_accepted")], K.REHAB_TRAINING, 2_400_000, True),
        # an open referral's expected cost counts
        ([(K.SURGERY, date(2025, 2, 1), 2_000_000, "referred")], K.SURGERY, 550_001, False),
        ([], K.DEVICE_FITTING, 6_250_000, True),
        ([(K.DEVICE_FITTING, date(2025, 1, 5), 6_000_000, "referred")], K.DEVICE_FITTING, 250_001, False),
        # psychiatric medication is not paid by the rescue fund: no cap
        ([], K.PSYCHIATRIC_MEDICATION, 9_000_000, True),
    ],
)
def test_the_rescue_cap_counts_what_was_spent_that_year(workspace, actor, area_tree, earlier, kind, requested, allowed):
    with workspace.uow() as uow:
        every = referrals.save_institution(uow, actor, InstitutionInput("儿童康复中心", list(K)))
        uow.commit()
        inst = every.id
    need_kind = NeedKind.ASSISTIVE_DEVICE if kind is K.DEVICE_FITTING else NeedKind.REHABILITATION
    pid, _need = person_with_need(workspace, actor, area_tree.village, need_kind, birth=CHILD_BIRTH,
                                  raised=date(2024, 6, 1), certified=False, diagnosis="脑瘫",
                                  diagnosed_on=date(2022, 1, 1))
    with workspace.uow() as uow:
        for service, on, cost, state in earlier:
            nk = NeedKind.ASSISTIVE_DEVICE if service is K.DEVICE_FITTING else NeedKind.REHABILITATION
            need = Need(origin_device="t", person_id=pid, kind=nk, raised_on=on, status=NeedStatus.REFERRED,
                        status_on=on)
            uow.session.add(need)
            uow.session.flush()
            uow.session.add(RehabReferral(origin_device="t", person_id=pid, need_id=need.id, service_kind=service,
                                          state=ReferralState(state), state_on=on, referred_on=on, cost_fen=cost))
        uow.commit()
        need_id = uow.session.scalars(select(Need.id).where(Need.person_id == pid, Need.status == NeedStatus.OPEN)).one()
    data = ReferralInput(need_id, kind, date(2025, 6, 1), institution_id=inst, cost_fen=requested)
    with workspace.uow() as uow:
        if allowed:
            result = referrals.refer(uow, actor, data, rules=workspace.rules, today=TODAY)
            uow.commit()
            if kind is not K.PSYCHIATRIC_MEDICATION:
                assert "年度救助上限" in result.warnings[0] and "剩余" in result.warnings[0]
        else:
            with pytest.raises(ValidationError) as caught:
                referrals.refer(uow, actor, data, rules=workspace.rules, today=TODAY)
            assert "超出" in caught.value.errors["cost_fen"]


def test_the_cap_is_checked_again_when_the_cost_changes(workspace, actor, area_tree, centre):
    rid, _need = referral_at(workspace, actor, area_tree.village, ["accepted", "in_service"], institution_id=centre,
                             cost_fen=1_000_000, birth=CHILD_BIRTH, certified=False, diagnosis="脑瘫",
                             diagnosed_on=date(2022, 1, 1))
    # its own earlier amount is replaced, not added: 2,400,000 in total is allowed
    move(workspace, actor, rid, ReferralStep("completed", TODAY, cost_fen=2_400_000, outcome="完成"))
    rid2, _n = referral_at(workspace, actor, area_tree.village, [], institution_id=centre, kind=K.HOME_REHAB,
                           name="李小", birth=CHILD_BIRTH, certified=False, diagnosis="脑瘫",
                           diagnosed_on=date(2022, 1, 1))
    with pytest.raises(ValidationError, match="超出"):
        move(workspace, actor, rid2, ReferralStep("accepted", TODAY, cost_fen=3_000_000))
    assert load(workspace, rid2).cost_fen is None


def test_an_adult_has_no_rescue_cap(workspace, actor, area_tree, centre):
    _pid, need_id = person_with_need(workspace, actor, area_tree.village, NeedKind.REHABILITATION)
    with workspace.uow() as uow:
        result = referrals.refer(uow, actor, ReferralInput(need_id, K.SURGERY, TODAY, centre, cost_fen=9_000_000),
                                 rules=workspace.rules, today=TODAY)
    assert result.warnings == ()


# --- institutions ---------------------------------------------------------------------------


def test_institutions_are_kept_by_the_county(workspace, actor, area_tree, officer):
    with workspace.uow() as uow, pytest.raises(ScopeError, match="定点机构名单由县残联维护"):
        referrals.save_institution(uow, officer, InstitutionInput("某机构", [K.SURGERY]))
    with workspace.uow() as uow, pytest.raises(ValidationError) as caught:
        referrals.save_institution(uow, actor, InstitutionInput(" ", []))
    assert set(caught.value.errors) == {"name", "service_kinds"}


def test_an_institution_code_is_unique_and_an_inactive_one_is_not_offered(workspace, actor, centre):
    with workspace.uow() as uow, pytest.raises(ValidationError, match="编码 JG001 已被其他机构使用"):
        referrals.save_institution(uow, actor, InstitutionInput("另一家", [K.SURGERY], code="JG001"))
    with workspace.uow() as uow:
        referrals.save_institution(uow, actor, InstitutionInput(
            "昌邑区残疾人康复中心", [K.REHAB_TRAINING], code="JG001", active=False), centre)
        uow.commit()
    with workspace.uow() as uow:
        assert referrals.list_institutions(uow) == []
        assert [i.name for i in referrals.list_institutions(uow, include_inactive=True)] == ["昌邑区残疾人康复中心"]


def test_a_return_visit_done_from_the_work_queue_completes_the_device_workflow(workspace, actor, area_tree, centre):
    from liaison.core.services import visits

    rid, _need = device_referral(workspace, actor, area_tree.village, DEVICE_PATH, centre)
    with workspace.uow() as uow:
        follow_up_id = uow.session.scalars(select(FollowUp.id).where(FollowUp.case_id == rid)).one()
        visits.complete_follow_up(uow, actor, follow_up_id, on=TODAY, outcome="轮椅合适", today=TODAY)
        uow.commit()
    referral = load(workspace, rid)
    assert (referral.device_step, referral.state, referral.state_on) == (
        DeviceStep.REVISITED, ReferralState.COMPLETED, TODAY)
    with workspace.uow() as uow:
        last = timeline(uow, CaseType.REFERRAL, rid)[-1]
    assert (last.source, last.target, last.on, last.reason) == ("fitted", "revisited", TODAY, "轮椅合适")
