"""Append-only audit trail: who changed which field of which record, from what to what."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from liaison.core.models.base import Base, new_uuid, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity", "entity_id"),)

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(unique=True, default=new_uuid)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[uuid.UUID | None]
    username: Mapped[str] = mapped_column(String(40))
    device_id: Mapped[str] = mapped_column(String(36))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[uuid.UUID]
    action: Mapped[str] = mapped_column(String(20))
    # {field: [before, after]} with JSON-safe values (dates as ISO strings)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(String(200))
    # sha256 chain: hash = H(prev_hash, this event's fields); `liaison audit verify` recomputes it
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's newest link (one row, id 1), so events cut from the end are noticed too."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_seq: Mapped[int]
    last_hash: Mapped[str] = mapped_column(String(64))
    count: Mapped[int]
