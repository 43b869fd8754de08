"""Translation hook for user-facing text.

Source strings are Simplified Chinese. `_()` looks them up in a gettext catalogue when one
is installed (e.g. Korean for Yanbian); without one it returns the string unchanged.
"""

from __future__ import annotations

import gettext

_translations: gettext.NullTranslations = gettext.NullTranslations()


def install_catalogue(translations: gettext.NullTranslations) -> None:
    """Use `translations` for every later `_()` call (the GUI and CLI call this at start)."""
    global _translations
    _translations = translations


def _(message: str) -> str:
    return _translations.gettext(message)
