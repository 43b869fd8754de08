"""Sync fixtures: a county hub and village workspaces with their own device ids and the same
area codes, keys kept in passphrase files (no keyring, as on a headless machine)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from liaison.bootstrap import Workspace, open_workspace
from liaison.core import secrets
from liaison.core.enums import AreaLevel
from liaison.core.services import areas
from liaison.sync import exchange
from tests.dbfiles import connect, copy_workspace_file

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
        copy_workspace_file(template_db, path)
        conn = connect(path)
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


PG_BIN = Path("/usr/lib/postgresql")


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str] | None]:
    """A throwaway PostgreSQL cluster on a private socket, when the server is installed
    (scripts/test.sh installs it; CI must have it: the hub runs on PostgreSQL too)."""
    versions = sorted(PG_BIN.glob("*/bin/initdb")) if PG_BIN.exists() else []
    if not versions:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed: the hub tests must run against it in CI")
        yield None
        return
    bin_dir = versions[-1].parent
    root = Path(tempfile.mkdtemp(prefix="liaison-pg-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(root, "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", "54329"
    subprocess.run([*as_postgres, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                    "--no-sync"], check=True, capture_output=True)
    subprocess.run([*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-l", str(root / "log"),
                    "-o", f"-p {port} -k {root} -c listen_addresses= -c fsync=off", "start"],
                   check=True, capture_output=True)
    try:
        yield {"host": str(root), "port": port}
    finally:
        subprocess.run([*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       check=False, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def _postgres_site(server: dict[str, str], name: str, folder: Path) -> Site:
    import psycopg

    database = f"liaison_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(host=server["host"], port=server["port"], user="postgres", dbname="postgres",
                         autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {database}")
    url = f"postgresql+psycopg://postgres@/{database}?host={server['host']}&port={server['port']}"
    ws = open_workspace(url)
    with ws.uow() as uow:
        for code, area_name, level, parent in AREAS:
            areas.create_area(uow, ws.system_actor, code=code, name=area_name, level=level, parent_code=parent)
        uow.commit()
    return Site(ws, exchange.secret_store(ws), folder / name)


@pytest.fixture(params=["sqlite", "postgresql"])
def county(request: pytest.FixtureRequest, make_site: Callable[[str], Site], tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """The county hub, on SQLite (the default) and on a PostgreSQL server."""
    if request.param == "sqlite":
        site = make_site("county")
    else:
        server = request.getfixturevalue("postgres_server")
        if server is None:
            pytest.skip("PostgreSQL is not installed here (CI installs it)")
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))  # its key file and attachments
        site = _postgres_site(server, "county", tmp_path)
    exchange.hub_init(site.ws, site.store, tmp_path / "setup.json", county_name="昌邑区")
    yield site
    if request.param != "sqlite":
        site.ws.close()


@pytest.fixture
def village(make_site: Callable[[str], Site], county: Site, tmp_path: Path) -> Site:
    site = make_site("village")
    exchange.enrol(site.ws, site.store, tmp_path / "setup.json", area_code=VILLAGE)
    return site
