"""Opening a person's file, a visit form or a case from anywhere (work queue, list, another
form).

Each opens as its own window, so an officer can keep a file open while recording a visit;
a person's file or a case already open is brought to the front instead of opened twice.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QWidget

from liaison.core.enums import CaseType, VisitKind

if TYPE_CHECKING:
    from liaison.gui.case_dialogs import NewModificationDialog, NewReferralDialog
    from liaison.gui.case_window import CaseWindow
    from liaison.gui.context import GuiContext
    from liaison.gui.person_file import PersonFileDialog
    from liaison.gui.visit_form import VisitDialog

_OPEN = "open_windows"


def _registry(ctx: GuiContext) -> dict[object, QWidget]:
    return ctx.workspace.cache.setdefault(_OPEN, {})  # type: ignore[no-any-return]


def open_person_file(
    ctx: GuiContext,
    parent: QWidget | None,
    person_id: uuid.UUID | None = None,
    *,
    section: str | None = None,
) -> PersonFileDialog:
    """The file of `person_id`, or an empty form for a new person when None."""
    from liaison.gui.person_file import PersonFileDialog

    windows = _registry(ctx)
    key = ("person", person_id)
    existing = windows.get(key) if person_id is not None else None
    if existing is not None and existing.isVisible():
        dialog = existing
    else:
        dialog = PersonFileDialog(ctx, person_id, parent)
        _keep_until_closed(ctx, dialog)
        if person_id is not None:
            windows[key] = dialog
        else:
            # once a new person is saved, this window is that person's file
            dialog.saved.connect(lambda pid, d=dialog: windows.setdefault(("person", pid), d))
        dialog.finished.connect(lambda _r, d=dialog: _forget(windows, d))
    if section:
        dialog.select_section(section)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


def _keep_until_closed(ctx: GuiContext, dialog: QDialog) -> None:
    """A window opened without a parent would be collected at once; one with a parent would
    live on hidden. Held here until closed, then freed."""
    held = ctx.workspace.cache.setdefault("held_windows", set())
    held.add(dialog)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.finished.connect(lambda _r, d=dialog: held.discard(d))


def _forget(windows: dict[object, QWidget], dialog: QWidget) -> None:
    for key in [k for k, d in windows.items() if d is dialog]:
        del windows[key]


def open_visit_form(
    ctx: GuiContext,
    parent: QWidget | None,
    person_id: uuid.UUID | None = None,
    *,
    kind: VisitKind | None = None,
    next_people: list[uuid.UUID] | None = None,
) -> VisitDialog:
    """A new visit for `person_id` (or with a person picker when None); `next_people` are
    the people "save and next" moves on to."""
    from liaison.gui.visit_form import VisitDialog

    dialog = VisitDialog(ctx, person_id, parent, kind=kind, next_people=next_people)
    _keep_until_closed(ctx, dialog)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


def _owner(parent: QWidget | None) -> QWidget | None:
    """The window a case window belongs to: the main window, not the file or form it was
    opened from (closing that one must not take the case window with it)."""
    while isinstance(parent, QDialog):
        parent = parent.parentWidget()
    return parent


def _bring_up(window: QWidget) -> None:
    window.show()
    window.raise_()
    window.activateWindow()


def open_case(
    ctx: GuiContext, parent: QWidget | None, case_type: CaseType, case_id: uuid.UUID
) -> CaseWindow:
    """The window of one modification case or referral; one per case."""
    from liaison.gui.case_window import CaseWindow

    windows = _registry(ctx)
    key = ("case", CaseType(case_type), case_id)
    existing = windows.get(key)
    if existing is not None and existing.isVisible():
        window = existing
    else:
        window = CaseWindow(ctx, CaseType(case_type), case_id, _owner(parent))
        _keep_until_closed(ctx, window)
        windows[key] = window
        window.finished.connect(lambda _r, w=window: _forget(windows, w))
    _bring_up(window)
    return window  # type: ignore[return-value]


def open_new_modification(
    ctx: GuiContext,
    parent: QWidget | None,
    person_id: uuid.UUID,
    need_id: uuid.UUID | None = None,
) -> NewModificationDialog:
    """申请无障碍改造 for a person (from one of their needs, or directly); once saved, the
    new case opens in its own window."""
    from liaison.gui.case_dialogs import NewModificationDialog

    dialog = NewModificationDialog(ctx, person_id, need_id, parent)
    _keep_until_closed(ctx, dialog)
    dialog.saved.connect(
        lambda case_id: open_case(ctx, parent, CaseType.MODIFICATION, case_id))
    _bring_up(dialog)
    return dialog


def open_new_referral(
    ctx: GuiContext,
    parent: QWidget | None,
    person_id: uuid.UUID,
    need_id: uuid.UUID | None = None,
) -> NewReferralDialog:
    """康复转介 of one of a person's rehabilitation or assistive-device needs (`need_id`
    preselected); once saved, the referral opens in its own window."""
    from liaison.gui.case_dialogs import NewReferralDialog

    dialog = NewReferralDialog(ctx, person_id, need_id, parent)
    _keep_until_closed(ctx, dialog)
    dialog.saved.connect(
        lambda referral_id: open_case(ctx, parent, CaseType.REFERRAL, referral_id))
    _bring_up(dialog)
    return dialog
