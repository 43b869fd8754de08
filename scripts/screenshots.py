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
    from PySide6.QtCore import Qt

    from liaison.gui.pages.cases import COL_NAME, ModificationPage, ReferralPage

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
    referral.table.sortByColumn(COL_NAME, Qt.SortOrder.AscendingOrder)  # by pinyin
    settle(app)
    shoot(window, out / f"page-referral-by-name-{suffix}.png")
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


def shoot_reports_page(app: QApplication, window: MainWindow, out: Path, suffix: str) -> None:
    """报表: last month's report of the first township previewed, then the roster's options."""
    from liaison.gui.pages.reports import ReportKind, ReportsPage

    page = window.show_page("reports")
    assert isinstance(page, ReportsPage)
    page.choose(ReportKind.MONTHLY)
    area = page.monthly_area
    townships = [i for i in range(area.count()) if area.itemText(i).endswith("镇")]
    if townships:
        area.setCurrentIndex(townships[0])
    page.checked_by.setText("张主任")
    page.generate()
    while page.running:
        settle(app, 50)
    settle(app, 300)
    shoot(window, out / f"reports-monthly-{suffix}.png")
    page.choose(ReportKind.ROSTER)
    settle(app)
    shoot(window, out / f"reports-roster-{suffix}.png")
    page.choose(ReportKind.MONTHLY)


def shoot_exchange_page(app: QApplication, out: Path, suffix: str) -> None:
    """数据交换 at a village device (a package sent, not yet acknowledged) and at the county
    hub (the import report of that package, then a conflict and a duplicate person side by
    side). Two small workspaces of their own; keys in passphrase files, as without a keyring."""
    from datetime import date

    from liaison.core import secrets
    from liaison.core.enums import AreaLevel, ContactMode, NeedKind, VisitKind
    from liaison.core.services import areas, persons, visits
    from liaison.gui.pages.exchange import ExchangePage
    from liaison.sync import exchange
    from liaison.sync.package import peek_header
    from tests.core.services.helpers import person_input

    secrets.keyring_usable = lambda: False  # type: ignore[assignment]  # a script: never the real keyring
    os.environ.setdefault(secrets.PASSPHRASE_ENV, "screenshots only")
    work = Path(tempfile.mkdtemp())
    today = date.today()
    sites = {}
    for name in ("county", "village"):
        (work / name).mkdir()
        ws = open_workspace(f"sqlite:///{work / name / 'liaison.db'}")
        with ws.uow() as uow:
            for code, area_name, level, parent in (
                    ("220202", "昌邑区", AreaLevel.COUNTY, None), ("220202100", "桦皮厂镇", AreaLevel.TOWNSHIP, "220202"),
                    ("220202100001", "两家子村", AreaLevel.VILLAGE, "220202100"),
                    ("220202100002", "前进村", AreaLevel.VILLAGE, "220202100")):
                areas.create_area(uow, ws.system_actor, code=code, name=area_name, level=level, parent_code=parent)
            uow.commit()
        sites[name] = (ws, exchange.secret_store(ws))
    (county, county_store), (village, village_store) = sites["county"], sites["village"]

    def add(ws, code, name, sequence, phone=None):  # type: ignore[no-untyped-def]
        with ws.uow() as uow:
            area = areas.get_area_by_code(uow, code)
            saved = persons.create_person(uow, ws.system_actor, person_input(
                area.id, name=name, sequence=sequence, phone=phone), today=today)
            uow.commit()
        return saved.person_id

    def phone(ws, person_id, number):  # type: ignore[no-untyped-def]
        with ws.uow() as uow:
            data = persons.PersonInput.from_person(persons.load_person(uow, ws.system_actor, person_id))
            data.phone = number
            persons.update_person(uow, ws.system_actor, person_id, data, expected_version=None, today=today)
            uow.commit()

    with county.uow() as uow:  # not joined yet: how to join, or (county staff) set up the hub
        actor = workspace_actor(uow, county.system_actor)
    window = MainWindow(GuiContext(county, actor, GuiSettings(work / "join.ini")))
    window.resize(1366, 740)
    window.show()
    window.show_page("exchange")
    settle(app, 300)
    shoot(window, out / f"exchange-join-{suffix}.png")
    window.close()
    exchange.hub_init(county, county_store, work / "SETUP.json", county_name="昌邑区")
    exchange.enrol(village, village_store, work / "SETUP.json", area_code="220202100001")
    wang = add(village, "220202100001", "王秀兰", 31, "13904321001")
    add(village, "220202100001", "李桂芝", 32)
    first = exchange.export_changes(village, village_store, work)
    device = peek_header(first.path).sender_keys.fingerprint
    exchange.import_package(county, county_store, first.path, accept_device=device, today=today)
    [reply] = exchange.write_replies(county, county_store, work)
    exchange.import_package(village, village_store, reply.path, today=today)
    phone(county, wang, "13904321002")
    phone(village, wang, "13904321003")
    add(county, "220202100002", "赵德明", 77)
    moved = add(village, "220202100001", "赵德明", 77)
    with village.uow() as uow:
        visits.record_visit(uow, village.system_actor, visits.VisitInput(
            person_id=moved, visit_date=today, kind=VisitKind.ROUTINE, contact_mode=ContactMode.HOME,
            visitor_name="李专委", needs=[visits.NeedInput(NeedKind.REHABILITATION, "需要康复训练")]), today=today)
        uow.commit()
    add(village, "220202100001", "孙玉芳", 33)
    (work / "stick").mkdir()
    second = exchange.export_changes(village, village_store, work / "stick")

    for name, ws in (("device", village), ("hub", county)):
        with ws.uow() as uow:
            actor = workspace_actor(uow, ws.system_actor)
        window = MainWindow(GuiContext(ws, actor, GuiSettings(work / f"{name}.ini")))
        window.resize(1366, 740)
        window.show()
        page = window.show_page("exchange")
        assert isinstance(page, ExchangePage)
        settle(app, 300)
        if name == "device":
            shoot(window, out / f"exchange-device-{suffix}.png")
        else:
            page.import_files([second.path])
            while page.running:
                settle(app, 50)
            settle(app, 300)
            shoot(window, out / f"exchange-hub-report-{suffix}.png")
            page.tabs.setCurrentWidget(page.review_tab)
            page.review_list.setCurrentRow(0)
            page.reveal_tabs()
            settle(app)
            shoot(window, out / f"exchange-hub-conflict-{suffix}.png")
            page.review_list.setCurrentRow(1)
            settle(app)
            shoot(window, out / f"exchange-hub-duplicate-{suffix}.png")
            page.tabs.setCurrentWidget(page.devices_tab)
            settle(app)
            shoot(window, out / f"exchange-hub-devices-{suffix}.png")
        window.close()
        settle(app)
    wait_for_background_work()
    county.close()
    village.close()


def shoot_protection(app: QApplication, ctx: GuiContext, window: MainWindow, out: Path, suffix: str) -> None:
    """Login, the idle lock over the window, accounts, passwords, backups, the recovery code."""
    from liaison.core.backups import make_backup
    from liaison.core.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
    from liaison.gui.accounts import AccountsDialog, PasswordDialog, UserFormDialog
    from liaison.gui.backups import RestoreDialog
    from liaison.gui.login import (
        FirstAdminDialog,
        LoginDialog,
        RecoveryCodeDialog,
        RecoveryEntryDialog,
        demo_login_hint,
    )

    ws = ctx.workspace
    dialogs: list[tuple[str, QWidget]] = [
        ("login", LoginDialog(ws, username="v0001", hint=demo_login_hint(DEMO_ACCOUNTS, DEMO_PASSWORD))),
        ("first-admin", FirstAdminDialog(ws)),
        ("recovery-code", RecoveryCodeDialog(ws.recovery_code() or "", workspace="演示数据", path=ws.url)),
        ("recovery-entry", RecoveryEntryDialog(ws.url, lambda code: None)),
        ("accounts", AccountsDialog(ctx)),
        ("account-new", UserFormDialog(ctx)),
        ("password-own", PasswordDialog(ctx)),
    ]
    make_backup(ws, reason="manual")
    dialogs.append(("restore", RestoreDialog(ctx)))
    for name, dialog in dialogs:
        dialog.show()
        settle(app)
        shoot(dialog, out / f"protect-{name}-{suffix}.png")
        if name == "login":
            dialog.password.setText("wrong-password")  # type: ignore[attr-defined]
            dialog.accept()  # type: ignore[attr-defined]
            settle(app)
            shoot(dialog, out / f"protect-login-wrong-{suffix}.png")
        dialog.hide()
        dialog.deleteLater()
    window.show_page("settings")
    window.lock()
    settle(app)
    shoot(window, out / f"protect-locked-window-{suffix}.png")
    shoot(window.idle_lock.dialog, out / f"protect-lock-dialog-{suffix}.png")  # type: ignore[arg-type]
    window.idle_lock.dialog.password.setText(DEMO_PASSWORD)  # type: ignore[union-attr]
    window.idle_lock.dialog.try_unlock()  # type: ignore[union-attr]
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
    from liaison.core.demo import DEMO_PASSWORD
    from liaison.core.services.accounts import authenticate

    actor = authenticate(ws.uow, "admin", DEMO_PASSWORD, device_id=ws.device_id)
    with ws.uow() as uow:
        someone = search_people(uow, actor, SearchQuery(text="", has_open_need=True, limit=1)).rows[0]
    settings = GuiSettings(work / "gui.ini")
    ctx = GuiContext(ws, actor, settings, auto_backups=False)
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
        shoot_reports_page(app, window, args.out, suffix)
        shoot_exchange_page(app, args.out, suffix)
        shoot_protection(app, ctx, window, args.out, suffix)
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
