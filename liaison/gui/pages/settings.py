"""设置: font size (applies at once and is remembered), which workspace is open, the account
(password, idle lock, the administrator's account list) and the backups."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from liaison.core.db import sqlite_path
from liaison.core.enums import UserRole, label
from liaison.core.i18n import _
from liaison.core.services.workspace import workspace_name
from liaison.gui.app import apply_font_scale
from liaison.gui.backups import BackupBox
from liaison.gui.context import GuiContext
from liaison.gui.dialogs import Message
from liaison.gui.fields import ChoiceField, FormGrid
from liaison.gui.settings import FONT_SCALES, IDLE_LOCK_CHOICES


class WorkspaceFile:
    """Asking for a workspace file goes through here, so tests can answer instead."""

    @classmethod
    def ask_open(cls, parent: QWidget | None) -> str | None:
        path, _filter = QFileDialog.getOpenFileName(
            parent, _("打开工作区文件"), "", _("工作区数据库 (*.db);;所有文件 (*)"))
        return path or None

    @classmethod
    def ask_new(cls, parent: QWidget | None) -> str | None:
        path, _filter = QFileDialog.getSaveFileName(
            parent, _("新建工作区文件"), "liaison.db", _("工作区数据库 (*.db)"))
        return path or None


class SettingsPage(QWidget):
    # a file path for another workspace, or "" for the demo data
    switch_requested = Signal(str)
    lock_requested = Signal()
    idle_minutes_changed = Signal(int)
    # the database was replaced by a backup: the window must reopen the workspace
    restored = Signal()

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        # the groups scroll: at 200 % on a 1366×768 screen they are taller than the window
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        content = QWidget()
        layout = QVBoxLayout(content)
        scroll.setWidget(content)
        outer.addWidget(scroll)

        display = QGroupBox(_("显示"))
        display_form = FormGrid()
        self.font_scale = ChoiceField([(s, f"{s}%") for s in FONT_SCALES])
        self.font_scale.set_value(ctx.settings.font_scale)
        display_form.add("font_scale", _("字号"), self.font_scale)
        QVBoxLayout(display).addWidget(display_form)
        note = QLabel(_("字号立即生效，并在下次打开时保持。"))
        note.setWordWrap(True)
        display.layout().addWidget(note)
        layout.addWidget(display)

        space = QGroupBox(_("工作区"))
        space_layout = QVBoxLayout(space)
        with ctx.workspace.uow() as uow:
            name = workspace_name(uow)
        path = sqlite_path(ctx.workspace.url)
        facts = [
            (_("名称"), name),
            (_("数据文件"), str(path) if path else ctx.workspace.url),
            (_("当前用户"), f"{ctx.actor.display_name}（{label(ctx.actor.role)}）"),
            (_("本机编号"), ctx.workspace.device_id),
        ]
        for caption, value in facts:
            row = QLabel(f"{caption}：{value}")
            row.setWordWrap(True)
            space_layout.addWidget(row)
        buttons = QHBoxLayout()
        self.demo_button = QPushButton(_("打开演示数据"))
        self.open_button = QPushButton(_("打开其他工作区文件…"))
        self.new_button = QPushButton(_("新建工作区…"))
        for button in (self.demo_button, self.open_button, self.new_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        space_layout.addLayout(buttons)
        layout.addWidget(space)

        security = QGroupBox(_("账户与安全"))
        security_layout = QVBoxLayout(security)
        security_form = FormGrid()
        self.idle_minutes = ChoiceField([(m, _("{m} 分钟").format(m=m)) for m in IDLE_LOCK_CHOICES])
        self.idle_minutes.set_value(ctx.settings.idle_lock_minutes)
        security_form.add("idle_minutes", _("无操作后锁定"), self.idle_minutes)
        security_layout.addWidget(security_form)
        account_buttons = QHBoxLayout()
        self.password_button = QPushButton(_("修改我的密码…"))
        self.lock_button = QPushButton(_("立即锁定（Ctrl+L）"))
        self.accounts_button = QPushButton(_("管理账户…"))
        self.accounts_button.setVisible(ctx.actor.role == UserRole.ADMIN)
        for button in (self.password_button, self.lock_button, self.accounts_button):
            account_buttons.addWidget(button)
        account_buttons.addStretch(1)
        security_layout.addLayout(account_buttons)
        layout.addWidget(security)

        self.backups = BackupBox(ctx)
        self.backups.restored.connect(self.restored)
        layout.addWidget(self.backups)
        layout.addStretch(1)

        self.font_scale.value_changed.connect(self.change_font_scale)
        self.demo_button.clicked.connect(lambda: self.switch_requested.emit(""))
        self.open_button.clicked.connect(self._open_file)
        self.new_button.clicked.connect(self._new_file)
        self.idle_minutes.value_changed.connect(self._change_idle_minutes)
        self.password_button.clicked.connect(self._change_password)
        self.lock_button.clicked.connect(self.lock_requested)
        self.accounts_button.clicked.connect(self._manage_accounts)

    def _change_idle_minutes(self) -> None:
        minutes = self.idle_minutes.value()
        self.ctx.settings.idle_lock_minutes = minutes
        self.idle_minutes_changed.emit(minutes)

    def _change_password(self) -> None:
        from liaison.gui.accounts import PasswordDialog

        if PasswordDialog.ask(self.ctx, self):
            Message.show_info(self, _("密码已修改，下次登录请用新密码。"))

    def _manage_accounts(self) -> None:
        from liaison.gui.accounts import AccountsDialog

        AccountsDialog.show_for(self.ctx, self)

    def change_font_scale(self) -> None:
        scale = self.font_scale.value()
        self.ctx.settings.font_scale = scale
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_font_scale(app, scale)

    def _open_file(self) -> None:
        if (path := WorkspaceFile.ask_open(self)) is not None:
            self.switch_requested.emit(path)

    def _new_file(self) -> None:
        if (path := WorkspaceFile.ask_new(self)) is not None:
            self.switch_requested.emit(path)
