"""The printed forms an office signs and seals: the person file (一人一档档案表), the home-visit
record (入户访视记录表, blank or filled), the home-modification acceptance sheet (竣工验收单),
the rehabilitation referral slip with its tear-off receipt (康复转介单 + 回执) and the public
notice of home-modification candidates (拟改造对象公示).

Every value is read through the core services; this module only lays them out on the shared
`Document` (A4, header and footer, glyph-checked text). ID numbers are masked unless a caller
asks otherwise, and always on the public notice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle
from sqlalchemy import select

from liaison.core.enums import (
    AreaLevel,
    AttachmentRole,
    CaseType,
    ContactMode,
    DeviceStep,
    DisabilityCategory,
    DisabilityGrade,
    FollowUpStatus,
    NeedKind,
    ReferralServiceKind,
    VisitKind,
    label,
)
from liaison.core.errors import NotFoundError, ValidationError
from liaison.core.files import FileStore
from liaison.core.i18n import _
from liaison.core.models import FollowUp, Institution, Need, Person, Visit
from liaison.core.rules.config import RuleConfig
from liaison.core.rules.idnumber import mask_cert_number, mask_id_number
from liaison.core.rules.money import format_yuan
from liaison.core.services.areas import AreaInfo, area_directory, subtree_ids
from liaison.core.services.case_lists import open_case
from liaison.core.services.context import Actor, ensure_area_in_scope
from liaison.core.services.modifications import load_modification, modification_candidates
from liaison.core.services.person_file import open_person_file
from liaison.core.services.persons import load_person, parse_components, reveal_id_number
from liaison.core.services.referrals import load_referral
from liaison.core.uow import UnitOfWork
from liaison.reports.fonts import FONT
from liaison.reports.layout import GRID, HEAD_FILL, Document, chinese_date, escape
from liaison.reports.monthly_pdf import ReportResult

# The font has no ☑ (U+2611), so a ticked box prints as ■ next to the empty □.
TICKED = "■"
UNTICKED = "□"
NOTICE_DAYS = 7  # 公示期
RECENT_VISITS = 10
RECENT_CLOSED_FOLLOW_UPS = 10
VISIT_TEXT_LIMIT = 150  # characters of a visit's findings shown in the person file
BLANK_LINE = "＿＿＿＿＿＿＿＿＿＿"
BLANK_DATE = "＿＿＿＿年＿＿月＿＿日"
# reportlab collapses runs of ordinary and ideographic spaces; no-break spaces keep their width
NBSP = "\u00a0"
GAP = NBSP * 6
SIGN_DATE = f"年{NBSP * 6}月{NBSP * 6}日"
LABEL_SHARE = 0.17


# --- small formatting helpers ------------------------------------------------------------------


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _yuan(fen: int | None) -> str:
    return format_yuan(fen) if fen is not None else ""


def _yes_no(value: bool) -> str:
    return _("是") if value else _("否")


def _box(ticked: bool) -> str:
    return TICKED if ticked else UNTICKED


def _clip(text: str | None, limit: int) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[:limit] + "……"


def shown_id(number: str, reveal: bool) -> str:
    """The 身份证号 as printed: masked (birth date and sequence hidden) unless `reveal`."""
    return number if reveal else mask_id_number(number)


def shown_cert(cert: str | None, reveal: bool) -> str:
    """The 残疾人证号 (身份证号 + category + grade digits), masked the same way."""
    if not cert or reveal:
        return cert or ""
    return mask_cert_number(cert)


def record_reveal(uow: UnitOfWork, actor: Actor, person_id: uuid.UUID, form: str, purpose: str | None) -> None:
    """A form printed with the full 身份证号 is a reveal: it goes on the person's audit trail
    (the caller commits once the file is written). Without a purpose the form's name is it."""
    reveal_id_number(uow, actor, person_id, purpose=purpose or _("打印{form}").format(form=form), shown_in=form)


def disability_text(person: Person) -> str:
    """“肢体残疾 三级”; for 多重 the categories involved; “未评定” without a category."""
    if person.category is None:
        return _("未评定")
    text = label(DisabilityCategory(person.category))
    components = sorted(parse_components(person.component_categories))
    if person.category == DisabilityCategory.MULTIPLE and components:
        text += _("（{parts}）").format(parts="、".join(label(DisabilityCategory(c)) for c in components))
    if person.grade is not None:
        text += " " + label(DisabilityGrade(person.grade))
    return text


def _guardian(person: Person) -> str:
    if not person.guardian_name:
        return ""
    text = person.guardian_name
    if person.guardian_relation:
        text += _("（{relation}）").format(relation=person.guardian_relation)
    if person.guardian_phone:
        text += "  " + person.guardian_phone
    return text


def _place(directory: Any, area_id: uuid.UUID) -> str:
    info: AreaInfo | None = directory.get(area_id)
    return info.full_name if info else ""


def _short_ref(record_id: uuid.UUID) -> str:
    """Eight characters to match a slip with its receipt. The ids are UUIDv7, whose leading
    characters are a timestamp shared by records made together, so the random tail is used."""
    return record_id.hex[-8:].upper()


# --- form building blocks on top of layout.Document --------------------------------------------

Pair = tuple[str, object]


def _cell(doc: Document, value: object, what: str) -> Any:
    if isinstance(value, Flowable | list):
        return value
    return doc.p("" if value is None else value, doc.styles.cell, what=what)


def form_grid(
    doc: Document,
    rows: Sequence[Sequence[Pair]],
    *,
    heights: dict[int, float] | None = None,
    label_share: float = LABEL_SHARE,
) -> Table:
    """A framed form on a [label, value, label, value] grid. A row of one pair spans the whole
    width; values may be text (checked and wrapped) or flowables (check-box groups). `heights`
    gives rows a fixed height in mm (room to write by hand), their text at the top."""
    s = doc.styles
    value_share = 0.5 - label_share
    widths = [doc.width * w for w in (label_share, value_share, label_share, value_share)]
    data: list[list[Any]] = []
    style: list[Any] = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 9),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]
    row_heights: list[float | None] = []
    for r, pairs in enumerate(rows):
        if len(pairs) == 1:
            (lab, value), = pairs
            data.append([doc.p(lab, s.cell_head), _cell(doc, value, lab), "", ""])
            style += [("SPAN", (1, r), (3, r)), ("BACKGROUND", (0, r), (0, r), HEAD_FILL)]
        elif len(pairs) == 2:
            (l1, v1), (l2, v2) = pairs
            data.append([doc.p(l1, s.cell_head), _cell(doc, v1, l1), doc.p(l2, s.cell_head), _cell(doc, v2, l2)])
            style += [("BACKGROUND", (0, r), (0, r), HEAD_FILL), ("BACKGROUND", (2, r), (2, r), HEAD_FILL)]
        else:
            raise ValueError("a form row holds one or two label/value pairs")
        height = (heights or {}).get(r)
        row_heights.append(height * mm if height else None)
        if height:
            style.append(("VALIGN", (1, r), (3, r), "TOP"))
    table = Table(data, colWidths=widths, rowHeights=row_heights, hAlign="LEFT")
    table.setStyle(TableStyle(style))
    return table


def check_boxes(doc: Document, options: Sequence[tuple[str, bool]], *, columns: int, width: float,
                what: str = "") -> Table:
    """A borderless block of “□ label” choices, `columns` to a line, the ticked ones ■."""
    s = doc.styles
    cells = [doc.p(f"{_box(ticked)} {text}", s.cell, what=what) for text, ticked in options]
    rows = [cells[i:i + columns] for i in range(0, len(cells), columns)]
    rows[-1] += [""] * (columns - len(rows[-1]))
    table = Table(rows, colWidths=[width / columns] * columns, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 9),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]))
    return table


def _value_width(doc: Document, label_share: float = LABEL_SHARE) -> float:
    """The inner width of a spanning value cell of `form_grid` (less its padding)."""
    return doc.width * (1 - label_share) - 12


def signature_grid(doc: Document, signers: Sequence[tuple[str, str]], *, height: float = 30) -> Table:
    """Boxes side by side, one per signer: the label on top, room to sign, then what is asked
    (签字 or 盖章) and a date line at the bottom."""
    s = doc.styles
    head = [doc.p(lab, s.cell_head) for lab, _ask in signers]
    body = [
        [Spacer(1, (height - 14) * mm), doc.p(ask, s.cell), doc.p(SIGN_DATE, s.cell_right)]
        for _lab, ask in signers
    ]
    n = len(signers)
    table = Table([head, body], colWidths=[doc.width / n] * n, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 9),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    return table


def signature_lines(doc: Document, rows: Sequence[Sequence[tuple[str, str]]], *,
                    width: float | None = None) -> list[Flowable]:
    """Ruled lines to sign on: each row holds one or two “label：＿＿＿” pairs, the label as
    wide as its text and the line taking the rest (a value, e.g. a date, sits on the line)."""
    s = doc.styles
    width = width or doc.width
    gap = 8 * mm
    half = (width - gap) / 2
    out: list[Flowable] = []
    for pairs in rows:
        if not 1 <= len(pairs) <= 2:
            raise ValueError("a signature row holds one or two pairs")
        texts = [doc.glyphs.text(lab + _("："), lab) for lab, _value in pairs]
        label_widths = [stringWidth(text, FONT, s.body.fontSize) + 4 for text in texts]
        cells: list[Any] = []
        widths: list[float] = []
        style: list[Any] = [
            ("FONTNAME", (0, 0), (-1, -1), FONT),
            ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 12),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ]
        for k, ((lab, value), text, lw) in enumerate(zip(pairs, texts, label_widths, strict=True)):
            if k:
                cells.append("")
                widths.append(gap)
            cells += [doc.p(text, s.body), doc.p(value, s.cell_center, what=lab)]
            widths += [lw, half - lw]
            style.append(("LINEBELOW", (len(cells) - 1, 0), (len(cells) - 1, 0), 0.6, colors.black))
        table = Table([cells], colWidths=widths, hAlign="LEFT")
        table.setStyle(TableStyle(style))
        out.append(table)
    return out


def seal_box(doc: Document, text: str, *, width: float = 40 * mm, height: float = 28 * mm) -> Table:
    """An empty framed box with its caption at the bottom, where the seal goes."""
    box = Table([[doc.p(text, doc.styles.cell_center)]], colWidths=[width], rowHeights=[height])
    box.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999")),
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
    ]))
    return box


def lines_and_seal(doc: Document, rows: Sequence[Sequence[tuple[str, str]]], seal: str, *,
                   seal_height: float = 28 * mm) -> Table:
    """Signature lines on the left, a seal box on the right, kept on one page."""
    seal_width = 44 * mm
    left = signature_lines(doc, rows, width=doc.width - seal_width - 8 * mm)
    block = Table([[left, seal_box(doc, seal, height=seal_height)]], colWidths=[doc.width - seal_width, seal_width], hAlign="LEFT")
    block.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ]))
    return block


class CutLine(Flowable):
    """A dashed line across the page with a note in the middle: cut here (沿此线剪开)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.width = 0.0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        return avail_width, 10 * mm

    def draw(self) -> None:
        canvas = self.canv
        y = 5 * mm
        size = 8.5
        text_width = canvas.stringWidth(self.text, FONT, size)
        gap = text_width / 2 + 3 * mm
        middle = self.width / 2
        canvas.saveState()
        canvas.setStrokeColor(colors.HexColor("#555555"))
        canvas.setLineWidth(0.6)
        canvas.setDash(4, 3)
        canvas.line(0, y, middle - gap, y)
        canvas.line(middle + gap, y, self.width, y)
        canvas.setFont(FONT, size)
        canvas.setFillColor(colors.HexColor("#444444"))
        canvas.drawCentredString(middle, y - size / 3, self.text)
        canvas.restoreState()


def _finish(doc: Document, out: Path) -> ReportResult:
    """Build the PDF; a name printed twice with a missing glyph is reported once."""
    pages = doc.build(out)
    return ReportResult(out, pages, tuple(dict.fromkeys(doc.glyphs.warnings)))


def _tight_heading(doc: Document) -> ParagraphStyle:
    """A section heading with less room around it, for forms meant to fit on one page."""
    return ParagraphStyle("tight", parent=doc.styles.heading, spaceBefore=2 * mm, spaceAfter=1.5 * mm)


def _mask_note(doc: Document, masked: bool, *, certificate: bool = False) -> None:
    if masked:
        what = _("身份证号和残疾人证号") if certificate else _("身份证号")
        doc.add(doc.p(_("注：按个人信息保护要求，{what}隐去出生日期和顺序码；核对时请查验原件。").format(what=what),
                      doc.styles.small))


# --- 1. 一人一档档案表 ------------------------------------------------------------------------


def write_person_file_pdf(
    uow: UnitOfWork,
    actor: Actor,
    person_id: uuid.UUID,
    out: Path,
    *,
    rules: RuleConfig,
    today: date,
    reveal_id: bool = False,
    purpose: str | None = None,
    prepared_by: str = "",
    checked_by: str = "",
) -> ReportResult:
    """The whole person file on paper: identity, certificate, economy, subsidies, insurance,
    work and school, roster status, then needs, recent visits, follow-ups and cases."""
    pf = open_person_file(uow, actor, rules, person_id, today=today)
    p = pf.person
    if reveal_id:
        record_reveal(uow, actor, p.id, _("一人一档档案表"), purpose)
    session = uow.session
    doc = Document(title=_("残疾人一人一档档案表"), unit=pf.area.full_name,
                   period=_("打印日期：{d}").format(d=chinese_date(today)))
    s = doc.styles
    doc.add(doc.p(_("残疾人一人一档档案表"), s.title))
    doc.add(doc.p(GAP.join([
        _("所属村（社区）：{area}").format(area=pf.area.full_name),
        _("建档日期：{on}").format(on=_day(p.registered_on)),
        _("人员状态：{status}").format(status=label(p.status)),
    ]), s.subtitle))

    doc.heading(_("一、基本信息"))
    doc.add(form_grid(doc, [
        [(_("姓名"), p.name), (_("性别"), label(p.sex))],
        [(_("身份证号"), shown_id(p.id_number, reveal_id)), (_("出生日期"),
                                                             _("{d}（{age} 周岁）").format(d=_day(p.birth_date), age=pf.age))],
        [(_("民族"), p.ethnicity), (_("联系电话"), p.phone)],
        [(_("户籍"), label(p.hukou)), (_("是否独居"), _yes_no(p.lives_alone))],
        [(_("所属地区"), pf.area.full_name)],
        [(_("住址"), p.address)],
        [(_("监护人"), p.guardian_name), (_("与本人关系"), p.guardian_relation)],
        [(_("监护人电话"), p.guardian_phone), (_("建档日期"), _day(p.registered_on))],
    ]))

    doc.heading(_("二、残疾人证与残疾情况"))
    cert_until = _day(p.cert_valid_until)
    if p.cert_valid_until and p.cert_valid_until < today:
        cert_until += _("（已过期）")
    category = label(DisabilityCategory(p.category)) if p.category is not None else _("未评定")
    components = sorted(parse_components(p.component_categories))
    grade = label(DisabilityGrade(p.grade)) if p.grade is not None else _("未评定")
    rows: list[list[Pair]] = [
        [(_("残疾人证号"), shown_cert(p.cert_number, reveal_id) or _("未办证"))],
        [(_("发证日期"), _day(p.cert_issued_on)), (_("有效期至"), cert_until)],
        [(_("残疾类别"), category), (_("残疾等级"), grade)],
    ]
    if p.category == DisabilityCategory.MULTIPLE or components:
        rows.append([(_("多重残疾包含"), "、".join(label(DisabilityCategory(c)) for c in components))])
    diagnosis = p.diagnosis or ""
    if p.diagnosed_on:
        diagnosis += _("（{on} 诊断）").format(on=_day(p.diagnosed_on))
    rows.append([(_("诊断"), diagnosis)])
    doc.add(form_grid(doc, rows))

    doc.heading(_("三、经济状况与两项补贴"))
    flags = [
        (_("低保"), p.dibao), (_("特困供养"), p.tekun), (_("防返贫监测"), p.fanpin_monitor),
        (_("低收入"), p.low_income), (_("残病一体"), p.chronic_illness_in_household),
    ]
    doc.add(form_grid(doc, [[(_("家庭经济状况"), check_boxes(doc, flags, columns=5, width=_value_width(doc)))]]))
    doc.add(doc.p(_("残病一体：家中有重病或慢性病患者。"), s.small))
    doc.space(2)
    subsidies = [
        (_("困难残疾人生活补贴"), pf.living_subsidy, p.living_subsidy_receiving, p.living_subsidy_fen),
        (_("重度残疾人护理补贴"), pf.care_subsidy, p.care_subsidy_receiving, p.care_subsidy_fen),
    ]
    doc.add(doc.table(
        [_("补贴项目"), _("是否符合条件"), _("依据"), _("是否享受"), _("月标准（元）")],
        [[name, _yes_no(elig.eligible), "、".join(elig.reasons), _yes_no(receiving),
          _yuan(fen) if receiving else ""] for name, elig, receiving, fen in subsidies],
        [0.24, 0.15, 0.33, 0.12, 0.16], numeric=(4,),
    ))
    for gap in pf.subsidy_gaps:
        doc.add(doc.p(_("提示：{gap}。").format(gap=gap), s.small))

    doc.heading(_("四、社会保障、就业与教育"))

    def insured(enrolled: bool, gov_paid: bool) -> str:
        if not enrolled:
            return _("未参保")
        return _("已参保（政府代缴）") if gov_paid else _("已参保")

    doc.add(form_grid(doc, [
        [(_("城乡居民养老保险"), insured(p.pension_insured, p.pension_gov_paid)),
         (_("城乡居民医疗保险"), insured(p.medical_insured, p.medical_gov_paid))],
        [(_("就业状态"), label(p.employment_status)),
         (_("就业形式"), label(p.employment_form) if p.employment_form else "")],
        [(_("培训意愿"), p.training_wish), (_("受教育情况"), label(p.school_status))],
    ]))

    doc.heading(_("五、档案状态与走访安排"))
    next_due = ""
    if pf.next_visit is not None:
        next_due = _day(pf.next_visit.due_on)
        if pf.next_visit.days_overdue:
            next_due += _("（已逾期 {n} 天）").format(n=pf.next_visit.days_overdue)
    doc.add(form_grid(doc, [
        [(_("人员状态"), label(p.status)), (_("状态变更日期"), _day(p.status_on))],
        [(_("状态变更原因"), p.status_reason)],
        [(_("走访频次"), pf.cadence.reason if pf.cadence else ""), (_("最近联系"), _day(pf.last_contact_on))],
        [(_("下次应访"), next_due), (_("走访次数"), _("共 {n} 次").format(n=len(pf.visits)))],
        [(_("备注"), p.notes)],
    ]))

    doc.heading(_("六、需求"))
    if pf.needs:
        doc.add(doc.table(
            [_("序号"), _("需求类别"), _("说明"), _("提出日期"), _("状态"), _("办结日期"), _("办结说明")],
            [[str(k), label(n.kind), n.detail or "", _day(n.raised_on), label(n.status), _day(n.resolved_on),
              n.resolution or ""] for k, n in enumerate(pf.needs, start=1)],
            [0.07, 0.12, 0.27, 0.13, 0.1, 0.13, 0.18], numeric=(0,), what=_("需求"),
        ))
    else:
        doc.add(doc.p(_("无。")))

    doc.heading(_("七、近期走访（最近 {n} 次）").format(n=RECENT_VISITS))
    recent = pf.visits[:RECENT_VISITS]
    if recent:
        def visit_text(v: Visit) -> str:
            if v.contact_mode is ContactMode.LOST:
                return _("失访：{why}").format(why=v.lost_reason or "")
            text = _clip(v.findings, VISIT_TEXT_LIMIT)
            if v.safety_risks:
                text += (_("；") if text else "") + _("安全隐患：{r}").format(r=_clip(v.safety_risks, 60))
            return text

        doc.add(doc.table(
            [_("日期"), _("走访类型"), _("方式"), _("走访人"), _("走访情况")],
            [[_day(v.visit_date), label(v.kind), label(v.contact_mode), v.visitor_name, visit_text(v)]
             for v in recent],
            [0.13, 0.16, 0.08, 0.11, 0.52], what=_("走访记录"),
        ))
        if len(pf.visits) > len(recent):
            doc.add(doc.p(_("共 {n} 次走访，此处列出最近 {k} 次；走访情况超过 {c} 字的已截断，详见入户访视记录表。").format(
                n=len(pf.visits), k=len(recent), c=VISIT_TEXT_LIMIT), s.small))
    else:
        doc.add(doc.p(_("无。")))

    doc.heading(_("八、跟进事项"))
    open_items = [f for f in pf.follow_ups if f.status is FollowUpStatus.OPEN]
    open_items.sort(key=lambda f: f.due_on)
    closed = [f for f in pf.follow_ups if f.status is not FollowUpStatus.OPEN]
    shown = open_items + closed[:RECENT_CLOSED_FOLLOW_UPS]
    if shown:
        def status_text(f: FollowUp) -> str:
            text = label(f.status)
            if f.status is FollowUpStatus.OPEN and f.due_on < today:
                text += _("（逾期）")
            return text

        doc.add(doc.table(
            [_("序号"), _("跟进事项"), _("期限"), _("状态"), _("完成日期"), _("结果")],
            [[str(k), f.action, _day(f.due_on), status_text(f), _day(f.done_on), f.outcome or ""]
             for k, f in enumerate(shown, start=1)],
            [0.07, 0.33, 0.13, 0.14, 0.13, 0.2], numeric=(0,), what=_("跟进事项"),
        ))
        if len(closed) > RECENT_CLOSED_FOLLOW_UPS:
            doc.add(doc.p(_("另有 {n} 项已办结的较早事项未列出。").format(
                n=len(closed) - RECENT_CLOSED_FOLLOW_UPS), s.small))
    else:
        doc.add(doc.p(_("无。")))

    doc.heading(_("九、无障碍改造与康复转介"))
    case_rows: list[list[object]] = []
    for case in pf.modification_cases:
        amount = case.actual_cost_fen if case.actual_cost_fen is not None else case.estimate_fen
        content = _("{y}年度").format(y=case.year) + (f" · {case.contractor}" if case.contractor else "")
        case_rows.append([
            _("无障碍改造"), content, label(case.stage),
            _day(case.applied_on), _day(case.stage_on), _day(case.closed_on), _yuan(amount),
        ])
    for ref in pf.referrals:
        inst = session.get(Institution, ref.institution_id) if ref.institution_id else None
        detail = label(ref.service_kind) + (f" · {inst.name}" if inst else "")
        stage = label(ref.state)
        if ref.service_kind is ReferralServiceKind.DEVICE_FITTING:
            stage += _("（{step}）").format(step=label(ref.device_step or DeviceStep.APPLIED))
        case_rows.append([_("康复转介"), detail, stage, _day(ref.referred_on), _day(ref.state_on),
                          _day(ref.closed_on), _yuan(ref.cost_fen)])
    if case_rows:
        doc.add(doc.table(
            [_("类型"), _("内容"), _("阶段"), _("开始日期"), _("阶段日期"), _("结束日期"), _("金额（元）")],
            case_rows, [0.12, 0.26, 0.1, 0.13, 0.13, 0.13, 0.13], numeric=(6,), what=_("案件"),
        ))
    else:
        doc.add(doc.p(_("无。")))

    _mask_note(doc, not reveal_id, certificate=True)
    doc.space(3)
    doc.add(doc.p(_("以上信息经本人（或监护人）核对无误，由本人（或监护人）在下方签字确认。"), s.body))
    doc.sign_off([(_("填表人"), prepared_by), (_("审核人"), checked_by), (_("本人/监护人"), "")], on=today)
    return _finish(doc, out)


# --- 2. 入户访视记录表 ------------------------------------------------------------------------


def write_visit_record_pdf(
    uow: UnitOfWork | None,
    actor: Actor | None,
    out: Path,
    *,
    visit_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    unit: str = "",
    today: date,
    reveal_id: bool = False,
    purpose: str | None = None,
) -> ReportResult:
    """The home-visit record: filled from a stored visit (`visit_id`), or blank to take along
    with the person's header filled (`person_id` only), or entirely blank (neither; `uow` and
    `actor` may then be None). `unit` defaults to the person's village."""
    person: Person | None = None
    visit: Visit | None = None
    place = ""
    raised: list[Need] = []
    settled: list[Need] = []
    follow_ups: list[FollowUp] = []
    if visit_id is not None or person_id is not None:
        if uow is None or actor is None:
            raise ValueError("a visit or a person needs a unit of work and an actor")
        session = uow.session
        if visit_id is not None:
            visit = session.get(Visit, visit_id)
            if visit is None:
                raise NotFoundError(_("找不到该走访记录"))
            if person_id is not None and person_id != visit.person_id:
                raise ValidationError.single("person", _("该走访记录不属于所选人员"), _("走访对象"))
            person_id = visit.person_id
            raised = list(session.scalars(select(Need).where(Need.raised_visit_id == visit.id)
                                          .order_by(Need.created_at)))
            settled = list(session.scalars(select(Need).where(Need.resolved_visit_id == visit.id)
                                           .order_by(Need.created_at)))
            follow_ups = list(session.scalars(select(FollowUp).where(FollowUp.visit_id == visit.id)
                                              .order_by(FollowUp.due_on, FollowUp.created_at)))
        assert person_id is not None
        person = load_person(uow, actor, person_id)
        place = _place(area_directory(uow), person.area_id)
        if reveal_id:
            record_reveal(uow, actor, person.id, _("入户访视记录表"), purpose)
    unit = unit or place
    title = _("残疾人入户访视记录表")
    doc = Document(title=title, unit=unit, period=_("打印日期：{d}").format(d=chinese_date(today)))
    s = doc.styles
    doc.add(doc.p(title, s.title))
    doc.add(doc.p(_("记录编号：{ref}").format(ref=_short_ref(visit.id) if visit else "＿" * 8), s.subtitle))

    full = _value_width(doc)
    # who
    rows: list[list[Pair]] = [
        [(_("被访人"), person.name if person else ""), (_("性别"), label(person.sex) if person else "")],
        [(_("身份证号"), shown_id(person.id_number, reveal_id) if person else ""),
         (_("联系电话"), person.phone if person else "")],
        [(_("所属村（社区）"), place), (_("残疾类别/等级"), disability_text(person) if person else "")],
        [(_("住址"), person.address if person else "")],
        [(_("监护人"), _guardian(person) if person else "")],
    ]
    # the visit
    kinds = [(label(k), visit is not None and visit.kind is k) for k in VisitKind]
    modes = [(label(m), visit is not None and visit.contact_mode is m) for m in ContactMode]
    lost = visit.lost_reason if visit is not None and visit.lost_reason else ("" if visit else BLANK_LINE)
    mode_block = [check_boxes(doc, modes, columns=4, width=full * 0.6)]
    if visit is None or visit.contact_mode is ContactMode.LOST:
        mode_block.append(doc.p(_("失访原因：{why}").format(why=lost), s.cell, what=_("失访原因")))
    rows += [
        [(_("访视日期"), _day(visit.visit_date) if visit else ""), (_("走访人"), visit.visitor_name if visit else "")],
        [(_("访视类型"), check_boxes(doc, kinds, columns=4, width=full, what=_("访视类型")))],
        [(_("联系方式"), mode_block)],
    ]
    if visit is None:
        rows.append([(_("收入情况"), _("家庭年收入 {a} 元，家庭人口 {b} 人（收入状况监测时填写）").format(
            a="＿" * 6, b="＿" * 2))])
    elif visit.household_income_fen is not None or visit.household_size is not None:
        rows.append([(_("收入情况"), _("家庭年收入 {a} 元，家庭人口 {b} 人").format(
            a=_yuan(visit.household_income_fen) or "—", b=visit.household_size or "—"))])
    rows += [
        [(_("走访情况"), visit.findings if visit else "")],
        [(_("安全隐患"), visit.safety_risks if visit else "")],
    ]
    blank_rows = {} if visit is not None else {len(rows) - 2: 55, len(rows) - 1: 25}
    if visit is not None and not visit.findings:
        blank_rows[len(rows) - 2] = 14
    if visit is not None and not visit.safety_risks:
        blank_rows[len(rows) - 1] = 10
    # needs raised
    raised_kinds = {n.kind for n in raised}
    need_block: list[Any] = [check_boxes(doc, [(label(k), k in raised_kinds) for k in NeedKind], columns=5,
                                         width=full)]
    if visit is None:
        need_block.append(doc.p(_("需求说明：") + "＿" * 36, s.cell))
    else:
        for n in raised:
            need_block.append(doc.p(_("{kind}：{detail}").format(kind=label(n.kind), detail=n.detail or _("（无说明）")),
                                    s.cell, what=_("需求说明")))
    rows.append([(_("提出的需求"), need_block)])
    if settled:
        rows.append([(_("需求办理"), [
            doc.p(_("{kind}（{raised} 提出）→ {status}{note}").format(
                kind=label(n.kind), raised=_day(n.raised_on), status=label(n.status),
                note=_("：{r}").format(r=n.resolution) if n.resolution else ""), s.cell) for n in settled])])
    if visit is None:
        roomy = ParagraphStyle("roomy", parent=s.cell, spaceBefore=5)
        follow_block: object = [doc.p(_("{k}. 事项：{line}{gap}期限：{date}").format(
            k=k, line="＿" * 18, gap=NBSP * 3, date=BLANK_DATE), roomy) for k in (1, 2, 3)]
    elif follow_ups:
        follow_block = [doc.p(_("{k}. {action}（期限 {due}，{status}）").format(
            k=k, action=f.action, due=_day(f.due_on), status=label(f.status)), s.cell, what=_("跟进事项"))
            for k, f in enumerate(follow_ups, start=1)]
    else:
        follow_block = _("无")
    rows.append([(_("跟进事项"), follow_block)])
    doc.add(form_grid(doc, rows, heights=blank_rows))
    _mask_note(doc, person is not None and not reveal_id)
    doc.add(KeepTogether([Spacer(1, 3 * mm), *signature_lines(doc, [
        [(_("走访人签字"), ""), (_("被访人（或监护人）签字"), "")],
        [(_("日期"), chinese_date(visit.visit_date) if visit else SIGN_DATE)],
    ])]))
    return _finish(doc, out)


# --- 3. 无障碍改造竣工验收单 ------------------------------------------------------------------


def write_acceptance_pdf(
    uow: UnitOfWork,
    actor: Actor,
    store: FileStore,
    case_id: uuid.UUID,
    out: Path,
    *,
    rules: RuleConfig,
    today: date,
    reveal_id: bool = False,
    purpose: str | None = None,
) -> ReportResult:
    """The acceptance sheet of a home-modification case: household, surveyed items and their
    total, contractor and dates, acceptance result and cost, cap warnings, the before/after
    photos on file, and boxes for the four signatures and seals. Printed before acceptance
    it leaves the acceptance fields blank to fill on site."""
    view = open_case(uow, actor, store, CaseType.MODIFICATION, case_id, rules=rules, today=today)
    person = load_person(uow, actor, view.person_id)
    case, _person = load_modification(uow, actor, case_id)
    if reveal_id:
        record_reveal(uow, actor, person.id, _("无障碍改造竣工验收单"), purpose)
    title = _("困难重度残疾人家庭无障碍改造竣工验收单")
    doc = Document(title=title, unit=view.village, period=_("{y}年度").format(y=case.year))
    s = doc.styles
    tight = _tight_heading(doc)
    doc.add(doc.p(title, s.title))
    doc.add(doc.p(GAP.join([
        _("（{y}年度）").format(y=case.year),
        _("案件编号：{ref}").format(ref=_short_ref(case.id)),
        _("当前阶段：{stage}").format(stage=view.position_label),
    ]), s.subtitle))

    doc.add(doc.p(_("一、改造户基本情况"), tight))
    doc.add(form_grid(doc, [
        [(_("户主（残疾人）"), person.name), (_("性别"), label(person.sex))],
        [(_("身份证号"), shown_id(person.id_number, reveal_id)), (_("联系电话"), person.phone)],
        [(_("残疾类别/等级"), disability_text(person)), (_("监护人"), _guardian(person))],
        [(_("所属村（社区）"), view.village)],
        [(_("住址"), person.address)],
    ]))

    doc.add(doc.p(_("二、改造项目"), tight))
    if view.items:
        total_est = sum(i.estimate_fen for i in view.items)
        rows = [[str(k), i.name, str(i.quantity), i.unit or "", format_yuan(i.unit_cost_fen), format_yuan(i.estimate_fen)]
                for k, i in enumerate(view.items, start=1)]
        rows.append([_("合计"), "", "", "", "", format_yuan(total_est)])
        doc.add(doc.table(
            [_("序号"), _("改造项目名称"), _("数量"), _("单位"), _("单价（元）"), _("预算（元）")],
            rows, [0.08, 0.4, 0.1, 0.1, 0.16, 0.16], numeric=(0, 2, 4, 5), total_row=True, what=_("改造项目"),
            spans=[((0, len(rows)), (4, len(rows)))],
        ))
    else:
        doc.add(doc.p(_("尚未入户评估，无改造项目。")))

    doc.add(doc.p(_("三、施工与验收"), tight))
    works: list[list[Pair]] = [
        [(_("申请日期"), _day(case.applied_on)), (_("评估日期"), _day(case.assessed_on))],
        [(_("方案确认日期"), _day(case.plan_confirmed_on)), (_("开工日期"), _day(case.construction_started_on))],
        [(_("施工单位"), case.contractor)],
        [(_("评估预算（元）"), _yuan(case.estimate_fen)), (_("实际费用（元）"), _yuan(case.actual_cost_fen))],
        [(_("验收日期"), _day(case.accepted_on)), (_("验收人"), case.accepted_by)],
        [(_("验收结果"), case.acceptance_result)],
    ]
    if not case.acceptance_result:
        # not accepted yet: room for the inspectors' remarks on site
        works.append([(_("验收意见"), "")])
    doc.add(form_grid(doc, works, heights={len(works) - 1: 22} if not case.acceptance_result else None))
    for warning in view.warnings:
        doc.add(doc.p(_("注意：{w}").format(w=warning), s.small))
    if case.end_reason:
        doc.add(doc.p(_("终止原因：{r}").format(r=case.end_reason), s.small))

    doc.add(doc.p(_("四、改造前后照片（原件存于案件资料）"), tight))
    photos = [a for a in view.attachments if a.role in (AttachmentRole.BEFORE, AttachmentRole.AFTER)]
    if photos:
        doc.add(doc.table(
            [_("序号"), _("类别"), _("文件名"), _("添加日期"), _("添加人"), _("说明")],
            [[str(k), label(a.role), a.file_name + ("" if a.available else _("（文件缺失）")), _day(a.added_on),
              a.added_by, a.note or ""] for k, a in enumerate(photos, start=1)],
            [0.07, 0.14, 0.33, 0.13, 0.13, 0.2], numeric=(0,), what=_("照片"),
        ))
    else:
        doc.add(doc.p(_("未附改造前后照片。")))

    doc.add(KeepTogether([doc.p(_("五、签字确认"), tight), signature_grid(doc, [
        (_("户主（监护人）"), _("签字：")),
        (_("施工单位"), _("负责人签字（盖章）：")),
        (_("验收人"), _("签字：")),
        (_("乡镇（街道）残联"), _("（盖章）")),
    ], height=30)]))
    _mask_note(doc, not reveal_id)
    return _finish(doc, out)


# --- 4. 康复转介单 + 回执 --------------------------------------------------------------------


def write_referral_slip_pdf(
    uow: UnitOfWork,
    actor: Actor,
    store: FileStore,
    referral_id: uuid.UUID,
    out: Path,
    *,
    rules: RuleConfig,
    today: date,
    reveal_id: bool = False,
    purpose: str | None = None,
) -> ReportResult:
    """The referral slip the person takes to the institution, and below a dashed cut line the
    receipt (回执) the institution fills in, seals and sends back."""
    view = open_case(uow, actor, store, CaseType.REFERRAL, referral_id, rules=rules, today=today)
    person = load_person(uow, actor, view.person_id)
    referral, _person = load_referral(uow, actor, referral_id)
    if reveal_id:
        record_reveal(uow, actor, person.id, _("康复转介单"), purpose)
    need = uow.session.get(Need, referral.need_id)
    inst = uow.session.get(Institution, referral.institution_id) if referral.institution_id else None
    directory = area_directory(uow)
    township = _township_of(directory, person.area_id)
    ref = _short_ref(referral.id)
    title = _("残疾人康复服务转介单")
    doc = Document(title=title, unit=view.village, period=_("转介编号：{ref}").format(ref=ref))
    s = doc.styles
    doc.add(doc.p(title, s.title))
    doc.add(doc.p(GAP.join([_("转介编号：{ref}").format(ref=ref),
                            _("转介日期：{d}").format(d=chinese_date(referral.referred_on))]), s.subtitle))

    # slip and receipt share one page
    tight = _tight_heading(doc)
    doc.add(doc.p(_("一、服务对象"), tight))
    doc.add(form_grid(doc, [
        [(_("姓名"), person.name), (_("性别"), label(person.sex))],
        [(_("身份证号"), shown_id(person.id_number, reveal_id)), (_("出生日期"), _day(person.birth_date))],
        [(_("残疾类别/等级"), disability_text(person)), (_("联系电话"), person.phone)],
        [(_("所属村（社区）"), view.village), (_("监护人"), _guardian(person))],
        [(_("住址"), person.address)],
    ]))

    doc.add(doc.p(_("二、转介内容"), tight))
    need_text = ""
    if need is not None:
        need_text = _("{kind}（{on} 提出）").format(kind=label(need.kind), on=_day(need.raised_on))
        if need.detail:
            need_text += _("：{d}").format(d=need.detail)
    rows: list[list[Pair]] = [
        [(_("康复需求"), need_text)],
        [(_("服务类别"), label(referral.service_kind)), (_("当前状态"), label(referral.state))],
        [(_("定点机构"), inst.name if inst else "")],
        [(_("机构地址"), inst.address if inst else ""), (_("机构电话"), inst.phone if inst else "")],
        [(_("转介日期"), _day(referral.referred_on)), (_("受理日期"), _day(referral.accepted_on))],
        [(_("费用（元）"), _yuan(referral.cost_fen)), (_("结案日期"), _day(referral.closed_on))],
    ]
    if referral.service_kind is ReferralServiceKind.DEVICE_FITTING:
        step = referral.device_step or DeviceStep.APPLIED
        steps = " → ".join(
            (f"【{label(d)}】" if d is step else label(d)) for d in DeviceStep)
        rows.insert(2, [(_("辅具适配环节"), _("当前：{step}（{steps}）").format(step=label(step), steps=steps))])
    if referral.outcome:
        rows.append([(_("服务结果"), referral.outcome)])
    if referral.not_accepted_reason:
        rows.append([(_("未受理原因"), referral.not_accepted_reason)])
    doc.add(form_grid(doc, rows))
    note = _("请持本单及身份证、残疾人证（原件）到上述机构办理；机构受理后请填写下方回执并交回{unit}。").format(
        unit=township or _("转介单位"))
    if not reveal_id:
        note += _("本单身份证号已隐去出生日期和顺序码，请查验原件。")
    doc.add(doc.p(note, s.small))
    doc.add(KeepTogether([Spacer(1, 1 * mm), lines_and_seal(doc, [
        [(_("转介人"), ""), (_("联系电话"), "")], [(_("日期"), chinese_date(referral.referred_on))],
    ], _("转介单位（盖章）"), seal_height=24 * mm)]))

    half = doc.width * (0.5 - LABEL_SHARE) - 12
    receipt: list[Flowable] = [
        Spacer(1, 3 * mm),
        CutLine(doc.glyphs.text(_("沿此线剪开"))),
        doc.markup("<b>{title}</b>{gap}{note}".format(
            title=escape(_("康复转介回执")), gap=GAP,
            note=escape(doc.glyphs.text(_("转介编号：{ref}（由定点机构填写，盖章后交回{unit}）").format(
                ref=ref, unit=township or _("转介单位"))))),
            ParagraphStyle("receipt", parent=s.subtitle, spaceAfter=2 * mm)),
        form_grid(doc, [
            [(_("姓名"), person.name), (_("身份证号"), shown_id(person.id_number, reveal_id))],
            [(_("服务类别"), label(referral.service_kind)), (_("定点机构"), inst.name if inst else "")],
            [(_("受理情况"), check_boxes(doc, [(_("受理"), False), (_("不受理"), False)], columns=2, width=half)),
             (_("受理日期"), BLANK_DATE)],
            [(_("不受理原因"), "")],
            [(_("经办人"), ""), (_("联系电话"), "")],
            [(_("机构盖章"), "")],
        ], heights={5: 20}),
    ]
    doc.add(KeepTogether(receipt))
    return _finish(doc, out)


def _township_of(directory: Any, area_id: uuid.UUID) -> str:
    """The township (乡镇) above a village or group, as “某镇残联”, or "" when there is none."""
    info = directory.get(area_id)
    while info is not None and info.level is not AreaLevel.TOWNSHIP:
        info = directory.get(info.parent_id) if info.parent_id else None
    return _("{name}残联").format(name=info.name) if info else ""


# --- 5. 拟改造对象公示 --------------------------------------------------------------------------


def write_public_notice_pdf(
    uow: UnitOfWork,
    actor: Actor,
    out: Path,
    *,
    rules: RuleConfig,
    today: date,
    area_id: uuid.UUID,
    year: int,
    objections_to: str = "",
    phone: str = "",
) -> ReportResult:
    """The public notice of the eligible home-modification candidates of an area (highest
    priority first), with ID numbers always masked, the 7-day notice period from `today`,
    where to object (a line to fill unless given) and the publishing office's seal."""
    ensure_area_in_scope(uow, actor, area_id)
    directory = area_directory(uow)
    area = directory.get(area_id)
    if area is None:
        raise NotFoundError(_("找不到该地区"))
    scope = frozenset(subtree_ids(uow.session, [area_id]))
    candidates = modification_candidates(uow, actor, rules=rules, today=today, area_ids=scope)
    end = today + timedelta(days=NOTICE_DAYS - 1)
    office = area.full_name if area.level in (AreaLevel.VILLAGE, AreaLevel.GROUP) else \
        _("{name}残疾人联合会").format(name=area.name)
    title = _("{year}年度困难重度残疾人家庭无障碍改造拟改造对象公示").format(year=year)
    doc = Document(title=title, unit=area.full_name or area.name,
                   period=_("公示期：{a} 至 {b}").format(a=_day(today), b=_day(end)))
    s = doc.styles
    doc.add(doc.p(title, s.title))
    indented = ParagraphStyle("indented", parent=s.body, firstLineIndent=2 * s.body.fontSize, leading=17)
    doc.add(doc.p(_(
        "根据困难重度残疾人家庭无障碍改造工作安排，经本人申请、入户核实和资格审核，现将{area}"
        "{year}年度拟改造对象（共 {n} 户）予以公示。公示期为 {days} 天，自{a}至{b}。"
        "公示期间，如对公示对象有异议，请以书面或口头形式向{to}反映（联系电话：{phone}）。"
        "反映情况应实事求是，以单位名义反映的请加盖公章，以个人名义反映的请署真实姓名。").format(
        area=area.full_name or area.name, year=year, n=len(candidates), days=NOTICE_DAYS,
        a=chinese_date(today), b=chinese_date(end), to=objections_to or "＿" * 12, phone=phone or "＿" * 8),
        indented))
    doc.space(3)
    rows: list[list[object]] = []
    for k, c in enumerate(candidates, start=1):
        person = uow.session.get(Person, c.person_id)
        assert person is not None
        rows.append([
            str(k), c.name, label(person.sex), mask_id_number(person.id_number), _village_group(directory, c.area_id),
            disability_text(person), "、".join(c.reasons) or c.eligibility,
        ])
    if rows:
        doc.add(doc.table(
            [_("序号"), _("姓名"), _("性别"), _("身份证号"), _("村（组）"), _("残疾类别/等级"), _("优先理由")],
            rows, [0.07, 0.11, 0.07, 0.22, 0.17, 0.16, 0.2], numeric=(0,), what=_("姓名"),
        ))
        doc.add(doc.p(_("按优先顺序排列（重度、多重、老残一体、残病一体、低保/特困优先，同等条件下按申请先后）；"
                        "身份证号已隐去出生日期和顺序码。"), s.small))
    else:
        doc.add(doc.p(_("本地区暂无符合条件的拟改造对象。")))
    doc.sign_off([(_("公示单位"), office)], on=today)
    return _finish(doc, out)


def _village_group(directory: Any, area_id: uuid.UUID) -> str:
    """“两家子村一组” for a group, the village's name for a village."""
    info = directory.get(area_id)
    if info is None:
        return ""
    if info.level is AreaLevel.GROUP and info.parent_id:
        parent = directory.get(info.parent_id)
        if parent is not None:
            return parent.name + info.name
    return info.name
