"""Log files rotate: a size limit and a few old files kept, so years of daily use on an old PC
never fill its disk; `current_log_file()` names the file the About dialog points to."""

from __future__ import annotations

import logging
import logging.handlers
from collections.abc import Iterator
from pathlib import Path

import pytest

from liaison import logging_setup


@pytest.fixture
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def ours() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if getattr(h, "liaison", False)]


def test_the_log_file_rotates_by_size(tmp_path: Path, restore_root_logger: None) -> None:
    path = logging_setup.configure_logging(directory=tmp_path)
    assert path == tmp_path / "liaison.log"
    (handler,) = ours()
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    assert 0 < handler.maxBytes <= 10_000_000
    assert handler.backupCount >= 1
    assert logging_setup.current_log_file() == path


def test_old_files_are_kept_up_to_the_limit(tmp_path: Path, restore_root_logger: None,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logging_setup, "LOG_FILE_BYTES", 2_000)
    monkeypatch.setattr(logging_setup, "LOG_FILE_COUNT", 2)
    logging_setup.configure_logging(directory=tmp_path)
    log = logging.getLogger("liaison.test")
    for n in range(400):
        log.info("line %d %s", n, "x" * 40)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["liaison.log", "liaison.log.1", "liaison.log.2"]
    assert all(p.stat().st_size <= 2_100 for p in tmp_path.iterdir())


def test_configuring_again_replaces_the_handler(tmp_path: Path, restore_root_logger: None) -> None:
    logging_setup.configure_logging(directory=tmp_path / "a")
    logging_setup.configure_logging(directory=tmp_path / "b")
    assert len(ours()) == 1
    assert logging_setup.current_log_file() == tmp_path / "b" / "liaison.log"


def test_no_log_file_when_the_folder_cannot_be_written(tmp_path: Path,
                                                       restore_root_logger: None) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert logging_setup.configure_logging(directory=blocker / "logs") is None
    assert logging_setup.current_log_file() is None
