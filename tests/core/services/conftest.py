"""Fixtures for the service tests (helpers live in helpers.py)."""

from __future__ import annotations

from typing import Any

import pytest

from liaison.bootstrap import Workspace
from liaison.core.enums import UserRole
from liaison.core.services.context import Actor


@pytest.fixture
def officer(workspace: Workspace, area_tree: Any) -> Actor:
    """A village officer who may only work in 前进村 (the other village)."""
    return Actor(
        username="qianjin",
        display_name="前进村专职委员",
        role=UserRole.VILLAGE_OFFICER,
        device_id=workspace.device_id,
        scope_area_ids=frozenset({area_tree.other_village}),
    )
