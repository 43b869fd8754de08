"""The window's protection: logging in, the idle lock that keeps unsaved forms, the
administrator's accounts, one's own password, backups and restore, the recovery code."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from liaison.core.enums import UserRole
from liaison.core.models import Person
from liaison.core.models.base import utcnow
from liaison.core.services import accounts
from liaison.core.services import workspace as workspace_service
from liaison.gui.accounts import AccountsDialog, PasswordDialog, UserFormDialog
from liaison.gui.backups import BackupBox, RestoreDialog
from liaison.gui.context import GuiContext
from liaison.gui.dialogs import UnsavedChoice
from liaison.gui.idle_lock import Curtain, IdleLock, LockDialog
from liaison.gui.login import FirstAdminDialog, LoginDialog, RecoveryCodeDialog, RecoveryEntryDialog
from liaison.gui.main_window import MainWindow
from liaison.gui.ops import wait_for_background_work
from liaison.gui.pages.settings import SettingsPage
from liaison.gui.windows import open_person_file
from tests.gui.conftest import TODAY, type_text

SETUP = workspace_service.VillageSetup(
    county_code="220202", county_name="昌邑区", township_code="220202100", township_name="桦皮厂镇",
    village_code="220202100001", village_name="两家子村", officer_name="李秀梅",
    officer_username="lixm", officer_password="village-pass-1", admin_password="admin-pass-1",
)


@pytest.fixture
def village(workspace):
    """A village workspace set up as the welcome form does: admin and officer logins."""
    with workspace.uow() as uow:
        officer = workspace_service.setup_village_workspace(uow, workspace.system_actor, SETUP)
        uow.commit()
    return officer


def login(workspace, username, password):
    return accounts.authenticate(workspace.uow, username, password, device_id=workspace.device_id)


@pytest.fixture
def officer_ctx(workspace, village, gui_settings, qapp):
    ctx = GuiContext(workspace, login(workspace, "lixm", "village-pass-1"), gui_settings,
                     clock=lambda: TODAY, auto_backups=False)
    yield ctx
    wait_for_background_work()


@pytest.fixture
def admin_ctx(workspace, village, gui_settings, qapp):
    ctx = GuiContext(workspace, login(workspace, "admin", "admin-pass-1"), gui_settings,
                     clock=lambda: TODAY, auto_backups=False)
    yield ctx
    wait_for_background_work()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def visible_curtains():
    return [c for w in QApplication.topLevelWidgets() for c in w.findChildren(Curtain) if c.isVisible()]


# --- login ----------------------------------------------------------------------------------


def test_login_names_a_wrong_password_and_lets_the_right_one_in(qtbot, workspace, village):
    dialog = LoginDialog(workspace, username="lixm")
    qtbot.addWidget(dialog)
    dialog.show()
    type_text(dialog.password, "wrong-password")
    dialog.accept()
    assert dialog.actor is None and dialog.isVisible()
    assert "还可再试 4 次" in dialog.message.text()
    assert dialog.password.hasSelectedText() or dialog.password.text() == "wrong-password"
    dialog.password.setText("village-pass-1")
    dialog.accept()
    assert dialog.actor is not None and dialog.actor.username == "lixm"
    assert dialog.actor.role == UserRole.VILLAGE_OFFICER
    assert dialog.password.text() == ""  # nothing of the password stays in the widget


def test_login_after_five_wrong_tries_says_the_account_is_locked(qtbot, workspace, village):
    dialog = LoginDialog(workspace, username="lixm")
    qtbot.addWidget(dialog)
    for _ in range(5):
        dialog.password.setText("nope-nope")
        dialog.accept()
    dialog.password.setText("village-pass-1")
    dialog.accept()
    assert dialog.actor is None
    assert "锁定" in dialog.message.text()


def test_a_workspace_without_an_administrator_gets_one_first(qtbot, workspace, village):
    from liaison.core.models import User

    with workspace.uow() as uow:  # as an earlier version left it: no admin account at all
        admin = uow.session.query(User).filter_by(username="admin").one()
        uow.session.delete(admin)
        uow.commit()
    with workspace.uow() as uow:
        assert accounts.needs_first_admin(uow)
    dialog = FirstAdminDialog(workspace)
    qtbot.addWidget(dialog)
    dialog.password.setText("first-admin-1")
    dialog.again.setText("first-admin-2")
    dialog.accept()
    assert not dialog.created and "不一致" in dialog.form.errors["again"].text()
    dialog.again.setText("first-admin-1")
    dialog.accept()
    assert dialog.created
    assert login(workspace, "admin", "first-admin-1").role == UserRole.ADMIN


# --- the idle lock --------------------------------------------------------------------------


def test_the_idle_lock_covers_every_window_and_keeps_the_unsaved_form(qtbot, officer_ctx, recorder):
    clock = FakeClock()
    lock = IdleLock(officer_ctx, 10, clock=clock)
    form = open_person_file(officer_ctx, None, None)
    qtbot.addWidget(form)
    name = form.form.fields["name"]
    type_text(name, "王小明")
    assert form.is_dirty()
    clock.now += 9 * 60
    lock.check()
    assert not lock.is_locked
    clock.now += 61
    lock.check()
    assert lock.is_locked
    assert isinstance(lock.dialog, LockDialog) and lock.dialog.isVisible()
    assert lock.dialog.isModal()
    assert any(c.parentWidget() is form for c in visible_curtains())
    assert form.isVisible()  # covered, not closed: the form is still there underneath

    lock.dialog.password.setText("not-my-password")
    assert not lock.dialog.try_unlock()
    assert lock.is_locked and "密码不正确" in lock.dialog.message.text()
    lock.dialog.password.setText("village-pass-1")
    assert lock.dialog.try_unlock()
    assert not lock.is_locked and not visible_curtains()
    assert name.text() == "王小明" and form.is_dirty()
    assert form.isVisible()
    recorder.unsaved_answers.append(UnsavedChoice.DISCARD)
    form.close()
    lock.stop()


def test_activity_postpones_the_lock_and_escape_does_not_end_it(qtbot, officer_ctx):
    clock = FakeClock()
    lock = IdleLock(officer_ctx, 3, clock=clock)
    clock.now += 170
    qtbot.keyClick(QApplication.instance().focusWidget() or _any_widget(qtbot), Qt.Key.Key_Shift)
    clock.now += 170
    lock.check()
    assert not lock.is_locked  # the key press 170 s ago counts as being there
    clock.now += 11
    lock.check()
    assert lock.is_locked
    qtbot.keyClick(lock.dialog, Qt.Key.Key_Escape)
    lock.dialog.reject()
    assert lock.is_locked and lock.dialog.isVisible()
    lock.dialog.password.setText("village-pass-1")
    lock.dialog.try_unlock()
    lock.stop()


def _any_widget(qtbot):
    from PySide6.QtWidgets import QLineEdit

    widget = QLineEdit()
    qtbot.addWidget(widget)
    widget.show()
    widget.setFocus()
    return widget


def test_wrong_passwords_at_the_lock_count_toward_the_account_lockout(qtbot, officer_ctx):
    lock = IdleLock(officer_ctx, 10, clock=FakeClock())
    lock.lock()
    for _ in range(5):
        lock.dialog.password.setText("guess-guess")
        lock.dialog.try_unlock()
    lock.dialog.password.setText("village-pass-1")
    assert not lock.dialog.try_unlock()
    assert "锁定" in lock.dialog.message.text()
    with pytest.raises(accounts.AuthError):
        login(officer_ctx.workspace, "lixm", "village-pass-1")
    later = utcnow() + timedelta(minutes=6)
    accounts.verify_password(officer_ctx.workspace.uow, officer_ctx.actor, "village-pass-1", now=later)
    lock.stop()


def test_the_window_locks_with_ctrl_l_and_the_minutes_are_a_setting(qtbot, officer_ctx):
    window = MainWindow(officer_ctx)
    qtbot.addWidget(window)
    window.show()
    settings = window.show_page("settings")
    assert isinstance(settings, SettingsPage)
    settings.idle_minutes.set_value(30)
    assert officer_ctx.settings.idle_lock_minutes == 30 and window.idle_lock.minutes == 30
    # the menu action bound to Ctrl+L (pressing the key is ambiguous while earlier tests'
    # windows, each with the same application shortcut, are still alive)
    lock_action = next(a for a in window.actions() if a.shortcut() == QKeySequence("Ctrl+L"))
    lock_action.trigger()
    assert window.idle_lock.is_locked
    assert any(c.parentWidget() is window for c in visible_curtains())
    window.idle_lock.dialog.password.setText("village-pass-1")
    window.idle_lock.dialog.try_unlock()
    assert not window.idle_lock.is_locked
    assert window.close()


# --- accounts -------------------------------------------------------------------------------


def test_only_the_administrator_sees_the_accounts_button(qtbot, officer_ctx, admin_ctx):
    officer_page = SettingsPage(officer_ctx)
    admin_page = SettingsPage(admin_ctx)
    qtbot.addWidget(officer_page)
    qtbot.addWidget(admin_page)
    assert officer_page.accounts_button.isHidden()
    assert not admin_page.accounts_button.isHidden()
    assert not officer_page.backups.restore_button.isEnabled()


def test_the_administrator_creates_a_second_officer_bound_to_the_village(qtbot, admin_ctx, area_ids):
    dialog = UserFormDialog(admin_ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.username.setText("zhaosi")
    dialog.display_name.setText("赵四")
    dialog.role.set_value(UserRole.VILLAGE_OFFICER)
    names = [dialog.areas.item(i).text() for i in range(dialog.areas.count())]
    assert any("两家子村" in n for n in names)
    dialog.password.setText("zhaosi-pass-1")
    dialog.again.setText("zhaosi-pass-1")
    dialog.accept()
    assert not dialog.saved  # a village officer needs a village
    assert dialog.form.errors["area_ids"].isVisible() or dialog.message.isVisible()
    dialog.areas.item(0).setCheckState(Qt.CheckState.Checked)
    dialog.accept()
    assert dialog.saved
    officer = login(admin_ctx.workspace, "zhaosi", "zhaosi-pass-1")
    assert officer.scope_area_ids == frozenset({area_ids["village"]})

    listing = AccountsDialog(admin_ctx)
    qtbot.addWidget(listing)
    assert "zhaosi" in [listing.table.item(r, 0).text() for r in range(listing.table.rowCount())]


@pytest.fixture
def area_ids(workspace, village):
    from liaison.core.models import Area

    with workspace.uow() as uow:
        return {"village": uow.session.query(Area).filter_by(code="220202100001").one().id}


def test_the_administrator_resets_a_forgotten_password_and_unlocks(qtbot, admin_ctx, recorder):
    for _ in range(5):
        with pytest.raises(accounts.AuthError):
            login(admin_ctx.workspace, "lixm", "forgotten-1")
    listing = AccountsDialog(admin_ctx)
    qtbot.addWidget(listing)
    listing.select_username("lixm")
    row = listing.table.currentRow()
    assert listing.table.item(row, 4).text() == "已锁定"
    assert listing.unlock_button.isEnabled()
    dialog = PasswordDialog(admin_ctx, listing.selected())
    qtbot.addWidget(dialog)
    dialog.new.setText("new-village-1")
    dialog.again.setText("new-village-1")
    dialog.accept()
    assert dialog.saved
    assert login(admin_ctx.workspace, "lixm", "new-village-1").username == "lixm"


def test_changing_ones_own_password_needs_the_old_one(qtbot, officer_ctx):
    dialog = PasswordDialog(officer_ctx)
    qtbot.addWidget(dialog)
    dialog.old.setText("not-the-old-one")
    dialog.new.setText("brand-new-pass")
    dialog.again.setText("brand-new-pass")
    dialog.accept()
    assert not dialog.saved
    dialog.old.setText("village-pass-1")
    dialog.new.setText("short")
    dialog.again.setText("short")
    dialog.accept()
    assert not dialog.saved and "8" in (dialog.form.errors["new_password"].text() + dialog.message.text())
    dialog.new.setText("brand-new-pass")
    dialog.again.setText("brand-new-pass")
    dialog.accept()
    assert dialog.saved
    assert login(officer_ctx.workspace, "lixm", "brand-new-pass").username == "lixm"


# --- backups --------------------------------------------------------------------------------


def _add_person(ctx, name):
    from liaison.core.services.persons import create_person
    from tests.core.services.helpers import person_input

    with ctx.workspace.uow() as uow:
        area = next(iter(ctx.actor.scope_area_ids or ()), None)
        person = create_person(uow, ctx.actor, person_input(area, name=name))
        uow.commit()
    return person.person_id


def test_a_backup_taken_in_the_window_is_restored_and_the_state_before_is_kept(qtbot, admin_ctx, recorder):
    from liaison.core.backups import list_backups

    box = BackupBox(admin_ctx)
    qtbot.addWidget(box)
    assert "还没有备份" in box.status.text()
    box.backup_now()
    qtbot.waitUntil(lambda: bool(recorder.infos), timeout=10_000)
    assert "已备份到" in recorder.infos[-1]
    assert "最近一次备份" in box.status.text()
    with admin_ctx.workspace.uow() as uow:
        before = uow.session.query(Person).count()

    officer = login(admin_ctx.workspace, "lixm", "village-pass-1")
    officer_ctx = GuiContext(admin_ctx.workspace, officer, admin_ctx.settings, auto_backups=False)
    added = _add_person(officer_ctx, "恢复后不在")

    dialog = RestoreDialog(admin_ctx)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 1
    dialog.select_row(0)
    recorder.confirm_answers.append(True)
    dialog.restore_selected()
    assert dialog.restored_from is not None and dialog.safety is not None
    with admin_ctx.workspace.uow() as uow:
        assert uow.session.query(Person).count() == before
        assert uow.session.get(Person, added) is None
    reasons = [b.reason for b in list_backups(admin_ctx.workspace)]
    assert "before-restore" in reasons  # the state with the added person is kept


def test_the_window_backs_up_when_it_closes(qtbot, workspace, village, gui_settings, qapp):
    from liaison.core.backups import list_backups

    ctx = GuiContext(workspace, login(workspace, "lixm", "village-pass-1"), gui_settings, clock=lambda: TODAY)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    assert list_backups(workspace) == []
    assert window.close()
    backups = list_backups(workspace)
    assert [b.reason for b in backups] == ["exit"]
    assert not backups[0].path.read_bytes().startswith(b"SQLite format 3\0")  # encrypted


# --- the recovery code ----------------------------------------------------------------------


def test_the_recovery_code_cannot_be_dismissed_before_it_is_kept(qtbot):
    dialog = RecoveryCodeDialog("ABCD-EFGH", workspace="两家子村", path="/tmp/x.db")
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.done_button.isEnabled()
    dialog.reject()
    assert dialog.isVisible()
    dialog.kept.setChecked(True)
    assert dialog.done_button.isEnabled()
    dialog.done_button.click()
    assert not dialog.isVisible()


def test_a_wrong_recovery_code_is_named_and_the_right_one_opens(qtbot, tmp_path):
    from liaison.bootstrap import open_workspace
    from liaison.core import dbkey

    def check(code):
        raise dbkey.WrongRecoveryCodeError("恢复码格式正确，但不是这个数据库的")

    dialog = RecoveryEntryDialog("/tmp/x.db", check)
    qtbot.addWidget(dialog)
    dialog.code.setText("AAAA-BBBB")
    dialog.accept()
    assert dialog.result_value is None and "不是这个数据库" in dialog.message.text()
    dialog._check = lambda code: code.upper()
    dialog.accept()
    assert dialog.result_value == "AAAA-BBBB"
    assert open_workspace  # the launcher passes open_workspace(url, recovery_code=code) as the check


def test_the_demo_login_lists_its_accounts_and_password():
    from liaison.core.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
    from liaison.gui.login import demo_login_hint

    hint = demo_login_hint(DEMO_ACCOUNTS, DEMO_PASSWORD)
    assert "demo1234" in hint
    for account in DEMO_ACCOUNTS:
        assert f"{account.username} — {account.display_name}" in hint
    assert "（桦皮厂镇）" in hint


# --- the launcher: first run, later runs, a lost key ------------------------------------------


@pytest.fixture
def own_keyring():
    import keyring

    from tests.dbfiles import MemoryKeyring

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_first_run_shows_the_code_once_and_later_runs_ask_for_a_login(
        qtbot, tmp_path, gui_settings, qapp, monkeypatch, own_keyring):
    from liaison.gui import launcher as launcher_module
    from liaison.gui.launcher import Launcher
    from liaison.gui.welcome import WelcomeChoice

    shown: list[str] = []
    logins: list[str] = []

    def welcome(cls, parent=None, *, create=None):
        create(SETUP)
        return WelcomeChoice(setup=SETUP)

    def login_ask(cls, ws, *, username="", hint=None):
        logins.append(username)
        return login(ws, "lixm", "village-pass-1")

    monkeypatch.setattr(launcher_module.WelcomeDialog, "ask", classmethod(welcome))
    monkeypatch.setattr(launcher_module.RecoveryCodeDialog, "show_code",
                        classmethod(lambda cls, parent, code, **kw: shown.append(code)))
    monkeypatch.setattr(launcher_module.LoginDialog, "ask", classmethod(login_ask))
    url = f"sqlite:///{tmp_path / 'village.db'}"
    starter = Launcher(qapp, gui_settings)
    window = starter.open(url)
    qtbot.addWidget(window)
    assert window.ctx.actor.username == "lixm" and logins == []  # just typed: no second login
    assert len(shown) == 1 and shown[0] == window.ctx.workspace.recovery_code()
    code = shown[0]
    assert window.close()
    wait_for_background_work()
    window.ctx.workspace.close()

    window = starter.open(url)
    qtbot.addWidget(window)
    assert logins == ["lixm"]  # the login remembers the last name
    assert len(shown) == 1  # the code is not shown again
    assert window.close()
    wait_for_background_work()
    window.ctx.workspace.close()

    own_keyring.items.clear()  # a reinstall: the key is gone, the recovery code opens it
    typed: list[str] = []

    def recovery(cls, path, check):
        try:
            check("0000-0000-0000")
        except Exception as exc:  # noqa: BLE001 - the dialog shows this message and lets one retry
            typed.append(str(exc))
        typed.append(code)
        return check(code.lower())

    monkeypatch.setattr(launcher_module.RecoveryEntryDialog, "ask", classmethod(recovery))
    window = starter.open(url)
    qtbot.addWidget(window)
    assert typed[-1] == code and "恢复码" in typed[0]
    assert window.ctx.actor.username == "lixm"
    assert window.close()
    wait_for_background_work()
    window.ctx.workspace.close()


def test_decrypted_viewer_copies_do_not_outlive_the_program(tmp_path, monkeypatch):
    from liaison.gui import viewer_copies

    monkeypatch.setattr(viewer_copies.tempfile, "gettempdir", lambda: str(tmp_path))
    copy = viewer_copies.open_copy_dir() / "some-id" / "照片.jpg"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(b"plain photo")
    copy.chmod(0o444)  # as the case window leaves them
    viewer_copies.clear_viewer_copies()
    assert not viewer_copies.open_copy_dir().exists()
