"""Preferences the window remembers (font size, last workspace, window geometry).

Kept in an INI file in the per-user config folder, apart from the workspace database, so a
copied database carries no one's screen preferences.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

FONT_SCALES = (100, 125, 150, 175, 200)


def default_settings_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path("Liaison", appauthor=False) / "gui.ini"


class GuiSettings:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_settings_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._qs = QSettings(str(self.path), QSettings.Format.IniFormat)

    @property
    def font_scale(self) -> int:
        value = int(self._qs.value("ui/font_scale", 100))
        return value if value in FONT_SCALES else 100

    @font_scale.setter
    def font_scale(self, value: int) -> None:
        if value not in FONT_SCALES:
            raise ValueError(f"font scale {value} not in {FONT_SCALES}")
        self._qs.setValue("ui/font_scale", value)
        self._qs.sync()

    @property
    def last_workspace(self) -> str | None:
        value = self._qs.value("workspace/last")
        return str(value) if value else None

    @last_workspace.setter
    def last_workspace(self, url: str | None) -> None:
        self._qs.setValue("workspace/last", url or "")
        self._qs.sync()

    def window_geometry(self) -> QByteArray | None:
        value = self._qs.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    def save_window_geometry(self, geometry: QByteArray) -> None:
        self._qs.setValue("window/geometry", geometry)
        self._qs.sync()
