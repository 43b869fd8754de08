"""数据交换: moving data between a village (or township) and the county on a USB stick.

At the top, what this workspace is (not joined / a village or township device / the county
hub), its fingerprint, and how many conflicts and duplicate people wait for a decision.

- Not joined: join the county with its SETUP.json and the area this device works for, or —
  county staff — make this workspace the county hub and save the SETUP.json for the villages.
- A device: export everything the county has not acknowledged yet to a folder (in the
  background, with 取消), import the county's replies, and the packages sent and
  acknowledged — what was sent but not acknowledged is marked, it goes again next time.
- The county hub: import many packages at once (试导入 possible); an unknown device is
  registered only after its fingerprint was checked on the phone; write replies; the
  registered devices.
- After an import, a report per package in the spirit of DHIS2; conflicts and duplicate
  people side by side, to decide one by one.

Files and many rows are handled off the GUI thread (liaison/gui/ops.py). The key store may
need a passphrase; it is asked on the GUI thread before any background work starts.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QPoint, QSize, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select

from liaison.bootstrap import Workspace
from liaison.core.enums import AreaLevel, UserRole
from liaison.core.errors import LiaisonError
from liaison.core.i18n import _
from liaison.core.models import Person, SyncDevice, SyncDuplicate, SyncPackage
from liaison.core.progress import Cancelled, CancelToken
from liaison.core.rules.idnumber import mask_cert_number, mask_id_number
from liaison.core.secrets import SecretError, SecretStore
from liaison.core.services import settings
from liaison.core.services.areas import area_directory
from liaison.core.services.audit import MASKED_FIELDS
from liaison.core.services.sync_apply import (
    MODELS,
    decide_duplicate,
    open_conflicts,
    open_duplicates,
    resolve_conflict,
)
from liaison.core.sync_records import TABLE_LABELS, encode_row
from liaison.gui.context import GuiContext
from liaison.gui.dialogs import Confirm, Message
from liaison.gui.exchange_dialogs import (
    ACTION_LABELS,
    BAD_STATUSES,
    DIRECTION_LABELS,
    KIND_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    WARNING_COLOUR,
    PassphraseDialog,
    ToneTableModel,
    confirm_device,
    counts_text,
    local_time,
    package_status_text,
)
from liaison.gui.fields import ChoiceField, FormGrid, TextField
from liaison.gui.flow_layout import FlowLayout
from liaison.gui.ops import Op, describe_error, run_in_background
from liaison.gui.person_file_sections import caption, format_value
from liaison.sync.exchange import (
    AREA,
    HUB,
    ROLE,
    ExportResult,
    ImportResult,
    ReplyResult,
    enrol,
    export_changes,
    hub_init,
    import_package,
    secret_store,
    write_replies,
)
from liaison.sync.keys import Identity, load_identity
from liaison.sync.package import Header, PackageRefused, peek_header

PACKAGES_SHOWN = 200  # the newest packages in the list
TAB_LINES = 20  # the lists and the side-by-side view are at least this many text lines high
REPORT_ROWS = 3  # the packages of an import shown without scrolling
RECORDS_NAMED = 2000  # report rows whose person is looked up by name
HUB_ROLES = frozenset({UserRole.COUNTY_STAFF, UserRole.ADMIN})
# what is set side by side for a duplicate person
COMPARED = ("name", "born", "area", "disability", "phone")  # the ID number is the same


# --- what the page shows, read in one go ------------------------------------------------------


@dataclass(frozen=True)
class PackageRow:
    direction: str
    kind: str
    seq: int
    status: str
    file_name: str
    created_at: datetime
    acknowledged_at: datetime | None

    @property
    def pending(self) -> bool:
        return self.direction == "out" and self.status == "written"


@dataclass(frozen=True)
class DeviceRow:
    name: str
    area_code: str
    fingerprint: str
    last_seq: int
    registered_at: datetime


@dataclass(frozen=True)
class ConflictRow:
    id: uuid.UUID
    record: str  # whose record: "王秀兰" or "王秀兰（走访记录）"
    field_caption: str
    base: str
    local: str
    remote: str
    source: str
    created_at: datetime


@dataclass(frozen=True)
class DuplicateRow:
    id: uuid.UUID
    id_masked: str
    existing: dict[str, str]  # COMPARED field → text
    incoming: dict[str, str]
    held: dict[str, int]  # table label → number of records waiting with the person
    source: str
    created_at: datetime

    @property
    def held_total(self) -> int:
        return sum(self.held.values())


@dataclass
class ExchangeState:
    role: str | None = None
    county: str | None = None  # the hub a device joined
    hub_fingerprint: str | None = None
    area_code: str | None = None
    area_name: str | None = None
    packages: list[PackageRow] = field(default_factory=list)
    devices: list[DeviceRow] = field(default_factory=list)
    conflicts: list[ConflictRow] = field(default_factory=list)
    duplicates: list[DuplicateRow] = field(default_factory=list)

    @property
    def pending(self) -> list[PackageRow]:
        """Sent and not acknowledged: their changes go again with the next export."""
        return [p for p in self.packages if p.pending]


def _plain(value: Any) -> str:
    if value is None or value == "":
        return _("（空）")
    if isinstance(value, bool):
        return _("是") if value else _("否")
    return str(value)


def _value_text(entity: str, name: str, value: Any, areas: Any) -> str:
    if name == "id_number" and value:
        return mask_id_number(str(value))
    if name == "cert_number" and value:
        return mask_cert_number(str(value))
    if entity == "person":
        return format_value(name, value, areas)
    return _plain(value)


def _person_name(session: Any, entity: str, entity_id: uuid.UUID) -> str | None:
    model = MODELS.get(entity)
    obj = session.get(model, entity_id) if model is not None else None
    if obj is None:
        return None
    if entity == "person":
        return str(obj.name)
    person_id = getattr(obj, "person_id", None)
    if person_id is None and getattr(obj, "case_id", None) is not None:
        case = session.get(MODELS["modification_case"], obj.case_id)
        person_id = case.person_id if case is not None else None
    person = session.get(Person, person_id) if person_id is not None else None
    return str(person.name) if person is not None else None


def _person_summary(values: dict[str, Any], area: str, areas: Any) -> dict[str, str]:
    """A person's row (JSON form) in the words of COMPARED."""
    def text(name: str) -> str:
        return _value_text("person", name, values.get(name), areas)

    disability = text("category")
    if values.get("grade") is not None:
        disability += " " + text("grade")
    return {"name": text("name"), "born": f"{text('sex')}，{text('birth_date')}", "id_number": text("id_number"),
            "area": area, "disability": disability, "phone": text("phone")}


def outcome_text(outcome: Any) -> str:
    """The explanation of a reported record, field names in words."""
    if outcome.fields and outcome.action == "conflict":
        return _("双方都改了：{f}").format(f="、".join(caption(f) for f in outcome.fields))
    if outcome.fields and outcome.action == "updated":
        return _("改了：{f}").format(f="、".join(caption(f) for f in outcome.fields))
    return str(outcome.detail)


def load_state(ws: Workspace) -> ExchangeState:
    state = ExchangeState()
    with ws.uow() as uow:
        session = uow.session
        state.role = settings.get_setting(session, ROLE)
        hub = settings.get_setting(session, HUB)
        if hub:
            state.county, state.hub_fingerprint = hub.get("county"), hub.get("fingerprint")
        areas = area_directory(uow)
        by_code = {info.code: info for info in areas.values()}
        state.area_code = settings.get_setting(session, AREA)
        if state.area_code:
            info = by_code.get(state.area_code)
            state.area_name = info.name if info else None
        state.packages = [
            PackageRow(p.direction, p.kind, p.seq, p.status, p.file_name, p.created_at, p.acknowledged_at)
            for p in session.scalars(select(SyncPackage).order_by(SyncPackage.created_at.desc(),
                                                                  SyncPackage.seq.desc()).limit(PACKAGES_SHOWN))]
        devices = list(session.scalars(select(SyncDevice).order_by(SyncDevice.area_code, SyncDevice.name)))
        state.devices = [DeviceRow(d.name, d.area_code, d.fingerprint, d.last_seq, d.registered_at) for d in devices]
        names = {d.device_id: d.name for d in devices}

        def source(device_id: str) -> str:
            if state.role == "device":
                return _("县级数据中心")
            return names.get(device_id) or _("设备 {d}").format(d=device_id[:8])

        for c in open_conflicts(uow):
            who = _person_name(session, c.entity, c.entity_id) or _("记录 {r}").format(r=str(c.entity_id)[:8])
            if c.entity != "person":
                who += _("（{t}）").format(t=TABLE_LABELS.get(c.entity, c.entity))
            local = _value_text(c.entity, c.field, c.local_value, areas)
            remote = _value_text(c.entity, c.field, c.remote_value, areas)
            if c.field in MASKED_FIELDS and c.local_value and c.remote_value:
                # masked numbers can look alike where they differ (the birth date): say which it is
                same = str(c.local_value) == str(c.remote_value)
                note = _("（两个号码相同）") if same else _("（两个号码不同）")
                local, remote = local + note, remote + note
            state.conflicts.append(ConflictRow(
                c.id, who, caption(c.field), _value_text(c.entity, c.field, c.base_value, areas),
                local, remote, source(c.device_id), c.created_at))
        for d in open_duplicates(uow):
            existing = session.get(Person, d.existing_person_id)
            mine: dict[str, str] = {}
            if existing is not None:
                info = areas.get(existing.area_id)
                mine = _person_summary(encode_row("person", existing), info.full_name if info else "", areas)
            raw = d.records[0][1] if d.records and d.records[0][0] == "person" else {}
            code = raw.get("area_code")
            info = by_code.get(str(code)) if code else None
            theirs = _person_summary(raw, info.full_name if info else _plain(code), areas)
            held = Counter(TABLE_LABELS.get(t, t) for t, _raw in d.records if t != "person")
            state.duplicates.append(DuplicateRow(d.id, mask_id_number(d.id_number), mine, theirs, dict(held),
                                                 source(d.device_id), d.created_at))
    return state


# --- the background work ----------------------------------------------------------------------


class _NeedsPassphrase(Exception):
    """Raised instead of asking, when the page only wants to know what is there."""


@dataclass
class ShownResult:
    """One package's import and the names of the people its reported records belong to."""

    result: ImportResult
    names: dict[str, str] = field(default_factory=dict)

    @property
    def outcomes(self) -> list[Any]:
        report = self.result.report
        return [o for o in (report.outcomes if report else []) if o.action not in ("unchanged", "created")]

    def record_text(self, outcome: Any) -> str:
        return self.names.get(outcome.record_id) or _("记录 {r}").format(r=outcome.record_id[:8])


def record_names(ws: Workspace, result: ImportResult) -> dict[str, str]:
    """Whose records the report lists (those still in the workspace after the import)."""
    shown = ShownResult(result).outcomes[:RECORDS_NAMED]
    names: dict[str, str] = {}
    if not shown:
        return names
    with ws.uow() as uow:
        held: dict[str, str] = {}  # records waiting with a duplicate person → that person's name
        if any(o.action in ("duplicate", "held") for o in shown):
            for duplicate in uow.session.scalars(select(SyncDuplicate).where(SyncDuplicate.status == "open")):
                rows = duplicate.records or []
                person = rows[0][1] if rows and rows[0][0] == "person" else {}
                for _table, row in rows:
                    if isinstance(row, dict) and "id" in row:
                        held[str(row["id"])] = str(person.get("name") or "")
        for outcome in shown:
            if held.get(outcome.record_id):
                names[outcome.record_id] = held[outcome.record_id]
                continue
            try:
                record_id = uuid.UUID(outcome.record_id)
            except ValueError:
                continue
            name = _person_name(uow.session, outcome.table, record_id)
            if name is not None:
                names[outcome.record_id] = name
    return names


# --- the page ---------------------------------------------------------------------------------


def _button(text: str) -> QPushButton:
    button = QPushButton(text)
    button.setAutoDefault(False)
    return button


def _table(model: ToneTableModel, name: str) -> QTableView:
    table = QTableView()
    table.setModel(model)
    table.setAccessibleName(name)
    table.setTabKeyNavigation(False)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    model.modelReset.connect(table.resizeColumnsToContents)
    return table


def _fit_rows(table: QTableView, most: int) -> None:
    """As tall as its rows, from one up to `most`."""
    rows = max(1, min(table.model().rowCount(), most))
    row = table.verticalHeader().defaultSectionSize()
    header = table.horizontalHeader().sizeHint().height()
    scroll = table.horizontalScrollBar().sizeHint().height()
    table.setFixedHeight(header + rows * row + scroll + 2 * table.frameWidth() + 2)


def _selectable(label: QLabel) -> QLabel:
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                  | Qt.TextInteractionFlag.TextSelectableByKeyboard)
    return label


def _scrolled(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(widget)
    return area


class _Tabs(QTabWidget):
    """Asks for no more height than its minimum: the page's scroll area then scrolls only when
    that minimum does not fit, and otherwise gives the tabs all the room there is."""

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self.minimumHeight())


class ExchangePage(QWidget):
    finished = Signal(str)  # a background job ended: "export", "import", "reply" (tests wait on it)

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.state = ExchangeState()
        self.results: list[ShownResult] = []
        self._op: Op | None = None
        self._store: SecretStore | None = None
        self._quiet = False
        self._fingerprint: str | None = None
        self._last_dir = ""
        self._review: list[tuple[str, Any]] = []
        self.setAccessibleName(_("数据交换"))
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        content = QWidget()
        layout = QVBoxLayout(content)
        self.status_label = _selectable(QLabel())
        self.status_label.setAccessibleName(_("数据交换状态"))
        layout.addWidget(self.status_label)
        fingerprint_row = QHBoxLayout()
        self.fingerprint_label = _selectable(QLabel())
        self.fingerprint_label.setAccessibleName(_("指纹"))
        fingerprint_row.addWidget(self.fingerprint_label, 1)
        self.fingerprint_button = _button(_("显示本机指纹(&K)…"))
        self.fingerprint_button.setToolTip(_("本机的密钥用口令保护，输入口令后显示指纹"))
        self.fingerprint_button.clicked.connect(self.show_fingerprint)
        fingerprint_row.addWidget(self.fingerprint_button)
        layout.addLayout(fingerprint_row)
        layout.addWidget(self._build_actions())
        layout.addWidget(self._build_progress())
        self.result_label = _selectable(QLabel())
        self.result_label.setAccessibleName(_("上次操作的结果"))
        self.result_label.hide()
        layout.addWidget(self.result_label)
        # not joined: how to join; joined: the lists (only one of them is shown)
        self.join_panel = self._build_join()
        layout.addWidget(self.join_panel, 1)
        layout.addWidget(self._build_tabs(), 1)
        # at a large font the page scrolls as a whole, so that the lists keep enough rows
        self.scroll_area = _scrolled(content)
        outer.addWidget(self.scroll_area)
        self._fit()
        self.reload()

    def _fit(self) -> None:
        line = self.fontMetrics().lineSpacing()
        self.tabs.setMinimumHeight(line * TAB_LINES)
        self.progress_bar.setMaximumWidth(self.fontMetrics().averageCharWidth() * 20)
        _fit_rows(self.report_table, REPORT_ROWS)

    # --- building ----------------------------------------------------------------------------

    def _build_actions(self) -> QWidget:
        box = QWidget()
        flow = FlowLayout(box)
        self.export_button = _button(_("导出到 U 盘(&E)…"))
        self.export_button.setToolTip(_("把县里尚未确认收到的全部修改写成一个加密的数据包"))
        self.export_button.clicked.connect(self.export)
        self.import_replies_button = _button(_("导入县里的回执(&I)…"))
        self.import_replies_button.clicked.connect(self.choose_packages)
        self.import_button = _button(_("导入数据包(&I)…"))
        self.import_button.setToolTip(_("可以一次选择多个村、乡镇的数据包"))
        self.import_button.clicked.connect(self.choose_packages)
        self.dry_run = QCheckBox(_("试导入，只检查不改动(&D)"))
        self.reply_button = _button(_("写回执(&R)…"))
        self.reply_button.setToolTip(_("为每台有新消息的设备写一个回执数据包：确认收到的序号和县里的修改"))
        self.reply_button.clicked.connect(self.write_reply)
        for widget in (self.export_button, self.import_replies_button, self.import_button, self.dry_run,
                       self.reply_button):
            flow.addWidget(widget)
        return box

    def _build_progress(self) -> QWidget:
        self.progress_box = QWidget()
        row = QHBoxLayout(self.progress_box)
        row.setContentsMargins(0, 0, 0, 0)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setMaximumWidth(self.fontMetrics().averageCharWidth() * 20)
        self.progress_label = QLabel()
        self.cancel_button = _button(_("取消(&C)"))
        self.cancel_button.clicked.connect(self.cancel)
        row.addWidget(self.progress_bar)
        row.addWidget(self.progress_label, 1)
        row.addWidget(self.cancel_button)
        self.progress_box.hide()
        return self.progress_box

    def _build_join(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        join = QGroupBox(_("加入县级数据中心（村、乡镇）"))
        join_layout = QVBoxLayout(join)
        join_layout.addWidget(_selectable(QLabel(_(
            "村、乡镇的数据用 U 盘交给县残联的数据中心。先选好本机负责的村或乡镇，再选县残联给的配置文件"
            "（SETUP.json）。加入后本机会显示一个指纹，请打电话念给县残联核对。"))))
        grid = FormGrid()
        self.area_choice = ChoiceField([])
        grid.add("area", _("本机负责的村或乡镇"), self.area_choice)
        join_layout.addWidget(grid)
        self.join_button = _button(_("加入县级数据中心(&J)…"))
        self.join_button.clicked.connect(self.join)
        row = QHBoxLayout()
        row.addWidget(self.join_button)
        row.addStretch(1)
        join_layout.addLayout(row)
        layout.addWidget(join)
        self.hub_box = QGroupBox(_("设为县级数据中心（县残联）"))
        hub_layout = QVBoxLayout(self.hub_box)
        hub_layout.addWidget(_selectable(QLabel(_(
            "县残联的电脑：设为数据中心后，保存的配置文件（SETUP.json）复制给各村、乡镇用来加入。"
            "设为数据中心后，本工作区不能再作为村（乡镇）设备加入。"))))
        hub_grid = FormGrid()
        self.county_name = TextField()
        self.county_name.setMaxLength(50)
        hub_grid.add("county", _("县（区）名称"), self.county_name)
        hub_layout.addWidget(hub_grid)
        self.hub_button = _button(_("设为县级数据中心(&S)…"))
        self.hub_button.clicked.connect(self.make_hub)
        row = QHBoxLayout()
        row.addWidget(self.hub_button)
        row.addStretch(1)
        hub_layout.addLayout(row)
        layout.addWidget(self.hub_box)
        layout.addStretch(1)
        return panel

    def _build_tabs(self) -> QTabWidget:
        self.tabs = _Tabs()
        # packages sent and received
        packages = QWidget()
        box = QVBoxLayout(packages)
        self.pending_label = _selectable(QLabel())
        box.addWidget(self.pending_label)
        self.packages_model = ToneTableModel([
            (_("方向"), lambda p: _(DIRECTION_LABELS.get(p.direction, p.direction))),
            (_("类别"), lambda p: _(KIND_LABELS.get(p.kind, p.kind))),
            (_("序号"), lambda p: str(p.seq)),
            (_("状态"), lambda p: package_status_text(p.direction, p.kind, p.status)),
            (_("文件"), lambda p: p.file_name),
            (_("时间"), lambda p: local_time(p.created_at)),
        ], tone=lambda p: "warning" if p.pending else None, parent=self)
        self.packages_table = _table(self.packages_model, _("数据包往来"))
        box.addWidget(self.packages_table, 1)
        self.tabs.addTab(packages, _("数据包往来"))
        # devices (hub)
        devices = QWidget()
        box = QVBoxLayout(devices)
        self.devices_model = ToneTableModel([
            (_("名称"), lambda d: d.name),
            (_("地区代码"), lambda d: d.area_code),
            (_("指纹"), lambda d: d.fingerprint),
            (_("最新序号"), lambda d: str(d.last_seq)),
            (_("登记时间"), lambda d: local_time(d.registered_at)),
        ], parent=self)
        self.devices_table = _table(self.devices_model, _("已登记的设备"))
        box.addWidget(self.devices_table, 1)
        self.devices_tab = devices
        self.tabs.addTab(devices, _("已登记的设备"))
        self.report_tab = self._build_report()
        self.tabs.addTab(self.report_tab, _("导入报告"))
        self.review_tab = self._build_review()
        self.tabs.addTab(self.review_tab, _("冲突与重复"))
        return self.tabs

    def _build_report(self) -> QWidget:
        tab = QWidget()
        box = QVBoxLayout(tab)
        self.report_hint = _selectable(QLabel(_("还没有导入数据包。导入后，这里列出每个数据包的结果。")))
        box.addWidget(self.report_hint)
        self.report_model = ToneTableModel([
            (_("文件"), lambda r: r.result.path.name),
            (_("状态"), lambda r: _(STATUS_LABELS.get(r.result.status, r.result.status))),
            (_("序号"), lambda r: "" if r.result.seq is None else str(r.result.seq)),
            (_("记录"), lambda r: counts_text(dict(r.result.counts))),
            (_("说明"), lambda r: r.result.message),
        ], tone=self._report_tone, parent=self)
        self.report_table = _table(self.report_model, _("导入的数据包"))
        self.report_table.selectionModel().currentRowChanged.connect(lambda current, _prev: self._show_package(
            current.row()))
        self.report_detail = _selectable(QLabel())
        self.report_detail.setAccessibleName(_("数据包的导入结果"))
        self.records_model = ToneTableModel([
            (_("类别"), lambda o: _(TABLE_LABELS.get(o[1].table, o[1].table))),
            (_("记录"), lambda o: o[0].record_text(o[1])),
            (_("结果"), lambda o: _(ACTION_LABELS.get(o[1].action, o[1].action))),
            (_("说明"), lambda o: outcome_text(o[1])),
        ], tone=lambda o: "error" if o[1].action == "error" else (
            "warning" if o[1].action in ("conflict", "duplicate") else None), parent=self)
        self.records_table = _table(self.records_model, _("需要注意的记录"))
        self.save_report_button = _button(_("保存导入报告(&W)…"))
        self.save_report_button.setEnabled(False)
        self.save_report_button.clicked.connect(self.save_report)
        box.addWidget(self.save_report_button, 0, Qt.AlignmentFlag.AlignLeft)
        box.addWidget(self.report_table)
        box.addWidget(self.report_detail)
        box.addWidget(self.records_table, 1)
        return tab

    def _build_review(self) -> QWidget:
        tab = QWidget()
        box = QVBoxLayout(tab)
        self.review_hint = _selectable(QLabel())
        box.addWidget(self.review_hint)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.review_list = QListWidget()
        self.review_list.setAccessibleName(_("待处理的冲突和疑似重复人员"))
        self.review_list.currentRowChanged.connect(self._show_review)
        split.addWidget(self.review_list)
        self.review_stack = QStackedWidget()
        none = _selectable(QLabel(_("在左边选一项，这里并排显示两边的内容。")))
        none.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.review_stack.addWidget(none)
        self.review_stack.addWidget(_scrolled(self._build_conflict_panel()))
        self.review_stack.addWidget(_scrolled(self._build_duplicate_panel()))
        split.addWidget(self.review_stack)
        split.setChildrenCollapsible(False)
        split.setStretchFactor(1, 2)
        box.addWidget(split, 1)
        return tab

    def _build_conflict_panel(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        self.conflict_title = _selectable(QLabel())
        font = self.conflict_title.font()
        font.setBold(True)
        self.conflict_title.setFont(font)
        layout.addWidget(self.conflict_title)
        self.conflict_source = _selectable(QLabel())
        layout.addWidget(self.conflict_source)
        grid = QGridLayout()
        self.conflict_values: dict[str, QLabel] = {}
        for column, (key, title) in enumerate((("base", _("原值（上次交换时）")), ("local", _("本机的值")),
                                               ("remote", _("对方的值")))):
            heading = QLabel(title)
            heading.setWordWrap(True)
            grid.addWidget(heading, 0, column)
            value = _selectable(QLabel())
            value.setFrameShape(QFrame.Shape.StyledPanel)
            value.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            value.setAccessibleName(title)
            value.setMargin(4)
            grid.addWidget(value, 1, column)
            grid.setColumnStretch(column, 1)
            self.conflict_values[key] = value
        self.keep_local_button = _button(_("保留本机(&L)"))
        self.keep_local_button.clicked.connect(lambda: self.resolve("local"))
        self.take_remote_button = _button(_("采用对方(&T)"))
        self.take_remote_button.clicked.connect(lambda: self.resolve("remote"))
        grid.addWidget(self.keep_local_button, 2, 1)
        grid.addWidget(self.take_remote_button, 2, 2)
        layout.addLayout(grid)
        layout.addStretch(1)
        return panel

    def _build_duplicate_panel(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        self.duplicate_title = _selectable(QLabel())
        font = self.duplicate_title.font()
        font.setBold(True)
        self.duplicate_title.setFont(font)
        layout.addWidget(self.duplicate_title)
        self.duplicate_source = _selectable(QLabel())
        layout.addWidget(self.duplicate_source)
        grid = QGridLayout()
        grid.addWidget(QLabel(_("已有档案")), 0, 1)
        grid.addWidget(QLabel(_("新来的记录")), 0, 2)
        self.duplicate_cells: dict[str, tuple[QLabel, QLabel]] = {}
        captions = {"name": _("姓名"), "born": _("性别、出生日期"), "area": _("村（社区）"), "disability": _("残疾类别、等级"), "phone": _("联系电话")}
        for row, name in enumerate(COMPARED, start=1):
            grid.addWidget(QLabel(captions[name]), row, 0)
            cells = (_selectable(QLabel()), _selectable(QLabel()))
            grid.addWidget(cells[0], row, 1)
            grid.addWidget(cells[1], row, 2)
            self.duplicate_cells[name] = cells
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        layout.addLayout(grid)
        self.duplicate_held = _selectable(QLabel())
        layout.addWidget(self.duplicate_held)
        note_row = QHBoxLayout()
        note_caption = QLabel(_("说明(&N)："))
        self.duplicate_note = TextField()
        self.duplicate_note.setMaxLength(200)
        self.duplicate_note.setPlaceholderText(_("如“已迁入本村”或“身份证号录错”"))
        self.duplicate_note.setAccessibleName(_("核对说明"))
        note_caption.setBuddy(self.duplicate_note)
        note_row.addWidget(note_caption)
        note_row.addWidget(self.duplicate_note, 1)
        layout.addLayout(note_row)
        buttons = QHBoxLayout()
        self.merge_button = _button(_("同一人，合并(&M)"))
        self.merge_button.setToolTip(_("随附的走访、需求等记录并入已有档案"))
        self.merge_button.clicked.connect(lambda: self.decide("merge"))
        self.discard_button = _button(_("录入错误，不导入(&X)"))
        self.discard_button.setToolTip(_("随附的记录不导入（仍保留在核对记录里）"))
        self.discard_button.clicked.connect(lambda: self.decide("discard"))
        buttons.addWidget(self.merge_button)
        buttons.addWidget(self.discard_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(1)
        return panel

    # --- showing -----------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the role, the packages, the devices and what waits for a decision."""
        self.state = state = load_state(self.ctx.workspace)
        joined = state.role is not None
        self.join_panel.setVisible(not joined)
        self.tabs.setVisible(joined)
        device, hub = state.role == "device", state.role == "hub"
        for widget, shown in ((self.export_button, device), (self.import_replies_button, device),
                              (self.import_button, hub), (self.dry_run, hub), (self.reply_button, hub)):
            widget.setVisible(shown)
        self.tabs.setTabVisible(self.tabs.indexOf(self.devices_tab), hub)
        self._show_status()
        self._show_packages()
        self.devices_model.set_rows(state.devices)
        self._show_review_list()
        if not joined:
            self._fill_join()

    def _show_status(self) -> None:
        state = self.state
        waiting = _("待处理：冲突 {c} 个，疑似重复人员 {d} 个").format(c=len(state.conflicts),
                                                             d=len(state.duplicates))
        if state.role is None:
            self.status_label.setText(_("本机：{r}。").format(r=_(ROLE_LABELS[None])))
        elif state.role == "device":
            area = f"{state.area_name or ''}（{state.area_code}）" if state.area_code else _("（未知）")
            self.status_label.setText("\n".join([
                _("本机：{r} · 负责：{a} · 已加入：{c}县级数据中心").format(
                    r=_(ROLE_LABELS["device"]), a=area, c=state.county or ""),
                waiting]))
        else:
            self.status_label.setText("\n".join([
                _("本机：{r} · 已登记设备 {n} 台").format(r=_(ROLE_LABELS["hub"]), n=len(state.devices)), waiting]))
        self._show_fingerprint()

    def _show_fingerprint(self) -> None:
        state = self.state
        self.fingerprint_button.hide()
        if state.role is None:
            self.fingerprint_label.hide()
            return
        self.fingerprint_label.show()
        mine = self._fingerprint
        if mine is None:
            try:
                identity = self._identity(state.role, quiet=True)
            except _NeedsPassphrase:
                identity = None
                self.fingerprint_button.show()
            except LiaisonError as exc:
                identity = None
                mine = exc.message
            if identity is not None:
                mine = identity.fingerprint
        own = _("本设备指纹") if state.role == "device" else _("数据中心指纹")
        lines = [_("{own}：{fp}").format(own=own, fp=mine or _("（输入口令后显示）"))]
        if state.role == "device" and state.hub_fingerprint:
            lines.append(_("县级数据中心指纹：{fp}").format(fp=state.hub_fingerprint))
        self.fingerprint_label.setText("\n".join(lines))

    def _show_packages(self) -> None:
        state = self.state
        self.packages_model.set_rows(state.packages)
        pending = sorted(p.seq for p in state.pending if p.kind == "changes")
        replies = sorted(p.seq for p in state.pending if p.kind == "reply")
        palette_colour = WARNING_COLOUR.name()
        if state.role == "device":
            if pending:
                text = _("⚠ 第 {s} 号数据包县里尚未确认收到：下次导出会把这些修改再带上，不会丢失。"
                         "导入县里的回执后才算送达。").format(s="、".join(map(str, pending)))
                self._tone(self.pending_label, palette_colour)
            elif any(p.direction == "out" for p in state.packages):
                text = _("送出的数据包县里都已确认收到。")
                self._tone(self.pending_label, None)
            else:
                text = _("还没有导出过数据包。")
                self._tone(self.pending_label, None)
        else:
            if replies:
                text = _("有 {n} 份回执已写出，对方尚未确认收到（对方导入回执后，下次送来数据包时确认）。").format(
                    n=len(replies))
            else:
                text = _("列出最近的 {n} 个数据包。").format(n=PACKAGES_SHOWN)
            self._tone(self.pending_label, None)
        self.pending_label.setText(text)

    @staticmethod
    def _tone(label: QLabel, colour: str | None) -> None:
        label.setStyleSheet(f"color: {colour}; font-weight: bold;" if colour else "")

    def _fill_join(self) -> None:
        current = self.area_choice.value()
        self.area_choice.clear()
        choices = self.ctx.area_choices()
        self.area_choice.addItem(_("（请选择）"), None)  # a township by mistake would be a wider scope
        for area_id, name in choices:
            self.area_choice.addItem(name, area_id)
        with self.ctx.workspace.uow() as uow:
            home = settings.get_setting(uow.session, settings.HOME_AREA_ID)
            counties = [a for a in area_directory(uow).values() if a.level is AreaLevel.COUNTY]
        preferred = current or (uuid.UUID(str(home)) if home else None)
        if preferred is None and len(choices) == 1:
            preferred = choices[0][0]
        self.area_choice.set_value(preferred)
        self.join_button.setEnabled(bool(choices))
        self.hub_box.setVisible(self.ctx.actor.role in HUB_ROLES)
        if not self.county_name.text() and len(counties) == 1:
            self.county_name.setText(counties[0].name)

    def _show_review_list(self) -> None:
        state = self.state
        row = max(0, self.review_list.currentRow())
        self._review = [("conflict", c) for c in state.conflicts] + [("duplicate", d) for d in state.duplicates]
        self.review_list.blockSignals(True)
        self.review_list.clear()
        for kind, item in self._review:
            if kind == "conflict":
                self.review_list.addItem(_("冲突：{r} · {f}").format(r=item.record, f=item.field_caption))
            else:
                self.review_list.addItem(_("疑似重复：{n}").format(n=item.incoming.get("name", "")))
            self.review_list.item(self.review_list.count() - 1).setToolTip(
                self.review_list.item(self.review_list.count() - 1).text()
                + ("" if kind == "conflict" else _("（身份证号 {id}）").format(id=item.id_masked)))
        self.review_list.blockSignals(False)
        total = len(self._review)
        self.tabs.setTabText(self.tabs.indexOf(self.review_tab),
                             _("冲突与重复（{n}）").format(n=total) if total else _("冲突与重复"))
        if total:
            self.review_hint.setText(_("两边都改过的字段（冲突）和身份证号已有档案的人员（疑似重复）要逐个决定。"))
            self.review_list.setCurrentRow(min(row, total - 1))
            self._show_review(self.review_list.currentRow())
        else:
            self.review_hint.setText(_("没有待处理的冲突或疑似重复人员。"))
            self._show_review(-1)

    def _show_review(self, row: int) -> None:
        if not 0 <= row < len(self._review):
            self.review_stack.setCurrentIndex(0)
            return
        kind, item = self._review[row]
        if kind == "conflict":
            self.conflict_title.setText(_("{r} · {f}：两边都改了").format(r=item.record, f=item.field_caption))
            self.conflict_source.setText(_("对方：{s}，{t} 导入").format(s=item.source, t=local_time(item.created_at)))
            self.conflict_values["base"].setText(item.base)
            self.conflict_values["local"].setText(item.local)
            self.conflict_values["remote"].setText(item.remote)
            self.review_stack.setCurrentIndex(1)
            return
        self.duplicate_title.setText(_("身份证号 {id} 已有档案：是同一个人吗？").format(id=item.id_masked))
        self.duplicate_source.setText(_("新来的记录来自：{s}，{t} 导入").format(s=item.source,
                                                                      t=local_time(item.created_at)))
        for name, (mine, theirs) in self.duplicate_cells.items():
            a, b = item.existing.get(name, ""), item.incoming.get(name, "")
            mine.setText(a)
            theirs.setText(b)
            theirs.setStyleSheet(f"color: {WARNING_COLOUR.name()}; font-weight: bold;" if a != b else "")
        if item.held_total:
            parts = "、".join(f"{t} {n}" for t, n in sorted(item.held.items()))
            self.duplicate_held.setText(_("随附的记录 {n} 条（{p}），合并时并入已有档案。").format(
                n=item.held_total, p=parts))
        else:
            self.duplicate_held.setText(_("没有随附的记录。"))
        self.duplicate_note.clear()
        self.review_stack.setCurrentIndex(2)

    def _report_tone(self, shown: ShownResult) -> str | None:
        result = shown.result
        if result.status in BAD_STATUSES:
            return "error"
        counts = result.counts
        if result.gap or counts.get("conflict") or counts.get("duplicate"):
            return "warning"
        return None

    def save_report(self) -> None:
        """The printable import report (every package, its counts and the records to look at)."""
        from liaison.core.services.workspace import workspace_name
        from liaison.reports.import_report import write_import_report_pdf

        results = getattr(self, "results", [])
        if not results:
            return
        suggested = Path.home() / _("导入报告-{d}.pdf").format(d=self.ctx.today().isoformat())
        chosen, _selected = QFileDialog.getSaveFileName(self, _("保存导入报告"), str(suggested), "PDF (*.pdf)")
        if not chosen:
            return
        out = Path(chosen) if chosen.lower().endswith(".pdf") else Path(chosen + ".pdf")
        try:
            with self.ctx.workspace.uow() as uow:
                unit = workspace_name(uow)
            write_import_report_pdf([r.result for r in results], out, unit=unit, on=self.ctx.today(),
                                    prepared_by=self.ctx.actor.display_name)
        except (OSError, LiaisonError) as exc:
            self._say(_("导入报告未能保存：{e}").format(e=getattr(exc, "message", exc)), error=True)
            return
        self._say(_("导入报告已保存：{p}").format(p=out), info=True)

    def show_report(self, results: list[ShownResult]) -> None:
        self.results = results
        self.save_report_button.setEnabled(bool(results))
        self.report_hint.setText(_("共 {n} 个数据包；选中一个，下面列出它需要注意的记录。").format(n=len(results)))
        self.report_model.set_rows(results)
        _fit_rows(self.report_table, REPORT_ROWS)
        if results:
            first = next((i for i, r in enumerate(results) if self._report_tone(r)), 0)
            self.report_table.selectRow(first)
            self._show_package(first)
        else:
            self._show_package(-1)

    def _show_package(self, row: int) -> None:
        if not 0 <= row < len(self.results):
            self.report_detail.setText("")
            self.records_model.set_rows([])
            return
        shown = self.results[row]
        r = shown.result
        lines = [_("{f}：{s}").format(f=r.path.name, s=_(STATUS_LABELS.get(r.status, r.status)))
                 + (_("（第 {n} 号）").format(n=r.seq) if r.seq is not None else "")]
        if r.message:
            lines.append(r.message)
        if r.report is not None:
            lines.append(counts_text(dict(r.counts), with_zero=True))
        if r.acknowledged:
            lines.append(_("县里已确认收到第 {s} 号数据包。").format(s="、".join(map(str, r.acknowledged))))
        if r.gap:
            lines.append(_("⚠ 注意：缺少第 {s} 号数据包（可能丢失或尚未送来）").format(s="、".join(map(str, r.gap))))
        self.report_detail.setText("\n".join(lines))
        tone = self._report_tone(shown)
        self._tone(self.report_detail, {"error": "#b00020", "warning": WARNING_COLOUR.name()}.get(tone or ""))
        self.records_model.set_rows([(shown, o) for o in shown.outcomes])

    def reveal_tabs(self) -> None:
        """Scroll (at a large font) so that the last result and the lists below it are in view."""
        anchor = self.result_label if self.result_label.isVisible() else self.tabs
        top = anchor.mapTo(self.scroll_area.widget(), QPoint(0, 0)).y()
        self.scroll_area.verticalScrollBar().setValue(top)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self.running:
            self.reload()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit()

    # --- keys --------------------------------------------------------------------------------

    def store(self) -> SecretStore:
        if self._store is None:
            self._store = secret_store(self.ctx.workspace, self._ask_passphrase)
        return self._store

    def _ask_passphrase(self, new: bool) -> str:
        if self._quiet:
            raise _NeedsPassphrase()
        if threading.current_thread() is not threading.main_thread():
            # keys are unlocked before background work starts; never ask from a worker
            raise SecretError(_("需要输入保护密钥的口令，请重试"))
        value = PassphraseDialog.ask(self, new)
        if value is None:
            raise Cancelled()
        return value

    def _identity(self, role: str, *, quiet: bool = False) -> Identity | None:
        self._quiet = quiet
        try:
            identity = load_identity(self.store(), role, self.ctx.workspace.device_id, create=False)
        finally:
            self._quiet = False
        if identity is not None:
            self._fingerprint = identity.fingerprint
        return identity

    def _unlock(self, role: str) -> bool:
        """Ask for the passphrase now, on the GUI thread, if the keys need one."""
        try:
            self._identity(role)
        except Cancelled:
            return False
        except LiaisonError as exc:
            Message.show_error(self, exc.message)
            return False
        return True

    def show_fingerprint(self) -> None:
        if self.state.role and self._unlock(self.state.role):
            self._show_fingerprint()

    # --- joining -----------------------------------------------------------------------------

    def join(self) -> None:
        area_id = self.area_choice.value()
        if area_id is None:
            Message.show_error(self, _("请先选择本机负责的村或乡镇"))
            self.area_choice.setFocus()
            return
        path, _filter = QFileDialog.getOpenFileName(
            self, _("选择县残联给的配置文件"), self._last_dir, _("配置文件 (*.json);;所有文件 (*)"))
        if not path:
            return
        self._last_dir = str(Path(path).parent)
        with self.ctx.workspace.uow() as uow:
            info = area_directory(uow).get(area_id)
        try:
            identity = enrol(self.ctx.workspace, self.store(), Path(path), area_code=info.code if info else None)
        except Cancelled:
            return
        except LiaisonError as exc:
            Message.show_error(self, exc.message)
            return
        self._fingerprint = identity.fingerprint
        self.reload()
        self._say(_("已加入{c}县级数据中心。本设备指纹：{f}\n请打电话把这个指纹念给县残联：县里第一次导入本机的数据包时"
                    "要核对它。").format(c=self.state.county or "", f=identity.fingerprint), info=True)

    def make_hub(self) -> None:
        county = self.county_name.text().strip()
        if not county:
            Message.show_error(self, _("请填写县（区）名称"))
            self.county_name.setFocus()
            return
        start = Path(self._last_dir) / "SETUP.json" if self._last_dir else Path("SETUP.json")
        path, _filter = QFileDialog.getSaveFileName(
            self, _("保存给各村、乡镇的配置文件"), str(start), _("配置文件 (*.json)"))
        if not path:
            return
        out = Path(path) if path.lower().endswith(".json") else Path(path + ".json")
        if not Confirm.ask(self, _("设为县级数据中心"), _(
                "把本工作区设为{c}县级数据中心？\n设为数据中心后，本工作区不能再作为村（乡镇）设备加入。").format(c=county),
                yes_text=_("设为数据中心")):
            return
        self._last_dir = str(out.parent)
        try:
            data = hub_init(self.ctx.workspace, self.store(), out, county_name=county)
        except Cancelled:
            return
        except LiaisonError as exc:
            Message.show_error(self, exc.message)
            return
        self._fingerprint = str(data["fingerprint"])
        self.reload()
        self._say(_("本机已设为县级数据中心。配置文件：{p}\n请复制给各村、乡镇。数据中心指纹：{f}").format(
            p=out, f=data["fingerprint"]), info=True)

    # --- background work ---------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._op is not None and self._op.running

    def _choose_folder(self, title: str) -> Path | None:
        folder = QFileDialog.getExistingDirectory(self, title, self._last_dir)
        if not folder:
            return None
        self._last_dir = folder
        return Path(folder)

    def _start(self, name: str, text: str, work: Any, on_done: Any) -> None:
        for button in (self.export_button, self.import_replies_button, self.import_button, self.reply_button,
                       self.dry_run, self.keep_local_button, self.take_remote_button, self.merge_button,
                       self.discard_button):
            button.setEnabled(False)
        self.progress_label.setText(text)
        self.cancel_button.setEnabled(True)
        self.progress_box.show()

        def done(result: Any) -> None:
            self._end()
            try:
                on_done(result)
            finally:
                self.finished.emit(name)

        def failed(exc: BaseException) -> None:
            self._end()
            try:
                if isinstance(exc, Cancelled):
                    self._say(_("已取消，未作任何改动。"))
                else:
                    self._say(describe_error(exc), error=True)
                self.reload()
            finally:
                self.finished.emit(name)

        self._op = run_in_background(self, work, on_done=done, on_error=failed)
        self._op.progress.connect(self.progress_label.setText)
        self.cancel_button.setFocus()

    def _end(self) -> None:
        self.progress_box.hide()
        for button in (self.export_button, self.import_replies_button, self.import_button, self.reply_button,
                       self.dry_run, self.keep_local_button, self.take_remote_button, self.merge_button,
                       self.discard_button):
            button.setEnabled(True)

    def cancel(self) -> None:
        if self._op is not None and self._op.running:
            self._op.cancel()
            self.progress_label.setText(_("正在取消……"))
            self.cancel_button.setEnabled(False)

    def _say(self, text: str, *, error: bool = False, info: bool = False) -> None:
        """The outcome of the last action, kept on the page; errors also in a message box."""
        self.result_label.setText(text)
        self._tone(self.result_label, "#b00020" if error else None)
        self.result_label.show()
        if error:
            Message.show_error(self, text)
        elif info:
            Message.show_info(self, text)

    def export(self) -> None:
        folder = self._choose_folder(_("选择 U 盘或保存数据包的文件夹"))
        if folder is None or not self._unlock("device"):
            return
        ws, store = self.ctx.workspace, self.store()

        def work(token: CancelToken, progress: Any) -> ExportResult:
            return export_changes(ws, store, folder, cancel=token, progress=progress)

        self._start("export", _("正在导出……"), work, self._exported)

    def _exported(self, result: ExportResult) -> None:
        total = sum(result.counts.values())
        parts = "、".join(f"{_(TABLE_LABELS.get(t, t))} {n}" for t, n in result.counts.items() if n)
        self._say(_("已写出第 {s} 号数据包：{p}\n共 {n} 条记录{d}。请把 U 盘交给县残联；县里确认收到之前，"
                    "这些修改每次导出都会再带上。").format(s=result.seq, p=result.path, n=total,
                                                  d=f"（{parts}）" if parts else ""))
        self.reload()
        self.tabs.setCurrentIndex(0)

    def choose_packages(self) -> None:
        hub = self.state.role == "hub"
        paths, _filter = QFileDialog.getOpenFileNames(
            self, _("选择要导入的数据包（可多选）") if hub else _("选择县里发回的回执"), self._last_dir,
            _("数据包 (*.lpkg);;所有文件 (*)"))
        if not paths:
            return
        self._last_dir = str(Path(paths[0]).parent)
        self.import_files([Path(p) for p in paths])

    def import_files(self, paths: list[Path]) -> None:
        """Import packages in the background: each sender's in order of sequence number; an
        unknown device only after its fingerprint is confirmed."""
        role = self.state.role
        if role is None:
            Message.show_error(self, _("本机尚未加入数据交换"))
            return
        if not self._unlock(role):
            return
        plan, decided = self._plan(paths, role)
        ws, store, today = self.ctx.workspace, self.store(), self.ctx.today()
        dry_run = role == "hub" and self.dry_run.isChecked()

        def work(token: CancelToken, progress: Any) -> list[tuple[int, ShownResult]]:
            done = []
            for n, (position, path, accept) in enumerate(plan, start=1):
                if token.cancelled:
                    done.append((position, ShownResult(ImportResult(path, "cancelled", _("已取消，未导入")))))
                    continue
                progress(_("正在导入第 {i}/{n} 个：{f}").format(i=n, n=len(plan), f=path.name))
                try:
                    result = import_package(ws, store, path, dry_run=dry_run, accept_device=accept, today=today)
                except LiaisonError as exc:
                    result = ImportResult(path, "failed", exc.message)
                done.append((position, ShownResult(result, record_names(ws, result))))
            return done

        self._start("import", _("正在导入……"), work, lambda done: self._imported(sorted(decided + done,
                                                                                           key=lambda d: d[0])))

    def _plan(self, paths: list[Path], role: str) -> tuple[list[tuple[int, Path, str | None]],
                                                           list[tuple[int, ShownResult]]]:
        headers: dict[int, Header | None] = {}
        for i, path in enumerate(paths):
            try:
                headers[i] = peek_header(path)
            except (PackageRefused, KeyError, ValueError, TypeError):
                headers[i] = None  # import_package says what is wrong with it
        first: dict[str, int] = {}
        for i in range(len(paths)):
            header = headers[i]
            first.setdefault(header.sender if header else f"#{i}", i)

        def order(i: int) -> tuple[int, int, int]:
            header = headers[i]
            if header is None:
                return (i, 0, i)
            try:
                return (first[header.sender], header.seq, i)
            except (KeyError, ValueError, TypeError):
                return (first[header.sender], 0, i)

        ordered = sorted(range(len(paths)), key=order)
        accept: dict[str, str] = {}
        declined: set[str] = set()
        if role == "hub":
            with self.ctx.workspace.uow() as uow:
                names = {info.code: info.full_name for info in area_directory(uow).values()}
                known = {i for i in ordered if headers[i] is not None
                         and uow.session.get(SyncDevice, headers[i].sender) is not None}  # type: ignore[union-attr]
            for i in ordered:
                header = headers[i]
                if header is None or i in known or header.sender in accept or header.sender in declined:
                    continue
                try:
                    if header.kind != "changes":
                        continue
                    fingerprint = header.sender_keys.fingerprint
                except (KeyError, ValueError, TypeError):
                    continue  # a damaged header: refused by the import
                code = str(header.fields.get("area_code") or "")
                area = _("{n}（{c}）").format(n=names.get(code, _("本工作区未登记的地区")), c=code)
                if confirm_device(self, file_name=paths[i].name, area=area, fingerprint=fingerprint):
                    accept[header.sender] = fingerprint
                else:
                    declined.add(header.sender)
        plan: list[tuple[int, Path, str | None]] = []
        decided: list[tuple[int, ShownResult]] = []
        for position, i in enumerate(ordered):
            header = headers[i]
            if header is not None and header.sender in declined:
                decided.append((position, ShownResult(ImportResult(
                    paths[i], "refused", _("设备指纹未经核对，未导入"), header.sender, header.seq))))
            else:
                plan.append((position, paths[i], accept.get(header.sender) if header else None))
        return plan, decided

    def _imported(self, done: list[tuple[int, ShownResult]]) -> None:
        results = [shown for _position, shown in done]
        self.show_report(results)
        statuses = Counter(r.result.status for r in results)
        summary = "，".join(f"{_(STATUS_LABELS.get(s, s))} {n} 个" for s, n in statuses.items())
        text = _("导入了 {n} 个数据包：{s}。详见“导入报告”。").format(n=len(results), s=summary)
        if any(r.result.gap for r in results):
            text += _("\n⚠ 有数据包缺号，见导入报告。")
        self._say(text)
        if statuses.get("imported"):
            self.ctx.events.changed.emit("person")
        self.reload()
        self.tabs.setCurrentWidget(self.report_tab)
        self.reveal_tabs()

    def write_reply(self) -> None:
        folder = self._choose_folder(_("选择 U 盘或保存回执的文件夹"))
        if folder is None or not self._unlock("hub"):
            return
        ws, store = self.ctx.workspace, self.store()

        def work(token: CancelToken, progress: Any) -> list[ReplyResult]:
            return write_replies(ws, store, folder)

        self._start("reply", _("正在写回执……"), work, self._replied)

    def _replied(self, results: list[ReplyResult]) -> None:
        if not results:
            self._say(_("没有需要回执的设备。"))
        else:
            self._say("\n".join(_("{d}：{p}（确认到第 {a} 号，带回 {n} 条记录）").format(
                d=r.device_name, p=r.path, a=r.acknowledged_seq, n=r.records) for r in results))
        self.reload()

    # --- deciding ----------------------------------------------------------------------------

    def _current(self, kind: str) -> Any:
        row = self.review_list.currentRow()
        if 0 <= row < len(self._review) and self._review[row][0] == kind:
            return self._review[row][1]
        return None

    def resolve(self, take: str) -> None:
        conflict = self._current("conflict")
        if conflict is None or self.running:
            return
        try:
            with self.ctx.workspace.uow() as uow:
                resolve_conflict(uow, self.ctx.actor, conflict.id, take=take, today=self.ctx.today())
                uow.commit()
        except LiaisonError as exc:
            Message.show_error(self, exc.message)
            self.reload()
            return
        chosen = conflict.local if take == "local" else conflict.remote
        self._say(_("{r} · {f}：已{how}“{v}”。").format(
            r=conflict.record, f=conflict.field_caption, how=_("保留本机的值") if take == "local" else _("采用对方的值"),
            v=chosen))
        self.ctx.events.changed.emit("person")
        self.reload()
        self.review_list.setFocus()

    def decide(self, decision: str) -> None:
        duplicate = self._current("duplicate")
        if duplicate is None or self.running:
            return
        note = self.duplicate_note.value()
        if decision == "discard" and not Confirm.ask(self, _("录入错误，不导入"), _(
                "新来的记录（{n}）及随附的 {h} 条记录都不导入，只保留在核对记录里。确定吗？").format(
                n=duplicate.incoming.get("name", ""), h=duplicate.held_total), yes_text=_("不导入")):
            return
        try:
            with self.ctx.workspace.uow() as uow:
                report = decide_duplicate(uow, self.ctx.actor, duplicate.id, decision=decision, note=note,
                                          today=self.ctx.today())
                uow.commit()
        except LiaisonError as exc:
            Message.show_error(self, exc.message)
            self.reload()
            return
        if decision == "merge":
            self._say(_("已核对为同一人：随附的 {n} 条记录已并入{p}的档案。").format(
                n=report.counts.get("created", 0), p=duplicate.existing.get("name", "")))
        else:
            self._say(_("已核对为录入错误：新来的记录未导入。"))
        self.ctx.events.changed.emit("person")
        self.reload()
        self.review_list.setFocus()
