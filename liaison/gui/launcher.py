"""Which workspace to open, opening it, and switching to another.

Order: `--db`, then LIAISON_DB, then the workspace used last time, then the default file in
the user's data folder. An empty workspace shows the welcome; the demo data lives in a file
of its own next to the real one, so trying the program never mixes with real records.
"""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget

from liaison.bootstrap import Workspace, open_workspace
from liaison.core.db import DB_ENV_VAR, default_database_path, resolve_database_url, sqlite_path
from liaison.core.demo import PROGRAM_DEMO_PERSONS, PROGRAM_DEMO_SEED
from liaison.core.errors import LiaisonError
from liaison.core.i18n import _
from liaison.core.progress import Cancelled, reporter
from liaison.core.services.context import Actor
from liaison.core.services.workspace import (
    VillageSetup,
    is_empty,
    setup_village_workspace,
    workspace_name,
)
from liaison.gui.app import apply_font_scale
from liaison.gui.context import GuiContext
from liaison.gui.dialogs import Message
from liaison.gui.login import (
    FirstAdminDialog,
    LoginDialog,
    RecoveryCodeDialog,
    RecoveryEntryDialog,
    demo_login_hint,
)
from liaison.gui.ops import describe_error, run_in_background, wait_for_background_work
from liaison.gui.settings import GuiSettings
from liaison.gui.welcome import WelcomeDialog

log = logging.getLogger(__name__)

DEMO_PERSONS = PROGRAM_DEMO_PERSONS
DEMO_SEED = PROGRAM_DEMO_SEED


def demo_database_url() -> str:
    return resolve_database_url(str(default_database_path().with_name("demo.db")))


def choose_url(db_option: str | None, settings: GuiSettings) -> str:
    if db_option or os.environ.get(DB_ENV_VAR):
        return resolve_database_url(db_option)
    return settings.last_workspace or resolve_database_url(None)


def build_demo_with_progress(parent: QWidget | None, ws: Workspace, persons: int = DEMO_PERSONS) -> bool:
    """Fill `ws` with demo data off the GUI thread, with a progress dialog and 取消.
    Returns False when cancelled or failed (the workspace is left empty)."""
    dialog = QProgressDialog(_("正在生成演示数据……"), _("取消"), 0, 0, parent)
    dialog.setWindowTitle(_("演示数据"))
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setMinimumDuration(0)
    loop = QEventLoop()
    outcome: dict[str, object] = {}

    def work(token, report):  # type: ignore[no-untyped-def]
        from liaison.core.demo import build_demo  # only first runs need the generator

        return build_demo(ws.engine, ws.rules, ws.device_id, persons=persons, seed=DEMO_SEED,
                          progress=reporter(report, token))

    def done(summary: object) -> None:
        outcome["summary"] = summary
        loop.quit()

    def failed(exc: BaseException) -> None:
        outcome["error"] = exc
        loop.quit()

    op = run_in_background(dialog, work, on_done=done, on_error=failed)
    op.progress.connect(dialog.setLabelText)
    dialog.canceled.connect(op.cancel)
    dialog.show()
    loop.exec()
    dialog.close()
    error = outcome.get("error")
    if isinstance(error, BaseException):
        if not isinstance(error, Cancelled):
            Message.show_error(parent, describe_error(error))
        return False
    return True


class Launcher:
    """Owns the main window, so the settings page can switch workspaces."""

    def __init__(self, app: QApplication, settings: GuiSettings | None = None) -> None:
        self.app = app
        self.settings = settings or GuiSettings()
        self.window = None
        apply_font_scale(app, self.settings.font_scale)

    def start(self, db_option: str | None) -> QWidget | None:
        try:
            url = choose_url(db_option, self.settings)
        except LiaisonError as exc:
            Message.show_error(None, exc.message)
            return None
        return self.open(url)

    def _ask_passphrase(self, new: bool) -> str:
        """The key file's passphrase (machines without a system keyring)."""
        from liaison.core.secrets import SecretError
        from liaison.gui.exchange_dialogs import PassphraseDialog

        answer = PassphraseDialog.ask(None, new)
        if answer is None:
            raise SecretError(_("没有输入口令，无法打开加密的数据库"))
        return answer

    def _workspace(self, url: str) -> tuple[Workspace | None, bool]:
        """The opened workspace and whether it is still empty; (None, False) when it cannot
        be opened (the reason has been shown). A database whose key this computer has lost
        is opened with its recovery code."""
        from liaison.core.dbkey import KeyMissingError

        try:
            ws = open_workspace(url, ask_passphrase=self._ask_passphrase)
        except KeyMissingError:
            path = str(sqlite_path(url) or url)
            opened = RecoveryEntryDialog.ask(path, lambda code: open_workspace(
                url, ask_passphrase=self._ask_passphrase, recovery_code=code))
            if not isinstance(opened, Workspace):
                return None, False
            ws = opened
        except LiaisonError as exc:
            Message.show_error(None, exc.message)
            return None, False
        with ws.uow() as uow:
            return ws, is_empty(uow)

    def open(self, url: str) -> QWidget | None:
        ws, empty = self._workspace(url)
        if ws is None:
            return None
        actor: Actor | None = None
        if empty:
            created: dict[str, Actor] = {}
            choice = WelcomeDialog.ask(None, create=lambda setup: created.update(actor=self._create(ws, setup)))
            if choice is None:
                ws.close()
                return None
            if choice.demo:
                ws.close()
                return self.open_demo()
            actor = created.get("actor")
            self._show_recovery_code(ws)
        if actor is None:
            actor = self._login(ws)
            if actor is not None:
                self._show_recovery_code(ws)  # only if a crash kept it from being shown
        if actor is None:
            ws.close()
            return None
        return self._show(ws, url, actor)

    def open_demo(self) -> QWidget | None:
        from liaison.core.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

        url = demo_database_url()
        ws, empty = self._workspace(url)
        if ws is None:
            return None
        if empty and not build_demo_with_progress(None, ws):
            ws.close()
            return None
        actor = self._login(ws, hint=demo_login_hint(DEMO_ACCOUNTS, DEMO_PASSWORD))
        if actor is None:
            ws.close()
            return None
        return self._show(ws, url, actor)

    def _create(self, ws: Workspace, setup: VillageSetup) -> Actor:
        with ws.uow() as uow:
            actor = setup_village_workspace(uow, ws.system_actor, setup)
            uow.commit()
        self.settings.last_username = setup.officer_username
        return actor

    def _show_recovery_code(self, ws: Workspace) -> None:
        """Once, right after the village workspace is set up (or at the first login after a
        start that ended before it could be shown): the code that reopens the encrypted
        database after a reinstall."""
        from liaison.core.services import settings as stored

        code = ws.recovery_code()
        if code is None:  # not an encrypted file (a server database)
            return
        with ws.uow() as uow:
            if stored.get_setting(uow.session, stored.RECOVERY_CODE_SHOWN):
                return
            name = workspace_name(uow)
        RecoveryCodeDialog.show_code(None, code, workspace=name, path=str(sqlite_path(ws.url) or ws.url))
        with ws.uow() as uow:
            stored.put_setting(uow.session, stored.RECOVERY_CODE_SHOWN, True)
            uow.commit()

    def _login(self, ws: Workspace, *, hint: str | None = None) -> Actor | None:
        """The first administrator where there is none yet, then the login."""
        from liaison.core.services.accounts import needs_first_admin

        with ws.uow() as uow:
            first = needs_first_admin(uow)
        if first and not FirstAdminDialog.ask(ws):
            return None
        actor = LoginDialog.ask(ws, username=self.settings.last_username, hint=hint)
        if actor is not None:
            self.settings.last_username = actor.username
        return actor

    def _show(self, ws: Workspace, url: str, actor: Actor) -> QWidget:
        from liaison.gui.main_window import MainWindow

        ctx = GuiContext(ws, actor, self.settings)
        self.settings.last_workspace = url
        window = MainWindow(ctx, self)
        window.show()
        self.window = window
        return window

    def switch(self, url: str | None) -> None:
        """Close the current window (it asks about unsaved forms) and open another
        workspace; None opens the demo data."""
        current = self.window
        if current is not None and not current.close():
            return
        if current is not None:
            wait_for_background_work()
            current.ctx.workspace.close()  # type: ignore[attr-defined]
        self.window = None
        opened = self.open_demo() if url is None else self.open(url)
        if opened is None:
            log.info("no workspace open after switching")


def launch(app: QApplication, db_option: str | None) -> QWidget | None:
    from liaison.gui.viewer_copies import clear_viewer_copies

    clear_viewer_copies()  # plain copies a crashed run left behind
    launcher = Launcher(app)
    app.aboutToQuit.connect(wait_for_background_work)
    app.aboutToQuit.connect(clear_viewer_copies)
    window = launcher.start(db_option)
    app.launcher = launcher  # type: ignore[attr-defined]  # keeps the launcher alive while the app runs
    return window
