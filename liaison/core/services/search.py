"""Finding people: by name, full pinyin or initials (every reading of the surname), an ID
fragment, a 证号 or a phone number, with filters and paging."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, select, union
from sqlalchemy.orm import Session

from liaison.core.enums import OPEN_NEED_STATUSES, PersonStatus, Sex
from liaison.core.models import Area, Need, Person, PersonSearchTerm
from liaison.core.pinyin import is_pinyin_query, name_sort_key, query_to_term
from liaison.core.rules.idnumber import age_on, mask_id_number, normalize_id_number
from liaison.core.services.areas import area_directory
from liaison.core.services.context import Actor, restrict_to_scope
from liaison.core.services.persons import DIGIT_TERM_PREFIX
from liaison.core.uow import UnitOfWork

# digits with an optional final X (an ID or a fragment), or a 证号 whose ID ends in X
_DIGITS_RE = re.compile(r"^(?:[0-9]+[0-9X]?|[0-9]{17}X[0-9]{1,2})$")


class SortKey(StrEnum):
    NAME = "name"
    AGE = "age"
    AREA = "area"
    GRADE = "grade"
    REGISTERED = "registered"


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    area_ids: frozenset[uuid.UUID] | None = None
    category: int | None = None
    grade: int | None = None
    status: PersonStatus | None = None
    has_open_need: bool = False
    person_ids: frozenset[uuid.UUID] | None = None
    sort: SortKey = SortKey.NAME
    descending: bool = False
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class PersonRow:
    id: uuid.UUID
    name: str
    sex: Sex
    age: int
    birth_date: date
    id_number_masked: str
    category: int | None
    grade: int | None
    area_id: uuid.UUID
    area_name: str
    status: PersonStatus
    phone: str | None
    open_needs: int


@dataclass(frozen=True)
class SearchPage:
    rows: list[PersonRow]
    total: int
    offset: int
    limit: int
    # False when there are more matches than were counted (see COUNT_CAP)
    total_exact: bool = True


# Counting every match of a one-letter query costs more than the page itself; beyond this
# many the list says "more than 1,000" and the officer types on.
COUNT_CAP = 1000
# With this many candidates, walking the name index and testing membership beats sorting them.
BROAD_QUERY = 2000


def _prefix_range(column, prefix: str) -> ColumnElement[bool]:  # type: ignore[no-untyped-def]
    """`column` starts with `prefix`, as a range the index can use (LIKE could not)."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(column >= prefix, column < upper)


def candidates(text: str) -> Select[tuple[int]] | None:
    """The search numbers of the people a typed query can mean, from indexes only; None for no query."""
    text = text.strip()
    if not text:
        return None
    number = normalize_id_number(text).replace("-", "")
    if _DIGITS_RE.match(number):
        # a fragment of an ID or phone (anywhere), an ID's beginning, or a 证号
        parts = [
            select(PersonSearchTerm.search_no).where(
                _prefix_range(PersonSearchTerm.term, DIGIT_TERM_PREFIX + number)),
            select(Person.search_no).where(_prefix_range(Person.id_number, number)),
        ]
        if len(number) > 18:
            parts.append(select(Person.search_no).where(_prefix_range(Person.cert_number, number)))
        return union(*parts)  # type: ignore[return-value]
    term = query_to_term(text)
    if not term or term.startswith(DIGIT_TERM_PREFIX):
        return select(PersonSearchTerm.search_no).where(false())
    return select(PersonSearchTerm.search_no).where(_prefix_range(PersonSearchTerm.term, term))


def text_condition(text: str) -> ColumnElement[bool] | None:
    """What a typed query matches; None for an empty query."""
    matching = candidates(text)
    return None if matching is None else Person.search_no.in_(matching)


def _walk_start(text: str) -> str:
    """Where a broad query's best matches begin in name order: the first letter typed, or
    the reading of the first hanzi (name_sort is the pinyin of the name)."""
    term = query_to_term(text)
    if is_pinyin_query(text):
        return term[:1]
    return name_sort_key(term[:1]).split("\t")[0]


def search_people(uow: UnitOfWork, actor: Actor, query: SearchQuery, *, today: date | None = None) -> SearchPage:
    """One page of people matching the query, sorted, with the number of matches.

    A broad query (a letter or a common surname, tens of thousands of candidates) with
    nothing else to narrow it is answered by walking the name index from where its best
    matches begin and probing the search index for each person: people whose name starts
    with what was typed come first, the rest (other readings, initials) after them.
    """
    today = today or date.today()
    session = uow.session
    # filters checked row by row cost nothing on a walk; the others narrow through indexes
    row_filters: list[ColumnElement[bool]] = []
    narrowing: list[ColumnElement[bool]] = []
    areas = restrict_to_scope(uow, actor, query.area_ids)
    if areas is not None:
        narrowing.append(Person.area_id.in_(areas))
    if query.category is not None:
        row_filters.append(Person.category == query.category)
    if query.grade is not None:
        row_filters.append(Person.grade == query.grade)
    if query.status is not None:
        row_filters.append(Person.status == query.status)
    if query.person_ids is not None:
        narrowing.append(Person.id.in_(query.person_ids))
    if query.has_open_need:
        narrowing.append(
            exists().where(Need.person_id == Person.id, Need.status.in_(OPEN_NEED_STATUSES))
        )
    filters = row_filters + narrowing
    matching = candidates(query.text)
    conditions = list(filters)
    if matching is not None:
        conditions.append(Person.search_no.in_(matching))
    where = and_(*conditions) if conditions else None
    broad = (
        matching is not None and not narrowing
        and not _DIGITS_RE.match(normalize_id_number(query.text.strip()).replace("-", ""))
        and _is_broad(session, matching)
    )

    if matching is not None and not filters:
        # only the text narrows: count distinct people straight from the search index
        found = matching.subquery()
        counted = select(found.c[0]).distinct()
    elif broad:
        # probe the search index person by person and stop at the cap, rather than first
        # listing tens of thousands of candidates
        counted = select(Person.search_no).where(_probe(query.text), *row_filters)
    else:
        counted = select(Person.id)
        if where is not None:
            counted = counted.where(where)
    total = session.scalar(
        select(func.count()).select_from(counted.limit(COUNT_CAP + 1).subquery())) or 0

    open_needs = (
        select(func.count())
        .where(Need.person_id == Person.id, Need.status.in_(OPEN_NEED_STATUSES))
        .correlate(Person)
        .scalar_subquery()
    )
    columns = select(
        Person.id, Person.name, Person.sex, Person.birth_date, Person.id_number,
        Person.category, Person.grade, Person.area_id, Person.status, Person.phone,
        open_needs.label("open_needs"),
    )
    if broad and query.sort is SortKey.NAME and not query.descending:
        results = _walk_name_index(session, columns.where(*row_filters), query)
    else:
        stmt = columns if where is None else columns.where(where)
        stmt = stmt.order_by(*_order_by(query), Person.search_no).limit(query.limit).offset(query.offset)
        results = list(session.execute(stmt))
    names = area_directory(uow)
    rows = [
        PersonRow(
            r.id, r.name, r.sex, age_on(r.birth_date, today), r.birth_date,
            mask_id_number(r.id_number), r.category, r.grade, r.area_id,
            names[r.area_id].full_name if r.area_id in names else "", r.status, r.phone,
            r.open_needs,
        )
        for r in results
    ]
    return SearchPage(rows, min(total, COUNT_CAP), query.offset, query.limit, total <= COUNT_CAP)


def _is_broad(session: Session, matching: Select[tuple[int]]) -> bool:
    sample = matching.limit(BROAD_QUERY).subquery()
    return (session.scalar(select(func.count()).select_from(sample)) or 0) >= BROAD_QUERY


def _probe(text: str) -> ColumnElement[bool]:
    """The person has a search term starting with what was typed (one index probe)."""
    return exists().where(
        PersonSearchTerm.search_no == Person.search_no,
        _prefix_range(PersonSearchTerm.term, query_to_term(text)),
    )


def _walk_name_index(session: Session, columns: Select[Any], query: SearchQuery) -> list[Any]:
    probe = _probe(query.text)
    start = _walk_start(query.text)
    wanted = query.offset + query.limit
    ordered = columns.with_hint(Person, "INDEXED BY ix_person_name_sort", "sqlite").order_by(
        Person.name_sort, Person.search_no)
    results = list(session.execute(ordered.where(probe, Person.name_sort >= start).limit(wanted)))
    if len(results) < wanted:
        results += session.execute(
            ordered.where(probe, Person.name_sort < start).limit(wanted - len(results)))
    return results[query.offset:]


def _order_by(query: SearchQuery) -> list[ColumnElement[Any]]:
    area_code = select(Area.code).where(Area.id == Person.area_id).scalar_subquery()
    # (column, ascending) pairs; "age ascending" lists the youngest first
    order = {
        SortKey.NAME: [(Person.name_sort, True)],
        SortKey.AGE: [(Person.birth_date, False)],
        SortKey.AREA: [(area_code, True), (Person.name_sort, True)],
        SortKey.GRADE: [(Person.grade, True), (Person.name_sort, True)],
        SortKey.REGISTERED: [(Person.registered_on, True), (Person.name_sort, True)],
    }[query.sort]
    return [col.asc() if asc != query.descending else col.desc() for col, asc in order]
