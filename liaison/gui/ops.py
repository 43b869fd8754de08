"""Running database work off the GUI thread and handing the result back to it.

    op = run_in_background(self, lambda token: services..., on_done=self.show, on_error=...)

Each op runs in the global thread pool with its own unit of work (SQLite connections are not
shared between threads); results and errors come back as queued signals, so callbacks run on
the GUI thread. A LiaisonError is shown to the person; anything else is logged as a bug.

Python's cyclic garbage collector is paused while any job runs and resumed on the GUI thread
when the last one ends. A collection started in a worker walks PySide's wrapper objects while
the GUI thread may be destroying widgets without holding the GIL, and that crashed
(PySide6 6.12, seen under gdb: visit_decref inside shiboken's traverse).
"""

from __future__ import annotations

import gc
import itertools
import logging
import uuid
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from liaison.core.errors import LiaisonError
from liaison.core.progress import Cancelled, CancelToken

log = logging.getLogger(__name__)


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object)
    progress = Signal(str)
    ended = Signal(int)


class _JobTracker(QObject):
    """Lives on the GUI thread: holds every running job (so none is freed mid-run, even when
    the widget that started it is gone) and keeps automatic GC off while any runs."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.running: dict[int, _Job] = {}
        # ended jobs, kept until no pool thread is busy: "ended" is emitted from inside run(),
        # and freeing the runnable while its thread is still returning from it is a use after free
        self.retired: list[_Job] = []
        self._ids = itertools.count(1)
        self._gc_was_enabled = True

    def start(self, job: _Job) -> None:
        if not self.running:
            self._gc_was_enabled = gc.isenabled()
            gc.disable()
        job.job_id = next(self._ids)
        self.running[job.job_id] = job
        job.signals.ended.connect(self.ended)
        QThreadPool.globalInstance().start(job)

    @Slot(int)
    def ended(self, job_id: int) -> None:
        job = self.running.pop(job_id, None)
        if job is not None:
            self.retired.append(job)
        self.release_retired()
        if not self.running and self._gc_was_enabled:
            gc.enable()

    def release_retired(self) -> None:
        if not self.retired:
            return
        if QThreadPool.globalInstance().activeThreadCount() == 0:
            self.retired.clear()
        else:
            QTimer.singleShot(20, self.release_retired)


def _tracker() -> _JobTracker:
    app = QCoreApplication.instance()
    tracker = getattr(app, "_liaison_jobs", None)
    if tracker is None:
        tracker = _JobTracker(app)
        app._liaison_jobs = tracker  # type: ignore[union-attr]
    return tracker


class Op(QObject):
    """A handle on one background job; keep a reference while it runs."""

    done = Signal(object)
    failed = Signal(object)
    progress = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.token = CancelToken()
        self.running = True
        self.result: Any = None
        self.error: BaseException | None = None
        self.job: QRunnable | None = None

    def cancel(self) -> None:
        self.token.cancel()


class _Job(QRunnable):
    def __init__(self, fn: Callable[[CancelToken, Callable[[str], None]], Any], op: Op) -> None:
        super().__init__()
        self.fn = fn
        self.token = op.token
        self.signals = _Signals()
        self.signals.done.connect(op.done)
        self.signals.failed.connect(op.failed)
        self.signals.progress.connect(op.progress)
        self.job_id = 0

    def run(self) -> None:
        try:
            result = self.fn(self.token, self.signals.progress.emit)
        except BaseException as exc:  # noqa: BLE001 - every failure is reported to the GUI thread
            self.signals.failed.emit(exc)
        else:
            self.signals.done.emit(result)
        finally:
            self.signals.ended.emit(self.job_id)


def run_in_background(
    parent: QObject,
    fn: Callable[[CancelToken, Callable[[str], None]], Any],
    *,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
) -> Op:
    op = Op(parent)

    def finished(result: Any) -> None:
        op.running = False
        op.result = result
        if on_done is not None:
            on_done(result)

    def failed(exc: BaseException) -> None:
        op.running = False
        op.error = exc
        if on_error is not None:
            on_error(exc)
        else:
            report_error(parent, exc)

    op.done.connect(finished)
    op.failed.connect(failed)
    job = _Job(fn, op)
    job.setAutoDelete(False)  # Python owns it: the tracker holds it until it has ended
    op.job = job
    _tracker().start(job)
    return op


def wait_for_background_work(timeout_ms: int = 30_000) -> bool:
    """Before a workspace is closed: no worker may still be using its connections."""
    finished = QThreadPool.globalInstance().waitForDone(timeout_ms)
    QCoreApplication.processEvents()  # deliver the last "ended" signals (GC back on)
    if finished:
        _tracker().release_retired()
    return finished


def describe_error(exc: BaseException) -> str:
    """The Chinese text to show for a failure; bugs get a reference to find them in the log."""
    if isinstance(exc, Cancelled):
        return exc.message
    if isinstance(exc, LiaisonError):
        return exc.message
    reference = uuid.uuid4().hex[:8]
    log.error("internal error, reference %s", reference, exc_info=exc)
    from liaison.core.i18n import _

    return _("内部错误（参考号 {ref}），详情已写入日志").format(ref=reference)


def report_error(parent: QObject, exc: BaseException) -> None:
    from liaison.gui.dialogs import Message

    Message.show_error(parent, describe_error(exc))
