"""Areas (creating, walking the tree, scope) and the audit trail they write."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from liaison.core.enums import AreaLevel
from liaison.core.errors import DuplicateError, NotFoundError, ScopeError, ValidationError
from liaison.core.models import Area
from liaison.core.services import areas, audit
from tests.core.services.helpers import count_rows


def create(workspace, actor, **kwargs) -> Area:
    with workspace.uow() as uow:
        area = areas.create_area(uow, actor, **kwargs)
        uow.commit()
    return area


@pytest.mark.parametrize(
    ("kwargs", "fields"),
    [
        # code length per level
        ({"code": "22020", "level": AreaLevel.COUNTY}, {"code"}),
        ({"code": "2202021", "level": AreaLevel.COUNTY}, {"code"}),
        ({"code": "22020210", "level": AreaLevel.TOWNSHIP, "parent_code": "220202"}, {"code"}),
        (
            {"code": "2202021000031", "level": AreaLevel.VILLAGE, "parent_code": "220202100"},
            {"code"},
        ),
        (
            {"code": "22020210000100", "level": AreaLevel.GROUP, "parent_code": "220202100001"},
            {"code"},
        ),
        ({"code": "22020A", "level": AreaLevel.COUNTY}, {"code"}),
        ({"code": "２２０２０３", "level": AreaLevel.COUNTY}, {"code"}),  # full-width digits
        # the code must extend the parent's
        ({"code": "220203200", "level": AreaLevel.TOWNSHIP, "parent_code": "220202"}, {"code"}),
        (
            {"code": "220202200001", "level": AreaLevel.VILLAGE, "parent_code": "220202100"},
            {"code"},
        ),
        # wrong parent level, missing parent, a county with a parent
        ({"code": "220202100003", "level": AreaLevel.VILLAGE, "parent_code": "220202"}, {"parent"}),
        (
            {"code": "220202100001002", "level": AreaLevel.GROUP, "parent_code": "220202100"},
            {"parent"},
        ),
        ({"code": "220202100003", "level": AreaLevel.VILLAGE}, {"parent"}),
        ({"code": "220203", "level": AreaLevel.COUNTY, "parent_code": "220202"}, {"parent"}),
        # the name
        (
            {
                "code": "220202100003",
                "level": AreaLevel.VILLAGE,
                "parent_code": "220202100",
                "name": "  ",
            },
            {"name"},
        ),
        (
            {
                "code": "220202100003",
                "level": AreaLevel.VILLAGE,
                "parent_code": "220202100",
                "name": "村" * 61,
            },
            {"name"},
        ),
    ],
)
def test_create_area_is_validated(workspace, actor, area_tree, kwargs, fields):
    kwargs.setdefault("name", "新区划")
    before = count_rows(workspace, "area", "audit_event")
    with workspace.uow() as uow, pytest.raises(ValidationError) as info:
        areas.create_area(uow, actor, **kwargs)
        uow.commit()
    assert set(info.value.errors) == fields
    assert count_rows(workspace, "area", "audit_event") == before


def test_create_area_with_an_unknown_parent(workspace, actor, area_tree):
    before = count_rows(workspace, "area", "audit_event")
    with workspace.uow() as uow, pytest.raises(ValidationError) as info:
        areas.create_area(
            uow,
            actor,
            code="220202300001",
            name="新村",
            level=AreaLevel.VILLAGE,
            parent_code=" 220202300 ",
        )
        uow.commit()
    assert info.value.errors == {"parent": "上级地区 220202300 不存在"}
    assert "上级地区" in info.value.message
    assert count_rows(workspace, "area", "audit_event") == before


def test_a_duplicate_code_is_refused_naming_the_existing_area(workspace, actor, area_tree):
    with workspace.uow() as uow, pytest.raises(DuplicateError) as info:
        areas.create_area(
            uow,
            actor,
            code=" 220202100001 ",
            name="另一个村",
            level=AreaLevel.VILLAGE,
            parent_code="220202100",
        )
    assert info.value.existing_id == area_tree.village
    assert "两家子村" in info.value.message


def test_create_area_stores_it_with_an_audit_event(workspace, actor, area_tree):
    area = create(
        workspace,
        actor,
        code=" 220202100003 ",
        name=" 胜利村 ",
        level=AreaLevel.VILLAGE,
        parent_code="220202100",
    )
    with workspace.uow() as uow:
        stored = uow.session.scalar(select(Area).where(Area.code == "220202100003"))
        assert stored is not None
        assert (stored.name, stored.level, stored.parent_id, stored.origin_device) == (
            "胜利村",
            AreaLevel.VILLAGE,
            area_tree.township,
            actor.device_id,
        )
        history = audit.history(uow, "area", area.id)
    assert [e.action for e in history] == ["create"]
    assert history[0].changes == {
        "code": [None, "220202100003"],
        "name": [None, "胜利村"],
        "level": [None, "village"],
        "parent_id": [None, str(area_tree.township)],
    }
    assert history[0].username == actor.username


@pytest.mark.parametrize(
    ("roots", "expected"),
    [
        (["county"], ["county", "township", "village", "other_village", "group"]),
        (["township"], ["township", "village", "other_village", "group"]),
        (["village"], ["village", "group"]),
        (["other_village"], ["other_village"]),
        (["group", "other_village"], ["group", "other_village"]),
        ([], []),
    ],
)
def test_subtree_ids(workspace, area_tree, roots, expected):
    with workspace.uow() as uow:
        result = areas.subtree_ids(uow.session, [getattr(area_tree, r) for r in roots])
    assert result == {getattr(area_tree, e) for e in expected}


def test_resolve_area_filter(workspace, area_tree):
    with workspace.uow() as uow:
        assert areas.resolve_area_filter(uow, None) is None
        assert areas.resolve_area_filter(uow, "") is None
        assert areas.resolve_area_filter(uow, "220202100001") == {
            area_tree.village,
            area_tree.group,
        }
        with pytest.raises(NotFoundError):
            areas.resolve_area_filter(uow, "999999")


def test_area_names_give_full_names_below_the_county(workspace, area_tree):
    with workspace.uow() as uow:
        names = areas.area_names(uow.session)
    assert {info.code: info.full_name for info in names.values()} == {
        "220202": "",
        "220202100": "桦皮厂镇",
        "220202100001": "桦皮厂镇 两家子村",
        "220202100002": "桦皮厂镇 前进村",
        "220202100001001": "桦皮厂镇 两家子村 一组",
    }


def test_list_areas_by_code_within_the_actors_scope(workspace, actor, officer, area_tree):
    with workspace.uow() as uow:
        everything = [a.code for a in areas.list_areas(uow, actor)]
        own = [a.code for a in areas.list_areas(uow, officer)]
    assert everything == ["220202", "220202100", "220202100001", "220202100001001", "220202100002"]
    assert own == ["220202100002"]


def test_audit_history_is_oldest_first_and_only_for_that_record(workspace, actor, area_tree):
    with workspace.uow() as uow:
        for i in range(3):
            audit.record(
                uow.session,
                actor,
                entity="area",
                entity_id=area_tree.village,
                action="update",
                changes={"name": [f"名{i}", f"名{i + 1}"]},
                reason=f"第{i}次",
            )
        audit.record(
            uow.session,
            actor,
            entity="area",
            entity_id=area_tree.other_village,
            action="update",
            changes={},
        )
        audit.record(
            uow.session,
            actor,
            entity="person",
            entity_id=area_tree.village,
            action="update",
            changes={},
        )
        uow.commit()
    with workspace.uow() as uow:
        history = audit.history(uow, "area", area_tree.village)
    assert [(e.action, e.reason) for e in history] == [
        ("create", None),
        ("update", "第0次"),
        ("update", "第1次"),
        ("update", "第2次"),
    ]
    assert [e.changes.get("name") for e in history[1:]] == [
        ["名0", "名1"],
        ["名1", "名2"],
        ["名2", "名3"],
    ]
    assert all(e.at <= f.at for e, f in itertools.pairwise(history))


def test_audit_diff_keeps_only_changed_values_as_json(workspace):
    from datetime import date

    before = {"a": 1, "b": date(2025, 1, 1), "c": AreaLevel.VILLAGE, "d": None}
    after = {"a": 1, "b": date(2025, 1, 2), "c": "village", "d": "x"}
    assert audit.diff(before, after) == {"b": ["2025-01-01", "2025-01-02"], "d": [None, "x"]}


def test_an_unknown_parent_is_reported_with_the_other_field_errors(workspace, actor, area_tree):
    """A wrong parent does not hide what else is wrong: every field error comes at once."""
    before = count_rows(workspace, "area", "audit_event")
    with workspace.uow() as uow, pytest.raises(ValidationError) as info:
        areas.create_area(
            uow,
            actor,
            code="22020230000",  # one digit short for a village
            name="  ",
            level=AreaLevel.VILLAGE,
            parent_code="220202300",
        )
        uow.commit()
    assert set(info.value.errors) == {"parent", "code", "name"}
    assert info.value.errors["parent"] == "上级地区 220202300 不存在"
    assert count_rows(workspace, "area", "audit_event") == before


def test_an_unknown_parent_does_not_also_complain_about_the_code_prefix(workspace, actor, area_tree):
    """With no parent found, the code cannot be compared with it: only "parent" is wrong."""
    with workspace.uow() as uow, pytest.raises(ValidationError) as info:
        areas.create_area(
            uow, actor, code="220209900", name="新镇", level=AreaLevel.TOWNSHIP, parent_code="220299"
        )
    assert set(info.value.errors) == {"parent"}


def test_an_area_filter_outside_the_actors_scope_is_refused(workspace, area_tree, officer):
    """The officer of 前进村 asking for 两家子村 (or the township above) is told no, not shown an empty list."""
    with workspace.uow() as uow:
        assert areas.resolve_area_filter(uow, "220202100002", officer) == {area_tree.other_village}
        for code in ("220202100001", "220202100"):
            with pytest.raises(ScopeError):
                areas.resolve_area_filter(uow, code, officer)


def test_an_officer_adds_areas_only_inside_the_village(workspace, area_tree, officer):
    with workspace.uow() as uow:
        areas.create_area(uow, officer, code="220202100002001", name="一组", level=AreaLevel.GROUP,
                          parent_code="220202100002")
        with pytest.raises(ScopeError):
            areas.create_area(uow, officer, code="220202100001002", name="二组", level=AreaLevel.GROUP,
                              parent_code="220202100001")
        with pytest.raises(ScopeError):
            areas.create_area(uow, officer, code="220203", name="船营区", level=AreaLevel.COUNTY)
