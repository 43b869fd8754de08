"""Broad queries (one letter, a common surname): the name-index walk must find exactly the
people the ordinary sorted query finds, page after page, best matches first."""

from __future__ import annotations

import shutil
import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from liaison.bootstrap import Workspace, open_workspace
from liaison.core.demo import build_demo
from liaison.core.pinyin import name_sort_key
from liaison.core.services import areas, search
from liaison.core.services.search import COUNT_CAP, SearchQuery, search_people

TODAY = date(2026, 11, 25)
# A one-letter query must reach BROAD_QUERY (2,000) search-term rows for the walk to be used;
# the commonest initial letter gets there at about 4,600 people (the precondition is checked).
PERSONS = 5000
PAGE = 50


@pytest.fixture(scope="module")
def county(template_db: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("broad") / "county.db"
    shutil.copyfile(template_db, path)
    ws = open_workspace(f"sqlite:///{path}")
    build_demo(ws.engine, ws.rules, ws.device_id, persons=PERSONS, seed=11, today=TODAY)
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def whole_county(county: Workspace) -> frozenset[uuid.UUID]:
    """An area filter that keeps everyone: it forces the ordinary (sorted) path."""
    with county.uow() as uow:
        return areas.resolve_area_filter(uow, "220202")


@pytest.fixture(scope="module")
def sort_keys(county: Workspace) -> dict[uuid.UUID, tuple[str, int]]:
    with county.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, name_sort, search_no FROM person")).all()
    return {uuid.UUID(r.id): (r.name_sort, r.search_no) for r in rows}


def term_rows(ws: Workspace, prefix: str) -> int:
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    with ws.engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM person_search_term WHERE term >= :lo AND term < :hi"),
            {"lo": prefix, "hi": upper},
        ).scalar_one()


def matching_people(ws: Workspace, prefix: str) -> set[uuid.UUID]:
    """Who a prefix query must find, straight from the tables."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    with ws.engine.connect() as conn:
        ids = conn.execute(
            text(
                "SELECT id FROM person WHERE search_no IN (SELECT search_no FROM person_search_term"
                " WHERE term >= :lo AND term < :hi)"
            ),
            {"lo": prefix, "hi": upper},
        ).scalars()
        return {uuid.UUID(i) for i in ids}


def is_broad(ws: Workspace, query: str) -> bool:
    matching = search.candidates(query)
    assert matching is not None
    with ws.uow() as uow:
        return search._is_broad(uow.session, matching)


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every query answered by the name-index walk."""
    seen: list[str] = []
    real = search._walk_name_index

    def spy(session, columns, query):  # type: ignore[no-untyped-def]
        seen.append(query.text)
        return real(session, columns, query)

    monkeypatch.setattr(search, "_walk_name_index", spy)
    return seen


def all_pages(ws: Workspace, query: str, area_ids: frozenset[uuid.UUID] | None = None):  # type: ignore[no-untyped-def]
    """Every page of a query, PAGE at a time, until a short page; with each page's total."""
    rows, pages = [], []
    with ws.uow() as uow:
        for offset in range(0, PERSONS + PAGE, PAGE):
            page = search_people(uow, ws.system_actor,
                                 SearchQuery(text=query, area_ids=area_ids, limit=PAGE, offset=offset),
                                 today=TODAY)
            assert page.offset == offset and page.limit == PAGE
            rows += page.rows
            pages.append(page)
            if len(page.rows) < PAGE:
                break
    return rows, pages


def commonest_letter(ws: Workspace) -> str:
    return max("abcdefghijklmnopqrstuvwxyz", key=lambda letter: term_rows(ws, letter))


def commonest_surname(ws: Workspace) -> str:
    with ws.engine.connect() as conn:
        return conn.execute(
            text("SELECT substr(name, 1, 1) AS s FROM person GROUP BY s ORDER BY count(*) DESC LIMIT 1")
        ).scalar_one()


def check_same_people(county, whole_county, sort_keys, walks, query: str) -> None:  # type: ignore[no-untyped-def]
    expected = matching_people(county, query_to_prefix(query))
    assert expected

    walked, walked_pages = all_pages(county, query)
    assert walks, "the broad query did not take the name-index walk"
    walks.clear()
    ordinary, ordinary_pages = all_pages(county, query, whole_county)
    assert not walks, "an area filter must take the ordinary path"

    walked_ids = [r.id for r in walked]
    ordinary_ids = [r.id for r in ordinary]
    assert len(walked_ids) == len(set(walked_ids)), "a person on two pages of the walk"
    assert len(ordinary_ids) == len(set(ordinary_ids))
    assert set(walked_ids) == set(ordinary_ids) == expected

    # the count is the same either way, exact up to COUNT_CAP
    totals = {(p.total, p.total_exact) for p in walked_pages + ordinary_pages}
    if len(expected) > COUNT_CAP:
        assert totals == {(COUNT_CAP, False)}
    else:
        assert totals == {(len(expected), True)}

    # the walk: from where the typed text begins in name order, then the rest, each in order
    start = search._walk_start(query)
    keys = [sort_keys[i] for i in walked_ids]
    head = [k for k in keys if k[0] >= start]
    assert keys == sorted(head) + sorted(k for k in keys if k[0] < start)
    # the ordinary path: plain name order
    assert [sort_keys[i] for i in ordinary_ids] == sorted(sort_keys[i] for i in ordinary_ids)


def query_to_prefix(query: str) -> str:
    return search.query_to_term(query)


def test_a_one_letter_query_is_broad(county):
    letter = commonest_letter(county)
    assert term_rows(county, letter) >= search.BROAD_QUERY
    assert is_broad(county, letter)
    assert is_broad(county, letter.upper())


def test_the_walk_finds_the_same_people_as_the_sorted_query(county, whole_county, sort_keys, walks):
    letter = commonest_letter(county)
    assert is_broad(county, letter)
    check_same_people(county, whole_county, sort_keys, walks, letter)


def test_a_broad_letter_lists_names_starting_with_it_first(county, walks):
    letter = commonest_letter(county)
    with county.uow() as uow:
        page = search_people(uow, county.system_actor, SearchQuery(text=letter.upper(), limit=PAGE),
                             today=TODAY)
    assert walks
    assert len(page.rows) == PAGE
    assert all(name_sort_key(r.name).startswith(letter) for r in page.rows)
    assert page.total == COUNT_CAP and not page.total_exact  # more than 1,000 such people


def test_a_common_surname_in_hanzi_walks_the_same_way(county, whole_county, sort_keys, walks, monkeypatch):
    surname = commonest_surname(county)
    rows = term_rows(county, surname)
    assert not is_broad(county, surname)  # a few hundred people: the ordinary path
    # in a county of 100,000 it would be broad; lower the threshold to take the walk here
    monkeypatch.setattr(search, "BROAD_QUERY", rows // 2)
    assert is_broad(county, surname)

    check_same_people(county, whole_county, sort_keys, walks, surname)

    with county.uow() as uow:
        page = search_people(uow, county.system_actor, SearchQuery(text=surname, limit=PAGE), today=TODAY)
    reading = name_sort_key(surname).split("\t")[0]
    assert all(r.name.startswith(surname) for r in page.rows)
    assert all(name_sort_key(r.name).startswith(reading + " ") for r in page.rows)


def test_a_narrow_query_does_not_walk(county, whole_county, walks):
    surname = commonest_surname(county)
    with county.uow() as uow:
        page = search_people(uow, county.system_actor, SearchQuery(text=surname, limit=PAGE), today=TODAY)
    assert not walks
    assert page.total_exact
    assert page.total == len(matching_people(county, surname))
