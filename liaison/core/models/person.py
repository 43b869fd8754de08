"""The person file (一人一档): one row per disabled person, never deleted."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from liaison.core.enums import (
    EmploymentForm,
    EmploymentStatus,
    HukouType,
    PersonStatus,
    SchoolStatus,
    Sex,
)
from liaison.core.models.base import Base, Synced, enum_type


class Person(Synced, Base):
    __tablename__ = "person"
    __table_args__ = (
        CheckConstraint("category BETWEEN 1 AND 7", name="category_range"),
        CheckConstraint("grade BETWEEN 1 AND 4", name="grade_range"),
        Index("ix_person_area_status", "area_id", "status"),
        # covers name-ordered walks of the search index (see services/search.py)
        Index("ix_person_name_sort", "name_sort", "search_no"),
    )

    # identity
    name: Mapped[str] = mapped_column(String(50))
    name_sort: Mapped[str] = mapped_column(String(200))
    # a small local number for the search index (not synced; every device numbers its own)
    search_no: Mapped[int] = mapped_column(unique=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    sex: Mapped[Sex] = mapped_column(enum_type(Sex))
    birth_date: Mapped[date] = mapped_column(index=True)
    ethnicity: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(30))

    # where
    area_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("area.id"))
    address: Mapped[str | None] = mapped_column(String(200))
    hukou: Mapped[HukouType] = mapped_column(enum_type(HukouType))
    lives_alone: Mapped[bool] = mapped_column(default=False)

    # family and guardian
    guardian_name: Mapped[str | None] = mapped_column(String(50))
    guardian_relation: Mapped[str | None] = mapped_column(String(20))
    guardian_phone: Mapped[str | None] = mapped_column(String(30))

    # certificate (残疾人证); a child 0–6 may have only a diagnosis until certified
    cert_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    cert_issued_on: Mapped[date | None] = mapped_column(index=True)
    cert_valid_until: Mapped[date | None] = mapped_column(index=True)
    category: Mapped[int | None]
    # for 多重 (category 7): the categories involved, as digits "1,4"
    component_categories: Mapped[str | None] = mapped_column(String(20))
    grade: Mapped[int | None]
    diagnosis: Mapped[str | None] = mapped_column(String(200))
    diagnosed_on: Mapped[date | None]

    # economic status
    dibao: Mapped[bool] = mapped_column(default=False)
    tekun: Mapped[bool] = mapped_column(default=False)
    fanpin_monitor: Mapped[bool] = mapped_column(default=False)
    low_income: Mapped[bool] = mapped_column(default=False)
    chronic_illness_in_household: Mapped[bool] = mapped_column(default=False)

    # 两项补贴; amounts are monthly, in fen
    living_subsidy_receiving: Mapped[bool] = mapped_column(default=False)
    living_subsidy_fen: Mapped[int | None]
    care_subsidy_receiving: Mapped[bool] = mapped_column(default=False)
    care_subsidy_fen: Mapped[int | None]

    # insurance (城乡居民养老/医疗保险, premium paid by government = 代缴)
    pension_insured: Mapped[bool] = mapped_column(default=False)
    pension_gov_paid: Mapped[bool] = mapped_column(default=False)
    medical_insured: Mapped[bool] = mapped_column(default=False)
    medical_gov_paid: Mapped[bool] = mapped_column(default=False)

    # employment and education
    employment_status: Mapped[EmploymentStatus] = mapped_column(
        enum_type(EmploymentStatus), default=EmploymentStatus.UNKNOWN
    )
    employment_form: Mapped[EmploymentForm | None] = mapped_column(enum_type(EmploymentForm))
    training_wish: Mapped[str | None] = mapped_column(String(200))
    school_status: Mapped[SchoolStatus] = mapped_column(
        enum_type(SchoolStatus), default=SchoolStatus.NOT_APPLICABLE
    )

    # roster status: records leave the roster by status, never by deletion
    status: Mapped[PersonStatus] = mapped_column(enum_type(PersonStatus), default=PersonStatus.ACTIVE)
    status_on: Mapped[date | None]
    status_reason: Mapped[str | None] = mapped_column(String(200))
    registered_on: Mapped[date]
    notes: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"Person({self.name})"


class PersonSearchTerm(Base):
    """Derived search index: pinyin readings, name suffixes and ID/phone fragments, queried
    by prefix range. Rebuilt from the person on every save; never synced.

    It points at `Person.search_no` rather than the 32-character UUID: there are about twenty
    terms a person, and at county scale the narrow key halves the table.
    """

    __tablename__ = "person_search_term"
    __table_args__ = {"sqlite_with_rowid": False}

    term: Mapped[str] = mapped_column(String(80), primary_key=True)
    search_no: Mapped[int] = mapped_column(
        ForeignKey("person.search_no"), primary_key=True, index=True
    )
