"""Setting up a village workspace and acting as its officer."""

from __future__ import annotations

from dataclasses import replace

import pytest

from liaison.core.enums import AreaLevel, UserRole
from liaison.core.errors import LiaisonError, ScopeError, ValidationError
from liaison.core.services import areas, persons, settings
from liaison.core.services import workspace as service
from tests.core.services.helpers import TODAY, person_input

SETUP = service.VillageSetup(
    county_code="220202", county_name="昌邑区",
    township_code="220202100", township_name="桦皮厂镇",
    village_code="220202100001", village_name="两家子村",
    officer_name="李秀梅", officer_username="lixm", officer_password="village-pass-1",
    admin_password="admin-pass-1",
)


def test_setup_creates_the_area_chain_and_an_officer_scoped_to_the_village(workspace, actor):
    ws = workspace
    with ws.uow() as uow:
        assert service.is_empty(uow)
        officer = service.setup_village_workspace(uow, actor, SETUP)
        uow.commit()
    assert officer.role is UserRole.VILLAGE_OFFICER and officer.display_name == "李秀梅"
    with ws.uow() as uow:
        village = areas.get_area_by_code(uow, "220202100001")
        assert officer.scope_area_ids == frozenset({village.id})
        assert service.workspace_name(uow) == "桦皮厂镇两家子村"
        assert settings.get_setting(uow.session, settings.HOME_AREA_ID) == str(village.id)
        again = service.workspace_actor(uow, actor)
        assert again == officer
        assert not service.is_empty(uow)


def test_the_officer_can_file_people_in_the_village_but_not_elsewhere(workspace, actor):
    with workspace.uow() as uow:
        officer = service.setup_village_workspace(uow, actor, SETUP)
        other = areas.create_area(uow, actor, code="220202100002", name="前进村",
                                  level=AreaLevel.VILLAGE, parent_code="220202100")
        village = areas.get_area_by_code(uow, "220202100001")
        uow.commit()
    with workspace.uow() as uow:
        persons.create_person(uow, officer, person_input(village.id), today=TODAY)
        with pytest.raises(ScopeError):
            persons.create_person(uow, officer, person_input(other.id), today=TODAY)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"village_code": "22020210000"}, "village_code"),  # 11 digits
        ({"village_code": "220202200001"}, "village_code"),  # not under the township
        ({"township_name": ""}, "township_name"),
        ({"county_code": "2202"}, "county_code"),
    ],
)
def test_setup_mistakes_name_the_form_field_and_store_nothing(workspace, actor, change, field):
    with workspace.uow() as uow:
        with pytest.raises(ValidationError) as err:
            service.setup_village_workspace(uow, actor, replace(SETUP, **change))
    assert field in err.value.errors
    with workspace.uow() as uow:
        assert service.is_empty(uow)


def test_setup_refuses_an_officer_without_a_name_and_a_second_setup(workspace, actor):
    with workspace.uow() as uow, pytest.raises(ValidationError) as err:
        service.setup_village_workspace(uow, actor, replace(SETUP, officer_name="  "))
    assert "officer_name" in err.value.errors
    with workspace.uow() as uow:
        service.setup_village_workspace(uow, actor, SETUP)
        uow.commit()
    with workspace.uow() as uow, pytest.raises(LiaisonError, match="已经建立"):
        service.setup_village_workspace(uow, actor, SETUP)


def test_without_an_officer_the_local_administrator_acts(workspace, actor):
    with workspace.uow() as uow:
        assert service.workspace_actor(uow, actor) is actor
