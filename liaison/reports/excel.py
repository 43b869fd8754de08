"""Spreadsheets (openpyxl): the roster (花名册) of an area with chosen columns, and the monthly
summary's tables. ID numbers are written as text so Excel cannot turn them into 2.2E+17."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select

from liaison.core.enums import (
    ContactMode,
    DisabilityCategory,
    DisabilityGrade,
    EmploymentStatus,
    HukouType,
    ModificationStage,
    PersonStatus,
    ReferralState,
    Sex,
    VisitKind,
    label,
)
from liaison.core.errors import ValidationError
from liaison.core.i18n import _
from liaison.core.models import Person
from liaison.core.progress import CancelToken
from liaison.core.rules.idnumber import age_on, mask_cert_number, mask_id_number
from liaison.core.rules.money import format_yuan
from liaison.core.services.areas import area_directory
from liaison.core.services.context import Actor, restrict_to_scope
from liaison.core.services.monthly import NO_CATEGORY, MonthlySummary, UnitFigures
from liaison.core.services.persons import parse_components, record_bulk_reveal
from liaison.core.uow import UnitOfWork

FONT_NAME = "宋体"
HEAD_FILL = PatternFill("solid", fgColor="E8E8E8")
THIN = Side(style="thin", color="888888")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int


def _yes(value: bool) -> str:
    return _("是") if value else _("否")


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


@dataclass(frozen=True)
class RosterColumn:
    key: str
    header: str
    width: int
    value: Callable[[Any, dict[str, Any]], object]


def _cert(number: str | None, reveal: bool) -> str:
    """A 证号 starts with the ID number: it is masked the same way."""
    if not number:
        return ""
    return number if reveal else mask_cert_number(number)


def _area_part(level: int) -> Callable[[Any, dict[str, Any]], object]:
    def get(p: Any, ctx: dict[str, Any]) -> object:
        parts = ctx["areas"][p.area_id]
        return parts[level] if level < len(parts) else ""

    return get


# the columns that show a 身份证号 (the 残疾人证号 starts with one)
NUMBER_COLUMNS = frozenset({"id_number", "cert_number"})

# Every column the roster can have, in the order it is written; `choose_columns` picks some.
ROSTER_COLUMNS: tuple[RosterColumn, ...] = (
    RosterColumn("name", "姓名", 10, lambda p, c: p.name),
    RosterColumn("sex", "性别", 6, lambda p, c: label(Sex(p.sex))),
    RosterColumn("id_number", "身份证号", 21,
                 lambda p, c: p.id_number if c["reveal_id"] else mask_id_number(p.id_number)),
    RosterColumn("birth_date", "出生日期", 12, lambda p, c: _day(p.birth_date)),
    RosterColumn("age", "年龄", 6, lambda p, c: age_on(p.birth_date, c["today"])),
    RosterColumn("ethnicity", "民族", 8, lambda p, c: p.ethnicity or ""),
    RosterColumn("category", "残疾类别", 10,
                 lambda p, c: label(DisabilityCategory(p.category)) if p.category else _("未评定")),
    RosterColumn("components", "多重残疾构成", 16, lambda p, c: "、".join(
        label(DisabilityCategory(k)) for k in sorted(parse_components(p.component_categories)))),
    RosterColumn("grade", "残疾等级", 8, lambda p, c: label(DisabilityGrade(p.grade)) if p.grade else ""),
    RosterColumn("cert_number", "残疾人证号", 23, lambda p, c: _cert(p.cert_number, c["reveal_id"])),
    RosterColumn("cert_issued_on", "发证日期", 12, lambda p, c: _day(p.cert_issued_on)),
    RosterColumn("cert_valid_until", "有效期至", 12, lambda p, c: _day(p.cert_valid_until)),
    RosterColumn("township", "乡镇（街道）", 12, _area_part(0)),
    RosterColumn("village", "村（社区）", 12, _area_part(1)),
    RosterColumn("group", "村民小组", 10, _area_part(2)),
    RosterColumn("address", "住址", 24, lambda p, c: p.address or ""),
    RosterColumn("phone", "联系电话", 14, lambda p, c: p.phone or ""),
    RosterColumn("hukou", "户籍性质", 10, lambda p, c: label(HukouType(p.hukou))),
    RosterColumn("lives_alone", "独居", 6, lambda p, c: _yes(p.lives_alone)),
    RosterColumn("dibao", "低保", 6, lambda p, c: _yes(p.dibao)),
    RosterColumn("tekun", "特困", 6, lambda p, c: _yes(p.tekun)),
    RosterColumn("low_income", "低收入", 7, lambda p, c: _yes(p.low_income)),
    RosterColumn("fanpin_monitor", "防返贫监测", 10, lambda p, c: _yes(p.fanpin_monitor)),
    RosterColumn("living_subsidy", "生活补贴（元/月）", 12,
                 lambda p, c: format_yuan(p.living_subsidy_fen) if p.living_subsidy_receiving and
                 p.living_subsidy_fen is not None else ""),
    RosterColumn("care_subsidy", "护理补贴（元/月）", 12,
                 lambda p, c: format_yuan(p.care_subsidy_fen) if p.care_subsidy_receiving and
                 p.care_subsidy_fen is not None else ""),
    RosterColumn("pension_insured", "养老保险", 8, lambda p, c: _yes(p.pension_insured)),
    RosterColumn("medical_insured", "医疗保险", 8, lambda p, c: _yes(p.medical_insured)),
    RosterColumn("employment", "就业状况", 14, lambda p, c: label(EmploymentStatus(p.employment_status))),
    RosterColumn("status", "在册状态", 8, lambda p, c: label(PersonStatus(p.status))),
    RosterColumn("registered_on", "登记日期", 12, lambda p, c: _day(p.registered_on)),
)
DEFAULT_ROSTER_COLUMNS = ("name", "sex", "id_number", "birth_date", "category", "grade", "cert_number",
                          "township", "village", "group", "address", "phone", "status")


def choose_columns(keys: Sequence[str] | None) -> list[RosterColumn]:
    """The columns named by `keys` (in the catalogue's order); an unknown key is refused."""
    if not keys:
        keys = DEFAULT_ROSTER_COLUMNS
    known = {c.key: c for c in ROSTER_COLUMNS}
    unknown = [k for k in keys if k not in known]
    if unknown:
        names = "、".join(f"{c.key}（{_(c.header)}）" for c in ROSTER_COLUMNS)
        raise ValidationError.single("columns", _("未知的列“{k}”，可选：{names}").format(
            k="、".join(unknown), names=names), _("导出列"))
    wanted = set(keys)
    return [c for c in ROSTER_COLUMNS if c.key in wanted]


def _atomic_save(workbook: Workbook, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    try:
        workbook.save(tmp)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)


def _cell(sheet: Worksheet, value: object, *, bold: bool = False, fill: bool = False, size: int = 10,
          center: bool = False, border: bool = True) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = Font(name=FONT_NAME, bold=bold, size=size)
    if fill:
        cell.fill = HEAD_FILL
    if border:
        cell.border = BOX
    if center:
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    if isinstance(value, str):
        cell.number_format = "@"  # text: ID numbers and 证号 stay as typed
    return cell


def write_roster_xlsx(
    uow: UnitOfWork,
    actor: Actor,
    out: Path,
    *,
    today: date,
    area_ids: frozenset[uuid.UUID] | None = None,
    area_name: str = "",
    columns: Sequence[str] | None = None,
    reveal_id: bool = False,
    purpose: str | None = None,
    include_inactive: bool = False,
    cancel: CancelToken | None = None,
) -> ExportResult:
    """花名册: one row per person in the area (the actor's scope applies), sorted by area and name.

    With `reveal_id` (and a column holding a number) the export is recorded on the audit trail
    as one event (how many people, `purpose`); the caller commits once the file is written."""
    chosen = choose_columns(columns)
    reveal_id = reveal_id and any(c.key in NUMBER_COLUMNS for c in chosen)
    directory = area_directory(uow)
    parts: dict[uuid.UUID, list[str]] = {}
    for info in directory.values():
        parts[info.id] = info.full_name.split(" ") if info.full_name else [info.name]
    scope = restrict_to_scope(uow, actor, area_ids)
    # plain rows, not ORM objects: a county roster has 100,000 of them
    stmt = select(Person.__table__).order_by(Person.area_id, Person.name_sort, Person.search_no)
    if scope is not None:
        stmt = stmt.where(Person.area_id.in_(scope))
    if not include_inactive:
        stmt = stmt.where(Person.status == PersonStatus.ACTIVE)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("花名册"))
    widths = [6, *[c.width for c in chosen]]
    for k, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(k)].width = width
    sheet.freeze_panes = "C4"
    title = _("{area}残疾人花名册").format(area=area_name) if area_name else _("残疾人花名册")
    sheet.append([_cell(sheet, title, bold=True, size=14, border=False)])
    sheet.append([_cell(sheet, _("导出日期：{d}{masked}").format(
        d=today.isoformat(), masked="" if reveal_id else _("（身份证号已隐去中间部分）")), border=False)])
    sheet.append([_cell(sheet, _("序号"), bold=True, fill=True, center=True),
                  *[_cell(sheet, _(c.header), bold=True, fill=True, center=True) for c in chosen]])
    ctx = {"areas": parts, "reveal_id": reveal_id, "today": today}
    count = 0
    for person in uow.session.execute(stmt.execution_options(yield_per=2000)):
        count += 1
        if cancel is not None and count % 2000 == 0:
            cancel.check()
        # plain values: styling 100,000 rows cell by cell would take longer than reading them
        sheet.append([count, *[c.value(person, ctx) for c in chosen]])
    _atomic_save(workbook, out)
    if reveal_id:
        record_bulk_reveal(uow, actor, export=_("花名册（Excel）：{name}").format(name=out.name), count=count,
                           purpose=purpose or _("导出含完整身份证号的花名册"))
    return ExportResult(out, count)


# --- the monthly summary ------------------------------------------------------------------


def _table(sheet: Worksheet, title: str, header: list[str], rows: list[list[object]]) -> None:
    sheet.append([_cell(sheet, title, bold=True, size=12, border=False)])
    sheet.append([_cell(sheet, h, bold=True, fill=True, center=True) for h in header])
    for row in rows:
        sheet.append([_cell(sheet, v) for v in row])
    sheet.append([])


def _rows(summary: MonthlySummary) -> list[UnitFigures]:
    return [*summary.units, summary.total]


def write_monthly_xlsx(summary: MonthlySummary, out: Path) -> ExportResult:
    """The summary's tables, one sheet per section, with the same figures as the PDF."""
    workbook = Workbook(write_only=True)
    unit = _("乡镇（街道）") if summary.unit_level == "township" else _("村（社区）")
    head = _("{area}残疾人工作月报（{p}）").format(area=summary.area_name, p=summary.period_label)
    grades = [int(g) for g in DisabilityGrade]
    categories = [int(c) for c in DisabilityCategory]

    sheet = workbook.create_sheet(_("在册人员"))
    sheet.column_dimensions["A"].width = 16
    sheet.append([_cell(sheet, head, bold=True, size=14, border=False)])
    _table(sheet, _("按残疾等级与档案变动"),
           [unit, _("在册人数"), *[label(DisabilityGrade(g)) for g in grades], _("未评定"), _("本月新增"),
            _("本月变更"), _("迁出"), _("死亡"), _("注销证件")],
           [[u.name, u.on_file, *[u.by_grade[g] for g in grades], u.by_grade[NO_CATEGORY], u.new_records,
             u.changed_records, u.closed_records[PersonStatus.MOVED_OUT], u.closed_records[PersonStatus.DECEASED],
             u.closed_records[PersonStatus.CERT_CANCELLED]] for u in _rows(summary)])
    _table(sheet, _("按残疾类别"), [unit, *[label(DisabilityCategory(c)) for c in categories], _("未评定")],
           [[u.name, *[u.by_category[c] for c in categories], u.by_category[NO_CATEGORY]] for u in _rows(summary)])

    sheet = workbook.create_sheet(_("走访"))
    sheet.column_dimensions["A"].width = 16
    modes, kinds = list(ContactMode), list(VisitKind)
    _table(sheet, _("走访次数与覆盖率"),
           [unit, _("走访次数"), *[label(m) for m in modes], _("应访人数"), _("已访人数"), _("覆盖率")],
           [[u.name, u.visits, *[u.visits_by_mode[m] for m in modes], u.due_for_visit, u.due_and_visited,
             round(u.coverage, 4) if u.coverage is not None else ""] for u in _rows(summary)])
    _table(sheet, _("按走访类型"), [unit, *[label(k) for k in kinds]],
           [[u.name, *[u.visits_by_kind[k] for k in kinds]] for u in _rows(summary)])

    sheet = workbook.create_sheet(_("需求"))
    sheet.column_dimensions["A"].width = 16
    _table(sheet, _("需求办理"), [unit, _("本月新提出"), _("本月办结"), _("超期未办结")],
           [[u.name, u.needs_raised, u.needs_resolved, u.needs_overdue] for u in _rows(summary)])

    sheet = workbook.create_sheet(_("改造与转介"))
    sheet.column_dimensions["A"].width = 16
    stages, states = list(ModificationStage), list(ReferralState)
    _table(sheet, _("无障碍改造（{y}年度）").format(y=summary.year),
           [unit, _("年度目标"), *[label(s) for s in stages]],
           [[u.name, u.modification_target if u.modification_target is not None else "",
             *[u.modification_stages[s] for s in stages]] for u in _rows(summary)])
    _table(sheet, _("康复转介（{y}年度）").format(y=summary.year), [unit, *[label(s) for s in states]],
           [[u.name, *[u.referral_states[s] for s in states]] for u in _rows(summary)])

    sheet = workbook.create_sheet(_("规划指标"))
    sheet.column_dimensions["A"].width = 40
    sheet.column_dimensions["G"].width = 60
    _table(sheet, _("“十四五”规划主要指标完成情况"),
           [_("指标"), _("完成数"), _("基数"), _("完成值"), _("目标值"), _("是否达标"), _("口径")],
           [[i.name, i.numerator, i.denominator, round(i.rate, 4) if i.rate is not None else "", i.target_text,
             {True: _("达标"), False: _("未达标"), None: _("无法判断")}[i.met], i.definition]
            for i in summary.indicators])

    sheet = workbook.create_sheet(_("逾期跟进"))
    for col, width in zip("ABCDEF", (6, 10, 24, 30, 12, 10), strict=True):
        sheet.column_dimensions[col].width = width
    _table(sheet, _("逾期未完成的跟进事项（共 {n} 项）").format(n=summary.overdue_follow_ups_total),
           [_("序号"), _("姓名"), _("所在地"), _("跟进事项"), _("期限"), _("逾期天数")],
           [[k, o.person_name, o.village, o.action, o.due_on.isoformat(), o.days_overdue]
            for k, o in enumerate(summary.overdue_follow_ups, start=1)])
    _atomic_save(workbook, out)
    return ExportResult(out, len(summary.units))
