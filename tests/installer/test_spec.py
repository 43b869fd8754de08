"""The PyInstaller spec, read without running PyInstaller: PyInstaller's names are replaced by
recorders, so the test sees what the spec would hand over (data files, hidden imports, the
programs) and checks it against the repository. The real build is scripts/build.sh."""

from __future__ import annotations

import configparser
import importlib.machinery
import importlib.util
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import liaison

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "installer" / "liaison.spec"
MIGRATIONS = ROOT / "liaison" / "core" / "migrations"
QT_TRANSLATIONS = [
    (f"PySide6/Qt/translations/{name}", f"/site/PySide6/Qt/translations/{name}", "DATA")
    for name in ("qtbase_zh_CN.qm", "qtbase_de.qm", "qt_ja.qm", "qtbase_en.qm")
]


@dataclass
class Frozen:
    """What the spec asked PyInstaller for."""

    analysis: dict[str, Any] = field(default_factory=dict)
    exes: list[dict[str, Any]] = field(default_factory=list)
    collect: dict[str, Any] = field(default_factory=dict)
    hooks: list[tuple[str, str]] = field(default_factory=list)
    final_datas: list[tuple[str, str, str]] = field(default_factory=list)
    namespace: dict[str, Any] = field(default_factory=dict)

    @property
    def datas(self) -> list[tuple[str, str]]:
        return self.analysis["datas"]

    def dest_of(self, path: Path) -> str | None:
        return next((dest for src, dest in self.datas if Path(src) == path), None)


def run_spec(monkeypatch: pytest.MonkeyPatch, *, platform: str = "linux",
             present: set[str] | None = None, absent: set[str] | None = None) -> Frozen:
    """Execute the spec with recorders; `present`/`absent` pretend optional packages are (not)
    installed."""
    frozen = Frozen()

    def recorder(kind: str, result: list[Any]):  # type: ignore[no-untyped-def]
        def call(name: str, *args: Any, **kwargs: Any) -> list[Any]:
            frozen.hooks.append((kind, name))
            return list(result)
        return call

    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_submodules = recorder("collect_submodules", [])  # type: ignore[attr-defined]
    hooks.collect_dynamic_libs = recorder("collect_dynamic_libs", [])  # type: ignore[attr-defined]
    hooks.collect_data_files = recorder("collect_data_files", [])  # type: ignore[attr-defined]
    hooks.copy_metadata = recorder("copy_metadata", [])  # type: ignore[attr-defined]
    versioninfo = types.ModuleType("PyInstaller.utils.win32.versioninfo")
    for name in ("FixedFileInfo", "StringFileInfo", "StringStruct", "StringTable", "VarFileInfo",
                 "VarStruct", "VSVersionInfo"):
        setattr(versioninfo, name, lambda *a, _n=name, **k: (_n, a, k))
    for name, module in (("PyInstaller", types.ModuleType("PyInstaller")),
                         ("PyInstaller.utils", types.ModuleType("PyInstaller.utils")),
                         ("PyInstaller.utils.hooks", hooks),
                         ("PyInstaller.utils.win32", types.ModuleType("PyInstaller.utils.win32")),
                         ("PyInstaller.utils.win32.versioninfo", versioninfo)):
        monkeypatch.setitem(sys.modules, name, module)

    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        if present and name in present:
            return importlib.machinery.ModuleSpec(name, None)
        if absent and name in absent:
            return None
        return real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setattr(sys, "platform", platform)

    class Analysis:
        def __init__(self, scripts: list[str], **kwargs: Any) -> None:
            frozen.analysis = {"scripts": scripts, **kwargs}
            self.datas = [*QT_TRANSLATIONS, ("resources/rules/defaults.toml", "x", "DATA")]
            self.binaries: list[Any] = []
            self.pure: list[Any] = []
            self.scripts = scripts

    def exe(*args: Any, **kwargs: Any) -> dict[str, Any]:
        frozen.exes.append(kwargs)
        return kwargs

    def collect(*args: Any, **kwargs: Any) -> None:
        frozen.collect = kwargs
        frozen.final_datas = [entry for arg in args if isinstance(arg, list) for entry in arg]

    namespace: dict[str, Any] = {
        "__name__": "__main__", "__file__": str(SPEC), "SPECPATH": str(SPEC.parent),
        "Analysis": Analysis, "PYZ": lambda *a, **k: "pyz", "EXE": exe, "COLLECT": collect,
    }
    # a spec is Python that PyInstaller execs the same way
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)  # noqa: S102
    frozen.namespace = namespace
    return frozen


def test_the_entry_script_and_version(monkeypatch: pytest.MonkeyPatch) -> None:
    frozen = run_spec(monkeypatch)
    (script,) = frozen.analysis["scripts"]
    assert Path(script) == ROOT / "liaison" / "__main__.py"
    assert frozen.namespace["VERSION"] == liaison.__version__
    assert ROOT.as_posix() in [Path(p).as_posix() for p in frozen.analysis["pathex"]]


def test_every_data_file_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    frozen = run_spec(monkeypatch)
    assert frozen.datas
    for src, dest in frozen.datas:
        assert Path(src).is_file(), src
        assert not Path(dest).is_absolute(), dest
        assert "__pycache__" not in Path(src).parts


def test_resources_go_where_the_frozen_program_looks(monkeypatch: pytest.MonkeyPatch) -> None:
    """liaison.core.resources reads sys._MEIPASS/resources in a frozen program."""
    frozen = run_spec(monkeypatch)
    resources = ROOT / "resources"
    for rel in ("fonts/NotoSansSC-Regular.ttf", "fonts/NotoSansSC-Bold.ttf", "fonts/OFL.txt",
                "rules/defaults.toml", "icons/liaison.png", "icons/liaison.ico"):
        path = resources / rel
        assert path.is_file(), rel
        assert frozen.dest_of(path) == str(Path("resources") / Path(rel).parent), rel


def test_every_migration_is_shipped_as_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """Alembic loads env.py and versions/*.py by path from liaison/core/migrations."""
    frozen = run_spec(monkeypatch)
    on_disk = {p for p in MIGRATIONS.rglob("*") if p.suffix in (".py", ".mako")
               and "__pycache__" not in p.parts}
    assert MIGRATIONS / "env.py" in on_disk
    assert MIGRATIONS / "script.py.mako" in on_disk
    assert len(list((MIGRATIONS / "versions").glob("*.py"))) >= 3
    shipped = {Path(src) for src, dest in frozen.datas if dest.startswith("liaison/core/migrations")}
    assert shipped == on_disk
    for path in on_disk:
        expected = Path("liaison/core/migrations") / path.parent.relative_to(MIGRATIONS)
        assert Path(frozen.dest_of(path)) == expected, path
    hidden = frozen.analysis["hiddenimports"]
    assert {"alembic.op", "alembic.context", "alembic.ddl.sqlite"} <= set(hidden)


def test_the_programs_own_modules_are_all_collected(monkeypatch: pytest.MonkeyPatch) -> None:
    """The GUI pages are imported inside functions; the spec asks for every liaison module."""
    frozen = run_spec(monkeypatch)
    assert ("collect_submodules", "liaison") in frozen.hooks


def test_native_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    frozen = run_spec(monkeypatch, present={"pypdfium2", "keyring", "sqlcipher3"})
    assert ("collect_dynamic_libs", "pypdfium2_raw") in frozen.hooks
    assert ("collect_submodules", "keyring.backends") in frozen.hooks
    assert ("copy_metadata", "keyring") in frozen.hooks
    assert ("collect_submodules", "sqlcipher3") in frozen.hooks
    assert ("collect_dynamic_libs", "sqlcipher3") in frozen.hooks
    assert ("collect_data_files", "reportlab") in frozen.hooks


def test_optional_parts_are_left_out_when_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    frozen = run_spec(monkeypatch, absent={"keyring", "sqlcipher3"})
    asked = {name for _kind, name in frozen.hooks}
    assert not asked & {"keyring", "keyring.backends", "sqlcipher3"}


def test_one_windowed_folder_named_liaison(monkeypatch: pytest.MonkeyPatch) -> None:
    frozen = run_spec(monkeypatch)
    (program,) = frozen.exes
    assert program["name"] == "liaison"
    assert program["console"] is False
    assert program["exclude_binaries"] is True  # one folder, not one file
    assert program["upx"] is False
    assert all(Path(icon).is_file() for icon in program["icon"])
    assert frozen.collect["name"] == "liaison"


def test_on_windows_a_console_twin_for_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    frozen = run_spec(monkeypatch, platform="win32")
    assert [(e["name"], e["console"]) for e in frozen.exes] == [("liaison", False), ("liaison-cli", True)]
    version = frozen.exes[0]["version"]
    assert version[0] == "VSVersionInfo"
    assert f"('ProductVersion', '{liaison.__version__}')" in repr(version)


def test_only_chinese_and_english_qt_translations(monkeypatch: pytest.MonkeyPatch) -> None:
    frozen = run_spec(monkeypatch)
    kept = {dest for dest, _src, _kind in frozen.final_datas}
    assert "PySide6/Qt/translations/qtbase_zh_CN.qm" in kept
    assert "PySide6/Qt/translations/qtbase_en.qm" in kept
    assert "PySide6/Qt/translations/qtbase_de.qm" not in kept
    assert "PySide6/Qt/translations/qt_ja.qm" not in kept
    assert "resources/rules/defaults.toml" in kept


def test_the_linux_desktop_entry() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(ROOT / "installer" / "liaison.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application"
    assert desktop["Name[zh_CN]"] == "残疾人专职委员工作台"
    assert desktop["Exec"].split()[0] == "liaison"
    assert desktop["Icon"] == "liaison"
    assert desktop["Terminal"] == "false"
    assert desktop["Categories"].endswith(";")
    # the installer script puts this icon where the desktop finds "liaison"
    assert (ROOT / "resources" / "icons" / "liaison.png").is_file()
    assert "liaison.png" in (ROOT / "installer" / "install-linux.sh").read_text(encoding="utf-8")
