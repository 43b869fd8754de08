"""Starting the window: the application object, the shipped Chinese font, the font size,
choosing and opening the workspace, the first-run welcome."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from PySide6.QtGui import QFont, QFontDatabase, QFontMetrics
from PySide6.QtWidgets import QApplication

from liaison.core.i18n import _
from liaison.core.resources import resource_path

log = logging.getLogger(__name__)

FONT_FILES = ("NotoSansSC-Regular.ttf", "NotoSansSC-Bold.ttf")
FALLBACK_FAMILY = "Noto Sans SC"
# a little above the usual 9 pt: many officers read with difficulty
BASE_POINT_SIZE = 11.0


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
    family = load_fonts()
    app.setFont(QFont(family))
    apply_font_scale(app, 100)
    return app


def run_gui(db_option: str | None = None) -> int:
    from liaison.gui.launcher import launch

    app = create_application()
    window = launch(app, db_option)
    if window is None:
        return 1
    return app.exec()
