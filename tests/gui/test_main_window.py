"""The main window: navigation, shortcuts, status bar, font size, closing, and the officer's
whole loop done by keyboard alone."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton
from sqlalchemy import select

from liaison.core.enums import NeedKind
from liaison.core.models import Need, Person
from liaison.core.rules.idnumber import compose_id_number
from liaison.core.services import workspace as workspace_service
from liaison.core.services.tasks import TaskKind
from liaison.gui import windows
from liaison.gui.app import BASE_POINT_SIZE, apply_font_scale
from liaison.gui.context import GuiContext
from liaison.gui.dialogs import UnsavedChoice
from liaison.gui.main_window import PAGES, MainWindow
from liaison.gui.pages.cases import ModificationPage, ReferralPage
from liaison.gui.pages.exchange import ExchangePage
from liaison.gui.pages.planned import PLANNED, PlannedPage
from liaison.gui.pages.roster import RosterPage
from liaison.gui.pages.work_queue import WorkQueuePage
from liaison.gui.person_file import PersonFileDialog
from liaison.gui.visit_form import VisitDialog
from tests.gui.conftest import TODAY, type_text

SETUP = workspace_service.VillageSetup(
    county_code="220202", county_name="昌邑区", township_code="220202100", township_name="桦皮厂镇",
    village_code="220202100001", village_name="两家子村", officer_name="李秀梅",
    officer_username="lixm", officer_password="village-pass-1", admin_password="admin-pass-1",
)


@pytest.fixture
def officer_ctx(workspace, gui_settings, qapp):
    """A village workspace worked by its officer, with a clock the test can move."""
    with workspace.uow() as uow:
        officer = workspace_service.setup_village_workspace(uow, workspace.system_actor, SETUP)
        uow.commit()
    clock = {"today": TODAY}
    ctx = GuiContext(workspace, officer, gui_settings, clock=lambda: clock["today"], auto_backups=False)
    ctx.test_clock = clock  # type: ignore[attr-defined]
    yield ctx
    from liaison.gui.ops import wait_for_background_work

    wait_for_background_work()


@pytest.fixture
def window(qtbot, officer_ctx):
    win = MainWindow(officer_ctx)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.pages["queue"].queue is not None, timeout=5000)
    yield win
    for dialog in QApplication.topLevelWidgets():
        if isinstance(dialog, (PersonFileDialog, VisitDialog)) and dialog.isVisible():
            dialog.mark_clean() if hasattr(dialog, "mark_clean") else None
            dialog.close()


def focused():
    return QApplication.focusWidget()


def back_to(qtbot, window):
    """What the window manager does when a dialog closes (the offscreen platform does not)."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


def press(qtbot, key, modifiers=Qt.KeyboardModifier.NoModifier, step=""):
    """A key press where the keyboard focus is, as a person's key goes."""
    widget = focused()
    assert widget is not None, f"nothing has the keyboard focus ({step})"
    qtbot.keyClick(widget, key, modifiers)


def top_level(kind):
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
    return found[-1] if found else None


def test_navigation_has_every_page_and_ctrl_digits_switch(qtbot, window):
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == [t for _k, t in PAGES]
    for index, (key, _title) in enumerate(PAGES, start=1):
        qtbot.keyClick(window, Qt.Key(Qt.Key.Key_0 + index), Qt.KeyboardModifier.ControlModifier)
        assert window.current_page() is window.pages[key]


def test_pages_not_built_yet_say_so_and_offer_no_buttons(qtbot, window):
    assert not any(isinstance(page, PlannedPage) for page in window.pages.values())
    PLANNED["later"] = ("以后的功能", ["说明"])
    try:
        page = PlannedPage("later")
        qtbot.addWidget(page)
        texts = " ".join(label.text() for label in page.findChildren(QLabel))
        assert "尚在开发中" in texts
        assert page.findChildren(QPushButton) == []
    finally:
        del PLANNED["later"]


def test_the_exchange_page_is_built(qtbot, window):
    assert isinstance(window.pages["exchange"], ExchangePage)


def test_case_pages_are_the_case_lists(qtbot, window):
    modification = window.pages["modification"]
    referral = window.pages["referral"]
    assert isinstance(modification, ModificationPage) and isinstance(referral, ReferralPage)
    qtbot.waitUntil(lambda: modification.result is not None and referral.result is not None, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page() is modification
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page() is referral
    assert referral.count_label.text() == "没有符合条件的案件"


def test_status_bar_names_the_workspace_user_and_counts(qtbot, window):
    assert window.status_workspace.text() == "桦皮厂镇两家子村"
    assert window.status_user.text() == "李秀梅（村（社区）专职委员）"
    assert window.status_counts.text().startswith("在册 0 人")
    assert "逾期待办 0 项" in window.status_counts.text()


def test_ctrl_f_goes_to_the_roster_search(qtbot, window):
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    roster = window.pages["roster"]
    assert window.current_page() is roster
    assert focused() is roster.search


def test_ctrl_n_and_ctrl_shift_v_open_the_forms(qtbot, window, monkeypatch):
    opened = []
    monkeypatch.setattr(windows, "open_person_file", lambda c, p, pid=None, **kw: opened.append(("person", pid)))
    monkeypatch.setattr(windows, "open_visit_form", lambda c, p, pid=None, **kw: opened.append(("visit", pid)))
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert opened == [("person", None), ("visit", None)]


def test_font_size_applies_at_once_and_is_remembered(qtbot, window, officer_ctx, qapp):
    settings_page = window.show_page("settings")
    try:
        settings_page.font_scale.set_value(200)
        assert QApplication.font().pointSizeF() == pytest.approx(BASE_POINT_SIZE * 2)
        assert officer_ctx.settings.font_scale == 200
        assert window.nav.font().pointSizeF() == pytest.approx(BASE_POINT_SIZE * 2)
    finally:
        apply_font_scale(qapp, 100)


def test_closing_with_an_unsaved_form_asks_first(qtbot, window, recorder):
    window.new_person()
    dialog = top_level(PersonFileDialog)
    type_text(dialog.form.fields["name"], "张三")
    recorder.unsaved_answers = [UnsavedChoice.CANCEL]
    assert not window.close()
    assert window.isVisible() and dialog.isVisible()
    recorder.unsaved_answers = [UnsavedChoice.DISCARD]
    assert window.close()
    assert not dialog.isVisible()


def test_the_officers_day_by_keyboard_alone(qtbot, window, officer_ctx, recorder):
    """New person → save → record a visit that raises a need → the need's alert appears in
    the work queue once it is due."""
    ws = officer_ctx.workspace
    number = compose_id_number("220202", date(1985, 7, 12), 33)  # male

    # Ctrl+N: a new file; the name arrives from the input method, the rest is typed
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = top_level(PersonFileDialog)
    qtbot.waitUntil(lambda: focused() is dialog.form.fields["name"])  # the new window is active
    type_text(focused(), "张三")
    press(qtbot, Qt.Key.Key_Tab)
    type_text(focused(), number)
    for _field in ("sex", "birth_date", "ethnicity", "phone", "area_id"):
        press(qtbot, Qt.Key.Key_Tab)
    assert focused() is dialog.form.fields["area_id"]
    press(qtbot, Qt.Key.Key_Down)  # the officer's one village
    for _field in ("hukou", "address", "cert_number", "cert_issued_on"):
        press(qtbot, Qt.Key.Key_Tab)
    assert focused() is dialog.form.fields["cert_issued_on"]
    type_text(focused(), "2020-05-01")
    press(qtbot, Qt.Key.Key_Tab)
    type_text(focused(), "2030-05-01")
    press(qtbot, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)  # 残疾情况
    category = focused()
    for _step in range(4):  # 肢体残疾
        qtbot.keyClick(category, Qt.Key.Key_Down)
    qtbot.keyClick(category, Qt.Key.Key_Tab)
    for _step in range(3):  # 三级
        press(qtbot, Qt.Key.Key_Down)
    with qtbot.waitSignal(dialog.saved) as saved:
        press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert recorder.errors == []
    person_id = saved.args[0]
    press(qtbot, Qt.Key.Key_Escape)  # nothing unsaved: closes without asking
    assert not dialog.isVisible()
    back_to(qtbot, window)

    # Ctrl+F, type the initials, Down into the list, Ctrl+Shift+V: a visit for that person
    roster = window.pages["roster"]
    assert isinstance(roster, RosterPage)
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    with qtbot.waitSignal(roster.results_shown, timeout=5000):
        qtbot.keyClicks(focused(), "zs")
    press(qtbot, Qt.Key.Key_Down)
    assert roster.selected_person() == person_id
    press(qtbot, Qt.Key.Key_V,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    visit = top_level(VisitDialog)
    assert visit is not None and "张三" in visit.header.name.text()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is visit)

    # Alt+A adds a need row with the cursor in it; choose its kind and describe it
    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: len(visit.needs.rows) == 1)
    row = visit.needs.rows[0]
    assert focused() is row.kind
    wanted = row.kind.findText("辅助器具")
    for _step in range(wanted - row.kind.currentIndex()):
        qtbot.keyClick(row.kind, Qt.Key.Key_Down)
    assert row.kind.currentText() == "辅助器具"
    qtbot.keyClick(row.kind, Qt.Key.Key_Tab)
    type_text(focused(), "需要轮椅")
    with qtbot.waitSignal(visit.saved):
        press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    back_to(qtbot, window)
    with ws.uow() as uow:
        [need] = uow.session.scalars(select(Need).where(Need.person_id == person_id)).all()
        assert (need.kind, need.detail, need.raised_on) == (NeedKind.ASSISTIVE_DEVICE, "需要轮椅", TODAY)

    # today the need is fresh: no alert in the work queue
    queue = window.pages["queue"]
    assert isinstance(queue, WorkQueuePage)
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    with qtbot.waitSignal(queue.loaded, timeout=5000):
        qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)
    assert not [t for t in queue.queue.tasks if t.kind is TaskKind.NEED_ALERT]

    # thirty days on, still open: the alert is there, and Enter on it opens the file's needs
    officer_ctx.test_clock["today"] = TODAY + timedelta(days=30)
    with qtbot.waitSignal(queue.loaded, timeout=5000):
        qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)
    alerts = [t for t in queue.queue.tasks if t.kind is TaskKind.NEED_ALERT]
    assert [(t.person_id, t.days_overdue) for t in alerts] == [(person_id, 30)]
    assert "辅助器具需求（待办）已 30 天未解决" in alerts[0].detail
    with ws.uow() as uow:
        assert uow.session.get(Person, person_id).name == "张三"


def test_closing_saves_the_window_geometry(qtbot, window, officer_ctx):
    window.resize(900, 700)
    assert window.close()
    assert officer_ctx.settings.window_geometry() is not None


def test_the_demo_workspace_acts_for_the_whole_county(qtbot, workspace, gui_settings, qapp):
    from liaison.core.demo import build_demo

    build_demo(workspace.engine, workspace.rules, workspace.device_id, persons=60, seed=2, today=TODAY)
    with workspace.uow() as uow:
        actor = workspace_service.workspace_actor(uow, workspace.system_actor)
    assert actor.scope_area_ids is None
    ctx = GuiContext(workspace, actor, gui_settings, clock=lambda: TODAY, auto_backups=False)
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.pages["queue"].queue is not None, timeout=5000)
    assert win.status_workspace.text() == "演示数据（昌邑区）"
    assert "在册" in win.status_counts.text()
    assert date.today()  # the window uses ctx.today(), not the calendar
