"""One hierarchy for every error the user can cause.

A `LiaisonError` carries a Chinese message meant for a person; anything else that escapes is
a bug and is shown as an internal error with a reference.
"""

from __future__ import annotations

from collections.abc import Mapping

from liaison.core.i18n import _


class LiaisonError(Exception):
    """An error the user can understand and fix; `message` is shown as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(LiaisonError):
    """One or more fields are wrong. `errors` maps a field name to its Chinese message."""

    def __init__(self, errors: Mapping[str, str], labels: Mapping[str, str] | None = None) -> None:
        self.errors = dict(errors)
        labels = labels or {}
        parts = [f"{labels.get(field, field)}：{msg}" for field, msg in self.errors.items()]
        super().__init__("；".join(parts))

    @classmethod
    def single(cls, field: str, message: str, label: str | None = None) -> ValidationError:
        return cls({field: message}, {field: label} if label else None)


class NotFoundError(LiaisonError):
    pass


class DuplicateError(LiaisonError):
    """A record with the same natural key exists; `existing_id` names it."""

    def __init__(self, message: str, existing_id: object) -> None:
        super().__init__(message)
        self.existing_id = existing_id


class StaleRecordError(LiaisonError):
    """The record changed since it was read; saving would overwrite someone else's change."""

    def __init__(self, entity_label: str) -> None:
        super().__init__(
            _("{entity}已被修改（可能在别处保存过），请重新打开后再改，以免覆盖他人的修改").format(
                entity=entity_label
            )
        )


class ScopeError(LiaisonError):
    """The acting user may not read or change records outside their areas."""


class DatabaseStateError(LiaisonError):
    """The database cannot be opened or upgraded (newer schema, damaged file, wrong URL)."""
