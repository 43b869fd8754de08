"""Everything outside liaison/gui must work without Qt: the command line, reports and sync
run on machines where PySide6 is not installed."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import tokenize
from pathlib import Path

import liaison

PACKAGE_DIR = Path(liaison.__file__).parent
PROJECT_DIR = PACKAGE_DIR.parent

# Runs in a fresh interpreter: PySide6 and shiboken6 cannot be imported there, then every
# module outside liaison.gui is imported; prints the imported names as JSON.
IMPORT_ALL = textwrap.dedent(
    """
    import importlib, importlib.abc, json, pkgutil, sys

    BLOCKED = ("PySide6", "shiboken6")
    # Alembic's environment script runs migrations when imported; Alembic loads it itself
    NOT_IMPORTABLE = {"liaison.core.migrations.env"}

    class BlockQt(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{name} is blocked: this module must not need Qt")
            return None

    sys.meta_path.insert(0, BlockQt())
    for name in BLOCKED:
        try:
            __import__(name)
        except ImportError:
            pass
        else:
            raise SystemExit(f"{name} was importable despite the block")

    import liaison

    imported = ["liaison"]
    def skip_gui(name):
        if not name.startswith("liaison.gui"):
            raise  # an error while walking a package outside the GUI is a failure

    for info in pkgutil.walk_packages(liaison.__path__, "liaison.", onerror=skip_gui):
        if info.name == "liaison.gui" or info.name.startswith("liaison.gui."):
            continue
        if info.name in NOT_IMPORTABLE:
            continue
        importlib.import_module(info.name)
        imported.append(info.name)
    leaked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    print(json.dumps({"imported": imported, "qt_modules": leaked}))
    """
)


def test_every_module_outside_the_gui_imports_without_qt() -> None:
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL],
        check=False,
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    imported = set(report["imported"])
    assert report["qt_modules"] == []
    assert not any(name.startswith("liaison.gui") for name in imported)
    for required in (
        "liaison.bootstrap",
        "liaison.core",
        "liaison.core.db",
        "liaison.core.models",
        "liaison.core.migrations",
        "liaison.core.rules",
        "liaison.core.rules.cadence",
        "liaison.core.services",
        "liaison.core.services.persons",
        "liaison.core.services.tasks",
    ):
        assert required in imported, required
    # the command line may not exist yet; when it does, it must be among them
    if (PACKAGE_DIR / "cli").is_dir():
        assert "liaison.cli" in imported
    # every module file outside the GUI was found by the walk
    on_disk = {
        ".".join(path.relative_to(PROJECT_DIR).with_suffix("").parts).removesuffix(".__init__")
        for path in PACKAGE_DIR.rglob("*.py")
        if path.relative_to(PACKAGE_DIR).parts[0] != "gui"
        and path.parent.name != "versions"  # migration scripts: Alembic loads them by path
    } - {"liaison.core.migrations.env"}
    assert on_disk <= imported, sorted(on_disk - imported)


def test_the_qt_block_really_blocks() -> None:
    """The subprocess check is only worth something if the finder stops an import of Qt."""
    probe = IMPORT_ALL.split("import liaison\n")[0] + textwrap.dedent(
        """
        try:
            import PySide6.QtCore
        except ImportError as exc:
            print("blocked:", exc)
        else:
            raise SystemExit("not blocked")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], check=False, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "blocked: PySide6" in result.stdout


def qt_names_in_code(source: str) -> list[str]:
    """PySide6/shiboken6 used as a name in code (imports, attribute access); a mention in a
    string or a comment, such as a message saying the GUI needs PySide6, is allowed."""
    return [
        f"line {tok.start[0]}: {tok.line.strip()}"
        for tok in tokenize.generate_tokens(io.StringIO(source).readline)
        if tok.type == tokenize.NAME and tok.string in ("PySide6", "shiboken6")
    ]


def test_qt_names_in_code_finds_imports_but_not_messages() -> None:
    assert len(qt_names_in_code("import PySide6\nfrom PySide6.QtCore import Qt\n")) == 2
    assert len(qt_names_in_code("import shiboken6 as sb\n")) == 1
    assert qt_names_in_code('print("未安装 PySide6")  # needs PySide6\n"""PySide6"""\n') == []


def test_no_module_outside_the_gui_uses_pyside6() -> None:
    offenders = {
        str(path.relative_to(PROJECT_DIR)): found
        for path in sorted(PACKAGE_DIR.rglob("*.py"))
        if path.relative_to(PACKAGE_DIR).parts[0] != "gui"
        and (found := qt_names_in_code(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
