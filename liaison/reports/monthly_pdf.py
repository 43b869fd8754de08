"""The monthly summary (月报) as a PDF an office prints, signs and seals.

Every number is taken from a `MonthlySummary` (liaison.core.services.monthly); this module only
lays them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether

from liaison.core.enums import (
    ContactMode,
    DisabilityCategory,
    DisabilityGrade,
    ModificationStage,
    PersonStatus,
    ReferralState,
    VisitKind,
    label,
)
from liaison.core.i18n import _
from liaison.core.services.monthly import NO_CATEGORY, MonthlySummary, UnitFigures
from liaison.reports.fonts import FONT
from liaison.reports.layout import Document, chinese_date

PDF_FOLLOW_UPS = 100  # the longest overdue; the spreadsheet has the rest
PALETTE = [colors.HexColor(c) for c in ("#2F6DB5", "#E07B39", "#4E9A57", "#B8403A", "#7A5BA6", "#8C6D4F",
                                        "#C2569B", "#7F7F7F")]


@dataclass(frozen=True)
class ReportResult:
    path: Path
    pages: int
    warnings: tuple[str, ...]


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _n(value: int) -> str:
    return f"{value:,}"


def write_monthly_pdf(
    summary: MonthlySummary, out: Path, *, prepared_by: str = "", checked_by: str = "", on: date | None = None
) -> ReportResult:
    unit_word = _("乡镇（街道）") if summary.unit_level == "township" else _("村（社区）")
    as_of = _("截至 {d}").format(d=chinese_date(summary.as_of)) if summary.as_of < summary.end else ""
    doc = Document(
        title=_("残疾人工作月报"),
        unit=summary.area_name,
        period=_("统计期间：{p}").format(p=summary.period_label),
    )
    s = doc.styles
    doc.add(doc.p(_("{unit}残疾人工作月报").format(unit=summary.area_name.replace(" ", "")), s.title))
    doc.add(doc.p(_("（{p}{as_of}）").format(p=summary.period_label, as_of="，" + as_of if as_of else ""),
                  s.subtitle))
    rows = [*summary.units, summary.total]

    # 一、在册人员
    doc.heading(_("一、在册残疾人及档案变动"))
    grades = [int(g) for g in DisabilityGrade]
    doc.add(doc.table(
        [[unit_word, _("在册人数"), _("按残疾等级"), "", "", "", "", _("本月档案变动"), "", "", "", ""],
         ["", "", *[label(DisabilityGrade(g)) for g in grades], _("未评定"), _("新增"), _("变更"), _("迁出"),
          _("死亡"), _("注销")]],
        [[u.name, _n(u.on_file), *[_n(u.by_grade[g]) for g in grades], _n(u.by_grade[NO_CATEGORY]),
          _n(u.new_records), _n(u.changed_records), _n(u.closed_records[PersonStatus.MOVED_OUT]),
          _n(u.closed_records[PersonStatus.DECEASED]), _n(u.closed_records[PersonStatus.CERT_CANCELLED])]
         for u in rows],
        [0.16, 0.1, *[0.074] * 5, *[0.074] * 5],
        numeric=range(1, 12), total_row=True, what=_("地区"),
        spans=[((0, 0), (0, 1)), ((1, 0), (1, 1)), ((2, 0), (6, 0)), ((7, 0), (11, 0))],
    ))
    doc.space(3)
    categories = [int(c) for c in DisabilityCategory]
    doc.add(doc.table(
        [unit_word, *[label(DisabilityCategory(c)).removesuffix(_("残疾")) for c in categories], _("未评定")],
        [[u.name, *[_n(u.by_category[c]) for c in categories], _n(u.by_category[NO_CATEGORY])] for u in rows],
        [0.2, *[0.09] * 7, 0.17],
        numeric=range(1, 9), total_row=True,
    ))
    doc.add(_category_pie(summary.total, doc.width))

    # 二、走访
    doc.heading(_("二、入户走访"))
    modes = list(ContactMode)
    doc.add(doc.table(
        [unit_word, _("走访次数"), *[label(m) for m in modes], _("应访人数"), _("已访人数"), _("走访覆盖率")],
        [[u.name, _n(u.visits), *[_n(u.visits_by_mode[m]) for m in modes], _n(u.due_for_visit),
          _n(u.due_and_visited), percent(u.coverage)] for u in rows],
        [0.2, 0.1, *[0.08] * 4, 0.1, 0.1, 0.18],
        numeric=range(1, 9), total_row=True,
    ))
    doc.add(doc.p(_("应访人数：按走访频次规则，到本月末应当走访的在册人员；已访人数：其中本月有入户、见面或电话联系的人数。"),
                  s.small))
    kinds = [k for k in VisitKind if summary.total.visits_by_kind[k]]
    if kinds:
        doc.space(2)
        doc.add(doc.table([_("走访类型"), *[label(k) for k in kinds]],
                          [[_("次数"), *[_n(summary.total.visits_by_kind[k]) for k in kinds]]],
                          [0.16, *[0.84 / len(kinds)] * len(kinds)], numeric=range(1, len(kinds) + 1)))
    doc.add(_coverage_chart(summary, doc.width))

    # 三、需求
    doc.heading(_("三、需求办理"))
    doc.add(doc.table(
        [unit_word, _("本月新提出"), _("本月办结"), _("超期未办结")],
        [[u.name, _n(u.needs_raised), _n(u.needs_resolved), _n(u.needs_overdue)] for u in rows],
        [0.34, 0.22, 0.22, 0.22], numeric=(1, 2, 3), total_row=True,
    ))
    doc.add(doc.p(_("超期未办结：提出已满 {n} 天、到月末仍未办结的需求。").format(n=summary.need_alert_days), s.small))

    # 四、改造与转介
    doc.heading(_("四、无障碍改造与康复转介（{y}年度）").format(y=summary.year))
    stages = list(ModificationStage)
    doc.add(doc.table(
        [[unit_word, _("年度目标"), _("按案件所处阶段（户）"), "", "", "", "", "", "", "", _("完成率")],
         ["", "", *[label(st) for st in stages], ""]],
        [[u.name, _n(u.modification_target) if u.modification_target is not None else "—",
          *[_n(u.modification_stages[st]) for st in stages],
          percent(u.modifications_closed / u.modification_target) if u.modification_target else "—"]
         for u in rows],
        [0.14, 0.08, *[0.078] * 8, 0.156], numeric=range(1, 11), total_row=True,
        spans=[((0, 0), (0, 1)), ((1, 0), (1, 1)), ((2, 0), (9, 0)), ((10, 0), (10, 1))],
    ))
    doc.add(doc.p(_("按案件进度记录回放到月末的阶段；完成率 = 已结案户数 ÷ 年度目标。"), s.small))
    doc.space(2)
    states = list(ReferralState)
    doc.add(doc.table(
        [[unit_word, _("康复转介（按所处状态，人次）"), "", "", "", "", "", _("合计")],
         ["", *[label(st) for st in states], ""]],
        [[u.name, *[_n(u.referral_states[st]) for st in states], _n(sum(u.referral_states.values()))]
         for u in rows],
        [0.2, *[0.11] * 6, 0.14], numeric=range(1, 8), total_row=True,
        spans=[((0, 0), (0, 1)), ((1, 0), (6, 0)), ((7, 0), (7, 1))],
    ))
    doc.add(_modification_chart(summary, doc.width))

    # 五、指标
    doc.heading(_("五、“十四五”规划主要指标完成情况（专栏1）"))
    doc.add(doc.table(
        [_("指标"), _("完成数"), _("基数"), _("完成值"), _("目标值"), _("是否达标")],
        [[i.name, _n(i.numerator), _n(i.denominator) if i.target_count is None else "—",
          percent(i.rate) if i.target_count is None else _("{n} 户").format(n=i.numerator), i.target_text,
          {True: _("达标"), False: _("未达标"), None: _("无法判断")}[i.met]] for i in summary.indicators],
        [0.4, 0.1, 0.1, 0.12, 0.13, 0.15], numeric=(1, 2, 3),
    ))
    doc.add(doc.p(_("口径：") + "；".join(f"{k}. {i.definition}" for k, i in enumerate(summary.indicators, 1)) + "。",
                  s.small))

    # 六、逾期跟进
    doc.heading(_("六、逾期未完成的跟进事项"))
    listed = summary.overdue_follow_ups[:PDF_FOLLOW_UPS]
    if listed:
        doc.add(doc.table(
            [_("序号"), _("姓名"), _("所在地"), _("跟进事项"), _("期限"), _("逾期天数")],
            [[str(k), o.person_name, o.village, o.action, o.due_on.isoformat(), _n(o.days_overdue)]
             for k, o in enumerate(listed, start=1)],
            [0.07, 0.11, 0.25, 0.32, 0.13, 0.12], numeric=(0, 5), short=(4,), what=_("姓名"),
        ))
        hidden = summary.overdue_follow_ups_total - len(listed)
        if hidden > 0:
            doc.add(doc.p(_("共 {total} 项，按逾期天数列出前 {k} 项；完整清单见 Excel 月报。").format(
                total=summary.overdue_follow_ups_total, k=len(listed)), s.small))
    else:
        doc.add(doc.p(_("无。")))

    doc.sign_off([(_("填报人"), prepared_by), (_("审核人"), checked_by)], on=on)
    pages = doc.build(out)
    return ReportResult(out, pages, tuple(doc.glyphs.warnings))


# --- charts -------------------------------------------------------------------------------


def _caption(drawing: Drawing, text: str, width: float) -> None:
    drawing.add(String(width / 2, drawing.height - 12, text, fontName=FONT, fontSize=10, textAnchor="middle"))


def _category_pie(total: UnitFigures, width: float) -> Drawing:
    items = [(label(DisabilityCategory(c)), total.by_category[c]) for c in range(1, 8) if total.by_category[c]]
    if total.by_category[NO_CATEGORY]:
        items.append((_("未评定"), total.by_category[NO_CATEGORY]))
    drawing = Drawing(width, 62 * mm)
    _caption(drawing, _("图1  在册残疾人按类别构成"), width)
    if not items:
        return drawing
    pie = Pie()
    pie.x, pie.y, pie.width, pie.height = 30 * mm, 4 * mm, 46 * mm, 46 * mm
    pie.data = [n for _l, n in items]
    pie.labels = None
    pie.slices.strokeWidth = 0.5
    pie.slices.strokeColor = colors.white
    for k in range(len(items)):
        pie.slices[k].fillColor = PALETTE[k % len(PALETTE)]
    drawing.add(pie)
    legend = Legend()
    legend.x, legend.y = 95 * mm, 46 * mm
    legend.fontName, legend.fontSize = FONT, 8.5
    legend.alignment = "right"
    legend.columnMaximum = 8
    legend.deltay = 9
    count = sum(n for _l, n in items)
    legend.colorNamePairs = [(PALETTE[k % len(PALETTE)], f"{name}  {n:,} 人（{n / count * 100:.1f}%）")
                             for k, (name, n) in enumerate(items)]
    drawing.add(legend)
    return drawing


def _bars(width: float, title: str, names: list[str], series: list[list[float]], legend: list[str],
          *, percent_axis: bool = False) -> Drawing:
    drawing = Drawing(width, 70 * mm)
    _caption(drawing, title, width)
    if not names:
        return drawing
    chart = VerticalBarChart()
    chart.x, chart.y = 14 * mm, 16 * mm
    chart.width, chart.height = width - 20 * mm, 40 * mm
    chart.data = series
    chart.categoryAxis.categoryNames = names
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7 if len(names) > 12 else 8
    chart.categoryAxis.labels.angle = 30 if len(names) > 8 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(names) > 8 else "n"
    chart.valueAxis.labels.fontName = FONT
    chart.barLabels.fontName = FONT
    chart.valueAxis.labels.fontSize = 8
    chart.valueAxis.valueMin = 0
    if percent_axis:
        chart.valueAxis.valueMax = 100
        chart.valueAxis.valueStep = 20
        chart.valueAxis.labelTextFormat = "%d%%"
    for k in range(len(series)):
        chart.bars[k].fillColor = PALETTE[k % len(PALETTE)]
        chart.bars[k].strokeColor = None
    drawing.add(chart)
    if len(legend) > 1:
        key = Legend()
        key.x, key.y = width - 45 * mm, drawing.height - 6 * mm
        key.fontName, key.fontSize = FONT, 8
        key.alignment = "right"
        key.columnMaximum = 1
        key.dx = 8
        key.deltax = 40
        key.colorNamePairs = [(PALETTE[k], name) for k, name in enumerate(legend)]
        drawing.add(key)
    return drawing


def _short(name: str) -> str:
    return name if len(name) <= 6 else name[:6]


def _coverage_chart(summary: MonthlySummary, width: float) -> Drawing:
    units = summary.units
    return _bars(width, _("图2  各{unit}走访覆盖率").format(
        unit=_("乡镇") if summary.unit_level == "township" else _("村")),
        [_short(u.name) for u in units], [[round((u.coverage or 0) * 100, 1) for u in units]], [_("覆盖率")],
        percent_axis=True)


def _modification_chart(summary: MonthlySummary, width: float) -> KeepTogether:
    units = summary.units
    drawing = _bars(width, _("图3  无障碍改造：年度目标与已结案户数"), [_short(u.name) for u in units],
                    [[u.modification_target or 0 for u in units], [u.modifications_closed for u in units]],
                    [_("年度目标"), _("已结案")])
    return KeepTogether([drawing])
