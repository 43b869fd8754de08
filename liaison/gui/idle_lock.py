"""The idle lock: after some minutes without a key press or a mouse action, every window of
the program is covered and the user's password is asked for.

Nothing is hidden or closed: an open form keeps what was typed into it, and a dialog waiting
in its own event loop stays there. Each visible window gets an opaque curtain over its
contents, and an application-modal lock dialog takes all input until the password is right.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from liaison.core.errors import LiaisonError
from liaison.core.i18n import _
from liaison.gui.context import GuiContext

log = logging.getLogger(__name__)

# what counts as the person being there
ACTIVITY_EVENTS = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
    QEvent.Type.Wheel, QEvent.Type.TouchBegin, QEvent.Type.InputMethod,
})
CHECK_INTERVAL_MS = 5_000


class Curtain(QWidget):
    """An opaque cover over one window's contents while the program is locked."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("idleLockCurtain")
        self.setAutoFillBackground(True)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("#idleLockCurtain { background: palette(window); }")
        layout = QVBoxLayout(self)
        text = QLabel(_("已锁定"))
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(text)
        self.setGeometry(window.rect())
        window.installEventFilter(self)
        self.show()
        self.raise_()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parent() and event.type() in (QEvent.Type.Resize, QEvent.Type.ChildAdded):
            parent = self.parentWidget()
            if parent is not None:
                self.setGeometry(parent.rect())
                self.raise_()
        return False


class LockDialog(QDialog):
    """Asks the locked-out user's password; it cannot be closed or escaped any other way."""

    def __init__(self, ctx: GuiContext, on_unlock: Callable[[], None]) -> None:
        super().__init__(None)
        self.ctx = ctx
        self._on_unlock = on_unlock
        self._closing_allowed = False  # only finish() may close it
        self.setWindowTitle(_("残疾人专职委员工作台 — 已锁定"))
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)
        layout = QVBoxLayout(self)
        intro = QLabel(_("长时间没有操作，为保护个人信息，程序已锁定。\n"
                         "未保存的表格都还在，输入密码后继续。"))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        who = QLabel(_("用户：{name}（{user}）").format(name=ctx.actor.display_name, user=ctx.actor.username))
        layout.addWidget(who)
        row = QHBoxLayout()
        row.addWidget(QLabel(_("密码")))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName(_("密码"))
        row.addWidget(self.password, 1)
        layout.addLayout(row)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020;")
        self.message.hide()
        layout.addWidget(self.message)
        self.unlock_button = QPushButton(_("解锁(&U)"))
        self.unlock_button.setDefault(True)
        layout.addWidget(self.unlock_button, alignment=Qt.AlignmentFlag.AlignRight)
        self.unlock_button.clicked.connect(self.try_unlock)
        self.password.returnPressed.connect(self.try_unlock)

    def try_unlock(self) -> bool:
        from liaison.core.services.accounts import verify_password

        try:
            verify_password(self.ctx.workspace.uow, self.ctx.actor, self.password.text())
        except LiaisonError as exc:
            self.message.setText("⚠ " + exc.message)
            self.message.show()
            self.password.selectAll()
            self.password.setFocus()
            return False
        self.password.clear()
        self.message.hide()
        self._on_unlock()
        return True

    # only the right password ends the lock
    def reject(self) -> None:
        pass

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.isVisible() and not self._closing_allowed:
            event.ignore()
            return
        super().closeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            return
        super().keyPressEvent(event)

    def finish(self) -> None:
        self._closing_allowed = True
        self.hide()
        self.deleteLater()


class IdleLock(QObject):
    """Watches the application's input; `lock()` after `minutes` without any."""

    locked = Signal()
    unlocked = Signal()

    def __init__(self, ctx: GuiContext, minutes: int, *, clock: Callable[[], float] = time.monotonic,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.minutes = minutes
        self._clock = clock
        self._last_activity = clock()
        self._curtains: list[Curtain] = []
        self.dialog: LockDialog | None = None
        app = QApplication.instance()
        assert app is not None
        app.installEventFilter(self)
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_INTERVAL_MS)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    @property
    def is_locked(self) -> bool:
        return self.dialog is not None

    def set_minutes(self, minutes: int) -> None:
        self.minutes = minutes
        self._last_activity = self._clock()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in ACTIVITY_EVENTS and not self.is_locked:
            self._last_activity = self._clock()
        return False

    def check(self) -> None:
        if not self.is_locked and self.minutes > 0 and self._clock() - self._last_activity >= self.minutes * 60:
            log.info("locking after %s idle minutes", self.minutes)
            self.lock()

    def lock(self) -> None:
        if self.is_locked:
            return
        for window in QApplication.topLevelWidgets():
            if window.isVisible() and not isinstance(window, LockDialog):
                self._curtains.append(Curtain(window))
        self.dialog = LockDialog(self.ctx, self._unlock)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        self.dialog.password.setFocus()
        self.locked.emit()

    def _unlock(self) -> None:
        for curtain in self._curtains:
            parent = curtain.parentWidget()
            if parent is not None:
                parent.removeEventFilter(curtain)
            curtain.hide()
            curtain.deleteLater()
        self._curtains.clear()
        if self.dialog is not None:
            self.dialog.finish()
        self.dialog = None
        self._last_activity = self._clock()
        self.unlocked.emit()

    def stop(self) -> None:
        self._timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
