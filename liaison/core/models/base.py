"""Declarative base, shared column types and the columns every synced record carries."""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Date, DateTime, MetaData, String, Uuid
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

# Stable constraint names, so Alembic batch migrations on SQLite can find them again.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Naive UTC timestamp (SQLite has no time zones; every stored time is UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_uuid() -> uuid.UUID:
    """A time-ordered UUID (version 7, RFC 9562): random enough to be unique across offline
    devices, ordered enough that new rows land at the end of SQLite's key indexes."""
    return uuid7_from(int(time.time() * 1000), secrets.randbits(74))


def uuid7_from(unix_ms: int, rand74: int) -> uuid.UUID:
    return uuid.UUID(int=uuid7_int(unix_ms, rand74))


def uuid7_int(unix_ms: int, rand74: int) -> int:
    """48 bits of milliseconds, the version, 12 random bits, the variant, 62 random bits."""
    value = (unix_ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand74 >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand74 & ((1 << 62) - 1)
    return value


def enum_type(enum_cls: type[Enum], length: int = 24) -> SAEnum:
    """Store the enum's *value* (e.g. "moved_out"), which is also what JSON and sync carry."""
    return SAEnum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        uuid.UUID: Uuid(as_uuid=True),
        datetime: DateTime(),
        date: Date(),
        str: String(),
    }


class Synced:
    """Columns of every record that travels between devices.

    The UUID key lets records from many offline devices meet without clashes; row_version
    guards against overwriting a change made after the record was read.
    """

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    row_version: Mapped[int] = mapped_column(default=1)
    origin_device: Mapped[str] = mapped_column(String(36))

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.row_version}  # type: ignore[attr-defined]
