"""The build check's window probe (LIAISON_SMOKE_SCREENSHOT), run here on the source tree the way
scripts/build.sh runs it on the frozen program: the window opens offscreen on a demo workspace,
is saved as a picture, and the program quits by itself with 0; anything else in its place (the
welcome dialog of an empty workspace) is saved too but fails the check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from liaison.core.demo import DEMO_PASSWORD

pytest.importorskip("PySide6")

pytestmark = pytest.mark.slow

FOLDERS = {"HOME": "home", "XDG_DATA_HOME": "data", "XDG_CONFIG_HOME": "config",
           "XDG_STATE_HOME": "state", "XDG_CACHE_HOME": "cache"}


def run(base: Path, *args: str, shot: Path | None = None, login: tuple[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LIAISON_DB", "LIAISON_USER", "LIAISON_PASSWORD")}
    if login is not None:
        env["LIAISON_USER"], env["LIAISON_PASSWORD"] = login
    env.update({var: str(base / sub) for var, sub in FOLDERS.items()})
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHONIOENCODING"] = "utf-8"
    if shot is not None:
        env["LIAISON_SMOKE_SCREENSHOT"] = str(shot)
    return subprocess.run([sys.executable, "-m", "liaison", *args], cwd=base, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=180, check=False)


def is_png(path: Path) -> bool:
    return path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_main_window_is_saved_and_the_program_quits(tmp_path: Path) -> None:
    demo = tmp_path / "demo.db"
    made = run(tmp_path, "--db", str(demo), "--today", "2026-11-25", "demo", "--persons", "30")
    assert made.returncode == 0, made.stderr
    shot = tmp_path / "window.png"
    result = run(tmp_path, "--db", str(demo), shot=shot, login=("admin", DEMO_PASSWORD))
    assert result.returncode == 0, result.stderr
    assert "smoke screenshot: MainWindow" in result.stderr
    assert is_png(shot) and shot.stat().st_size > 10_000


def test_anything_but_the_main_window_fails_the_check(tmp_path: Path) -> None:
    shot = tmp_path / "welcome.png"
    result = run(tmp_path, "--db", str(tmp_path / "empty.db"), shot=shot)
    assert result.returncode != 0
    assert "smoke screenshot: WelcomeDialog" in result.stderr
    assert is_png(shot)


def test_a_wrong_password_leaves_the_login_and_fails_the_check(tmp_path: Path) -> None:
    demo = tmp_path / "demo.db"
    assert run(tmp_path, "--db", str(demo), "--today", "2026-11-25", "demo", "--persons", "30").returncode == 0
    shot = tmp_path / "login.png"
    result = run(tmp_path, "--db", str(demo), shot=shot, login=("admin", "not-the-password"))
    assert result.returncode != 0
    assert "smoke screenshot: LoginDialog" in result.stderr
