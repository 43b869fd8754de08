"""The printed forms: each builds, embeds only its own font, and shows the stored values
(with ID numbers masked where they must be) as text a PDF reader can extract."""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from liaison.bootstrap import Workspace
from liaison.core.enums import (
    AttachmentRole,
    CaseType,
    ContactMode,
    DeviceStep,
    ModificationStage,
    NeedKind,
    ReferralServiceKind,
    ReferralState,
    VisitKind,
    label,
)
from liaison.core.errors import ValidationError
from liaison.core.models import AuditEvent, HomeModificationCase, Person, RehabReferral, Visit
from liaison.core.rules.idnumber import mask_id_number
from liaison.core.services import attachments, referrals, visits
from liaison.core.services.context import Actor
from liaison.reports.forms import (
    TICKED,
    write_acceptance_pdf,
    write_person_file_pdf,
    write_public_notice_pdf,
    write_referral_slip_pdf,
    write_visit_record_pdf,
)
from tests.core.services.case_helpers import PNG, case_at, person_with_need, referral_at, write_file
from tests.core.services.helpers import TODAY, add_person, add_visit

RARE = "𠮷"  # CJK Ext-B: not in Noto Sans SC


# --- poppler --------------------------------------------------------------------------------


def _poppler(tool: str, *args: str) -> str:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} not found: install poppler-utils (scripts/test.sh does) — these tests need it")
    done = subprocess.run([tool, *args], capture_output=True, text=True, check=True)
    return done.stdout


class PdfText(str):
    """A PDF's text with all white space removed, so a value wrapped inside a cell still
    reads as one string; `in` ignores the white space of what is looked for, too."""

    def __contains__(self, item: object) -> bool:
        return super().__contains__("".join(str(item).split()))


def raw_text(path: Path) -> str:
    return _poppler("pdftotext", "-enc", "UTF-8", str(path), "-")


def pdf_text(path: Path) -> PdfText:
    return PdfText("".join(raw_text(path).split()))


def assert_fonts_embedded(path: Path) -> None:
    """`pdffonts`: at least one font, every one embedded, none of the 14 standard fonts."""
    lines = _poppler("pdffonts", str(path)).splitlines()
    assert lines[1].startswith("---"), lines
    rows = lines[2:]
    assert rows, "no fonts listed"
    header = lines[0]
    emb = header.index("emb")
    for row in rows:
        assert row[emb:emb + 3] == "yes", f"font not embedded: {row}"
        assert "Helvetica" not in row and "Times" not in row, row
        assert "NotoSansSC" in row, row


def person(ws: Workspace, pid: uuid.UUID) -> Person:
    with ws.uow() as uow:
        row = uow.session.get(Person, pid)
        assert row is not None
        uow.session.expunge_all()
        return row


# --- 一人一档 --------------------------------------------------------------------------------


@pytest.fixture
def filed(workspace: Workspace, actor: Actor, area_tree: Any) -> uuid.UUID:
    """A person with a full file: identity, 多重 disability, subsidies, visits, needs,
    follow-ups and a referral."""
    pid = add_person(
        workspace, actor, area_tree.group, name="赵桂芝", phone="13904321234", address="两家子村三队17号",
        ethnicity="满族", guardian_name="赵立新", guardian_relation="儿子", guardian_phone="13804325678",
        category=7, component_categories=frozenset({1, 4}), grade=2, diagnosis="糖尿病视网膜病变，左下肢截肢",
        dibao=True, living_subsidy_receiving=True, living_subsidy_fen=8_000,
        care_subsidy_receiving=True, care_subsidy_fen=12_000, pension_insured=True, pension_gov_paid=True,
        medical_insured=True,
    ).person_id
    for k in range(12):
        add_visit(workspace, actor, pid, TODAY - timedelta(days=300 - 20 * k), findings=f"第{k + 1}次走访，情况稳定")
    add_visit(workspace, actor, pid, TODAY - timedelta(days=5), kind=VisitKind.HARDSHIP, findings="冬季取暖有困难",
              safety_risks="炉子烟道破损",
              needs=[visits.NeedInput(NeedKind.ASSISTIVE_DEVICE, "需要轮椅")],
              follow_ups=[visits.FollowUpInput("上报乡镇残联申请轮椅", TODAY + timedelta(days=10), need_index=0)])
    return pid


def test_person_file_shows_the_record_with_the_id_masked(workspace, actor, filed, tmp_path):
    p = person(workspace, filed)
    with workspace.uow() as uow:
        result = write_person_file_pdf(uow, actor, filed, tmp_path / "file.pdf", rules=workspace.rules, today=TODAY)
    assert result.pages >= 2 and result.warnings == ()
    assert_fonts_embedded(result.path)
    text = pdf_text(result.path)
    for value in ("一人一档档案表", "赵桂芝", mask_id_number(p.id_number), "满族", "13904321234", "两家子村三队17号",
                  "赵立新", "多重残疾", "视力残疾、肢体残疾", "二级", "糖尿病视网膜病变", "80.00", "120.00",
                  "已参保（政府代缴）", "冬季取暖有困难", "炉子烟道破损", "需要轮椅", "上报乡镇残联申请轮椅",
                  "填表人", "审核人", "（盖章）", "第1页共"):
        assert value in text, value
    assert p.id_number not in text
    assert p.cert_number is not None and p.cert_number not in text
    assert mask_id_number(p.id_number) + p.cert_number[18:] in text
    # the last ten of thirteen visits
    assert "第12次走访" in text and "第3次走访" not in text and "共 13 次走访" in text


def reveal_events(ws: Workspace) -> list[AuditEvent]:
    with ws.uow() as uow:
        return list(uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "reveal")))


def test_person_file_reveals_the_id_when_asked_and_records_it(workspace, actor, filed, tmp_path):
    p = person(workspace, filed)
    with workspace.uow() as uow:
        write_person_file_pdf(uow, actor, filed, tmp_path / "masked.pdf", rules=workspace.rules, today=TODAY)
        uow.commit()
    assert reveal_events(workspace) == []  # a masked printout is no reveal
    with workspace.uow() as uow:
        result = write_person_file_pdf(uow, actor, filed, tmp_path / "file.pdf", rules=workspace.rules, today=TODAY,
                                       reveal_id=True, purpose="报送县残联")
        uow.commit()
    text = pdf_text(result.path)
    assert p.id_number in text and p.cert_number in text
    [event] = reveal_events(workspace)
    assert (event.entity_id, event.reason) == (filed, "报送县残联")
    assert event.changes == {"shown_in": [None, "一人一档档案表"]}


def test_a_case_form_with_the_full_number_is_recorded_on_that_persons_trail(workspace, actor, area_tree, tmp_path):
    case_id, _need = case_at(workspace, actor, area_tree.village, ModificationStage.ACCEPTED)
    with workspace.uow() as uow:
        case = uow.session.get(HomeModificationCase, case_id)
        result = write_acceptance_pdf(uow, actor, workspace.files, case_id, tmp_path / "a.pdf",
                                      rules=workspace.rules, today=TODAY, reveal_id=True)
        uow.commit()
    p = person(workspace, case.person_id)
    assert p.id_number in pdf_text(result.path)
    [event] = reveal_events(workspace)
    assert (event.entity_id, event.reason) == (p.id, "打印无障碍改造竣工验收单")


def test_person_file_lists_cases_with_stage_and_dates(workspace, actor, area_tree, centre, tmp_path):
    case_at(workspace, actor, area_tree.village, ModificationStage.CONSTRUCTION, name="钱永福", grade=1)
    with workspace.uow() as uow:
        pid = uow.session.scalar(select(Person.id).where(Person.name == "钱永福"))
    saved = add_visit(workspace, actor, pid, TODAY - timedelta(days=20),
                      needs=[visits.NeedInput(NeedKind.ASSISTIVE_DEVICE, "需要助行器")])
    with workspace.uow() as uow:
        referrals.refer(uow, actor, referrals.ReferralInput(
            saved.need_ids[0], ReferralServiceKind.DEVICE_FITTING, TODAY - timedelta(days=15), institution_id=centre,
            cost_fen=90_000), rules=workspace.rules, today=TODAY)
        uow.commit()
    with workspace.uow() as uow:
        result = write_person_file_pdf(uow, actor, pid, tmp_path / "file.pdf", rules=workspace.rules, today=TODAY)
    text = pdf_text(result.path)
    start = TODAY - timedelta(days=200)
    for value in ("无障碍改造", "吉林市安居建筑工程有限公司", label(ModificationStage.CONSTRUCTION),
                  start.isoformat(), (start + timedelta(days=30)).isoformat(), "1,700.00",
                  "康复转介", "辅具适配·昌邑区残疾人辅助器具服务中心", f"（{label(DeviceStep.APPLIED)}）",
                  (TODAY - timedelta(days=15)).isoformat(), "900.00", "需要助行器"):
        assert value in text, value


def test_a_character_the_font_lacks_is_reported_and_printed_as_a_box(workspace, actor, area_tree, tmp_path):
    pid = add_person(workspace, actor, area_tree.village, name=f"{RARE}祥").person_id
    with workspace.uow() as uow:
        result = write_person_file_pdf(uow, actor, pid, tmp_path / "file.pdf", rules=workspace.rules, today=TODAY)
    assert len(result.warnings) == 1
    assert "姓名" in result.warnings[0] and RARE in result.warnings[0] and f"{RARE}祥" in result.warnings[0]
    text = pdf_text(result.path)
    assert "□祥" in text and RARE not in text


# --- 入户访视记录表 --------------------------------------------------------------------------


def test_a_blank_visit_form_offers_every_kind_mode_and_need(tmp_path):
    result = write_visit_record_pdf(None, None, tmp_path / "blank.pdf", unit="桦皮厂镇 两家子村", today=TODAY)
    assert result.pages == 1 and result.warnings == ()
    assert_fonts_embedded(result.path)
    text = pdf_text(result.path)
    for member in (*VisitKind, *ContactMode, *NeedKind):
        assert f"□ {label(member)}" in text, member
    assert TICKED not in text
    for value in ("入户访视记录表", "被访人", "身份证号", "住址", "访视日期", "走访情况", "安全隐患", "提出的需求",
                  "跟进事项", "走访人签字", "被访人（或监护人）签字", "日期", "填报单位：桦皮厂镇 两家子村"):
        assert value in text, value


def test_a_visit_form_for_a_person_has_the_header_filled_and_the_rest_blank(workspace, actor, filed, tmp_path):
    p = person(workspace, filed)
    with workspace.uow() as uow:
        result = write_visit_record_pdf(uow, actor, tmp_path / "person.pdf", person_id=filed, today=TODAY)
    text = pdf_text(result.path)
    assert "赵桂芝" in text and mask_id_number(p.id_number) in text and "两家子村三队17号" in text
    assert "桦皮厂镇 两家子村 一组" in text  # the village, also as 填报单位
    assert p.id_number not in text and TICKED not in text
    assert "冬季取暖有困难" not in text  # no visit's contents


def test_a_stored_visit_fills_the_form_and_ticks_its_boxes(workspace, actor, filed, tmp_path):
    p = person(workspace, filed)
    with workspace.uow() as uow:
        visit_id = uow.session.scalar(select(Visit.id).where(Visit.kind == VisitKind.HARDSHIP))
        result = write_visit_record_pdf(uow, actor, tmp_path / "visit.pdf", visit_id=visit_id, today=TODAY,
                                        reveal_id=True)
    assert result.pages == 1
    assert_fonts_embedded(result.path)
    text = pdf_text(result.path)
    for value in ("赵桂芝", p.id_number, (TODAY - timedelta(days=5)).isoformat(), "李专委", "冬季取暖有困难",
                  "炉子烟道破损", "辅助器具：需要轮椅", "上报乡镇残联申请轮椅", (TODAY + timedelta(days=10)).isoformat(),
                  f"{TICKED} {label(VisitKind.HARDSHIP)}", f"{TICKED} {label(ContactMode.HOME)}",
                  f"{TICKED} {label(NeedKind.ASSISTIVE_DEVICE)}", f"□ {label(VisitKind.ROUTINE)}",
                  f"□ {label(ContactMode.PHONE)}"):
        assert value in text, value
    assert text.count(TICKED) == 3


def test_a_visit_of_someone_else_is_refused(workspace, actor, filed, area_tree, tmp_path):
    other = add_person(workspace, actor, area_tree.village, name="孙立").person_id
    with workspace.uow() as uow:
        visit_id = uow.session.scalar(select(Visit.id).where(Visit.kind == VisitKind.HARDSHIP))
        with pytest.raises(ValidationError, match="不属于"):
            write_visit_record_pdf(uow, actor, tmp_path / "v.pdf", visit_id=visit_id, person_id=other, today=TODAY)


# --- 竣工验收单 ------------------------------------------------------------------------------


def test_acceptance_sheet_lists_items_total_cost_and_photos(workspace, actor, area_tree, tmp_path):
    case_id, _need = case_at(workspace, actor, area_tree.village, ModificationStage.ACCEPTED, name="孟凡军",
                             grade=1, address="两家子村五队3号")
    with workspace.uow() as uow:
        for name, role in (("门口台阶-改造前.png", AttachmentRole.BEFORE), ("坡道-改造后.png", AttachmentRole.AFTER),
                           ("勘测.png", AttachmentRole.SURVEY)):
            attachments.attach_file(uow, actor, workspace.files, case_type=CaseType.MODIFICATION, case_id=case_id,
                                    source=write_file(tmp_path, name, PNG + name.encode()), role=role, today=TODAY)
        uow.commit()
    with workspace.uow() as uow:
        pid = uow.session.scalar(select(Person.id).where(Person.name == "孟凡军"))
        result = write_acceptance_pdf(uow, actor, workspace.files, case_id, tmp_path / "acceptance.pdf",
                                      rules=workspace.rules, today=TODAY)
    p = person(workspace, pid)
    assert result.pages == 1 and result.warnings == ()
    assert_fonts_embedded(result.path)
    text = pdf_text(result.path)
    accepted_on = TODAY - timedelta(days=200) + timedelta(days=40)
    for value in ("竣工验收单", "孟凡军", mask_id_number(p.id_number), "两家子村五队3号", "坡道", "扶手", "400.00",
                  "1,200.00", "500.00", "合计", "1,700.00", "1,650.00", "吉林市安居建筑工程有限公司",
                  accepted_on.isoformat(), "合格", "乡镇残联 张主任", "门口台阶-改造前.png", "坡道-改造后.png",
                  label(AttachmentRole.BEFORE), label(AttachmentRole.AFTER), "户主（监护人）", "施工单位", "验收人",
                  "乡镇（街道）残联", "（盖章）"):
        assert value in text, value
    assert "勘测.png" not in text  # survey photos are not part of the acceptance
    assert p.id_number not in text


def test_acceptance_sheet_warns_when_the_cost_is_over_the_cap(workspace, actor, area_tree, tmp_path):
    case_id, _need = case_at(workspace, actor, area_tree.village, ModificationStage.ASSESSED, grade=1)
    cap = workspace.rules.modification.household_cap_fen
    with workspace.uow() as uow:
        case = uow.session.get(HomeModificationCase, case_id)
        assert case is not None
        case.estimate_fen = cap + 100_00
        uow.commit()
    with workspace.uow() as uow:
        result = write_acceptance_pdf(uow, actor, workspace.files, case_id, tmp_path / "a.pdf",
                                      rules=workspace.rules, today=TODAY)
    text = pdf_text(result.path)
    assert "超过每户改造上限" in text and "验收意见" in text  # not accepted yet: room to write


# --- 康复转介单 ------------------------------------------------------------------------------


@pytest.fixture
def centre(workspace: Workspace, actor: Actor) -> uuid.UUID:
    with workspace.uow() as uow:
        inst = referrals.save_institution(uow, actor, referrals.InstitutionInput(
            "昌邑区残疾人辅助器具服务中心", [ReferralServiceKind.DEVICE_FITTING, ReferralServiceKind.REHAB_TRAINING],
            address="吉林市昌邑区解放北路88号", phone="0432-62345678"))
        uow.commit()
        return inst.id


def test_referral_slip_has_the_institution_the_device_step_and_a_receipt(workspace, actor, area_tree, centre,
                                                                           tmp_path):
    rid, _need = referral_at(workspace, actor, area_tree.village, ["village_reviewed", "township_reviewed", "assessed"],
                             kind=ReferralServiceKind.DEVICE_FITTING, need_kind=NeedKind.ASSISTIVE_DEVICE,
                             institution_id=centre, cost_fen=180_000, name="高玉珍")
    with workspace.uow() as uow:
        ref = uow.session.get(RehabReferral, rid)
        p = uow.session.get(Person, ref.person_id)
        referred_on, accepted_on, pid_number = ref.referred_on, ref.accepted_on, p.id_number
        result = write_referral_slip_pdf(uow, actor, workspace.files, rid, tmp_path / "slip.pdf",
                                         rules=workspace.rules, today=TODAY)
    assert result.pages == 1 and result.warnings == ()
    assert_fonts_embedded(result.path)
    text = pdf_text(result.path)
    assert accepted_on is not None
    for value in ("康复服务转介单", "高玉珍", mask_id_number(pid_number), "辅具适配", "昌邑区残疾人辅助器具服务中心",
                  "吉林市昌邑区解放北路88号", "0432-62345678", referred_on.isoformat(), accepted_on.isoformat(),
                  "1,800.00", f"当前：{label(DeviceStep.ASSESSED)}", label(ReferralState.ACCEPTED), "入户时提出", "沿此线剪开", "康复转介回执",
                  "受理日期", "经办人", "机构盖章", "桦皮厂镇残联", rid.hex[-8:].upper()):
        assert value in text, value
    assert pid_number not in text
    # the receipt repeats the reference number below the cut line
    assert text.count(rid.hex[-8:].upper()) >= 3
    assert text.index("沿此线剪开") < text.index("康复转介回执") < text.index("机构盖章")


# --- 拟改造对象公示 --------------------------------------------------------------------------


def test_public_notice_lists_eligible_candidates_with_masked_ids_only(workspace, actor, area_tree, tmp_path):
    listed = [
        person_with_need(workspace, actor, area_tree.village, name="刘淑琴", grade=1)[0],
        person_with_need(workspace, actor, area_tree.group, name="马德胜", grade=2, category=7,
                         component_categories=frozenset({2, 3}))[0],
        person_with_need(workspace, actor, area_tree.other_village, name="韩春梅", grade=3, dibao=True)[0],
    ]
    not_listed = person_with_need(workspace, actor, area_tree.village, name="冯国强", grade=4)[0]  # not 困难重度
    with workspace.uow() as uow:
        result = write_public_notice_pdf(uow, actor, tmp_path / "notice.pdf", rules=workspace.rules, today=TODAY,
                                         area_id=area_tree.township, year=2025)
    assert result.warnings == ()
    assert_fonts_embedded(result.path)
    text = pdf_text(result.path)
    assert "2025年度困难重度残疾人家庭无障碍改造拟改造对象公示" in text
    assert "共 3 户" in text and "2025年6月16日" in text and "2025年6月22日" in text  # 7 days
    assert "公示单位" in text and "桦皮厂镇残疾人联合会" in text and "（盖章）" in text
    for pid in listed:
        p = person(workspace, pid)
        assert p.name in text
        assert mask_id_number(p.id_number) in text
        assert p.id_number not in text
    assert "两家子村一组" in text and "前进村" in text
    assert "重度残疾" in text and "多重残疾" in text and "低保/特困" in text
    assert person(workspace, not_listed).name not in text
    # no 18-digit number anywhere, in any form
    assert not re.search(r"\d{17}[\dX]", raw_text(result.path))


def test_public_notice_of_a_village_and_a_rare_name(workspace, actor, area_tree, tmp_path):
    person_with_need(workspace, actor, area_tree.other_village, name=f"{RARE}永", grade=1)
    with workspace.uow() as uow:
        result = write_public_notice_pdf(uow, actor, tmp_path / "notice.pdf", rules=workspace.rules, today=TODAY,
                                         area_id=area_tree.other_village, year=2025, objections_to="前进村村委会",
                                         phone="0432-6666666")
    assert len(result.warnings) == 1 and "姓名" in result.warnings[0]
    text = pdf_text(result.path)
    assert "□永" in text and "前进村村委会" in text and "0432-6666666" in text


def test_an_empty_public_notice_says_so(workspace, actor, area_tree, tmp_path):
    with workspace.uow() as uow:
        result = write_public_notice_pdf(uow, actor, tmp_path / "notice.pdf", rules=workspace.rules,
                                         today=date(2025, 6, 16), area_id=area_tree.township, year=2025)
    text = pdf_text(result.path)
    assert "共 0 户" in text and "暂无符合条件" in text
