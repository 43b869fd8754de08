"""Decrypted copies of attachments, made so the system's viewer can open them. They are
personal information in plain form, so they live only while the program runs: cleared at
start (after a crash) and on exit. A file a viewer still holds open (Windows) stays until the
next start."""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)


def open_copy_dir() -> Path:
    """Where an attachment is copied, under its own name, for the system's viewer to open
    (the store keeps files under their digest, without a name or extension)."""
    return Path(tempfile.gettempdir()) / "liaison-attachments"


def clear_viewer_copies() -> None:
    folder = open_copy_dir()
    if not folder.exists():
        return

    def writable_then_retry(func, path, _exc):  # type: ignore[no-untyped-def]
        try:
            Path(path).chmod(0o644)  # the copies are made read-only
            func(path)
        except OSError as exc:
            log.info("could not remove viewer copy %s: %s", path, exc)

    if sys.version_info >= (3, 12):
        shutil.rmtree(folder, onexc=writable_then_retry)
    else:  # pragma: no cover - 3.11 names the hook differently
        shutil.rmtree(folder, onerror=writable_then_retry)
