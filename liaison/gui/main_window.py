"""The main window: navigation, the pages, shortcuts, and a status bar with the workspace,
the user and the counts that matter."""

from __future__ import annotations

import weakref
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from liaison.core.enums import label
from liaison.core.i18n import _
from liaison.core.rules.cadence import DueState
from liaison.core.services.workspace import active_people_count, workspace_name
from liaison.gui import windows
from liaison.gui.context import GuiContext
from liaison.gui.pages.planned import PlannedPage
from liaison.gui.pages.roster import RosterPage
from liaison.gui.pages.settings import SettingsPage
from liaison.gui.pages.work_queue import WorkQueuePage

PAGES = (
    ("queue", "工作台"),
    ("roster", "残疾人档案"),
    ("visits", "入户走访"),
    ("modification", "无障碍改造"),
    ("referral", "康复转介"),
    ("reports", "报表"),
    ("exchange", "数据交换"),
    ("settings", "设置"),
)


# built with the window; the reports and exchange pages the first time they are shown (their
# modules load reportlab, pdfium and the sync crypto, which a village officer's first minute
# does not need). Pages that start loading data when built stay eager: built late, their
# loads could outlive a window closed soon after, which crashed PySide's garbage collection.
EAGER_PAGES = frozenset({"queue", "roster", "visits", "modification", "referral", "settings"})


class _Pages(dict):  # type: ignore[type-arg]
    """The pages by key; asking for one not built yet builds it (into its holder)."""

    def __init__(self, materialize: Any) -> None:
        super().__init__()
        # a weak reference: no reference cycle through the window
        self._materialize = weakref.WeakMethod(materialize)

    def __getitem__(self, key: str) -> QWidget:
        value = super().__getitem__(key)
        if value is None:
            materialize = self._materialize()
            if materialize is not None:
                return materialize(key)  # type: ignore[no-any-return]
        return value  # type: ignore[no-any-return]


def _page(module: str, name: str, ctx: GuiContext) -> QWidget:
    import importlib

    return getattr(importlib.import_module(f"liaison.gui.pages.{module}"), name)(ctx)  # type: ignore[no-any-return]


class MainWindow(QMainWindow):
    def __init__(self, ctx: GuiContext, launcher: Any = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.launcher = launcher
        with ctx.workspace.uow() as uow:
            self.workspace_title = workspace_name(uow)
        self.setWindowTitle(_("残疾人专职委员工作台 — {name}").format(name=self.workspace_title))
        self.pages: dict[str, QWidget] = {}
        self._build_pages()
        self._build_menus()
        self._build_status_bar()
        geometry = ctx.settings.window_geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self._fit_to_screen()
        ctx.events.changed.connect(lambda _kind: self.update_counts())
        self.update_counts()
        from liaison.gui.backups import AutoBackup
        from liaison.gui.idle_lock import IdleLock

        self.idle_lock = IdleLock(ctx, ctx.settings.idle_lock_minutes, parent=self)
        self.auto_backup = AutoBackup(ctx, parent=self)
        self._backup_on_exit = True

    # --- building ----------------------------------------------------------------------------

    def _build_pages(self) -> None:
        central = QWidget()
        layout = QHBoxLayout(central)
        self.nav = QListWidget()
        self.nav.setAccessibleName(_("功能导航"))
        self.stack = QStackedWidget()
        ctx = self.ctx
        self._factories = {
            "queue": lambda: WorkQueuePage(ctx),
            "roster": lambda: RosterPage(ctx),
            "visits": lambda: _page("visits", "VisitsPage", ctx),
            "modification": lambda: _page("cases", "ModificationPage", ctx),
            "referral": lambda: _page("cases", "ReferralPage", ctx),
            "reports": lambda: _page("reports", "ReportsPage", ctx),
            "exchange": lambda: _page("exchange", "ExchangePage", ctx),
            "settings": lambda: SettingsPage(ctx),
        }
        self.pages = _Pages(self._materialize)
        self._holders: dict[str, QWidget] = {}
        for index, (key, title) in enumerate(PAGES, start=1):
            # every page sits in a holder that stays in the stack for good; pages other than
            # the eager ones are built into it the first time they are shown
            holder = QWidget()
            holder_layout = QVBoxLayout(holder)
            holder_layout.setContentsMargins(0, 0, 0, 0)
            self._holders[key] = holder
            self.stack.addWidget(holder)
            dict.__setitem__(self.pages, key, None)
            if key in EAGER_PAGES or key not in self._factories:
                self._materialize(key)
            item = QListWidgetItem(_(title))
            item.setToolTip(_("{title}（Ctrl+{n}）").format(title=_(title), n=index))
            self.nav.addItem(item)
        self.nav.setFixedWidth(self.nav.sizeHintForColumn(0) + 40)
        self.nav.currentRowChanged.connect(self._show_index)
        self.nav.setCurrentRow(0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        queue = self.pages["queue"]
        assert isinstance(queue, WorkQueuePage)
        queue.loaded.connect(self.update_counts)
        settings = self.pages["settings"]
        assert isinstance(settings, SettingsPage)
        settings.switch_requested.connect(self._switch_workspace)
        settings.font_scale.value_changed.connect(self._fit_navigation)
        settings.lock_requested.connect(self.lock)
        settings.idle_minutes_changed.connect(lambda minutes: self.idle_lock.set_minutes(minutes))
        settings.restored.connect(self._reopen_after_restore)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        files = bar.addMenu(_("文件(&F)"))
        self._action(files, _("设置(&S)"), None, lambda: self.show_page("settings"))
        files.addSeparator()
        self._action(files, _("锁定(&L)"), QKeySequence("Ctrl+L"), self.lock)
        self._action(files, _("注销，换一个用户登录(&O)"), None, self.log_out)
        files.addSeparator()
        self._action(files, _("退出(&X)"), QKeySequence("Ctrl+Q"), self.close)
        people = bar.addMenu(_("档案(&P)"))
        self._action(people, _("查找人员(&F)"), QKeySequence("Ctrl+F"), self.find_person)
        self._action(people, _("新建档案(&N)"), QKeySequence("Ctrl+N"), self.new_person)
        visits = bar.addMenu(_("走访(&V)"))
        self._action(visits, _("登记走访(&V)"), QKeySequence("Ctrl+Shift+V"), self.new_visit)
        go = bar.addMenu(_("转到(&G)"))
        for index, (key, title) in enumerate(PAGES, start=1):
            self._action(go, _(title), QKeySequence(f"Ctrl+{index}"),
                         lambda checked=False, k=key: self.show_page(k))
        help_menu = bar.addMenu(_("帮助(&H)"))
        self._action(help_menu, _("关于(&A)"), None, self.about)

    def _action(self, menu: Any, text: str, shortcut: QKeySequence | None, slot: Any) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)
        return action

    def _build_status_bar(self) -> None:
        self.status_workspace = QLabel(self.workspace_title)
        self.status_user = QLabel(f"{self.ctx.actor.display_name}（{label(self.ctx.actor.role)}）")
        self.status_counts = QLabel()
        for widget in (self.status_workspace, self.status_user, self.status_counts):
            # never let the status line force the window wider than a small screen
            widget.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            widget.setMinimumWidth(1)
        self.statusBar().addWidget(self.status_workspace, 1)
        self.statusBar().addWidget(self.status_user, 1)
        self.statusBar().addPermanentWidget(self.status_counts, 2)
        self.status_counts.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def _fit_to_screen(self) -> None:
        """A first start: as large as is comfortable, never beyond the screen (old laptops
        have 1366×768)."""
        screen = self.screen().availableGeometry()
        self.resize(min(1200, screen.width()), min(780, screen.height() - 40))

    def _fit_navigation(self) -> None:
        self.nav.setFixedWidth(self.nav.sizeHintForColumn(0) + 40)

    # --- actions ------------------------------------------------------------------------------

    def _materialize(self, key: str) -> QWidget:
        page = dict.__getitem__(self.pages, key)
        if page is None:
            page = self._factories[key]() if key in self._factories else PlannedPage(key)
            self._holders[key].layout().addWidget(page)
            dict.__setitem__(self.pages, key, page)
        return page  # type: ignore[no-any-return]

    def current_page(self) -> QWidget:
        key = PAGES[self.stack.currentIndex()][0]
        return self.pages[key]

    def _show_index(self, index: int) -> None:
        if 0 <= index < len(PAGES):
            self._materialize(PAGES[index][0])
            self.stack.setCurrentIndex(index)

    def show_page(self, key: str) -> QWidget:
        self.nav.setCurrentRow([k for k, _t in PAGES].index(key))
        return self.pages[key]

    def find_person(self) -> None:
        page = self.show_page("roster")
        assert isinstance(page, RosterPage)
        page.focus_search()

    def new_person(self) -> None:
        windows.open_person_file(self.ctx, self, None)

    def new_visit(self) -> None:
        """For the person selected in the roster, if any; otherwise the form asks who."""
        roster = self.pages["roster"]
        assert isinstance(roster, RosterPage)
        if self.current_page() is roster and roster.selected_person() is not None:
            roster.visit_selected()
        else:
            windows.open_visit_form(self.ctx, self, None)

    def about(self) -> None:
        from liaison.gui.about import show_about

        show_about(self, self.ctx.workspace.url)

    def update_counts(self) -> None:
        with self.ctx.workspace.uow() as uow:
            people = active_people_count(uow, self.ctx.actor)
        text = _("在册 {n} 人").format(n=people)
        queue = self.pages["queue"]
        if isinstance(queue, WorkQueuePage) and queue.queue is not None:
            counts = queue.queue.counts()
            text += _(" · 逾期待办 {o} 项 · 今日到期 {d} 项").format(
                o=counts.get(DueState.OVERDUE, 0), d=counts.get(DueState.DUE, 0))
        self.status_counts.setText(text)

    def lock(self) -> None:
        self.idle_lock.lock()

    def log_out(self) -> None:
        """Close this window (asking about unsaved forms) and show the login again."""
        if self.launcher is not None:
            self.launcher.switch(self.ctx.workspace.url)

    def _reopen_after_restore(self) -> None:
        # the database now holds the restored state: nothing of the old session may linger,
        # and there is nothing new to back up on the way out
        self._backup_on_exit = False
        if self.launcher is not None:
            self.launcher.switch(self.ctx.workspace.url)

    def _switch_workspace(self, path: str) -> None:
        if self.launcher is None:
            return
        from liaison.core.db import resolve_database_url

        self.launcher.switch(resolve_database_url(path) if path else None)

    # --- closing -----------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        """Forms with unsaved changes ask first; if one is kept open, so is the window."""
        for dialog in self.findChildren(QDialog):
            if dialog.isVisible() and not dialog.close():
                event.ignore()
                return
        self.ctx.settings.save_window_geometry(self.saveGeometry())
        self.idle_lock.stop()
        if self._backup_on_exit:
            self.auto_backup.on_exit()
        event.accept()
