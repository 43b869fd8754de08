"""Writing and reading the audit trail."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from liaison.core.models import AuditEvent
from liaison.core.services.context import Actor
from liaison.core.uow import UnitOfWork


def jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Field-level changes as {field: [before, after]}, only where the value differs."""
    return {
        field: [jsonable(before.get(field)), jsonable(value)]
        for field, value in after.items()
        if jsonable(before.get(field)) != jsonable(value)
    }


def record(
    session: Session,
    actor: Actor,
    *,
    entity: str,
    entity_id: uuid.UUID,
    action: str,
    changes: Mapping[str, list[Any]],
    reason: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        user_id=actor.user_id,
        username=actor.username,
        device_id=actor.device_id,
        entity=entity,
        entity_id=entity_id,
        action=action,
        changes=dict(changes),
        reason=reason,
    )
    session.add(event)
    return event


def record_created(session: Session, actor: Actor, obj: Any, fields: Iterable[str]) -> AuditEvent:
    changes = {f: [None, jsonable(getattr(obj, f))] for f in fields if getattr(obj, f) is not None}
    return record(
        session, actor, entity=obj.__tablename__, entity_id=obj.id, action="create", changes=changes
    )


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    username: str
    action: str
    changes: dict[str, list[Any]]
    reason: str | None


def history(uow: UnitOfWork, entity: str, entity_id: uuid.UUID) -> list[AuditEntry]:
    """A record's changes, oldest first (scope is checked by the caller that shows the record)."""
    events = uow.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.seq)
    )
    return [AuditEntry(e.at, e.username, e.action, e.changes, e.reason) for e in events]
