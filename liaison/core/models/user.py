"""People who use the program, and the areas each may see and change."""

from __future__ import annotations

import uuid
from datetime import datetime

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
    # scrypt parameters, salt and hash in one string; None = this account cannot log in
    password_hash: Mapped[str | None] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]


class UserArea(Base):
    """A user's scope: the areas (with everything below them) they may read and change."""

    __tablename__ = "user_area"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    area_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("area.id"), primary_key=True)
