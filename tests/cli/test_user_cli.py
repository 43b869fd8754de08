"""Logging in on the command line, the `user` commands, and a village officer held to the
village: another village's people are refused, with a non-zero exit and nothing written."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from liaison.cli.main import run_cli
from liaison.core.demo import DEMO_PASSWORD
from tests.cli.conftest import DEMO_TODAY, Demo, DemoPerson, make_demo
from tests.dbfiles import connect

OWN_VILLAGE = "220202100001"  # v0001's village in the demo county


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """A county of three villages (the shared demo has one): one to stay in, two to be kept out of."""
    county = make_demo(tmp_path_factory.mktemp("user-cli-demo"), persons=750)
    assert len({p.village_code for p in county.people}) == 3
    return county


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    def run(*argv: str) -> Result:
        try:
            code = run_cli(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        assert "Traceback" not in out and "Traceback" not in err
        return Result(code, out, err)

    return run


@pytest.fixture
def db(demo: Demo, tmp_path: Path) -> Path:
    """A private copy of the demo county (logins write their counts and times)."""
    return demo.copy(tmp_path / "demo.db")


@pytest.fixture
def on_db(cli, db: Path):  # type: ignore[no-untyped-def]
    def run(*argv: str) -> Result:
        return cli("--db", str(db), "--today", DEMO_TODAY, *argv)

    return run


def as_user(monkeypatch: pytest.MonkeyPatch, user: str, password: str = DEMO_PASSWORD) -> None:
    monkeypatch.setenv("LIAISON_USER", user)
    monkeypatch.setenv("LIAISON_PASSWORD", password)


def audit_count(db: Path) -> int:
    conn = connect(db)
    try:
        return conn.execute("SELECT count(*) FROM audit_event").fetchone()[0]
    finally:
        conn.close()


def person_elsewhere(demo: Demo) -> DemoPerson:
    return next(p for p in demo.people if p.village_code != OWN_VILLAGE)


def person_at_home(demo: Demo) -> DemoPerson:
    return next(p for p in demo.people if p.village_code == OWN_VILLAGE)


# --- logging in --------------------------------------------------------------------------------


def test_without_a_password_the_command_stops_with_a_chinese_message(on_db, monkeypatch, tmp_path):
    monkeypatch.delenv("LIAISON_PASSWORD")
    out = tmp_path / "roster.xlsx"
    result = on_db("export", "roster", "--out", str(out))
    assert result.code == 1
    assert "需要用户 admin 的密码" in result.err and "LIAISON_PASSWORD" in result.err
    assert not out.exists()


def test_without_a_user_name_the_command_says_how_to_give_one(on_db, monkeypatch):
    monkeypatch.delenv("LIAISON_USER")
    result = on_db("person", "search", "")
    assert result.code == 1 and "--user" in result.err and result.out == ""


def test_a_wrong_password_is_refused_and_nothing_is_written(on_db, db, monkeypatch, tmp_path):
    as_user(monkeypatch, "admin", "not-the-password")
    before = audit_count(db)
    out = tmp_path / "roster.xlsx"
    result = on_db("export", "roster", "--out", str(out))
    assert result.code == 1
    assert "用户名或密码不正确（还可再试 4 次）" in result.err
    assert not out.exists() and audit_count(db) == before
    result = on_db("person", "search", "")
    assert "还可再试 3 次" in result.err and result.out == ""


def test_the_user_option_wins_over_the_environment(on_db, demo, monkeypatch):
    as_user(monkeypatch, "nobody")
    result = on_db("--user", "v0001", "person", "search", "", "--json", "--limit", "500")
    assert result.code == 0, result.err
    village_of = {p.id: p.village_code for p in demo.people}
    found = json.loads(result.out)["results"]
    assert found and {village_of[r["id"]] for r in found} == {OWN_VILLAGE}


def test_five_wrong_passwords_lock_the_account_until_an_administrator_unlocks_it(on_db, monkeypatch):
    as_user(monkeypatch, "v0001", "wrong-password")
    for _ in range(4):
        assert on_db("person", "search", "").code == 1
    assert "账户已锁定，请 5 分钟后再试" in on_db("person", "search", "").err
    as_user(monkeypatch, "v0001")
    assert "账户已锁定" in on_db("person", "search", "").err
    as_user(monkeypatch, "admin")
    assert on_db("user", "unlock", "v0001").code == 0
    as_user(monkeypatch, "v0001")
    assert on_db("person", "search", "").code == 0


# --- a village officer stays in the village ---------------------------------------------------


def test_an_officer_reads_the_own_village(on_db, demo, monkeypatch):
    as_user(monkeypatch, "v0001")
    result = on_db("person", "show", person_at_home(demo).id_number, "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["area"]["code"].startswith(OWN_VILLAGE)


@pytest.mark.parametrize("command", ["show", "report", "search-area", "export-area", "tasks-area", "cases-area",
                                     "visit-form"])
def test_an_officer_is_refused_another_villages_people(on_db, db, demo, monkeypatch, tmp_path, command):
    as_user(monkeypatch, "v0001")
    other = person_elsewhere(demo)
    out = tmp_path / ("out.xlsx" if command.startswith("export") else "out.pdf")
    argv = {
        "show": ("person", "show", other.id_number),
        "report": ("report", "person", other.id_number, "--out", str(out)),
        "search-area": ("person", "search", "", "--area", other.village_code),
        "export-area": ("export", "roster", "--area", other.village_code, "--out", str(out)),
        "tasks-area": ("tasks", "--area", other.village_code),
        "cases-area": ("cases", "--kind", "modification", "--area", other.village_code),
        "visit-form": ("report", "visit-form", "--person", other.id, "--out", str(out)),
    }[command]
    before = audit_count(db)
    result = on_db(*argv)
    assert result.code == 1, result.out
    assert "无权访问该地区的数据" in result.err
    assert other.name not in result.out
    assert not out.exists() and audit_count(db) == before


def test_an_officers_search_and_roster_hold_only_the_village(on_db, demo, monkeypatch, tmp_path):
    as_user(monkeypatch, "v0001")
    other = person_elsewhere(demo)
    found = json.loads(on_db("person", "search", other.id_number, "--json").out)
    assert found["total"] == 0 and found["results"] == []
    out = tmp_path / "roster.xlsx"
    result = on_db("export", "roster", "--out", str(out), "--json")
    assert result.code == 0, result.err
    own = sum(1 for p in demo.people if p.village_code == OWN_VILLAGE)
    everyone = len(demo.people)
    rows = json.loads(result.out)["rows"]
    assert 0 < rows <= own < everyone


# --- the user commands ------------------------------------------------------------------------


def test_an_administrator_adds_an_officer_who_then_logs_in(on_db, monkeypatch):
    monkeypatch.setenv("LIAISON_NEW_PASSWORD", "new-officer-1")
    result = on_db("user", "add", "Zhangli", "--name", "张丽", "--role", "village", "--area", OWN_VILLAGE)
    assert result.code == 0, result.err
    assert "已添加账户 zhangli（张丽，村（社区）专职委员）" in result.out
    listed = {u["username"]: u for u in json.loads(on_db("user", "list", "--json").out)}
    assert listed["zhangli"]["role"] == "village_officer" and listed["zhangli"]["areas"][0].endswith("两家子村")
    assert listed["admin"]["areas"] == [] and listed["v0002"]["has_password"] is False
    as_user(monkeypatch, "zhangli", "new-officer-1")
    assert on_db("person", "search", "").code == 0
    # an officer may not add accounts
    again = on_db("user", "add", "other", "--name", "某人", "--role", "village", "--area", OWN_VILLAGE)
    assert again.code == 1 and "只有管理员" in again.err


def test_wrong_areas_for_a_role_are_named(on_db, monkeypatch):
    monkeypatch.setenv("LIAISON_NEW_PASSWORD", "new-officer-1")
    result = on_db("user", "add", "t9", "--name", "某人", "--role", "township", "--area", OWN_VILLAGE)
    assert result.code == 1 and "负责地区" in result.err and "只能绑定乡镇（街道）" in result.err


def test_disable_and_enable(on_db, monkeypatch):
    assert on_db("user", "disable", "v0001").code == 0
    as_user(monkeypatch, "v0001")
    result = on_db("person", "search", "")
    assert result.code == 1 and "该账户已停用" in result.err
    as_user(monkeypatch, "admin")
    assert "最后一个可登录的管理员" in on_db("user", "disable", "admin").err
    assert on_db("user", "enable", "v0001").code == 0
    as_user(monkeypatch, "v0001")
    assert on_db("person", "search", "").code == 0


def test_passwd_changes_the_own_password_or_an_administrator_resets_another(on_db, monkeypatch):
    as_user(monkeypatch, "v0001")
    monkeypatch.setenv("LIAISON_NEW_PASSWORD", "officer-own-2")
    assert on_db("user", "passwd").code == 0
    assert "用户名或密码不正确" in on_db("person", "search", "").err
    as_user(monkeypatch, "v0001", "officer-own-2")
    assert on_db("person", "search", "").code == 0
    # an officer cannot reset someone else's
    assert "只有管理员" in on_db("user", "passwd", "town01").err
    as_user(monkeypatch, "admin")
    monkeypatch.setenv("LIAISON_NEW_PASSWORD", "reset-by-admin")
    assert on_db("user", "passwd", "v0001").code == 0
    as_user(monkeypatch, "v0001", "reset-by-admin")
    assert on_db("person", "search", "").code == 0


def test_a_new_password_is_asked_for_when_none_is_given(on_db, monkeypatch):
    monkeypatch.delenv("LIAISON_NEW_PASSWORD", raising=False)
    result = on_db("user", "passwd")
    assert result.code == 1 and "LIAISON_NEW_PASSWORD" in result.err


def test_a_fresh_workspace_runs_as_the_local_administrator_until_the_first_admin(cli, monkeypatch, tmp_path):
    fresh = str(tmp_path / "county.db")
    monkeypatch.delenv("LIAISON_USER")
    monkeypatch.delenv("LIAISON_PASSWORD")
    assert cli("--db", fresh, "area", "list").code == 0
    monkeypatch.setenv("LIAISON_NEW_PASSWORD", "county-admin-1")
    refused = cli("--db", fresh, "user", "add", "x1", "--name", "某人", "--role", "county")
    assert refused.code == 1 and "user init-admin" in refused.err
    result = cli("--db", fresh, "user", "init-admin", "boss", "--name", "王主任")
    assert result.code == 0, result.err
    assert "已建立管理员账户 boss（王主任）" in result.out
    # from now on a login is needed
    assert cli("--db", fresh, "area", "list").code == 1
    again = cli("--db", fresh, "user", "init-admin", "boss2", "--name", "某人")
    assert again.code == 1 and "已有管理员" in again.err
    as_user(monkeypatch, "boss", "county-admin-1")
    assert cli("--db", fresh, "area", "list").code == 0
    assert cli("--db", fresh, "user", "add", "c1", "--name", "县残联", "--role", "county").code == 0
