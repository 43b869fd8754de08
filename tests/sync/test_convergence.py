"""Property: whatever the county and a village edit between two exchanges, one round trip
(village → county → village) leaves both with the same values; a field edited differently on
both sides is surfaced as a conflict with both values kept; nothing is lost."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liaison.bootstrap import open_workspace
from liaison.core.services import areas, persons
from liaison.core.services.sync_apply import open_conflicts
from liaison.sync import exchange
from tests.dbfiles import connect, copy_workspace_file
from tests.sync.conftest import AREAS, VILLAGE, Site
from tests.sync.test_exchange import TODAY, add_person, fingerprint, import_at

FIELDS = ("phone", "address", "notes")
VALUES = {"phone": ["13900000001", "13900000002", "13900000003"], "address": ["东头", "西头", "南头"],
          "notes": ["甲", "乙", "丙"]}
PEOPLE = 3

edits = st.lists(
    st.tuples(st.sampled_from(["county", "village"]), st.integers(0, PEOPLE - 1), st.sampled_from(FIELDS),
              st.integers(0, 2)),
    max_size=8,
)


def site(template: Path, folder: Path, name: str) -> Site:
    path = folder / f"{name}.db"
    copy_workspace_file(template, path)
    conn = connect(path)
    conn.execute("DELETE FROM setting WHERE key = 'device_id'")
    conn.commit()
    conn.close()
    ws = open_workspace(f"sqlite:///{path}")
    with ws.uow() as uow:
        for code, area_name, level, parent in AREAS:
            areas.create_area(uow, ws.system_actor, code=code, name=area_name, level=level, parent_code=parent)
        uow.commit()
    return Site(ws, exchange.secret_store(ws), path)


def edit(target: Site, person_id: object, field: str, value: str) -> None:
    with target.ws.uow() as uow:
        person = persons.load_person(uow, target.ws.system_actor, person_id)
        data = persons.PersonInput.from_person(person)
        setattr(data, field, value)
        persons.update_person(uow, target.ws.system_actor, person_id, data, expected_version=None, today=TODAY)
        uow.commit()


def values(target: Site, person_id: object) -> dict[str, object]:
    with target.ws.uow() as uow:
        person = persons.load_person(uow, target.ws.system_actor, person_id)
        return {f: getattr(person, f) for f in FIELDS}


def round_trip(county: Site, village: Site, folder: Path, accept: str | None = None) -> None:
    out = Path(tempfile.mkdtemp(dir=folder))
    package = exchange.export_changes(village.ws, village.store, out).path
    result = import_at(county, package, accept_device=accept)
    assert result.status == "imported", (result.message, result.report and result.report.errors)
    [reply] = exchange.write_replies(county.ws, county.store, out)
    back = import_at(village, reply.path)
    assert back.status == "imported", (back.message, back.report and back.report.errors)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=edits)
def test_random_edits_on_both_sides_converge_and_conflicts_are_surfaced(template_db, tmp_path_factory, changes,
                                                                       monkeypatch):
    from liaison.core import secrets

    monkeypatch.setattr(secrets, "keyring_usable", lambda: False)
    monkeypatch.setenv(secrets.PASSPHRASE_ENV, "correct horse battery")
    folder = tmp_path_factory.mktemp("converge")
    county, village = site(template_db, folder, "county"), site(template_db, folder, "village")
    try:
        exchange.hub_init(county.ws, county.store, folder / "setup.json", county_name="昌邑区")
        exchange.enrol(village.ws, village.store, folder / "setup.json", area_code=VILLAGE)
        people = [add_person(village, name=f"人{'甲乙丙'[k]}", sequence=100 + k) for k in range(PEOPLE)]
        round_trip(county, village, folder, accept=fingerprint(village))

        baseline = [values(county, p) for p in people]
        assert baseline == [values(village, p) for p in people]
        for side, who, field, pick in changes:
            edit(county if side == "county" else village, people[who], field, VALUES[field][pick])
        county_before = [values(county, p) for p in people]
        village_before = [values(village, p) for p in people]
        round_trip(county, village, folder)

        with county.ws.uow() as uow:
            conflicts = {(str(c.entity_id), c.field): (c.local_value, c.remote_value) for c in open_conflicts(uow)}
        for k, pid in enumerate(people):
            after_county, after_village = values(county, pid), values(village, pid)
            assert after_county == after_village  # converged
            for field in FIELDS:
                base, c, v = baseline[k][field], county_before[k][field], village_before[k][field]
                key = (str(pid), field)
                if c != base and v != base and c != v:
                    assert conflicts.get(key) == (c, v)  # surfaced, both values kept
                    assert after_county[field] == c  # the county's stands until a person decides
                else:
                    assert key not in conflicts
                    assert after_county[field] == (v if v != base else c)
    finally:
        county.ws.close()
        village.ws.close()
