"""报表: choose a report and its options on the left, generate it in the background (with
取消), see its pages on the right, print it or save a copy.

Reports: the monthly summary (月报, PDF or Excel), the person file (一人一档档案表), the blank
home-visit record (入户访视记录表), the public notice of home-modification candidates (公示名单),
the acceptance sheet (竣工验收单) and referral slip (康复转介单) of a case, and the roster
(花名册, Excel only).

Every file is written to a private temporary folder first; 另存为… copies it where the person
wants it. A new report, a cancelled run or closing the page removes the earlier file, so
personal data does not pile up in the temporary folder.
"""

from __future__ import annotations

import itertools
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QPainter, QPalette
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from liaison.core.enums import N_, AreaLevel, CaseType
from liaison.core.errors import LiaisonError, ValidationError
from liaison.core.i18n import _
from liaison.core.progress import Cancelled, CancelToken, reporter
from liaison.core.services.areas import list_areas, subtree_ids
from liaison.core.services.case_lists import CaseFilter, CaseRow, list_cases
from liaison.core.services.monthly import monthly_summary, parse_month
from liaison.core.services.search import PersonRow, SearchPage, SearchQuery, search_people
from liaison.gui.context import GuiContext
from liaison.gui.dialogs import Message
from liaison.gui.fields import ChoiceField, FieldValueError, FormGrid, IntField, TextField
from liaison.gui.flow_layout import FlowLayout
from liaison.gui.ops import Op, describe_error, run_in_background
from liaison.gui.pages.cases import year_choices
from liaison.gui.pdf_preview import PdfPreview, PrintChoice, prepare_printer, print_pdf
from liaison.gui.visit_form import PersonResultsModel

AREA_CHARS = 12  # area pick lists are this wide; longer names are cut while closed
SEARCH_DELAY_MS = 150
SEARCH_LIMIT = 20
WARNINGS_SHOWN = 3  # the banner lists this many; a button shows them all
OPTIONS_CHARS = 24  # the options column is about this many characters wide …
OPTIONS_SHARE = 0.42  # … but never more than this share of the page
_UNSAFE_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\s]+')


class ReportKind(StrEnum):
    MONTHLY = "monthly"
    PERSON = "person"
    VISIT = "visit"
    NOTICE = "notice"
    ACCEPTANCE = "acceptance"
    REFERRAL = "referral"
    ROSTER = "roster"


KIND_TEXT = {
    ReportKind.MONTHLY: N_("月报"),
    ReportKind.PERSON: N_("一人一档档案表"),
    ReportKind.VISIT: N_("入户访视记录表（空白）"),
    ReportKind.NOTICE: N_("无障碍改造公示名单"),
    ReportKind.ACCEPTANCE: N_("无障碍改造竣工验收单"),
    ReportKind.REFERRAL: N_("康复转介单"),
    ReportKind.ROSTER: N_("花名册（Excel）"),
}
PDF_KINDS = frozenset(set(ReportKind) - {ReportKind.ROSTER})
EXCEL_KINDS = frozenset({ReportKind.MONTHLY, ReportKind.ROSTER})


def safe_file_name(text: str) -> str:
    """A file name Windows accepts: no path characters, no spaces."""
    return _UNSAFE_IN_FILE_NAMES.sub("", text) or "report"


def last_month(today: date) -> tuple[int, int]:
    return (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)


# --- results, files, seams ---------------------------------------------------------------------


@dataclass(frozen=True)
class Generated:
    """A report written to the temporary folder."""

    kind: ReportKind
    path: Path
    title: str  # shown above the preview, and the document name when printing
    file_name: str  # suggested by 另存为
    pages: int | None = None  # PDFs
    rows: int | None = None  # the roster
    warnings: tuple[str, ...] = ()

    @property
    def is_pdf(self) -> bool:
        return self.path.suffix.lower() == ".pdf"


class ReportFiles:
    """The page's private temporary folder; one subfolder per run, removed when it is replaced."""

    def __init__(self, base: Path | None = None) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="liaison-reports-", dir=base,
                                                ignore_cleanup_errors=True)
        self.root = Path(self._tmp.name)
        self._runs = itertools.count(1)

    def new_run(self) -> Path:
        path = self.root / f"run-{next(self._runs)}"
        path.mkdir()
        return path

    def remove(self, run: Path) -> None:
        shutil.rmtree(run, ignore_errors=True)

    def files(self) -> list[Path]:
        return sorted(p for p in self.root.rglob("*") if p.is_file())

    def cleanup(self, *_args: object) -> None:
        self._tmp.cleanup()


class SaveChoice:
    """Where to save a copy; tests replace `ask` (or QFileDialog.getSaveFileName)."""

    @classmethod
    def ask(cls, parent: QWidget | None, title: str, suggested: Path, file_filter: str) -> Path | None:
        chosen, _selected = QFileDialog.getSaveFileName(parent, title, str(suggested), file_filter)
        return Path(chosen) if chosen else None


class _FormErrors(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


# --- option widgets ----------------------------------------------------------------------------


class MonthField(QLineEdit):
    """A month typed as 2026-10 (also 2026年10月, 2026/10); ↑/↓ step a month."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(_("如 2026-10"))
        self.setToolTip(_("统计月份，如 2026-10；按 ↑ ↓ 键换月"))
        self.setMaxLength(10)

    def value(self) -> tuple[int, int]:
        try:
            return parse_month(self.text())
        except ValidationError as exc:
            raise FieldValueError(next(iter(exc.errors.values()))) from None

    def set_value(self, year: int, month: int) -> None:
        self.setText(f"{year:04d}-{month:02d}")

    def keyPressEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        step = {Qt.Key.Key_Up: 1, Qt.Key.Key_Down: -1}.get(event.key())
        if step is None:
            super().keyPressEvent(event)
            return
        try:
            year, month = self.value()
        except FieldValueError:
            return
        month += step
        if month == 0:
            year, month = year - 1, 12
        elif month == 13:
            year, month = year + 1, 1
        self.set_value(year, month)


class PersonSearch(QWidget):
    """Type a name, pinyin initials or an ID fragment: the matches show below as you type;
    Enter or a double-click takes one, Down moves into the list."""

    picked = Signal(object)  # person id
    results_shown = Signal()  # a search finished and is on screen (tests wait on it)

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.person_id: uuid.UUID | None = None
        self._generation = 0
        self._op: Op | None = None
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(_("姓名、拼音首字母或身份证号"))
        self.edit.setClearButtonEnabled(True)
        self.model = PersonResultsModel(self)
        self.results = QListView()
        self.results.setModel(self.model)
        self.results.setAccessibleName(_("查找结果"))
        self.results.setMinimumWidth(1)
        self.chosen = QLabel(_("尚未选择人员"))
        self.chosen.setWordWrap(True)
        self.chosen.setAccessibleName(_("已选人员"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addWidget(self.results)
        layout.addWidget(self.chosen)
        self._fit()
        self._timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.search)
        self.edit.textEdited.connect(lambda _t: self._timer.start())
        self.edit.returnPressed.connect(self.pick_current)
        self.edit.installEventFilter(self)
        self.results.activated.connect(self._pick_index)
        self.setFocusProxy(self.edit)

    def _fit(self) -> None:
        self.results.setFixedHeight(self.fontMetrics().lineSpacing() * 5 + 8)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self.edit and event.type() == QEvent.Type.KeyPress
                and event.key() == Qt.Key.Key_Down and self.model.rowCount()):  # type: ignore[attr-defined]
            self.results.setFocus()
            self.results.setCurrentIndex(self.model.index(max(self.results.currentIndex().row(), 0)))
            return True
        return super().eventFilter(watched, event)

    def search(self) -> None:
        self._timer.stop()
        self._generation += 1
        generation, text = self._generation, self.edit.text().strip()
        if not text:
            self.model.set_rows([])
            self.results_shown.emit()
            return
        ctx = self.ctx
        query = SearchQuery(text=text, limit=SEARCH_LIMIT)

        def job(_token: object, _progress: object) -> SearchPage:
            with ctx.workspace.uow() as uow:
                return search_people(uow, ctx.actor, query, today=ctx.today())

        def done(page: SearchPage) -> None:
            if generation == self._generation:
                self.model.set_rows(page.rows)
                if page.rows:
                    self.results.setCurrentIndex(self.model.index(0))
                self.results_shown.emit()

        self._op = run_in_background(self, job, on_done=done)

    def pick_current(self) -> None:
        index = self.results.currentIndex()
        if not index.isValid() and self.model.rowCount():
            index = self.model.index(0)
        if index.isValid():
            self._pick_index(index)

    def _pick_index(self, index: QModelIndex) -> None:
        row: PersonRow = self.model.rows[index.row()]
        self.set_person(row.id, _("{name}（{area}，{id}）").format(
            name=row.name, area=row.area_name, id=row.id_number_masked))
        self.edit.setFocus()

    def set_person(self, person_id: uuid.UUID | None, description: str = "") -> None:
        self.person_id = person_id
        self.chosen.setText(_("已选：{who}").format(who=description) if person_id else _("尚未选择人员"))
        if person_id is not None:
            self.picked.emit(person_id)


class ColumnChecks(QWidget):
    """The roster's columns as tick boxes that wrap to the width, with 全选 and 恢复默认."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from liaison.reports.excel import DEFAULT_ROSTER_COLUMNS, ROSTER_COLUMNS

        self.defaults = tuple(DEFAULT_ROSTER_COLUMNS)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        boxes = QWidget()
        flow = FlowLayout(boxes, spacing=10)
        self.boxes: dict[str, QCheckBox] = {}
        for column in ROSTER_COLUMNS:
            box = QCheckBox(_(column.header))
            box.setChecked(column.key in self.defaults)
            flow.addWidget(box)
            self.boxes[column.key] = box
        buttons = QHBoxLayout()
        self.all_button = QPushButton(_("全选"))
        self.default_button = QPushButton(_("恢复默认"))
        for button in (self.all_button, self.default_button):
            button.setAutoDefault(False)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addWidget(boxes)
        layout.addLayout(buttons)
        self.all_button.clicked.connect(lambda: self.set_columns(list(self.boxes)))
        self.default_button.clicked.connect(lambda: self.set_columns(self.defaults))

    def columns(self) -> list[str]:
        return [key for key, box in self.boxes.items() if box.isChecked()]

    def set_columns(self, keys: Any) -> None:
        wanted = set(keys)
        for key, box in self.boxes.items():
            box.setChecked(key in wanted)


class ElidedLabel(QLabel):
    """One line; a text too long for it ends in "…" (the whole text is its tool tip)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def setText(self, text: str) -> None:  # type: ignore[override]
        super().setText(text)
        self.setToolTip(text)

    def paintEvent(self, _event) -> None:  # type: ignore[no-untyped-def]
        painter = QPainter(self)
        try:
            rect = self.contentsRect()
            shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
            painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), shown)
        finally:
            painter.end()


# --- the page ----------------------------------------------------------------------------------


class ReportsPage(QWidget):
    generated = Signal(object)  # a Generated on screen (tests wait on it)
    finished = Signal(str)  # every run's end: "done", "cancelled", "failed"
    cases_loaded = Signal()

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None, *,
                 temp_base: Path | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.files = ReportFiles(temp_base)
        # the folder goes with the page (a plain object's method: the widget is gone by then)
        self.destroyed.connect(self.files.cleanup)
        self.result: Generated | None = None
        self.warnings: tuple[str, ...] = ()
        self._run: Path | None = None
        self._op: Op | None = None
        self._cases_op: Op | None = None
        self._cases_generation = 0
        self._save_dir: Path | None = None
        self._sized = False  # the splitter is divided when first shown
        self._areas = self._area_list()
        self.forms: dict[ReportKind, FormGrid] = {}
        self._build()
        self._set_running(False)
        self.kind.value_changed.connect(self._kind_changed)
        ctx.events.changed.connect(self._data_changed)
        self._kind_changed()

    # --- building ------------------------------------------------------------------------

    def _area_list(self) -> list[tuple[uuid.UUID, str, str]]:
        """(id, full name, short name) of the county, townships and villages in the actor's
        scope: ctx.area_choices() and, for county staff, the county itself."""
        with self.ctx.workspace.uow() as uow:
            infos = list_areas(uow, self.ctx.actor)
        levels = (AreaLevel.COUNTY, AreaLevel.TOWNSHIP, AreaLevel.VILLAGE)
        return [(a.id, a.full_name or a.name, a.name) for a in infos if a.level in levels]

    def _default_area(self) -> uuid.UUID | None:
        """The actor's own area; for county staff the county (the first in the list)."""
        ids = [a for a, _f, _s in self._areas]
        scope = self.ctx.actor.scope_area_ids
        if scope:
            for area_id in ids:
                if area_id in scope:
                    return area_id
        return ids[0] if ids else None

    def _area_field(self) -> ChoiceField:
        field = ChoiceField([(a, full) for a, full, _short in self._areas])
        field.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        field.setMinimumContentsLength(AREA_CHARS)
        field.set_value(self._default_area())
        return field

    def _build(self) -> None:
        layout = QHBoxLayout(self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self._build_options())
        self.splitter.addWidget(self._build_preview())
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        layout.addWidget(self.splitter)

    def _build_options(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        top = self.top_form = FormGrid()
        top.layout().setContentsMargins(0, 0, 0, 0)
        self.kind = ChoiceField([(k, _(KIND_TEXT[k])) for k in ReportKind])
        top.add("kind", _("报表"), self.kind)
        top.labels["kind"].setText(_("报表(&B)："))
        layout.addWidget(top)
        # one options panel shown at a time; the others hidden, so they take no room (a stacked
        # widget would be as tall as the roster's columns wrapped to the width)
        self.stack = QWidget()
        stack_layout = QVBoxLayout(self.stack)
        stack_layout.setContentsMargins(0, 0, 0, 0)
        builders: dict[ReportKind, Callable[[], QWidget]] = {
            ReportKind.MONTHLY: self._build_monthly,
            ReportKind.PERSON: self._build_person,
            ReportKind.VISIT: self._build_visit,
            ReportKind.NOTICE: self._build_notice,
            ReportKind.ACCEPTANCE: lambda: self._build_case(ReportKind.ACCEPTANCE),
            ReportKind.REFERRAL: lambda: self._build_case(ReportKind.REFERRAL),
            ReportKind.ROSTER: self._build_roster,
        }
        self.option_pages: dict[ReportKind, QWidget] = {}
        for kind in ReportKind:
            page = builders[kind]()
            self.option_pages[kind] = page
            page.hide()
            stack_layout.addWidget(page)
        layout.addWidget(self.stack)

        buttons = QHBoxLayout()
        self.generate_button = QPushButton(_("生成并预览(&Y)"))
        self.generate_button.setToolTip(_("生成 PDF 并在右侧预览"))
        self.excel_button = QPushButton(_("导出 Excel(&E)"))
        self.excel_button.setToolTip(_("生成 Excel 文件并选择保存位置"))
        for button in (self.generate_button, self.excel_button):
            button.setAutoDefault(False)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

        running = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: the services report steps, not fractions
        self.progress.setTextVisible(False)
        self.progress.setAccessibleName(_("正在生成"))
        self.progress.setMaximumHeight(self.fontMetrics().height())
        self.cancel_button = QPushButton(_("取消(&C)"))
        self.cancel_button.setAutoDefault(False)
        running.addWidget(self.progress, 1)
        running.addWidget(self.cancel_button)
        layout.addLayout(running)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName(_("报表状态"))
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)
        layout.addStretch(1)

        self.generate_button.clicked.connect(lambda: self.generate(excel=False))
        self.excel_button.clicked.connect(lambda: self.generate(excel=True))
        self.cancel_button.clicked.connect(self.cancel)

        scroll = QScrollArea()
        scroll.setWidget(panel)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.options_scroll = scroll
        return scroll

    def _form(self, kind: ReportKind) -> FormGrid:
        form = FormGrid()
        form.layout().setContentsMargins(0, 0, 0, 0)
        self.forms[kind] = form
        return form

    def _options_page(self, form: FormGrid, *extras: QWidget) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(form)
        for extra in extras:
            layout.addWidget(extra)
        layout.addStretch(1)
        return page

    def _note(self, text: str = "") -> QLabel:
        note = QLabel(text)
        note.setWordWrap(True)
        note.setStyleSheet("color: #555555;")
        return note

    def _build_monthly(self) -> QWidget:
        form = self._form(ReportKind.MONTHLY)
        self.monthly_area = form.add("area", _("地区"), self._area_field())
        self.month = form.add("month", _("统计月份"), MonthField())
        self.month.set_value(*last_month(self.ctx.today()))
        self.prepared_by = form.add("prepared_by", _("填报人"), TextField())
        self.prepared_by.set_value(self.ctx.actor.display_name)
        self.checked_by = form.add("checked_by", _("审核人"), TextField())
        self.month_note = self._note()
        self.month.textChanged.connect(lambda _t: self._update_month_note())
        self._update_month_note()
        return self._options_page(form, self.month_note)

    def _update_month_note(self) -> None:
        today = self.ctx.today()
        try:
            year, month = self.month.value()
        except FieldValueError:
            self.month_note.setText("")
            return
        if (year, month) == (today.year, today.month):
            self.month_note.setText(_("本月尚未结束，统计截至今天（{d}）。").format(d=today.isoformat()))
        else:
            self.month_note.setText(_("按 ↑ ↓ 键可换月份。"))

    def _build_person(self) -> QWidget:
        form = self._form(ReportKind.PERSON)
        self.person_search = PersonSearch(self.ctx)
        form.add("person", _("查找人员"), self.person_search)
        self.person_search.edit.setAccessibleName(_("查找人员"))
        form.labels["person"].setBuddy(self.person_search.edit)
        form.labels["person"].setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.person_prepared_by = form.add("prepared_by", _("填表人"), TextField())
        self.person_prepared_by.set_value(self.ctx.actor.display_name)
        self.person_checked_by = form.add("checked_by", _("审核人"), TextField())
        self.person_reveal = QCheckBox(_("显示完整身份证号(&I)"))
        self.person_reveal.setToolTip(_("默认隐去出生日期和顺序码；只在需要核对时打印完整号码"))
        return self._options_page(form, self.person_reveal)

    def _build_visit(self) -> QWidget:
        form = self._form(ReportKind.VISIT)
        self.visit_unit = form.add("unit", _("填报单位"), TextField())
        own = self._default_area()
        self.visit_unit.set_value(next((full for a, full, _s in self._areas if a == own), ""))
        return self._options_page(form, self._note(_("打印空白的入户访视记录表，入户时手工填写。")))

    def _build_notice(self) -> QWidget:
        form = self._form(ReportKind.NOTICE)
        self.notice_area = form.add("area", _("地区"), self._area_field())
        self.notice_year = form.add("year", _("年度"), IntField(minimum=2000, maximum=2100))
        self.notice_year.set_value(self.ctx.today().year)
        self.notice_to = form.add("objections_to", _("受理单位"), TextField())
        self.notice_to.setToolTip(_("公示期间受理异议的单位，如 两家子村村委会"))
        self.notice_phone = form.add("phone", _("联系电话"), TextField())
        return self._options_page(form, self._note(
            _("公示期从今天起 7 天；名单中的身份证号一律隐去中间部分。留空的项目印成横线，可手写。")))

    def _build_case(self, kind: ReportKind) -> QWidget:
        form = self._form(kind)
        year = form.add("year", _("年度"), ChoiceField(year_choices(self.ctx.today())))
        year.set_value(self.ctx.today().year)
        case = form.add("case", _("案件"), ChoiceField([]))
        case.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        case.setMinimumContentsLength(AREA_CHARS)
        reveal = QCheckBox(_("显示完整身份证号(&I)"))
        note = self._note()
        year.value_changed.connect(lambda k=kind: self.load_cases(k))
        setattr(self, f"{kind.value}_year", year)
        setattr(self, f"{kind.value}_case", case)
        setattr(self, f"{kind.value}_reveal", reveal)
        setattr(self, f"{kind.value}_note", note)
        return self._options_page(form, reveal, note)

    def _build_roster(self) -> QWidget:
        form = self._form(ReportKind.ROSTER)
        self.roster_area = form.add("area", _("地区"), self._area_field())
        self.roster_columns = ColumnChecks()
        form.add("columns", _("导出列"), self.roster_columns, wide=False)
        form.labels["columns"].setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        form.labels["columns"].setBuddy(next(iter(self.roster_columns.boxes.values())))
        self.roster_reveal = QCheckBox(_("显示完整身份证号(&I)"))
        self.roster_reveal.setToolTip(_("默认隐去出生日期和顺序码"))
        self.roster_inactive = QCheckBox(_("包括迁出、死亡、注销的人员(&L)"))
        return self._options_page(form, self.roster_reveal, self.roster_inactive)

    def _build_preview(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        self.result_label = ElidedLabel()
        self.result_label.setAccessibleName(_("已生成的报表"))
        self.result_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        font = self.result_label.font()
        font.setBold(True)
        self.result_label.setFont(font)
        self.print_button = QPushButton(_("打印…(&D)"))
        self.save_button = QPushButton(_("另存为…(&S)"))
        for button in (self.print_button, self.save_button):
            button.setAutoDefault(False)
        head.addWidget(self.result_label, 1)
        head.addWidget(self.print_button)
        head.addWidget(self.save_button)
        layout.addLayout(head)

        self.warning_banner = QFrame()
        self.warning_banner.setObjectName("warningBanner")
        self.warning_banner.setStyleSheet(
            "#warningBanner { background: #fff4ce; border: 2px solid #c58a00; border-radius: 4px; }"
            " #warningBanner QLabel { color: #3d2c00; background: transparent; }")
        banner = QVBoxLayout(self.warning_banner)
        self.warning_title = QLabel()
        self.warning_title.setWordWrap(True)
        title_font = self.warning_title.font()
        title_font.setBold(True)
        self.warning_title.setFont(title_font)
        self.warning_text = QLabel()
        self.warning_text.setWordWrap(True)
        self.warning_text.setTextFormat(Qt.TextFormat.PlainText)
        self.warning_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                                  | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.warning_text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.all_warnings_button = QPushButton()
        self.all_warnings_button.setAutoDefault(False)
        self.all_warnings_button.clicked.connect(self.show_all_warnings)
        banner.addWidget(self.warning_title)
        banner.addWidget(self.warning_text)
        banner.addWidget(self.all_warnings_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.warning_banner.hide()
        layout.addWidget(self.warning_banner)

        self.preview = PdfPreview()
        self.preview.set_message(_("在左侧选择报表和条件，然后按“生成并预览”。"))
        layout.addWidget(self.preview, 1)
        self.print_button.clicked.connect(self.print_report)
        self.save_button.clicked.connect(self.save_as)
        self._show_result(None)
        return panel

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().showEvent(event)
        if not self._sized:
            self._sized = True
            self._fit_options()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange and self._sized:
            QTimer.singleShot(0, self._fit_options)  # once the children have their new fonts

    def _fit_options(self) -> None:
        """The options column as wide as its content needs (never clipped), about
        OPTIONS_CHARS characters if there is room, and the preview the rest."""
        # every options form's captions as wide as the widest, so the fields line up
        captions = [label for form in (self.top_form, *self.forms.values()) for label in form.labels.values()]
        for label in captions:
            label.setMinimumWidth(0)
        widest = max(label.sizeHint().width() for label in captions)
        for label in captions:
            label.setMinimumWidth(widest)
        panel = self.options_scroll.widget()
        bar = self.options_scroll.verticalScrollBar().sizeHint().width()
        frame = 2 * self.options_scroll.frameWidth()
        minimum = panel.minimumSizeHint().width() + bar + frame
        wanted = max(panel.sizeHint().width(), self.fontMetrics().horizontalAdvance("中") * OPTIONS_CHARS)
        total = max(self.splitter.width(), 1)
        options = max(minimum, min(wanted + bar + frame, int(total * OPTIONS_SHARE)))
        self.options_scroll.setMinimumWidth(minimum)
        self.splitter.setSizes([options, max(1, total - options)])

    # --- choosing ------------------------------------------------------------------------

    def _kind_changed(self) -> None:
        kind = self.current_kind()
        for other, page in self.option_pages.items():
            page.setVisible(other is kind)
        self.generate_button.setVisible(kind in PDF_KINDS)
        self.excel_button.setVisible(kind in EXCEL_KINDS)
        if kind in (ReportKind.ACCEPTANCE, ReportKind.REFERRAL) and not self._case_field(kind).count():
            self.load_cases(kind)

    def current_kind(self) -> ReportKind:
        return ReportKind(self.kind.value())

    def choose(self, kind: ReportKind) -> None:
        self.kind.set_value(kind)

    def show_person_report(self, person_id: uuid.UUID, description: str = "") -> None:
        """Prepare the person file of `person_id` (from a person's window or the roster)."""
        self.choose(ReportKind.PERSON)
        self.person_search.set_person(person_id, description)

    def _case_field(self, kind: ReportKind) -> ChoiceField:
        return getattr(self, f"{kind.value}_case")  # type: ignore[no-any-return]

    def load_cases(self, kind: ReportKind) -> None:
        """The cases of the chosen year, for the 验收单/转介单 pick list."""
        case_type = CaseType.MODIFICATION if kind is ReportKind.ACCEPTANCE else CaseType.REFERRAL
        year = getattr(self, f"{kind.value}_year").value()
        note: QLabel = getattr(self, f"{kind.value}_note")
        field = self._case_field(kind)
        note.setText(_("正在读取案件……"))
        self._cases_generation += 1
        generation = self._cases_generation
        ctx = self.ctx

        def job(_token: object, _progress: object) -> list[CaseRow]:
            with ctx.workspace.uow() as uow:
                return list_cases(uow, ctx.actor, case_type, CaseFilter(year=year), rules=ctx.rules,
                                  today=ctx.today()).rows

        def done(rows: list[CaseRow]) -> None:
            if generation != self._cases_generation:
                return
            chosen = field.value()
            field.clear()
            for row in sorted(rows, key=lambda r: (r.village, r.person_name, r.started_on)):
                field.addItem(_("{name} · {village} · {stage} · {on}").format(
                    name=row.person_name, village=row.village, stage=row.step_label or row.stage_label,
                    on=row.started_on.isoformat()), row.id)
            field.set_value(chosen)
            note.setText(_("共 {n} 件").format(n=len(rows)) if rows else _("该年度没有案件"))
            self.cases_loaded.emit()

        self._cases_op = run_in_background(self, job, on_done=done)

    def choose_case(self, kind: ReportKind, case_id: uuid.UUID) -> None:
        self.choose(kind)
        self._case_field(kind).set_value(case_id)

    def _data_changed(self, kind: str) -> None:
        if kind in ("case", "workspace"):
            for report in (ReportKind.ACCEPTANCE, ReportKind.REFERRAL):
                if self._case_field(report).count() or self.current_kind() is report:
                    self.load_cases(report)

    # --- generating ----------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._op is not None and self._op.running

    def generate(self, *, excel: bool = False) -> Op | None:
        """Generate the chosen report (its Excel form when `excel`) in the background."""
        if self.running:
            return None
        kind = self.current_kind()
        if excel and kind not in EXCEL_KINDS or not excel and kind not in PDF_KINDS:
            return None
        form = self.forms[kind]
        form.clear_errors()
        try:
            job = self._job(kind, excel)
        except _FormErrors as exc:
            self._show_field_errors(kind, exc.errors)
            self.status.setText(_("请先改正标出的内容。"))
            return None
        self._clear_result()
        run = self.files.new_run()
        self._run = run

        def work(token: CancelToken, progress: Callable[[str], None]) -> Generated:
            result = job(run, token, reporter(progress, token))
            if token.cancelled:  # pressed while the last step wrote the file
                raise Cancelled()
            return result

        self._set_running(True)
        self.status.setText(_("正在准备……"))
        op = run_in_background(self, work, on_done=lambda r: self._done(op, run, r),
                               on_error=lambda e: self._failed(op, run, kind, e))
        op.progress.connect(lambda text: self._progress(op, text))
        self._op = op
        return op

    def cancel(self) -> None:
        if self.running and self._op is not None:
            self._op.cancel()
            self.cancel_button.setEnabled(False)
            self.status.setText(_("正在取消……"))

    def _progress(self, op: Op, text: str) -> None:
        if op is self._op and not op.token.cancelled:
            self.status.setText(text)

    def _done(self, op: Op, run: Path, result: Generated) -> None:
        if op.token.cancelled:
            self._failed(op, run, result.kind, Cancelled())
            return
        self._set_running(False)
        self._show_result(result)
        if result.is_pdf:
            self.status.setText(_("已生成，共 {n} 页。可打印或另存为 PDF 文件。").format(n=result.pages))
        else:
            what = _("共 {n} 人").format(n=result.rows) if result.rows is not None else ""
            self.status.setText(_("Excel 文件已生成{what}，请选择保存位置。").format(
                what=_("（{w}）").format(w=what) if what else ""))
        self.generated.emit(result)
        self.finished.emit("done")
        if not result.is_pdf:
            self.save_as()  # an Excel file cannot be looked at here: straight to 另存为

    def _failed(self, op: Op, run: Path, kind: ReportKind, exc: BaseException) -> None:
        self._set_running(False)
        self.files.remove(run)
        if self._run == run:
            self._run = None
        if isinstance(exc, Cancelled):
            self.status.setText(_("已取消，没有生成文件。"))
            self.preview.set_message(_("已取消。"))
            self.finished.emit("cancelled")
            return
        self.preview.set_message(_("没有生成报表。"))
        if isinstance(exc, ValidationError):
            self.status.setText(_("没有生成，请改正标出的内容。"))
            self._show_field_errors(kind, exc.errors)
        else:
            message = describe_error(exc)
            self.status.setText(_("没有生成：{why}").format(why=message))
            Message.show_error(self, message)
        self.finished.emit("failed")

    def _show_field_errors(self, kind: ReportKind, errors: dict[str, str]) -> None:
        """Messages under the fields they name; any other as a message box."""
        form = self.forms[kind]
        under = {k: v for k, v in errors.items() if k in form.errors}
        first = form.set_errors(under)
        rest = [v for k, v in errors.items() if k not in form.errors]
        if rest:
            Message.show_error(self, "；".join(rest))
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    def _set_running(self, running: bool) -> None:
        self.progress.setVisible(running)
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(running)
        for widget in (self.generate_button, self.excel_button, self.kind, self.stack):
            widget.setEnabled(not running)
        has_file = self.result is not None and not running
        self.save_button.setEnabled(has_file)
        self.print_button.setEnabled(has_file and self.result is not None and self.result.is_pdf)

    def _clear_result(self) -> None:
        """Before a new run: the preview lets go of the old file, which is removed."""
        self.preview.close_document(_("正在生成……"))
        self._show_result(None)
        if self._run is not None:
            self.files.remove(self._run)
            self._run = None

    def _show_result(self, result: Generated | None) -> None:
        self.result = result
        if result is None:
            self.result_label.setText(_("预览"))
            self.warning_banner.hide()
        else:
            if result.is_pdf:
                self.result_label.setText(_("{title}（{n} 页）").format(title=result.title, n=result.pages))
                self.preview.load(result.path)
            else:
                self.result_label.setText(result.title)
                self.preview.close_document(_("Excel 文件不能在这里预览。\n已生成：{name}\n"
                                              "请按“另存为…”保存，再用 WPS 或 Excel 打开。").format(
                    name=result.file_name))
            self._show_warnings(result.warnings)
        self._set_running(False)

    def _show_warnings(self, warnings: tuple[str, ...]) -> None:
        """Above the preview, in words: the first few, and a button for all of them."""
        self.warnings = warnings
        if not warnings:
            self.warning_banner.hide()
            return
        self.warning_title.setText(_("⚠ 注意：{n} 处文字字库中没有，已打印为“□”").format(n=len(warnings)))
        self.warning_text.setText("\n".join("• " + w for w in warnings[:WARNINGS_SHOWN]))
        more = len(warnings) - WARNINGS_SHOWN
        self.all_warnings_button.setText(_("查看全部 {n} 处(&W)…").format(n=len(warnings)))
        self.all_warnings_button.setVisible(more > 0)
        self.warning_banner.show()

    def show_all_warnings(self) -> None:
        Message.show_info(self, "\n".join("• " + w for w in self.warnings))

    # --- the jobs --------------------------------------------------------------------------

    def _values(self, reads: dict[str, Callable[[], Any]]) -> dict[str, Any]:
        """Read every field; the errors of all of them at once."""
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for name, read in reads.items():
            try:
                values[name] = read()
            except FieldValueError as exc:
                errors[name] = str(exc)
        if errors:
            raise _FormErrors(errors)
        return values

    def _area_names(self, area_id: uuid.UUID | None) -> tuple[str, str]:
        for a, full, short in self._areas:
            if a == area_id:
                return full, short
        return "", ""

    def _job(self, kind: ReportKind, excel: bool) -> Callable[[Path, Any, Callable[[str], None]], Generated]:
        builder = {
            ReportKind.MONTHLY: self._monthly_job,
            ReportKind.PERSON: self._person_job,
            ReportKind.VISIT: self._visit_job,
            ReportKind.NOTICE: self._notice_job,
            ReportKind.ACCEPTANCE: lambda excel: self._case_job(ReportKind.ACCEPTANCE),
            ReportKind.REFERRAL: lambda excel: self._case_job(ReportKind.REFERRAL),
            ReportKind.ROSTER: self._roster_job,
        }[kind]
        return builder(excel)  # type: ignore[operator]

    def _monthly_job(self, excel: bool) -> Callable[..., Generated]:
        v = self._values({
            "area": lambda: self._required(self.monthly_area.value(), _("请选择乡镇或村")),
            "month": self.month.value,
            "prepared_by": self.prepared_by.value,
            "checked_by": self.checked_by.value,
        })
        year, month = v["month"]
        ctx, today = self.ctx, self.ctx.today()

        def job(run: Path, cancel: Any, progress: Callable[[str], None]) -> Generated:
            from liaison.reports.excel import write_monthly_xlsx
            from liaison.reports.monthly_pdf import write_monthly_pdf

            progress(_("正在统计 {y}年{m}月的数据……").format(y=year, m=month))
            with ctx.workspace.uow() as uow:
                summary = monthly_summary(uow, ctx.actor, year=year, month=month, rules=ctx.rules, today=today,
                                          area_id=v["area"], cancel=cancel)
            title = _("{area}残疾人工作月报（{p}）").format(area=summary.area_name, p=summary.period_label)
            name = safe_file_name(_("{area}月报-{y}年{m}月").format(area=summary.area_name, y=year, m=month))
            if excel:
                progress(_("正在写 Excel 文件……"))
                out = run / f"{name}.xlsx"
                write_monthly_xlsx(summary, out)
                return Generated(ReportKind.MONTHLY, out, title, out.name)
            progress(_("正在排版 PDF……"))
            out = run / f"{name}.pdf"
            result = write_monthly_pdf(summary, out, prepared_by=v["prepared_by"] or "",
                                       checked_by=v["checked_by"] or "", on=today)
            return Generated(ReportKind.MONTHLY, out, title, out.name, pages=result.pages,
                             warnings=tuple(result.warnings))

        return job

    @staticmethod
    def _required(value: Any, message: str) -> Any:
        if value is None:
            raise FieldValueError(message)
        return value

    def _person_job(self, _excel: bool) -> Callable[..., Generated]:
        v = self._values({
            "person": lambda: self._required(self.person_search.person_id,
                                             _("请输入姓名查找，并从结果中选择一人（回车或双击）")),
            "prepared_by": self.person_prepared_by.value,
            "checked_by": self.person_checked_by.value,
        })
        reveal = self.person_reveal.isChecked()
        ctx, today = self.ctx, self.ctx.today()

        def job(run: Path, _cancel: Any, progress: Callable[[str], None]) -> Generated:
            from liaison.core.services.persons import load_person
            from liaison.reports.forms import write_person_file_pdf

            progress(_("正在生成一人一档档案表……"))
            with ctx.workspace.uow() as uow:
                person = load_person(uow, ctx.actor, v["person"])
                name = person.name
                out = run / f"{safe_file_name(_('一人一档档案表-{name}').format(name=name))}.pdf"
                result = write_person_file_pdf(uow, ctx.actor, v["person"], out, rules=ctx.rules, today=today,
                                               reveal_id=reveal, prepared_by=v["prepared_by"] or "",
                                               checked_by=v["checked_by"] or "")
                uow.commit()  # a full-number printout is recorded on the audit trail
            return Generated(ReportKind.PERSON, out, _("一人一档档案表：{name}").format(name=name), out.name,
                             pages=result.pages, warnings=tuple(result.warnings))

        return job

    def _visit_job(self, _excel: bool) -> Callable[..., Generated]:
        v = self._values({"unit": self.visit_unit.value})
        today = self.ctx.today()

        def job(run: Path, _cancel: Any, progress: Callable[[str], None]) -> Generated:
            from liaison.reports.forms import write_visit_record_pdf

            progress(_("正在生成入户访视记录表……"))
            out = run / f"{safe_file_name(_('入户访视记录表'))}.pdf"
            result = write_visit_record_pdf(None, None, out, unit=v["unit"] or "", today=today)
            return Generated(ReportKind.VISIT, out, _("入户访视记录表（空白）"), out.name, pages=result.pages,
                             warnings=tuple(result.warnings))

        return job

    def _notice_job(self, _excel: bool) -> Callable[..., Generated]:
        v = self._values({
            "area": lambda: self._required(self.notice_area.value(), _("请选择地区")),
            "year": lambda: self._required(self.notice_year.value(), _("必须填写")),
            "objections_to": self.notice_to.value,
            "phone": self.notice_phone.value,
        })
        ctx, today = self.ctx, self.ctx.today()
        _full, short = self._area_names(v["area"])

        def job(run: Path, _cancel: Any, progress: Callable[[str], None]) -> Generated:
            from liaison.reports.forms import write_public_notice_pdf

            progress(_("正在生成公示名单……"))
            out = run / f"{safe_file_name(_('{area}{y}年度无障碍改造公示').format(area=short, y=v['year']))}.pdf"
            with ctx.workspace.uow() as uow:
                result = write_public_notice_pdf(uow, ctx.actor, out, rules=ctx.rules, today=today,
                                                 area_id=v["area"], year=v["year"],
                                                 objections_to=v["objections_to"] or "", phone=v["phone"] or "")
            return Generated(ReportKind.NOTICE, out, _("{area}{y}年度无障碍改造拟改造对象公示").format(
                area=short, y=v["year"]), out.name, pages=result.pages, warnings=tuple(result.warnings))

        return job

    def _case_job(self, kind: ReportKind) -> Callable[..., Generated]:
        field = self._case_field(kind)
        v = self._values({"case": lambda: self._required(field.value(), _("请选择案件"))})
        reveal = getattr(self, f"{kind.value}_reveal").isChecked()
        ctx, today = self.ctx, self.ctx.today()
        what = _("竣工验收单") if kind is ReportKind.ACCEPTANCE else _("康复转介单")
        who = field.currentText().split(" · ")[0]

        def job(run: Path, _cancel: Any, progress: Callable[[str], None]) -> Generated:
            from liaison.reports.forms import write_acceptance_pdf, write_referral_slip_pdf

            write = write_acceptance_pdf if kind is ReportKind.ACCEPTANCE else write_referral_slip_pdf
            progress(_("正在生成{what}……").format(what=what))
            out = run / f"{safe_file_name(f'{what}-{who}')}.pdf"
            with ctx.workspace.uow() as uow:
                result = write(uow, ctx.actor, ctx.workspace.files, v["case"], out, rules=ctx.rules, today=today,
                               reveal_id=reveal)
                uow.commit()  # a full-number printout is recorded on the audit trail
            return Generated(kind, out, _("{what}：{who}").format(what=what, who=who), out.name,
                             pages=result.pages, warnings=tuple(result.warnings))

        return job

    def _roster_job(self, _excel: bool) -> Callable[..., Generated]:
        v = self._values({
            "area": lambda: self._required(self.roster_area.value(), _("请选择地区")),
            "columns": lambda: self._required(self.roster_columns.columns() or None, _("至少选择一列")),
        })
        reveal = self.roster_reveal.isChecked()
        inactive = self.roster_inactive.isChecked()
        ctx, today = self.ctx, self.ctx.today()
        _full, short = self._area_names(v["area"])

        def job(run: Path, cancel: Any, progress: Callable[[str], None]) -> Generated:
            from liaison.reports.excel import write_roster_xlsx

            progress(_("正在导出花名册……"))
            out = run / f"{safe_file_name(_('{area}花名册-{d}').format(area=short, d=today.isoformat()))}.xlsx"
            with ctx.workspace.uow() as uow:
                area_ids = frozenset(subtree_ids(uow.session, [v["area"]]))
                result = write_roster_xlsx(uow, ctx.actor, out, today=today, area_ids=area_ids, area_name=short,
                                           columns=v["columns"], reveal_id=reveal, include_inactive=inactive,
                                           cancel=cancel)
                uow.commit()  # a full-number printout is recorded on the audit trail
            return Generated(ReportKind.ROSTER, out, _("{area}残疾人花名册（{n} 人）").format(
                area=short, n=result.rows), out.name, rows=result.rows)

        return job

    # --- printing and saving -------------------------------------------------------------------

    def make_printer(self) -> QPrinter:
        return QPrinter(QPrinter.PrinterMode.HighResolution)

    def print_report(self) -> int:
        """Print the previewed PDF; returns the number of pages sent."""
        result = self.result
        if result is None or not result.is_pdf or self.running:
            return 0
        printer = self.make_printer()
        pages = prepare_printer(printer, result.path, result.title)
        if not PrintChoice.ask(self, printer, pages):
            return 0
        first, last = 1, pages
        if printer.printRange() == QPrinter.PrintRange.PageRange:
            first, last = printer.fromPage() or 1, printer.toPage() or pages
        self.status.setText(_("正在打印……"))
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            printed = print_pdf(result.path, printer, first=first, last=last)
        except LiaisonError as exc:
            self.status.setText(exc.message)
            Message.show_error(self, exc.message)
            return 0
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.status.setText(_("已送往打印机，共 {n} 页。").format(n=printed))
        return printed

    def save_as(self) -> Path | None:
        """Copy the generated file where the person chooses."""
        result = self.result
        if result is None or self.running:
            return None
        suffix = result.path.suffix.lower()
        file_filter = _("PDF 文件 (*.pdf)") if suffix == ".pdf" else _("Excel 文件 (*.xlsx)")
        folder = self._save_dir or Path(QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation) or Path.home())
        chosen = SaveChoice.ask(self, _("另存为"), folder / result.file_name, file_filter)
        if chosen is None:
            return None
        if chosen.suffix.lower() != suffix:
            chosen = chosen.with_name(chosen.name + suffix)
        try:
            shutil.copyfile(result.path, chosen)
        except OSError as exc:
            message = _("无法保存到 {path}：{why}").format(path=chosen, why=exc.strerror or exc)
            self.status.setText(message)
            Message.show_error(self, message)
            return None
        self._save_dir = chosen.parent
        self.status.setText(_("已保存到 {path}").format(path=chosen))
        return chosen
