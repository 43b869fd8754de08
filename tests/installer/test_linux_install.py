"""installer/install-linux.sh on a stand-in bundle in a private home: it installs for the user,
an upgrade replaces the program wholesale, and neither that nor --uninstall touches the data."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "installer"


def stand_in_bundle(base: Path, version: str, extra: str) -> Path:
    """dist/liaison as build.sh leaves it, with a shell script in place of the program."""
    bundle = base / f"bundle-{version}" / "liaison"
    (bundle / "_internal").mkdir(parents=True)
    (bundle / "_internal" / extra).write_text(version)
    program = bundle / "liaison"
    program.write_text(f"#!/bin/sh\necho liaison {version}\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    shutil.copy(INSTALLER / "install-linux.sh", bundle / "install.sh")
    shutil.copy(INSTALLER / "liaison.desktop", bundle / "liaison.desktop")
    shutil.copy(ROOT / "resources" / "icons" / "liaison.png", bundle / "liaison.png")
    return bundle


def run(home: Path, bundle: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8"}
    return subprocess.run(["sh", str(bundle / "install.sh"), *args], env=env, capture_output=True,
                          text=True, timeout=60, check=False)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    data = home / ".local" / "share" / "Liaison"
    data.mkdir(parents=True)
    (data / "liaison.db").write_text("the officer's records")
    return home


def test_install_upgrade_and_uninstall_keep_the_data(tmp_path: Path, home: Path) -> None:
    lib = home / ".local" / "lib" / "liaison"
    desktop = home / ".local" / "share" / "applications" / "liaison.desktop"
    icon = home / ".local" / "share" / "icons" / "hicolor" / "256x256" / "apps" / "liaison.png"
    command = home / ".local" / "bin" / "liaison"
    data = home / ".local" / "share" / "Liaison" / "liaison.db"

    old = run(home, stand_in_bundle(tmp_path, "0.1.0", "old-only.so"))
    assert old.returncode == 0, old.stderr
    assert "liaison 0.1.0" in old.stdout
    assert (lib / "_internal" / "old-only.so").is_file()
    assert icon.is_file()
    assert subprocess.run([str(command)], capture_output=True, text=True,
                          check=False).stdout.strip() == "liaison 0.1.0"
    assert f"Exec={lib}/liaison" in desktop.read_text(encoding="utf-8").splitlines()

    new = run(home, stand_in_bundle(tmp_path, "0.2.0", "new-only.so"))
    assert new.returncode == 0, new.stderr
    assert "liaison 0.2.0" in new.stdout
    assert (lib / "_internal" / "new-only.so").is_file()
    assert not (lib / "_internal" / "old-only.so").exists()  # nothing of the old version left
    assert data.read_text() == "the officer's records"

    gone = run(home, lib, "--uninstall")
    assert gone.returncode == 0, gone.stderr
    assert not lib.exists() and not command.exists() and not desktop.exists() and not icon.exists()
    assert data.read_text() == "the officer's records"
    assert "Liaison" in gone.stdout


def test_refuses_a_folder_that_is_not_a_bundle(tmp_path: Path, home: Path) -> None:
    folder = tmp_path / "loose"
    folder.mkdir()
    shutil.copy(INSTALLER / "install-linux.sh", folder / "install.sh")
    result = run(home, folder)
    assert result.returncode == 1
    assert "缺少" in result.stderr
    assert not (home / ".local" / "lib" / "liaison").exists()
