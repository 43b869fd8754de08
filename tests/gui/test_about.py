"""关于 (帮助 → 关于): the version, the data folder, the database in use and the log folder,
as an officer would read them out to whoever supports them; the buttons open and copy them."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QApplication

from liaison import __version__, logging_setup
from liaison.core.db import sqlite_path
from liaison.core.services import workspace as workspace_service
from liaison.gui.about import AboutDialog, AboutInfo
from liaison.gui.app import apply_font_scale
from liaison.gui.context import GuiContext
from liaison.gui.main_window import MainWindow
from tests.gui.conftest import TODAY


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Private per-user folders, and this run logging into the private log folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    root = logging.getLogger()
    before = list(root.handlers)
    log_file = logging_setup.configure_logging()
    assert log_file is not None
    yield {"data": tmp_path / "data" / "Liaison", "logs": log_file.parent, "log_file": log_file}
    for handler in list(root.handlers):
        if handler not in before:
            root.removeHandler(handler)
            handler.close()


@pytest.fixture
def about(qtbot, ctx, folders) -> AboutDialog:  # type: ignore[no-untyped-def]
    dialog = AboutDialog(AboutInfo.collect(ctx.workspace.url))
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_shows_the_version_and_where_everything_is(about: AboutDialog, ctx, folders) -> None:  # type: ignore[no-untyped-def]
    values = {key: label.text() for key, label in about.values.items()}
    assert values["version"] == __version__
    assert values["data_dir"] == str(folders["data"])
    assert values["database"] == str(sqlite_path(ctx.workspace.url))
    assert values["log_dir"] == str(folders["logs"])
    assert about.info.log_file == folders["log_file"]
    assert "关于" in about.windowTitle()
    assert "不会删除" in about.note.text()
    for label in about.values.values():
        assert label.accessibleName()


def test_a_database_url_is_shown_without_its_password(folders) -> None:  # type: ignore[no-untyped-def]
    info = AboutInfo.collect("postgresql://officer:secret@county-server/liaison")
    assert "secret" not in info.database
    assert "county-server/liaison" in info.database


def test_copy_puts_everything_on_the_clipboard(about: AboutDialog, folders, qtbot) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(about.copy_button, Qt.MouseButton.LeftButton)
    text = QGuiApplication.clipboard().text()
    assert __version__ in text
    assert str(folders["data"]) in text and str(folders["logs"]) in text
    assert about.copy_button.text() == "已复制"


def test_the_buttons_open_the_folders(about: AboutDialog, folders, monkeypatch, qtbot) -> None:  # type: ignore[no-untyped-def]
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    about.open_data_button.click()
    about.open_logs_button.click()
    assert [Path(url.toLocalFile()) for url in opened] == [folders["data"], folders["logs"]]
    assert folders["data"].is_dir()  # created, so there is something to open on a first run


@pytest.mark.parametrize("scale", [100, 200])
def test_nothing_is_cut_off_and_it_fits_a_small_screen(qtbot, ctx, folders, qapp, scale: int) -> None:  # type: ignore[no-untyped-def]
    try:
        apply_font_scale(qapp, scale)
        dialog = AboutDialog(AboutInfo.collect(ctx.workspace.url))
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.adjustSize()
        qapp.processEvents()
        assert dialog.width() <= 1366 and dialog.height() <= 768, dialog.size()
        for widget in [*dialog.values.values(), dialog.note, dialog.copy_button,
                       dialog.open_data_button, dialog.open_logs_button]:
            hint = widget.sizeHint()
            assert widget.width() >= hint.width() and widget.height() >= hint.height(), (
                widget.text(), widget.size(), hint)
    finally:
        apply_font_scale(qapp, 100)


def test_reached_from_the_help_menu(qtbot, workspace, gui_settings, folders, qapp) -> None:  # type: ignore[no-untyped-def]
    with workspace.uow() as uow:
        officer = workspace_service.setup_village_workspace(uow, workspace.system_actor, workspace_service.VillageSetup(
            county_code="220202", county_name="昌邑区", township_code="220202100",
            township_name="桦皮厂镇", village_code="220202100001", village_name="两家子村",
            officer_name="李秀梅", officer_username="lixm", officer_password="village-pass-1",
            admin_password="admin-pass-1"))
        uow.commit()
    window = MainWindow(GuiContext(workspace, officer, gui_settings, clock=lambda: TODAY, auto_backups=False))
    qtbot.addWidget(window)
    window.show()
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "帮助(&H)")
    (action,) = [a for a in help_menu.actions() if a.text() == "关于(&A)"]
    action.trigger()
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, AboutDialog) and w.isVisible()]
    assert len(dialogs) == 1
    dialog = dialogs[0]
    assert dialog.parent() is window and dialog.isModal()
    assert dialog.values["version"].text() == __version__
    assert dialog.values["database"].text() == str(sqlite_path(workspace.url))
    dialog.close()
    from liaison.gui.ops import wait_for_background_work

    wait_for_background_work()
