"""Preferences the window remembers (font size, last workspace, window geometry, the idle
lock's minutes, the last login name).

Kept in an INI file in the per-user config folder, apart from the workspace database, so a
copied database carries no one's screen preferences.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

FONT_SCALES = (100, 125, 150, 175, 200)
# minutes without input before the window locks; no "never": the data is personal information
IDLE_LOCK_CHOICES = (3, 5, 10, 15, 30, 60)
DEFAULT_IDLE_LOCK_MINUTES = 10


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

    @property
    def idle_lock_minutes(self) -> int:
        try:
            value = int(self._qs.value("security/idle_lock_minutes", DEFAULT_IDLE_LOCK_MINUTES))
        except (TypeError, ValueError):
            return DEFAULT_IDLE_LOCK_MINUTES
        return value if value in IDLE_LOCK_CHOICES else DEFAULT_IDLE_LOCK_MINUTES

    @idle_lock_minutes.setter
    def idle_lock_minutes(self, value: int) -> None:
        if value not in IDLE_LOCK_CHOICES:
            raise ValueError(f"idle lock {value} not in {IDLE_LOCK_CHOICES}")
        self._qs.setValue("security/idle_lock_minutes", value)
        self._qs.sync()

    @property
    def last_username(self) -> str:
        value = self._qs.value("security/last_username")
        return str(value) if value else ""

    @last_username.setter
    def last_username(self, value: str) -> None:
        self._qs.setValue("security/last_username", value)
        self._qs.sync()

    def window_geometry(self) -> QByteArray | None:
        value = self._qs.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    def save_window_geometry(self, geometry: QByteArray) -> None:
        self._qs.setValue("window/geometry", geometry)
        self._qs.sync()
