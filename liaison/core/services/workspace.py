"""Setting up a new workspace, and knowing who works in it.

A village workspace is created from the first-run form: its county, township and village,
and the officer who keeps it. That officer becomes the workspace's user, bound to the
village, so every service call from the window is scoped to it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from liaison.core.enums import AreaLevel, PersonStatus, UserRole
from liaison.core.errors import LiaisonError, ValidationError
from liaison.core.i18n import _
from liaison.core.models import Area, Person, User, UserArea
from liaison.core.services import accounts, areas, settings
from liaison.core.services.context import Actor, restrict_to_scope
from liaison.core.uow import UnitOfWork

CURRENT_USER_ID = "current_user_id"

SETUP_LABELS = {
    "county_code": "县（区）代码",
    "county_name": "县（区）名称",
    "township_code": "乡镇（街道）代码",
    "township_name": "乡镇（街道）名称",
    "village_code": "村（社区）代码",
    "village_name": "村（社区）名称",
    "officer_name": "专职委员姓名",
    "officer_username": "登录名",
    "officer_password": "密码",
    "admin_password": "管理员密码",
}


@dataclass(frozen=True)
class VillageSetup:
    county_code: str
    county_name: str
    township_code: str
    township_name: str
    village_code: str
    village_name: str
    officer_name: str
    officer_username: str
    officer_password: str
    admin_password: str


def is_empty(uow: UnitOfWork) -> bool:
    """A workspace with no areas has not been set up yet."""
    return not uow.session.scalar(select(func.count()).select_from(Area))


def setup_village_workspace(uow: UnitOfWork, actor: Actor, setup: VillageSetup) -> Actor:
    """Create the area chain, the administrator account and the officer's account; returns the
    officer as the acting user. Nothing is written when any field is wrong."""
    if not is_empty(uow):
        raise LiaisonError(_("该工作区已经建立，不能再次初始化"))
    officer = setup.officer_name.strip()
    if not officer:
        raise _setup_error("officer_name", _("不能为空"))
    if len(officer) > 50:
        raise _setup_error("officer_name", _("不能超过 50 个字"))
    _check_setup_logins(uow, setup)
    steps = (
        ("county", AreaLevel.COUNTY, setup.county_code, setup.county_name, None),
        ("township", AreaLevel.TOWNSHIP, setup.township_code, setup.township_name, setup.county_code),
        ("village", AreaLevel.VILLAGE, setup.village_code, setup.village_name, setup.township_code),
    )
    created: dict[str, Area] = {}
    for prefix, level, code, name, parent in steps:
        try:
            created[prefix] = areas.create_area(
                uow, actor, code=code, name=name, level=level, parent_code=parent
            )
        except ValidationError as exc:
            # name the form's own fields ("village_code"), not the area service's ("code")
            errors = {
                (f"{prefix}_{field}" if field in ("code", "name") else f"{prefix}_code"): msg
                for field, msg in exc.errors.items()
            }
            raise ValidationError(errors, {k: _(SETUP_LABELS.get(k, k)) for k in errors}) from None
    village = created["village"]
    user = _create_accounts(uow, actor, setup, officer, village)
    settings.put_setting(uow.session, settings.WORKSPACE_NAME,
                         f"{setup.township_name.strip()}{setup.village_name.strip()}")
    settings.put_setting(uow.session, settings.HOME_AREA_ID, str(village.id))
    settings.put_setting(uow.session, CURRENT_USER_ID, str(user.id))
    uow.session.flush()
    return actor_for_user(uow, user.id, actor.device_id)


def _setup_error(field: str, message: str) -> ValidationError:
    return ValidationError.single(field, message, _(SETUP_LABELS[field]))


def _check_setup_logins(uow: UnitOfWork, setup: VillageSetup) -> None:
    """The officer's login name and both passwords, checked before anything is created and
    reported under the form's own field names."""
    username = accounts.normalize_username(setup.officer_username)
    if username == accounts.ADMIN_USERNAME:
        raise _setup_error("officer_username", _("“{name}”留给管理员账户，请换一个").format(name=username))
    checks = (
        ("officer_username", lambda: accounts.check_username(uow, setup.officer_username)),
        ("officer_password", lambda: accounts.check_password_rules(setup.officer_password, username)),
        ("admin_password",
         lambda: accounts.check_password_rules(setup.admin_password, accounts.ADMIN_USERNAME)),
    )
    for field, check in checks:
        try:
            check()
        except ValidationError as exc:
            raise _setup_error(field, next(iter(exc.errors.values()))) from None
    if setup.admin_password == setup.officer_password:
        raise _setup_error("admin_password", _("不能与专职委员的密码相同"))


def _create_accounts(uow: UnitOfWork, actor: Actor, setup: VillageSetup, officer: str, village: Area) -> User:
    """The administrator (whole workspace) and the officer (this village), both able to log in."""
    accounts.create_first_admin(uow, actor, username=accounts.ADMIN_USERNAME, display_name=_("管理员"),
                                password=setup.admin_password)
    return accounts.create_user(uow, actor, username=setup.officer_username, display_name=officer,
                                role=UserRole.VILLAGE_OFFICER, password=setup.officer_password,
                                area_ids=[village.id])


def actor_for_user(uow: UnitOfWork, user_id: uuid.UUID, device_id: str) -> Actor:
    user = uow.session.get(User, user_id)
    if user is None or not user.active:
        raise LiaisonError(_("找不到该用户，或该用户已停用"))
    area_ids = frozenset(
        uow.session.scalars(select(UserArea.area_id).where(UserArea.user_id == user.id))
    )
    unrestricted = user.role in (UserRole.COUNTY_STAFF, UserRole.ADMIN) and not area_ids
    return Actor(
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        device_id=device_id,
        user_id=user.id,
        scope_area_ids=None if unrestricted else area_ids,
    )


def workspace_actor(uow: UnitOfWork, fallback: Actor) -> Actor:
    """Who works in this workspace: its officer when one was set up, else `fallback` (the
    local administrator, e.g. for demo data covering a whole county)."""
    user_id = settings.get_setting(uow.session, CURRENT_USER_ID)
    if not user_id:
        return fallback
    return actor_for_user(uow, uuid.UUID(user_id), fallback.device_id)


def workspace_name(uow: UnitOfWork) -> str:
    return str(settings.get_setting(uow.session, settings.WORKSPACE_NAME) or _("未命名工作区"))


def active_people_count(uow: UnitOfWork, actor: Actor) -> int:
    stmt = select(func.count()).select_from(Person).where(Person.status == PersonStatus.ACTIVE)
    allowed = restrict_to_scope(uow, actor, None)
    if allowed is not None:
        stmt = stmt.where(Person.area_id.in_(allowed))
    return uow.session.scalar(stmt) or 0
