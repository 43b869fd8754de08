"""The CJK font every printed document uses: Noto Sans SC (TrueType outlines, SIL OFL), shipped
in resources/fonts and embedded in each PDF as a subset.

A character the font does not have would print as a blank. `GlyphCheck` finds such characters
before they reach the page: the text gets a visible □ instead, and the document's caller gets a
warning naming the field (a person's name with a rare character must be written by hand).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import cache

from reportlab.graphics.shapes import STATE_DEFAULTS
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from liaison.core.i18n import _
from liaison.core.resources import resource_path

FONT = "NotoSansSC"
FONT_BOLD = "NotoSansSC-Bold"
REPLACEMENT = "□"


@cache
def register_fonts() -> frozenset[int]:
    """Register the regular and bold faces (once per process); returns the code points they cover."""
    regular = TTFont(FONT, str(resource_path("fonts", "NotoSansSC-Regular.ttf")))
    bold = TTFont(FONT_BOLD, str(resource_path("fonts", "NotoSansSC-Bold.ttf")))
    pdfmetrics.registerFont(regular)
    pdfmetrics.registerFont(bold)
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)
    for bold_flag, italic_flag, name in ((0, 0, FONT), (1, 0, FONT_BOLD), (0, 1, FONT), (1, 1, FONT_BOLD)):
        addMapping(FONT, bold_flag, italic_flag, name)
    # charts start every drawing in the default font: make that ours, not an unembedded Helvetica
    STATE_DEFAULTS["fontName"] = FONT
    return frozenset(regular.face.charToGlyph) & frozenset(bold.face.charToGlyph)


def missing_characters(text: str) -> list[str]:
    """Characters of `text` the font cannot draw (spaces and control characters aside)."""
    covered = register_fonts()
    seen: dict[str, None] = {}
    for ch in text:
        if ord(ch) not in covered and not ch.isspace() and unicodedata.category(ch)[0] != "C":
            seen.setdefault(ch, None)
    return list(seen)


@dataclass
class GlyphCheck:
    """Collects the warnings of one document while its text is prepared."""

    warnings: list[str] = field(default_factory=list)

    def text(self, value: object, what: str = "") -> str:
        """`value` as printable text: characters the font lacks become □ and are reported."""
        text = "" if value is None else str(value)
        missing = missing_characters(text)
        if not missing:
            return text
        chars = "、".join(f"“{ch}”（U+{ord(ch):04X}）" for ch in missing)
        where = _("{what}“{text}”").format(what=what, text=text) if what else f"“{text}”"
        self.warnings.append(_("{where}中的 {chars} 字库中没有，打印为“{r}”，请在纸面上手写补全").format(
            where=where, chars=chars, r=REPLACEMENT))
        for ch in missing:
            text = text.replace(ch, REPLACEMENT)
        return text
