"""报表 page: a monthly report for a township generated in the background and previewed page by
page, the warnings of characters the font lacks, cancelling, printing, 另存为, the roster's
columns in Excel, errors under the fields, and a village officer's narrower choice."""

from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path

import openpyxl
import pypdfium2
import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QFileDialog

from liaison.core.demo import build_demo
from liaison.core.enums import UserRole
from liaison.core.rules.idnumber import mask_id_number
from liaison.core.services import modifications
from liaison.core.services.areas import get_area_by_code
from liaison.core.services.context import Actor
from liaison.gui import pdf_preview
from liaison.gui.context import GuiContext
from liaison.gui.main_window import MainWindow
from liaison.gui.pages import reports
from liaison.gui.pages.reports import ReportKind, ReportsPage
from liaison.gui.pdf_preview import PdfPreview, PrintChoice
from liaison.reports.excel import DEFAULT_ROSTER_COLUMNS
from tests.core.services.case_helpers import person_with_need
from tests.core.services.helpers import add_person
from tests.gui.conftest import TODAY, type_text

TOWNSHIP = "220202100"
RARE = "𠮷"  # CJK Ext-B: not in the shipped font
WAIT_MS = 15_000


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def demo(ctx):
    """A small synthetic county (one township with its villages) on the test's TODAY."""
    build_demo(ctx.workspace.engine, ctx.rules, ctx.workspace.device_id, persons=150, seed=7, today=TODAY)
    with ctx.workspace.uow() as uow:
        return get_area_by_code(uow, TOWNSHIP).id


def make_page(qtbot, ctx, tmp_path) -> ReportsPage:
    page = ReportsPage(ctx, temp_base=tmp_path)
    qtbot.addWidget(page)
    page.resize(1200, 720)
    page.show()
    qtbot.waitExposed(page)
    return page


def generate(qtbot, page: ReportsPage, *, excel: bool = False, outcome: str = "done") -> None:
    button = page.excel_button if excel else page.generate_button
    with qtbot.waitSignal(page.finished, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert blocker.args == [outcome], page.status.text()


def pdf_pages(path: Path) -> int:
    pdf = pypdfium2.PdfDocument(str(path))
    try:
        return len(pdf)
    finally:
        pdf.close()


def pdf_text(path: Path) -> str:
    pdf = pypdfium2.PdfDocument(str(path))
    try:
        parts = []
        for page in pdf:
            text = page.get_textpage()
            parts.append(text.get_text_range())
            text.close()
            page.close()
        return "".join("".join(parts).split())
    finally:
        pdf.close()


def wait_rendered(qtbot, preview: PdfPreview, index: int) -> None:
    qtbot.waitUntil(lambda: index in preview.rendered_pages(), timeout=5000)


def officer_ctx(ctx: GuiContext, village) -> GuiContext:  # type: ignore[no-untyped-def]
    actor = Actor(username="liangjiazi", display_name="两家子村专委", role=UserRole.VILLAGE_OFFICER,
                  device_id=ctx.workspace.device_id, scope_area_ids=frozenset({village}))
    return GuiContext(ctx.workspace, actor, ctx.settings, clock=ctx.clock, events=ctx.events)


# --- the monthly report ----------------------------------------------------------------------


def test_the_page_replaces_the_placeholder_in_the_main_window(qtbot, ctx):
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    assert isinstance(window.pages["reports"], ReportsPage)
    assert isinstance(window.show_page("reports"), ReportsPage)


def test_monthly_defaults_last_month_own_area_and_the_actors_name(qtbot, ctx, demo, tmp_path):
    page = make_page(qtbot, ctx, tmp_path)
    assert page.current_kind() is ReportKind.MONTHLY
    assert page.month.text() == "2026-10"
    assert page.prepared_by.text() == ctx.actor.display_name
    assert page.checked_by.text() == ""
    # county staff: the county itself first, then its townships and villages
    assert page.monthly_area.currentText() == "昌邑区"
    assert page.monthly_area.count() > 2
    assert page.generate_button.isVisible() and page.excel_button.isVisible()
    assert not page.print_button.isEnabled() and not page.save_button.isEnabled()
    assert not page.cancel_button.isVisible()
    # the running month is allowed and counted up to today
    page.month.setFocus()
    qtbot.keyClick(page.month, Qt.Key.Key_Up)
    assert page.month.text() == "2026-11"
    assert "统计截至今天（2026-11-25）" in page.month_note.text()


def test_monthly_pdf_of_a_township_is_previewed_page_by_page(qtbot, ctx, demo, tmp_path):
    page = make_page(qtbot, ctx, tmp_path)
    page.monthly_area.set_value(demo)
    page.checked_by.setText("张主任")
    generate(qtbot, page)
    result = page.result
    assert result is not None and result.kind is ReportKind.MONTHLY
    assert result.title == "桦皮厂镇残疾人工作月报（2026年10月）"
    assert result.path.parent.parent == page.files.root  # written to the temporary folder
    pages = pdf_pages(result.path)
    assert result.pages == pages >= 3
    text = pdf_text(result.path)
    assert "桦皮厂镇残疾人工作月报" in text and "张主任" in text and ctx.actor.display_name in text
    preview = page.preview
    assert preview.page_count == pages
    assert preview.page_label.text() == f"第 1 页 共 {pages} 页"
    assert page.result_label.text() == f"桦皮厂镇残疾人工作月报（2026年10月）（{pages} 页）"
    assert page.warning_banner.isHidden()
    assert page.print_button.isEnabled() and page.save_button.isEnabled()
    wait_rendered(qtbot, preview, 0)
    assert not preview.prev_button.isEnabled()
    qtbot.mouseClick(preview.next_button, Qt.MouseButton.LeftButton)
    assert preview.page_label.text() == f"第 2 页 共 {pages} 页"
    wait_rendered(qtbot, preview, 1)
    qtbot.mouseClick(preview.prev_button, Qt.MouseButton.LeftButton)
    assert preview.page_label.text() == f"第 1 页 共 {pages} 页"
    # fitting the width: the page fills the view without a horizontal scroll bar
    assert preview.fit_button.isChecked()
    assert preview.scroll.horizontalScrollBar().maximum() == 0
    qtbot.mouseClick(preview.actual_button, Qt.MouseButton.LeftButton)
    assert preview.zoom_label.text() == "100%" and not preview.fit_button.isChecked()
    qtbot.mouseClick(preview.zoom_in_button, Qt.MouseButton.LeftButton)
    assert preview.zoom_label.text() == "110%"
    qtbot.mouseClick(preview.zoom_out_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(preview.zoom_out_button, Qt.MouseButton.LeftButton)
    assert preview.zoom_label.text() == "90%"
    qtbot.mouseClick(preview.fit_button, Qt.MouseButton.LeftButton)
    assert preview.fit_button.isChecked()


def test_a_new_report_replaces_the_old_file(qtbot, ctx, demo, tmp_path):
    page = make_page(qtbot, ctx, tmp_path)
    page.monthly_area.set_value(demo)
    generate(qtbot, page)
    first = page.result.path
    page.choose(ReportKind.VISIT)
    generate(qtbot, page)
    assert not first.exists()
    assert page.files.files() == [page.result.path]
    assert page.result.title == "入户访视记录表（空白）" and page.result.pages >= 1


def test_monthly_excel_is_saved_where_chosen(qtbot, ctx, demo, tmp_path, monkeypatch):
    out = tmp_path / "saved" / "月报.xlsx"
    out.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(out), "")))
    page = make_page(qtbot, ctx, tmp_path)
    page.monthly_area.set_value(demo)
    generate(qtbot, page, excel=True)
    assert out.exists()  # an Excel file goes straight to 另存为
    book = openpyxl.load_workbook(out, read_only=True)
    assert "在册人员" in book.sheetnames
    assert "桦皮厂镇残疾人工作月报（2026年10月）" in str(next(book["在册人员"].iter_rows(values_only=True))[0])
    book.close()
    assert page.preview.page_count == 0
    assert "不能在这里预览" in page.preview.empty_label.text()
    assert page.status.text() == f"已保存到 {out}"


# --- warnings, cancelling, errors --------------------------------------------------------------


def test_a_name_the_font_cannot_print_is_shown_above_the_preview(qtbot, ctx, area_tree, tmp_path):
    pid = add_person(ctx.workspace, ctx.actor, area_tree.village, name=f"{RARE}祥").person_id
    page = make_page(qtbot, ctx, tmp_path)
    page.show_person_report(pid, f"{RARE}祥")
    assert page.current_kind() is ReportKind.PERSON
    generate(qtbot, page)
    assert page.warning_banner.isVisible()
    assert "字库中没有" in page.warning_title.text() and "□" in page.warning_title.text()
    assert f"{RARE}祥" in page.warning_text.text() and "姓名" in page.warning_text.text()
    assert page.preview.page_count == page.result.pages >= 2
    # the next report without such characters hides the banner again
    page.choose(ReportKind.VISIT)
    generate(qtbot, page)
    assert page.warning_banner.isHidden()


def test_cancelling_a_long_run_says_so_and_leaves_no_file(qtbot, ctx, demo, tmp_path, monkeypatch):
    real = reports.monthly_summary
    seen = []
    entered = threading.Event()

    def slow(uow, actor, *, cancel, **kw):  # type: ignore[no-untyped-def]
        """A county that takes long: waits for 取消, then runs with the same token."""
        entered.set()
        deadline = time.monotonic() + 10
        while not cancel.cancelled and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.append(cancel.cancelled)
        return real(uow, actor, cancel=cancel, **kw)

    monkeypatch.setattr(reports, "monthly_summary", slow)
    page = make_page(qtbot, ctx, tmp_path)
    page.monthly_area.set_value(demo)
    with qtbot.waitSignal(page.finished, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(page.generate_button, Qt.MouseButton.LeftButton)
        assert page.running and page.cancel_button.isVisible() and page.progress.isVisible()
        assert not page.generate_button.isEnabled()
        qtbot.waitUntil(entered.is_set, timeout=5000)
        qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
        assert page.status.text() == "正在取消……"
    assert blocker.args == ["cancelled"]
    assert seen == [True]  # the service itself stopped on the token
    assert "已取消" in page.status.text()
    assert page.result is None and page.preview.page_count == 0
    assert page.files.files() == []
    assert not page.cancel_button.isVisible() and page.generate_button.isEnabled()
    assert not page.save_button.isEnabled()


def test_a_future_month_is_refused_under_the_field_and_writes_nothing(qtbot, ctx, demo, tmp_path, recorder):
    page = make_page(qtbot, ctx, tmp_path)
    page.monthly_area.set_value(demo)
    page.month.setText("2026-12")
    generate(qtbot, page, outcome="failed")
    error = page.forms[ReportKind.MONTHLY].errors["month"]
    assert error.isVisible() and error.text() == "⚠ 2026年12月还没有开始"
    assert page.files.files() == [] and page.result is None
    assert recorder.errors == []
    # text that is no month is refused before anything runs
    page.month.setText("2026-13")
    qtbot.mouseClick(page.generate_button, Qt.MouseButton.LeftButton)
    assert not page.running
    assert error.text() == "⚠ “2026-13”不是月份，应写成 2026-11"
    assert page.files.files() == []


def test_a_village_officer_sees_only_their_village(qtbot, ctx, area_tree, tmp_path, recorder):
    add_person(ctx.workspace, ctx.actor, area_tree.village, name="王秀兰")
    add_person(ctx.workspace, ctx.actor, area_tree.other_village, name="王淑芬")
    officer = officer_ctx(ctx, area_tree.village)
    page = make_page(qtbot, officer, tmp_path)
    for field in (page.monthly_area, page.notice_area, page.roster_area):
        assert [field.itemText(i) for i in range(field.count())] == ["桦皮厂镇 两家子村"]
        assert field.value() == area_tree.village
    assert page.prepared_by.text() == "两家子村专委"
    assert page.visit_unit.text() == "桦皮厂镇 两家子村"
    generate(qtbot, page)
    assert page.result.title == "桦皮厂镇 两家子村残疾人工作月报（2026年10月）"
    # the person search finds no one of the other village
    page.choose(ReportKind.PERSON)
    search = page.person_search
    with qtbot.waitSignal(search.results_shown, timeout=5000):
        type_text(search.edit, "wang")
    assert [r.name for r in search.model.rows] == ["王秀兰"]
    # a village the officer may not report on (a stale list) is refused with a message
    page.choose(ReportKind.MONTHLY)
    page.monthly_area.addItem("桦皮厂镇 前进村", area_tree.other_village)
    page.monthly_area.set_value(area_tree.other_village)
    generate(qtbot, page, outcome="failed")
    assert len(recorder.errors) == 1 and "无权访问该地区的数据" in recorder.errors[0]
    assert page.result is None and page.files.files() == []


# --- printing and saving -------------------------------------------------------------------


def test_printing_renders_every_page_onto_the_printer(qtbot, ctx, demo, tmp_path, monkeypatch):
    printed_to = tmp_path / "printed.pdf"
    asked = []

    def choose_pdf_printer(cls, parent, printer, pages):  # type: ignore[no-untyped-def]
        asked.append((printer.pageLayout().orientation(), pages))
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(printed_to))
        return True

    monkeypatch.setattr(PrintChoice, "ask", classmethod(choose_pdf_printer))
    page = make_page(qtbot, ctx, tmp_path)
    page.monthly_area.set_value(demo)
    generate(qtbot, page)
    pages = page.result.pages
    qtbot.mouseClick(page.print_button, Qt.MouseButton.LeftButton)
    from PySide6.QtGui import QPageLayout

    assert asked == [(QPageLayout.Orientation.Portrait, pages)]
    assert printed_to.exists() and pdf_pages(printed_to) == pages
    document = pypdfium2.PdfDocument(str(printed_to))
    try:
        width, height = document[0].get_size()
    finally:
        document.close()
    assert abs(width - 595) < 3 and abs(height - 842) < 3  # A4, as the report
    assert page.status.text() == f"已送往打印机，共 {pages} 页。"


def test_printing_a_page_range_and_cancelling_the_dialog(qtbot, ctx, demo, tmp_path, monkeypatch):
    printed_to = tmp_path / "range.pdf"

    def second_page_only(cls, parent, printer, pages):  # type: ignore[no-untyped-def]
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(printed_to))
        printer.setPrintRange(QPrinter.PrintRange.PageRange)
        printer.setFromTo(2, 2)
        return True

    page = make_page(qtbot, ctx, tmp_path)
    page.monthly_area.set_value(demo)
    generate(qtbot, page)
    monkeypatch.setattr(PrintChoice, "ask", classmethod(lambda cls, *a: False))
    assert page.print_report() == 0 and not printed_to.exists()
    monkeypatch.setattr(PrintChoice, "ask", classmethod(second_page_only))
    assert page.print_report() == 1
    assert pdf_pages(printed_to) == 1


def test_save_as_copies_the_file_to_the_chosen_path(qtbot, ctx, demo, tmp_path, monkeypatch):
    chosen = tmp_path / "documents" / "十月月报"  # typed without .pdf
    chosen.parent.mkdir()
    offered = []

    def ask(parent, title, suggested, file_filter):  # type: ignore[no-untyped-def]
        offered.append((title, Path(suggested).name, file_filter))
        return str(chosen), file_filter

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(ask))
    page = make_page(qtbot, ctx, tmp_path)
    page.monthly_area.set_value(demo)
    generate(qtbot, page)
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    saved = chosen.with_name("十月月报.pdf")
    assert offered == [("另存为", "桦皮厂镇月报-2026年10月.pdf", "PDF 文件 (*.pdf)")]
    assert saved.read_bytes() == page.result.path.read_bytes()
    assert page.status.text() == f"已保存到 {saved}"
    # the file stays in the temporary folder for another copy; nothing else was written
    assert page.result.path.exists()
    assert sorted(p.name for p in chosen.parent.iterdir()) == ["十月月报.pdf"]


def test_closing_the_page_removes_its_temporary_folder(qtbot, ctx, tmp_path):
    page = ReportsPage(ctx, temp_base=tmp_path)
    page.show()
    qtbot.waitExposed(page)
    page.choose(ReportKind.VISIT)
    generate(qtbot, page)
    root = page.files.root
    assert page.result.path.exists() and root.parent == tmp_path
    page.close()
    page.deleteLater()
    del page
    qtbot.waitUntil(lambda: not root.exists(), timeout=5000)


def test_save_as_cancelled_writes_nothing(qtbot, ctx, tmp_path, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: ("", "")))
    page = make_page(qtbot, ctx, tmp_path)
    page.choose(ReportKind.VISIT)
    generate(qtbot, page)
    assert page.save_as() is None


# --- the other reports -------------------------------------------------------------------------


def test_roster_export_writes_the_chosen_columns(qtbot, ctx, area_tree, tmp_path, monkeypatch):
    people = [add_person(ctx.workspace, ctx.actor, area_tree.village, name=n, phone="13904321234")
              for n in ("王秀兰", "李桂芝")]
    add_person(ctx.workspace, ctx.actor, area_tree.other_village, name="赵淑芬")
    out = tmp_path / "花名册.xlsx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(out), "")))
    page = make_page(qtbot, ctx, tmp_path)
    page.choose(ReportKind.ROSTER)
    assert page.excel_button.isVisible() and not page.generate_button.isVisible()
    columns = page.roster_columns
    assert columns.columns() == list(DEFAULT_ROSTER_COLUMNS)
    assert not page.roster_reveal.isChecked() and not page.roster_inactive.isChecked()
    columns.set_columns([])
    page.roster_area.set_value(area_tree.village)
    qtbot.mouseClick(page.excel_button, Qt.MouseButton.LeftButton)
    assert page.forms[ReportKind.ROSTER].errors["columns"].text() == "⚠ 至少选择一列"
    for key in ("name", "id_number", "village", "phone"):
        qtbot.mouseClick(columns.boxes[key], Qt.MouseButton.LeftButton)
    generate(qtbot, page, excel=True)
    assert page.result.rows == 2
    book = openpyxl.load_workbook(out, read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    book.close()
    assert rows[2] == ("序号", "姓名", "身份证号", "村（社区）", "联系电话")
    body = rows[3:]
    assert sorted(r[1] for r in body) == ["李桂芝", "王秀兰"]
    assert {r[3] for r in body} == {"两家子村"} and {r[4] for r in body} == {"13904321234"}
    assert len(people) == 2 and all("********" in r[2] for r in body)  # masked by default
    assert reveal_reasons(ctx) == []
    page.roster_reveal.setChecked(True)
    generate(qtbot, page, excel=True)
    book = openpyxl.load_workbook(out, read_only=True)
    full = [r[2] for r in list(book.active.iter_rows(values_only=True))[3:]]
    book.close()
    assert all("*" not in number for number in full)
    assert reveal_reasons(ctx) == [("export", "导出含完整身份证号的花名册")]


def test_person_file_found_by_typing_with_the_full_id_when_asked(qtbot, ctx, area_tree, tmp_path, recorder):
    saved = add_person(ctx.workspace, ctx.actor, area_tree.village, name="王秀兰")
    with ctx.workspace.uow() as uow:
        from liaison.core.models import Person

        id_number = uow.session.get(Person, saved.person_id).id_number
    page = make_page(qtbot, ctx, tmp_path)
    page.choose(ReportKind.PERSON)
    # nobody chosen yet: said under the field
    qtbot.mouseClick(page.generate_button, Qt.MouseButton.LeftButton)
    assert "请输入姓名查找" in page.forms[ReportKind.PERSON].errors["person"].text()
    search = page.person_search
    search.edit.setFocus()
    with qtbot.waitSignal(search.results_shown, timeout=5000):
        type_text(search.edit, "wxl")
    assert [r.name for r in search.model.rows] == ["王秀兰"]
    qtbot.keyClick(search.edit, Qt.Key.Key_Down)
    assert QApplication.focusWidget() is search.results
    qtbot.keyClick(search.results, Qt.Key.Key_Return)
    assert search.person_id == saved.person_id
    assert search.chosen.text().startswith("已选：王秀兰（桦皮厂镇 两家子村")
    assert not page.person_reveal.isChecked()
    generate(qtbot, page)
    text = pdf_text(page.result.path)
    assert mask_id_number(id_number) in text and id_number not in text
    assert reveal_reasons(ctx) == []
    page.person_reveal.setChecked(True)
    generate(qtbot, page)
    assert id_number in pdf_text(page.result.path)
    assert reveal_reasons(ctx) == [("person", "打印一人一档档案表")]  # asking is audited, once


def reveal_reasons(ctx) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from liaison.core.models import AuditEvent

    with ctx.workspace.uow() as uow:
        return [(e.entity, e.reason) for e in uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "reveal").order_by(AuditEvent.seq))]


def test_public_notice_and_acceptance_sheet_of_a_case(qtbot, ctx, area_tree, tmp_path):
    pid, need = person_with_need(ctx.workspace, ctx.actor, area_tree.village, raised=date(2025, 6, 1),
                                 name="刘桂兰", grade=1)
    with ctx.workspace.uow() as uow:
        case_id = modifications.open_modification(
            uow, ctx.actor, modifications.ModificationApplication(pid, date(2026, 9, 1), need), today=TODAY).case_id
        uow.commit()
    person_with_need(ctx.workspace, ctx.actor, area_tree.village, raised=date(2025, 6, 1), name="陈凤英", grade=1)
    page = make_page(qtbot, ctx, tmp_path)
    page.choose(ReportKind.NOTICE)
    assert page.notice_year.text() == "2026"
    page.notice_area.set_value(area_tree.village)
    page.notice_to.setText("两家子村村委会")
    generate(qtbot, page)
    text = pdf_text(page.result.path)
    assert "陈凤英" in text and "两家子村村委会" in text
    with qtbot.waitSignal(page.cases_loaded, timeout=5000):
        page.choose(ReportKind.ACCEPTANCE)
    field = page.acceptance_case
    assert field.count() == 1 and field.currentText() == "刘桂兰 · 桦皮厂镇 两家子村 · 申请 · 2026-09-01"
    page.choose_case(ReportKind.ACCEPTANCE, case_id)
    generate(qtbot, page)
    assert page.result.title == "竣工验收单：刘桂兰"
    assert "竣工验收单" in pdf_text(page.result.path)


# --- the preview on its own ---------------------------------------------------------------------


def long_pdf(path: Path, pages: int) -> Path:
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(path))
    for n in range(1, pages + 1):
        canvas.drawString(100, 700, f"page {n}")
        canvas.showPage()
    canvas.save()
    return path


def test_a_long_document_renders_only_the_pages_in_view(qtbot, tmp_path):
    preview = PdfPreview()
    qtbot.addWidget(preview)
    preview.resize(800, 600)
    preview.show()
    qtbot.waitExposed(preview)
    assert preview.load(long_pdf(tmp_path / "long.pdf", 15)) == 15
    wait_rendered(qtbot, preview, 0)
    qtbot.wait(50)
    assert preview.rendered_pages() <= {0, 1, 2}
    assert preview.page_label.text() == "第 1 页 共 15 页"
    preview.go_to_page(14)
    wait_rendered(qtbot, preview, 14)
    assert preview.page_label.text() == "第 15 页 共 15 页"
    assert 0 not in preview.rendered_pages()  # far pages let go of their images
    assert not preview.next_button.isEnabled()
    assert preview.render_count < 15
    preview.close_document("无")
    assert preview.page_count == 0 and preview.page_label.text() == ""


def test_qimage_formats_match_pdfium_layouts():
    from PySide6.QtGui import QImage

    assert pdf_preview._qimage_format("RGB") == QImage.Format.Format_RGB888
    assert pdf_preview._qimage_format("BGR") == QImage.Format.Format_BGR888
    assert pdf_preview._qimage_format("L") == QImage.Format.Format_Grayscale8
