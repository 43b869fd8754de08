"""Run by bench/run.py in a fresh process: how long until the window is usable, and how long
from a keystroke in the roster's search box to the results on screen.

    python bench/gui_probe.py DB_PATH SAMPLES   → one JSON line on stdout

Times are from the start of this process (Python start-up and imports included, and the
login's password check; the typing of the password is not timed).
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    db_path, samples = sys.argv[1], int(sys.argv[2])
    from PySide6.QtCore import QEventLoop, QTimer

    from liaison.gui import launcher as launcher_module
    from liaison.gui.app import create_application
    from liaison.gui.launcher import Launcher
    from liaison.gui.settings import GuiSettings

    def log_in(cls, ws, *, username="", hint=None):  # type: ignore[no-untyped-def]
        # the person's typing is not timed; checking the password (scrypt) is
        from liaison.core.demo import DEMO_PASSWORD
        from liaison.core.services.accounts import authenticate

        return authenticate(ws.uow, "admin", DEMO_PASSWORD, device_id=ws.device_id)

    launcher_module.LoginDialog.ask = classmethod(log_in)  # type: ignore[method-assign,assignment]
    app = create_application()
    launcher = Launcher(app, GuiSettings(Path(tempfile.mkdtemp()) / "gui.ini"))
    window = launcher.open(f"sqlite:///{db_path}")
    assert window is not None
    app.processEvents()
    shown = time.perf_counter() - STARTED

    def wait_for(signal, timeout_ms: int = 60_000) -> None:  # type: ignore[no-untyped-def]
        loop = QEventLoop()
        signal.connect(loop.quit)
        QTimer.singleShot(timeout_ms, loop.quit)
        loop.exec()
        signal.disconnect(loop.quit)

    roster = window.pages["roster"]  # type: ignore[attr-defined]
    if roster.model.rowCount() == 0:
        wait_for(roster.results_shown)
    roster_ready = time.perf_counter() - STARTED
    queue = window.pages["queue"]  # type: ignore[attr-defined]
    if queue.queue is None:
        wait_for(queue.loaded)
    queue_ready = time.perf_counter() - STARTED

    names = [r.name for r in roster.model.rows]
    while roster.model.canFetchMore() and len(names) < 2000:
        roster.model.fetchMore()
        names = [r.name for r in roster.model.rows]
    rng = random.Random(7)
    timings = []
    for name in rng.sample(names, min(samples, len(names))):
        from liaison.core.pinyin import name_search_terms

        initials = name_search_terms(name)[1]
        for typed in [name[:k] for k in range(1, len(name) + 1)] + \
                     [initials[:k] for k in range(1, len(initials) + 1)]:
            started = time.perf_counter()
            roster.search.setText(typed)
            roster.run_search()  # what the type-ahead timer does once typing pauses
            wait_for(roster.results_shown)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    print(json.dumps({
        "window_shown_s": round(shown, 2),
        "roster_ready_s": round(roster_ready, 2),
        "queue_ready_s": round(queue_ready, 2),
        "keystroke_n": len(timings),
        "keystroke_p50_ms": round(statistics.median(timings), 1) if timings else None,
        "keystroke_p95_ms": round(timings[int(len(timings) * 0.95)], 1) if timings else None,
    }))
    sys.stdout.flush()
    from liaison.gui.ops import wait_for_background_work

    wait_for_background_work()
    os._exit(0)  # a measuring process: skip the teardown


if __name__ == "__main__":
    main()
