from datetime import date

import pytest

from liaison.core.enums import NeedStatus
from liaison.core.rules.alerts import CertExpiry, ExpiryState, certificate_expiry, need_alert
from liaison.core.rules.config import default_rule_config

ALERTS = default_rule_config().alerts
RAISED = date(2025, 5, 1)


@pytest.mark.parametrize(
    ("today", "status", "expected"),
    [
        (date(2025, 5, 30), NeedStatus.OPEN, None),  # 29 days
        (date(2025, 5, 31), NeedStatus.OPEN, 30),  # 30 days
        (date(2025, 7, 1), NeedStatus.OPEN, 61),
        (date(2025, 7, 1), NeedStatus.REFERRED, None),  # acted on: the referral is watched instead
        (date(2025, 7, 1), NeedStatus.IN_SERVICE, None),
        (date(2025, 7, 1), NeedStatus.MET, None),
        (date(2025, 7, 1), NeedStatus.DECLINED, None),
        (date(2025, 7, 1), NeedStatus.UNREACHABLE, None),
        (date(2025, 4, 1), NeedStatus.OPEN, None),  # raised in the future (clock wrong)
    ],
)
def test_need_alert(today: date, status: NeedStatus, expected: int | None) -> None:
    assert need_alert(RAISED, status, today, ALERTS) == expected


@pytest.mark.parametrize(
    ("valid_until", "expected"),
    [
        (None, None),
        (date(2025, 8, 15), None),  # 61 days left
        (date(2025, 8, 14), CertExpiry(ExpiryState.EXPIRING, 60)),
        (date(2025, 6, 16), CertExpiry(ExpiryState.EXPIRING, 1)),
        (date(2025, 6, 15), CertExpiry(ExpiryState.EXPIRING, 0)),  # last valid day
        (date(2025, 6, 14), CertExpiry(ExpiryState.EXPIRED, 1)),
        (date(2024, 6, 15), CertExpiry(ExpiryState.EXPIRED, 365)),
    ],
)
def test_certificate_expiry(valid_until: date | None, expected: CertExpiry | None) -> None:
    assert certificate_expiry(valid_until, date(2025, 6, 15), ALERTS) == expected
