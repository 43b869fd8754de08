"""`python -m liaison` in a real process: the entry point, its exit codes and output end to
end, and the command line working where PySide6 cannot be imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from liaison import __version__
from tests.cli.conftest import DEMO_TODAY, FOLDER_VARS, Demo
from tests.dbfiles import add_key_file

PROJECT_DIR = Path(__file__).resolve().parents[2]

# Prepended to a script run with `python -c`: PySide6 and shiboken6 cannot be imported.
BLOCK_QT = textwrap.dedent(
    """
    import importlib.abc, json, sys

    class BlockQt(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("PySide6", "shiboken6"):
                raise ImportError(f"{name} is blocked for this test")
            return None

    sys.meta_path.insert(0, BlockQt())
    """
)


@dataclass(frozen=True)
class Completed:
    code: int
    out: str
    err: str


@pytest.fixture(scope="module")
def demo(demo: Demo) -> Demo:
    """The module's demo county, its key also in a passphrase key file: a subprocess has no
    in-memory keyring (it unlocks the file with LIAISON_PASSPHRASE, set for the tests)."""
    add_key_file(demo.path)
    return demo


def environment(base: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "LIAISON_DB"}
    env.update({var: str(base / sub) for var, sub in FOLDER_VARS.items()})
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def run(base: Path, *args: str) -> Completed:
    result = subprocess.run(
        [sys.executable, *args],
        cwd=base,
        env=environment(base),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert "Traceback" not in result.stdout and "Traceback" not in result.stderr, result.stderr
    return Completed(result.returncode, result.stdout, result.stderr)


def liaison(base: Path, *argv: str) -> Completed:
    return run(base, "-m", "liaison", *argv)


def with_qt_blocked(base: Path, script: str, *argv: str) -> Completed:
    """Run `script` (its arguments in sys.argv[1:]) where PySide6 cannot be imported."""
    return run(base, "-c", BLOCK_QT + textwrap.dedent(script), *argv)


def test_version(tmp_path):
    result = liaison(tmp_path, "--version")
    assert result.code == 0
    assert result.out.strip() == f"liaison {__version__}"


def test_search_and_show_end_to_end(tmp_path, demo: Demo):
    result = liaison(tmp_path, "--db", str(demo.path), "--today", DEMO_TODAY,
                     "person", "search", "张", "--json", "--limit", "3")
    assert result.code == 0, result.err
    page = json.loads(result.out)
    assert page["format"] == 1 and 0 < len(page["results"]) <= 3
    person = demo.people[0]
    shown = liaison(tmp_path, "--db", str(demo.path), "person", "show", person.id_number.lower())
    assert shown.code == 0, shown.err
    assert shown.out.startswith(person.name)


@pytest.mark.parametrize(
    ("argv", "code", "needle"),
    [
        (["person", "show", "110101199003077777"], 1, "找不到"),
        (["person", "search"], 2, "参数错误"),
    ],
)
def test_errors_and_exit_codes_end_to_end(tmp_path, demo: Demo, argv, code, needle):
    result = liaison(tmp_path, "--db", str(demo.path), *argv)
    assert result.code == code
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], result.err


def test_a_text_file_as_database_end_to_end(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("不是数据库\n" * 100, encoding="utf-8")
    before = path.read_bytes()
    result = liaison(tmp_path, "--db", str(path), "db", "check")
    assert result.code == 1
    assert result.err.strip().startswith("错误：") and len(result.err.strip().splitlines()) == 1
    assert path.read_bytes() == before
    assert not path.with_name("notes.txt-wal").exists()


def test_demo_and_db_check_end_to_end(tmp_path):
    path = tmp_path / "fresh.db"
    built = liaison(tmp_path, "--db", str(path), "--today", DEMO_TODAY, "demo", "--persons", "30")
    assert built.code == 0, built.err
    assert built.out.startswith("已生成演示数据：")
    check = liaison(tmp_path, "--db", str(path), "db", "check", "--json")
    assert check.code == 0, check.err
    assert json.loads(check.out)["ok"] is True
    assert (tmp_path / "state" / "Liaison" / "log" / "liaison.log").exists()  # logs stay in tmp


def test_the_command_line_runs_without_pyside6(tmp_path, demo: Demo):
    result = with_qt_blocked(
        tmp_path,
        """
        try:
            import PySide6  # noqa: F401
        except ImportError:
            pass
        else:
            raise SystemExit("PySide6 was importable despite the block")
        from liaison.cli.main import run_cli

        code = run_cli(["--db", sys.argv[1], "person", "search", "张", "--json"])
        leaked = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6"))
        print(json.dumps({"code": code, "leaked": leaked}), file=sys.stderr)
        sys.exit(code)
        """,
        str(demo.path),
    )
    assert result.code == 0, result.err
    page = json.loads(result.out)
    assert page["results"] and all("张" in r["name"] for r in page["results"])
    report = json.loads(result.err.strip().splitlines()[-1])
    assert report == {"code": 0, "leaked": []}


def test_no_command_without_pyside6_says_the_window_is_unavailable(tmp_path):
    result = with_qt_blocked(
        tmp_path,
        """
        import runpy

        sys.argv = ["liaison"]
        runpy.run_module("liaison", run_name="__main__")
        """,
    )
    assert result.code == 1
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "图形界面不可用" in lines[0], result.err


def test_no_command_without_a_display_says_so_instead_of_aborting(tmp_path, monkeypatch):
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    if not sys.platform.startswith("linux"):
        pytest.skip("the display check is for Linux")
    result = run(tmp_path, "-m", "liaison", "--db", str(tmp_path / "w.db"))
    assert result.code == 1
    assert result.err.strip() == "没有图形显示环境，无法打开窗口。可用命令见 liaison -h"
    assert "Traceback" not in result.err and "core dumped" not in result.err
