"""Shared fixtures: a migrated template database copied for each test, an actor, an area tree."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Subprocesses never touch the real keyring: their keys go to passphrase files. In-process
# tests get the in-memory keyring below instead (keyring.set_keyring wins over this).
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

import keyring  # noqa: E402
import pytest  # noqa: E402

from liaison.bootstrap import Workspace, open_workspace  # noqa: E402
from liaison.core.enums import AreaLevel  # noqa: E402
from liaison.core.services import areas  # noqa: E402
from liaison.core.services.context import Actor  # noqa: E402
from tests.dbfiles import TEST_PASSPHRASE, MemoryKeyring, copy_workspace_file  # noqa: E402

os.environ.setdefault("LIAISON_PASSPHRASE", TEST_PASSPHRASE)


@pytest.fixture(scope="session", autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Database keys of in-process tests live here: no scrypt on every workspace opened."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrating takes a while; do it once and copy the file for every test."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    ws = open_workspace(f"sqlite:///{path}")
    with ws.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    ws.close()
    return path


@pytest.fixture
def workspace(template_db: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    path = copy_workspace_file(template_db, tmp_path / "liaison.db")
    ws = open_workspace(f"sqlite:///{path}")
    yield ws
    ws.close()


@pytest.fixture
def actor(workspace: Workspace) -> Actor:
    return workspace.system_actor


@dataclass(frozen=True)
class AreaTree:
    county: object
    township: object
    village: object
    other_village: object
    group: object


@pytest.fixture
def area_tree(workspace: Workspace, actor: Actor) -> AreaTree:
    """吉林市昌邑区 → 桦皮厂镇 → 两家子村 (with one group) and 前进村."""
    with workspace.uow() as uow:
        county = areas.create_area(uow, actor, code="220202", name="昌邑区", level=AreaLevel.COUNTY)
        town = areas.create_area(uow, actor, code="220202100", name="桦皮厂镇",
                                 level=AreaLevel.TOWNSHIP, parent_code="220202")
        village = areas.create_area(uow, actor, code="220202100001", name="两家子村",
                                    level=AreaLevel.VILLAGE, parent_code="220202100")
        other = areas.create_area(uow, actor, code="220202100002", name="前进村",
                                  level=AreaLevel.VILLAGE, parent_code="220202100")
        group = areas.create_area(uow, actor, code="220202100001001", name="一组",
                                  level=AreaLevel.GROUP, parent_code="220202100001")
        uow.commit()
        return AreaTree(county.id, town.id, village.id, other.id, group.id)
