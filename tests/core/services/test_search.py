"""Finding people: hanzi, pinyin, initials, tricky surnames, ID and phone fragments, 证号,
filters, paging, sort orders and masked ID numbers."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from liaison.core.enums import NeedKind, NeedStatus, PersonStatus
from liaison.core.services import areas, persons, visits
from liaison.core.services.search import SearchQuery, SortKey, search_people
from liaison.core.services.visits import NeedInput
from tests.core.services.helpers import (
    TODAY,
    add_person,
    add_visit,
    id_number_ending_in_x,
)

X_BIRTH = date(1971, 2, 3)


@pytest.fixture
def people(workspace, actor, area_tree) -> dict[str, uuid.UUID]:
    """Seven people; the ID numbers, phones and certificates are chosen to be told apart."""
    specs = {
        "张三丰": {
            "birth": date(1950, 1, 1),
            "sequence": 511,
            "category": 4,
            "grade": 1,
            "phone": "13987654321",
        },
        "单雄信": {"birth": date(1960, 3, 8), "sequence": 521, "category": 1, "grade": 2},
        "曾小贤": {
            "birth": date(1988, 9, 9),
            "sequence": 532,
            "category": 5,
            "grade": 3,
            "phone": "0432-62345678",
        },
        "区志强": {
            "birth": date(1975, 5, 5),
            "sequence": 541,
            "category": 2,
            "grade": 4,
            "area": area_tree.group,
        },
        "李明": {"birth": date(2001, 11, 30), "sequence": 551, "category": 6, "grade": 2},
        "欧阳娜娜": {
            "id_number": id_number_ending_in_x(X_BIRTH),
            "category": 7,
            "grade": 1,
            "component_categories": frozenset({2, 3}),
            "area": area_tree.other_village,
        },
        "王秀兰": {"birth": date(1966, 6, 6), "sequence": 562, "category": 4, "grade": 3},
    }
    ids = {}
    for name, spec in specs.items():
        area = spec.pop("area", area_tree.village)
        ids[name] = add_person(workspace, actor, area, name=name, **spec).person_id
    return ids


def found(workspace, actor, text: str = "", **query) -> list[str]:
    with workspace.uow() as uow:
        page = search_people(uow, actor, SearchQuery(text=text, **query), today=TODAY)
    return [row.name for row in page.rows]


def found_set(workspace, actor, text: str = "", **query) -> set[str]:
    return set(found(workspace, actor, text, **query))


@pytest.mark.parametrize(
    ("text", "names"),
    [
        # hanzi: full name, surname, given name, the end of a name
        ("张三丰", {"张三丰"}),
        ("张", {"张三丰"}),
        ("三丰", {"张三丰"}),
        ("丰", {"张三丰"}),
        ("雄信", {"单雄信"}),
        ("欧阳", {"欧阳娜娜"}),
        ("娜娜", {"欧阳娜娜"}),
        ("王 秀兰", {"王秀兰"}),
        ("秀", {"王秀兰"}),
        ("赵", set()),
        # full pinyin and its beginning, in any case and with spaces
        ("zhangsanfeng", {"张三丰"}),
        ("Zhang San", {"张三丰"}),
        ("ZHANGSANFENG", {"张三丰"}),
        ("ouyangnana", {"欧阳娜娜"}),
        ("li", {"李明"}),
        ("wangx", {"王秀兰"}),
        # initials
        ("zsf", {"张三丰"}),
        ("oynn", {"欧阳娜娜"}),
        ("lm", {"李明"}),
        ("wxl", {"王秀兰"}),
        # tricky surnames: the correct reading and the common one
        ("shanxiongxin", {"单雄信"}),
        ("danxiongxin", {"单雄信"}),
        ("sxx", {"单雄信"}),
        ("dxx", {"单雄信"}),
        ("zengxiaoxian", {"曾小贤"}),
        ("cengxiaoxian", {"曾小贤"}),
        ("zxx", {"曾小贤"}),
        ("cxx", {"曾小贤", "单雄信"}),  # 单 also reads chan (单于)
        ("ouzhiqiang", {"区志强"}),
        ("quzhiqiang", {"区志强"}),
        ("ozq", {"区志强"}),
        ("qzq", {"区志强"}),
        # neither
        ("zhaoliu", set()),
    ],
)
def test_search_by_name(workspace, actor, people, text, names):
    assert found_set(workspace, actor, text) == names


def test_search_by_an_initial_finds_every_matching_person(workspace, actor, people):
    # z: 张三丰 and 曾小贤 (zeng); s: 单雄信 (shan); d: 单雄信 (dan) only
    assert found_set(workspace, actor, "z") == {"张三丰", "曾小贤"}
    assert found_set(workspace, actor, "s") == {"单雄信"}
    assert found_set(workspace, actor, "o") == {"区志强", "欧阳娜娜"}


def number_of(workspace, person_id: uuid.UUID) -> tuple[str, str]:
    from liaison.core.models import Person

    with workspace.uow() as uow:
        person = uow.session.get(Person, person_id)
        return person.id_number, person.cert_number


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("19600308", {"单雄信"}),  # a birth date from the middle of the ID
        ("0308521", {"单雄信"}),
        ("13987654321", {"张三丰"}),  # a full mobile number
        ("9876543", {"张三丰"}),  # part of it
        ("138 1234", set()),
        ("0432-6234", {"曾小贤"}),  # a landline as typed, with its dash
        ("62345678", {"曾小贤"}),
        ("0432-62345678", {"曾小贤"}),  # exactly as stored
        ("043262345678", {"曾小贤"}),
    ],
)
def test_search_by_number_fragment(workspace, actor, people, text, names):
    assert found_set(workspace, actor, text) == names


def test_search_by_the_last_four_characters(workspace, actor, people):
    number, _cert = number_of(workspace, people["李明"])
    assert found(workspace, actor, number[-4:]) == ["李明"]


@pytest.mark.parametrize("typed", ["{last4}", "{last4_lower}", "{full}", "{full_lower}"])
def test_search_by_id_ending_in_x(workspace, actor, people, typed):
    number, _cert = number_of(workspace, people["欧阳娜娜"])
    assert number.endswith("X")
    text = typed.format(
        last4=number[-4:], last4_lower=number[-4:].lower(), full=number, full_lower=number.lower()
    )
    assert found(workspace, actor, text) == ["欧阳娜娜"]


@pytest.mark.parametrize("name", ["单雄信", "欧阳娜娜"])  # 欧阳娜娜's 证号 has an X inside
def test_search_by_full_certificate_number(workspace, actor, people, name):
    _number, cert = number_of(workspace, people[name])
    assert found(workspace, actor, cert) == [name]
    assert found(workspace, actor, cert.lower()) == [name]
    assert found(workspace, actor, cert[:19]) == [name]


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"category": 4}, {"张三丰", "王秀兰"}),
        ({"category": 7}, {"欧阳娜娜"}),
        ({"grade": 2}, {"单雄信", "李明"}),
        ({"category": 4, "grade": 1}, {"张三丰"}),
        ({"text": "z", "grade": 3}, {"曾小贤"}),  # not 张三丰 (grade 1)
        ({"status": PersonStatus.MOVED_OUT}, {"李明"}),
        (
            {"status": PersonStatus.ACTIVE},
            {"张三丰", "单雄信", "曾小贤", "区志强", "欧阳娜娜", "王秀兰"},
        ),
        ({"has_open_need": True}, {"王秀兰"}),
    ],
)
def test_search_filters(workspace, actor, people, query, names):
    with workspace.uow() as uow:
        persons.change_status(
            uow,
            actor,
            people["李明"],
            PersonStatus.MOVED_OUT,
            on=TODAY,
            reason="迁往外省",
            today=TODAY,
        )
        uow.commit()
    # 王秀兰 has an open need; 张三丰's need is met
    add_visit(
        workspace,
        actor,
        people["王秀兰"],
        TODAY - timedelta(days=3),
        needs=[NeedInput(NeedKind.CARE)],
    )
    met = add_visit(
        workspace,
        actor,
        people["张三丰"],
        TODAY - timedelta(days=3),
        needs=[NeedInput(NeedKind.REHABILITATION)],
    ).need_ids[0]
    with workspace.uow() as uow:
        visits.set_need_status(uow, actor, met, NeedStatus.MET, on=TODAY, today=TODAY)
        uow.commit()
    assert found_set(workspace, actor, **query) == names


@pytest.mark.parametrize(
    ("code", "names"),
    [
        ("220202100001", {"张三丰", "单雄信", "曾小贤", "区志强", "李明", "王秀兰"}),
        ("220202100001001", {"区志强"}),
        ("220202100002", {"欧阳娜娜"}),
    ],
)
def test_search_by_area(workspace, actor, people, code, names):
    with workspace.uow() as uow:
        area_ids = areas.resolve_area_filter(uow, code)
    assert found_set(workspace, actor, area_ids=area_ids) == names


def test_open_needs_are_counted_in_the_rows(workspace, actor, people):
    add_visit(
        workspace,
        actor,
        people["王秀兰"],
        TODAY - timedelta(days=3),
        needs=[NeedInput(NeedKind.CARE), NeedInput(NeedKind.EMPLOYMENT)],
    )
    with workspace.uow() as uow:
        rows = search_people(uow, actor, SearchQuery(text="王秀兰"), today=TODAY).rows
    assert [(r.name, r.open_needs) for r in rows] == [("王秀兰", 2)]


# the preferred reading decides: 曾 zeng sorts before zhang, 区 ou before 单 shan
BY_NAME = ["李明", "欧阳娜娜", "区志强", "单雄信", "王秀兰", "曾小贤", "张三丰"]
# youngest first
BY_AGE = ["李明", "曾小贤", "区志强", "欧阳娜娜", "王秀兰", "单雄信", "张三丰"]


@pytest.mark.parametrize(
    ("sort", "descending", "names"),
    [
        (SortKey.NAME, False, BY_NAME),
        (SortKey.NAME, True, BY_NAME[::-1]),
        (SortKey.AGE, False, BY_AGE),
        (SortKey.AGE, True, BY_AGE[::-1]),
        (
            SortKey.AREA,
            False,
            ["李明", "单雄信", "王秀兰", "曾小贤", "张三丰", "区志强", "欧阳娜娜"],
        ),
        (
            SortKey.GRADE,
            False,
            ["欧阳娜娜", "张三丰", "李明", "单雄信", "王秀兰", "曾小贤", "区志强"],
        ),
    ],
)
def test_sort_orders(workspace, actor, people, sort, descending, names):
    assert found(workspace, actor, sort=sort, descending=descending) == names


@pytest.mark.parametrize(
    ("limit", "offset", "names"),
    [(3, 0, BY_NAME[:3]), (3, 3, BY_NAME[3:6]), (3, 6, BY_NAME[6:]), (3, 9, []), (50, 0, BY_NAME)],
)
def test_paging(workspace, actor, people, limit, offset, names):
    with workspace.uow() as uow:
        page = search_people(uow, actor, SearchQuery(limit=limit, offset=offset), today=TODAY)
    assert [r.name for r in page.rows] == names
    assert (page.total, page.limit, page.offset) == (7, limit, offset)


def test_paging_total_counts_the_filtered_people(workspace, actor, people):
    with workspace.uow() as uow:
        page = search_people(uow, actor, SearchQuery(text="z", limit=1), today=TODAY)
    assert page.total == 2 and [r.name for r in page.rows] == ["曾小贤"]


def test_rows_carry_masked_id_numbers_and_the_facts_to_show(workspace, actor, people):
    with workspace.uow() as uow:
        rows = search_people(uow, actor, SearchQuery(), today=TODAY).rows
    for row in rows:
        number, _cert = number_of(workspace, row.id)
        assert row.id_number_masked == number[:6] + "********" + number[-4:]
        assert number not in repr(row)
    x_row = next(r for r in rows if r.name == "欧阳娜娜")
    assert x_row.id_number_masked.startswith("220202********") and x_row.id_number_masked.endswith(
        "X"
    )
    assert len(x_row.id_number_masked) == 18
    zhang = next(r for r in rows if r.name == "张三丰")
    assert (zhang.age, zhang.birth_date, zhang.phone, zhang.area_name) == (
        75,
        date(1950, 1, 1),
        "13987654321",
        "桦皮厂镇 两家子村",
    )
    assert next(r for r in rows if r.name == "区志强").area_name == "桦皮厂镇 两家子村 一组"


def test_an_empty_query_lists_everyone(workspace, actor, people):
    assert found_set(workspace, actor, "   ") == set(people)


def test_person_ids_filter(workspace, actor, people):
    wanted = frozenset({people["李明"], people["张三丰"]})
    assert found_set(workspace, actor, person_ids=wanted) == {"李明", "张三丰"}
