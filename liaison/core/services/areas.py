"""Areas: creating them, finding them by code, and walking the tree."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from liaison.core.enums import AreaLevel, label
from liaison.core.errors import DuplicateError, NotFoundError, ScopeError, ValidationError
from liaison.core.i18n import _
from liaison.core.models import Area
from liaison.core.services import audit
from liaison.core.services.context import Actor, allowed_area_ids, ensure_area_in_scope
from liaison.core.uow import UnitOfWork

# Statistical division codes: 6-digit county, 3 more per township and village; groups add 3.
CODE_LENGTHS = {
    AreaLevel.COUNTY: 6,
    AreaLevel.TOWNSHIP: 9,
    AreaLevel.VILLAGE: 12,
    AreaLevel.GROUP: 15,
}
PARENT_LEVEL = {
    AreaLevel.TOWNSHIP: AreaLevel.COUNTY,
    AreaLevel.VILLAGE: AreaLevel.TOWNSHIP,
    AreaLevel.GROUP: AreaLevel.VILLAGE,
}
# people are filed under a village (社区) or one of its groups
PERSON_LEVELS = frozenset({AreaLevel.VILLAGE, AreaLevel.GROUP})


@dataclass(frozen=True)
class AreaInfo:
    id: uuid.UUID
    code: str
    name: str
    level: AreaLevel
    parent_id: uuid.UUID | None
    full_name: str


def get_area_by_code(uow: UnitOfWork, code: str) -> Area:
    area = uow.session.scalar(select(Area).where(Area.code == code.strip()))
    if area is None:
        raise NotFoundError(_("找不到区划代码为 {code} 的地区").format(code=code.strip()))
    return area


def create_area(
    uow: UnitOfWork,
    actor: Actor,
    *,
    code: str,
    name: str,
    level: AreaLevel,
    parent_code: str | None = None,
) -> Area:
    code = code.strip()
    name = name.strip()
    parent_code = (parent_code or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("不能为空")
    elif len(name) > 60:
        errors["name"] = _("不能超过 60 个字")
    expected = CODE_LENGTHS[level]
    if not (code.isascii() and code.isdigit() and len(code) == expected):
        errors["code"] = _("{level}代码应为 {n} 位数字").format(level=label(level), n=expected)
    parent: Area | None = None
    if level is AreaLevel.COUNTY:
        if parent_code:
            errors["parent"] = _("县（区）不能有上级地区")
    elif not parent_code:
        errors["parent"] = _("{level}必须指定上级地区").format(level=label(level))
    else:
        parent = uow.session.scalar(select(Area).where(Area.code == parent_code))
        if parent is None:
            errors["parent"] = _("上级地区 {code} 不存在").format(code=parent_code)
        elif parent.level is not PARENT_LEVEL[level]:
            errors["parent"] = _("{level}的上级应为{parent}").format(
                level=label(level), parent=label(PARENT_LEVEL[level])
            )
        elif "code" not in errors and not code.startswith(parent.code):
            errors["code"] = _("代码应以上级地区代码 {parent} 开头").format(parent=parent.code)
    if errors:
        raise ValidationError(errors, {"name": _("名称"), "code": _("区划代码"), "parent": _("上级地区")})
    # a new area lies inside its parent: the parent must be the actor's; a county, the whole workspace
    if parent is not None:
        ensure_area_in_scope(uow, actor, parent.id)
    elif actor.scope_area_ids is not None:
        raise ScopeError(_("只有县残联或管理员可以建立县（区）"))
    existing = uow.session.scalar(select(Area).where(Area.code == code))
    if existing is not None:
        raise DuplicateError(
            _("区划代码 {code} 已被“{name}”使用").format(code=code, name=existing.name), existing.id
        )
    area = Area(
        code=code,
        name=name,
        level=level,
        parent_id=parent.id if parent else None,
        origin_device=actor.device_id,
    )
    uow.session.add(area)
    uow.session.flush()
    audit.record_created(uow.session, actor, area, ("code", "name", "level", "parent_id"))
    return area


def subtree_ids(session: Session, root_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """The given areas and everything below them."""
    roots = list(root_ids)
    if not roots:
        return set()
    tree = select(Area.id).where(Area.id.in_(roots)).cte("tree", recursive=True)
    tree = tree.union_all(select(Area.id).where(Area.parent_id == tree.c.id))
    return set(session.scalars(select(tree.c.id)))


def area_names(session: Session) -> dict[uuid.UUID, AreaInfo]:
    """Every area with its full name ("某镇 某村"), for lists and reports."""
    rows = session.execute(select(Area.id, Area.code, Area.name, Area.level, Area.parent_id)).all()
    by_id = {r.id: r for r in rows}
    result: dict[uuid.UUID, AreaInfo] = {}

    def full(area_id: uuid.UUID) -> str:
        parts = []
        node = by_id.get(area_id)
        while node is not None and node.level is not AreaLevel.COUNTY:
            parts.append(node.name)
            node = by_id.get(node.parent_id) if node.parent_id else None
        return " ".join(reversed(parts))

    for r in rows:
        result[r.id] = AreaInfo(r.id, r.code, r.name, r.level, r.parent_id, full(r.id))
    return result


def area_directory(uow: UnitOfWork) -> Mapping[uuid.UUID, AreaInfo]:
    """`area_names`, kept between units of work until an area is added or changed (every
    change bumps `updated_at`); checking that costs one small query instead of a reload."""
    stamp = tuple(uow.session.execute(select(func.count(), func.max(Area.updated_at))).one())
    cached = uow.cache.get("areas")
    if cached is None or cached[0] != stamp:
        cached = (stamp, area_names(uow.session))
        uow.cache["areas"] = cached
    return cached[1]  # type: ignore[no-any-return]


def area_children(directory: Mapping[uuid.UUID, AreaInfo]) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Each area's direct children, from `area_directory`."""
    children: dict[uuid.UUID, list[uuid.UUID]] = {}
    for info in directory.values():
        if info.parent_id is not None:
            children.setdefault(info.parent_id, []).append(info.id)
    return children


def list_areas(uow: UnitOfWork, actor: Actor) -> list[AreaInfo]:
    """The areas the actor may see, ordered by code (parents before children)."""
    allowed = allowed_area_ids(uow, actor)
    infos = area_directory(uow).values()
    visible = [a for a in infos if allowed is None or a.id in allowed]
    return sorted(visible, key=lambda a: a.code)


def resolve_area_filter(
    uow: UnitOfWork, code: str | None, actor: Actor | None = None
) -> frozenset[uuid.UUID] | None:
    """An area code given on the command line or in a filter → that area and all below it.
    With `actor`, an area outside the actor's scope is refused (ScopeError) rather than
    quietly giving nothing."""
    if not code:
        return None
    area = get_area_by_code(uow, code)
    if actor is not None:
        ensure_area_in_scope(uow, actor, area.id)
    return frozenset(subtree_ids(uow.session, [area.id]))
