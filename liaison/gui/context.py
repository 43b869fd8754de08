"""What every page and dialog needs: the workspace, who is acting, today's date, preferences,
and a signal that tells the other pages that stored data changed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from PySide6.QtCore import QObject, Signal

from liaison.bootstrap import Workspace
from liaison.core.services.context import Actor
from liaison.gui.settings import GuiSettings


class DataEvents(QObject):
    """`changed(kind)` after a save: "person", "visit", "need", "case", "workspace"."""

    changed = Signal(str)


@dataclass
class GuiContext:
    workspace: Workspace
    actor: Actor
    settings: GuiSettings
    clock: Callable[[], date] = date.today
    events: DataEvents = field(default_factory=DataEvents)
    # daily and on-exit backups (liaison.gui.backups.AutoBackup); the test suite's windows,
    # opened and closed by the hundred, switch them off unless backups are what is tested
    auto_backups: bool = True

    def today(self) -> date:
        return self.clock()

    @property
    def rules(self):  # type: ignore[no-untyped-def]
        return self.workspace.rules

    def area_choices(self) -> list[tuple[object, str]]:
        """(area id, full name) of the townships and villages the actor works in, for the
        area pick lists of the pages."""
        from liaison.core.enums import AreaLevel
        from liaison.core.services.areas import list_areas

        with self.workspace.uow() as uow:
            infos = list_areas(uow, self.actor)
        return [(a.id, a.full_name or a.name) for a in infos
                if a.level in (AreaLevel.TOWNSHIP, AreaLevel.VILLAGE)]
