"""The workspace's file store: photos and documents kept under their SHA-256.

A file is written to a temporary name, flushed to disk and then renamed into place, so a
crash leaves either nothing or the whole file. A stored file is never overwritten: the same
content has the same name, and different content has a different one.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1 << 20


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def put_file(self, source: Path) -> StoredFile:
        """Copy `source` into the store (once) and return its digest and size."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(prefix=".incoming-", dir=self.root)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            final = self.path_for(sha)
            if final.is_file() and final.stat().st_size == size:
                tmp.unlink()
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, final)  # same content by construction: nothing is lost
                _fsync_dir(final.parent)
            return StoredFile(sha, size)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def verify(self, sha256: str) -> bool:
        """Whether the stored file is there and still has the content its name promises."""
        path = self.path_for(sha256)
        if not path.is_file():
            return False
        digest = hashlib.sha256()
        with path.open("rb") as src:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest() == sha256


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
