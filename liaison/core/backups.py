"""Backups of a SQLite workspace: whole, encrypted copies kept next to it, and restoring one.

`liaison.db` → `liaison-backups/liaison-20261125-173000-exit.db`. A backup is made with
SQLite's online backup API (consistent while the program runs), under the workspace's own key
and salt, written under a temporary name, checked and only then renamed: a backup that is
there is whole. The newest `backup_keep` are kept.

A server (PostgreSQL) workspace is backed up with the server's own tools (pg_dump).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlcipher3.dbapi2 as sqlcipher

from liaison.core import db
from liaison.core.dbkey import fsync_dir, fsync_path
from liaison.core.errors import DatabaseStateError, LiaisonError
from liaison.core.i18n import _
from liaison.core.services import settings

if TYPE_CHECKING:
    from liaison.bootstrap import Workspace

log = logging.getLogger(__name__)

BACKUP_KEEP = "backup_keep"
DEFAULT_KEEP = 10
DUE_AFTER = timedelta(hours=24)
_NAME = re.compile(r"^(?P<stem>.+)-(?P<stamp>\d{8}-\d{6})-(?P<reason>[a-z0-9-]+)\.db$")
_REASON = re.compile(r"^[a-z0-9-]{1,30}$")


class BackupError(LiaisonError):
    pass


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    taken_at: datetime
    size: int
    reason: str


def backups_dir(ws: Workspace) -> Path:
    path = _live_path(ws)
    return path.with_name(f"{path.stem}-backups")


def _live_path(ws: Workspace) -> Path:
    path = db.sqlite_path(ws.url)
    if path is None:
        raise BackupError(_("服务器数据库（PostgreSQL）请用服务器自己的备份工具（pg_dump）备份和恢复"))
    return path


def _connect(path: Path, ws: Workspace, *, readonly: bool = False) -> Any:
    """A file made before, under the workspace's key (its salt is read from the file)."""
    return db.connect_file(path, ws.db_key, readonly=readonly)


def make_backup(ws: Workspace, *, reason: str, now: datetime | None = None) -> BackupInfo:
    """A checked, encrypted copy of the workspace as it is now; then only the newest
    `backup_keep` backups are kept."""
    live = _live_path(ws)
    if not _REASON.match(reason):
        raise ValueError(f"a backup reason is a short lower-case word: {reason!r}")
    folder = backups_dir(ws)
    folder.mkdir(parents=True, exist_ok=True)
    taken = (now or datetime.now()).replace(microsecond=0)
    final = folder / f"{live.stem}-{taken:%Y%m%d-%H%M%S}-{reason}.db"
    n = 1
    while final.exists():  # two in the same second
        n += 1
        final = folder / f"{live.stem}-{taken:%Y%m%d-%H%M%S}-{reason}-{n}.db"
    tmp = folder / f".{final.name}.partial"
    tmp.unlink(missing_ok=True)
    try:
        db.backup_sqlite_file(ws.engine, tmp)
        conn = _connect(tmp, ws)
        try:
            conn.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            conn.close()
        if integrity != "ok":
            raise BackupError(_("备份完整性检查未通过（{r}），未保存该备份").format(r=integrity))
        fsync_path(tmp)
        os.replace(tmp, final)
        fsync_dir(folder)
    except BaseException:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{tmp}{suffix}").unlink(missing_ok=True)
        raise
    log.info("backup %s written", final)
    info = _info(final)
    assert info is not None
    _prune(ws)
    return info


def _info(path: Path) -> BackupInfo | None:
    match = _NAME.match(path.name)
    if match is None or not path.is_file():
        return None
    taken = datetime.strptime(match["stamp"], "%Y%m%d-%H%M%S")
    return BackupInfo(path, taken, path.stat().st_size, match["reason"])


def list_backups(ws: Workspace) -> list[BackupInfo]:
    """This workspace's backups, newest first."""
    folder = backups_dir(ws)
    if not folder.is_dir():
        return []
    stem = _live_path(ws).stem
    found = [info for p in folder.glob(f"{stem}-*.db") if (info := _info(p)) is not None]
    return sorted(found, key=lambda b: (b.taken_at, b.path.name), reverse=True)


def keep_count(ws: Workspace) -> int:
    with ws.uow() as uow:
        value = settings.get_setting(uow.session, BACKUP_KEEP, DEFAULT_KEEP)
    return max(1, int(value))  # the newest backup is never pruned


def _prune(ws: Workspace) -> None:
    for old in list_backups(ws)[keep_count(ws):]:
        old.path.unlink(missing_ok=True)
        log.info("old backup %s removed", old.path)


def backup_due(ws: Workspace, now: datetime | None = None) -> bool:
    """No backup in the last 24 hours (the window checks at start and daily)."""
    backups = list_backups(ws)
    return not backups or (now or datetime.now()) - backups[0].taken_at >= DUE_AFTER


def restore_backup(ws: Workspace, path: Path) -> BackupInfo:
    """Bring back the state in the backup at `path`. The current state is backed up first
    ("before-restore", returned); a file that is not a sound backup of this workspace is
    refused and nothing changes."""
    _live_path(ws)
    revision = _check_backup(ws, path)
    safety = make_backup(ws, reason="before-restore")
    source = _connect(path, ws, readonly=True)
    try:
        raw = ws.engine.raw_connection()
        try:
            # one step: the backup API replaces every page of the live file in one transaction
            source.backup(raw.driver_connection)
        finally:
            raw.close()
    finally:
        source.close()
    ws.engine.dispose()  # no pooled connection keeps a view of the replaced pages
    ws.cache.clear()
    ws._rules = None
    if revision != db.HEAD_REVISION:
        db.upgrade(ws.engine)
    log.info("workspace restored from %s (safety backup %s)", path, safety.path)
    return safety


def _check_backup(ws: Workspace, path: Path) -> str | None:
    """The backup's schema revision, or a BackupError saying why it cannot be restored."""
    if not path.is_file():
        raise BackupError(_("找不到备份文件：{path}").format(path=path))
    try:
        conn = _connect(path, ws, readonly=True)
    except sqlcipher.Error as exc:
        raise BackupError(_("无法打开备份文件 {path}：{err}").format(path=path, err=exc)) from None
    try:
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher.DatabaseError:
            raise BackupError(_("该文件不是本工作区的备份（无法用本工作区的密钥打开），未做任何改动")) from None
        try:
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlcipher.DatabaseError as exc:
            integrity = str(exc)
        if integrity != "ok":
            raise BackupError(_("备份文件已损坏（完整性检查：{r}），未做任何改动").format(r=integrity))
        state = db.sqlite_file_state(path, ws.db_key)
    finally:
        conn.close()
    if state is None:
        raise BackupError(_("该文件不是本工作区的备份，未做任何改动"))
    revision, has_tables = state
    try:
        db.refuse_foreign(revision, has_tables)
    except DatabaseStateError as exc:
        raise BackupError(_("无法恢复该备份：{why}").format(why=exc.message)) from None
    if revision is None:
        raise BackupError(_("该文件不是本工作区的备份（里面没有数据），未做任何改动"))
    return revision
