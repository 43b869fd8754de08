"""The workspace's file store: photos and documents kept under the SHA-256 of their content.

With a key (an encrypted workspace), each file is stored encrypted with AES-256-GCM under a
key derived from the database key, with a random nonce of its own:
`MAGIC | version | nonce (12) | ciphertext | tag (16)`. Files written by earlier versions are
plain; the missing header tells them apart and they are still read.

A file is written to a temporary name, flushed to disk and then renamed into place, so a
crash leaves either nothing or the whole file. A stored file is never overwritten with other
content: the same content has the same name, and different content has a different one.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.engine import make_url

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1 << 20
MAGIC = b"LIAISON\xa7"
VERSION = 1
HEADER = MAGIC + bytes([VERSION])
NONCE_BYTES, TAG_BYTES = 12, 16
OVERHEAD = len(HEADER) + NONCE_BYTES + TAG_BYTES


class StoredFileAltered(Exception):
    """The stored file does not decrypt, or its content no longer matches its name."""


def file_key(database_key: bytes) -> bytes:
    """The attachments' key, derived from the database key (never the same bytes)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"liaison attachments v1").derive(database_key)


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int


class FileStore:
    def __init__(self, root: Path, database_key: bytes | None = None) -> None:
        """Without `database_key` (a server or in-memory workspace) files are stored plain."""
        self.root = root
        self._key = None if database_key is None else file_key(database_key)

    @property
    def encrypted(self) -> bool:
        return self._key is not None

    def path_for(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def put_file(self, source: Path) -> StoredFile:
        """Copy `source` into the store (once, encrypted when the store has a key) and return
        the digest and size of its content."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(prefix=".incoming-", dir=self.root)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                for chunk in self._sealed(_chunks(src), out):
                    digest.update(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            final = self.path_for(sha)
            if final.is_file() and self._is_current(final, size):
                tmp.unlink()
            else:
                # absent, damaged, or plain where it could be encrypted: same content, nothing lost
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, final)
                _fsync_dir(final.parent)
            return StoredFile(sha, size)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def _sealed(self, chunks: Iterator[bytes], out: BinaryIO) -> Iterator[bytes]:
        """Writes each chunk to `out` (encrypted when there is a key) and yields it plain."""
        if self._key is None:
            for chunk in chunks:
                out.write(chunk)
                yield chunk
            return
        nonce = os.urandom(NONCE_BYTES)
        encryptor = Cipher(algorithms.AES(self._key), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(HEADER)
        out.write(HEADER + nonce)
        for chunk in chunks:
            out.write(encryptor.update(chunk))
            yield chunk
        out.write(encryptor.finalize() + encryptor.tag)

    def _is_current(self, path: Path, size: int) -> bool:
        """A stored copy that need not be rewritten: whole, and encrypted if the store encrypts."""
        on_disk = path.stat().st_size
        if _is_sealed(path):
            return on_disk == size + OVERHEAD
        return self._key is None and on_disk == size

    def _open_plain(self, sha256: str) -> Iterator[bytes]:
        """The content of a stored file, chunk by chunk; raises StoredFileAltered at the end
        when it does not decrypt or does not match its name (use nothing before that)."""
        path = self.path_for(sha256)
        digest = hashlib.sha256()
        with path.open("rb") as src:
            if _is_sealed(path):
                if self._key is None:
                    raise StoredFileAltered(f"{sha256} is encrypted and this store has no key")
                total = path.stat().st_size
                if total < OVERHEAD:
                    raise StoredFileAltered(f"{sha256} is truncated")
                src.seek(total - TAG_BYTES)
                tag = src.read(TAG_BYTES)
                src.seek(len(HEADER))
                nonce = src.read(NONCE_BYTES)
                decryptor = Cipher(algorithms.AES(self._key), modes.GCM(nonce, tag)).decryptor()
                decryptor.authenticate_additional_data(HEADER)
                remaining = total - OVERHEAD
                while remaining > 0:
                    chunk = decryptor.update(src.read(min(CHUNK, remaining)))
                    remaining -= CHUNK
                    digest.update(chunk)
                    yield chunk
                try:
                    decryptor.finalize()
                except InvalidTag:
                    raise StoredFileAltered(f"{sha256} does not decrypt") from None
            else:
                for chunk in _chunks(src):
                    digest.update(chunk)
                    yield chunk
        if digest.hexdigest() != sha256:
            raise StoredFileAltered(f"{sha256} does not match its content")

    def verify(self, sha256: str) -> bool:
        """Whether the stored file is there and still has the content its name promises."""
        if not self.path_for(sha256).is_file():
            return False
        try:
            for _chunk in self._open_plain(sha256):
                pass
        except StoredFileAltered:
            return False
        return True

    def read_bytes(self, sha256: str) -> bytes:
        """The checked content of a stored file (StoredFileAltered when it was changed)."""
        return b"".join(self._open_plain(sha256))

    def export(self, sha256: str, dest: Path) -> Path:
        """Write the checked, decrypted content to `dest` (through a temporary name, so
        nothing is left at `dest` when the stored file was altered)."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".export-", dir=dest.parent)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in self._open_plain(sha256):
                    out.write(chunk)
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return dest

    def encrypt_plain_files(self) -> int:
        """Encrypt the files an earlier version stored plain (once, when the workspace itself
        is encrypted); a plain file that no longer matches its name is left for `verify` to
        report. Returns how many were encrypted."""
        if self._key is None or not self.root.is_dir():
            return 0
        count = 0
        for path in sorted(self.root.glob("??/*")):
            if not (path.is_file() and _SHA256.match(path.name)) or _is_sealed(path):
                continue
            if not self.verify(path.name):
                continue
            self.put_file(path)  # same name, now encrypted: replaces the plain copy atomically
            count += 1
        return count


def _chunks(src: BinaryIO) -> Iterator[bytes]:
    while chunk := src.read(CHUNK):
        yield chunk


def _is_sealed(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(len(HEADER)) == HEADER


def _fsync_dir(path: Path) -> None:
    if os.name == "nt":  # directories cannot be opened for fsync on Windows
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def files_dir_for(url: str, default_root: Path) -> Path:
    """Next to a SQLite workspace file (`liaison.db` → `liaison-files/`); elsewhere under
    `default_root` (a server database has no folder of its own)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        db_path = Path(parsed.database)
        return db_path.with_name(f"{db_path.stem}-files")
    return default_root / "files"
