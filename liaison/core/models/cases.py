"""Home-modification cases, rehab referrals and the institutions they go to.

The tables and states live here; the workflows that move them belong to the case services.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from liaison.core.enums import (
    AttachmentRole,
    CaseType,
    DeviceStep,
    ModificationStage,
    ReferralServiceKind,
    ReferralState,
)
from liaison.core.models.base import Base, Synced, enum_type


class Institution(Synced, Base):
    """A designated rehabilitation institution (定点机构)."""

    __tablename__ = "institution"

    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    area_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("area.id"))
    address: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(30))
    # the ReferralServiceKind values it offers, comma-separated
    service_kinds: Mapped[str] = mapped_column(String(200), default="")
    designated: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)


class HomeModificationCase(Synced, Base):
    """困难重度残疾人家庭无障碍改造: one household's case through its stages."""

    __tablename__ = "modification_case"
    __table_args__ = (Index("ix_modification_case_year_stage", "year", "stage"),)

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    need_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("need.id"))
    year: Mapped[int]
    stage: Mapped[ModificationStage] = mapped_column(enum_type(ModificationStage))
    stage_on: Mapped[date]
    applied_on: Mapped[date]
    assessed_on: Mapped[date | None]
    plan_confirmed_on: Mapped[date | None]
    contractor: Mapped[str | None] = mapped_column(String(100))
    construction_started_on: Mapped[date | None]
    estimate_fen: Mapped[int | None]
    actual_cost_fen: Mapped[int | None]
    accepted_on: Mapped[date | None]
    acceptance_result: Mapped[str | None] = mapped_column(String(200))
    accepted_by: Mapped[str | None] = mapped_column(String(50))
    closed_on: Mapped[date | None]
    end_reason: Mapped[str | None] = mapped_column(String(200))


class ModificationItem(Synced, Base):
    """One surveyed item of a modification case (a ramp, grab bars, …)."""

    __tablename__ = "modification_item"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("modification_case.id"), index=True)
    item_code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(default=1)
    unit: Mapped[str | None] = mapped_column(String(10))
    unit_cost_fen: Mapped[int]
    estimate_fen: Mapped[int]


class RehabReferral(Synced, Base):
    """精准康复: a rehab need referred to an institution."""

    __tablename__ = "rehab_referral"
    __table_args__ = (Index("ix_rehab_referral_state", "state"),)

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    need_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("need.id"))
    institution_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("institution.id"))
    service_kind: Mapped[ReferralServiceKind] = mapped_column(enum_type(ReferralServiceKind))
    state: Mapped[ReferralState] = mapped_column(enum_type(ReferralState))
    state_on: Mapped[date]
    # 辅具适配 only: the step of the device workflow (the state follows from it)
    device_step: Mapped[DeviceStep | None] = mapped_column(enum_type(DeviceStep))
    referred_on: Mapped[date]
    accepted_on: Mapped[date | None]
    closed_on: Mapped[date | None]
    cost_fen: Mapped[int | None]
    outcome: Mapped[str | None] = mapped_column(Text)
    not_accepted_reason: Mapped[str | None] = mapped_column(String(200))


class CaseEvent(Synced, Base):
    """A step in a case's timeline: from which state to which, who, when and why."""

    __tablename__ = "case_event"
    __table_args__ = (Index("ix_case_event_case", "case_type", "case_id"),)

    case_type: Mapped[CaseType] = mapped_column(enum_type(CaseType, 20))
    case_id: Mapped[uuid.UUID]
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    on_date: Mapped[date]
    at: Mapped[datetime]
    by_user: Mapped[str] = mapped_column(String(50))
    reason: Mapped[str | None] = mapped_column(String(200))


class Attachment(Synced, Base):
    """A photo or document attached to a case; the bytes live in the workspace's file store
    under their SHA-256, so a file is never overwritten and the same photo is stored once."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_case", "case_type", "case_id"),)

    case_type: Mapped[CaseType] = mapped_column(enum_type(CaseType, 20))
    case_id: Mapped[uuid.UUID]
    role: Mapped[AttachmentRole] = mapped_column(enum_type(AttachmentRole, 16))
    file_name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    media_type: Mapped[str] = mapped_column(String(100))
    added_on: Mapped[date]
    added_by: Mapped[str] = mapped_column(String(50))
    note: Mapped[str | None] = mapped_column(String(200))
    removed: Mapped[bool] = mapped_column(default=False)


class AreaTarget(Synced, Base):
    """A yearly target for an area, e.g. 70 households with home modifications in 2026."""

    __tablename__ = "area_target"
    __table_args__ = (UniqueConstraint("area_id", "year", "kind"),)

    area_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("area.id"))
    year: Mapped[int]
    kind: Mapped[CaseType] = mapped_column(enum_type(CaseType, 20))
    target: Mapped[int]
