"""Render every screen of the window to PNG, at 100% and 200% font size, for a person to look
at (nothing clipped, Chinese whole). Offscreen; no display needed.

    .venv/bin/python scripts/screenshots.py OUT_DIR [--persons N]

The offscreen screen is set to 1366×768, a common old laptop: at 200% everything must fit it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

SCREEN = {"screens": [{"name": "laptop", "x": 0, "y": 0, "width": 1366, "height": 768,
                       "logicalDpiX": 96, "logicalDpiY": 96, "dpr": 1}]}
_config = Path(tempfile.mkdtemp()) / "offscreen.json"
_config.write_text(json.dumps(SCREEN))
os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_config}"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from liaison.bootstrap import open_workspace  # noqa: E402
from liaison.core.demo import build_demo  # noqa: E402
from liaison.core.services.search import SearchQuery, search_people  # noqa: E402
from liaison.core.services.workspace import workspace_actor  # noqa: E402
from liaison.gui.app import apply_font_scale, create_application  # noqa: E402
from liaison.gui.context import GuiContext  # noqa: E402
from liaison.gui.main_window import PAGES, MainWindow  # noqa: E402
from liaison.gui.ops import wait_for_background_work  # noqa: E402
from liaison.gui.person_file import PersonFileDialog  # noqa: E402
from liaison.gui.settings import GuiSettings  # noqa: E402
from liaison.gui.visit_form import VisitDialog  # noqa: E402
from liaison.gui.welcome import WelcomeDialog  # noqa: E402

SECTIONS = ("identity", "disability", "family", "economy", "insurance", "work", "needs", "visits",
            "cases", "history")


def settle(app: QApplication, ms: int = 150) -> None:
    """Let background loads finish and the layout catch up."""
    wait_for_background_work()
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()
    app.processEvents()


def shoot(widget: QWidget, path: Path) -> None:
    widget.grab().save(str(path))
    print(path)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--persons", type=int, default=600)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = create_application()
    work = Path(tempfile.mkdtemp())
    ws = open_workspace(f"sqlite:///{work / 'demo.db'}")
    build_demo(ws.engine, ws.rules, ws.device_id, persons=args.persons, seed=3)
    with ws.uow() as uow:
        actor = workspace_actor(uow, ws.system_actor)
        someone = search_people(uow, actor, SearchQuery(text="", has_open_need=True, limit=1)).rows[0]
    settings = GuiSettings(work / "gui.ini")
    ctx = GuiContext(ws, actor, settings)
    for scale in (100, 200):
        apply_font_scale(app, scale)
        suffix = f"{scale}"
        window = MainWindow(ctx)
        window.resize(1366, 740)
        window.show()
        settle(app, 400)
        for key, _title in PAGES:
            window.show_page(key)
            settle(app)
            shoot(window, args.out / f"page-{key}-{suffix}.png")
        window.show_page("roster").search.setText("wang")  # type: ignore[attr-defined]
        settle(app, 400)
        shoot(window, args.out / f"page-roster-search-{suffix}.png")

        person = PersonFileDialog(ctx, someone.id)
        person.show()
        settle(app)
        for section in SECTIONS:
            person.select_section(section)
            settle(app, 80)
            shoot(person, args.out / f"person-{section}-{suffix}.png")
        person.close()
        new = PersonFileDialog(ctx, None)
        new.show()
        new.form.fields["id_number"].setText("22020219850712033")  # type: ignore[attr-defined]
        settle(app)
        shoot(new, args.out / f"person-new-{suffix}.png")
        new._set_dirty(False)  # noqa: SLF001 - a script, not a person: no question on close
        new.close()

        visit = VisitDialog(ctx, someone.id, None)
        visit.show()
        visit.add_need()
        visit.add_follow_up()
        settle(app)
        shoot(visit, args.out / f"visit-{suffix}.png")
        visit.mark_clean()
        visit.close()
        picker = VisitDialog(ctx, None, None)
        picker.show()
        settle(app)
        shoot(picker, args.out / f"visit-picker-{suffix}.png")
        picker.mark_clean()
        picker.close()

        welcome = WelcomeDialog()
        welcome.show()
        settle(app)
        shoot(welcome, args.out / f"welcome-{suffix}.png")
        welcome.close()
        window.close()
    wait_for_background_work()
    ws.close()
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    # several windows were built and torn down in one process: skip the interpreter's
    # unordered teardown of Qt wrappers, which is not what the program itself does
    os._exit(code)
