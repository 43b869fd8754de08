"""Accounts: the administrator's list of who may log in (new account, change role or areas,
reset a forgotten password, disable, unlock), and changing one's own password."""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from liaison.core.enums import AreaLevel, UserRole, label
from liaison.core.errors import LiaisonError
from liaison.core.i18n import _
from liaison.gui.context import GuiContext
from liaison.gui.dialogs import Confirm, Message
from liaison.gui.fields import (
    ChoiceField,
    ErrorLabel,
    FormGrid,
    TextField,
    pick_list,
    show_service_error,
)
from liaison.gui.login import password_field

# which level of area each role is bound to (None: the whole workspace)
ROLE_AREA_LEVEL = {
    UserRole.VILLAGE_OFFICER: AreaLevel.VILLAGE,
    UserRole.TOWNSHIP_STAFF: AreaLevel.TOWNSHIP,
    UserRole.COUNTY_STAFF: AreaLevel.COUNTY,
    UserRole.ADMIN: None,
}


def _buttons(dialog: QDialog, ok_text: str) -> QDialogButtonBox:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    box.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    box.button(QDialogButtonBox.StandardButton.Cancel).setText(_("取消"))
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    return box


class _AccountDialog(QDialog):
    """A dialog about one account (None: a new one, or the logged-in user's own) that saves
    through the services when accepted."""

    def __init__(self, ctx: GuiContext, user: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.user = user
        self.saved = False

    @classmethod
    def ask(cls, ctx: GuiContext, parent: QWidget | None, user: Any = None) -> bool:
        dialog = cls(ctx, user, parent)
        try:
            dialog.exec()
            return dialog.saved
        finally:
            dialog.deleteLater()


class UserFormDialog(_AccountDialog):
    """A new account (with its first password), or an existing one's name, role and areas."""

    def __init__(self, ctx: GuiContext, user: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(ctx, user, parent)
        from liaison.core.services.areas import list_areas

        self.setWindowTitle(_("新建账户") if user is None else _("修改账户"))
        layout = QVBoxLayout(self)
        self.form = FormGrid()
        self.username = TextField()
        self.username.setMaxLength(40)
        self.display_name = TextField()
        self.display_name.setMaxLength(50)
        self.role = ChoiceField([(role, label(role)) for role in ROLE_AREA_LEVEL])
        self.areas = QListWidget()
        self.areas.setMinimumHeight(self.fontMetrics().height() * 6)
        self.form.add("username", _("登录名"), self.username)
        self.form.add("display_name", _("姓名"), self.display_name)
        self.form.add("role", _("角色"), self.role)
        self.form.add("area_ids", _("负责地区"), self.areas)
        self.password: Any = None
        self.again: Any = None
        if user is None:
            self.password = password_field()
            self.again = password_field()
            self.form.add("password", _("密码"), self.password)
            self.form.add("again", _("再输入一次密码"), self.again)
        layout.addWidget(self.form)
        self.message = ErrorLabel()
        layout.addWidget(self.message)
        layout.addWidget(_buttons(self, _("保存")))
        with ctx.workspace.uow() as uow:
            self._areas = list_areas(uow, ctx.actor)
        if user is not None:
            self.username.setText(user.username)
            self.username.setReadOnly(True)
            self.display_name.setText(user.display_name)
            self.role.set_value(user.role)
        self._chosen: set[uuid.UUID] = set(getattr(user, "area_ids", ()) or ())
        self.role.value_changed.connect(self._fill_areas)
        self._fill_areas()
        width = self.fontMetrics().averageCharWidth() * 56
        self.setMinimumWidth(min(width, self.screen().availableGeometry().width() - 40))

    def _fill_areas(self) -> None:
        self._chosen |= self.checked_areas()
        self.areas.clear()
        level = ROLE_AREA_LEVEL.get(self.role.value())
        self.areas.setEnabled(level is not None)
        if level is None:
            self.areas.addItem(QListWidgetItem(_("（管理员不绑定地区）")))
            return
        for area in self._areas:
            if area.level != level:
                continue
            item = QListWidgetItem(area.full_name or area.name)
            item.setData(Qt.ItemDataRole.UserRole, str(area.id))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if area.id in self._chosen else Qt.CheckState.Unchecked)
            self.areas.addItem(item)

    def checked_areas(self) -> set[uuid.UUID]:
        chosen = set()
        for row in range(self.areas.count()):
            item = self.areas.item(row)
            value = item.data(Qt.ItemDataRole.UserRole)
            if value and item.checkState() == Qt.CheckState.Checked:
                chosen.add(uuid.UUID(value))
        return chosen

    def accept(self) -> None:
        from liaison.core.services import accounts

        self.form.clear_errors()
        self.message.show_message(None)
        role = self.role.value()
        area_ids = self.checked_areas() if ROLE_AREA_LEVEL.get(role) is not None else set()
        try:
            with self.ctx.workspace.uow() as uow:
                if self.user is None:
                    if self.password.text() != self.again.text():
                        self.form.set_errors({"again": _("两次输入的密码不一致")})
                        return
                    accounts.create_user(uow, self.ctx.actor, username=self.username.text().strip(),
                                         display_name=self.display_name.text().strip(), role=role,
                                         password=self.password.text(), area_ids=area_ids)
                else:
                    accounts.update_user(uow, self.ctx.actor, self.user.id,
                                         display_name=self.display_name.text().strip(), role=role,
                                         area_ids=area_ids)
                uow.commit()
        except LiaisonError as exc:
            show_service_error(self.form, self.message, exc)
            return
        self.saved = True
        super().accept()


class PasswordDialog(_AccountDialog):
    """One's own new password (the old one first), or an administrator's reset of another's."""

    def __init__(self, ctx: GuiContext, user: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(ctx, user, parent)  # user None: the logged-in user's own password
        if user is None:
            self.setWindowTitle(_("修改我的密码"))
        else:
            self.setWindowTitle(_("重设 {name} 的密码").format(name=user.display_name))
        layout = QVBoxLayout(self)
        self.form = FormGrid()
        self.old: Any = None
        if user is None:
            self.old = password_field()
            self.form.add("old_password", _("原密码"), self.old)
        self.new = password_field()
        self.again = password_field()
        self.form.add("new_password", _("新密码"), self.new)
        self.form.add("again", _("再输入一次"), self.again)
        layout.addWidget(self.form)
        note = QLabel(_("密码至少 8 个字符，不能与登录名相同。"))
        note.setWordWrap(True)
        layout.addWidget(note)
        self.message = ErrorLabel()
        layout.addWidget(self.message)
        layout.addWidget(_buttons(self, _("保存")))
        width = self.fontMetrics().averageCharWidth() * 48
        self.setMinimumWidth(min(width, self.screen().availableGeometry().width() - 40))

    def accept(self) -> None:
        from liaison.core.services import accounts

        self.form.clear_errors()
        self.message.show_message(None)
        if self.new.text() != self.again.text():
            self.form.set_errors({"again": _("两次输入的密码不一致")})
            self.again.setFocus()
            return
        try:
            with self.ctx.workspace.uow() as uow:
                if self.user is None:
                    accounts.change_password(uow, self.ctx.actor, self.old.text(), self.new.text())
                else:
                    accounts.reset_password(uow, self.ctx.actor, self.user.id, self.new.text())
                uow.commit()
        except LiaisonError as exc:  # the services name the field "new_password", as this form does
            show_service_error(self.form, self.message, exc)
            return
        self.saved = True
        super().accept()


COLUMNS = ("登录名", "姓名", "角色", "负责地区", "状态", "最近登录")


class AccountsDialog(QDialog):
    """The administrator's list of accounts."""

    def __init__(self, ctx: GuiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.users: list[Any] = []
        self.setWindowTitle(_("管理账户"))
        layout = QVBoxLayout(self)
        self.table = pick_list([_(c) for c in COLUMNS], _("账户列表"))
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.new_button = QPushButton(_("新建账户(&N)…"))
        self.edit_button = QPushButton(_("修改(&E)…"))
        self.reset_button = QPushButton(_("重设密码(&R)…"))
        self.active_button = QPushButton(_("停用(&D)"))
        self.unlock_button = QPushButton(_("解除锁定(&U)"))
        for button in (self.new_button, self.edit_button, self.reset_button, self.active_button, self.unlock_button):
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.button(QDialogButtonBox.StandardButton.Close).setText(_("关闭"))
        close.rejected.connect(self.reject)
        layout.addWidget(close)
        self.new_button.clicked.connect(self.new_user)
        self.edit_button.clicked.connect(self.edit_user)
        self.reset_button.clicked.connect(self.reset_password)
        self.active_button.clicked.connect(self.toggle_active)
        self.unlock_button.clicked.connect(self.unlock)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(lambda _index: self.edit_user())
        self.reload()
        screen = self.screen().availableGeometry()
        self.resize(min(self.fontMetrics().averageCharWidth() * 110, screen.width() - 40),
                    min(self.fontMetrics().height() * 24, screen.height() - 80))

    def reload(self) -> None:
        from liaison.core.services.accounts import list_users

        with self.ctx.workspace.uow() as uow:
            self.users = list_users(uow, self.ctx.actor)
        now = _now()
        self.table.setRowCount(len(self.users))
        for row, user in enumerate(self.users):
            locked = user.locked_until is not None and user.locked_until > now
            state = _("已停用") if not user.active else (_("已锁定") if locked else _("正常"))
            last = user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "—"
            cells = (user.username, user.display_name, user.role_label,
                     "、".join(user.area_names) or _("全部"), state, last)
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self._update_buttons()

    def selected(self) -> Any:
        rows = self.table.selectionModel().selectedRows()
        return self.users[rows[0].row()] if rows else None

    def select_username(self, username: str) -> None:
        for row, user in enumerate(self.users):
            if user.username == username:
                self.table.selectRow(row)
                return

    def _update_buttons(self) -> None:
        user = self.selected()
        for button in (self.edit_button, self.reset_button, self.active_button, self.unlock_button):
            button.setEnabled(user is not None)
        if user is not None:
            self.active_button.setText(_("停用(&D)") if user.active else _("启用(&D)"))
            self.unlock_button.setEnabled(user.locked_until is not None and user.locked_until > _now())

    def new_user(self) -> None:
        if UserFormDialog.ask(self.ctx, self):
            self.reload()

    def edit_user(self) -> None:
        user = self.selected()
        if user is not None and UserFormDialog.ask(self.ctx, self, user):
            self.reload()
            self.select_username(user.username)

    def reset_password(self) -> None:
        user = self.selected()
        if user is not None and PasswordDialog.ask(self.ctx, self, user):
            Message.show_info(self, _("已重设 {name} 的密码。请当面告诉本人，并请其登录后修改。").format(
                name=user.display_name))

    def toggle_active(self) -> None:
        from liaison.core.services.accounts import update_user

        user = self.selected()
        if user is None:
            return
        if user.active and not Confirm.ask(self, _("停用账户"), _("停用后 {name} 不能再登录。确定停用吗？").format(
                name=user.display_name), yes_text=_("停用")):
            return
        self._run(lambda uow: update_user(uow, self.ctx.actor, user.id, active=not user.active), user.username)

    def unlock(self) -> None:
        from liaison.core.services.accounts import unlock

        user = self.selected()
        if user is not None:
            self._run(lambda uow: unlock(uow, self.ctx.actor, user.id), user.username)

    def _run(self, change: Any, username: str) -> None:
        try:
            with self.ctx.workspace.uow() as uow:
                change(uow)
                uow.commit()
        except LiaisonError as exc:
            Message.show_error(self, exc.message)
        self.reload()
        self.select_username(username)

    @classmethod
    def show_for(cls, ctx: GuiContext, parent: QWidget | None) -> None:
        dialog = cls(ctx, parent)
        try:
            dialog.exec()
        finally:
            dialog.deleteLater()


def _now():  # type: ignore[no-untyped-def]
    from liaison.core.models.base import utcnow

    return utcnow()
