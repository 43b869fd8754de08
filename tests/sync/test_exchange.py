"""Village → county → village with real packages: registration by fingerprint, re-imports that
change nothing, acknowledgements, conflicts kept for a person, duplicate people held back."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from liaison.core.enums import ContactMode, NeedKind, VisitKind
from liaison.core.errors import LiaisonError
from liaison.core.services import persons, visits
from liaison.core.services.areas import get_area_by_code
from liaison.core.services.sync_apply import open_conflicts, open_duplicates, resolve_conflict
from liaison.sync import exchange
from liaison.sync.keys import load_identity
from tests.core.services.helpers import person_input
from tests.sync.conftest import OTHER_VILLAGE, VILLAGE, Site

TODAY = date(2026, 11, 25)
TABLES = ("person", "visit", "need", "follow_up", "person_search_term", "audit_event", "sync_conflict",
          "sync_duplicate", "sync_package", "sync_base", "sync_device")


def counts(site: Site) -> dict[str, int]:
    with site.ws.engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def add_person(site: Site, code: str = VILLAGE, **kw: Any) -> Any:
    with site.ws.uow() as uow:
        area = get_area_by_code(uow, code)
        saved = persons.create_person(uow, site.ws.system_actor, person_input(area.id, **kw), today=TODAY)
        uow.commit()
    return saved.person_id


def add_visit(site: Site, person_id: Any, **kw: Any) -> Any:
    with site.ws.uow() as uow:
        saved = visits.record_visit(uow, site.ws.system_actor, visits.VisitInput(
            person_id=person_id, visit_date=date(2026, 11, 20), kind=VisitKind.ROUTINE, contact_mode=ContactMode.HOME,
            visitor_name="李专委", needs=[visits.NeedInput(NeedKind.REHABILITATION, "需要康复训练")], **kw), today=TODAY)
        uow.commit()
    return saved


def export(site: Site, out: Path) -> exchange.ExportResult:
    out.mkdir(exist_ok=True)
    return exchange.export_changes(site.ws, site.store, out)


def fingerprint(site: Site) -> str:
    identity = load_identity(site.store, "device", site.ws.device_id, create=False)
    assert identity is not None
    return identity.fingerprint


def import_at(site: Site, path: Path, **kw: Any) -> exchange.ImportResult:
    return exchange.import_package(site.ws, site.store, path, today=TODAY, **kw)


def set_phone(site: Site, person_id: Any, phone: str) -> None:
    with site.ws.uow() as uow:
        person = persons.load_person(uow, site.ws.system_actor, person_id)
        data = persons.PersonInput.from_person(person)
        data.phone = phone
        persons.update_person(uow, site.ws.system_actor, person_id, data, expected_version=None, today=TODAY)
        uow.commit()


def phone_of(site: Site, person_id: Any) -> str | None:
    with site.ws.uow() as uow:
        return persons.load_person(uow, site.ws.system_actor, person_id).phone


def test_an_unknown_device_is_refused_until_its_fingerprint_is_confirmed(county, village, tmp_path):
    add_person(village)
    package = export(village, tmp_path / "stick").path
    before = counts(county)
    refused = import_at(county, package)
    assert refused.status == "refused" and "未登记的设备" in refused.message and fingerprint(village) in refused.message
    wrong = import_at(county, package, accept_device="0000-0000-0000-0000-0000-0000-0000-0000")
    assert wrong.status == "refused"
    assert counts(county) == before
    accepted = import_at(county, package, accept_device=fingerprint(village).lower())
    assert accepted.status == "imported", accepted.message
    assert accepted.counts["created"] == 1 and counts(county)["sync_device"] == 1


def test_round_trip_village_county_village(county, village, tmp_path):
    pid = add_person(village, name="王秀兰")
    add_visit(village, pid)
    first = export(village, tmp_path / "stick")
    assert first.counts["person"] == 1 and first.counts["visit"] == 1 and first.counts["need"] == 1
    result = import_at(county, first.path, accept_device=fingerprint(village))
    assert result.status == "imported", (result.message, result.report and result.report.errors)
    assert result.counts == {"created": 3}
    with county.ws.uow() as uow:
        stored = persons.load_person(uow, county.ws.system_actor, pid)
        assert (stored.name, stored.area_id) == ("王秀兰", get_area_by_code(uow, VILLAGE).id)
    # re-importing three times changes nothing at all
    before = counts(county)
    for _k in range(3):
        again = import_at(county, first.path)
        assert again.status == "already-imported"
        assert counts(county) == before
    # the county answers; only then does the village forget what was acknowledged
    replies = exchange.write_replies(county.ws, county.store, tmp_path / "stick")
    assert [(r.acknowledged_seq, r.records) for r in replies] == [(1, 0)]
    back = import_at(village, replies[0].path)
    assert back.status == "imported" and back.acknowledged == [1]
    second = export(village, tmp_path / "stick2")
    assert sum(second.counts.values()) == 0 and second.seq == 2
    # the people created by the import are on the county's audit chain like any other change
    from liaison.core.services.audit import verify_chain

    with county.ws.uow() as uow:
        report = verify_chain(uow)
        assert report.ok, report.findings
        assert report.count >= 2  # the package line and the new person's line at least


def test_changes_since_the_last_acknowledgement_are_sent_again_until_acknowledged(county, village, tmp_path):
    pid = add_person(village)
    first = export(village, tmp_path / "a")
    second = export(village, tmp_path / "b")  # the first stick was lost: the same person goes again
    assert second.counts["person"] == 1 and second.seq == 2
    result = import_at(county, second.path, accept_device=fingerprint(village))
    assert result.status == "imported" and result.gap == [1]  # the missing package is reported
    late = import_at(county, first.path)
    assert late.status == "refused" and "疑为重放" in late.message
    assert phone_of(county, pid) is None


def test_the_same_field_changed_on_both_sides_becomes_a_conflict(county, village, tmp_path):
    pid = add_person(village, phone="13900000001")
    import_at(county, export(village, tmp_path / "a").path, accept_device=fingerprint(village))
    import_at(village, exchange.write_replies(county.ws, county.store, tmp_path / "a")[0].path)
    set_phone(county, pid, "13900000002")
    set_phone(village, pid, "13900000003")
    result = import_at(county, export(village, tmp_path / "b").path)
    assert result.status == "imported" and result.counts["conflict"] == 1
    assert phone_of(county, pid) == "13900000002"  # nothing silently overwritten
    with county.ws.uow() as uow:
        [conflict] = open_conflicts(uow)
        assert (conflict.field, conflict.local_value, conflict.remote_value, conflict.base_value) == (
            "phone", "13900000002", "13900000003", "13900000001")
        resolve_conflict(uow, county.ws.system_actor, conflict.id, take="remote", today=TODAY)
        uow.commit()
    assert phone_of(county, pid) == "13900000003"


def test_a_field_changed_on_one_side_only_is_taken(county, village, tmp_path):
    pid = add_person(village, phone="13900000001")
    import_at(county, export(village, tmp_path / "a").path, accept_device=fingerprint(village))
    import_at(village, exchange.write_replies(county.ws, county.store, tmp_path / "a")[0].path)
    set_phone(village, pid, "13900000009")
    result = import_at(county, export(village, tmp_path / "b").path)
    assert result.counts["updated"] == 1 and phone_of(county, pid) == "13900000009"
    # and the county's own change travels back
    set_phone(county, pid, "13900000010")
    (tmp_path / "c").mkdir()
    [reply] = exchange.write_replies(county.ws, county.store, tmp_path / "c")
    assert reply.records == 1
    assert import_at(village, reply.path).counts["updated"] == 1
    assert phone_of(village, pid) == "13900000010"


def test_a_known_id_number_from_another_place_is_held_as_a_duplicate(county, village, tmp_path):
    existing = add_person(county, code=OTHER_VILLAGE, name="赵大", sequence=77)
    incoming = add_person(village, name="赵大", sequence=77)  # same 身份证号, another record
    add_visit(village, incoming)
    result = import_at(county, export(village, tmp_path / "a").path, accept_device=fingerprint(village))
    assert result.status == "imported"
    assert result.counts["duplicate"] == 1 and result.counts["held"] == 2  # the visit and its need
    with county.ws.uow() as uow:
        [duplicate] = open_duplicates(uow)
        assert (duplicate.existing_person_id, duplicate.incoming_person_id) == (existing, incoming)
    assert counts(county)["visit"] == 0


def test_a_village_may_only_send_its_own_village(county, village, tmp_path):
    add_person(village, code=OTHER_VILLAGE, name="外村人")
    before = counts(county)
    result = import_at(county, export(village, tmp_path / "a").path, accept_device=fingerprint(village))
    assert result.status == "failed" and result.report.errors
    assert "无权" in result.report.errors[0].detail
    assert counts(county) == before  # all or nothing: not even the device registration


def test_a_dry_run_changes_nothing(county, village, tmp_path):
    add_person(village)
    package = export(village, tmp_path / "a").path
    before = counts(county)
    result = import_at(county, package, dry_run=True, accept_device=fingerprint(village))
    assert result.status == "dry-run" and result.counts["created"] == 1
    assert counts(county) == before


def test_a_wrong_county_key_cannot_read_the_package(county, village, make_site, tmp_path):
    add_person(village)
    package = export(village, tmp_path / "a").path
    other = make_site("other-county")
    exchange.hub_init(other.ws, other.store, tmp_path / "other-setup.json", county_name="船营区")
    result = import_at(other, package, accept_device=fingerprint(village))
    assert result.status == "refused" and "不是发给本机的" in result.message
    assert counts(other)["person"] == 0


def test_an_institution_code_the_county_gives_another_institution_is_refused(county, village, tmp_path):
    from liaison.core.enums import ReferralServiceKind
    from liaison.core.services import referrals

    for site, name in ((county, "县康复中心"), (village, "村里登记的机构")):
        with site.ws.uow() as uow:
            referrals.save_institution(uow, site.ws.system_actor, referrals.InstitutionInput(
                name, [ReferralServiceKind.REHAB_TRAINING], code="JG001"))
            uow.commit()
    add_person(village)
    before = counts(county)
    result = import_at(county, export(village, tmp_path / "a").path, accept_device=fingerprint(village))
    assert result.status == "failed"
    assert any("定点机构编码 JG001 已被“县康复中心”使用" in o.detail for o in result.report.errors)
    assert counts(county) == before


def test_an_export_killed_after_its_file_appeared_does_not_give_its_number_again(county, village, tmp_path,
                                                                                 monkeypatch):
    """Found by the SIGKILL harness (tests/crash): the package had its final name, the export was
    not yet recorded, and the next export wanted the same name (and number) for other content."""
    pid = add_person(village)
    stick = tmp_path / "stick"
    stick.mkdir()

    def killed(*_args: Any, **_kw: Any) -> None:
        raise KeyboardInterrupt  # stands for the process dying between the file and the commit

    monkeypatch.setattr(exchange, "remember_bases", killed)
    try:
        exchange.export_changes(village.ws, village.store, stick)
    except KeyboardInterrupt:
        pass
    monkeypatch.undo()
    left = stick / f"liaison-{village.ws.device_id[:8]}-00001.lpkg"
    assert left.exists()
    add_visit(village, pid)
    second = export(village, stick)
    assert second.seq == 2 and second.counts["person"] == 1 and second.counts["visit"] == 1
    # the county may get the left-over file first: it is a valid subset, then the full one follows
    assert import_at(county, left, accept_device=fingerprint(village)).status == "imported"
    result = import_at(county, second.path)
    assert result.status == "imported" and result.gap == []
    assert counts(county)["visit"] == 1


def test_an_export_that_wrote_no_file_gives_its_number_back(county, village, tmp_path):
    add_person(village)
    with pytest.raises(LiaisonError, match="文件夹不存在"):
        exchange.export_changes(village.ws, village.store, tmp_path / "no-such-stick")
    assert export(village, tmp_path / "stick").seq == 1
