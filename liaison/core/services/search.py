"""Finding people: by name, full pinyin or initials (every reading of the surname), an ID
fragment, a 证号 or a phone number, with filters and paging."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import ColumnElement, String, and_, exists, func, or_, select

from liaison.core.enums import OPEN_NEED_STATUSES, PersonStatus, Sex
from liaison.core.models import Area, Need, Person, PersonSearchTerm
from liaison.core.pinyin import query_to_term
from liaison.core.rules.idnumber import age_on, mask_id_number, normalize_id_number
from liaison.core.services.areas import area_names
from liaison.core.services.context import Actor, restrict_to_scope
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


def _prefix_range(column, prefix: str) -> ColumnElement[bool]:  # type: ignore[no-untyped-def]
    """`column` starts with `prefix`, as a range the index can use (LIKE could not)."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(column >= prefix, column < upper)


def text_condition(text: str) -> ColumnElement[bool] | None:
    """What a typed query matches; None for an empty query."""
    text = text.strip()
    if not text:
        return None
    number = normalize_id_number(text).replace("-", "")
    if _DIGITS_RE.match(number):
        # an ID fragment anywhere, a 证号 or a phone number
        conditions = [Person.id_number.contains(number, autoescape=True),
                      # landlines are stored as "0432-62345678"; the query has lost its dash
                      func.replace(Person.phone, "-", "", type_=String).contains(
                          number, autoescape=True)]
        if len(number) > 18:
            conditions.append(_prefix_range(Person.cert_number, number))
        return or_(*conditions)
    term = query_to_term(text)
    if not term:
        return None
    matching = select(PersonSearchTerm.person_id).where(
        _prefix_range(PersonSearchTerm.term, term)
    )
    return Person.id.in_(matching)


def search_people(uow: UnitOfWork, actor: Actor, query: SearchQuery, *, today: date | None = None) -> SearchPage:
    today = today or date.today()
    conditions: list[ColumnElement[bool]] = []
    areas = restrict_to_scope(uow, actor, query.area_ids)
    if areas is not None:
        conditions.append(Person.area_id.in_(areas))
    if (cond := text_condition(query.text)) is not None:
        conditions.append(cond)
    if query.category is not None:
        conditions.append(Person.category == query.category)
    if query.grade is not None:
        conditions.append(Person.grade == query.grade)
    if query.status is not None:
        conditions.append(Person.status == query.status)
    if query.person_ids is not None:
        conditions.append(Person.id.in_(query.person_ids))
    if query.has_open_need:
        conditions.append(
            exists().where(Need.person_id == Person.id, Need.status.in_(OPEN_NEED_STATUSES))
        )
    where = and_(*conditions) if conditions else None

    count_stmt = select(func.count()).select_from(Person)
    if where is not None:
        count_stmt = count_stmt.where(where)
    total = uow.session.scalar(count_stmt) or 0

    open_needs = (
        select(func.count())
        .where(Need.person_id == Person.id, Need.status.in_(OPEN_NEED_STATUSES))
        .correlate(Person)
        .scalar_subquery()
    )
    area_code = select(Area.code).where(Area.id == Person.area_id).scalar_subquery()
    # (column, ascending) pairs; "age ascending" lists the youngest first
    order = {
        SortKey.NAME: [(Person.name_sort, True)],
        SortKey.AGE: [(Person.birth_date, False)],
        SortKey.AREA: [(area_code, True), (Person.name_sort, True)],
        SortKey.GRADE: [(Person.grade, True), (Person.name_sort, True)],
        SortKey.REGISTERED: [(Person.registered_on, True), (Person.name_sort, True)],
    }[query.sort]
    order_by = [col.asc() if asc != query.descending else col.desc() for col, asc in order]
    stmt = select(
        Person.id, Person.name, Person.sex, Person.birth_date, Person.id_number,
        Person.category, Person.grade, Person.area_id, Person.status, Person.phone,
        open_needs.label("open_needs"),
    )
    if where is not None:
        stmt = stmt.where(where)
    stmt = stmt.order_by(*order_by, Person.id).limit(query.limit).offset(query.offset)
    names = area_names(uow.session)
    rows = [
        PersonRow(
            r.id, r.name, r.sex, age_on(r.birth_date, today), r.birth_date,
            mask_id_number(r.id_number), r.category, r.grade, r.area_id,
            names[r.area_id].full_name if r.area_id in names else "", r.status, r.phone,
            r.open_needs,
        )
        for r in uow.session.execute(stmt)
    ]
    return SearchPage(rows, total, query.offset, query.limit)
