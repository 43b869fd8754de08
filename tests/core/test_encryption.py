"""Encryption at rest: a copied workspace file, its attachments and its backups reveal
nothing without the key; the recovery code brings the key back; earlier plain files are
encrypted in place with every row kept."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import keyring
import pytest

from liaison.bootstrap import open_workspace
from liaison.core import db, dbkey
from liaison.core.enums import AreaLevel
from liaison.core.files import HEADER, FileStore, StoredFileAltered
from liaison.core.services import areas, settings
from tests.dbfiles import MemoryKeyring, connect

PLAIN = b"SQLite format 3\x00"


@pytest.fixture
def fresh_keyring():  # type: ignore[no-untyped-def]
    """A keyring of its own for the test; `reinstall()` wipes it, as a new system would."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)

    def reinstall() -> MemoryKeyring:
        backend.items.clear()
        return backend

    yield reinstall
    keyring.set_keyring(previous)


def new_workspace(path: Path):  # type: ignore[no-untyped-def]
    ws = open_workspace(f"sqlite:///{path}")
    with ws.uow() as uow:
        areas.create_area(uow, ws.system_actor, code="220202", name="昌邑区", level=AreaLevel.COUNTY)
        uow.commit()
    return ws


def area_names(ws) -> list[str]:  # type: ignore[no-untyped-def]
    with ws.engine.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql("SELECT name FROM area ORDER BY code")]


# --- the file -----------------------------------------------------------------------------


def test_a_copied_file_is_unreadable_without_the_key(fresh_keyring, tmp_path):
    path = tmp_path / "liaison.db"
    ws = new_workspace(path)
    assert ws.new_recovery_code is not None and ws.db_key is not None
    ws.close()
    data = path.read_bytes()
    assert data[:16] != PLAIN and "昌邑区".encode() not in data
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError):
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    conn.close()
    assert not dbkey.key_opens(path, bytes(32))
    fresh_keyring()  # another machine's (empty) store
    with pytest.raises(dbkey.KeyMissingError, match="请输入恢复码"):
        open_workspace(f"sqlite:///{path}")


def test_reopening_finds_the_key_and_shows_no_code(fresh_keyring, tmp_path):
    path = tmp_path / "liaison.db"
    ws = new_workspace(path)
    code = ws.new_recovery_code
    ws.close()
    again = open_workspace(f"sqlite:///{path}")
    try:
        assert again.new_recovery_code is None and again.recovery_code() == code
        assert area_names(again) == ["昌邑区"]
    finally:
        again.close()


def test_the_right_code_reopens_after_a_reinstall(fresh_keyring, tmp_path):
    path = tmp_path / "liaison.db"
    ws = new_workspace(path)
    code = ws.new_recovery_code
    ws.close()
    fresh_keyring()
    typed = code.lower().replace("-", " ")  # as read out over the phone
    ws = open_workspace(f"sqlite:///{path}", recovery_code=typed)
    try:
        assert area_names(ws) == ["昌邑区"] and ws.new_recovery_code is None
    finally:
        ws.close()
    open_workspace(f"sqlite:///{path}").close()  # the key was stored again: no code needed


def test_a_mistyped_code_is_a_checksum_error_and_changes_nothing(fresh_keyring, tmp_path):
    path = tmp_path / "liaison.db"
    ws = new_workspace(path)
    code = ws.new_recovery_code
    ws.close()
    backend = fresh_keyring()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    wrong_char = "Z" if code[7] != "Z" else "Y"
    mistyped = code[:7] + wrong_char + code[8:]
    with pytest.raises(dbkey.RecoveryCodeError, match="抄错或输错") as info:
        open_workspace(f"sqlite:///{path}", recovery_code=mistyped)
    assert not isinstance(info.value, dbkey.WrongRecoveryCodeError)
    with pytest.raises(dbkey.RecoveryCodeError, match="字符"):
        open_workspace(f"sqlite:///{path}", recovery_code=code[:-2])
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest and backend.items == {}


def test_another_databases_code_is_a_mismatch_and_changes_nothing(fresh_keyring, tmp_path):
    path, other = tmp_path / "liaison.db", tmp_path / "other.db"
    new_workspace(path).close()
    other_ws = new_workspace(other)
    other_code = other_ws.new_recovery_code
    other_ws.close()
    backend = fresh_keyring()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(dbkey.WrongRecoveryCodeError, match="不是这个数据库的"):
        open_workspace(f"sqlite:///{path}", recovery_code=other_code)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest and backend.items == {}


def test_recovery_codes_round_trip_and_are_easy_to_copy():
    key = bytes(range(32))
    code = dbkey.recovery_code_for(key)
    groups = code.split("-")
    assert len(groups) == 14 and all(len(g) == 4 for g in groups)
    assert not set(code) & set("ILOU")
    assert dbkey.key_from_recovery_code(code) == key
    assert dbkey.key_from_recovery_code(" " + code.replace("-", "").lower() + "\n") == key
    # O for 0 and I or L for 1 are read as the digits
    confusable = code.replace("0", "O").replace("1", "l")
    assert dbkey.key_from_recovery_code(confusable) == key
    with pytest.raises(dbkey.RecoveryCodeError, match="U"):
        dbkey.key_from_recovery_code("U" + code[1:])


# --- a plain file of an earlier version ----------------------------------------------------


def plain_workspace_at(path: Path, revision: str) -> dict[str, int]:
    """A plain (unencrypted) file at `revision`, as an earlier version left it, with rows."""
    engine = db.create_db_engine(f"sqlite:///{path}")
    try:
        db.upgrade(engine, revision)
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO setting (key, value) VALUES ('device_id', '\"dev-1\"')")
            for n in range(30):
                conn.exec_driver_sql(
                    "INSERT INTO area (id, code, name, level, parent_id, origin_device, created_at, updated_at,"
                    " row_version) VALUES (?, ?, ?, 'county', NULL, 'dev-1', '2025-01-01 00:00:00.000000',"
                    " '2025-01-01 00:00:00.000000', 1)",
                    (f"{n:032x}", f"2202{n:02d}", f"区{n}"))
    finally:
        engine.dispose()
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


@pytest.mark.parametrize("revision", ["0004", "0005"])
def test_a_plain_database_is_encrypted_on_open_with_every_row(fresh_keyring, tmp_path, revision):
    path = tmp_path / "liaison.db"
    counts = plain_workspace_at(path, revision)
    assert counts["area"] == 30 and path.read_bytes()[:16] == PLAIN
    ws = open_workspace(f"sqlite:///{path}")
    try:
        assert ws.new_recovery_code is not None  # a new key: the person must see its code
        assert ws.device_id == "dev-1" and len(area_names(ws)) == 30
    finally:
        ws.close()
    assert path.read_bytes()[:16] != PLAIN and "区29".encode() not in path.read_bytes()
    conn = connect(path)
    after = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in counts}
    conn.close()
    assert {t: n for t, n in after.items() if t != "alembic_version"} == {
        t: n for t, n in counts.items() if t != "alembic_version"}
    leftovers = [p.name for p in tmp_path.iterdir() if p.is_file()]
    assert not [name for name in leftovers if "encrypting" in name or name.endswith(("-wal", "-shm"))]
    for other in tmp_path.glob("liaison.db.*"):  # the upgrade backup (0004) is encrypted too
        assert other.read_bytes()[:16] != PLAIN


def test_old_plain_upgrade_backups_are_encrypted_too(fresh_keyring, tmp_path):
    path = tmp_path / "liaison.db"
    plain_workspace_at(path, "0005")
    old_backup = tmp_path / "liaison.db.before-0004.bak"
    plain_workspace_at(old_backup, "0003")
    open_workspace(f"sqlite:///{path}").close()
    assert old_backup.read_bytes()[:16] != PLAIN and "区29".encode() not in old_backup.read_bytes()
    conn = connect(old_backup)  # under the workspace's key
    try:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0003",)]
        assert conn.execute("SELECT count(*) FROM area").fetchone() == (30,)
    finally:
        conn.close()


def test_a_crash_before_the_swap_leaves_the_plain_file_whole(fresh_keyring, tmp_path, monkeypatch):
    path = tmp_path / "liaison.db"
    counts = plain_workspace_at(path, "0005")

    def crash(*_args):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(dbkey.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        open_workspace(f"sqlite:///{path}")
    monkeypatch.undo()
    assert path.read_bytes()[:16] == PLAIN
    for partial in tmp_path.glob("*.encrypting*"):  # what a kill leaves: encrypted, and cleared next time
        assert partial.read_bytes()[:16] != PLAIN
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM area").fetchone()[0] == counts["area"]
    conn.close()
    ws = open_workspace(f"sqlite:///{path}")  # and the next start finishes the job
    try:
        assert len(area_names(ws)) == counts["area"]
    finally:
        ws.close()
    assert not list(tmp_path.glob("*.encrypting*"))


def test_a_plain_database_in_use_elsewhere_is_not_encrypted(fresh_keyring, tmp_path):
    path = tmp_path / "liaison.db"
    plain_workspace_at(path, "0005")
    # another program (a process of its own: SQLite's locks are per process) has it open
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('PRAGMA journal_mode = WAL');"
         " c.execute('BEGIN IMMEDIATE'); print('ready', flush=True); sys.stdin.readline()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(Exception) as info:  # noqa: PT011 - "in use" or "locked": either way untouched
            dbkey.encrypt_in_place(path, bytes(32), bytes(16), busy_timeout_ms=200)
        assert "使用" in str(info.value) or "locked" in str(info.value)
    finally:
        holder.communicate("\n", timeout=30)
    assert path.read_bytes()[:16] == PLAIN and not list(tmp_path.glob("*.encrypting*"))


# --- attachments ------------------------------------------------------------------------------


def test_attachments_are_encrypted_and_read_back(tmp_path):
    content = "两家子村 张三 残疾人证 照片".encode() * 300
    source = tmp_path / "photo.jpg"
    source.write_bytes(content)
    store = FileStore(tmp_path / "files", bytes(range(32)))
    stored = store.put_file(source)
    assert stored.sha256 == hashlib.sha256(content).hexdigest() and stored.size == len(content)
    on_disk = store.path_for(stored.sha256).read_bytes()
    assert on_disk.startswith(HEADER) and content[:30] not in on_disk
    assert store.verify(stored.sha256) and store.read_bytes(stored.sha256) == content
    assert store.export(stored.sha256, tmp_path / "out" / "p.jpg").read_bytes() == content
    store.put_file(source)  # the same content again: one file
    assert len(list((tmp_path / "files").rglob("*"))) == 2  # the folder and the file
    other_key = FileStore(tmp_path / "files", bytes(32))
    assert not other_key.verify(stored.sha256)


def test_an_altered_attachment_is_reported_not_a_crash(tmp_path):
    source = tmp_path / "doc.pdf"
    source.write_bytes(b"%PDF-1.4 " + b"x" * 5000)
    store = FileStore(tmp_path / "files", bytes(range(32)))
    sha = store.put_file(source).sha256
    path = store.path_for(sha)
    data = bytearray(path.read_bytes())
    data[100] ^= 1
    path.write_bytes(bytes(data))
    assert not store.verify(sha)
    with pytest.raises(StoredFileAltered):
        store.read_bytes(sha)
    with pytest.raises(StoredFileAltered):
        store.export(sha, tmp_path / "out.pdf")
    assert not (tmp_path / "out.pdf").exists() and not list(tmp_path.glob(".export-*"))


def test_plain_attachments_of_earlier_versions_still_read_and_get_encrypted(tmp_path):
    content = b"\x89PNG old photo" * 100
    source = tmp_path / "old.png"
    source.write_bytes(content)
    sha = FileStore(tmp_path / "files").put_file(source).sha256  # an earlier version: plain
    store = FileStore(tmp_path / "files", bytes(range(32)))
    assert store.path_for(sha).read_bytes() == content
    assert store.verify(sha) and store.read_bytes(sha) == content
    assert store.encrypt_plain_files() == 1
    assert store.path_for(sha).read_bytes().startswith(HEADER) and store.read_bytes(sha) == content


def test_the_workspace_file_store_uses_the_database_key(fresh_keyring, tmp_path):
    ws = new_workspace(tmp_path / "liaison.db")
    try:
        source = tmp_path / "a.txt"
        source.write_bytes("走访记录".encode() * 50)
        sha = ws.files.put_file(source).sha256
        assert ws.files.encrypted
        assert "走访记录".encode() not in ws.files.path_for(sha).read_bytes()
    finally:
        ws.close()


def test_the_sync_keys_share_the_workspace_store(fresh_keyring, tmp_path, monkeypatch):
    from liaison.core import secrets
    from liaison.sync import exchange

    monkeypatch.setattr(secrets, "keyring_usable", lambda: False)
    monkeypatch.setenv(secrets.PASSPHRASE_ENV, "correct horse battery")
    ws = new_workspace(tmp_path / "liaison.db")
    try:
        store = exchange.secret_store(ws)
        assert store is ws.secrets  # one key file, unlocked once
        assert json_names(tmp_path / "liaison-keys.json") == {dbkey.secret_name(path_salt(tmp_path / "liaison.db"))}
    finally:
        ws.close()


def json_names(path: Path) -> set[str]:
    import json

    return set(json.loads(path.read_text("utf-8"))["secrets"])


def path_salt(path: Path) -> bytes:
    return dbkey.file_header(path)


def test_in_memory_workspaces_stay_plain():
    ws = open_workspace("sqlite://")
    try:
        assert ws.db_key is None and ws.secrets is None and ws.new_recovery_code is None
        with ws.uow() as uow:
            assert settings.get_setting(uow.session, settings.DEVICE_ID) == ws.device_id
    finally:
        ws.close()
