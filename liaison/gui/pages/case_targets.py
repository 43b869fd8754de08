"""What the 无障碍改造 page has beyond the case list: the yearly household target (how far the
area got, and a small dialog to set it) and the priority list of households waiting for a
modification."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from liaison.core.enums import N_
from liaison.core.errors import LiaisonError, ValidationError
from liaison.core.i18n import _
from liaison.core.rules.config import PriorityConfig
from liaison.core.services.modifications import Candidate, TargetProgress, set_target
from liaison.gui import windows
from liaison.gui.context import GuiContext
from liaison.gui.dialogs import Message
from liaison.gui.fields import ChoiceField, FieldValueError, FormGrid, IntField

MAX_HOUSEHOLDS = 100_000

Index = QModelIndex | QPersistentModelIndex


def _button(text: str) -> QPushButton:
    button = QPushButton(text)
    button.setAutoDefault(False)  # Enter in the list must not press a button by surprise
    return button


# --- the yearly target -----------------------------------------------------------------------


def target_text(progress: TargetProgress) -> str:
    """"2026 年度目标 70 户，已结案 12 户（17%），办理中 20 户"."""
    if progress.target is None:
        text = _("{y} 年度：未设定年度目标，已结案 {c} 户，办理中 {p} 户").format(
            y=progress.year, c=progress.closed, p=progress.in_progress)
    else:
        share = progress.share
        percent = _("（{p}%）").format(p=round(share * 100)) if share is not None else ""
        text = _("{y} 年度目标 {t} 户，已结案 {c} 户{percent}，办理中 {p} 户").format(
            y=progress.year, t=progress.target, c=progress.closed, percent=percent,
            p=progress.in_progress)
    if progress.ended:
        text += _("，不符合条件或终止 {n} 户").format(n=progress.ended)
    return text


class TargetDialog(QDialog):
    """The number of households to modify in an area in a year (乡镇、县残联 set it)."""

    saved = Signal()

    def __init__(self, ctx: GuiContext, areas: list[tuple[uuid.UUID, str]], area_id: Any,
                 year: int, current: int | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(_("设定年度改造目标"))
        intro = QLabel(_("按结案户数计算完成进度。乡镇（街道）或县（区）没有设定自己的目标时，"
                         "按所辖各地目标之和计算。"))
        intro.setWordWrap(True)
        self.grid = FormGrid()
        self.area = self.grid.add("area_id", _("地区"), ChoiceField(areas))
        self.area.set_value(area_id)
        this_year = ctx.today().year
        years = sorted({this_year - 1, this_year, this_year + 1, year}, reverse=True)
        self.year = self.grid.add("year", _("年度"), ChoiceField(
            [(y, _("{y} 年").format(y=y)) for y in years]))
        self.year.set_value(year)
        self.households = self.grid.add("target", _("目标户数"),
                                        IntField(minimum=0, maximum=MAX_HOUSEHOLDS))
        self.households.setPlaceholderText(_("户数，如 70"))
        self.households.set_value(current)
        buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton(_("确定(&Y)"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(_("取消(&N)"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.grid)
        layout.addWidget(buttons)
        self.households.setFocus()
        self.households.selectAll()

    def accept(self) -> None:
        if self.save():
            super().accept()

    def save(self) -> bool:
        """Store the target; on a problem the dialog stays open and says what is wrong."""
        self.grid.clear_errors()
        try:
            households = self.households.value()
        except FieldValueError as exc:
            return self._show_errors({"target": str(exc)})
        if households is None:
            return self._show_errors({"target": _("必须填写")})
        try:
            with self.ctx.workspace.uow() as uow:
                set_target(uow, self.ctx.actor, self.area.value(), self.year.value(), households)
                uow.commit()
        except ValidationError as exc:
            return self._show_errors(exc.errors, exc.message)
        except LiaisonError as exc:  # out of the actor's areas, or not theirs to set
            Message.show_error(self, exc.message)
            return False
        self.saved.emit()
        return True

    def _show_errors(self, errors: dict[str, str], message: str | None = None) -> bool:
        first = self.grid.set_errors(errors)
        if first is not None:
            first.setFocus()
        elif message:
            Message.show_error(self, message)
        return False


# --- the priority list -----------------------------------------------------------------------

_CANDIDATE_COLUMNS = ("序号", "姓名", "村（社区）", "优先分", "优先理由", "提出日期")
REASONS_COLUMN = 4


class CandidateTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[Candidate] = []
        self.places: dict[uuid.UUID, str] = {}
        self.score_rule = ""  # how the score is made up, shown on the header

    def set_rows(self, rows: list[Candidate], places: dict[uuid.UUID, str] | None = None) -> None:
        """`places`: the full name ("某镇 某村 一组") of each candidate's area, where the
        candidate itself carries only the area's own name."""
        self.beginResetModel()
        self.rows = list(rows)
        self.places = places or {}
        self.endResetModel()

    def row_at(self, row: int) -> Candidate | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def cell(self, rank: int, row: Candidate, column: int) -> str:
        values = (str(rank), row.name, self.places.get(row.area_id) or row.village, str(row.score),
                  "、".join(row.reasons) or _("无加分项"), row.raised_on.isoformat())
        return values[column]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(_CANDIDATE_COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.cell(index.row() + 1, row, index.column())
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (0, 3):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 4:
            return _("{reasons}（符合条件：{why}）").format(
                reasons=self.cell(index.row() + 1, row, 4), why=row.eligibility)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _(_CANDIDATE_COLUMNS[section])
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return self.score_rule if section in (3, REASONS_COLUMN) else None
        return None


PRIORITY_INTRO = N_("有改造需求、尚未申请、符合条件（重度或困难家庭）的家庭，"
                    "优先分高的在前，同分先提出的在前。")


def priority_rule_text(config: PriorityConfig) -> str:
    """How the score is made up (the weights are configurable)."""
    return _("优先分：重度残疾 +{s}，多重残疾 +{m}，老残一体（{age} 岁及以上）+{e}，"
             "残病一体 +{c}，低保/特困 +{d}").format(
        s=config.severe, m=config.multiple, age=config.elderly_age, e=config.elderly,
        c=config.chronic_illness, d=config.dibao_or_tekun)


class PriorityPanel(QWidget):
    """优先名单: Enter (or 申请改造) opens the application for the chosen household."""

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.intro = QLabel(_(PRIORITY_INTRO))
        self.intro.setWordWrap(True)
        self.intro.setToolTip(priority_rule_text(ctx.rules.priority))
        layout.addWidget(self.intro)
        self.model = CandidateTableModel(self)
        self.model.score_rule = priority_rule_text(ctx.rules.priority)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName(_("无障碍改造优先名单"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(REASONS_COLUMN, QHeaderView.ResizeMode.Stretch)
        self._columns_sized = False
        self.table.activated.connect(lambda _index: self.apply())  # Enter, or a double-click
        self.table.selectionModel().currentChanged.connect(lambda *_a: self._update_buttons())
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.count_label = QLabel(_("正在读取……"))
        self.count_label.setAccessibleName(_("优先名单户数"))
        row.addWidget(self.count_label, 1)
        self.apply_button = _button(_("申请改造(&N)…"))
        self.apply_button.setToolTip(_("为选中的家庭登记改造申请（也可按回车或双击）"))
        self.file_button = _button(_("打开档案(&D)"))
        self.apply_button.clicked.connect(self.apply)
        self.file_button.clicked.connect(self.open_file)
        row.addWidget(self.apply_button)
        row.addWidget(self.file_button)
        layout.addLayout(row)
        self._update_buttons()

    def show_candidates(self, candidates: list[Candidate], places: dict[uuid.UUID, str]) -> None:
        current = self.selected()
        self.model.set_rows(candidates, places)
        if candidates:
            if not self._columns_sized:
                self.table.resizeColumnsToContents()
                self._columns_sized = True
            ids = [c.need_id for c in candidates]
            row = ids.index(current.need_id) if current and current.need_id in ids else 0
            self.table.setCurrentIndex(self.model.index(row, 0))
            self.count_label.setText(_("共 {n} 户等待改造").format(n=len(candidates)))
        else:
            self.count_label.setText(_("没有等待改造的家庭"))
        self._update_buttons()

    def selected(self) -> Candidate | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def _update_buttons(self) -> None:
        has = self.selected() is not None
        self.apply_button.setEnabled(has)
        self.file_button.setEnabled(has)

    def apply(self) -> None:
        candidate = self.selected()
        if candidate is not None:
            windows.open_new_modification(self.ctx, self, candidate.person_id, candidate.need_id)

    def open_file(self) -> None:
        candidate = self.selected()
        if candidate is not None:
            windows.open_person_file(self.ctx, self, candidate.person_id, section="needs")

    def visible_rows(self) -> list[tuple[str, ...]]:
        return [tuple(self.model.cell(k, c, col) for col in range(len(_CANDIDATE_COLUMNS)))
                for k, c in enumerate(self.model.rows, start=1)]


def default_year(chosen: int | None, today: date) -> int:
    """The year the target line speaks of: the one chosen, or this year under 全部年度."""
    return chosen if chosen is not None else today.year
