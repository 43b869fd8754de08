"""Where the database is, how connections are set up, and the health check."""

from __future__ import annotations

from pathlib import Path

import pytest
from platformdirs import user_data_path
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from liaison.core import db
from liaison.core.errors import DatabaseStateError


def default_url() -> str:
    return "sqlite:///" + str(db.default_database_path().resolve())


@pytest.mark.parametrize(
    ("option", "env", "expected"),
    [
        ("/data/option.db", {"LIAISON_DB": "/data/env.db"}, "sqlite:////data/option.db"),
        (None, {"LIAISON_DB": "/data/env.db"}, "sqlite:////data/env.db"),
        ("", {"LIAISON_DB": "/data/env.db"}, "sqlite:////data/env.db"),  # an empty --db is unset
        ("sqlite:///x.db", {"LIAISON_DB": "/data/env.db"}, "sqlite:///x.db"),
        (
            None,
            {"LIAISON_DB": "sqlite+pysqlite:////srv/county.db"},
            "sqlite+pysqlite:////srv/county.db",
        ),
        (None, {"OTHER": "x"}, None),  # neither: the per-user data folder
        (None, {"LIAISON_DB": ""}, None),
    ],
)
def test_resolve_database_url_precedence(option, env, expected) -> None:
    assert db.resolve_database_url(option, env=env) == (expected or default_url())


def test_the_default_is_in_the_per_user_data_folder() -> None:
    path = db.default_database_path()
    assert path == user_data_path("Liaison", appauthor=False) / "liaison.db"
    assert db.resolve_database_url(None, env={}) == "sqlite:///" + str(path.resolve())


def test_the_process_environment_is_used_when_no_env_is_given(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LIAISON_DB", str(tmp_path / "from-env.db"))
    assert db.resolve_database_url(None) == "sqlite:///" + str((tmp_path / "from-env.db").resolve())
    assert db.resolve_database_url(str(tmp_path / "opt.db")).endswith("/opt.db")


@pytest.mark.parametrize("relative", ["village.db", "data/village.db", "./data/../village.db"])
def test_a_relative_path_becomes_an_absolute_sqlite_url(
    monkeypatch, tmp_path: Path, relative
) -> None:
    monkeypatch.chdir(tmp_path)
    url = db.resolve_database_url(relative, env={})
    assert url == "sqlite:///" + str((tmp_path / relative).resolve())
    assert Path(url.removeprefix("sqlite:///")).is_absolute()


def test_a_home_path_is_expanded(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))
    assert db.resolve_database_url("~/liaison/v.db", env={}) == "sqlite:///" + str(
        (tmp_path / "liaison" / "v.db").resolve()
    )


@pytest.mark.parametrize("bad", ["://nowhere", "sqlite:://x.db", "my db://x"])
def test_a_malformed_url_is_refused(bad: str) -> None:
    with pytest.raises(DatabaseStateError) as info:
        db.resolve_database_url(bad, env={})
    assert bad in info.value.message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////srv/x.db", Path("/srv/x.db")),
        ("sqlite:///:memory:", None),
        ("sqlite://", None),
        ("postgresql://u:p@h/db", None),
    ],
)
def test_sqlite_path(url: str, expected: Path | None) -> None:
    assert db.sqlite_path(url) == expected


@pytest.mark.parametrize("url", ["postgresql+pg8000://u:p@county-server/db", "sqlit:///x.db", "nonsense://"])
def test_a_url_whose_database_kind_or_driver_is_missing_is_refused_in_chinese(url: str) -> None:
    with pytest.raises(DatabaseStateError, match="数据库地址无法识别或不受支持"):
        db.resolve_database_url(url, env={})


def test_a_county_server_url_with_an_installed_driver_is_accepted() -> None:
    url = "postgresql+psycopg://liaison@county-server/hub"
    assert db.resolve_database_url(url, env={}) == url


def test_create_db_engine_makes_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "liaison.db"
    engine = db.create_db_engine(f"sqlite:///{path}")
    try:
        assert path.parent.is_dir()
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        assert path.exists()
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("pragma", "expected"),
    [("foreign_keys", 1), ("journal_mode", "wal"), ("busy_timeout", db.BUSY_TIMEOUT_MS),
     ("cache_size", -db.PAGE_CACHE_KIB),
     ("synchronous", 2)],  # FULL: a commit survives a power cut too
)  # fmt: skip
def test_every_connection_gets_the_pragmas(workspace, pragma: str, expected) -> None:
    assert db.BUSY_TIMEOUT_MS >= 1000
    for _ in range(2):  # a fresh pooled connection each time
        with workspace.engine.connect() as conn:
            assert conn.execute(text(f"PRAGMA {pragma}")).scalar_one() == expected
        workspace.engine.dispose()


def test_foreign_keys_are_enforced(workspace) -> None:
    with workspace.engine.connect() as conn, pytest.raises(IntegrityError):
        conn.execute(
            text("INSERT INTO person_search_term (term, search_no) VALUES ('x', 424242)"),
        )


def test_check_reports_ok_on_a_fresh_workspace(workspace) -> None:
    report = db.check(workspace.engine)
    assert report.ok
    assert (report.integrity, report.revision, report.head, report.foreign_key_errors) == (
        "ok",
        db.head_revision(),
        db.head_revision(),
        0,
    )


def test_check_reports_broken_foreign_keys(workspace) -> None:
    with workspace.engine.connect() as conn:
        conn.execute(text("PRAGMA foreign_keys = OFF"))
        conn.execute(
            text("INSERT INTO person_search_term (term, search_no) VALUES ('x', 424242)"),
        )
        conn.commit()
        conn.execute(text("PRAGMA foreign_keys = ON"))
    report = db.check(workspace.engine)
    assert report.foreign_key_errors == 1 and not report.ok


def test_check_reports_a_schema_behind_the_program(tmp_path: Path) -> None:
    engine = db.create_db_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        db.upgrade(engine, "0001")
        report = db.check(engine)
        assert (report.revision, report.ok) == ("0001", False)
    finally:
        engine.dispose()


def test_head_and_known_revisions() -> None:
    assert db.head_revision() in db.known_revisions()
    assert "0001" in db.known_revisions()
