"""The look of every printed document: A4, the office header and footer, 第 x 页 共 y 页,
text styles, tables whose Chinese cells wrap, and the sign-off block with room for the seal."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from liaison.core.i18n import _
from liaison.reports.fonts import FONT, FONT_BOLD, GlyphCheck, register_fonts

MARGIN = 16 * mm
BODY_SIZE = 10
GRID = colors.HexColor("#555555")
HEAD_FILL = colors.HexColor("#E8E8E8")


def chinese_date(day: date) -> str:
    return _("{y}年{m}月{d}日").format(y=day.year, m=day.month, d=day.day)


def _style(name: str, size: float, *, bold: bool = False, align: int = TA_LEFT, leading: float | None = None,
           **kw: Any) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=FONT_BOLD if bold else FONT, fontSize=size,
                          leading=leading or size * 1.4, alignment=align, wordWrap="CJK", **kw)


@dataclass(frozen=True)
class Styles:
    title: ParagraphStyle = field(default_factory=lambda: _style("title", 18, bold=True, align=TA_CENTER,
                                                                  spaceAfter=4 * mm))
    subtitle: ParagraphStyle = field(default_factory=lambda: _style("subtitle", 10.5, align=TA_CENTER,
                                                                     spaceAfter=3 * mm))
    heading: ParagraphStyle = field(default_factory=lambda: _style("heading", 12, bold=True, spaceBefore=4 * mm,
                                                                    spaceAfter=2 * mm, keepWithNext=1))
    body: ParagraphStyle = field(default_factory=lambda: _style("body", BODY_SIZE))
    small: ParagraphStyle = field(default_factory=lambda: _style("small", 8.5, spaceBefore=1 * mm))
    cell: ParagraphStyle = field(default_factory=lambda: _style("cell", 9, leading=12))
    cell_center: ParagraphStyle = field(default_factory=lambda: _style("cell_c", 9, leading=12, align=TA_CENTER))
    cell_right: ParagraphStyle = field(default_factory=lambda: _style("cell_r", 9, leading=12, align=TA_RIGHT))
    cell_head: ParagraphStyle = field(default_factory=lambda: _style("cell_h", 9, bold=True, leading=12,
                                                                      align=TA_CENTER))


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Document:
    """One PDF being put together: its story, styles and glyph warnings."""

    def __init__(self, *, title: str, unit: str, period: str, wide: bool = False) -> None:
        register_fonts()
        self.title = title
        self.unit = unit  # 填报单位
        self.period = period  # 统计期间 or the form's subject
        self.pagesize = landscape(A4) if wide else A4
        self.styles = Styles()
        self.glyphs = GlyphCheck()
        self.story: list[Flowable] = []

    @property
    def width(self) -> float:
        return self.pagesize[0] - 2 * MARGIN

    # --- text -----------------------------------------------------------------------------

    def p(self, value: object, style: ParagraphStyle | None = None, *, what: str = "") -> Paragraph:
        """A paragraph of checked, escaped text (markup is not interpreted)."""
        return Paragraph(escape(self.glyphs.text(value, what)), style or self.styles.body)

    def markup(self, markup: str, style: ParagraphStyle | None = None) -> Paragraph:
        """A paragraph of trusted markup (<b>…</b>) built by the program itself."""
        self.glyphs.text(markup)
        return Paragraph(markup, style or self.styles.body)

    def add(self, *flowables: Flowable) -> None:
        self.story.extend(flowables)

    def heading(self, text: str) -> None:
        self.add(self.p(text, self.styles.heading))

    def space(self, height_mm: float) -> None:
        self.add(Spacer(1, height_mm * mm))

    # --- tables ---------------------------------------------------------------------------

    def table(
        self,
        header: Sequence[str] | Sequence[Sequence[str]],
        rows: Sequence[Sequence[object]],
        widths: Sequence[float],
        *,
        numeric: Sequence[int] = (),
        total_row: bool = False,
        what: str = "",
        spans: Sequence[tuple[tuple[int, int], tuple[int, int]]] = (),
        short: Sequence[int] = (),
    ) -> Table:
        """A grid table: header rows shaded and repeated on every page, cells wrap, numbers right.

        `widths` are fractions of the text width; `header` may be several rows (for spans);
        `numeric` and `short` columns hold text that never needs to wrap (numbers, dates) and
        are drawn as plain strings, which is much faster for long tables."""
        s = self.styles
        header_rows = [list(header)] if header and isinstance(header[0], str) else [list(r) for r in header]
        data: list[list[Any]] = [[self.p(h, s.cell_head) if h else "" for h in row] for row in header_rows]
        plain = set(numeric) | set(short)
        for row in rows:
            data.append([
                self.glyphs.text(value, what) if k in plain else self.p(value, s.cell, what=what)
                for k, value in enumerate(row)
            ])
        col_widths = [self.width * w for w in widths]
        n_head = len(header_rows)
        style = [
            ("FONTNAME", (0, 0), (-1, -1), FONT),  # string cells would otherwise use Helvetica
            ("GRID", (0, 0), (-1, -1), 0.5, GRID),
            ("BACKGROUND", (0, 0), (-1, n_head - 1), HEAD_FILL),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            # wordWrap CJK lets closing punctuation hang up to 1 em past the edge
            ("RIGHTPADDING", (0, 0), (-1, -1), 9),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]
        style += [("SPAN", a, b) for a, b in spans]
        style += [("FONTSIZE", (0, n_head), (-1, -1), 9), ("LEADING", (0, n_head), (-1, -1), 12)]
        style += [("ALIGN", (k, n_head), (k, -1), "RIGHT") for k in numeric]
        if total_row and rows:
            style.append(("BACKGROUND", (0, len(data) - 1), (-1, len(data) - 1), colors.HexColor("#F3F3F3")))
        table = Table(data, colWidths=col_widths, repeatRows=n_head, hAlign="LEFT")
        table.setStyle(TableStyle(style))
        return table

    def fields(self, pairs: Sequence[tuple[str, object]], columns: int = 2, label_share: float = 0.16) -> Table:
        """A form grid of label/value cells, `columns` pairs per row (empty values stay blank
        lines to fill in by hand)."""
        s = self.styles
        data: list[list[Any]] = []
        row: list[Any] = []
        for label, value in pairs:
            row += [self.p(label, s.cell_head), self.p(value if value not in (None, "") else "", s.cell, what=label)]
            if len(row) == 2 * columns:
                data.append(row)
                row = []
        if row:
            row += [""] * (2 * columns - len(row))
            data.append(row)
        value_share = (1 - label_share * columns) / columns
        widths = [self.width * (label_share if k % 2 == 0 else value_share) for k in range(2 * columns)]
        table = Table(data, colWidths=widths, hAlign="LEFT")
        table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), 
            ("GRID", (0, 0), (-1, -1), 0.5, GRID),
            ("BACKGROUND", (0, 0), (0, -1), HEAD_FILL),
            *[("BACKGROUND", (k, 0), (k, -1), HEAD_FILL) for k in range(2, 2 * columns, 2)],
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("RIGHTPADDING", (0, 0), (-1, -1), 9),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        ]))
        return table

    def sign_off(self, signers: Sequence[tuple[str, str]], *, on: date | None, seal: bool = True) -> None:
        """填报人/审核人… lines, the date, and an empty box for the seal."""
        s = self.styles
        cells = [self.p(f"{label}：{name or '＿＿＿＿＿＿＿＿'}", s.body) for label, name in signers]
        cells.append(self.p(_("日期：{d}").format(d=chinese_date(on) if on else "＿＿＿＿年＿＿月＿＿日"), s.body))
        rows = [cells[i:i + 2] + [""] * (2 - len(cells[i:i + 2])) for i in range(0, len(cells), 2)]
        left = Table(rows, colWidths=[self.width * 0.33] * 2, hAlign="LEFT")
        left.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("TOPPADDING", (0, 0), (-1, -1), 8), ("BOTTOMPADDING", (0, 0), (-1, -1), 8)]))
        if seal:
            box = Table([[self.p(_("（盖章）"), s.cell_center)]], colWidths=[38 * mm], rowHeights=[30 * mm])
            box.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999")),
                                     ("VALIGN", (0, 0), (-1, -1), "BOTTOM")]))
            block = Table([[left, box]], colWidths=[self.width * 0.68, self.width * 0.32], hAlign="LEFT")
        else:
            block = left
        block.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        self.add(KeepTogether([Spacer(1, 6 * mm), block]))

    # --- output ---------------------------------------------------------------------------

    def build(self, out: Path, *, on_page: Callable[[Canvas, Any], None] | None = None) -> int:
        """Write the PDF (two passes for 共 y 页); returns the number of pages."""
        pages = _build(self, out, on_page)
        return pages


def _build(doc: Document, out: Path, on_page: Callable[[Canvas, Any], None] | None) -> int:
    width, height = doc.pagesize
    frame = Frame(MARGIN, MARGIN + 8 * mm, width - 2 * MARGIN, height - 2 * MARGIN - 16 * mm, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    unit, period, title = doc.unit, doc.period, doc.title
    glyphs = doc.glyphs
    header_left = glyphs.text(_("填报单位：{unit}").format(unit=unit)) if unit else ""
    header_right = glyphs.text(period)
    footer_title = glyphs.text(title)

    def decorate(canvas: Canvas, _template: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8.5)
        canvas.setFillColor(colors.HexColor("#444444"))
        top = height - MARGIN + 2 * mm
        canvas.drawString(MARGIN, top, header_left)
        canvas.drawRightString(width - MARGIN, top, header_right)
        canvas.setStrokeColor(colors.HexColor("#999999"))
        canvas.line(MARGIN, top - 2 * mm, width - MARGIN, top - 2 * mm)
        canvas.line(MARGIN, MARGIN + 4 * mm, width - MARGIN, MARGIN + 4 * mm)
        canvas.drawString(MARGIN, MARGIN, footer_title)
        canvas.restoreState()
        if on_page is not None:
            on_page(canvas, _template)

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    template = BaseDocTemplate(str(tmp), pagesize=doc.pagesize, leftMargin=MARGIN, rightMargin=MARGIN,
                               topMargin=MARGIN, bottomMargin=MARGIN, title=title, author=unit,
                               creator="Liaison 残疾人专职委员工作台")
    template.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=decorate)])
    try:
        template.build(list(doc.story), canvasmaker=_numbered_canvas(width))
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return template.page


def _numbered_canvas(page_width: float) -> type[Canvas]:
    class NumberedCanvas(Canvas):
        """Keeps every page until the end, then writes 第 x 页 共 y 页 on each."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            # else every page names an unembedded Helvetica (platypus passes None explicitly)
            kwargs["initialFontName"] = kwargs.get("initialFontName") or FONT
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(FONT, 8.5)
                self.setFillColor(colors.HexColor("#444444"))
                self.drawRightString(page_width - MARGIN, MARGIN,
                                     _("第 {x} 页 共 {y} 页").format(x=self._pageNumber, y=total))
                super().showPage()
            super().save()

    return NumberedCanvas
