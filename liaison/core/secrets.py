"""Where a workspace's secrets live (the database key and the device's private keys for
sync): the operating system's keyring, or — on a machine without one (a headless Linux
box) — a file encrypted with a passphrase. Never in plain text: the plain-text
backends of keyrings.alt are refused even when installed.

The passphrase comes from LIAISON_PASSPHRASE (for scripts) or from a callback that asks the
person (the command line prompts; the window shows a dialog).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from liaison.core.errors import LiaisonError
from liaison.core.i18n import _

log = logging.getLogger(__name__)
PASSPHRASE_ENV = "LIAISON_PASSPHRASE"
SERVICE = "liaison"
MIN_PASSPHRASE = 8
# scrypt: 2^15 × 8 × 128 B = 32 MiB and about 0.1 s per unlock on an old PC
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1


class SecretError(LiaisonError):
    """A key cannot be stored or read (no keyring and no passphrase, a wrong passphrase…)."""


class SecretStore(Protocol):
    description: str

    def get(self, name: str) -> bytes | None: ...

    def put(self, name: str, value: bytes) -> None: ...

    def scoped(self, namespace: str) -> SecretStore:
        """The same store under another namespace (keyring entries are named by it)."""
        ...


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


class KeyringStore:
    """The OS keyring (Windows Credential Manager, macOS Keychain, Secret Service)."""

    description = "系统密钥库"

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    def get(self, name: str) -> bytes | None:
        import keyring

        value = keyring.get_password(SERVICE, f"{self.namespace}:{name}")
        return None if value is None else _unb64(value)

    def put(self, name: str, value: bytes) -> None:
        import keyring

        # base64 of a 32-byte key is 44 characters: well under Windows' 1,280-character limit
        keyring.set_password(SERVICE, f"{self.namespace}:{name}", _b64(value))

    def scoped(self, namespace: str) -> KeyringStore:
        return KeyringStore(namespace)


class PassphraseFileStore:
    """A JSON file of secrets, each sealed with AES-256-GCM under a key derived from the
    passphrase with scrypt (a fresh salt per file, a fresh nonce per secret)."""

    description = "口令保护的密钥文件"

    def __init__(self, path: Path, passphrase: Callable[[bool], str]) -> None:
        self.path = path
        self._ask = passphrase  # called with new=True when the file is created
        self._key: bytes | None = None

    def _load(self) -> dict[str, object]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise SecretError(_("密钥文件 {p} 无法读取：{e}").format(p=self.path, e=exc)) from exc
        if not isinstance(data, dict) or data.get("format") != 1:
            raise SecretError(_("密钥文件 {p} 的格式不对").format(p=self.path))
        return data

    def _derive(self, data: dict[str, object], *, new: bool) -> bytes:
        if self._key is not None:
            return self._key
        passphrase = self._ask(new)
        if new and len(passphrase) < MIN_PASSPHRASE:
            raise SecretError(_("口令至少 {n} 个字符").format(n=MIN_PASSPHRASE))
        salt = _unb64(str(data["salt"]))
        key = Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(passphrase.encode("utf-8"))
        check = data.get("check")
        if check is not None:
            try:
                AESGCM(key).decrypt(_unb64(str(check))[:12], _unb64(str(check))[12:], b"liaison-check")
            except InvalidTag:
                raise SecretError(_("口令不正确，无法打开密钥文件")) from None
        self._key = key
        return key

    def get(self, name: str) -> bytes | None:
        data = self._load()
        secrets = data.get("secrets", {})
        assert isinstance(secrets, dict)
        sealed = secrets.get(name)
        if sealed is None:
            return None
        key = self._derive(data, new=False)
        blob = _unb64(str(sealed))
        try:
            return AESGCM(key).decrypt(blob[:12], blob[12:], name.encode("utf-8"))
        except InvalidTag:
            raise SecretError(_("密钥文件已损坏（{n}）").format(n=name)) from None

    def put(self, name: str, value: bytes) -> None:
        data = self._load()
        new = not data
        if new:
            data = {"format": 1, "salt": _b64(os.urandom(16)), "secrets": {}}
        key = self._derive(data, new=new)
        if new:
            nonce = os.urandom(12)
            data["check"] = _b64(nonce + AESGCM(key).encrypt(nonce, b"ok", b"liaison-check"))
        nonce = os.urandom(12)
        secrets = data.setdefault("secrets", {})
        assert isinstance(secrets, dict)
        secrets[name] = _b64(nonce + AESGCM(key).encrypt(nonce, value, name.encode("utf-8")))
        _write_atomically(self.path, json.dumps(data, indent=1).encode("utf-8"))

    def scoped(self, namespace: str) -> PassphraseFileStore:
        return self  # one file per workspace: its names are unique already, and the unlocked key is kept


def _write_atomically(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".keys-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    try:
        os.chmod(path, 0o600)
    except OSError:  # pragma: no cover - Windows ignores POSIX modes
        pass


def keyring_usable() -> bool:
    """A real, secure keyring backend is there (not the fail/null ones, never plain text)."""
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        return False
    backend = keyring.get_keyring()
    module = type(backend).__module__
    if module.startswith(("keyrings.alt", "keyring.backends.fail", "keyring.backends.null")):
        return False
    try:
        keyring.get_password(SERVICE, "probe")
    except (KeyringError, RuntimeError, OSError) as exc:
        log.info("keyring %s unusable: %s", module, exc)
        return False
    return True


def env_passphrase(fallback: Callable[[bool], str] | None = None) -> Callable[[bool], str]:
    """LIAISON_PASSPHRASE, else `fallback` (which asks the person), else a clear error."""

    def ask(new: bool) -> str:
        value = os.environ.get(PASSPHRASE_ENV)
        if value:
            return value
        if fallback is not None:
            return fallback(new)
        raise SecretError(_("本机没有可用的系统密钥库，需要口令：请设置环境变量 {env}，或在终端中运行以输入口令").format(
            env=PASSPHRASE_ENV))

    return ask


def key_file_for(db_path: Path) -> Path:
    """The passphrase-protected key file of a workspace file: `liaison.db` → `liaison-keys.json`."""
    return db_path.with_name(f"{db_path.stem}-keys.json")


def open_secret_store(
    namespace: str, key_file: Path, ask_passphrase: Callable[[bool], str] | None = None
) -> SecretStore:
    """The keyring when there is a usable one, else the passphrase-protected file (which, once
    it exists, stays in use: keys must not seem lost because a keyring appeared later)."""
    if not key_file.exists() and keyring_usable():
        return KeyringStore(namespace)
    return PassphraseFileStore(key_file, env_passphrase(ask_passphrase))
