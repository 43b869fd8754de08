"""Where the database is, how to connect to it, and keeping its schema current."""

from __future__ import annotations

import logging
import os
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError

from liaison.core.errors import DatabaseStateError
from liaison.core.i18n import _

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

APP_NAME = "Liaison"
DB_ENV_VAR = "LIAISON_DB"
BUSY_TIMEOUT_MS = 10_000
PAGE_CACHE_KIB = 256 * 1024  # per connection, at most: only pages actually read are held


def default_database_path() -> Path:
    # imported here so that merely importing this module touches no user folders
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / "liaison.db"


def resolve_database_url(db_option: str | None, env: Mapping[str, str] | None = None) -> str:
    """`--db` wins over LIAISON_DB, which wins over the per-user data folder.

    Each may be a file path or an SQLAlchemy URL (anything containing "://").
    """
    env = os.environ if env is None else env
    value = db_option or env.get(DB_ENV_VAR) or str(default_database_path())
    if "://" in value:
        try:
            # an unknown database kind (a typo) or a driver that is not installed
            make_url(value).get_dialect().import_dbapi()
        except (ArgumentError, NoSuchModuleError, ImportError) as exc:
            log.info("database URL not usable: %s", exc)
            raise DatabaseStateError(
                _("数据库地址无法识别或不受支持：{value}").format(value=value)) from None
        return value
    path = Path(value).expanduser()
    return "sqlite:///" + str(path.resolve())


def sqlite_path(url: str) -> Path | None:
    """The file behind an SQLite URL, or None for memory or other databases."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


# SQLCipher logs a wrong key to stderr on its own; we say what is wrong in words instead
QUIET_CIPHER = "PRAGMA cipher_log_level = NONE"


def key_pragma(key: bytes, salt: bytes | None = None) -> str:
    """SQLCipher's raw-key form (no PBKDF2: the key is random already); a salt is given only
    to create a file with a salt we chose, which names its key in the secret store."""
    return f"PRAGMA key = \"x'{key.hex()}{salt.hex() if salt else ''}'\""


def connect_file(path: Path, key: bytes | None, *, salt: bytes | None = None,
                 readonly: bool = False) -> Any:
    """A raw DB-API connection to a workspace file, keyed when the file is encrypted. Every
    direct access to a workspace file goes through here (never the stdlib sqlite3, which
    cannot read an encrypted file)."""
    if readonly:
        conn = sqlcipher.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    else:
        conn = sqlcipher.connect(str(path))
    if key is not None:
        conn.execute(QUIET_CIPHER)
        conn.execute(key_pragma(key, salt))
    return conn


# the key (and salt) of each engine over an encrypted file, for the raw connections made beside it
_ENGINE_KEYS: weakref.WeakKeyDictionary[Engine, tuple[bytes, bytes | None]] = weakref.WeakKeyDictionary()


def engine_key(engine: Engine) -> bytes | None:
    keyed = _ENGINE_KEYS.get(engine)
    return None if keyed is None else keyed[0]


def engine_salt(engine: Engine) -> bytes | None:
    keyed = _ENGINE_KEYS.get(engine)
    return None if keyed is None else keyed[1]


def _set_sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # WAL lets the GUI read while a write is under way. FULL syncs the log at every commit:
    # NORMAL survives a killed process but may lose the last commits to a power cut, and
    # "saved" must mean saved (one fsync per save costs an officer nothing they would notice)
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = FULL")
    # SQLCipher decrypts (and checks the HMAC of) every page it reads from the file: a page
    # kept in SQLite's own cache is decrypted once, not on every query (a township's 月报 from
    # a county database: 2.5 s with 64 MiB, 1.05 s with 256 MiB). Pages are held only once
    # read, so a village workspace of a few MB never uses more than its own size.
    cursor.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
    cursor.close()


def create_db_engine(url: str, key: bytes | None = None, salt: bytes | None = None) -> Engine:
    """An engine; with `key`, an SQLCipher one (the key goes in a connect hook that runs
    before any other, never in the URL)."""
    path = sqlite_path(url)
    if path is not None:
        if not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
    if path is None:
        if key is not None:
            raise ValueError("only a SQLite file can be encrypted")
        engine = create_engine(url)
    else:
        # SQLCipher's driver even for a plain file (an earlier version's): one kind of
        # connection, so a backup can go from any workspace file to any other
        engine = create_engine(url, module=sqlcipher)
    if key is not None:
        pragma = key_pragma(key, salt)

        def set_key(dbapi_connection: Any, _record: object) -> None:
            dbapi_connection.execute(QUIET_CIPHER)
            dbapi_connection.execute(pragma)

        event.listen(engine, "connect", set_key, insert=True)
        _ENGINE_KEYS[engine] = (key, salt)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _set_sqlite_pragmas)
    return engine


# --- migrations -----------------------------------------------------------------------------


# The newest migration. Alembic (slow to import) is loaded only when a database is behind this;
# a test keeps the constant equal to what Alembic computes from the migration files.
HEAD_REVISION = "0005"


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "liaison.core:migrations")
    if engine is not None:
        # ConfigParser interpolates %: a socket path in a URL is percent-encoded
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def has_user_tables(engine: Engine) -> bool:
    with engine.connect() as conn:
        names = inspect(conn).get_table_names()
        return any(name != "alembic_version" and not name.startswith("sqlite_") for name in names)


@dataclass(frozen=True)
class UpgradeResult:
    from_revision: str | None
    to_revision: str
    backup: Path | None

    @property
    def changed(self) -> bool:
        return self.from_revision != self.to_revision


def upgrade(engine: Engine, revision: str = "head") -> UpgradeResult:
    """Bring the schema to `revision`; back up an existing SQLite file first.

    A database written by a newer program is refused rather than touched.
    """
    path = sqlite_path(str(engine.url))
    if path is not None and path.exists():
        # look before the engine connects: its connect hook switches the file to WAL for good
        state = sqlite_file_state(path, engine_key(engine))
        if state is not None:
            refuse_foreign(*state)
    try:
        before = current_revision(engine)
    except DatabaseError as exc:
        raise DatabaseStateError(_("数据库文件已损坏或不是本程序的数据库：{err}").format(err=exc.orig)) from exc
    if revision == "head" and before == HEAD_REVISION:
        return UpgradeResult(before, before, None)  # the usual start: nothing to load or do
    target = head_revision() if revision == "head" else revision
    refuse_foreign(before, before is None and has_user_tables(engine))
    if before == target:
        return UpgradeResult(before, target, None)
    backup = None
    if before is not None and path is not None and path.exists():
        backup = backup_sqlite_file(engine, path.with_name(f"{path.name}.before-{target}.bak"))
    from alembic import command

    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    log.info("database upgraded from %s to %s", before, target)
    return UpgradeResult(before, target, backup)


def refuse_foreign(revision: str | None, has_other_tables: bool) -> None:
    """Refuse a database written by a newer program, or one that is not ours at all."""
    # this program's own head needs no look at the migration files (Alembic is slow to import)
    if revision is not None and revision != HEAD_REVISION and revision not in known_revisions():
        raise DatabaseStateError(
            _("数据库由更新版本的程序创建（版本 {rev}），请升级本程序后再打开").format(rev=revision)
        )
    if revision is None and has_other_tables:
        raise DatabaseStateError(_("该文件不是本程序的数据库（缺少版本信息），未做任何修改"))


def sqlite_file_state(path: Path, key: bytes | None) -> tuple[str | None, bool] | None:
    """(revision, has tables besides alembic_version), read without changing the file; None
    when it cannot be read that way (the engine then says what is wrong)."""
    try:
        conn = connect_file(path, key, readonly=True)
    except sqlcipher.Error:
        return None
    try:
        names = {
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        }
        revision = None
        if "alembic_version" in names:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
        return revision, bool(names - {"alembic_version"})
    except sqlcipher.Error:
        return None
    finally:
        conn.close()


def backup_sqlite_file(engine: Engine, dest: Path) -> Path:
    """A consistent copy through SQLite's online backup (safe while in WAL mode), encrypted
    with the engine's key and salt when it has them: a copy of the workspace in every way,
    whose key the secret store finds as it finds the workspace's."""
    raw = engine.raw_connection()
    try:
        target = connect_file(dest, engine_key(engine), salt=engine_salt(engine))
        try:
            raw.driver_connection.backup(target)  # type: ignore[union-attr]
        finally:
            target.close()
    finally:
        raw.close()
    return dest


@dataclass(frozen=True)
class CheckReport:
    integrity: str
    revision: str | None
    head: str
    foreign_key_errors: int

    @property
    def ok(self) -> bool:
        return self.integrity == "ok" and self.revision == self.head and self.foreign_key_errors == 0


def check(engine: Engine) -> CheckReport:
    if engine.dialect.name != "sqlite":
        # a server database checks its own pages and enforces foreign keys on every write
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return CheckReport("ok", current_revision(engine), head_revision(), 0)
    with engine.connect() as conn:
        integrity = conn.execute(text("PRAGMA integrity_check")).scalar_one()
        fk_errors = len(conn.execute(text("PRAGMA foreign_key_check")).all())
    return CheckReport(integrity, current_revision(engine), head_revision(), fk_errors)
