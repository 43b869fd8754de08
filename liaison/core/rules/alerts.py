"""Warnings on the officer's start page: needs left unanswered too long (需求预警) and
certificates due for review (审验)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from liaison.core.enums import NeedStatus
from liaison.core.rules.config import AlertConfig


class ExpiryState(StrEnum):
    EXPIRED = "expired"
    EXPIRING = "expiring"


@dataclass(frozen=True)
class CertExpiry:
    state: ExpiryState
    days: int  # EXPIRED: days since the last valid day; EXPIRING: days left (0 = last valid day)


# 需求预警 is about needs nobody has acted on: once referred or in service, the referral's own
# stage deadlines watch it.
ALERTING_NEED_STATUSES = frozenset({NeedStatus.OPEN})


def need_alert(raised_on: date, status: NeedStatus, today: date, config: AlertConfig) -> int | None:
    """Days the need has waited, when nobody has acted on it for at least need_alert_days."""
    if status not in ALERTING_NEED_STATUSES:
        return None
    days_open = (today - raised_on).days
    return days_open if days_open >= config.need_alert_days else None


def certificate_expiry(
    valid_until: date | None, today: date, config: AlertConfig
) -> CertExpiry | None:
    """`valid_until` is the last valid day; None when there is no date or expiry is far off."""
    if valid_until is None:
        return None
    days_left = (valid_until - today).days
    if days_left < 0:
        return CertExpiry(ExpiryState.EXPIRED, -days_left)
    if days_left <= config.cert_expiry_days:
        return CertExpiry(ExpiryState.EXPIRING, days_left)
    return None
