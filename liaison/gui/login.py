"""Getting in: the login, the first administrator of a workspace that has none, the recovery
code shown once when a workspace is created, and asking for it when this computer has lost
the database key."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from liaison.bootstrap import Workspace
from liaison.core.errors import LiaisonError
from liaison.core.i18n import _
from liaison.core.services.context import Actor
from liaison.gui.fields import ErrorLabel, FormGrid, TextField, show_service_error

if TYPE_CHECKING:
    from liaison.core.demo import DemoAccount


def password_field() -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setMaxLength(128)
    return field


def _ok_cancel(dialog: QDialog, ok_text: str, cancel_text: str) -> QDialogButtonBox:
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(cancel_text)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


def _fit_width(dialog: QDialog, chars: int = 56) -> None:
    width = dialog.fontMetrics().averageCharWidth() * chars
    dialog.setMinimumWidth(min(width, dialog.screen().availableGeometry().width() - 40))


class LoginDialog(QDialog):
    """User name and password; the account service counts wrong tries and locks."""

    def __init__(self, ws: Workspace, *, username: str = "", hint: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.actor: Actor | None = None
        self.setWindowTitle(_("登录 — 残疾人专职委员工作台"))
        layout = QVBoxLayout(self)
        intro = QLabel(_("请输入您的登录名和密码。"))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.form = FormGrid()
        self.username = TextField()
        self.username.setMaxLength(40)
        self.username.setText(username)
        self.password = password_field()
        self.form.add("username", _("登录名"), self.username)
        self.form.add("password", _("密码"), self.password)
        layout.addWidget(self.form)
        self.message = ErrorLabel()
        layout.addWidget(self.message)
        if hint:
            note = QLabel(hint)
            note.setWordWrap(True)
            note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(note)
        layout.addWidget(_ok_cancel(self, _("登录"), _("退出")))
        (self.password if username else self.username).setFocus()
        _fit_width(self)

    def accept(self) -> None:
        from liaison.core.services.accounts import authenticate

        self.form.clear_errors()
        self.message.show_message(None)
        name = self.username.text().strip()
        if not name:
            self.form.set_errors({"username": _("请输入登录名")})
            self.username.setFocus()
            return
        try:
            self.actor = authenticate(self.ws.uow, name, self.password.text(), device_id=self.ws.device_id)
        except LiaisonError as exc:
            self.message.show_message(exc.message)
            self.password.selectAll()
            self.password.setFocus()
            return
        self.password.clear()
        super().accept()

    @classmethod
    def ask(cls, ws: Workspace, *, username: str = "", hint: str | None = None) -> Actor | None:
        dialog = cls(ws, username=username, hint=hint)
        try:
            dialog.exec()
            return dialog.actor
        finally:
            dialog.deleteLater()


class FirstAdminDialog(QDialog):
    """A workspace without an administrator (made by an earlier version, or on the command
    line) gets one before anybody logs in."""

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.created = False
        self.setWindowTitle(_("设置管理员账户"))
        layout = QVBoxLayout(self)
        intro = QLabel(_("这个工作区还没有管理员。请设置管理员的登录名和密码：管理员负责建立其他人的账户、"
                         "重设忘记的密码和从备份恢复数据。密码至少 8 个字符，请牢记。"))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.form = FormGrid()
        self.username = TextField()
        self.username.setText("admin")
        self.display_name = TextField()
        self.display_name.setText(_("管理员"))
        self.password = password_field()
        self.again = password_field()
        self.form.add("username", _("登录名"), self.username)
        self.form.add("display_name", _("姓名"), self.display_name)
        self.form.add("password", _("密码"), self.password)
        self.form.add("again", _("再输入一次"), self.again)
        layout.addWidget(self.form)
        self.message = ErrorLabel()
        layout.addWidget(self.message)
        layout.addWidget(_ok_cancel(self, _("建立管理员账户"), _("退出")))
        self.password.setFocus()
        _fit_width(self)

    def accept(self) -> None:
        from liaison.core.services.accounts import create_first_admin

        self.form.clear_errors()
        self.message.show_message(None)
        if self.password.text() != self.again.text():
            self.form.set_errors({"again": _("两次输入的密码不一致")})
            self.again.setFocus()
            return
        try:
            with self.ws.uow() as uow:
                create_first_admin(uow, self.ws.system_actor, username=self.username.text().strip(),
                                   display_name=self.display_name.text().strip(), password=self.password.text())
                uow.commit()
        except LiaisonError as exc:
            show_service_error(self.form, self.message, exc)
            return
        self.created = True
        super().accept()

    @classmethod
    def ask(cls, ws: Workspace) -> bool:
        dialog = cls(ws)
        try:
            dialog.exec()
            return dialog.created
        finally:
            dialog.deleteLater()


def recovery_sheet_html(code: str, workspace: str, path: str) -> str:
    """What is printed: the code large, where it belongs, and what it is for."""
    return (
        f"<h2>{_('数据库恢复码')}</h2>"
        f"<p>{_('工作区')}：{workspace}</p><p>{_('数据文件')}：{path}</p>"
        f"<p style='font-size:20pt; font-family: monospace;'><b>{code}</b></p>"
        f"<p>{_('重装系统或换电脑后，用这个恢复码才能重新打开加密的数据。请把这张纸锁好，不要和电脑放在一起。')}</p>"
    )


class RecoveryCodeDialog(QDialog):
    """Shown once, right after a workspace is created: the code that reopens the encrypted
    database when this computer's key store is gone. It is not kept anywhere readable."""

    def __init__(self, code: str, *, workspace: str, path: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.code = code
        self._sheet = recovery_sheet_html(code, workspace, path)
        self.setWindowTitle(_("请保存数据库恢复码"))
        self.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)
        layout = QVBoxLayout(self)
        intro = QLabel(_("本工作区的数据已加密保存。下面的恢复码只显示这一次：重装系统或换电脑后，"
                         "要用它才能重新打开数据。请现在打印或抄在纸上，锁好保管。"))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.code_label = QLabel(code)
        font = QFont(self.font())
        font.setFamilies(["DejaVu Sans Mono", "Consolas", "Courier New", "monospace"])
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.code_label.setFont(font)
        self.code_label.setWordWrap(True)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.code_label.setAccessibleName(_("恢复码"))
        layout.addWidget(self.code_label)
        self.print_button = QPushButton(_("打印恢复码(&P)…"))
        layout.addWidget(self.print_button, alignment=Qt.AlignmentFlag.AlignLeft)
        self.kept = QCheckBox(_("我已打印或抄下恢复码，并会妥善保管"))
        layout.addWidget(self.kept)
        self.done_button = QPushButton(_("完成"))
        self.done_button.setEnabled(False)
        layout.addWidget(self.done_button, alignment=Qt.AlignmentFlag.AlignRight)
        self.kept.toggled.connect(self.done_button.setEnabled)
        self.done_button.clicked.connect(self.accept)
        self.print_button.clicked.connect(self.print_sheet)
        _fit_width(self, 64)

    def print_sheet(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        chooser = QPrintDialog(printer, self)
        if chooser.exec() != QDialog.DialogCode.Accepted:
            return
        document = QTextDocument()
        document.setHtml(self._sheet)
        document.print_(printer)

    def reject(self) -> None:
        # Esc must not skip the only showing of the code
        if self.kept.isChecked():
            super().reject()

    @classmethod
    def show_code(cls, parent: QWidget | None, code: str, *, workspace: str, path: str) -> None:
        dialog = cls(code, workspace=workspace, path=path, parent=parent)
        try:
            dialog.exec()
        finally:
            dialog.deleteLater()


class RecoveryEntryDialog(QDialog):
    """This computer has no key for the database (a reinstall, another computer): the
    recovery code opens it again. `check(code)` raises with the reason when it does not."""

    def __init__(self, path: str, check: Callable[[str], object], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._check = check
        self.result_value: object = None
        self.setWindowTitle(_("输入数据库恢复码"))
        layout = QVBoxLayout(self)
        intro = QLabel(_("本机找不到这个数据库的密钥（可能重装过系统或换了电脑）。"
                         "请输入建立工作区时打印或抄下的恢复码。\n数据文件：{path}").format(path=path))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.form = FormGrid()
        self.code = TextField()
        self.code.setMaxLength(120)
        self.code.setPlaceholderText(_("例如 ABCD-EFGH-……，大小写和空格均可"))
        self.form.add("code", _("恢复码"), self.code)
        layout.addWidget(self.form)
        self.message = ErrorLabel()
        layout.addWidget(self.message)
        layout.addWidget(_ok_cancel(self, _("打开"), _("取消")))
        self.code.setFocus()
        _fit_width(self, 64)

    def accept(self) -> None:
        self.message.show_message(None)
        text = self.code.text().strip()
        if not text:
            self.form.set_errors({"code": _("请输入恢复码")})
            return
        try:
            self.result_value = self._check(text)
        except LiaisonError as exc:
            self.message.show_message(exc.message)
            self.code.setFocus()
            return
        super().accept()

    @classmethod
    def ask(cls, path: str, check: Callable[[str], object]) -> object:
        dialog = cls(path, check)
        try:
            dialog.exec()
            return dialog.result_value
        finally:
            dialog.deleteLater()


def demo_login_hint(accounts: Sequence[DemoAccount], password: str) -> str:
    lines = [_("演示数据的账户（密码都是 {pw}）：").format(pw=password)]
    for account in accounts:
        where = f"（{account.area_name}）" if account.area_name else ""
        lines.append(f"  {account.username} — {account.display_name}，{account.role_label}{where}")
    return "\n".join(lines)
