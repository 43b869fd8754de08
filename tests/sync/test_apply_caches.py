"""The county import's lookup caches are only shortcuts: bounded, emptied largest first, and
an import whose caches are emptied at every batch comes out the same."""

from __future__ import annotations

from datetime import date

from liaison.core.services import sync_apply
from liaison.core.services.audit import verify_chain
from tests.sync.test_exchange import add_person, add_visit, counts, export, fingerprint, import_at

TODAY = date(2026, 11, 25)


def test_the_largest_cache_is_emptied_first_and_the_people_last(monkeypatch, workspace, actor):
    monkeypatch.setattr(sync_apply, "CACHE_LIMIT", 5)
    monkeypatch.setattr(sync_apply, "PEOPLE_CACHE_LIMIT", 6)
    ctx = sync_apply._Context(workspace.uow(), actor, "device", "0" * 32, TODAY)
    ctx.known["person"].update({"p1", "p2"})
    ctx.person_areas.update({"p1": "a", "p2": "a"})
    ctx.known["visit"].update(f"v{k}" for k in range(10))
    ctx.known["need"].update({"n1", "n2"})
    ctx.case_people.update({"c1": "p1", "c2": "p2"})

    ctx.trim_caches()
    assert not ctx.known["visit"]
    assert ctx.known["need"] == {"n1", "n2"} and ctx.case_people == {"c1": "p1", "c2": "p2"}
    assert ctx.known["person"] == {"p1", "p2"} and len(ctx.person_areas) == 2

    ctx.known["person"].update({"p3", "p4"})
    ctx.trim_caches()  # six entries: still kept
    assert len(ctx.known["person"]) == 4
    ctx.person_areas["p3"] = "a"
    ctx.trim_caches()
    assert not ctx.known["person"] and not ctx.person_areas


def test_an_import_that_forgets_its_caches_at_every_batch_stores_the_same(monkeypatch, county, village, tmp_path):
    people = [add_person(village, name=name, sequence=k) for k, name in enumerate(("王一", "李二", "张三", "赵四"))]
    for person_id in people:
        add_visit(village, person_id)  # a visit and its need each
    monkeypatch.setattr(sync_apply, "BATCH", 2)
    monkeypatch.setattr(sync_apply, "CACHE_LIMIT", 0)
    monkeypatch.setattr(sync_apply, "PEOPLE_CACHE_LIMIT", 0)
    result = import_at(county, export(village, tmp_path / "stick").path, accept_device=fingerprint(village))
    assert result.status == "imported", (result.message, result.report and result.report.errors)
    assert result.counts == {"created": 12}
    stored = counts(county)
    assert (stored["person"], stored["visit"], stored["need"]) == (4, 4, 4)
    with county.ws.uow() as uow:
        assert verify_chain(uow).ok
