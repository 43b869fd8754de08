"""The person file service: create, update, change status, find, and the actor's scope."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from liaison.core.enums import DisabilityCategory, PersonStatus, Sex
from liaison.core.errors import (
    DuplicateError,
    NotFoundError,
    ScopeError,
    StaleRecordError,
    ValidationError,
)
from liaison.core.models import Person, PersonSearchTerm
from liaison.core.services import audit, persons
from liaison.core.services.persons import PersonInput
from liaison.core.services.search import SearchQuery, search_people
from tests.core.services.helpers import (
    TODAY,
    add_person,
    audit_events,
    count_rows,
    id_number,
    id_number_ending_in_x,
    person_input,
)

TABLES = ("person", "person_search_term", "audit_event")


def create(workspace, actor, data: PersonInput, today: date = TODAY) -> persons.PersonSaved:
    with workspace.uow() as uow:
        saved = persons.create_person(uow, actor, data, today=today)
        uow.commit()
    return saved


def refused(workspace, actor, data: PersonInput, error=ValidationError, today: date = TODAY):
    """Try to create; the save must be refused with `error` and store nothing at all."""
    before = count_rows(workspace, *TABLES)
    with workspace.uow() as uow, pytest.raises(error) as info:
        persons.create_person(uow, actor, data, today=today)
        uow.commit()
    assert count_rows(workspace, *TABLES) == before
    return info.value


def stored(workspace, person_id) -> Person:
    with workspace.uow() as uow:
        person = uow.session.get(Person, person_id)
        assert person is not None
        uow.session.expunge(person)  # keep the loaded values after the read-only unit ends
        return person


def search_names(workspace, actor, text: str = "", **query) -> list[str]:
    with workspace.uow() as uow:
        page = search_people(uow, actor, SearchQuery(text=text, **query), today=TODAY)
    return [row.name for row in page.rows]


# --- create -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "sequence", "sex"),
    [(date(1962, 3, 8), 123, Sex.MALE), (date(1985, 12, 31), 124, Sex.FEMALE)],
)
def test_create_derives_sex_and_birth_date_from_the_id(
    workspace, actor, area_tree, birth, sequence, sex
):
    number = id_number(birth, sequence)
    saved = create(
        workspace, actor, person_input(area_tree.village, birth=birth, sequence=sequence)
    )
    person = stored(workspace, saved.person_id)
    assert saved.created and saved.row_version == 1 and saved.warnings == ()
    assert (person.id_number, person.sex, person.birth_date) == (number, sex, birth)
    assert person.status is PersonStatus.ACTIVE
    assert person.registered_on == date(2020, 5, 10)


def test_create_derives_the_certificate_number_when_left_blank(workspace, actor, area_tree):
    data = person_input(area_tree.village, category=5, grade=2)
    saved = create(workspace, actor, data)
    assert stored(workspace, saved.person_id).cert_number == data.id_number + "52"


def test_create_accepts_a_matching_certificate_number(workspace, actor, area_tree):
    data = person_input(area_tree.village, category=4, grade=3)
    saved = create(workspace, actor, replace(data, cert_number=f" {data.id_number.lower()}43 "))
    assert stored(workspace, saved.person_id).cert_number == data.id_number + "43"


def test_create_refuses_a_certificate_number_with_another_category(workspace, actor, area_tree):
    data = person_input(area_tree.village, category=4, grade=3)
    error = refused(workspace, actor, replace(data, cert_number=data.id_number + "53"))
    assert set(error.errors) == {"cert_number"}
    assert "第 19 位" in error.errors["cert_number"]
    assert "残疾人证号" in error.message  # the field is named for the officer


def test_create_normalises_a_full_width_id_with_spaces_and_lower_case_x(
    workspace, actor, area_tree
):
    number = id_number_ending_in_x(date(1970, 7, 1))
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number[:17].lower())
    typed = f" {full_width[:6]}\u3000{full_width[6:14]} {full_width[14:]}x "
    saved = create(workspace, actor, person_input(area_tree.village, id_number=typed))
    person = stored(workspace, saved.person_id)
    assert person.id_number == number
    assert person.birth_date == date(1970, 7, 1)
    assert person.cert_number == number + "43"


def test_create_converts_a_15_digit_id_with_a_warning(workspace, actor, area_tree):
    expected = id_number(date(1958, 4, 20), 231)
    saved = create(workspace, actor, person_input(area_tree.village, id_number="220202580420231"))
    person = stored(workspace, saved.person_id)
    assert person.id_number == expected
    assert person.birth_date == date(1958, 4, 20) and person.sex is Sex.MALE
    assert len(saved.warnings) == 1 and expected in saved.warnings[0]


def test_create_refuses_an_invalid_checksum(workspace, actor, area_tree):
    good = id_number(date(1962, 3, 8), 125)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    error = refused(workspace, actor, person_input(area_tree.village, id_number=bad))
    assert set(error.errors) == {"id_number"}
    assert "校验位" in error.errors["id_number"] and good[17] in error.errors["id_number"]


def test_create_reports_every_bad_field_at_once_and_stores_nothing(workspace, actor, area_tree):
    data = person_input(
        area_tree.village,
        name="  ",
        phone="12345",
        guardian_name="王大山",
        guardian_relation=None,
        living_subsidy_receiving=True,
        living_subsidy_fen=None,
        registered_on=TODAY + timedelta(days=1),
    )
    error = refused(workspace, actor, data)
    assert set(error.errors) == {
        "name",
        "phone",
        "guardian_relation",
        "living_subsidy_fen",
        "registered_on",
    }
    for label in ("姓名", "联系电话", "与监护人关系", "生活补贴月标准", "建档日期"):
        assert label in error.message


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "王秀兰2"}, "name"),
        ({"phone": "0432-623"}, "phone"),
        ({"guardian_phone": "13912345678"}, "guardian_name"),
        ({"area_id": None}, "area_id"),
        ({"pension_gov_paid": True}, "pension_gov_paid"),
        ({"employment_form": "farming"}, "employment_form"),
        ({"cert_valid_until": date(2019, 1, 1)}, "cert_valid_until"),
        ({"cert_issued_on": TODAY + timedelta(days=1)}, "cert_issued_on"),
        ({"grade": None}, "grade"),
        ({"category": 9}, "category"),
    ],
)
def test_create_refuses_a_bad_field(workspace, actor, area_tree, changes, field):
    data = replace(person_input(area_tree.village), **changes)
    assert field in refused(workspace, actor, data).errors


@pytest.mark.parametrize(
    ("phone", "stored_as"),
    [("138 1234 5678", "13812345678"), ("０４３２－６２３４５６７８", "0432-62345678"),
     ("(0432)62345678", "043262345678")],
)  # fmt: skip
def test_create_normalises_phone_numbers(workspace, actor, area_tree, phone, stored_as):
    saved = create(workspace, actor, person_input(area_tree.village, phone=phone))
    assert stored(workspace, saved.person_id).phone == stored_as


def test_create_refuses_a_person_filed_under_a_township(workspace, actor, area_tree):
    error = refused(workspace, actor, person_input(area_tree.township))
    assert set(error.errors) == {"area_id"}


def test_create_files_a_person_under_a_group(workspace, actor, area_tree):
    saved = create(workspace, actor, person_input(area_tree.group))
    assert stored(workspace, saved.person_id).area_id == area_tree.group


def test_create_writes_search_terms_and_one_audit_event(workspace, actor, area_tree):
    saved = create(workspace, actor, person_input(area_tree.village, name="单雄信"))
    with workspace.uow() as uow:
        terms = set(
            uow.session.scalars(
                select(PersonSearchTerm.term)
                .join(Person, Person.search_no == PersonSearchTerm.search_no)
                .where(Person.id == saved.person_id)
            )
        )
    assert {"shanxiongxin", "sxx", "danxiongxin", "dxx", "单雄信", "雄信", "信"} <= terms
    events = audit_events(workspace, saved.person_id)
    assert [(e.entity, e.action) for e in events] == [("person", "create")]
    assert events[0].changes["name"] == [None, "单雄信"]
    assert events[0].changes["birth_date"] == [None, "1962-03-08"]
    assert events[0].changes == saved.changes


# --- duplicates ------------------------------------------------------------------------


def test_a_duplicate_id_is_refused_naming_the_existing_person(workspace, actor, area_tree):
    first = add_person(
        workspace, actor, area_tree.village, name="赵德山", birth=date(1958, 4, 20), sequence=231
    )
    # the same person typed again later, with the old 15-digit number, in the other village
    again = person_input(area_tree.other_village, name="赵德善", id_number="220202580420231")
    error = refused(workspace, actor, again, DuplicateError)
    assert error.existing_id == first.person_id
    assert "赵德山" in error.message and "两家子村" in error.message


def test_an_update_may_not_take_another_persons_id(workspace, actor, area_tree):
    first = add_person(workspace, actor, area_tree.village, name="赵德山")
    second = add_person(workspace, actor, area_tree.village, name="钱秀英")
    with workspace.uow() as uow:
        taken = persons.PersonInput.from_person(
            persons.load_person(uow, actor, first.person_id)
        ).id_number
        data = persons.PersonInput.from_person(persons.load_person(uow, actor, second.person_id))
        with pytest.raises(DuplicateError) as info:
            persons.update_person(
                uow,
                actor,
                second.person_id,
                replace(data, id_number=taken, cert_number=None),
                expected_version=1,
                today=TODAY,
            )
    assert info.value.existing_id == first.person_id


# --- children without a certificate ----------------------------------------------------


def birthday_years_ago(years: int, days: int = 0) -> date:
    return date(TODAY.year - years, TODAY.month, TODAY.day) + timedelta(days=days)


@pytest.mark.parametrize(
    ("birth", "accepted"),
    [
        (birthday_years_ago(0, days=-30), True),
        (birthday_years_ago(4), True),
        (birthday_years_ago(7, days=1), True),  # 6 until the day before the 7th birthday
        (birthday_years_ago(7), False),  # 7 today
        (birthday_years_ago(40), False),
    ],
)
def test_only_a_child_up_to_6_may_be_on_file_without_a_certificate(
    workspace, actor, area_tree, birth, accepted
):
    data = person_input(area_tree.village, birth=birth, certified=False, diagnosis="脑性瘫痪")
    if accepted:
        person = stored(workspace, create(workspace, actor, data).person_id)
        assert (person.cert_number, person.category, person.grade) == (None, None, None)
        assert person.diagnosis == "脑性瘫痪"
    else:
        error = refused(workspace, actor, data)
        assert set(error.errors) == {"cert_number"}


def test_a_child_without_a_certificate_needs_a_diagnosis(workspace, actor, area_tree):
    data = person_input(area_tree.village, birth=birthday_years_ago(3), certified=False)
    assert set(refused(workspace, actor, data).errors) == {"diagnosis"}


def test_a_child_is_later_linked_to_a_certificate(workspace, actor, area_tree):
    birth = birthday_years_ago(5)
    saved = create(
        workspace,
        actor,
        person_input(area_tree.village, birth=birth, certified=False, diagnosis="孤独症谱系障碍"),
    )
    with workspace.uow() as uow:
        data = PersonInput.from_person(persons.load_person(uow, actor, saved.person_id))
        data = replace(
            data,
            category=5,
            grade=2,
            cert_issued_on=TODAY - timedelta(days=3),
            cert_valid_until=TODAY.replace(year=TODAY.year + 5),
        )
        updated = persons.update_person(
            uow, actor, saved.person_id, data, expected_version=saved.row_version, today=TODAY
        )
        uow.commit()
    person = stored(workspace, saved.person_id)
    assert person.cert_number == person.id_number + "52"
    assert (person.category, person.grade, person.diagnosis) == (5, 2, "孤独症谱系障碍")
    assert updated.changes["cert_number"] == [None, person.id_number + "52"]
    assert updated.row_version == saved.row_version + 1


# --- 多重 and subsidies ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "components", "error"),
    [
        (7, frozenset(), True),
        (7, frozenset({4}), True),
        (7, frozenset({4, 7}), True),  # 多重 is not a component of itself
        (7, frozenset({2, 4}), False),
        (7, frozenset({1, 2, 5}), False),
        (4, frozenset({2, 4}), True),  # components only for 多重
    ],
)
def test_multiple_disability_needs_two_component_categories(
    workspace, actor, area_tree, category, components, error
):
    data = person_input(area_tree.village, category=category, component_categories=components)
    if error:
        assert set(refused(workspace, actor, data).errors) == {"component_categories"}
    else:
        person = stored(workspace, create(workspace, actor, data).person_id)
        assert person.category == DisabilityCategory.MULTIPLE
        assert person.component_categories == ",".join(str(c) for c in sorted(components))
        assert PersonInput.from_person(person).component_categories == components


@pytest.mark.parametrize(
    ("receiving", "amount", "error"),
    [
        (True, None, "正在领取时必须填写每月金额"),
        (False, 8000, "未领取时不应填写金额"),
        (True, 500_001, "每月金额应在 0 到 5,000 元之间"),
        (True, -1, "每月金额应在 0 到 5,000 元之间"),
        (True, 8000, None),
        (False, None, None),
    ],
)
@pytest.mark.parametrize("prefix", ["living_subsidy", "care_subsidy"])
def test_subsidy_amounts_go_with_receiving(
    workspace, actor, area_tree, prefix, receiving, amount, error
):
    data = person_input(
        area_tree.village, **{f"{prefix}_receiving": receiving, f"{prefix}_fen": amount}
    )
    if error:
        assert refused(workspace, actor, data).errors == {f"{prefix}_fen": error}
    else:
        person = stored(workspace, create(workspace, actor, data).person_id)
        assert getattr(person, f"{prefix}_receiving") is receiving
        assert getattr(person, f"{prefix}_fen") == amount


# --- update ------------------------------------------------------------------------------


def edit(workspace, actor, person_id, expected_version, **changes):
    with workspace.uow() as uow:
        data = PersonInput.from_person(persons.load_person(uow, actor, person_id))
        saved = persons.update_person(
            uow,
            actor,
            person_id,
            replace(data, **changes),
            expected_version=expected_version,
            today=TODAY,
        )
        uow.commit()
    return saved


def test_update_audits_only_the_changed_fields(workspace, actor, area_tree):
    created = add_person(workspace, actor, area_tree.village, phone="13812345678")
    saved = edit(
        workspace,
        actor,
        created.person_id,
        1,
        phone="139 0000 1111",
        address="两家子村3组",
        dibao=True,
    )
    expected = {
        "phone": ["13812345678", "13900001111"],
        "address": [None, "两家子村3组"],
        "dibao": [False, True],
    }
    assert saved.changes == expected and saved.row_version == 2 and not saved.created
    events = audit_events(workspace, created.person_id)
    assert [e.action for e in events] == ["create", "update"]
    assert events[1].changes == expected
    assert events[1].username == actor.username and events[1].device_id == actor.device_id
    person = stored(workspace, created.person_id)
    assert (person.phone, person.address, person.dibao, person.row_version) == (
        "13900001111",
        "两家子村3组",
        True,
        2,
    )


def test_a_stale_update_is_refused_and_changes_nothing(workspace, actor, area_tree):
    created = add_person(workspace, actor, area_tree.village, phone="13812345678")
    edit(workspace, actor, created.person_id, 1, address="新地址")  # someone else saved: now 2
    with workspace.uow() as uow, pytest.raises(StaleRecordError):
        data = PersonInput.from_person(persons.load_person(uow, actor, created.person_id))
        persons.update_person(
            uow,
            actor,
            created.person_id,
            replace(data, phone="13900001111"),
            expected_version=1,
            today=TODAY,
        )
        uow.commit()
    person = stored(workspace, created.person_id)
    assert (person.phone, person.address, person.row_version) == ("13812345678", "新地址", 2)
    assert [e.action for e in audit_events(workspace, created.person_id)] == ["create", "update"]


def test_an_unchanged_save_writes_nothing(workspace, actor, area_tree):
    created = add_person(
        workspace,
        actor,
        area_tree.village,
        category=7,
        component_categories=frozenset({2, 4}),
        phone="13812345678",
        guardian_name="王大山",
        guardian_relation="父子",
        dibao=True,
        care_subsidy_receiving=True,
        care_subsidy_fen=9000,
    )
    saved = edit(workspace, actor, created.person_id, 1, phone=" 13812345678 ")
    assert saved.changes == {} and saved.row_version == 1
    assert stored(workspace, created.person_id).row_version == 1
    assert [e.action for e in audit_events(workspace, created.person_id)] == ["create"]


def test_a_name_change_rebuilds_the_search_terms(workspace, actor, area_tree):
    created = add_person(workspace, actor, area_tree.village, name="王秀兰")
    assert search_names(workspace, actor, "wangxiulan") == ["王秀兰"]
    saved = edit(workspace, actor, created.person_id, 1, name="曾秀兰")
    assert saved.changes["name"] == ["王秀兰", "曾秀兰"]
    for gone in ("wangxiulan", "wxl", "王"):
        assert search_names(workspace, actor, gone) == []
    for found in ("zengxiulan", "zxl", "cengxiulan", "曾秀兰", "秀兰"):
        assert search_names(workspace, actor, found) == ["曾秀兰"]


def test_update_of_a_missing_person_is_not_found(workspace, actor, area_tree):
    import uuid

    with workspace.uow() as uow, pytest.raises(NotFoundError):
        persons.update_person(
            uow,
            actor,
            uuid.uuid4(),
            person_input(area_tree.village),
            expected_version=None,
            today=TODAY,
        )


# --- roster status ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason"),
    [(PersonStatus.MOVED_OUT, "户口迁至吉林市船营区"), (PersonStatus.DECEASED, "病故")],
)
def test_change_status_keeps_the_person_on_file(workspace, actor, area_tree, status, reason):
    created = add_person(workspace, actor, area_tree.village, name="孙玉芬")
    on = TODAY - timedelta(days=10)
    with workspace.uow() as uow:
        saved = persons.change_status(
            uow,
            actor,
            created.person_id,
            status,
            on=on,
            reason=f" {reason} ",
            expected_version=1,
            today=TODAY,
        )
        uow.commit()
    assert saved.changes == {
        "status": ["active", status.value],
        "status_on": [None, on.isoformat()],
        "status_reason": [None, reason],
    }
    person = stored(workspace, created.person_id)
    assert (person.status, person.status_on, person.status_reason) == (status, on, reason)
    with workspace.uow() as uow:
        assert persons.find_person(uow, actor, person.id_number).id == created.person_id
    assert search_names(workspace, actor, "孙玉芬") == ["孙玉芬"]
    assert search_names(workspace, actor, "孙玉芬", status=status) == ["孙玉芬"]
    assert search_names(workspace, actor, "孙玉芬", status=PersonStatus.ACTIVE) == []
    event = audit_events(workspace, created.person_id)[-1]
    assert (event.action, event.reason, event.changes) == ("status", reason, saved.changes)


@pytest.mark.parametrize(
    ("status", "on", "reason", "fields"),
    [
        (PersonStatus.DECEASED, TODAY, "  ", {"status_reason"}),
        (PersonStatus.DECEASED, TODAY + timedelta(days=1), "病故", {"status_on"}),
        (PersonStatus.DECEASED, date(1950, 1, 1), "病故", {"status_on"}),  # before birth
        (PersonStatus.ACTIVE, TODAY, "恢复", {"status"}),  # already active
        (PersonStatus.MOVED_OUT, TODAY, "", {"status_reason"}),
    ],
)
def test_change_status_is_checked(workspace, actor, area_tree, status, on, reason, fields):
    created = add_person(workspace, actor, area_tree.village)
    with workspace.uow() as uow, pytest.raises(ValidationError) as info:
        persons.change_status(
            uow, actor, created.person_id, status, on=on, reason=reason, today=TODAY
        )
    assert set(info.value.errors) == fields
    assert stored(workspace, created.person_id).status is PersonStatus.ACTIVE
    assert len(audit_events(workspace, created.person_id)) == 1


def test_change_status_with_a_stale_version_is_refused(workspace, actor, area_tree):
    created = add_person(workspace, actor, area_tree.village)
    edit(workspace, actor, created.person_id, 1, address="新地址")
    with workspace.uow() as uow, pytest.raises(StaleRecordError):
        persons.change_status(
            uow,
            actor,
            created.person_id,
            PersonStatus.DECEASED,
            on=TODAY,
            reason="病故",
            expected_version=1,
            today=TODAY,
        )
    assert stored(workspace, created.person_id).status is PersonStatus.ACTIVE


# --- finding -----------------------------------------------------------------------------


def test_find_person_by_any_form_of_the_id_the_certificate_or_the_record_id(
    workspace, actor, area_tree
):
    created = add_person(workspace, actor, area_tree.village, birth=date(1958, 4, 20), sequence=231)
    person = stored(workspace, created.person_id)
    keys = [
        person.id_number,
        f" {person.id_number.lower()} ",
        "220202580420231",
        person.cert_number,
        str(person.id),
    ]
    with workspace.uow() as uow:
        for key in keys:
            assert persons.find_person(uow, actor, key).id == created.person_id, key
        with pytest.raises(NotFoundError):
            persons.find_person(uow, actor, id_number(date(1990, 1, 1)))


# --- scope --------------------------------------------------------------------------------


def test_an_officer_cannot_create_outside_their_village(workspace, officer, area_tree):
    refused(workspace, officer, person_input(area_tree.village), ScopeError)
    refused(workspace, officer, person_input(area_tree.group), ScopeError)
    create(workspace, officer, person_input(area_tree.other_village))  # their own village works


def test_an_officer_cannot_load_find_or_change_a_person_outside_their_village(
    workspace, actor, officer, area_tree
):
    created = add_person(workspace, actor, area_tree.village, name="周桂兰")
    person = stored(workspace, created.person_id)
    with workspace.uow() as uow:
        with pytest.raises(ScopeError):
            persons.load_person(uow, officer, created.person_id)
        for key in (person.id_number, person.cert_number, str(person.id)):
            with pytest.raises(ScopeError):
                persons.find_person(uow, officer, key)
        with pytest.raises(ScopeError):
            persons.update_person(
                uow,
                officer,
                created.person_id,
                replace(PersonInput.from_person(person), phone="13900001111"),
                expected_version=1,
                today=TODAY,
            )
        with pytest.raises(ScopeError):
            persons.change_status(
                uow,
                officer,
                created.person_id,
                PersonStatus.DECEASED,
                on=TODAY,
                reason="病故",
                today=TODAY,
            )
        uow.commit()
    after = stored(workspace, created.person_id)
    assert (after.phone, after.status, after.row_version) == (None, PersonStatus.ACTIVE, 1)


def test_an_officer_cannot_move_their_person_to_another_village(
    workspace, actor, officer, area_tree
):
    created = add_person(workspace, officer, area_tree.other_village)
    with workspace.uow() as uow, pytest.raises(ScopeError):
        data = PersonInput.from_person(persons.load_person(uow, officer, created.person_id))
        persons.update_person(
            uow,
            officer,
            created.person_id,
            replace(data, area_id=area_tree.village),
            expected_version=1,
            today=TODAY,
        )
    assert stored(workspace, created.person_id).area_id == area_tree.other_village


def test_search_results_stay_inside_the_officers_scope(workspace, actor, officer, area_tree):
    add_person(workspace, actor, area_tree.village, name="王秀兰")
    add_person(workspace, actor, area_tree.group, name="王秀芳")
    add_person(workspace, actor, area_tree.other_village, name="王秀英")
    assert search_names(workspace, officer) == ["王秀英"]
    assert search_names(workspace, officer, "wangxiu") == ["王秀英"]
    # asking for the other village explicitly does not widen the scope
    assert search_names(workspace, officer, area_ids=frozenset({area_tree.village})) == []
    assert sorted(search_names(workspace, actor, "wangxiu")) == sorted(
        ["王秀兰", "王秀芳", "王秀英"]
    )


def test_history_lists_create_update_and_status_in_order(workspace, actor, area_tree):
    created = add_person(workspace, actor, area_tree.village)
    edit(workspace, actor, created.person_id, 1, address="新地址")
    with workspace.uow() as uow:
        persons.change_status(
            uow,
            actor,
            created.person_id,
            PersonStatus.MOVED_OUT,
            on=TODAY,
            reason="迁出",
            today=TODAY,
        )
        uow.commit()
    with workspace.uow() as uow:
        entries = audit.history(uow, "person", created.person_id)
    assert [e.action for e in entries] == ["create", "update", "status"]
    assert entries[1].changes == {"address": [None, "新地址"]}
    assert entries[2].reason == "迁出"
