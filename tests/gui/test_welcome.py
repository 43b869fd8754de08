"""First run: the village workspace form, its mistakes shown next to the fields, demo data."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from liaison.core.services import workspace as service
from liaison.gui.welcome import WelcomeDialog

VALUES = {
    "county_name": "昌邑区", "county_code": "220202",
    "township_name": "桦皮厂镇", "township_code": "220202100",
    "village_name": "两家子村", "village_code": "220202100001",
    "officer_name": "李秀梅",
    "officer_username": "lixm", "officer_password": "village-pass-1", "officer_again": "village-pass-1",
    "admin_password": "admin-pass-1", "admin_again": "admin-pass-1",
}


def fill(dialog: WelcomeDialog, **override: str) -> None:
    for key, value in {**VALUES, **override}.items():
        dialog.form.fields[key].setText(value)


def creating_in(ws):
    def create(setup):
        with ws.uow() as uow:
            service.setup_village_workspace(uow, ws.system_actor, setup)
            uow.commit()

    return create


def test_creating_the_workspace_from_the_form(qtbot, workspace):
    dialog = WelcomeDialog(create=creating_in(workspace))
    qtbot.addWidget(dialog)
    fill(dialog)
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert dialog.choice is not None and dialog.choice.setup is not None
    with workspace.uow() as uow:
        assert not service.is_empty(uow)
        assert service.workspace_name(uow) == "桦皮厂镇两家子村"


def test_a_wrong_code_is_shown_next_to_its_field_and_nothing_is_created(qtbot, workspace):
    dialog = WelcomeDialog(create=creating_in(workspace))
    qtbot.addWidget(dialog)
    dialog.show()
    fill(dialog, village_code="220202999001")
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert dialog.choice is None
    assert dialog.form.errors["village_code"].isVisible()
    assert "220202100" in dialog.form.errors["village_code"].text()
    with workspace.uow() as uow:
        assert service.is_empty(uow)


def test_empty_fields_are_named(qtbot, workspace):
    dialog = WelcomeDialog(create=creating_in(workspace))
    qtbot.addWidget(dialog)
    dialog.show()
    fill(dialog, officer_name="")
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert dialog.form.errors["officer_name"].text() == "⚠ 不能为空"
    assert dialog.choice is None


def test_choosing_demo_data(qtbot):
    dialog = WelcomeDialog()
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.demo_button, Qt.MouseButton.LeftButton)
    assert dialog.choice is not None and dialog.choice.demo


def test_a_password_typed_differently_twice_is_named_and_nothing_is_created(qtbot, workspace):
    dialog = WelcomeDialog(create=creating_in(workspace))
    qtbot.addWidget(dialog)
    dialog.show()
    fill(dialog, admin_again="admin-pass-2")
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert dialog.choice is None
    assert "不一致" in dialog.form.errors["admin_again"].text()
    with workspace.uow() as uow:
        assert service.is_empty(uow)


def test_the_form_creates_the_officer_and_the_administrator_logins(qtbot, workspace):
    from liaison.core.services.accounts import AuthError, authenticate

    dialog = WelcomeDialog(create=creating_in(workspace))
    qtbot.addWidget(dialog)
    fill(dialog, officer_password=" spaced pass ", officer_again=" spaced pass ")
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    officer = authenticate(workspace.uow, "lixm", " spaced pass ", device_id=workspace.device_id)
    assert officer.display_name == "李秀梅" and officer.scope_area_ids
    admin = authenticate(workspace.uow, "admin", "admin-pass-1", device_id=workspace.device_id)
    assert admin.scope_area_ids is None
    with pytest.raises(AuthError):  # passwords are kept exactly as typed, spaces included
        authenticate(workspace.uow, "lixm", "spaced pass", device_id=workspace.device_id)
