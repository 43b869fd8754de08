"""Package format 2: record batches in the stored text forms. Values in another readable form
are put right, a malformed value fails the whole package, a bad record is reported as itself,
and a county import changes nothing unless every record is good."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from liaison.core.models import Area, Person, Visit
from liaison.core.sync_records import RecordError, shared_columns, wire_rows
from liaison.sync import exchange
from tests.sync.test_exchange import add_person, add_visit, counts, export, fingerprint, import_at

Row = list[Any]


def tamper(monkeypatch: pytest.MonkeyPatch, table: str, change: Callable[[Row, dict[str, int]], None]) -> None:
    """The village's export writes `table`'s rows changed by `change` (signed and sealed as usual)."""
    original = exchange._changed_rows
    at = {name: k for k, name in enumerate(shared_columns(table))}

    def changed(session: Any, name: str, since: Any) -> Any:
        for rows in original(session, name, since):
            if name == table:
                for row in rows:
                    change(row, at)
            yield rows

    monkeypatch.setattr(exchange, "_changed_rows", changed)


@pytest.fixture
def village_with_visits(village):
    person_id = add_person(village, name="王五")
    add_visit(village, person_id)
    add_visit(village, person_id)
    return village


def stored(site, *columns: Any, join: Any = None) -> list[tuple[Any, ...]]:
    stmt = select(*columns)
    if join is not None:
        stmt = stmt.join(*join)
    with site.ws.engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(stmt))


def test_the_package_arrives_as_stored_at_the_village(county, village_with_visits, tmp_path):
    package = export(village_with_visits, tmp_path / "stick")
    result = import_at(county, package.path, accept_device=fingerprint(village_with_visits))
    assert result.status == "imported" and result.counts["created"] == sum(package.counts.values())
    visit = (Visit.id, Visit.person_id, Visit.visit_date, Visit.kind, Visit.created_at, Visit.origin_device)
    assert stored(county, *visit) == stored(village_with_visits, *visit) and len(stored(county, *visit)) == 2
    # area ids differ between workspaces; the area is the same by its code
    person = (Person.id, Person.name, Person.id_number, Person.birth_date, Area.code, Person.lives_alone,
              Person.name_sort, Person.created_at)
    on_area = (Area, Area.id == Person.area_id)
    assert stored(county, *person, join=on_area) == stored(village_with_visits, *person, join=on_area)


def test_values_in_another_readable_form_are_put_right(county, village_with_visits, tmp_path, monkeypatch):
    def older_forms(row: Row, at: dict[str, int]) -> None:
        row[at["id"]] = str(uuid.UUID(row[at["id"]]))  # with dashes
        row[at["created_at"]] = datetime.fromisoformat(row[at["created_at"]]).replace(microsecond=0).isoformat()

    tamper(monkeypatch, "visit", older_forms)
    package = export(village_with_visits, tmp_path / "stick")
    result = import_at(county, package.path, accept_device=fingerprint(village_with_visits))
    assert result.status == "imported", result.message
    arrived = stored(county, Visit.id, Visit.created_at)
    sent = stored(village_with_visits, Visit.id, Visit.created_at)
    assert [i for i, _c in arrived] == [i for i, _c in sent]
    assert [c for _i, c in arrived] == [c.replace(microsecond=0) for _i, c in sent]
    # and found by the stored form SQLite compares (a UUID as 32 hex digits)
    for record_id, _c in arrived:
        with county.ws.uow() as uow:
            assert uow.session.get(Visit, record_id) is not None


def test_a_malformed_value_fails_the_whole_package_and_changes_nothing(county, village_with_visits, tmp_path,
                                                                       monkeypatch):
    tamper(monkeypatch, "visit", lambda row, at: row.__setitem__(at["kind"], "nonsense"))
    package = export(village_with_visits, tmp_path / "stick")
    before = counts(county)
    result = import_at(county, package.path, accept_device=fingerprint(village_with_visits))
    assert result.status == "failed" and "走访记录：字段 kind 的值“nonsense”不对" in result.message
    assert counts(county) == before


def test_a_record_with_a_future_date_is_reported_as_itself(county, village_with_visits, tmp_path, monkeypatch):
    first: list[str] = []

    def one_in_the_future(row: Row, at: dict[str, int]) -> None:
        if not first:
            first.append(row[at["id"]])
            row[at["visit_date"]] = "2027-03-01"

    tamper(monkeypatch, "visit", one_in_the_future)
    package = export(village_with_visits, tmp_path / "stick")
    before = counts(county)
    result = import_at(county, package.path, accept_device=fingerprint(village_with_visits))
    assert result.status == "failed"
    error, *knock_on = result.report.errors
    assert error.table == "visit" and error.record_id == str(uuid.UUID(first[0])) and "晚于今天" in error.detail
    # what refers to that visit (its need, raised on it) cannot be taken either
    assert knock_on and all(e.table != "visit" and "引用的visit不存在" in e.detail for e in knock_on)
    assert result.counts["created"] > 0  # the others were good, and still nothing stays
    assert counts(county) == before


def test_a_record_of_a_person_not_on_file_is_reported(county, village_with_visits, tmp_path, monkeypatch):
    stranger = uuid.uuid4().hex
    tamper(monkeypatch, "need", lambda row, at: row.__setitem__(at["person_id"], stranger))
    package = export(village_with_visits, tmp_path / "stick")
    before = counts(county)
    result = import_at(county, package.path, accept_device=fingerprint(village_with_visits))
    assert result.status == "failed"
    assert result.report.errors and all(e.table == "need" and e.detail.startswith("引用的人员档案不存在")
                                        for e in result.report.errors)
    assert counts(county) == before


def test_wire_rows_reads_columns_in_any_order_and_names_what_is_wrong():
    columns = shared_columns("modification_item")
    row = [uuid.uuid4().hex, "A1", "扶手", 2, "个", 5000, 10000, uuid.uuid4().hex, "2026-11-20 08:00:00.000000", "dev"]
    assert wire_rows("modification_item", columns[::-1], [row[::-1]]) == [row]
    with pytest.raises(RecordError, match="未知的字段 colour"):
        wire_rows("modification_item", [*columns[:-1], "colour"], [row])
    with pytest.raises(RecordError, match="缺少字段 origin_device"):
        wire_rows("modification_item", columns[:-1], [row[:-1]])
    with pytest.raises(RecordError, match="字段 quantity 的值“2”不对"):
        wire_rows("modification_item", columns, [[*row[:3], "2", *row[4:]]])
    with pytest.raises(RecordError, match="不能导入的表"):
        wire_rows("app_user", columns, [row])
