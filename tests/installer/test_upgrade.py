"""Installing a newer version over an older one: the setup program leaves the data folder alone,
and the new program upgrades the database it finds there on its first start.

A database written at schema 0002 (an older release) is put in a private user data folder, and
`python -m liaison` runs in a fresh process, as the newly installed program would; its rows must
all be there afterwards, at the newest schema, with a backup of the old file beside it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from liaison.core import db
from tests.core.test_migrations import (
    NEED_OPEN,
    PERSON_ID,
    STAMP,
    fill_previous_version,
    insert,
    synced,
)
from tests.dbfiles import connect

OLD_REVISION = "0002"
FOLDERS = {"HOME": "home", "XDG_DATA_HOME": "data", "XDG_CONFIG_HOME": "config",
           "XDG_STATE_HOME": "state", "XDG_CACHE_HOME": "cache"}
INSTITUTION_ID = uuid.UUID(int=0x501)
CASE_ID = uuid.UUID(int=0x502)


def counts(path: Path, key_from: Path | None = None) -> dict[str, int]:
    conn = connect(path, key_from=key_from)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
            "AND name != 'alembic_version'")]
        return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        conn.close()


def revision(path: Path, key_from: Path | None = None) -> str:
    conn = connect(path, key_from=key_from)
    try:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def old_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the older release left in the user's data folder: schema 0002 with records."""
    path = tmp_path_factory.mktemp("old-release") / "liaison.db"
    engine = db.create_db_engine(f"sqlite:///{path}")
    try:
        db.upgrade(engine, "0001")
        fill_previous_version(engine)  # areas, a user, a person, visits, needs, a follow-up
        db.upgrade(engine, OLD_REVISION)
        with engine.begin() as conn:
            insert(conn, "institution", **synced(INSTITUTION_ID), name="吉林市康复医院",
                   service_kinds="", designated=True, active=True)
            insert(conn, "modification_case", **synced(CASE_ID), person_id=PERSON_ID.hex,
                   need_id=NEED_OPEN.hex, year=2025, stage="applied", stage_on="2025-04-01",
                   applied_on="2025-04-01")
            insert(conn, "case_event", **synced(uuid.UUID(int=0x503)), case_type="modification",
                   case_id=CASE_ID.hex, from_state=None, to_state="applied", on_date="2025-04-01",
                   at=STAMP, by_user="两家子村", reason=None)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    assert revision(path) == OLD_REVISION
    return path


def run_program(base: Path, *args: str, db_env: Path | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != db.DB_ENV_VAR}
    env.update({var: str(base / sub) for var, sub in FOLDERS.items()})
    env["PYTHONIOENCODING"] = "utf-8"
    if db_env is not None:
        env[db.DB_ENV_VAR] = str(db_env)
    return subprocess.run([sys.executable, "-m", "liaison", *args], cwd=base, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=180, check=False)


@pytest.mark.parametrize("how", ["LIAISON_DB", "default data folder"])
def test_the_first_start_of_a_newer_version_upgrades_the_data(
        old_database: Path, tmp_path: Path, how: str) -> None:
    data_dir = tmp_path / FOLDERS["XDG_DATA_HOME"] / "Liaison"  # platformdirs on Linux
    data_dir.mkdir(parents=True)
    workspace = data_dir / "liaison.db"
    shutil.copyfile(old_database, workspace)
    before = counts(workspace)
    assert before["person"] == 1 and before["modification_case"] == 1

    result = run_program(tmp_path, "db", "check", "--json",
                         db_env=workspace if how == "LIAISON_DB" else None)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["revision"] == report["head"] == db.head_revision()
    assert report["integrity"] == "ok" and report["foreign_key_errors"] == 0

    after = counts(workspace)
    assert {t: after[t] for t in before} == before  # every row is still there
    assert not workspace.read_bytes().startswith(b"SQLite format 3\x00")  # and it is encrypted now
    assert "数据库已加密" in result.stderr and "恢复码" in result.stderr
    # a backup of the old file, next to it, still at the old schema
    backup = data_dir / f"liaison.db.before-{db.head_revision()}.bak"
    assert backup.is_file()
    assert revision(backup, key_from=workspace) == OLD_REVISION
    assert counts(backup, key_from=workspace) == before

    # and the program reads the records back
    found = run_program(tmp_path, "person", "search", "", "--json",
                        db_env=workspace if how == "LIAISON_DB" else None)
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["total"] == 1


def test_a_second_start_changes_nothing(old_database: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "liaison.db"
    shutil.copyfile(old_database, workspace)
    assert run_program(tmp_path, "db", "upgrade", db_env=workspace).returncode == 0
    backups = sorted(p.name for p in tmp_path.glob("*.bak"))
    again = run_program(tmp_path, "db", "check", "--json", db_env=workspace)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in tmp_path.glob("*.bak")) == backups
    assert json.loads(again.stdout)["revision"] == db.head_revision()
