"""First run: create this village's workspace with its officer's and administrator's
accounts, or look around in demo data."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from liaison.core.errors import LiaisonError, ValidationError
from liaison.core.i18n import _
from liaison.core.services.workspace import SETUP_LABELS, VillageSetup
from liaison.gui.fields import FormGrid, TextField
from liaison.gui.login import password_field

PASSWORD_FIELDS = frozenset({"officer_password", "officer_again", "admin_password", "admin_again"})
# typed twice to catch a slip; only the first one goes to the service
REPEAT_FIELDS = frozenset({"officer_again", "admin_again"})


@dataclass(frozen=True)
class WelcomeChoice:
    """Either `setup` (create a village workspace) or `demo` is set."""

    setup: VillageSetup | None = None
    demo: bool = False


class WelcomeDialog(QDialog):
    """The form is checked by `accept_setup()` through a callback that tries to create the
    workspace, so a mistake (a wrong code) is shown next to its field, not after closing."""

    def __init__(self, parent: QWidget | None = None, *, create=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.setWindowTitle(_("欢迎使用残疾人专职委员工作台"))
        self.choice: WelcomeChoice | None = None
        self._create = create
        layout = QVBoxLayout(self)
        intro = QLabel(_("这是第一次在这台电脑上使用。请建立本村（社区）的工作区，"
                         "或先打开演示数据看看。所有数据都保存在本机。"))
        intro.setWordWrap(True)
        layout.addWidget(intro)

        box = QGroupBox(_("建立本村（社区）工作区"))
        inner = QVBoxLayout(box)
        self.form = FormGrid()
        for key in ("county_name", "county_code", "township_name", "township_code",
                    "village_name", "village_code"):
            field = TextField()
            if key.endswith("_code"):
                digits = {"county_code": 6, "township_code": 9, "village_code": 12}[key]
                field.setPlaceholderText(_("{n} 位统计用区划代码").format(n=digits))
                field.setMaxLength(digits)
            field.setMinimumWidth(field.fontMetrics().horizontalAdvance("0" * 24))
            self.form.add(key, _(SETUP_LABELS[key]), field)
        self.form.add("officer_name", _(SETUP_LABELS["officer_name"]), TextField())
        self.form.add("officer_username", _(SETUP_LABELS["officer_username"]), TextField())
        self.form.fields["officer_username"].setPlaceholderText(_("登录时用，如 zhangsan"))  # type: ignore[attr-defined]
        self.form.add("officer_password", _("密码"), password_field())
        self.form.add("officer_again", _("再输入一次密码"), password_field())
        self.form.add("admin_password", _("管理员密码"), password_field())
        self.form.add("admin_again", _("再输入一次管理员密码"), password_field())
        accounts_note = QLabel(_("专职委员每天用自己的登录名和密码登录。另建一个管理员账户（登录名 admin），"
                                 "用来管理账户、重设忘记的密码和恢复备份。密码都至少 8 个字符。"))
        accounts_note.setWordWrap(True)
        inner.addWidget(self.form)
        inner.addWidget(accounts_note)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()
        inner.addWidget(self.message)
        self.create_button = QPushButton(_("建立工作区(&C)"))
        self.create_button.setDefault(True)
        inner.addWidget(self.create_button, alignment=Qt.AlignmentFlag.AlignRight)
        layout.addWidget(box)

        self.demo_button = QPushButton(_("打开演示数据(&D)"))
        self.demo_button.setToolTip(_("一个虚构的县的数据，用来熟悉操作；与正式数据分开保存"))
        layout.addWidget(self.demo_button, alignment=Qt.AlignmentFlag.AlignLeft)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("退出"))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.create_button.clicked.connect(self.accept_setup)
        self.demo_button.clicked.connect(self.accept_demo)

    def _text(self, key: str) -> str:
        text = self.form.fields[key].text()  # type: ignore[attr-defined]
        return text if key in PASSWORD_FIELDS else text.strip()

    def setup_values(self) -> VillageSetup:
        return VillageSetup(**{k: self._text(k) for k in self.form.fields if k not in REPEAT_FIELDS})

    def accept_setup(self) -> None:
        setup = self.setup_values()
        problems = {k: _("不能为空") for k, v in setup.__dict__.items() if not v}
        for first, again in (("officer_password", "officer_again"), ("admin_password", "admin_again")):
            if first not in problems and self._text(first) != self._text(again):
                problems[again] = _("两次输入的密码不一致")
        self.form.clear_errors()
        self.message.hide()
        if problems:
            (self.form.set_errors(problems) or self).setFocus()
            return
        if self._create is not None:
            try:
                self._create(setup)
            except ValidationError as exc:
                first = self.form.set_errors(exc.errors)
                if first is not None:
                    first.setFocus()
                return
            except LiaisonError as exc:
                self.message.setText("⚠ " + exc.message)
                self.message.show()
                return
        self.choice = WelcomeChoice(setup=setup)
        self.accept()

    def accept_demo(self) -> None:
        self.choice = WelcomeChoice(demo=True)
        self.accept()

    @classmethod
    def ask(cls, parent: QWidget | None = None, *, create=None) -> WelcomeChoice | None:  # type: ignore[no-untyped-def]
        dialog = cls(parent, create=create)
        dialog.exec()
        return dialog.choice
