"""What the 数据交换 page shows and asks besides its own lists: the passphrase that protects
this machine's keys (when there is no system keyring), the words for package states and
import outcomes, the question whether an unknown device's fingerprint is the one the village
read out, and small read-only table models.

Every question goes through a classmethod (`PassphraseDialog.ask`, `dialogs.Confirm.ask`)
so tests answer instead of a person.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from liaison.core.enums import N_
from liaison.core.i18n import _
from liaison.gui import dialogs
from liaison.gui.fields import ErrorLabel, FormGrid
from liaison.gui.person_file_sections import Column, RecordTableModel

MIN_PASSPHRASE = 8  # as liaison.core.secrets.MIN_PASSPHRASE, checked here before the slow scrypt
WARNING_COLOUR = QColor("#8a4b00")
ERROR_COLOUR = QColor("#b00020")

# the command line's wording (liaison/cli/main.py), copied so the window does not import the CLI
ACTION_LABELS = {"created": N_("新增"), "updated": N_("更新"), "unchanged": N_("未变"), "conflict": N_("冲突"),
                 "duplicate": N_("疑似重复"), "held": N_("暂存"), "error": N_("错误")}
ACTION_ORDER = ("created", "updated", "unchanged", "conflict", "duplicate", "held", "error")
STATUS_LABELS = {"imported": N_("已导入"), "dry-run": N_("试导入"), "already-imported": N_("已导入过（未改动）"),
                 "refused": N_("已拒绝"), "failed": N_("未导入"), "cancelled": N_("已取消，未导入")}
BAD_STATUSES = frozenset({"refused", "failed", "cancelled"})
ROLE_LABELS = {None: N_("未加入数据交换"), "device": N_("村（乡镇）设备"), "hub": N_("县级数据中心")}
KIND_LABELS = {"changes": N_("数据"), "reply": N_("回执")}
DIRECTION_LABELS = {"out": N_("送出"), "in": N_("收到")}


def package_status_text(direction: str, kind: str, status: str) -> str:
    """"已写出，县里尚未确认" for what went out and may have to go again."""
    if direction == "out" and status == "written":
        return _("⚠ 已写出，县里尚未确认") if kind == "changes" else _("⚠ 已写出，对方尚未确认")
    if status == "acknowledged":
        return _("县里已确认") if kind == "changes" else _("对方已确认")
    if status == "imported":
        return _("已导入")
    return status


def local_time(value: datetime | None) -> str:
    """A stored (naive UTC) time as this computer's local time, to the minute."""
    if value is None:
        return ""
    return value.replace(tzinfo=UTC).astimezone().strftime("%Y-%m-%d %H:%M")


def counts_text(counts: dict[str, int], *, with_zero: bool = False) -> str:
    """"新增 3，冲突 1" in the fixed order of the import report."""
    parts = [f"{_(ACTION_LABELS[k])} {counts.get(k, 0)}" for k in ACTION_ORDER if with_zero or counts.get(k)]
    return "，".join(parts)


def confirm_device(parent: QWidget | None, *, file_name: str, area: str, fingerprint: str) -> bool:
    """Register an unknown device only when its fingerprint is the one the village read out."""
    return dialogs.Confirm.ask(
        parent, _("核对设备指纹"),
        _("数据包 {f} 来自一台尚未登记的设备，地区：{a}。\n\n该设备的指纹：\n{fp}\n\n"
          "请打电话给该村（乡镇）的专职委员，请对方打开“数据交换”页念出本设备指纹，逐组核对。"
          "完全一致才能登记并导入；不一致时请选“取消”，不要导入。").format(f=file_name, a=area, fp=fingerprint),
        yes_text=_("指纹一致，登记并导入"))


class PassphraseDialog(QDialog):
    """The passphrase of the key file (machines without a system keyring): asked twice when
    the file is created, once when it is opened."""

    def __init__(self, parent: QWidget | None = None, *, new: bool) -> None:
        super().__init__(parent)
        self.new = new
        self.setWindowTitle(_("设置密钥口令") if new else _("输入密钥口令"))
        layout = QVBoxLayout(self)
        if new:
            text = _("本机没有可用的系统密钥库，数据库和数据交换的密钥将保存在一个用口令加密的文件里。"
                     "请设置口令（至少 {n} 个字符）并牢记：忘记口令时，数据只能用恢复码打开，"
                     "并要重新加入县级数据中心。").format(n=MIN_PASSPHRASE)
        else:
            text = _("请输入保护本机密钥（数据库和数据交换）的口令。")
        intro = QLabel(text)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        grid = FormGrid()
        self.first = QLineEdit()
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        grid.add("passphrase", _("口令"), self.first)
        self.second: QLineEdit | None = None
        if new:
            self.second = QLineEdit()
            self.second.setEchoMode(QLineEdit.EchoMode.Password)
            grid.add("again", _("再输入一次"), self.second)
        layout.addWidget(grid)
        self.error = ErrorLabel()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("确定"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("取消"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.first.setFocus()
        width = self.fontMetrics().averageCharWidth() * 60
        self.setMinimumWidth(min(width, self.screen().availableGeometry().width() - 40))

    def passphrase(self) -> str:
        return self.first.text()

    def problem(self) -> str | None:
        text = self.first.text()
        if not text:
            return _("请输入口令")
        if self.new and len(text) < MIN_PASSPHRASE:
            return _("口令至少 {n} 个字符").format(n=MIN_PASSPHRASE)
        if self.second is not None and self.second.text() != text:
            return _("两次输入的口令不一致")
        return None

    def accept(self) -> None:
        problem = self.problem()
        if problem is not None:
            self.error.show_message(problem)
            (self.second if self.second is not None and self.first.text() else self.first).setFocus()
            return
        super().accept()

    @classmethod
    def ask(cls, parent: QWidget | None, new: bool) -> str | None:
        dialog = cls(parent, new=new)
        try:
            if dialog.exec() == QDialog.DialogCode.Accepted:
                return dialog.passphrase()
            return None
        finally:
            dialog.deleteLater()


class ToneTableModel(RecordTableModel):
    """RecordTableModel whose rows may be marked: "warning" (brown, bold) or "error" (red)."""

    def __init__(self, columns: Sequence[Column], tone: Callable[[Any], str | None] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(columns, parent)
        self._tone = tone

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self._tone is not None and index.isValid() and role in (Qt.ItemDataRole.ForegroundRole,
                                                                   Qt.ItemDataRole.FontRole):
            tone = self._tone(self.row_at(index.row()))
            if tone is None:
                return None
            if role == Qt.ItemDataRole.ForegroundRole:
                return WARNING_COLOUR if tone == "warning" else ERROR_COLOUR
            font = QFont()
            font.setBold(True)
            return font
        return super().data(index, role)
