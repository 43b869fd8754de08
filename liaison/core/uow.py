"""The unit of work: one transaction, committed explicitly or rolled back.

    with uow_factory() as uow:
        result = services.persons.create_person(uow, actor, data)
        uow.commit()
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy.orm import Session, sessionmaker


class UnitOfWork:
    """`cache` is shared by every unit of work of one workspace, for lookups that rarely
    change (area names); whoever fills it also decides when an entry is stale."""

    def __init__(self, session_factory: sessionmaker[Session], cache: dict[str, Any] | None = None) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None
        self.cache: dict[str, Any] = {} if cache is None else cache

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside its 'with' block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self._session_factory()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Anything not committed is thrown away: close() rolls the transaction back without
        # expiring the loaded objects, so what a read returned stays readable afterwards.
        self.session.close()
        self._session = None

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def flush(self) -> None:
        self.session.flush()
