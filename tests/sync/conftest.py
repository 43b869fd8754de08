"""Sync fixtures: a county hub and village workspaces with their own device ids and the same
area codes, keys kept in passphrase files (no keyring, as on a headless machine)."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from liaison.bootstrap import Workspace, open_workspace
from liaison.core.enums import AreaLevel
from liaison.core.services import areas
from liaison.sync import exchange, secrets

AREAS = [
    ("220202", "昌邑区", AreaLevel.COUNTY, None),
    ("220202100", "桦皮厂镇", AreaLevel.TOWNSHIP, "220202"),
    ("220202100001", "两家子村", AreaLevel.VILLAGE, "220202100"),
    ("220202100002", "前进村", AreaLevel.VILLAGE, "220202100"),
]
VILLAGE = "220202100001"
OTHER_VILLAGE = "220202100002"


@pytest.fixture(autouse=True)
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets, "keyring_usable", lambda: False)
    monkeypatch.setenv(secrets.PASSPHRASE_ENV, "correct horse battery")


@dataclass
class Site:
    ws: Workspace
    store: secrets.SecretStore
    path: Path


@pytest.fixture
def make_site(template_db: Path, tmp_path: Path) -> Iterator[Callable[[str], Site]]:
    opened: list[Workspace] = []

    def make(name: str) -> Site:
        folder = tmp_path / name
        folder.mkdir()
        path = folder / "liaison.db"
        shutil.copyfile(template_db, path)
        conn = sqlite3.connect(path)
        conn.execute("DELETE FROM setting WHERE key = 'device_id'")  # a workspace of its own
        conn.commit()
        conn.close()
        ws = open_workspace(f"sqlite:///{path}")
        opened.append(ws)
        with ws.uow() as uow:
            for code, area_name, level, parent in AREAS:
                areas.create_area(uow, ws.system_actor, code=code, name=area_name, level=level, parent_code=parent)
            uow.commit()
        return Site(ws, exchange.secret_store(ws), path)

    yield make
    for ws in opened:
        ws.close()


@pytest.fixture
def county(make_site: Callable[[str], Site], tmp_path: Path) -> Site:
    site = make_site("county")
    exchange.hub_init(site.ws, site.store, tmp_path / "setup.json", county_name="昌邑区")
    return site


@pytest.fixture
def village(make_site: Callable[[str], Site], county: Site, tmp_path: Path) -> Site:
    site = make_site("village")
    exchange.enrol(site.ws, site.store, tmp_path / "setup.json", area_code=VILLAGE)
    return site
