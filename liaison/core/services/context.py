"""Who is acting, and which areas they may touch."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from liaison.core.enums import UserRole
from liaison.core.errors import ScopeError
from liaison.core.i18n import _
from liaison.core.uow import UnitOfWork


@dataclass(frozen=True)
class Actor:
    """The person (or process) on whose behalf a service runs.

    `scope_area_ids` are the roots of the area subtrees the actor may read and change;
    None means the whole workspace (county staff, administrators, local scripts).
    """

    username: str
    display_name: str
    role: UserRole
    device_id: str
    user_id: uuid.UUID | None = None
    scope_area_ids: frozenset[uuid.UUID] | None = None


def allowed_area_ids(uow: UnitOfWork, actor: Actor) -> frozenset[uuid.UUID] | None:
    """Every area id inside the actor's scope, or None when unrestricted (cached per transaction)."""
    if actor.scope_area_ids is None:
        return None
    key = ("scope", actor.scope_area_ids)
    cached = uow.session.info.get(key)
    if cached is None:
        from liaison.core.services.areas import subtree_ids

        cached = frozenset(subtree_ids(uow.session, actor.scope_area_ids))
        uow.session.info[key] = cached
    return cached


def ensure_area_in_scope(uow: UnitOfWork, actor: Actor, area_id: uuid.UUID) -> None:
    allowed = allowed_area_ids(uow, actor)
    if allowed is not None and area_id not in allowed:
        raise ScopeError(_("无权访问该地区的数据（{user} 只能处理本人负责的村/社区）").format(
            user=actor.display_name))


def restrict_to_scope(
    uow: UnitOfWork, actor: Actor, requested: frozenset[uuid.UUID] | None
) -> frozenset[uuid.UUID] | None:
    """Intersect an optional area filter with the actor's scope (None = no restriction)."""
    allowed = allowed_area_ids(uow, actor)
    if requested is None:
        return allowed
    if allowed is None:
        return requested
    return requested & allowed
