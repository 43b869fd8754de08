"""Every question the window asks a person goes through a classmethod `ask()` (or `show_*`),
so tests replace it instead of clicking a modal box."""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtWidgets import QMessageBox, QWidget

from liaison.core.i18n import _


class Message:
    @classmethod
    def show_error(cls, parent: QWidget | None, text: str) -> None:
        QMessageBox.critical(parent, _("出错了"), text)

    @classmethod
    def show_info(cls, parent: QWidget | None, text: str) -> None:
        QMessageBox.information(parent, _("提示"), text)


class Confirm:
    @classmethod
    def ask(cls, parent: QWidget | None, title: str, text: str, *, yes_text: str | None = None) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
        yes = box.addButton(yes_text or _("确定"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(_("取消"), QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return box.clickedButton() is yes


class UnsavedChoice(StrEnum):
    SAVE = "save"
    DISCARD = "discard"
    CANCEL = "cancel"


class UnsavedChanges:
    @classmethod
    def ask(cls, parent: QWidget | None, what: str) -> UnsavedChoice:
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            _("有未保存的修改"),
            _("{what}有未保存的修改。要保存吗？").format(what=what),
            parent=parent,
        )
        save = box.addButton(_("保存"), QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton(_("不保存"), QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(_("取消"), QMessageBox.ButtonRole.RejectRole)
        box.exec()
        clicked = box.clickedButton()
        if clicked is save:
            return UnsavedChoice.SAVE
        if clicked is discard:
            return UnsavedChoice.DISCARD
        return UnsavedChoice.CANCEL
