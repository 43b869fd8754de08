"""Render every screen of the window to PNG, at 100% and 200% font size, for a person to look
at (nothing clipped, Chinese whole). Offscreen; no display needed.

    .venv/bin/python scripts/screenshots.py OUT_DIR [--persons N]

The offscreen screen is set to 1366×768, a common old laptop: at 200% everything must fit it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

SCREEN = {"screens": [{"name": "laptop", "x": 0, "y": 0, "width": 1366, "height": 768,
                       "logicalDpiX": 96, "logicalDpiY": 96, "dpr": 1}]}
_config = Path(tempfile.mkdtemp()) / "offscreen.json"
_config.write_text(json.dumps(SCREEN))
os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_config}"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from liaison.bootstrap import open_workspace  # noqa: E402
from liaison.core.demo import build_demo  # noqa: E402
from liaison.core.services.search import SearchQuery, search_people  # noqa: E402
from liaison.core.services.workspace import workspace_actor  # noqa: E402
from liaison.gui.app import apply_font_scale, create_application  # noqa: E402
from liaison.gui.context import GuiContext  # noqa: E402
from liaison.gui.main_window import PAGES, MainWindow  # noqa: E402
from liaison.gui.ops import wait_for_background_work  # noqa: E402
from liaison.gui.person_file import PersonFileDialog  # noqa: E402
from liaison.gui.settings import GuiSettings  # noqa: E402
from liaison.gui.visit_form import VisitDialog  # noqa: E402
from liaison.gui.welcome import WelcomeDialog  # noqa: E402

SECTIONS = ("identity", "disability", "family", "economy", "insurance", "work", "needs", "visits",
            "cases", "history")


def settle(app: QApplication, ms: int = 150) -> None:
    """Let background loads finish and the layout catch up."""
    wait_for_background_work()
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()
    app.processEvents()


def shoot(widget: QWidget, path: Path) -> None:
    widget.grab().save(str(path))
    print(path)


def shoot_case_pages(app: QApplication, window: MainWindow, out: Path, suffix: str) -> None:
    """The two case lists filtered by a stage count, the priority list, the target dialog
    and the 定点机构 list."""
    from liaison.gui.pages.cases import ModificationPage, ReferralPage

    modification = window.show_page("modification")
    assert isinstance(modification, ModificationPage)
    modification.choose_overdue()
    settle(app)
    shoot(window, out / f"page-modification-overdue-{suffix}.png")
    modification.choose_stage(None)
    modification.tabs.setCurrentIndex(1)
    settle(app)
    shoot(window, out / f"page-modification-priority-{suffix}.png")
    modification.tabs.setCurrentIndex(0)
    dialog = modification.edit_target()
    if dialog is not None:
        settle(app)
        shoot(dialog, out / f"modification-target-{suffix}.png")
        dialog.close()
    referral = window.show_page("referral")
    assert isinstance(referral, ReferralPage)
    referral.choose_stage("in_service")
    settle(app)
    shoot(window, out / f"page-referral-in-service-{suffix}.png")
    referral.choose_stage(None)
    institutions = referral.show_institutions()
    settle(app)
    shoot(institutions, out / f"institutions-{suffix}.png")
    institutions.close()
    settle(app)


def shoot_case_windows(app: QApplication, ctx: GuiContext, out: Path, suffix: str) -> None:
    """A modification case in 施工 with its items and two photos, a 辅具适配 referral, the
    评估 step with items typed in, and the 案例与转介 section of the person's file."""
    from PySide6.QtGui import QColor, QImage
    from sqlalchemy import select

    from liaison.core.enums import (
        AttachmentRole,
        CaseType,
        ModificationStage,
        ReferralServiceKind,
        ReferralState,
    )
    from liaison.core.models import Attachment, HomeModificationCase, RehabReferral
    from liaison.core.services.attachments import attach_file
    from liaison.gui.case_window import CaseWindow

    ws = ctx.workspace
    with ws.uow() as uow:
        built = uow.session.scalars(select(HomeModificationCase).where(
            HomeModificationCase.stage == ModificationStage.CONSTRUCTION)).first()
        applied = uow.session.scalars(select(HomeModificationCase).where(
            HomeModificationCase.stage == ModificationStage.APPLIED)).first()
        device = uow.session.scalars(select(RehabReferral).where(
            RehabReferral.service_kind == ReferralServiceKind.DEVICE_FITTING,
            RehabReferral.state == ReferralState.IN_SERVICE)).first()
        built_id, person_id = built.id, built.person_id  # type: ignore[union-attr]
        applied_id = applied.id if applied else None
        device_id = device.id if device else None
    photos = Path(tempfile.mkdtemp())
    with ws.uow() as uow:
        already = uow.session.scalars(select(Attachment.id).where(Attachment.case_id == built_id)).first()
        for name, role, colour in (("入户勘测-卫生间.png", AttachmentRole.SURVEY, "#7da7d9"),
                                   ("改造前-门槛.png", AttachmentRole.BEFORE, "#c9a06b")):
            if already is not None:
                break  # attached in the first round
            image = QImage(64, 48, QImage.Format.Format_RGB32)
            image.fill(QColor(colour))
            image.save(str(photos / name))
            attach_file(uow, ctx.actor, ws.files, case_type=CaseType.MODIFICATION, case_id=built_id,
                        source=photos / name, role=role, note="门口与卫生间" if role is AttachmentRole.SURVEY
                        else None, today=ctx.today())
        uow.commit()

    case = CaseWindow(ctx, CaseType.MODIFICATION, built_id)
    case.show()
    settle(app)
    shoot(case, out / f"case-modification-{suffix}.png")
    case.scroll_area.verticalScrollBar().setValue(case.scroll_area.verticalScrollBar().maximum())
    settle(app, 80)
    shoot(case, out / f"case-modification-bottom-{suffix}.png")
    case.close()
    if device_id is not None:
        referral = CaseWindow(ctx, CaseType.REFERRAL, device_id)
        referral.show()
        settle(app)
        shoot(referral, out / f"case-device-{suffix}.png")
        referral.close()
    if applied_id is not None:
        window = CaseWindow(ctx, CaseType.MODIFICATION, applied_id)
        window.show()
        settle(app)
        step = window.start_step(window.view.actions[0])  # type: ignore[union-attr]
        assert step is not None and step.items_editor is not None
        editor = step.items_editor
        for n, (code, quantity) in enumerate((("ramp", "3"), ("grab_bar", "4"), ("stove", "2"),
                                              ("other", "1"))):
            line = editor.lines[n] if n < len(editor.lines) else editor.add_line()
            line.item.set_value(code)
            line.quantity.setText(quantity)
            if code == "other":
                line.name.setText("床边扶手（加长）")
                line.unit.setText("套")
                line.unit_cost.setText("1,350")
        settle(app)
        shoot(step, out / f"case-step-assess-{suffix}.png")
        step.mark_clean()
        step.close()
        window.close()
    person = PersonFileDialog(ctx, person_id)
    person.show()
    person.select_section("cases")
    settle(app)
    shoot(person, out / f"case-person-cases-{suffix}.png")
    person.select_section("needs")
    settle(app, 80)
    shoot(person, out / f"case-person-needs-{suffix}.png")
    person.close()
    settle(app)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--persons", type=int, default=600)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = create_application()
    work = Path(tempfile.mkdtemp())
    ws = open_workspace(f"sqlite:///{work / 'demo.db'}")
    build_demo(ws.engine, ws.rules, ws.device_id, persons=args.persons, seed=3)
    with ws.uow() as uow:
        actor = workspace_actor(uow, ws.system_actor)
        someone = search_people(uow, actor, SearchQuery(text="", has_open_need=True, limit=1)).rows[0]
    settings = GuiSettings(work / "gui.ini")
    ctx = GuiContext(ws, actor, settings)
    for scale in (100, 200):
        apply_font_scale(app, scale)
        suffix = f"{scale}"
        window = MainWindow(ctx)
        window.resize(1366, 740)
        window.show()
        settle(app, 400)
        for key, _title in PAGES:
            window.show_page(key)
            settle(app)
            shoot(window, args.out / f"page-{key}-{suffix}.png")
        shoot_case_pages(app, window, args.out, suffix)
        shoot_case_windows(app, ctx, args.out, suffix)
        window.show_page("roster").search.setText("wang")  # type: ignore[attr-defined]
        settle(app, 400)
        shoot(window, args.out / f"page-roster-search-{suffix}.png")

        person = PersonFileDialog(ctx, someone.id)
        person.show()
        settle(app)
        for section in SECTIONS:
            person.select_section(section)
            settle(app, 80)
            shoot(person, args.out / f"person-{section}-{suffix}.png")
        person.close()
        new = PersonFileDialog(ctx, None)
        new.show()
        new.form.fields["id_number"].setText("22020219850712033")  # type: ignore[attr-defined]
        settle(app)
        shoot(new, args.out / f"person-new-{suffix}.png")
        new._set_dirty(False)  # noqa: SLF001 - a script, not a person: no question on close
        new.close()

        visit = VisitDialog(ctx, someone.id, None)
        visit.show()
        visit.add_need()
        visit.add_follow_up()
        settle(app)
        shoot(visit, args.out / f"visit-{suffix}.png")
        visit.mark_clean()
        visit.close()
        picker = VisitDialog(ctx, None, None)
        picker.show()
        settle(app)
        shoot(picker, args.out / f"visit-picker-{suffix}.png")
        picker.mark_clean()
        picker.close()

        welcome = WelcomeDialog()
        welcome.show()
        settle(app)
        shoot(welcome, args.out / f"welcome-{suffix}.png")
        welcome.close()
        window.close()
    wait_for_background_work()
    ws.close()
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    # several windows were built and torn down in one process: skip the interpreter's
    # unordered teardown of Qt wrappers, which is not what the program itself does
    os._exit(code)
