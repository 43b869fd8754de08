"""Workspace files in tests: an in-memory keyring, copying a file with its key, and raw
connections that go through the key (the stdlib sqlite3 cannot read an encrypted file)."""

from __future__ import annotations

import shutil
from pathlib import Path

from keyring.backend import KeyringBackend

from liaison.core import db, dbkey
from liaison.core.secrets import KeyringStore, PassphraseFileStore, env_passphrase, key_file_for

# what the subprocesses of the tests unlock their key files with (set in tests/conftest.py)
TEST_PASSPHRASE = "correct horse battery"


class MemoryKeyring(KeyringBackend):
    """A keyring in a dict: the tests' stand-in for the operating system's keyring."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


def key_of(path: Path) -> bytes | None:
    """The key of a workspace file, from the in-memory keyring or the file's own store."""
    if not dbkey.is_encrypted_file(path):
        return None
    name = dbkey.secret_name(dbkey.file_header(path))
    return KeyringStore(dbkey.DB_NAMESPACE).get(name) or dbkey.store_for(path).get(name)


def copy_workspace_file(source: Path, dest: Path, *, key_file: bool = False) -> Path:
    """Copy a workspace file (and its -wal) so that `dest` opens: its key goes to the store
    `dest` will use, or — with `key_file`, for a subprocess, which has no in-memory keyring —
    to a passphrase key file next to it."""
    shutil.copyfile(source, dest)
    for suffix in ("-wal", "-shm"):
        side = source.with_name(source.name + suffix)
        if side.exists():
            shutil.copyfile(side, dest.with_name(dest.name + suffix))
    key = key_of(source)
    if key is not None:
        _store_key(dest, key, PassphraseFileStore(key_file_for(dest), env_passphrase()) if key_file
                   else dbkey.store_for(dest))
    return dest


def add_key_file(path: Path) -> Path:
    """Put the key of a workspace file in a passphrase key file next to it, for subprocesses
    (which have no in-memory keyring; in-process opens then use that file too)."""
    key = key_of(path)
    assert key is not None, f"no key for {path}"
    _store_key(path, key, PassphraseFileStore(key_file_for(path), env_passphrase()))
    return path


def _store_key(path: Path, key: bytes, store: PassphraseFileStore | dbkey.SecretStore) -> None:
    name = dbkey.secret_name(dbkey.file_header(path))
    if store.get(name) is None:
        store.put(name, key)


def connect(path: Path, *, key_from: Path | None = None):  # type: ignore[no-untyped-def]
    """A raw DB-API connection to a workspace file, through its key (or the key of the
    workspace `key_from`, for a backup kept beside it)."""
    return db.connect_file(path, key_of(key_from or path))
