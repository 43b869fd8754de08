"""Pages for work the program will do but does not do yet: they say what they will hold,
with no fake content and no buttons that do nothing."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from liaison.core.i18n import _

# key → (title, paragraphs); every page of the window is built now
PLANNED: dict[str, tuple[str, list[str]]] = {}


class PlannedPage(QWidget):
    def __init__(self, key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title, paragraphs = PLANNED[key]
        layout = QVBoxLayout(self)
        heading = QLabel(_(title))
        font = heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.3)
        heading.setFont(font)
        layout.addWidget(heading)
        status = QLabel(_("此功能尚在开发中，本版本还不能使用。"))
        status.setWordWrap(True)
        layout.addWidget(status)
        for text in paragraphs:
            label = QLabel(_(text))
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard
                                          | Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(label)
        layout.addStretch(1)
        self.setAccessibleName(_(title))
