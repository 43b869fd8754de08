"""The Windows setup program: makensis builds it from a stand-in PyInstaller folder (makensis
runs on Linux; the real folder can only be made on Windows), and the compiled script, as
makensis lists it, installs per user and never touches the user's data folder."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from liaison import __version__

ROOT = Path(__file__).resolve().parents[2]
NSI = ROOT / "installer" / "liaison.nsi"
PRODUCT = "残疾人专职委员工作台"
DATA_DIR = r"$LOCALAPPDATA\Liaison"
STAND_IN_FILES = {
    "liaison.exe": b"MZ" + bytes(62),
    "liaison-cli.exe": b"MZ" + bytes(62),
    "_internal/python311.dll": b"MZ stand-in",
    "_internal/resources/rules/defaults.toml": b"[alerts]\n",
    "_internal/liaison/core/migrations/versions/0001_initial_schema.py": b"revision = '0001'\n",
    "_internal/中文 名称.txt": "有空格和中文的文件名".encode(),
}


def makensis() -> str:
    path = shutil.which("makensis")
    if path is None:
        pytest.fail("makensis not found: install the Debian package nsis (apt-get install nsis); "
                    "scripts/test.sh installs it with the other test packages")
    return path


@dataclass(frozen=True)
class Build:
    code: int
    listing: str  # makensis -V4: every instruction as compiled
    output: Path


def build(tmp_path: Path, src: Path, *defines: str) -> Build:
    out = tmp_path / "out dir" / f"liaison-{__version__}-setup.exe"
    out.parent.mkdir(exist_ok=True)
    result = subprocess.run(
        [makensis(), "-WX", "-V4", f"-DSRCDIR={src}", f"-DOUTFILE={out}", *defines, str(NSI)],
        capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=300, check=False,
    )
    return Build(result.returncode, result.stdout + result.stderr, out)


@pytest.fixture
def stand_in(tmp_path: Path) -> Path:
    """What PyInstaller puts in dist/liaison on Windows, in miniature."""
    src = tmp_path / "dist" / "liaison"
    for name, content in STAND_IN_FILES.items():
        path = src / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return src


@pytest.fixture
def built(tmp_path: Path, stand_in: Path) -> Build:
    result = build(tmp_path, stand_in)
    assert result.code == 0, result.listing[-3000:]
    return result


def section(listing: str, name: str) -> list[str]:
    """The compiled lines of one section ("程序" or "Uninstall")."""
    lines = listing.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f'Section: "{name}"'))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("SectionEnd"))
    return lines[start:end]


def test_setup_exe_is_built_from_a_stand_in_folder(built: Build) -> None:
    data = built.output.read_bytes()
    assert data[:2] == b"MZ"  # a Windows (PE) program
    assert len(data) > 50_000
    # the version resource Explorer shows, in UTF-16: product name and the program's version
    assert PRODUCT.encode("utf-16-le") in data
    assert __version__.encode("utf-16-le") in data


def packed_files(listing: str, src: Path) -> set[str]:
    """Paths (relative to the folder) of the files makensis reports packing."""
    folder, found = src, set()
    for line in listing.splitlines():
        if match := re.match(r'File: (?:Descending to|Returning to): "(.+?)/?"$', line):
            folder = Path(match[1])
        elif match := re.match(r'File: "(.+)" (?:\d+/)?\d+ bytes$', line):
            found.add((folder / match[1]).relative_to(src).as_posix())
    return found


def test_every_file_of_the_folder_is_packed(built: Build, stand_in: Path) -> None:
    assert packed_files(built.listing, stand_in) == set(STAND_IN_FILES)


def test_installs_for_the_user_only_without_admin_rights(built: Build) -> None:
    script = NSI.read_text(encoding="utf-8")
    assert re.search(r"^RequestExecutionLevel user$", script, re.MULTILINE)
    assert re.search(r"^Unicode true$", script, re.MULTILINE)
    assert '!insertmacro MUI_LANGUAGE "SimpChinese"' in script
    assert 'InstallDir: "$LOCALAPPDATA\\Programs\\Liaison"' in built.listing
    registry = re.findall(r"^(?:WriteReg\w+|DeleteRegKey|DeleteRegValue|InstallRegKey): \"?(\w+)",
                          built.listing, re.MULTILINE)
    assert registry and set(registry) == {"HKCU"}, registry
    assert "HKLM" not in built.listing and "$PROGRAMFILES" not in built.listing


def test_shortcuts_and_uninstaller_entry(built: Build) -> None:
    install = "\n".join(section(built.listing, "程序"))
    assert f'CreateShortcut: "$DESKTOP\\{PRODUCT}.lnk"->"$INSTDIR\\liaison.exe"' in install
    assert f'CreateShortcut: "$SMPROGRAMS\\{PRODUCT}\\{PRODUCT}.lnk"->"$INSTDIR\\liaison.exe"' in install
    key = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\Liaison"
    for value in (f"DisplayName={PRODUCT}", f"DisplayVersion={__version__}",
                  'UninstallString="$INSTDIR\\uninstall.exe"', "InstallLocation=$INSTDIR"):
        assert f"WriteRegStr: {key}\\{value}" in install
    assert "WriteUninstaller" in install


def test_upgrade_replaces_program_files_only(built: Build) -> None:
    """Installing over an older version clears the old libraries, nothing else."""
    install = section(built.listing, "程序")
    removals = [line for line in install if line.startswith(("RMDir", "Delete"))]
    assert removals == ['RMDir: /r "$INSTDIR\\_internal"']


def test_the_uninstaller_keeps_the_data_and_says_so(built: Build) -> None:
    uninstall = section(built.listing, "Uninstall")
    removals = [line for line in uninstall if line.startswith(("RMDir", "Delete"))]
    assert removals, uninstall
    for line in removals:
        assert DATA_DIR not in line and "$LOCALAPPDATA" not in line, line
        # recursive only inside the program's own library folder
        if line.startswith("RMDir: /r"):
            assert line == 'RMDir: /r "$INSTDIR\\_internal"', line
    # the program folder itself only when empty (a folder chosen by hand may hold other files)
    assert 'RMDir: "$INSTDIR"' in removals
    # the uninstaller's first page names the data folder and says it stays
    uninstall_text = built.listing.split('Section: "Uninstall"')[0].split("卸载 " + PRODUCT)[-1]
    assert DATA_DIR in uninstall_text and "不会被删除" in uninstall_text


def test_version_defaults_to_the_programs_and_can_be_given(tmp_path: Path, stand_in: Path) -> None:
    given = build(tmp_path, stand_in, "-DVERSION=9.8.7")
    assert given.code == 0, given.listing[-3000:]
    assert "DisplayVersion=9.8.7" in given.listing
    assert "9.8.7".encode("utf-16-le") in given.output.read_bytes()


def test_a_folder_without_the_program_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "nothing"
    empty.mkdir()
    result = build(tmp_path, empty)
    assert result.code != 0
    assert "找不到 liaison.exe" in result.listing
    assert not result.output.exists()
