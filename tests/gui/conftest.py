"""GUI tests run offscreen; dialogs that would block are replaced by recorders."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from liaison.gui import dialogs  # noqa: E402
from liaison.gui.app import create_application  # noqa: E402
from liaison.gui.context import GuiContext  # noqa: E402
from liaison.gui.ops import wait_for_background_work  # noqa: E402
from liaison.gui.settings import GuiSettings  # noqa: E402

TODAY = date(2026, 11, 25)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.gui)


@pytest.fixture(scope="session")
def qapp_cls():  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QApplication

    return QApplication


@pytest.fixture(scope="session")
def qapp(qapp_args, qapp_cls, pytestconfig):  # type: ignore[no-untyped-def]
    """The program's own application setup (fonts, font size) instead of a bare QApplication."""
    return create_application(qapp_args)


class Recorder:
    """What the window tried to tell or ask; tests set `answers` for questions they expect."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.infos: list[str] = []
        self.confirm_answers: list[bool] = []
        self.unsaved_answers: list[dialogs.UnsavedChoice] = []
        self.asked: list[str] = []
        self.unexpected: list[str] = []


@pytest.fixture(autouse=True)
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    rec = Recorder()

    def confirm(cls, parent, title, text, **kw):  # type: ignore[no-untyped-def]
        rec.asked.append(text)
        if not rec.confirm_answers:
            raise AssertionError(f"unexpected question: {title} {text}")
        return rec.confirm_answers.pop(0)

    def unsaved(cls, parent, what):  # type: ignore[no-untyped-def]
        rec.asked.append(what)
        if not rec.unsaved_answers:
            # raising inside Qt's closeEvent would abort the run; a test that expected no
            # question sees it in rec.unexpected
            rec.unexpected.append(what)
            return dialogs.UnsavedChoice.DISCARD
        return rec.unsaved_answers.pop(0)

    monkeypatch.setattr(dialogs.Message, "show_error", classmethod(lambda cls, p, t: rec.errors.append(t)))
    monkeypatch.setattr(dialogs.Message, "show_info", classmethod(lambda cls, p, t: rec.infos.append(t)))
    monkeypatch.setattr(dialogs.Confirm, "ask", classmethod(confirm))
    monkeypatch.setattr(dialogs.UnsavedChanges, "ask", classmethod(unsaved))
    return rec


@pytest.fixture(autouse=True)
def no_windows_left_behind(qapp):  # type: ignore[no-untyped-def]
    """Every window a test opened is gone before the next test starts.

    pytest-qt only calls deleteLater() on the widgets it was given, and such deletions wait for
    a later test's event loop; a window of an earlier test dying, or a late background job,
    in the middle of another test made that test's window shortcuts depend on timing. So the
    background work is finished, every top-level widget hidden and deleted, now."""
    yield
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    wait_for_background_work()
    for widget in QApplication.topLevelWidgets():
        widget.hide()
        widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    """A failed GUI test says which window had the keyboard: shortcuts only reach the
    active window, and a failure that depends on it is otherwise hard to read from CI."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and call.when == "call":
        from PySide6.QtWidgets import QApplication

        def name(widget):  # type: ignore[no-untyped-def]
            return "None" if widget is None else f"{type(widget).__name__}({widget.windowTitle()!r})"

        visible = [name(w) for w in QApplication.topLevelWidgets() if w.isVisible()]
        report.sections.append(("Qt windows", "\n".join([
            f"active window: {name(QApplication.activeWindow())}",
            f"active modal: {name(QApplication.activeModalWidget())}",
            # an open popup takes the window shortcuts of every other window
            f"active popup: {name(QApplication.activePopupWidget())}",
            f"focus widget: {type(QApplication.focusWidget()).__name__}",
            f"visible top-level widgets: {', '.join(visible) or '-'}",
        ])))


@pytest.fixture
def gui_settings(tmp_path: Path) -> GuiSettings:
    return GuiSettings(tmp_path / "gui.ini")


@pytest.fixture
def ctx(workspace, actor, gui_settings, qapp):  # type: ignore[no-untyped-def]
    """A window context over an empty workspace, acting as the local administrator, on TODAY."""
    yield GuiContext(workspace, actor, gui_settings, clock=lambda: TODAY, auto_backups=False)
    # background searches must finish before the workspace fixture closes the database
    wait_for_background_work()
    qapp.processEvents()


def type_text(widget, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type into `widget` the way a person does: Latin letters and digits as key presses,
    Chinese committed by the input method (qtbot.keyClicks aborts on non-Latin text)."""
    from PySide6.QtGui import QInputMethodEvent
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    for chunk_is_ascii, chunk in _chunks(text):
        if chunk_is_ascii:
            QTest.keyClicks(widget, chunk)
        else:
            event = QInputMethodEvent()
            event.setCommitString(chunk)
            QApplication.sendEvent(widget, event)


def _chunks(text: str) -> list[tuple[bool, str]]:
    out: list[tuple[bool, str]] = []
    for ch in text:
        if out and out[-1][0] == ch.isascii():
            out[-1] = (out[-1][0], out[-1][1] + ch)
        else:
            out.append((ch.isascii(), ch))
    return out
