"""Login accounts: password hashing, lockout, roles and their areas, the last administrator,
and an audit trail that never holds a hash."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from liaison.core.enums import UserRole
from liaison.core.errors import LiaisonError, ScopeError, ValidationError
from liaison.core.models import AuditEvent, User, UserArea
from liaison.core.services import accounts, persons
from liaison.core.services import workspace as workspace_service
from liaison.core.services.accounts import AuthError
from tests.core.services.helpers import TODAY, person_input

NOW = datetime(2025, 6, 16, 8, 0, 0)
ADMIN_PW = "admin-pass-1"
PW = "secret-pass-1"


@pytest.fixture
def admin(workspace, actor, area_tree):
    """The first administrator, logged in (an Actor with a user id)."""
    with workspace.uow() as uow:
        accounts.create_first_admin(uow, actor, username="Admin", display_name="管理员", password=ADMIN_PW)
        uow.commit()
    return accounts.authenticate(workspace.uow, "admin", ADMIN_PW, device_id=workspace.device_id, now=NOW)


def add_user(workspace, admin, username, role, area_ids, password=PW):
    with workspace.uow() as uow:
        user = accounts.create_user(uow, admin, username=username, display_name=f"{username}姓名", role=role,
                                    password=password, area_ids=area_ids)
        uow.commit()
        return user.id


def login(workspace, username, password, now=NOW):
    return accounts.authenticate(workspace.uow, username, password, device_id=workspace.device_id, now=now)


# --- hashing ---------------------------------------------------------------------------------


def test_a_hash_names_its_parameters_and_salt_and_is_salted_afresh_every_time():
    first, second = accounts.hash_password(PW), accounts.hash_password(PW)
    scheme, log2_n, r, p, salt, digest = first.split("$")
    assert (scheme, log2_n, r, p) == ("scrypt", "15", "8", "1")
    assert len(base64.b64decode(salt)) == 16 and len(base64.b64decode(digest)) == 32
    assert first != second and first.split("$")[4] != second.split("$")[4]
    assert accounts.password_matches(PW, first) and accounts.password_matches(PW, second)
    assert not accounts.password_matches(PW + "x", first)
    assert not accounts.password_matches(PW, None)
    assert not accounts.password_matches(PW, "scrypt$15$8$1$not-base64$")
    assert not accounts.password_matches(PW, first.replace("scrypt$15", "scrypt$30"))  # refused, not computed


def test_password_rules():
    for bad, message in (("short1", "至少 8 个字符"), ("wangfang", "不能与登录名相同"), ("x" * 129, "不能超过")):
        with pytest.raises(ValidationError, match=message) as err:
            accounts.check_password_rules(bad, "WangFang")
        assert "password" in err.value.errors
    accounts.check_password_rules("eight888", "wangfang")


# --- logging in and the lockout ---------------------------------------------------------------


def test_login_returns_the_accounts_actor_scoped_to_its_areas(workspace, admin, area_tree):
    assert admin.role is UserRole.ADMIN and admin.scope_area_ids is None and admin.user_id is not None
    add_user(workspace, admin, "qianjin", UserRole.VILLAGE_OFFICER, [area_tree.other_village])
    officer = login(workspace, " QianJin ", PW)
    assert officer.role is UserRole.VILLAGE_OFFICER
    assert officer.scope_area_ids == frozenset({area_tree.other_village})
    with workspace.uow() as uow:
        user = accounts.find_user(uow, "qianjin")
        assert user.last_login_at == NOW and user.failed_logins == 0


def test_a_wrong_password_says_how_many_tries_are_left(workspace, admin):
    with pytest.raises(AuthError, match=r"用户名或密码不正确（还可再试 4 次）"):
        login(workspace, "admin", "wrong-password")
    with pytest.raises(AuthError, match=r"用户名或密码不正确（还可再试 3 次）"):
        login(workspace, "admin", "wrong-password")
    with pytest.raises(AuthError, match=r"^用户名或密码不正确$"):
        login(workspace, "nobody", "wrong-password")
    login(workspace, "admin", ADMIN_PW)  # a success forgets the wrong tries
    with workspace.uow() as uow:
        assert accounts.find_user(uow, "admin").failed_logins == 0


def test_five_wrong_tries_lock_the_account_for_five_minutes(workspace, admin):
    for left in (4, 3, 2, 1):
        with pytest.raises(AuthError, match=f"还可再试 {left} 次"):
            login(workspace, "admin", "wrong-password")
    with pytest.raises(AuthError, match="账户已锁定，请 5 分钟后再试"):
        login(workspace, "admin", "wrong-password")
    # the lock is stored: a new unit of work (a new program run) still sees it
    with workspace.uow() as uow:
        user = accounts.find_user(uow, "admin")
        assert user.locked_until == NOW + timedelta(minutes=5)
    # the right password is refused too while the lock lasts
    with pytest.raises(AuthError, match="账户已锁定，请 5 分钟后再试"):
        login(workspace, "admin", ADMIN_PW)
    with pytest.raises(AuthError, match="账户已锁定，请 2 分钟后再试"):
        login(workspace, "admin", ADMIN_PW, now=NOW + timedelta(minutes=3, seconds=30))
    actor = login(workspace, "admin", ADMIN_PW, now=NOW + timedelta(minutes=5, seconds=1))
    assert actor.username == "admin"
    with workspace.uow() as uow:
        user = accounts.find_user(uow, "admin")
        assert (user.failed_logins, user.locked_until) == (0, None)


def test_after_a_lock_runs_out_the_count_starts_afresh(workspace, admin):
    for _ in range(5):
        with pytest.raises(AuthError):
            login(workspace, "admin", "wrong-password")
    later = NOW + timedelta(minutes=6)
    with pytest.raises(AuthError, match="还可再试 4 次"):
        login(workspace, "admin", "wrong-password", now=later)


def test_verify_password_counts_toward_the_same_lockout(workspace, admin):
    accounts.verify_password(workspace.uow, admin, ADMIN_PW, now=NOW)
    with pytest.raises(AuthError, match=r"密码不正确（还可再试 4 次）"):
        accounts.verify_password(workspace.uow, admin, "wrong-password", now=NOW)
    for _ in range(3):
        with pytest.raises(AuthError):
            accounts.verify_password(workspace.uow, admin, "wrong-password", now=NOW)
    with pytest.raises(AuthError, match="账户已锁定"):
        login(workspace, "admin", "wrong-password")
    with pytest.raises(AuthError, match="账户已锁定"):
        accounts.verify_password(workspace.uow, admin, ADMIN_PW, now=NOW)


def test_an_administrator_unlocks_early(workspace, admin, area_tree):
    add_user(workspace, admin, "qianjin", UserRole.VILLAGE_OFFICER, [area_tree.other_village])
    for _ in range(5):
        with pytest.raises(AuthError):
            login(workspace, "qianjin", "wrong-password")
    with workspace.uow() as uow:
        user = accounts.find_user(uow, "qianjin")
        assert [u.locked_until for u in accounts.list_users(uow, admin, now=NOW) if u.username == "qianjin"] == [
            NOW + timedelta(minutes=5)]
        accounts.unlock(uow, admin, user.id)
        uow.commit()
    assert login(workspace, "qianjin", PW).username == "qianjin"


def test_a_disabled_account_cannot_log_in(workspace, admin, area_tree):
    user_id = add_user(workspace, admin, "qianjin", UserRole.VILLAGE_OFFICER, [area_tree.other_village])
    with workspace.uow() as uow:
        accounts.update_user(uow, admin, user_id, active=False)
        uow.commit()
    with pytest.raises(AuthError, match="该账户已停用"):
        login(workspace, "qianjin", PW)
    with workspace.uow() as uow:
        accounts.update_user(uow, admin, user_id, active=True)
        uow.commit()
    assert login(workspace, "qianjin", PW).user_id == user_id


# --- creating accounts -----------------------------------------------------------------------


def test_first_admin_only_while_there_is_none(workspace, actor, area_tree):
    with workspace.uow() as uow:
        assert accounts.needs_first_admin(uow) and not accounts.has_login_accounts(uow)
        accounts.create_first_admin(uow, actor, username="admin", display_name="管理员", password=ADMIN_PW)
        assert not accounts.needs_first_admin(uow) and accounts.has_login_accounts(uow)
        with pytest.raises(LiaisonError, match="已有管理员"):
            accounts.create_first_admin(uow, actor, username="admin2", display_name="管理员", password=ADMIN_PW)


@pytest.mark.parametrize(
    ("role", "areas", "field_message"),
    [
        (UserRole.VILLAGE_OFFICER, [], "至少要绑定一个村（社区）"),
        (UserRole.VILLAGE_OFFICER, ["township"], "只能绑定村（社区）"),
        (UserRole.VILLAGE_OFFICER, ["group"], "只能绑定村（社区）"),
        (UserRole.TOWNSHIP_STAFF, ["village"], "只能绑定乡镇（街道）"),
        (UserRole.TOWNSHIP_STAFF, [], "至少要绑定一个乡镇（街道）"),
        (UserRole.COUNTY_STAFF, ["township"], "只能绑定县（区）"),
        (UserRole.ADMIN, ["county"], "不绑定地区"),
    ],
)
def test_each_role_is_bound_to_areas_of_its_level(workspace, admin, area_tree, role, areas, field_message):
    ids = [getattr(area_tree, a) for a in areas]
    with workspace.uow() as uow, pytest.raises(ValidationError, match=field_message) as err:
        accounts.create_user(uow, admin, username="someone", display_name="某人", role=role, password=PW,
                             area_ids=ids)
    assert "area_ids" in err.value.errors


def test_roles_with_their_areas_are_created(workspace, admin, area_tree):
    add_user(workspace, admin, "v1", UserRole.VILLAGE_OFFICER, [area_tree.village, area_tree.other_village])
    add_user(workspace, admin, "t1", UserRole.TOWNSHIP_STAFF, [area_tree.township])
    add_user(workspace, admin, "c1", UserRole.COUNTY_STAFF, [area_tree.county])
    add_user(workspace, admin, "c2", UserRole.COUNTY_STAFF, [])
    assert login(workspace, "v1", PW).scope_area_ids == {area_tree.village, area_tree.other_village}
    assert login(workspace, "t1", PW).scope_area_ids == {area_tree.township}
    assert login(workspace, "c1", PW).scope_area_ids == {area_tree.county}
    assert login(workspace, "c2", PW).scope_area_ids is None
    with workspace.uow() as uow:
        rows = {u.username: u for u in accounts.list_users(uow, admin)}
    assert list(rows)[0] == "admin"
    assert rows["v1"].role_label == "村（社区）专职委员"
    assert rows["v1"].area_names == ("桦皮厂镇 两家子村", "桦皮厂镇 前进村")
    assert rows["c2"].area_names == () and rows["c2"].has_password


def test_only_an_administrator_manages_accounts(workspace, admin, area_tree):
    add_user(workspace, admin, "t1", UserRole.TOWNSHIP_STAFF, [area_tree.township])
    township = login(workspace, "t1", PW)
    with workspace.uow() as uow:
        with pytest.raises(ScopeError, match="只有管理员"):
            accounts.create_user(uow, township, username="v9", display_name="某人",
                                 role=UserRole.VILLAGE_OFFICER, password=PW, area_ids=[area_tree.village])
        with pytest.raises(ScopeError):
            accounts.list_users(uow, township)
        with pytest.raises(ScopeError):
            accounts.reset_password(uow, township, admin.user_id, "new-password-1")


def test_an_administrator_bound_to_areas_cannot_hand_out_others(workspace, area_tree):
    """An area outside the creating actor's scope is refused, even for an ADMIN-role actor."""
    from liaison.core.services.context import Actor

    scoped = Actor(username="x", display_name="乡镇管理员", role=UserRole.ADMIN, device_id=workspace.device_id,
                   scope_area_ids=frozenset({area_tree.other_village}))
    with workspace.uow() as uow, pytest.raises(ScopeError):
        accounts.create_user(uow, scoped, username="v9", display_name="某人", role=UserRole.VILLAGE_OFFICER,
                             password=PW, area_ids=[area_tree.village])


def test_usernames_are_unique_and_well_formed(workspace, admin, area_tree):
    add_user(workspace, admin, "wangfang", UserRole.COUNTY_STAFF, [])
    for bad, message in (("WangFang", "已被使用"), ("王 芳", "不含空格"), ("a", "2–40"), ("local-admin", "保留")):
        with workspace.uow() as uow, pytest.raises(ValidationError, match=message) as err:
            accounts.create_user(uow, admin, username=bad, display_name="某人", role=UserRole.COUNTY_STAFF,
                                 password=PW, area_ids=[])
        assert "username" in err.value.errors
    add_user(workspace, admin, "王芳", UserRole.COUNTY_STAFF, [])  # a Chinese login name is fine
    assert login(workspace, "王芳", PW).display_name == "王芳姓名"


# --- changing accounts -----------------------------------------------------------------------


def test_the_last_administrator_cannot_be_disabled_or_demoted(workspace, admin, area_tree):
    with workspace.uow() as uow:
        with pytest.raises(LiaisonError, match="最后一个可登录的管理员"):
            accounts.update_user(uow, admin, admin.user_id, active=False)
        with pytest.raises(LiaisonError, match="最后一个可登录的管理员"):
            accounts.update_user(uow, admin, admin.user_id, role=UserRole.COUNTY_STAFF, area_ids=[])
    second = add_user(workspace, admin, "admin2", UserRole.ADMIN, [])
    with workspace.uow() as uow:
        accounts.update_user(uow, admin, admin.user_id, active=False)
        uow.commit()
    other = login(workspace, "admin2", PW)
    with workspace.uow() as uow, pytest.raises(LiaisonError, match="最后一个"):
        accounts.update_user(uow, other, second, active=False)


def test_role_and_area_changes(workspace, admin, area_tree):
    user_id = add_user(workspace, admin, "v1", UserRole.VILLAGE_OFFICER, [area_tree.village])
    with workspace.uow() as uow:
        with pytest.raises(ValidationError, match="只能绑定乡镇"):  # the village does not fit the new role
            accounts.update_user(uow, admin, user_id, role=UserRole.TOWNSHIP_STAFF)
        accounts.update_user(uow, admin, user_id, role=UserRole.TOWNSHIP_STAFF, area_ids=[area_tree.township],
                             display_name="  新名字 ")
        uow.commit()
    actor = login(workspace, "v1", PW)
    assert (actor.role, actor.scope_area_ids, actor.display_name) == (
        UserRole.TOWNSHIP_STAFF, {area_tree.township}, "新名字")
    with workspace.uow() as uow:
        event = uow.session.scalars(select(AuditEvent).where(AuditEvent.entity_id == user_id,
                                                             AuditEvent.action == "update")).one()
        assert event.changes["role"] == ["village_officer", "township_staff"]
        assert event.changes["areas"] == [["220202100001"], ["220202100"]]
        assert event.username == "admin"


def test_reset_and_change_password(workspace, admin, area_tree):
    user_id = add_user(workspace, admin, "v1", UserRole.VILLAGE_OFFICER, [area_tree.village])
    with workspace.uow() as uow:
        accounts.reset_password(uow, admin, user_id, "reset-pass-1")
        uow.commit()
    with pytest.raises(AuthError):
        login(workspace, "v1", PW)
    officer = login(workspace, "v1", "reset-pass-1")
    with workspace.uow() as uow:
        with pytest.raises(AuthError, match="原密码不正确"):
            accounts.change_password(uow, officer, "wrong-password", "own-pass-22")
        with pytest.raises(ValidationError, match="不能与原密码相同"):
            accounts.change_password(uow, officer, "reset-pass-1", "reset-pass-1")
        with pytest.raises(ValidationError, match="至少 8 个字符") as err:
            accounts.change_password(uow, officer, "reset-pass-1", "short")
        assert "new_password" in err.value.errors
        accounts.change_password(uow, officer, "reset-pass-1", "own-pass-22")
        uow.commit()
    assert login(workspace, "v1", "own-pass-22").user_id == user_id


def test_the_audit_trail_marks_passwords_and_never_holds_a_hash(workspace, admin, area_tree):
    user_id = add_user(workspace, admin, "v1", UserRole.VILLAGE_OFFICER, [area_tree.village])
    with workspace.uow() as uow:
        accounts.reset_password(uow, admin, user_id, "reset-pass-1")
        uow.commit()
    officer = login(workspace, "v1", "reset-pass-1")
    with workspace.uow() as uow:
        accounts.change_password(uow, officer, "reset-pass-1", "own-pass-22")
        uow.commit()
    for _ in range(5):
        with pytest.raises(AuthError):
            login(workspace, "v1", "wrong-password")
    with workspace.uow() as uow:
        hashes = [h for h in uow.session.scalars(select(User.password_hash)) if h]
        events = list(uow.session.scalars(select(AuditEvent).where(AuditEvent.entity == "app_user")
                                          .order_by(AuditEvent.seq)))
    dumped = json.dumps([e.changes for e in events], ensure_ascii=False)
    assert hashes and not any(h in dumped or h.split("$")[-1] in dumped for h in hashes)
    assert "scrypt" not in dumped
    mine = [(e.action, e.changes.get("password")) for e in events if e.entity_id == user_id]
    assert mine[:3] == [("create", [None, "（已设置）"]), ("password", ["…", "（已重设）"]),
                        ("password", ["…", "（已更改）"])]
    assert mine[3][0] == "lock"


# --- the village workspace -------------------------------------------------------------------

SETUP = workspace_service.VillageSetup(
    county_code="220202", county_name="昌邑区", township_code="220202100", township_name="桦皮厂镇",
    village_code="220202100001", village_name="两家子村", officer_name="李秀梅",
    officer_username="lixm", officer_password="village-pass-1", admin_password="admin-pass-1",
)


def test_village_setup_creates_the_administrator_and_the_officer(workspace, actor):
    with workspace.uow() as uow:
        officer = workspace_service.setup_village_workspace(uow, actor, SETUP)
        uow.commit()
    assert officer.username == "lixm" and officer.role is UserRole.VILLAGE_OFFICER
    admin = login(workspace, "admin", "admin-pass-1")
    assert admin.role is UserRole.ADMIN and admin.display_name == "管理员" and admin.scope_area_ids is None
    logged_in = login(workspace, "lixm", "village-pass-1")
    assert logged_in == replace(officer)
    with workspace.uow() as uow:
        assert not accounts.needs_first_admin(uow) and accounts.has_login_accounts(uow)
        (row,) = uow.session.scalars(select(UserArea).where(UserArea.user_id == officer.user_id))
        assert officer.scope_area_ids == {row.area_id}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"officer_username": ""}, "officer_username", "不能为空"),
        ({"officer_username": "admin"}, "officer_username", "留给管理员"),
        ({"officer_password": "short"}, "officer_password", "至少 8 个字符"),
        ({"officer_password": "lixm"}, "officer_password", "至少 8 个字符"),
        ({"officer_username": "lixiumei", "officer_password": "LiXiuMei"}, "officer_password", "不能与登录名相同"),
        ({"admin_password": "short"}, "admin_password", "至少 8 个字符"),
        ({"admin_password": "village-pass-1"}, "admin_password", "不能与专职委员的密码相同"),
    ],
)
def test_village_setup_login_mistakes_name_the_form_field_and_store_nothing(workspace, actor, change, field,
                                                                             message):
    with workspace.uow() as uow, pytest.raises(ValidationError, match=message) as err:
        workspace_service.setup_village_workspace(uow, actor, replace(SETUP, **change))
    assert list(err.value.errors) == [field]
    assert workspace_service.SETUP_LABELS[field] in str(err.value)
    with workspace.uow() as uow:
        assert workspace_service.is_empty(uow)
        assert not uow.session.scalars(select(User)).first()


def test_an_older_workspace_gets_its_administrator_and_officer_password(workspace, actor, area_tree):
    """A workspace set up before logins: the officer has no password and nobody can log in."""
    with workspace.uow() as uow:
        legacy = User(username="officer", display_name="李秀梅", role=UserRole.VILLAGE_OFFICER,
                      origin_device=workspace.device_id)
        uow.session.add(legacy)
        uow.session.flush()
        uow.session.add(UserArea(user_id=legacy.id, area_id=area_tree.village))
        uow.commit()
        legacy_id = legacy.id
    officer_actor = None
    with workspace.uow() as uow:
        assert accounts.needs_first_admin(uow) and not accounts.has_login_accounts(uow)
        officer_actor = workspace_service.actor_for_user(uow, legacy_id, workspace.device_id)
    with pytest.raises(AuthError, match="用户名或密码不正确"):
        login(workspace, "officer", "")
    with workspace.uow() as uow:
        # the window runs as the officer then: that actor may create the first administrator
        admin_user = accounts.create_first_admin(uow, officer_actor, username="admin", display_name="管理员",
                                                 password=ADMIN_PW)
        new_admin = workspace_service.actor_for_user(uow, admin_user.id, workspace.device_id)
        accounts.reset_password(uow, new_admin, legacy_id, "village-pass-1")
        uow.commit()
    assert login(workspace, "officer", "village-pass-1").scope_area_ids == {area_tree.village}


def test_a_logged_in_officer_is_held_to_the_village(workspace, admin, area_tree):
    add_user(workspace, admin, "qianjin", UserRole.VILLAGE_OFFICER, [area_tree.other_village])
    officer = login(workspace, "qianjin", PW)
    with workspace.uow() as uow:
        persons.create_person(uow, officer, person_input(area_tree.other_village), today=TODAY)
        with pytest.raises(ScopeError):
            persons.create_person(uow, officer, person_input(area_tree.village), today=TODAY)
