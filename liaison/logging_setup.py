"""Log files: rotated, in the per-user log folder, English messages, no personal data."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

LOG_FILE_BYTES = 1_000_000
LOG_FILE_COUNT = 5


def log_dir() -> Path:
    from platformdirs import user_log_path

    return user_log_path("Liaison", appauthor=False)


def current_log_file() -> Path | None:
    """The file this process logs to (set up by `configure_logging`), or None."""
    for handler in logging.getLogger().handlers:
        if getattr(handler, "liaison", False) and isinstance(handler, logging.FileHandler):
            return Path(handler.baseFilename)
    return None


def configure_logging(verbose: bool = False, directory: Path | None = None) -> Path | None:
    """Log to a rotating file (and to stderr when verbose). Returns the file, or None if the
    folder cannot be written (the program still runs)."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # configuring again (tests, a second command in one process) replaces our handlers
    for old in [h for h in root.handlers if getattr(h, "liaison", False)]:
        root.removeHandler(old)
        old.close()
    if verbose:
        console = logging.StreamHandler()
        console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        console.liaison = True  # type: ignore[attr-defined]
        root.addHandler(console)
    directory = directory or log_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "liaison.log"
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_COUNT, encoding="utf-8"
        )
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.liaison = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    # Alembic announces every plugin and migration context at INFO
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return path
