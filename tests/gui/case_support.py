"""Helpers for the case window and case dialog tests: institutions, reading a case back,
driving a step dialog the way an officer does."""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit

from liaison.core.enums import CaseType, ReferralServiceKind, UserRole
from liaison.core.models import CaseEvent, HomeModificationCase, RehabReferral
from liaison.core.services import referrals
from liaison.core.services.context import Actor
from liaison.gui.case_dialogs import CaseForm, StepDialog
from liaison.gui.case_window import CaseWindow
from liaison.gui.context import GuiContext
from tests.gui.conftest import type_text

K = ReferralServiceKind


def add_institution(ctx: GuiContext, name: str, kinds: list[ReferralServiceKind]) -> uuid.UUID:
    with ctx.workspace.uow() as uow:
        institution = referrals.save_institution(uow, ctx.actor, referrals.InstitutionInput(name, kinds))
        uow.commit()
        return institution.id


def officer_of(ctx: GuiContext, village: Any) -> GuiContext:
    """The same workspace seen by the village officer of `village`."""
    actor = Actor(username="liangjiazi", display_name="两家子村专委", role=UserRole.VILLAGE_OFFICER,
                  device_id=ctx.workspace.device_id, scope_area_ids=frozenset({village}))
    return GuiContext(ctx.workspace, actor, ctx.settings, clock=ctx.clock, events=ctx.events)


def modification(ctx: GuiContext, case_id: uuid.UUID) -> HomeModificationCase:
    with ctx.workspace.uow() as uow:
        case = uow.session.get(HomeModificationCase, case_id)
        uow.session.expunge_all()
        return case


def referral(ctx: GuiContext, referral_id: uuid.UUID) -> RehabReferral:
    with ctx.workspace.uow() as uow:
        row = uow.session.get(RehabReferral, referral_id)
        uow.session.expunge_all()
        return row


def event_count(ctx: GuiContext, case_id: uuid.UUID) -> int:
    from sqlalchemy import func, select

    with ctx.workspace.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(CaseEvent)
                                  .where(CaseEvent.case_id == case_id))


def open_window(qtbot: Any, ctx: GuiContext, case_type: CaseType, case_id: uuid.UUID) -> CaseWindow:
    window = CaseWindow(ctx, case_type, case_id)
    qtbot.addWidget(window)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    return window


def click(qtbot: Any, button: Any) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def start_step(qtbot: Any, window: CaseWindow, target: str) -> StepDialog:
    click(qtbot, window.action_button(target))
    dialog = window.step_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    return dialog


def save(qtbot: Any, dialog: CaseForm) -> None:
    click(qtbot, dialog.save_button)


def fill(widget: QLineEdit, text: str) -> None:
    """Replace what an input holds with `text`, typed."""
    widget.setFocus()
    widget.selectAll()
    widget.del_()
    type_text(widget, text)


def pick(qtbot: Any, combo: QComboBox, value: Any) -> None:
    """Choose an entry of a pick list with the arrow keys, as from the keyboard."""
    combo.setFocus()
    while combo.currentIndex() > 0:
        qtbot.keyClick(combo, Qt.Key.Key_Up)
    for _step in range(combo.count()):
        if combo.value() == value:  # type: ignore[attr-defined]
            return
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.value() == value, f"{value!r} is not offered"  # type: ignore[attr-defined]


def texts(model: Any, column: int) -> list[str]:
    return [model.data(model.index(r, column)) for r in range(model.rowCount())]
