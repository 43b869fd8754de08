"""Workspace settings kept in the database (device id, home area, rule overrides)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from liaison.core.models import Setting

DEVICE_ID = "device_id"
WORKSPACE_NAME = "workspace_name"
HOME_AREA_ID = "home_area_id"
RULE_OVERRIDES = "rule_overrides"
# set once the window has shown the database's recovery code (it is shown once, but must be
# shown: a crash between creating the workspace and showing it would otherwise lose it)
RECOVERY_CODE_SHOWN = "recovery_code_shown"


def get_setting(session: Session, key: str, default: Any = None) -> Any:
    row = session.get(Setting, key)
    return default if row is None else row.value


def put_setting(session: Session, key: str, value: Any) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value


def ensure_device_id(session: Session) -> str:
    """This installation's id, created once; every record it writes carries it."""
    device_id = get_setting(session, DEVICE_ID)
    if device_id is None:
        device_id = str(uuid.uuid4())
        put_setting(session, DEVICE_ID, device_id)
    return str(device_id)
