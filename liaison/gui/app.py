"""Starting the window: the application object, the shipped Chinese font, the font size,
choosing and opening the workspace, the first-run welcome."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont, QFontDatabase, QFontMetrics, QIcon
from PySide6.QtWidgets import QApplication, QMainWindow

from liaison.core.i18n import _
from liaison.core.resources import resource_path

log = logging.getLogger(__name__)

FONT_FILES = ("NotoSansSC-Regular.ttf", "NotoSansSC-Bold.ttf")
FALLBACK_FAMILY = "Noto Sans SC"
# a little above the usual 9 pt: many officers read with difficulty
BASE_POINT_SIZE = 11.0
# Build check only (scripts/build.sh runs the frozen program with it): once the window has
# settled, save a picture of it to this path and quit. Not offered to users anywhere.
SMOKE_SCREENSHOT_ENV = "LIAISON_SMOKE_SCREENSHOT"
SMOKE_DELAY_MS = 2500


def load_fonts() -> str:
    """Register the shipped font (so Chinese shows on any machine); returns its family."""
    family = None
    for name in FONT_FILES:
        font_id = QFontDatabase.addApplicationFont(str(resource_path("fonts", name)))
        if font_id < 0:
            log.warning("could not load font %s", name)
            continue
        families = QFontDatabase.applicationFontFamilies(font_id)
        family = family or (families[0] if families else None)
    return family or FALLBACK_FAMILY


def apply_font_scale(app: QApplication, scale_percent: int) -> None:
    """Every widget without a font of its own follows the application font, at once."""
    font = QFont(app.font())
    font.setPointSizeF(BASE_POINT_SIZE * scale_percent / 100)
    app.setFont(font)
    # tick boxes do not follow the font by themselves: at 200% they would stay tiny
    box = max(13, round(QFontMetrics(font).height() * 0.8))
    app.setStyleSheet(
        f"QCheckBox::indicator, QRadioButton::indicator {{ width: {box}px; height: {box}px; }}")


def create_application(argv: Sequence[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv is not None else sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Liaison")
    app.setApplicationDisplayName(_("残疾人专职委员工作台"))
    app.setOrganizationName("Liaison")
    icon = resource_path("icons", "liaison.png")
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    family = load_fonts()
    app.setFont(QFont(family))
    apply_font_scale(app, 100)
    return app


def run_gui(db_option: str | None = None) -> int:
    from liaison.gui.launcher import launch

    app = create_application()
    shot = os.environ.get(SMOKE_SCREENSHOT_ENV)
    if shot:
        arm_smoke_screenshot(app, shot)
    window = launch(app, db_option)
    if window is None:
        return 1
    return app.exec()


def arm_smoke_screenshot(app: QApplication, path: str, delay_ms: int = SMOKE_DELAY_MS) -> None:
    """After `delay_ms` (and any background loading), save the main window to `path` and quit.
    A login dialog on the way is answered with LIAISON_USER and LIAISON_PASSWORD.
    The program then exits 0 only if the main window was shown and saved; otherwise (e.g. the
    welcome dialog or an error message instead) it saves what was shown and exits non-zero.
    Says what it saw on stderr."""
    from liaison.gui.ops import wait_for_background_work

    def shoot() -> None:
        wait_for_background_work()
        app.processEvents()
        windows = [w for w in app.topLevelWidgets() if w.isVisible()]
        main = next((w for w in windows if isinstance(w, QMainWindow)), None)
        target = main or app.activeWindow() or (windows[0] if windows else None)
        saved = target is not None and target.grab().save(path)
        what = f"{type(target).__name__} '{target.windowTitle()}'" if target is not None else "nothing"
        print(f"smoke screenshot: {what} -> {path if saved else 'not saved'}", file=sys.stderr)
        log.info("smoke screenshot of %s, saved=%s", type(target).__name__, saved)
        app.exit(0 if main is not None and saved else 4)

    def log_in() -> None:
        # the login dialog filled in and confirmed as a person would, from the CLI's variables
        from liaison.gui.login import LoginDialog

        user, password = os.environ.get("LIAISON_USER"), os.environ.get("LIAISON_PASSWORD")
        dialog = next((w for w in app.topLevelWidgets() if isinstance(w, LoginDialog) and w.isVisible()), None)
        if dialog is None or not user or password is None:
            return
        dialog.username.setText(user)
        dialog.password.setText(password)
        dialog.accept()

    QTimer.singleShot(delay_ms // 3, log_in)
    QTimer.singleShot(delay_ms, shoot)
