"""The key of an encrypted workspace file: made once, kept in the workspace's secret store,
and printable as a recovery code for the day the store is gone (a new computer, a
reinstalled system).

An SQLCipher file starts with a 16-byte random salt. We choose that salt when the file is
made and name the key after it (`db-<salt hex>`), so the key is found before the file is
opened, a copy of the file on the same machine still opens, and a file moved elsewhere
needs its recovery code.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlcipher3.dbapi2 as sqlcipher

from liaison.core import db
from liaison.core.errors import DatabaseStateError, LiaisonError
from liaison.core.i18n import _
from liaison.core.secrets import SecretStore, key_file_for, open_secret_store

log = logging.getLogger(__name__)

KEY_BYTES = 32
SALT_BYTES = 16
PLAIN_HEADER = b"SQLite format 3\x00"
DB_NAMESPACE = "database"  # keyring entries "database:db-<salt hex>"
# Crockford's base32: no I, L, O or U, so nothing is mistaken for 1 or 0 when copied by hand
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_BYTES = 3  # 32 + 3 bytes = 280 bits = 56 characters, no padding
CODE_CHARS = (KEY_BYTES + CHECK_BYTES) * 8 // 5
GROUP = 4


class KeyMissingError(LiaisonError):
    """The file is encrypted and this machine's secret store has no key for it."""


def key_missing() -> KeyMissingError:
    return KeyMissingError(_("本机找不到该数据库的密钥（可能重装过系统或换了电脑）：请输入恢复码"))


class RecoveryCodeError(LiaisonError):
    """The code is not a well-formed recovery code (a character mistyped or left out)."""


class WrongRecoveryCodeError(RecoveryCodeError):
    """A well-formed code, but of another database."""


# --- the recovery code ------------------------------------------------------------------------


def _checksum(key: bytes) -> bytes:
    return hashlib.sha256(b"liaison-recovery-code\x00" + key).digest()[:CHECK_BYTES]


def recovery_code_for(key: bytes) -> str:
    """The key and a checksum in Crockford base32, in groups of four: 14 groups."""
    if len(key) != KEY_BYTES:
        raise ValueError("a database key is 32 bytes")
    number = int.from_bytes(key + _checksum(key), "big")
    chars = "".join(CROCKFORD[(number >> (5 * i)) & 31] for i in reversed(range(CODE_CHARS)))
    return "-".join(chars[i:i + GROUP] for i in range(0, CODE_CHARS, GROUP))


def key_from_recovery_code(code: str) -> bytes:
    """The key in a recovery code; spaces, dashes and lower case are fine, O is read as 0 and
    I or L as 1. A mistyped code raises RecoveryCodeError."""
    cleaned = "".join(code.split()).replace("-", "").upper().translate(str.maketrans("OIL", "011"))
    if len(cleaned) != CODE_CHARS:
        raise RecoveryCodeError(_("恢复码应有 {n} 个字符（不计横线和空格），输入的是 {m} 个，请核对").format(
            n=CODE_CHARS, m=len(cleaned)))
    bad = sorted({ch for ch in cleaned if ch not in CROCKFORD})
    if bad:
        raise RecoveryCodeError(_("恢复码中不会出现这些字符：{chars}，请核对").format(chars=" ".join(bad)))
    number = 0
    for ch in cleaned:
        number = number * 32 + CROCKFORD.index(ch)
    raw = number.to_bytes(KEY_BYTES + CHECK_BYTES, "big")
    key, check = raw[:KEY_BYTES], raw[KEY_BYTES:]
    if _checksum(key) != check:
        raise RecoveryCodeError(_("恢复码有误：可能有字符抄错或输错，请逐组核对后重新输入"))
    return key


# --- finding the key --------------------------------------------------------------------------


def secret_name(salt: bytes) -> str:
    return f"db-{salt.hex()}"


def file_header(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(len(PLAIN_HEADER))


def is_encrypted_file(path: Path) -> bool:
    """An existing, non-empty file that is not plain SQLite (its first bytes are then the salt)."""
    header = file_header(path)
    return len(header) == len(PLAIN_HEADER) and header != PLAIN_HEADER


def key_opens(path: Path, key: bytes) -> bool:
    """Whether `key` decrypts the file (a wrong key fails only at the first read)."""
    try:
        conn = db.connect_file(path, key, readonly=True)
    except sqlcipher.Error:
        return False
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except sqlcipher.DatabaseError:
        return False
    finally:
        conn.close()


def store_for(path: Path, ask_passphrase: Callable[[bool], str] | None = None) -> SecretStore:
    """The secret store of the workspace file at `path` (shared with its sync keys)."""
    return open_secret_store(DB_NAMESPACE, key_file_for(path), ask_passphrase)


def stored_key(path: Path, store: SecretStore) -> bytes | None:
    """The key the store holds for this encrypted file, if any."""
    return store.get(secret_name(file_header(path)))


def connect_workspace_file(path: Path, *, ask_passphrase: Callable[[bool], str] | None = None,
                           readonly: bool = False) -> sqlcipher.Connection:
    """A raw DB-API connection to a workspace file, keyed from its secret store, for the
    tools that work beside SQLAlchemy; KeyMissingError when the store has no key for it."""
    key = None
    if path.exists() and is_encrypted_file(path):
        key = stored_key(path, store_for(path, ask_passphrase))
        if key is None:
            raise key_missing()
    return db.connect_file(path, key, readonly=readonly)


@dataclass(frozen=True)
class DatabaseKey:
    key: bytes = field(repr=False)
    salt: bytes
    store: SecretStore
    new_recovery_code: str | None = field(default=None, repr=False)  # set only when the key is new


def unlock(path: Path, *, ask_passphrase: Callable[[bool], str] | None = None,
           recovery_code: str | None = None) -> DatabaseKey:
    """The key of the workspace file at `path`: a new one for a new file (and for a plain
    file of an earlier version, which is encrypted here), else the stored one, else the one
    in `recovery_code` (checked against the file, then stored again)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    store = store_for(path, ask_passphrase)
    if not path.exists() or path.stat().st_size == 0:
        return _new_key(store)
    if not is_encrypted_file(path):
        state = db.sqlite_file_state(path, None)
        if state is None:
            raise DatabaseStateError(_("数据库文件已损坏或不是本程序的数据库：{path}").format(path=path))
        db.refuse_foreign(*state)  # someone else's database is left exactly as it is
        made = _new_key(store)
        encrypt_in_place(path, made.key, made.salt)
        return made
    if path.stat().st_size % 512:  # every SQLite file is whole pages; this is some other file
        raise DatabaseStateError(_("数据库文件已损坏或不是本程序的数据库：{path}").format(path=path))
    salt = file_header(path)
    key = store.get(secret_name(salt))
    if key is not None:
        return DatabaseKey(key, salt, store)
    if not recovery_code:
        raise key_missing()
    key = key_from_recovery_code(recovery_code)
    if not key_opens(path, key):
        raise WrongRecoveryCodeError(_(
            "恢复码格式正确，但不是这个数据库的（可能是另一个工作区的恢复码），数据库未做任何改动"))
    store.put(secret_name(salt), key)
    log.info("database key of %s restored from its recovery code", path)
    return DatabaseKey(key, salt, store)


def _new_key(store: SecretStore) -> DatabaseKey:
    # stored before the file exists: a file never outlives a failure to keep its key
    key, salt = os.urandom(KEY_BYTES), os.urandom(SALT_BYTES)
    store.put(secret_name(salt), key)
    return DatabaseKey(key, salt, store, recovery_code_for(key))


# --- encrypting a plain file of an earlier version ----------------------------------------------


def _table_counts(conn: sqlcipher.Connection, schema: str = "main") -> dict[str, int]:
    names = [row[0] for row in conn.execute(
        f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return {name: conn.execute(f'SELECT count(*) FROM {schema}."{name}"').fetchone()[0] for name in names}


def encrypt_in_place(path: Path, key: bytes, salt: bytes, *, busy_timeout_ms: int = db.BUSY_TIMEOUT_MS) -> None:
    """Replace a plain SQLite file with an encrypted copy. A crash at any moment leaves either
    the plain file, whole, or the encrypted one, whole; no plain copy remains afterwards."""
    tmp = path.with_name(path.name + ".encrypting")
    _remove_with_journals(tmp)  # a leftover of an interrupted attempt
    plain = db.connect_file(path, None)
    plain.isolation_level = None  # statements below manage their own transactions
    try:
        # everything into the main file, and out of WAL mode: this needs the only connection
        # to the file, so nobody is writing to it while it is copied
        plain.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
        plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        mode = plain.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        if str(mode).lower() != "delete":
            raise DatabaseStateError(_("数据库正被另一个程序使用，无法加密，请关闭其他窗口后重试"))
        plain.execute(f"ATTACH DATABASE ? AS encrypted KEY \"x'{key.hex()}{salt.hex()}'\"", (str(tmp),))
        plain.execute("BEGIN IMMEDIATE")  # holds off other writers until the copy is checked
        plain.execute("SELECT sqlcipher_export('encrypted')")
        if _table_counts(plain) != _table_counts(plain, "encrypted"):
            raise DatabaseStateError(_("加密后的数据库与原数据库行数不一致，原文件未做改动"))
        plain.execute("COMMIT")
        plain.execute("DETACH DATABASE encrypted")
    except BaseException:
        plain.close()
        _remove_with_journals(tmp)
        raise
    plain.close()
    try:
        check = db.connect_file(tmp, key)
        try:
            integrity = check.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            check.close()
        if integrity != "ok":
            raise DatabaseStateError(_("加密后的数据库完整性检查未通过（{r}），原文件未做改动").format(r=integrity))
        fsync_path(tmp)
    except BaseException:
        _remove_with_journals(tmp)
        raise
    for suffix in ("-wal", "-shm"):  # empty after the checkpoint; a plain WAL must not meet the new file
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.replace(tmp, path)
    fsync_dir(path.parent)
    log.info("plain database %s encrypted in place", path)
    for old_backup in sorted(path.parent.glob(f"{path.name}.before-*.bak")):
        # the pre-upgrade copies of earlier versions were plain too
        if old_backup.is_file() and not is_encrypted_file(old_backup):
            try:
                encrypt_in_place(old_backup, key, salt, busy_timeout_ms=busy_timeout_ms)  # the workspace's salt: its store finds the key
            except (LiaisonError, sqlcipher.Error, OSError) as exc:
                log.warning("old backup %s left unencrypted: %s", old_backup, exc)


def _remove_with_journals(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    if os.name == "nt":  # directories cannot be opened for fsync on Windows
        return
    fsync_path(path)
