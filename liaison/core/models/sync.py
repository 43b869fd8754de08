"""What the sync needs to remember: the devices a county hub trusts, every package sent or
received, and the conflicts and duplicate people waiting for a person to decide.

`SyncBase` keeps, per record, the field values last exchanged with the other side: a field
changed on both sides since then is a conflict, never a silent overwrite.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from liaison.core.models.base import Base, new_uuid, utcnow


class SyncDevice(Base):
    """A village or township installation registered at the county hub."""

    __tablename__ = "sync_device"

    device_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    area_code: Mapped[str] = mapped_column(String(20))  # the device's scope
    sign_public: Mapped[str] = mapped_column(String(64))  # Ed25519, base64
    box_public: Mapped[str] = mapped_column(
        String(64)
    )  # X25519, base64: replies are encrypted for it
    fingerprint: Mapped[str] = mapped_column(String(40))
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seq: Mapped[int] = mapped_column(default=0)
    next_reply_seq: Mapped[int] = mapped_column(default=1)
    reply_acked_seq: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class SyncPackage(Base):
    """A package written (out) or read (in) by this workspace."""

    __tablename__ = "sync_package"
    __table_args__ = (Index("ix_sync_package_peer", "direction", "peer_id", "seq"),)

    package_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))  # "out" or "in"
    kind: Mapped[str] = mapped_column(String(10))  # "changes" or "reply"
    peer_id: Mapped[str] = mapped_column(String(36))  # the other side: hub id or device id
    seq: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    file_name: Mapped[str] = mapped_column(String(200))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # changes out: the newest updated_at it carried, which becomes the acknowledged mark
    watermark: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16))  # written / acknowledged / imported
    acknowledged_at: Mapped[datetime | None]
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SyncConflict(Base):
    """The same field changed here and on a device since they last exchanged it."""

    __tablename__ = "sync_conflict"
    __table_args__ = (Index("ix_sync_conflict_status", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[uuid.UUID]
    field: Mapped[str] = mapped_column(String(60))
    base_value: Mapped[Any] = mapped_column(JSON)
    local_value: Mapped[Any] = mapped_column(JSON)
    remote_value: Mapped[Any] = mapped_column(JSON)
    device_id: Mapped[str] = mapped_column(String(36))
    package_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(10), default="open")  # open / resolved
    resolution: Mapped[str | None] = mapped_column(String(10))  # local / remote
    resolved_by: Mapped[str | None] = mapped_column(String(50))
    resolved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncDuplicate(Base):
    """A person arriving with a 身份证号 already on file under another record: moved? a
    mistake? The incoming rows wait here until a person decides."""

    __tablename__ = "sync_duplicate"
    __table_args__ = (Index("ix_sync_duplicate_status", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    id_number: Mapped[str] = mapped_column(String(18))
    existing_person_id: Mapped[uuid.UUID]
    incoming_person_id: Mapped[uuid.UUID]
    device_id: Mapped[str] = mapped_column(String(36))
    package_id: Mapped[str] = mapped_column(String(32))
    records: Mapped[list[Any]] = mapped_column(JSON)  # [[table, row], …] held back
    status: Mapped[str] = mapped_column(String(10), default="open")  # open / merged / discarded
    decided_by: Mapped[str | None] = mapped_column(String(50))
    decided_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncBase(Base):
    """The field values of a record as last exchanged with the other side."""

    __tablename__ = "sync_base"
    __table_args__ = (UniqueConstraint("entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[uuid.UUID]
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
