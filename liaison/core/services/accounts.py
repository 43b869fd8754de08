"""Login accounts: passwords, roles and the areas each account works in, lockout and login.

Passwords are hashed with scrypt and stored as one self-describing string,
`scrypt$<log2 n>$<r>$<p>$<salt b64>$<hash b64>`, so the cost can be raised later without
breaking older hashes. Five wrong passwords in a row lock the account for five minutes; the
count and the lock are committed even though the login fails, so they outlive the attempt.

Only administrators manage accounts. The audit trail records that a password was set or
changed, never the hash itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import os
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select

from liaison.core.enums import AreaLevel, UserRole, label
from liaison.core.errors import LiaisonError, NotFoundError, ScopeError, ValidationError
from liaison.core.i18n import _
from liaison.core.models import Area, User, UserArea
from liaison.core.models.base import utcnow
from liaison.core.services import audit
from liaison.core.services.areas import area_directory
from liaison.core.services.context import Actor, ensure_area_in_scope
from liaison.core.uow import UnitOfWork

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 5

SCRYPT_LOG2_N = 15
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
# a stored hash asking for more than these is refused rather than computed (memory and time:
# n=2**18 with r=16 already takes 512 MiB)
MAX_LOG2_N = 18
MAX_R = 16
MAX_P = 4

# the audit trail's stand-ins for a password
PASSWORD_HIDDEN = "…"
PASSWORD_SET = "（已设置）"
PASSWORD_CHANGED = "（已更改）"
PASSWORD_RESET = "（已重设）"

# letters (Chinese too), digits, dot, underscore, hyphen
_USERNAME_RE = re.compile(r"^[\w.\-]{2,40}$")
RESERVED_USERNAMES = frozenset({"local-admin"})
ADMIN_USERNAME = "admin"

LABELS = {
    "username": "登录名",
    "display_name": "姓名",
    "role": "角色",
    "area_ids": "负责地区",
    "password": "密码",
    "new_password": "新密码",
    "old_password": "原密码",
    "active": "启用",
}

# the area level each role is bound to (None: the role takes no areas)
ROLE_AREA_LEVEL: dict[UserRole, AreaLevel | None] = {
    UserRole.VILLAGE_OFFICER: AreaLevel.VILLAGE,
    UserRole.TOWNSHIP_STAFF: AreaLevel.TOWNSHIP,
    UserRole.COUNTY_STAFF: AreaLevel.COUNTY,
    UserRole.ADMIN: None,
}


class AuthError(LiaisonError):
    """A login or password check that failed (wrong password, locked or disabled account)."""


def _field_error(field: str, message: str) -> ValidationError:
    return ValidationError.single(field, message, _(LABELS[field]))


# --- hashing --------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, log2_n: int, r: int, p: int, length: int) -> bytes:
    # scrypt needs 128·r·n bytes (32 MiB for the defaults) and a little more, while OpenSSL's
    # default ceiling is exactly 32 MiB: allow twice the need
    maxmem = 2 * 128 * r * 2**log2_n + 1024 * 1024
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=2**log2_n, r=r, p=p, maxmem=maxmem,
                          dklen=length)


def hash_password(password: str) -> str:
    """The string to store for `password`, with a fresh random salt."""
    salt = os.urandom(SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P, HASH_BYTES)
    return f"scrypt${SCRYPT_LOG2_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def password_matches(password: str, stored: str | None) -> bool:
    """True when `password` is the one `stored` was made from (a malformed string never matches)."""
    if not stored:
        return False
    try:
        scheme, log2_n, r, p, salt_b64, hash_b64 = stored.split("$")
        log2_n_i, r_i, p_i = int(log2_n), int(r), int(p)
        salt, expected = base64.b64decode(salt_b64, validate=True), base64.b64decode(hash_b64, validate=True)
    except ValueError:
        return False
    if scheme != "scrypt" or not (1 <= log2_n_i <= MAX_LOG2_N and 1 <= r_i <= MAX_R and 1 <= p_i <= MAX_P):
        return False
    if not expected:
        return False
    actual = _scrypt(password, salt, log2_n_i, r_i, p_i, len(expected))
    return hmac.compare_digest(actual, expected)


def check_password_rules(password: str, username: str, field: str = "password") -> None:
    """Refuse a password that is too short, too long, or the login name itself."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise _field_error(field, _("至少 {n} 个字符").format(n=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise _field_error(field, _("不能超过 {n} 个字符").format(n=MAX_PASSWORD_LENGTH))
    if password.strip().casefold() == username.strip().casefold():
        raise _field_error(field, _("不能与登录名相同"))


# --- queries --------------------------------------------------------------------------------


def _can_log_in():  # type: ignore[no-untyped-def]
    return User.active.is_(True) & User.password_hash.is_not(None)


def needs_first_admin(uow: UnitOfWork) -> bool:
    """No active administrator who can log in exists yet (a fresh or an older workspace)."""
    return not uow.session.scalar(
        select(exists().where(_can_log_in(), User.role == UserRole.ADMIN)))


def has_login_accounts(uow: UnitOfWork) -> bool:
    """Some active account has a password: then every use of the workspace needs a login."""
    return bool(uow.session.scalar(select(exists().where(_can_log_in()))))


def normalize_username(username: str) -> str:
    return username.strip().lower()


def find_user(uow: UnitOfWork, username: str) -> User | None:
    return uow.session.scalar(select(User).where(User.username == normalize_username(username)))


@dataclass(frozen=True)
class UserInfo:
    id: uuid.UUID
    username: str
    display_name: str
    role: UserRole
    role_label: str
    area_names: tuple[str, ...]
    active: bool
    locked_until: datetime | None  # None unless locked now
    last_login_at: datetime | None
    has_password: bool


def list_users(uow: UnitOfWork, actor: Actor, *, now: datetime | None = None) -> list[UserInfo]:
    """Every account, administrators first, then by role and login name (administrators only)."""
    _require_admin(actor)
    now = now or utcnow()
    directory = area_directory(uow)
    areas: dict[uuid.UUID, list[str]] = {}
    for user_id, area_id in uow.session.execute(select(UserArea.user_id, UserArea.area_id)):
        info = directory.get(area_id)
        areas.setdefault(user_id, []).append(info.full_name or info.name if info else str(area_id))
    order = {role: i for i, role in enumerate((UserRole.ADMIN, UserRole.COUNTY_STAFF, UserRole.TOWNSHIP_STAFF,
                                                UserRole.VILLAGE_OFFICER))}
    users = sorted(uow.session.scalars(select(User)), key=lambda u: (order[u.role], u.username))
    return [
        UserInfo(u.id, u.username, u.display_name, u.role, label(u.role), tuple(sorted(areas.get(u.id, []))),
                 u.active, u.locked_until if u.locked_until and u.locked_until > now else None,
                 u.last_login_at, u.password_hash is not None)
        for u in users
    ]


# --- creating and changing accounts ----------------------------------------------------------


def _require_admin(actor: Actor) -> None:
    if actor.role is not UserRole.ADMIN:
        raise ScopeError(_("只有管理员可以管理账户"))


def _load_user(uow: UnitOfWork, user_id: uuid.UUID) -> User:
    user = uow.session.get(User, user_id)
    if user is None:
        raise NotFoundError(_("找不到该账户"))
    return user


def check_username(uow: UnitOfWork, username: str) -> str:
    name = normalize_username(username)
    if not name:
        raise _field_error("username", _("不能为空"))
    if not _USERNAME_RE.match(name):
        raise _field_error("username", _("应为 2–40 个字母、汉字、数字或 . _ -，不含空格"))
    if name in RESERVED_USERNAMES:
        raise _field_error("username", _("“{name}”是保留的名称，请换一个").format(name=name))
    if uow.session.scalar(select(exists().where(User.username == name))):
        raise _field_error("username", _("登录名“{name}”已被使用").format(name=name))
    return name


def _check_display_name(display_name: str) -> str:
    text = display_name.strip()
    if not text:
        raise _field_error("display_name", _("不能为空"))
    if len(text) > 50:
        raise _field_error("display_name", _("不能超过 50 个字"))
    return text


def _check_areas(uow: UnitOfWork, actor: Actor, role: UserRole, area_ids: Iterable[uuid.UUID]) -> list[Area]:
    """The areas an account of `role` is bound to: the right level, existing, in the actor's scope."""
    ids = list(dict.fromkeys(area_ids))
    level = ROLE_AREA_LEVEL[role]
    if level is None:
        if ids:
            raise _field_error("area_ids", _("管理员负责整个工作区，不绑定地区"))
        return []
    if role is UserRole.COUNTY_STAFF and len(ids) > 1:
        raise _field_error("area_ids", _("县（区）残联账户只能绑定一个县（区），或不绑定（整个工作区）"))
    if not ids and role is not UserRole.COUNTY_STAFF:
        raise _field_error("area_ids", _("{role}至少要绑定一个{level}").format(role=label(role), level=label(level)))
    found: list[Area] = []
    for area_id in ids:
        area = uow.session.get(Area, area_id)
        if area is None:
            raise _field_error("area_ids", _("地区不存在"))
        if area.level is not level:
            raise _field_error("area_ids", _("{role}只能绑定{level}，“{name}”是{actual}").format(
                role=label(role), level=label(level), name=area.name, actual=label(area.level)))
        ensure_area_in_scope(uow, actor, area.id)
        found.append(area)
    return found


def _area_codes(areas: Iterable[Area]) -> list[str]:
    return sorted(a.code for a in areas)


def _add_user(uow: UnitOfWork, actor: Actor, *, username: str, display_name: str, role: UserRole,
              password: str, areas: list[Area]) -> User:
    user = User(username=username, display_name=display_name, role=role, active=True,
                password_hash=hash_password(password), failed_logins=0, origin_device=actor.device_id)
    uow.session.add(user)
    uow.session.flush()
    for area in areas:
        uow.session.add(UserArea(user_id=user.id, area_id=area.id))
    uow.session.flush()
    changes = {
        "username": [None, user.username],
        "display_name": [None, user.display_name],
        "role": [None, role.value],
        "password": [None, PASSWORD_SET],
    }
    if areas:
        changes["areas"] = [None, _area_codes(areas)]
    audit.record(uow.session, actor, entity="app_user", entity_id=user.id, action="create", changes=changes)
    return user


def create_first_admin(uow: UnitOfWork, actor: Actor, *, username: str, display_name: str, password: str) -> User:
    """The first administrator of a workspace (no role check: there is nobody to ask yet)."""
    if not needs_first_admin(uow):
        raise LiaisonError(_("该工作区已有管理员账户；新账户请由管理员添加"))
    name = check_username(uow, username)
    display = _check_display_name(display_name)
    check_password_rules(password, name)
    return _add_user(uow, actor, username=name, display_name=display, role=UserRole.ADMIN, password=password,
                     areas=[])


def create_user(
    uow: UnitOfWork,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    role: UserRole,
    password: str,
    area_ids: Iterable[uuid.UUID],
) -> User:
    """A new login account (administrators only), bound to the areas its role works in."""
    _require_admin(actor)
    role = UserRole(role)
    name = check_username(uow, username)
    display = _check_display_name(display_name)
    areas = _check_areas(uow, actor, role, area_ids)
    check_password_rules(password, name)
    return _add_user(uow, actor, username=name, display_name=display, role=role, password=password, areas=areas)


def _other_login_admins(uow: UnitOfWork, user_id: uuid.UUID) -> int:
    return uow.session.scalar(
        select(func.count()).select_from(User).where(_can_log_in(), User.role == UserRole.ADMIN,
                                                      User.id != user_id)) or 0


def update_user(
    uow: UnitOfWork,
    actor: Actor,
    user_id: uuid.UUID,
    *,
    display_name: str | None = None,
    role: UserRole | None = None,
    area_ids: Iterable[uuid.UUID] | None = None,
    active: bool | None = None,
) -> User:
    """Change an account's name, role, areas or whether it may log in (None leaves a value)."""
    _require_admin(actor)
    user = _load_user(uow, user_id)
    session = uow.session
    new_role = UserRole(role) if role is not None else user.role
    current_area_ids = list(session.scalars(select(UserArea.area_id).where(UserArea.user_id == user.id)))
    changes: dict[str, list[object]] = {}
    if display_name is not None:
        display = _check_display_name(display_name)
        if display != user.display_name:
            changes["display_name"] = [user.display_name, display]
    if new_role is not user.role:
        changes["role"] = [user.role.value, new_role.value]
    new_areas: list[Area] | None = None
    if area_ids is not None or new_role is not user.role:
        new_areas = _check_areas(uow, actor, new_role, current_area_ids if area_ids is None else area_ids)
        before_codes = _area_codes(a for a in (session.get(Area, i) for i in current_area_ids) if a is not None)
        if _area_codes(new_areas) != before_codes:
            changes["areas"] = [before_codes, _area_codes(new_areas)]
        else:
            new_areas = None
    if active is not None and active != user.active:
        changes["active"] = [user.active, active]
    stays_admin = new_role is UserRole.ADMIN and (user.active if active is None else active)
    if (user.role is UserRole.ADMIN and user.active and user.password_hash is not None and not stays_admin
            and not _other_login_admins(uow, user.id)):
        raise LiaisonError(_("“{name}”是最后一个可登录的管理员账户，不能停用或改为其他角色").format(
            name=user.display_name))
    if not changes:
        return user
    if "display_name" in changes:
        user.display_name = str(changes["display_name"][1])
    user.role = new_role
    if active is not None:
        user.active = active
    if new_areas is not None:
        for row in session.scalars(select(UserArea).where(UserArea.user_id == user.id)):
            session.delete(row)
        session.flush()
        for area in new_areas:
            session.add(UserArea(user_id=user.id, area_id=area.id))
    session.flush()
    audit.record(session, actor, entity="app_user", entity_id=user.id, action="update", changes=changes)
    return user


def _set_password(uow: UnitOfWork, actor: Actor, user: User, password: str, marker: str, action: str) -> None:
    had = user.password_hash is not None
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    uow.session.flush()
    audit.record(uow.session, actor, entity="app_user", entity_id=user.id, action=action,
                 changes={"password": [PASSWORD_HIDDEN if had else None, marker]})


def reset_password(uow: UnitOfWork, actor: Actor, user_id: uuid.UUID, new_password: str) -> None:
    """An administrator sets someone's password (also gives an older account its first one);
    it unlocks the account too."""
    _require_admin(actor)
    user = _load_user(uow, user_id)
    check_password_rules(new_password, user.username, "new_password")
    _set_password(uow, actor, user, new_password, PASSWORD_RESET if user.password_hash else PASSWORD_SET, "password")


def change_password(uow: UnitOfWork, actor: Actor, old_password: str, new_password: str) -> None:
    """The logged-in user changes their own password, giving the current one."""
    if actor.user_id is None:
        raise LiaisonError(_("本机管理员没有登录密码，不能修改"))
    user = _load_user(uow, actor.user_id)
    if not password_matches(old_password, user.password_hash):
        raise AuthError(_("原密码不正确"))
    check_password_rules(new_password, user.username, "new_password")
    if new_password == old_password:
        raise _field_error("new_password", _("新密码不能与原密码相同"))
    _set_password(uow, actor, user, new_password, PASSWORD_CHANGED, "password")


def unlock(uow: UnitOfWork, actor: Actor, user_id: uuid.UUID) -> None:
    """Lift a lockout (and forget the wrong tries) before its time is up."""
    _require_admin(actor)
    user = _load_user(uow, user_id)
    if not user.failed_logins and user.locked_until is None:
        return
    changes = {"failed_logins": [user.failed_logins, 0],
               "locked_until": [audit.jsonable(user.locked_until), None]}
    user.failed_logins = 0
    user.locked_until = None
    uow.session.flush()
    audit.record(uow.session, actor, entity="app_user", entity_id=user.id, action="unlock", changes=changes)


# --- logging in -----------------------------------------------------------------------------


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds() / 60))


def _self_actor(user: User, device_id: str) -> Actor:
    return Actor(username=user.username, display_name=user.display_name, role=user.role,
                 device_id=device_id, user_id=user.id)


def _check_login(uow: UnitOfWork, user: User, password: str, *, device_id: str, now: datetime,
                 wrong_message: str) -> None:
    """Check `password` against the account, counting a wrong one; commits the count, the lock
    and a success's reset before returning or raising."""
    if not user.active:
        raise AuthError(_("该账户已停用，请联系管理员"))
    if user.locked_until is not None:
        if user.locked_until > now:
            raise AuthError(_("账户已锁定，请 {m} 分钟后再试").format(m=_minutes_left(user.locked_until, now)))
        user.locked_until = None  # the lock ran out: a fresh count of tries
        user.failed_logins = 0
    if not password_matches(password, user.password_hash):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            audit.record(uow.session, _self_actor(user, device_id), entity="app_user", entity_id=user.id,
                         action="lock", changes={"locked_until": [None, audit.jsonable(user.locked_until)]},
                         reason=_("连续 {n} 次密码错误").format(n=user.failed_logins))
            uow.commit()
            raise AuthError(_("账户已锁定，请 {m} 分钟后再试").format(m=LOCK_MINUTES))
        left = MAX_FAILED_LOGINS - user.failed_logins
        uow.commit()
        raise AuthError(wrong_message.format(n=left))
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    uow.commit()


def authenticate(
    uow_factory: Callable[[], UnitOfWork],
    username: str,
    password: str,
    *,
    device_id: str,
    now: datetime | None = None,
) -> Actor:
    """Log in: the account's Actor (scoped to its areas), or AuthError."""
    from liaison.core.services.workspace import actor_for_user  # workspace builds on this module

    now = now or utcnow()
    with uow_factory() as uow:
        user = find_user(uow, username) if username.strip() else None
        if user is None or user.password_hash is None:
            # same work as a real check, so a missing name is not told apart by the time taken
            password_matches(password, _DUMMY_HASH)
            raise AuthError(_("用户名或密码不正确"))
        _check_login(uow, user, password, device_id=device_id, now=now,
                     wrong_message=_("用户名或密码不正确（还可再试 {n} 次）"))
        return actor_for_user(uow, user.id, device_id)


def verify_password(
    uow_factory: Callable[[], UnitOfWork], actor: Actor, password: str, *, now: datetime | None = None
) -> None:
    """Check the logged-in user's password again (to unlock an idle window); wrong tries count
    toward the same lockout as logging in."""
    now = now or utcnow()
    if actor.user_id is None:
        raise AuthError(_("本机管理员没有登录密码"))
    with uow_factory() as uow:
        user = uow.session.get(User, actor.user_id)
        if user is None or user.password_hash is None:
            raise AuthError(_("该账户不能登录"))
        _check_login(uow, user, password, device_id=actor.device_id, now=now,
                     wrong_message=_("密码不正确（还可再试 {n} 次）"))


_DUMMY_HASH = f"scrypt${SCRYPT_LOG2_N}${SCRYPT_R}${SCRYPT_P}${_b64(bytes(SALT_BYTES))}${_b64(bytes(HASH_BYTES))}"
