"""How long work reports progress and learns it was cancelled, without knowing about Qt."""

from __future__ import annotations

from collections.abc import Callable

from liaison.core.errors import LiaisonError
from liaison.core.i18n import _


class Cancelled(LiaisonError):
    def __init__(self) -> None:
        super().__init__(_("已取消"))


class CancelToken:
    """Set from the GUI thread, checked by the worker between steps."""

    def __init__(self) -> None:
        self._cancelled = False

    def cancel(self) -> None:
        self._cancelled = True

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def check(self) -> None:
        if self._cancelled:
            raise Cancelled()


def reporter(report: Callable[[str], None], token: CancelToken) -> Callable[[str], None]:
    """A progress callback that also stops the work once cancel was pressed."""

    def progress(message: str) -> None:
        token.check()
        report(message)

    return progress
