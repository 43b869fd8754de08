"""Backups: encrypted, checked, pruned to the newest N; a restore backs up the current
state first and brings the earlier one back; a foreign or broken file changes nothing."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from liaison.bootstrap import Workspace, open_workspace
from liaison.core import backups, db
from liaison.core.enums import AreaLevel
from liaison.core.services import areas, settings
from tests.dbfiles import connect

PLAIN = b"SQLite format 3\x00"
T0 = datetime(2026, 11, 25, 17, 30, 0)


def add_area(ws: Workspace, code: str, name: str) -> None:
    with ws.uow() as uow:
        areas.create_area(uow, ws.system_actor, code=code, name=name, level=AreaLevel.COUNTY)
        uow.commit()


def area_names(ws: Workspace) -> list[str]:
    with ws.engine.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql("SELECT name FROM area ORDER BY code")]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_backup_is_an_encrypted_checked_copy(workspace: Workspace):
    add_area(workspace, "220202", "昌邑区")
    info = backups.make_backup(workspace, reason="manual", now=T0)
    live = db.sqlite_path(workspace.url)
    assert info.path == live.with_name("liaison-backups") / "liaison-20261125-173000-manual.db"
    assert (info.taken_at, info.reason, info.size) == (T0, "manual", info.path.stat().st_size)
    data = info.path.read_bytes()
    assert data[:16] != PLAIN and "昌邑区".encode() not in data
    plain = sqlite3.connect(info.path)
    with pytest.raises(sqlite3.DatabaseError):
        plain.execute("SELECT count(*) FROM area").fetchone()
    plain.close()
    conn = connect(info.path)  # the workspace's key opens it
    try:
        assert conn.execute("SELECT name FROM area").fetchall() == [("昌邑区",)]
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()
    assert [p.name for p in info.path.parent.iterdir()] == [info.path.name]  # no partial file left
    assert backups.list_backups(workspace) == [info]


def test_backups_are_pruned_to_the_setting_newest_kept(workspace: Workspace):
    with workspace.uow() as uow:
        settings.put_setting(uow.session, backups.BACKUP_KEEP, 3)
        uow.commit()
    made = [backups.make_backup(workspace, reason="daily", now=T0 + timedelta(hours=h)) for h in range(5)]
    kept = backups.list_backups(workspace)
    assert [b.path for b in kept] == [b.path for b in reversed(made[2:])]
    assert not made[0].path.exists() and not made[1].path.exists()
    with workspace.uow() as uow:
        settings.put_setting(uow.session, backups.BACKUP_KEEP, 0)  # nonsense: the newest still stays
        uow.commit()
    newest = backups.make_backup(workspace, reason="exit", now=T0 + timedelta(hours=9))
    assert backups.list_backups(workspace) == [newest]


def test_the_default_keeps_ten(workspace: Workspace):
    for h in range(12):
        backups.make_backup(workspace, reason="daily", now=T0 + timedelta(hours=h))
    assert len(backups.list_backups(workspace)) == backups.DEFAULT_KEEP == 10


def test_a_backup_is_due_after_a_day(workspace: Workspace):
    assert backups.backup_due(workspace, now=T0)
    backups.make_backup(workspace, reason="start", now=T0)
    assert not backups.backup_due(workspace, now=T0 + timedelta(hours=23))
    assert backups.backup_due(workspace, now=T0 + timedelta(hours=24))


def test_restore_backs_up_first_and_brings_back_the_earlier_state(workspace: Workspace):
    add_area(workspace, "220202", "昌邑区")
    earlier = backups.make_backup(workspace, reason="manual", now=T0)
    add_area(workspace, "220203", "龙潭区")
    assert area_names(workspace) == ["昌邑区", "龙潭区"]
    safety = backups.restore_backup(workspace, earlier.path)
    assert safety.reason == "before-restore" and safety.path.exists()
    assert area_names(workspace) == ["昌邑区"]
    conn = connect(safety.path)  # the state just before the restore is kept
    assert [r[0] for r in conn.execute("SELECT name FROM area ORDER BY code")] == ["昌邑区", "龙潭区"]
    conn.close()
    add_area(workspace, "220204", "船营区")  # the restored workspace works as usual
    path = db.sqlite_path(workspace.url)
    workspace.close()
    again = open_workspace(f"sqlite:///{path}")
    try:
        assert area_names(again) == ["昌邑区", "船营区"]
        assert db.check(again.engine).ok
    finally:
        again.close()


def test_an_older_backup_is_upgraded_after_restore(workspace: Workspace, tmp_path: Path):
    older = tmp_path / "older.db"  # a backup taken before the last upgrade, under the same key
    engine = db.create_db_engine(f"sqlite:///{older}", workspace.db_key)
    try:
        db.upgrade(engine, "0004")
    finally:
        engine.dispose()
    backups.restore_backup(workspace, older)
    assert db.current_revision(workspace.engine) == db.HEAD_REVISION
    assert db.check(workspace.engine).ok


def assert_refused(ws: Workspace, path: Path, message: str) -> None:
    live = db.sqlite_path(ws.url)
    with ws.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    before_live, before_names = digest(live), area_names(ws)
    before_backups = backups.list_backups(ws)
    with pytest.raises(backups.BackupError, match=message):
        backups.restore_backup(ws, path)
    assert digest(live) == before_live and area_names(ws) == before_names
    assert backups.list_backups(ws) == before_backups  # not even a safety backup


def test_a_backup_of_another_workspace_is_refused(workspace: Workspace, tmp_path: Path):
    add_area(workspace, "220202", "昌邑区")
    other = open_workspace(f"sqlite:///{tmp_path / 'other' / 'liaison.db'}")
    try:
        foreign = backups.make_backup(other, reason="manual", now=T0)
    finally:
        other.close()
    assert_refused(workspace, foreign.path, "不是本工作区的备份")


def test_a_corrupt_backup_is_refused(workspace: Workspace):
    add_area(workspace, "220202", "昌邑区")
    backup = backups.make_backup(workspace, reason="manual", now=T0)
    data = bytearray(backup.path.read_bytes())
    for offset in range(4096 + 200, 4096 + 260):  # damage the second page
        data[offset] ^= 0xFF
    backup.path.write_bytes(bytes(data))
    assert_refused(workspace, backup.path, "损坏|不是本工作区")


def test_a_plain_or_newer_file_is_refused(workspace: Workspace, tmp_path: Path):
    plain = tmp_path / "plain.db"
    conn = sqlite3.connect(plain)
    conn.execute("CREATE TABLE ledger (x)")
    conn.commit()
    conn.close()
    assert_refused(workspace, plain, "不是本工作区的备份")
    newer = backups.make_backup(workspace, reason="manual", now=T0)
    conn = connect(newer.path)
    conn.execute("UPDATE alembic_version SET version_num = '0099_future'")
    conn.commit()
    conn.close()
    assert_refused(workspace, newer.path, "更新版本")
    assert_refused(workspace, tmp_path / "missing.db", "找不到")


def test_a_server_database_is_refused_with_pg_dump_advice(workspace: Workspace):
    server_like = Workspace("postgresql://hub/liaison", workspace.engine, workspace.session_factory,
                            workspace.device_id, workspace.upgrade)
    for call in (lambda: backups.make_backup(server_like, reason="manual"),
                 lambda: backups.list_backups(server_like),
                 lambda: backups.restore_backup(server_like, Path("x.db"))):
        with pytest.raises(backups.BackupError, match="pg_dump"):
            call()
