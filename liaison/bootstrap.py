"""Opening a workspace: the database, its schema, the device identity and the rule tables.

Nothing happens at import time; `open_workspace()` does it all, once, at start.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from liaison.core import db, dbkey
from liaison.core.enums import UserRole
from liaison.core.files import FileStore, files_dir_for
from liaison.core.i18n import _
from liaison.core.rules.config import RuleConfig, load_rule_config
from liaison.core.secrets import SecretStore
from liaison.core.services import settings
from liaison.core.services.context import Actor
from liaison.core.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass
class Workspace:
    url: str
    engine: Engine
    session_factory: sessionmaker[Session]
    device_id: str
    upgrade: db.UpgradeResult
    # the encrypted file's key and the store that keeps it (and the sync keys); None for an
    # in-memory or server database
    db_key: bytes | None = field(default=None, repr=False)
    secrets: SecretStore | None = field(default=None, repr=False)
    # set only when this open made the key (a new file, or an earlier version's plain file):
    # show it once, to be printed and locked away
    new_recovery_code: str | None = field(default=None, repr=False)
    _rules: RuleConfig | None = field(default=None, repr=False)
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory, self.cache)

    @property
    def rules(self) -> RuleConfig:
        if self._rules is None:
            with self.uow() as uow:
                overrides = settings.get_setting(uow.session, settings.RULE_OVERRIDES) or {}
            self._rules = load_rule_config(overrides=overrides)
        return self._rules

    @cached_property
    def system_actor(self) -> Actor:
        """The local administrator, used by command-line tools run on this machine."""
        return Actor(
            username="local-admin",
            display_name=_("本机管理员"),
            role=UserRole.ADMIN,
            device_id=self.device_id,
        )

    @cached_property
    def files(self) -> FileStore:
        """Where case photos and documents are kept."""
        return FileStore(files_dir_for(self.url, db.default_database_path().parent), self.db_key)

    def recovery_code(self) -> str | None:
        """The recovery code of this workspace's key (None when it is not encrypted)."""
        return None if self.db_key is None else dbkey.recovery_code_for(self.db_key)

    def close(self) -> None:
        self.engine.dispose()


def open_workspace(url: str, *, ask_passphrase: Callable[[bool], str] | None = None,
                   recovery_code: str | None = None) -> Workspace:
    """Connect, create or upgrade the schema, and make sure this device has an id.

    A SQLite file is encrypted (SQLCipher) with a key from the workspace's secret store;
    `ask_passphrase(new)` is called when that store is a passphrase-protected file and
    LIAISON_PASSPHRASE is unset. KeyMissingError when the store has no key for the file,
    unless `recovery_code` is given.
    """
    path = db.sqlite_path(url)
    unlocked = None
    if path is not None:
        was_plain = path.exists() and path.stat().st_size > 0 and not dbkey.is_encrypted_file(path)
        unlocked = dbkey.unlock(path, ask_passphrase=ask_passphrase, recovery_code=recovery_code)
    engine = db.create_db_engine(url, *((unlocked.key, unlocked.salt) if unlocked else ()))
    try:
        result = db.upgrade(engine)
        session_factory = sessionmaker(engine, expire_on_commit=False)
        with UnitOfWork(session_factory) as uow:
            device_id = settings.ensure_device_id(uow.session)
            uow.commit()
    except BaseException:
        engine.dispose()
        raise
    if result.changed:
        log.info("workspace %s at schema %s", engine.url, result.to_revision)
    if unlocked is None:
        return Workspace(url, engine, session_factory, device_id, result)
    ws = Workspace(url, engine, session_factory, device_id, result, unlocked.key, unlocked.store,
                   unlocked.new_recovery_code)
    if was_plain:
        log.info("%d attachments of %s encrypted", ws.files.encrypt_plain_files(), path)
    return ws
