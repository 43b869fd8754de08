"""What the rules need to know about one person, independent of the ORM, so every rule can be
tested with plain values and reused by the importer and the reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from liaison.core.enums import DisabilityCategory, PersonStatus
from liaison.core.rules.certificate import is_severe
from liaison.core.rules.idnumber import age_on

# Household economic flags that subsidy and cadence rules may be configured to look at.
ECONOMIC_FLAGS = ("dibao", "tekun", "low_income", "fanpin_monitor")


@dataclass(frozen=True, kw_only=True)
class PersonFacts:
    birth_date: date
    category: int | None = None  # None: a child with a diagnosis but no certificate yet
    component_categories: frozenset[int] = frozenset()  # every category of a 多重 disability
    grade: int | None = None
    has_certificate: bool = False
    cert_issued_on: date | None = None
    cert_valid_until: date | None = None
    status: PersonStatus = PersonStatus.ACTIVE
    lives_alone: bool = False
    dibao: bool = False  # 低保
    tekun: bool = False  # 特困供养
    fanpin_monitor: bool = False  # 防返贫监测
    low_income: bool = False  # 低收入
    chronic_illness_in_household: bool = False  # 残病一体
    receiving_living_subsidy: bool = False
    receiving_care_subsidy: bool = False

    def age_on(self, on: date) -> int:
        return age_on(self.birth_date, on)

    @property
    def is_severe(self) -> bool:
        return is_severe(self.grade)

    @property
    def is_multiple(self) -> bool:
        return self.category == DisabilityCategory.MULTIPLE or len(self.component_categories) > 1

    @property
    def is_active(self) -> bool:
        return self.status == PersonStatus.ACTIVE

    def has_flag(self, name: str) -> bool:
        """An economic flag by its configuration name (see ECONOMIC_FLAGS)."""
        if name not in ECONOMIC_FLAGS:
            raise ValueError(f"unknown economic flag {name!r}")
        return bool(getattr(self, name))
