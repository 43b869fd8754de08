"""Fixtures for the command-line tests: private home folders (data, logs) in tmp, the root
logger restored after every in-process run, and a small demo county built once per module."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from liaison.cli.main import run_cli
from liaison.core.demo import DEMO_PASSWORD
from tests.dbfiles import connect, copy_workspace_file

DEMO_TODAY = "2026-11-25"
DEMO_PERSONS = 300
FOLDER_VARS = {
    "HOME": "home",
    "XDG_DATA_HOME": "data",
    "XDG_STATE_HOME": "state",
    "XDG_CACHE_HOME": "cache",
    "XDG_CONFIG_HOME": "config",
}


# the demo county's administrator (the demo has login accounts, so every command needs one)
LOGIN_ENV = {"LIAISON_USER": "admin", "LIAISON_PASSWORD": DEMO_PASSWORD}


def private_env(mp: pytest.MonkeyPatch, base: Path) -> None:
    """Point every per-user folder at `base`, forget the user's LIAISON_DB and log in as the
    demo's administrator."""
    for var, sub in FOLDER_VARS.items():
        mp.setenv(var, str(base / sub))
    mp.delenv("LIAISON_DB", raising=False)
    mp.delenv("LIAISON_NEW_PASSWORD", raising=False)
    for var, value in LOGIN_ENV.items():
        mp.setenv(var, value)


@contextlib.contextmanager
def restored_logging() -> Iterator[None]:
    """run_cli adds a log handler to the root logger on every call; take them off again."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)


@pytest.fixture(autouse=True)
def private_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    private_env(monkeypatch, tmp_path)
    with restored_logging():
        yield tmp_path


def copy_db(source: Path, dest: Path) -> Path:
    """A copy that opens in-process and in a subprocess (its key also in a key file)."""
    return copy_workspace_file(source, dest, key_file=True)


@dataclass(frozen=True)
class DemoPerson:
    id: str
    name: str
    id_number: str
    cert_number: str | None
    phone: str | None
    area_code: str
    village_code: str


@dataclass(frozen=True)
class Demo:
    path: Path
    summary: str
    people: list[DemoPerson]

    def copy(self, dest: Path) -> Path:
        """A private copy for a test that writes."""
        return copy_db(self.path, dest)


def make_demo(base: Path, persons: int = DEMO_PERSONS) -> Demo:
    """`liaison --db X --today 2026-11-25 demo --persons N --seed 3` in `base`."""
    path = base / "demo.db"
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp, restored_logging():
        private_env(mp, base)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run_cli(["--db", str(path), "--today", DEMO_TODAY, "demo",
                            "--persons", str(persons), "--seed", "3"])
    assert code == 0, err.getvalue()
    conn = connect(path)
    try:
        rows = conn.execute(
            "SELECT p.id, p.name, p.id_number, p.cert_number, p.phone, a.code, a.level,"
            " (SELECT code FROM area WHERE id = a.parent_id)"
            " FROM person p JOIN area a ON a.id = p.area_id ORDER BY p.search_no"
        ).fetchall()
    finally:
        conn.close()
    people = [
        DemoPerson(str(_uuid(r[0])), r[1], r[2], r[3], r[4], r[5], r[5] if r[6] == "village" else r[7])
        for r in rows
    ]
    return Demo(path, out.getvalue(), people)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The demo county, built once per module."""
    return make_demo(tmp_path_factory.mktemp("cli-demo"))


def _uuid(value: str) -> str:
    import uuid

    return str(uuid.UUID(value))
