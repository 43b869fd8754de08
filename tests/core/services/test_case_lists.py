"""Reading cases: lists with counts per stage and the filters of the pages, overdue in stage,
one case with its timeline and next steps, and the links from a person and a need."""

from __future__ import annotations

from datetime import timedelta

import pytest

from liaison.core.enums import CaseType, ModificationStage, NeedKind, ReferralServiceKind, UserRole
from liaison.core.errors import ScopeError
from liaison.core.services import case_lists, modifications, referrals
from liaison.core.services.case_lists import CaseFilter
from liaison.core.services.context import Actor
from tests.core.services.case_helpers import START, case_at, referral_at
from tests.core.services.helpers import TODAY

_S = ModificationStage


@pytest.fixture
def cases(workspace, actor, area_tree):
    made = {
        "甲": case_at(workspace, actor, area_tree.village, _S.APPLIED, name="甲")[0],
        "乙": case_at(workspace, actor, area_tree.village, _S.CONSTRUCTION, name="乙")[0],
        "丙": case_at(workspace, actor, area_tree.other_village, _S.CONSTRUCTION, name="丙")[0],
        "丁": case_at(workspace, actor, area_tree.other_village, _S.CLOSED, name="丁")[0],
    }
    return made


def listed(ws, actor, flt=None, today=TODAY):
    with ws.uow() as uow:
        return case_lists.list_cases(uow, actor, CaseType.MODIFICATION, flt or CaseFilter(),
                                     rules=ws.rules, today=today)


def test_counts_per_stage_and_the_stage_filter(workspace, actor, cases):
    everything = listed(workspace, actor)
    assert everything.counts == {"applied": 1, "construction": 2, "closed": 1}
    assert everything.total == 4
    only = listed(workspace, actor, CaseFilter(stage="construction"))
    assert sorted(r.person_name for r in only.rows) == ["丙", "乙"]
    assert only.counts == everything.counts  # the chips keep showing every stage


def test_overdue_in_stage_follows_the_rule_table(workspace, actor, cases):
    # 甲 applied on START (30 days allowed); 乙/丙 entered construction on START+30 (60 allowed)
    early = listed(workspace, actor, today=START + timedelta(days=30))
    assert early.overdue == 0
    later = listed(workspace, actor, today=START + timedelta(days=31))
    assert [r.person_name for r in later.rows if r.overdue] == ["甲"]
    late = listed(workspace, actor, CaseFilter(overdue_only=True), today=START + timedelta(days=91))
    assert sorted(r.person_name for r in late.rows) == ["丙", "乙", "甲"]
    assert late.overdue == 3 and late.rows[0].person_name == "甲"  # longest in stage first
    assert all(r.stage != "closed" for r in late.rows)  # a closed case is never overdue


def test_area_and_year_filters(workspace, actor, area_tree, cases):
    village = frozenset({area_tree.village})
    assert sorted(r.person_name for r in listed(workspace, actor, CaseFilter(area_ids=village)).rows) == ["乙", "甲"]
    assert listed(workspace, actor, CaseFilter(year=START.year)).total == 4
    assert listed(workspace, actor, CaseFilter(year=START.year + 1)).total == 0


def test_a_village_officer_sees_only_their_village(workspace, officer, cases):
    assert sorted(r.person_name for r in listed(workspace, officer).rows) == ["丁", "丙"]


def test_a_row_carries_what_the_page_shows(workspace, actor, cases):
    row = next(r for r in listed(workspace, actor).rows if r.person_name == "乙")
    assert (row.stage_label, row.village, row.stage_on, row.started_on, row.detail) == (
        "施工", "桦皮厂镇 两家子村", START + timedelta(days=30), START, "吉林市安居建筑工程有限公司")
    assert row.amount_fen == 170_000 and row.days_in_stage == (TODAY - START).days - 30


def test_referral_rows_show_the_device_step_and_institution(workspace, actor, area_tree):
    with workspace.uow() as uow:
        inst = referrals.save_institution(uow, actor, referrals.InstitutionInput(
            "辅具中心", [ReferralServiceKind.DEVICE_FITTING, ReferralServiceKind.REHAB_TRAINING]))
        uow.commit()
        inst_id = inst.id
    referral_at(workspace, actor, area_tree.village, ["village_reviewed"], kind=ReferralServiceKind.DEVICE_FITTING,
                need_kind=NeedKind.ASSISTIVE_DEVICE, institution_id=inst_id, name="赵")
    referral_at(workspace, actor, area_tree.village, ["accepted"], institution_id=inst_id, name="钱")
    with workspace.uow() as uow:
        result = case_lists.list_cases(uow, actor, CaseType.REFERRAL, CaseFilter(), rules=workspace.rules, today=TODAY)
        device_only = case_lists.list_cases(uow, actor, CaseType.REFERRAL, CaseFilter(
            service_kind=ReferralServiceKind.DEVICE_FITTING), rules=workspace.rules, today=TODAY)
    rows = {r.person_name: r for r in result.rows}
    assert (rows["赵"].stage_label, rows["赵"].step_label, rows["赵"].detail) == ("转介", "初审（村）", "辅具适配 · 辅具中心")
    assert (rows["钱"].stage_label, rows["钱"].step_label) == ("受理", "受理")
    assert result.counts == {"referred": 1, "accepted": 1}
    assert [r.person_name for r in device_only.rows] == ["赵"]


def test_a_case_view_offers_the_next_steps_for_the_users_role(workspace, actor, area_tree):
    case_id, _need = case_at(workspace, actor, area_tree.other_village, _S.CONSTRUCTION)
    with workspace.uow() as uow:
        view = case_lists.open_case(uow, actor, workspace.files, CaseType.MODIFICATION, case_id,
                                    rules=workspace.rules, today=TODAY)
    assert (view.position, view.position_label, view.final) == ("construction", "施工", False)
    assert [(t.target, t.action_label()) for t in view.actions] == [
        ("accepted", "竣工验收"), ("plan_confirmed", "退回上一步"), ("terminated", "终止")]
    assert [e.target for e in view.timeline] == ["applied", "assessed", "plan_confirmed", "construction"]
    assert [i.name for i in view.items] == ["坡道", "扶手"]
    assert dict(view.facts)["施工单位"] == "吉林市安居建筑工程有限公司"
    assert view.id_number_masked.count("*") >= 8
    assert view.need_label.startswith("无障碍改造（")


def test_a_device_referral_hides_the_township_review_from_a_village_officer(workspace, actor, area_tree, officer):
    rid, _need = referral_at(workspace, actor, area_tree.other_village, ["village_reviewed"],
                             kind=ReferralServiceKind.DEVICE_FITTING, need_kind=NeedKind.ASSISTIVE_DEVICE)
    clerk = Actor("zhang", "张主任", UserRole.TOWNSHIP_STAFF, workspace.device_id)
    with workspace.uow() as uow:
        mine = case_lists.open_case(uow, officer, workspace.files, CaseType.REFERRAL, rid,
                                    rules=workspace.rules, today=TODAY)
        theirs = case_lists.open_case(uow, clerk, workspace.files, CaseType.REFERRAL, rid,
                                      rules=workspace.rules, today=TODAY)
    assert [t.target for t in mine.actions] == ["applied"]  # 复审 and 复审不通过 are the township's
    assert [t.target for t in theirs.actions] == ["township_reviewed", "applied", "not_accepted"]
    assert dict(mine.facts)["适配环节"] == "初审（村）"


def test_a_case_outside_the_scope_cannot_be_opened(workspace, actor, area_tree, officer):
    case_id, _need = case_at(workspace, actor, area_tree.village, _S.APPLIED)
    with workspace.uow() as uow, pytest.raises(ScopeError):
        case_lists.open_case(uow, officer, workspace.files, CaseType.MODIFICATION, case_id,
                             rules=workspace.rules, today=TODAY)


def test_a_person_and_a_need_lead_to_their_cases(workspace, actor, area_tree):
    case_id, need_id = case_at(workspace, actor, area_tree.village, _S.CLOSED)
    with workspace.uow() as uow:
        person_id = case_lists.open_case(uow, actor, workspace.files, CaseType.MODIFICATION, case_id,
                                         rules=workspace.rules, today=TODAY).person_id
        second = modifications.open_modification(
            uow, actor, modifications.ModificationApplication(person_id, TODAY, note="二次改造"), today=TODAY)
        uow.commit()
    with workspace.uow() as uow:
        rows = case_lists.cases_of_person(uow, actor, person_id, rules=workspace.rules, today=TODAY)
        assert [r.id for r in rows] == [second.case_id, case_id]  # newest first
        assert case_lists.cases_of_need(uow, need_id) == [(CaseType.MODIFICATION, case_id)]
