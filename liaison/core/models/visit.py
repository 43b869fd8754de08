"""Home visits, the needs they raise and the follow-up actions they promise."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from liaison.core.enums import (
    CaseType,
    ContactMode,
    FollowUpStatus,
    NeedKind,
    NeedStatus,
    VisitKind,
)
from liaison.core.models.base import Base, Synced, enum_type


class Visit(Synced, Base):
    __tablename__ = "visit"
    __table_args__ = (
        Index("ix_visit_person_date", "person_id", "visit_date"),
        Index("ix_visit_date", "visit_date"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    visit_date: Mapped[date]
    kind: Mapped[VisitKind] = mapped_column(enum_type(VisitKind))
    contact_mode: Mapped[ContactMode] = mapped_column(enum_type(ContactMode))
    lost_reason: Mapped[str | None] = mapped_column(String(200))
    visitor_name: Mapped[str] = mapped_column(String(50))
    visitor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("app_user.id"))
    findings: Mapped[str | None] = mapped_column(Text)
    safety_risks: Mapped[str | None] = mapped_column(Text)
    # when income is monitored: the household's yearly income and size
    household_income_fen: Mapped[int | None]
    household_size: Mapped[int | None]


class Need(Synced, Base):
    __tablename__ = "need"
    __table_args__ = (
        Index("ix_need_person_status", "person_id", "status"),
        Index("ix_need_status_raised", "status", "raised_on"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[NeedKind] = mapped_column(enum_type(NeedKind))
    detail: Mapped[str | None] = mapped_column(Text)
    raised_on: Mapped[date]
    raised_visit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("visit.id"), index=True)
    status: Mapped[NeedStatus] = mapped_column(enum_type(NeedStatus), default=NeedStatus.OPEN)
    status_on: Mapped[date]
    resolved_on: Mapped[date | None]
    resolution: Mapped[str | None] = mapped_column(String(200))
    resolved_visit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("visit.id"))


class FollowUp(Synced, Base):
    __tablename__ = "follow_up"
    __table_args__ = (Index("ix_follow_up_status_due", "status", "due_on"),)

    # the visit that promised it; None for a 回访 a closed case put on the list
    visit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("visit.id"), index=True)
    case_type: Mapped[CaseType | None] = mapped_column(enum_type(CaseType, 20))
    case_id: Mapped[uuid.UUID | None]
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    need_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("need.id"))
    action: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date]
    status: Mapped[FollowUpStatus] = mapped_column(
        enum_type(FollowUpStatus), default=FollowUpStatus.OPEN
    )
    done_on: Mapped[date | None]
    outcome: Mapped[str | None] = mapped_column(String(200))
