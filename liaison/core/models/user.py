"""People who use the program, and the areas each may see and change."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from liaison.core.enums import UserRole
from liaison.core.models.base import Base, Synced, enum_type


class User(Synced, Base):
    # "user" is reserved in several SQL dialects
    __tablename__ = "app_user"

    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    role: Mapped[UserRole] = mapped_column(enum_type(UserRole))
    active: Mapped[bool] = mapped_column(default=True)


class UserArea(Base):
    """A user's scope: the areas (with everything below them) they may read and change."""

    __tablename__ = "user_area"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    area_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("area.id"), primary_key=True)
