"""Administrative areas: county → township → village → group."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from liaison.core.enums import AreaLevel
from liaison.core.models.base import Base, Synced, enum_type


class Area(Synced, Base):
    __tablename__ = "area"

    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    level: Mapped[AreaLevel] = mapped_column(enum_type(AreaLevel))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("area.id"), index=True)

    def __repr__(self) -> str:
        return f"Area({self.code} {self.name})"
