"""Private keys: in a real keyring when there is one, else in a passphrase-protected file —
never in plain text, and a wrong passphrase opens nothing."""

from __future__ import annotations

import json
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from liaison.core import secrets
from liaison.sync.keys import load_identity
from tests.dbfiles import MemoryKeyring


class PlaintextKeyring(MemoryKeyring):
    """Stands in for keyrings.alt's plain-text file backend."""


PlaintextKeyring.__module__ = "keyrings.alt.file"
REAL_KEYRING_USABLE = secrets.keyring_usable


@pytest.fixture
def use_keyring(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    previous = keyring.get_keyring()

    def install(backend: KeyringBackend) -> KeyringBackend:
        keyring.set_keyring(backend)
        return backend

    monkeypatch.setattr(secrets, "keyring_usable", REAL_KEYRING_USABLE)
    yield install
    keyring.set_keyring(previous)


def test_keys_go_to_a_real_keyring_when_there_is_one(use_keyring, tmp_path):
    backend = use_keyring(MemoryKeyring())
    store = secrets.open_secret_store("ws1", tmp_path / "keys.json")
    assert isinstance(store, secrets.KeyringStore)
    identity = load_identity(store, "device", "ws1", create=True)
    again = load_identity(secrets.open_secret_store("ws1", tmp_path / "keys.json"), "device", "ws1", create=False)
    assert again is not None and again.fingerprint == identity.fingerprint
    assert len(backend.items) == 2 and not (tmp_path / "keys.json").exists()


def test_a_plain_text_keyring_is_never_used(use_keyring, tmp_path, monkeypatch):
    use_keyring(PlaintextKeyring())
    monkeypatch.setenv(secrets.PASSPHRASE_ENV, "a long passphrase")
    store = secrets.open_secret_store("ws1", tmp_path / "keys.json")
    assert isinstance(store, secrets.PassphraseFileStore)


def test_without_a_keyring_keys_are_sealed_in_a_passphrase_file(tmp_path, monkeypatch):
    monkeypatch.setattr(secrets, "keyring_usable", lambda: False)
    monkeypatch.setenv(secrets.PASSPHRASE_ENV, "correct horse battery")
    path = tmp_path / "keys.json"
    identity = load_identity(secrets.open_secret_store("ws1", path), "hub", "ws1", create=True)
    stored = path.read_text("utf-8")
    private = identity.sign_key.private_bytes_raw()
    import base64

    assert base64.b64encode(private).decode() not in stored and private.hex() not in stored
    assert set(json.loads(stored)["secrets"]) == {"hub-sign", "hub-box"}
    reopened = load_identity(secrets.open_secret_store("ws1", path), "hub", "ws1", create=False)
    assert reopened is not None and reopened.fingerprint == identity.fingerprint


def test_a_wrong_passphrase_opens_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(secrets, "keyring_usable", lambda: False)
    path = tmp_path / "keys.json"
    monkeypatch.setenv(secrets.PASSPHRASE_ENV, "correct horse battery")
    load_identity(secrets.open_secret_store("ws1", path), "device", "ws1", create=True)
    monkeypatch.setenv(secrets.PASSPHRASE_ENV, "wrong horse battery")
    with pytest.raises(secrets.SecretError, match="口令不正确"):
        load_identity(secrets.open_secret_store("ws1", path), "device", "ws1", create=False)


def test_no_keyring_and_no_passphrase_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(secrets, "keyring_usable", lambda: False)
    monkeypatch.delenv(secrets.PASSPHRASE_ENV, raising=False)
    with pytest.raises(secrets.SecretError, match=secrets.PASSPHRASE_ENV):
        load_identity(secrets.open_secret_store("ws1", tmp_path / "keys.json"), "device", "ws1", create=True)


def test_a_short_passphrase_is_refused_when_the_file_is_made(tmp_path, monkeypatch):
    monkeypatch.setattr(secrets, "keyring_usable", lambda: False)
    monkeypatch.setenv(secrets.PASSPHRASE_ENV, "short")
    with pytest.raises(secrets.SecretError, match="至少 8 个字符"):
        load_identity(secrets.open_secret_store("ws1", tmp_path / "keys.json"), "device", "ws1", create=True)
    assert not Path(tmp_path / "keys.json").exists()
