"""Backups in the window: the 设置 page's box (when the last one was taken, 立即备份, 从备份恢复),
the restore dialog, and the automatic backups (daily while the program runs, and on exit).

The work itself is `liaison.core.backups`: encrypted copies through SQLite's online backup,
the last N kept, and a restore that always saves the current state first."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from liaison.core.db import sqlite_path
from liaison.core.enums import UserRole
from liaison.core.errors import LiaisonError
from liaison.core.i18n import _
from liaison.gui.context import GuiContext
from liaison.gui.dialogs import Confirm, Message
from liaison.gui.fields import pick_list
from liaison.gui.ops import run_in_background

log = logging.getLogger(__name__)

REASON_LABELS = {
    "manual": "手动",
    "daily": "每日自动",
    "exit": "退出时",
    "before-restore": "恢复前",
    "upgrade": "升级前",
}
# how often the window asks whether the daily backup is due; the first time a minute after
# the start, so that opening the program is not slowed by copying the database
DAILY_CHECK_MS = 60 * 60 * 1000
FIRST_CHECK_MS = 60 * 1000


def reason_label(reason: str) -> str:
    return _(REASON_LABELS[reason]) if reason in REASON_LABELS else reason


def format_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(1, size // 1024)} KB"


def backups_supported(ctx: GuiContext) -> bool:
    return sqlite_path(ctx.workspace.url) is not None


class RestoreDialog(QDialog):
    """The backups, newest first; restoring one asks first and keeps the current state."""

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.restored_from: Any = None
        self.safety: Any = None
        self.setWindowTitle(_("从备份恢复"))
        layout = QVBoxLayout(self)
        intro = QLabel(_("选择一份备份恢复。恢复前，程序会先把现在的数据另存为一份备份，"
                         "所以恢复之后还可以再恢复回来。恢复后需要重新登录。"))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = pick_list([_("备份时间"), _("原因"), _("大小")], _("备份列表"))
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.restore_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.restore_button.setText(_("恢复所选备份"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("关闭"))
        buttons.accepted.connect(self.restore_selected)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.reload()
        self.table.itemSelectionChanged.connect(
            lambda: self.restore_button.setEnabled(self.selected() is not None))
        self.restore_button.setEnabled(False)
        screen = self.screen().availableGeometry()
        self.resize(min(self.fontMetrics().averageCharWidth() * 70, screen.width() - 40),
                    min(self.fontMetrics().height() * 20, screen.height() - 80))

    def reload(self) -> None:
        from liaison.core.backups import list_backups

        self.items = list_backups(self.ctx.workspace)
        self.table.setRowCount(len(self.items))
        for row, info in enumerate(self.items):
            cells = (info.taken_at.strftime("%Y-%m-%d %H:%M:%S"), reason_label(info.reason), format_size(info.size))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(str(info.path))
                self.table.setItem(row, col, item)

    def selected(self) -> Any:
        rows = self.table.selectionModel().selectedRows()
        return self.items[rows[0].row()] if rows else None

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)

    def restore_selected(self) -> None:
        from liaison.core.backups import restore_backup

        info = self.selected()
        if info is None:
            return
        when = info.taken_at.strftime("%Y-%m-%d %H:%M")
        if not Confirm.ask(self, _("从备份恢复"), _("要把数据恢复到 {when} 的备份吗？之后录入的内容将不在当前数据里，"
                                                "但会先另存为一份“恢复前”备份。").format(when=when),
                           yes_text=_("恢复")):
            return
        self.setCursor(Qt.CursorShape.WaitCursor)
        try:
            self.safety = restore_backup(self.ctx.workspace, Path(info.path))
        except LiaisonError as exc:
            Message.show_error(self, exc.message)
            return
        finally:
            self.unsetCursor()
        self.restored_from = info
        self.accept()

    @classmethod
    def ask(cls, ctx: GuiContext, parent: QWidget | None) -> tuple[Any, Any] | None:
        """(the backup restored, the safety backup of the state before), or None."""
        dialog = cls(ctx, parent)
        try:
            dialog.exec()
            return None if dialog.restored_from is None else (dialog.restored_from, dialog.safety)
        finally:
            dialog.deleteLater()


class BackupBox(QGroupBox):
    """设置 → 备份."""

    restored = Signal()

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(_("备份"), parent)
        self.ctx = ctx
        layout = QVBoxLayout(self)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        row = QHBoxLayout()
        self.backup_button = QPushButton(_("立即备份"))
        self.restore_button = QPushButton(_("从备份恢复…"))
        row.addWidget(self.backup_button)
        row.addWidget(self.restore_button)
        row.addStretch(1)
        layout.addLayout(row)
        supported = backups_supported(ctx)
        self.backup_button.setEnabled(supported)
        is_admin = ctx.actor.role == UserRole.ADMIN
        self.restore_button.setEnabled(supported and is_admin)
        if supported and not is_admin:
            self.restore_button.setToolTip(_("恢复会替换现有数据，需要用管理员账户登录"))
        self.backup_button.clicked.connect(self.backup_now)
        self.restore_button.clicked.connect(self.restore)
        self.refresh()

    def refresh(self) -> None:
        if not backups_supported(self.ctx):
            self.status.setText(_("数据保存在数据库服务器上，请用服务器自己的备份（如 pg_dump）。"))
            return
        from liaison.core.backups import list_backups

        items = list_backups(self.ctx.workspace)
        if not items:
            self.status.setText(_("还没有备份。程序每天和退出时会自动备份（加密保存）。"))
            return
        newest = items[0]
        self.status.setText(_("最近一次备份：{when}（{why}），共 {n} 份；程序每天和退出时会自动备份，"
                              "备份文件已加密。\n位置：{folder}").format(
            when=newest.taken_at.strftime("%Y-%m-%d %H:%M"), why=reason_label(newest.reason), n=len(items),
            folder=Path(newest.path).parent))

    def backup_now(self) -> None:
        from liaison.core.backups import make_backup

        self.backup_button.setEnabled(False)
        ws = self.ctx.workspace

        def done(info: Any) -> None:
            self.backup_button.setEnabled(True)
            self.refresh()
            Message.show_info(self, _("已备份到 {path}").format(path=info.path))

        def failed(exc: BaseException) -> None:
            self.backup_button.setEnabled(True)
            from liaison.gui.ops import report_error

            report_error(self, exc)

        run_in_background(self, lambda token, report: make_backup(ws, reason="manual"),
                          on_done=done, on_error=failed)

    def restore(self) -> None:
        outcome = RestoreDialog.ask(self.ctx, self)
        if outcome is None:
            return
        restored, safety = outcome
        Message.show_info(self, _("已恢复到 {when} 的备份。恢复前的数据另存在 {path}。请重新登录。").format(
            when=restored.taken_at.strftime("%Y-%m-%d %H:%M"), path=safety.path))
        self.restored.emit()


class AutoBackup(QObject):
    """A backup once a day while the program runs, and one on exit."""

    def __init__(self, ctx: GuiContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.enabled = ctx.auto_backups and backups_supported(ctx)
        self._timer = QTimer(self)
        self._timer.setInterval(DAILY_CHECK_MS)
        self._timer.timeout.connect(self.daily)
        if self.enabled:
            self._timer.start()
            QTimer.singleShot(FIRST_CHECK_MS, self, self.daily)

    def daily(self) -> None:
        from liaison.core.backups import backup_due, make_backup

        ws = self.ctx.workspace
        if not self.enabled or not backup_due(ws):
            return
        # a failure is shown: a backup that silently stopped working is worse than none
        run_in_background(self, lambda token, report: make_backup(ws, reason="daily"))

    def on_exit(self) -> None:
        """Synchronous: the program is about to close the database."""
        from liaison.core.backups import make_backup

        self._timer.stop()
        if not self.enabled:
            return
        from liaison.gui.ops import wait_for_background_work

        wait_for_background_work()  # a daily backup may still be running
        try:
            make_backup(self.ctx.workspace, reason="exit")
        except Exception as exc:  # noqa: BLE001 - closing must go on; the person is told
            from liaison.gui.ops import describe_error

            log.error("backup on exit failed: %s", exc)
            Message.show_error(None, _("退出时的自动备份没有成功：{why}").format(why=describe_error(exc)))
