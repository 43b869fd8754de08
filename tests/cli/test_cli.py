"""The command line, run in-process through `run_cli`: every command, its exit code, its text
and the JSON shapes README.md documents."""

from __future__ import annotations

import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from liaison import __version__
from liaison.cli.main import run_cli
from liaison.core import db
from liaison.core.pinyin import name_search_terms
from liaison.core.rules.idnumber import mask_cert_number, mask_id_number
from tests.cli.conftest import DEMO_PERSONS, DEMO_TODAY, Demo
from tests.dbfiles import connect

MASKED_ID = re.compile(r"^\d{6}\*{8}\d{3}[\dX]$")

# --- the JSON shapes, as README.md documents them ---------------------------------------------
SEARCH_KEYS = {"format", "total", "total_exact", "offset", "limit", "results"}
SEARCH_RESULT_KEYS = {
    "id", "name", "sex", "sex_label", "age", "id_number_masked", "category", "category_label",
    "grade", "grade_label", "area", "status", "status_label", "phone", "open_needs",
}
SHOW_KEYS = {
    "format", "id", "row_version", "name", "id_number", "sex", "sex_label", "birth_date", "age",
    "ethnicity", "phone", "area", "address", "hukou", "hukou_label", "lives_alone", "guardian",
    "certificate", "disability", "economic", "subsidies", "insurance", "employment",
    "school_status", "school_status_label", "status", "registered_on", "visit_cadence",
    "last_contact_on", "needs", "visits", "follow_ups", "notes",
}
SHOW_NESTED_KEYS = {
    "area": {"code", "name", "full_name"},
    "guardian": {"name", "relation", "phone"},
    "certificate": {"number", "issued_on", "valid_until"},
    "disability": {"category", "category_label", "components", "components_label", "grade",
                   "grade_label", "diagnosis", "diagnosed_on"},
    "economic": {"dibao", "tekun", "fanpin_monitor", "low_income", "chronic_illness_in_household"},
    "subsidies": {"living", "care", "gaps"},
    "insurance": {"pension_insured", "pension_gov_paid", "medical_insured", "medical_gov_paid"},
    "employment": {"status", "status_label", "form", "form_label", "training_wish"},
    "status": {"code", "label", "on", "reason"},
    "visit_cadence": {"rule", "next_due_on", "state"},
}
SUBSIDY_KEYS = {"eligible", "reasons", "receiving", "monthly_fen"}
NEED_KEYS = {"id", "kind", "kind_label", "detail", "raised_on", "status", "status_label", "status_on",
             "resolved_on", "resolution"}
VISIT_KEYS = {"id", "date", "kind", "kind_label", "contact_mode", "contact_mode_label", "lost_reason",
              "visitor", "findings", "safety_risks", "household_income_fen", "household_size"}
FOLLOW_UP_KEYS = {"id", "action", "due_on", "status", "status_label", "done_on", "need_id"}
TASKS_KEYS = {"format", "today", "total", "counts", "tasks"}
TASK_KEYS = {"kind", "kind_label", "state", "state_label", "due_on", "days_overdue", "person_id",
             "person_name", "area", "title", "detail", "ref_id", "visit_kind"}
TASK_KINDS = {"visit", "annual_survey", "first_contact", "follow_up", "need_alert", "cert_expiry"}
TASK_STATES = ["overdue", "due", "upcoming"]
DB_CHECK_KEYS = {"ok", "integrity", "revision", "head", "foreign_key_errors"}
AREA_KEYS = {"code", "name", "level", "full_name"}
CHINESE = re.compile("[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def json(self):  # type: ignore[no-untyped-def]
        return json.loads(self.out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run `liaison ARGS…` in-process; argparse's exits become exit codes as in a shell."""

    def run(*argv: str) -> Result:
        try:
            code = run_cli(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        assert "Traceback" not in out and "Traceback" not in err
        return Result(code, out, err)

    return run


def one_chinese_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert CHINESE.search(lines[0]), text
    return lines[0]


@pytest.fixture
def on_demo(cli, demo: Demo):  # type: ignore[no-untyped-def]
    """`liaison --db DEMO …` (read-only commands share the module's demo file)."""

    def run(*argv: str) -> Result:
        return cli("--db", str(demo.path), "--today", DEMO_TODAY, *argv)

    return run


def search(on_demo, query: str, *options: str) -> dict:  # type: ignore[no-untyped-def]
    result = on_demo("person", "search", query, "--json", *options)
    assert result.code == 0, result.err
    return result.json()


def ids(page: dict) -> list[str]:
    return [r["id"] for r in page["results"]]


# --- version, demo, db ------------------------------------------------------------------------


def test_version(cli):
    result = cli("--version")
    assert result.code == 0
    assert result.out.strip() == f"liaison {__version__}"


def test_demo_prints_a_summary_and_refuses_a_second_run(cli, tmp_path):
    path = tmp_path / "new.db"
    first = cli("--db", str(path), "--today", DEMO_TODAY, "demo", "--persons", "40", "--seed", "3")
    assert first.code == 0, first.err
    summary = one_chinese_line(first.out)
    assert summary.startswith("已生成演示数据：") and "40 人" in summary
    assert "正在生成 40 人的演示数据" in first.err  # progress goes to stderr
    before = path.read_bytes()

    again = cli("--db", str(path), "--today", DEMO_TODAY, "demo", "--persons", "40")
    assert again.code == 1
    assert again.out == ""
    line = one_chinese_line(again.err)
    assert line.startswith("错误：") and "空的工作区" in line
    with connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM person").fetchone() == (40,)
    assert path.read_bytes() == before


def test_the_module_demo_summary(demo):
    assert demo.summary.startswith("已生成演示数据：")
    assert f"{DEMO_PERSONS} 人" in demo.summary
    assert len(demo.people) == DEMO_PERSONS


def test_demo_with_a_bad_number_of_people_is_a_usage_error(cli, tmp_path):
    result = cli("--db", str(tmp_path / "x.db"), "demo", "--persons", "0")
    assert result.code == 2
    assert "参数错误" in result.err
    assert not (tmp_path / "x.db").exists()


def test_db_upgrade_on_a_fresh_file_and_again(cli, tmp_path):
    path = tmp_path / "fresh.db"
    first = cli("--db", str(path), "db", "upgrade")
    assert first.code == 0, first.err
    assert one_chinese_line(first.out) == f"数据库已从版本 （空） 升级到 {db.head_revision()}"
    again = cli("--db", str(path), "db", "upgrade")
    assert again.code == 0
    assert one_chinese_line(again.out) == f"数据库已是最新版本 {db.head_revision()}"
    assert not list(tmp_path.glob("*.bak"))  # nothing to back up in a new file


def test_db_check(on_demo):
    result = on_demo("db", "check")
    assert result.code == 0, result.err
    assert "完整性：ok" in result.out
    assert "结论：正常" in result.out
    assert db.head_revision() in result.out


def test_db_check_json(on_demo):
    result = on_demo("db", "check", "--json")
    assert result.code == 0, result.err
    report = result.json()
    assert set(report) == DB_CHECK_KEYS
    assert report["ok"] is True
    assert report["integrity"] == "ok"
    assert report["foreign_key_errors"] == 0
    assert report["revision"] == report["head"] == db.head_revision()


def test_db_check_reports_a_broken_database_with_exit_1(cli, demo, tmp_path):
    path = demo.copy(tmp_path / "broken.db")
    with connect(path) as conn:  # foreign keys are not enforced on this connection
        conn.execute("UPDATE visit SET person_id = 'ffffffffffffffffffffffffffffffff'"
                     " WHERE rowid IN (SELECT rowid FROM visit LIMIT 2)")
    conn.close()
    result = cli("--db", str(path), "db", "check", "--json")
    assert result.code == 1
    report = result.json()
    assert report["ok"] is False and report["foreign_key_errors"] == 2
    text = cli("--db", str(path), "db", "check")
    assert text.code == 1
    assert "外键错误：2" in text.out and "结论：有问题" in text.out


# --- areas ------------------------------------------------------------------------------------


def test_area_list(on_demo):
    result = on_demo("area", "list")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split() == ["代码", "级别", "名称"]
    assert lines[2].split() == ["220202", "县（区）", "昌邑区"]


def test_area_list_json(on_demo, demo):
    result = on_demo("area", "list", "--json")
    assert result.code == 0, result.err
    items = result.json()
    assert isinstance(items, list) and items
    assert all(set(item) == AREA_KEYS for item in items)
    codes = [item["code"] for item in items]
    assert codes == sorted(codes)
    assert (items[0]["code"], items[0]["name"], items[0]["level"]) == ("220202", "昌邑区", "county")
    assert {item["level"] for item in items} == {"county", "township", "village", "group"}
    assert {p.area_code for p in demo.people} <= set(codes)


# --- person search ----------------------------------------------------------------------------


def test_search_json_shape_is_as_documented(on_demo):
    page = search(on_demo, "张")
    assert set(page) == SEARCH_KEYS
    assert page["format"] == 1
    assert (page["offset"], page["limit"]) == (0, 20)
    assert 0 < len(page["results"]) <= 20
    assert page["total"] >= len(page["results"])
    for row in page["results"]:
        assert set(row) == SEARCH_RESULT_KEYS
        assert "张" in row["name"]
        assert MASKED_ID.match(row["id_number_masked"]), row["id_number_masked"]
        assert row["sex"] in ("male", "female") and row["sex_label"] in ("男", "女")
        assert isinstance(row["age"], int) and isinstance(row["open_needs"], int)
        assert row["status"] in ("active", "moved_out", "deceased", "cert_cancelled")
        if row["category"] is not None:
            assert row["category"] in range(1, 8) and row["category_label"].endswith("残疾")
        if row["grade"] is not None:
            assert row["grade"] in range(1, 5) and row["grade_label"].endswith("级")


def test_search_by_hanzi_name(on_demo, demo):
    person = demo.people[0]
    page = search(on_demo, person.name)
    assert person.id in ids(page)
    assert all(person.name in r["name"] for r in page["results"])


def test_search_by_pinyin_initials(on_demo, demo):
    person = demo.people[5]
    initials = name_search_terms(person.name)[1]
    assert initials.isascii() and initials.isalpha()
    page = search(on_demo, initials.upper(), "--limit", "200")
    assert person.id in ids(page)
    assert page["total"] == len(page["results"])


def test_search_by_the_tail_of_an_id_number(on_demo, demo):
    person = demo.people[7]
    tail = person.id_number[-6:]
    page = search(on_demo, tail)
    assert person.id in ids(page)
    row = next(r for r in page["results"] if r["id"] == person.id)
    assert row["id_number_masked"].endswith(person.id_number[-4:])


@pytest.mark.parametrize("how", ["full_pinyin", "phone", "phone_fragment", "cert_number", "id_start"])
def test_search_by_the_other_documented_keys(on_demo, demo, how):
    person = next(p for p in demo.people[10:] if p.phone and p.cert_number)
    query = {
        "full_pinyin": name_search_terms(person.name)[0],
        "phone": person.phone,
        "phone_fragment": person.phone[3:9],
        "cert_number": person.cert_number,
        "id_start": person.id_number[:14],
    }[how]
    page = search(on_demo, query, "--limit", str(DEMO_PERSONS))
    assert person.id in ids(page)
    if how in ("phone", "cert_number"):
        assert ids(page) == [person.id]


def test_search_results_never_show_a_whole_id_number(on_demo, demo):
    result = on_demo("person", "search", "", "--limit", str(DEMO_PERSONS))
    assert result.code == 0, result.err
    assert f"共 {DEMO_PERSONS} 人" in result.out
    as_json = on_demo("person", "search", "", "--json", "--limit", str(DEMO_PERSONS))
    for text in (result.out, as_json.out):
        assert not any(p.id_number in text for p in demo.people)
        assert not any(p.id_number[6:14] in text for p in demo.people)  # nor a birth date


def test_an_empty_query_lists_everyone(on_demo):
    page = search(on_demo, "", "--limit", "1")
    assert page["total"] == DEMO_PERSONS
    assert len(page["results"]) == 1


def a_group(demo: Demo) -> str:
    """A 村民小组 with some of the demo's people (the 300 live in one village)."""
    return next(p.area_code for p in demo.people if p.area_code != p.village_code)


def test_search_by_area(on_demo, demo):
    group = a_group(demo)
    expected = {p.id for p in demo.people if p.area_code == group}
    assert 0 < len(expected) < DEMO_PERSONS
    page = search(on_demo, "", "--area", group, "--limit", str(DEMO_PERSONS))
    assert set(ids(page)) == expected
    assert page["total"] == len(expected)
    # a village takes in its groups
    village = demo.people[0].village_code
    page = search(on_demo, "", "--area", village, "--limit", str(DEMO_PERSONS))
    assert set(ids(page)) == {p.id for p in demo.people if p.village_code == village}
    # and the filter combines with the text
    person = next(p for p in demo.people if p.area_code == group)
    surname = person.name[0]
    page = search(on_demo, surname, "--area", group, "--limit", str(DEMO_PERSONS))
    assert person.id in ids(page)
    assert set(ids(page)) <= expected


def test_search_paging_with_limit_and_offset(on_demo):
    whole = ids(search(on_demo, "", "--limit", "21"))
    first = search(on_demo, "", "--limit", "7")
    second = search(on_demo, "", "--limit", "7", "--offset", "7")
    third = search(on_demo, "", "--limit", "7", "--offset", "14")
    assert (second["offset"], second["limit"]) == (7, 7)
    assert ids(first) + ids(second) + ids(third) == whole
    past_the_end = search(on_demo, "", "--offset", str(DEMO_PERSONS))
    assert past_the_end["results"] == [] and past_the_end["total"] == DEMO_PERSONS


def test_search_text_says_more_than_when_the_count_stopped(on_demo, monkeypatch):
    from liaison.core.services import search as search_service

    monkeypatch.setattr(search_service, "COUNT_CAP", 100)  # as if there were 100,000 people
    capped = on_demo("person", "search", "", "--limit", "5")
    assert capped.code == 0
    assert capped.out.splitlines()[-1] == "超过 100 人，显示第 1–5 人"
    page = search(on_demo, "", "--limit", "5")
    assert page["total"] == 100
    exact = on_demo("person", "search", "张", "--limit", "5")
    assert re.fullmatch(r"共 \d+ 人，显示第 1–5 人", exact.out.splitlines()[-1])


def test_search_text_output(on_demo, demo):
    person = demo.people[0]
    result = on_demo("person", "search", person.name)
    assert result.code == 0
    assert result.out.splitlines()[0].split()[:3] == ["姓名", "性别", "年龄"]
    assert person.name in result.out
    assert person.id_number[:6] + "********" + person.id_number[-4:] in result.out
    nothing = on_demo("person", "search", "不存在的人")
    assert nothing.code == 0
    assert one_chinese_line(nothing.out) == "没有找到符合“不存在的人”的人员"


def test_search_in_an_unknown_area(on_demo):
    result = on_demo("person", "search", "张", "--area", "999999")
    assert result.code == 1
    assert one_chinese_line(result.err) == "错误：找不到区划代码为 999999 的地区"
    assert result.out == ""


# --- person show ------------------------------------------------------------------------------


def person_with_x(demo: Demo):  # type: ignore[no-untyped-def]
    return next(p for p in demo.people if p.id_number.endswith("X") and p.cert_number)


@pytest.mark.parametrize("key", ["id_number", "lower_x", "spaced", "cert_number", "record_id", "old_15"])
def test_person_show_finds_a_person_by_any_key(on_demo, demo, key):
    person = person_with_x(demo)
    value = {
        "id_number": person.id_number,
        "lower_x": person.id_number.lower(),
        "spaced": f" {person.id_number[:6]} {person.id_number[6:14]} {person.id_number[14:]} ",
        "cert_number": person.cert_number,
        "record_id": person.id,
        "old_15": None,
    }[key]
    if key == "old_15":
        old = next(p for p in demo.people if p.id_number[6:8] == "19")
        person, value = old, old.id_number[:6] + old.id_number[8:17]
    result = on_demo("person", "show", value, "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert (data["id"], data["name"], data["id_number"]) == (person.id, person.name, mask_id_number(person.id_number))


def test_person_show_json_shape_is_as_documented(on_demo, demo):
    """People are shown until every optional part (guardian, needs …) has been seen once."""
    unseen = {*SHOW_NESTED_KEYS, "needs", "visits", "follow_ups"}
    for person in demo.people:
        if not unseen:
            break
        result = on_demo("person", "show", person.id, "--json")
        assert result.code == 0, result.err
        data = result.json()
        assert set(data) == SHOW_KEYS
        assert data["format"] == 1
        for key, keys in SHOW_NESTED_KEYS.items():
            if data[key] is not None:
                assert set(data[key]) == keys, key
        assert data["area"]["code"] == person.area_code
        assert set(data["subsidies"]["living"]) == set(data["subsidies"]["care"]) == SUBSIDY_KEYS
        assert all(set(n) == NEED_KEYS for n in data["needs"])
        assert all(set(v) == VISIT_KEYS for v in data["visits"])
        assert all(set(f) == FOLLOW_UP_KEYS for f in data["follow_ups"])
        dates = [v["date"] for v in data["visits"]]
        assert dates == sorted(dates, reverse=True)  # newest first
        assert all(isinstance(v["household_income_fen"], int | None) for v in data["visits"])
        unseen -= {key for key in unseen if data[key]}
    assert not unseen, f"no demo person has {unseen}: their shape went unchecked"


def test_person_show_text(on_demo, demo):
    person = demo.people[3]
    result = on_demo("person", "show", person.id_number)
    assert result.code == 0, result.err
    assert result.out.startswith(person.name + "（")
    assert f"身份证号：{mask_id_number(person.id_number)}" in result.out
    assert person.id_number not in result.out
    if person.cert_number:
        assert person.cert_number not in result.out
    assert "走访记录：共" in result.out


@pytest.mark.parametrize("key", ["110101199003077777", "220202199001011234", "not-a-number",
                                 "00000000-0000-0000-0000-000000000000"])
def test_person_show_of_someone_unknown(on_demo, key):
    result = on_demo("person", "show", key)
    assert result.code == 1
    line = one_chinese_line(result.err)
    assert line.startswith("错误：") and "找不到" in line
    assert result.out == ""


# --- tasks ------------------------------------------------------------------------------------


def test_tasks_json(on_demo):
    result = on_demo("tasks", "--json", "--limit", "100000")
    assert result.code == 0, result.err
    data = result.json()
    assert set(data) == TASKS_KEYS
    assert (data["format"], data["today"]) == (1, DEMO_TODAY)
    assert list(data["counts"]) == ["due", "overdue", "upcoming"]  # as README shows them
    assert sum(data["counts"].values()) == data["total"] == len(data["tasks"]) > 0
    tasks = data["tasks"]
    assert all(set(t) == TASK_KEYS for t in tasks)
    assert {t["kind"] for t in tasks} <= TASK_KINDS
    ranks = [TASK_STATES.index(t["state"]) for t in tasks]
    assert ranks == sorted(ranks)  # overdue, then due, then upcoming
    overdue = [t["days_overdue"] for t in tasks if t["state"] == "overdue"]
    assert overdue == sorted(overdue, reverse=True)  # most overdue first
    for state in TASK_STATES:
        assert sum(t["state"] == state for t in tasks) == data["counts"].get(state, 0)


def test_tasks_json_on_an_empty_workspace_counts_every_state(cli, tmp_path):
    result = cli("--db", str(tmp_path / "empty.db"), "--today", DEMO_TODAY, "tasks", "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert data == {"format": 1, "today": DEMO_TODAY, "total": 0,
                    "counts": {"due": 0, "overdue": 0, "upcoming": 0}, "tasks": []}
    text = cli("--db", str(tmp_path / "empty.db"), "tasks")
    assert one_chinese_line(text.out) == "没有待办事项"


def test_tasks_json_is_limited_but_counts_everything(on_demo):
    everything = on_demo("tasks", "--json", "--limit", "100000").json()
    shown = on_demo("tasks", "--json").json()  # 50 by default
    assert len(shown["tasks"]) == min(50, everything["total"])
    assert shown["total"] == everything["total"] and shown["counts"] == everything["counts"]
    assert shown["tasks"] == everything["tasks"][:50]


def test_tasks_text(on_demo):
    result = on_demo("tasks", "--limit", "5")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split()[:3] == ["状态", "类型", "姓名"]
    assert len(lines) == 2 + 5 + 1
    assert lines[-1].startswith("共 ") and lines[-1].endswith("显示前 5 项")


def test_tasks_by_area(on_demo, demo):
    everything = on_demo("tasks", "--json", "--limit", "100000").json()
    group = a_group(demo)
    result = on_demo("tasks", "--area", group, "--json", "--limit", "100000")
    assert result.code == 0, result.err
    data = result.json()
    people_there = {p.id for p in demo.people if p.area_code == group}
    assert {t["person_id"] for t in data["tasks"]} <= people_there
    expected = [t for t in everything["tasks"] if t["person_id"] in people_there]
    assert data["tasks"] == expected and data["total"] == len(expected) > 0


def test_tasks_in_an_unknown_area(on_demo):
    result = on_demo("tasks", "--area", "2202029")
    assert result.code == 1
    assert one_chinese_line(result.err) == "错误：找不到区划代码为 2202029 的地区"


def test_global_options_go_before_the_command(on_demo, cli, demo):
    data = cli("--today", "2026-01-01", "--db", str(demo.path), "tasks", "--json").json()
    assert data["today"] == "2026-01-01"
    after = cli("--db", str(demo.path), "tasks", "--today", "2026-01-01")
    assert after.code == 2
    assert "参数错误" in after.err


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["person", "search"],
        ["--bogus"],
        ["person", "search", "x", "--limit", "abc"],
        ["person", "search", "x", "--limit", "0"],
        ["person", "search", "x", "--offset", "abc"],
        ["--today", "2026-02-30", "tasks"],
        ["person"],
        ["db"],
        ["frobnicate"],
    ],
)
def test_malformed_command_lines_exit_2(cli, demo, argv):
    result = cli("--db", str(demo.path), *argv)
    assert result.code == 2
    line = one_chinese_line(result.err)
    assert line.startswith("参数错误：")
    assert "用 liaison" in line and "-h 查看用法" in line
    assert result.out == ""


def test_help_is_in_chinese(cli):
    result = cli("-h")
    assert result.code == 0
    assert "残疾人专职委员工作台" in result.out


def test_a_file_that_is_not_a_database_is_left_alone(cli, tmp_path):
    folder = tmp_path / "documents"
    folder.mkdir()
    path = folder / "notes.txt"
    path.write_bytes("这是一个文本文件，不是数据库。\n".encode() * 20)
    before = path.read_bytes()
    for argv in (["tasks"], ["db", "upgrade"], ["person", "search", "张"], ["db", "check"]):
        result = cli("--db", str(path), *argv)
        assert result.code == 1, argv
        line = one_chinese_line(result.err)
        assert line.startswith("错误：") and "数据库" in line
        assert path.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]  # no -wal, -shm or .bak


@pytest.mark.parametrize("url", ["nonsense://", "sqlit:///{tmp}/x.db", "mysql://user@localhost/liaison"])
def test_a_database_url_that_cannot_be_used_is_a_user_error(cli, tmp_path, url):
    if url.startswith("mysql") and importlib.util.find_spec("MySQLdb") is not None:
        pytest.skip("a MySQL driver is installed here")
    url = url.format(tmp=tmp_path)
    result = cli("--db", url, "tasks")
    assert result.code == 1
    line = one_chinese_line(result.err)
    assert line == f"错误：数据库地址无法识别或不受支持：{url}"
    assert not (tmp_path / "x.db").exists()


def test_liaison_db_variable_is_used_without_db_option(cli, demo, tmp_path, monkeypatch):
    monkeypatch.setenv("LIAISON_DB", str(demo.path))
    page = cli("person", "search", "", "--json", "--limit", "1").json()
    assert page["total"] == DEMO_PERSONS


def test_default_database_and_log_are_in_the_user_folders(cli, private_folders):
    result = cli("db", "upgrade")
    assert result.code == 0, result.err
    assert (private_folders / "data" / "Liaison" / "liaison.db").exists()
    assert (private_folders / "state" / "Liaison" / "log" / "liaison.log").exists()


def test_an_internal_error_exits_3_with_a_reference_and_logs_the_traceback(
    cli, demo, monkeypatch, private_folders
):
    from liaison.core.services import search

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(search, "search_people", broken)
    result = cli("--db", str(demo.path), "person", "search", "张")
    assert result.code == 3
    line = one_chinese_line(result.err)
    reference = re.search(r"参考号 ([0-9a-f]{8})", line)
    assert reference and line.startswith("内部错误")
    log = (private_folders / "state" / "Liaison" / "log" / "liaison.log").read_text(encoding="utf-8")
    assert str(Path(private_folders / "state" / "Liaison" / "log" / "liaison.log")) in line
    assert reference.group(1) in log and "Traceback" in log and "simulated bug" in log


# --- cases ------------------------------------------------------------------------------------

CASE_KEYS = {"id", "kind", "person_id", "person_name", "area", "need_id", "stage", "stage_label", "step_label",
             "stage_on", "started_on", "days_in_stage", "overdue", "amount_fen", "detail"}


def independent_stage_counts(demo: Demo, table: str, column: str) -> dict[str, int]:
    conn = connect(demo.path)
    try:
        return dict(conn.execute(f"SELECT {column}, count(*) FROM {table} GROUP BY {column}").fetchall())
    finally:
        conn.close()


@pytest.mark.parametrize(("kind", "table", "column", "stages"), [
    ("modification", "modification_case", "stage",
     ["applied", "assessed", "plan_confirmed", "construction", "accepted", "closed", "ineligible", "terminated"]),
    ("referral", "rehab_referral", "state",
     ["referred", "accepted", "in_service", "completed", "not_completed", "not_accepted"]),
])
def test_cases_json_lists_every_case_with_its_stage(on_demo, demo, kind, table, column, stages):
    result = on_demo("cases", "--kind", kind, "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert (data["format"], data["kind"]) == (1, kind)
    assert list(data["counts"]) == stages  # every stage, in workflow order, zeros included
    expected = independent_stage_counts(demo, table, column)
    assert {k: v for k, v in data["counts"].items() if v} == expected
    assert data["total"] == len(data["cases"]) == sum(expected.values())
    assert all(set(c) == CASE_KEYS for c in data["cases"])
    assert data["overdue"] == sum(c["overdue"] for c in data["cases"])


def test_cases_filtered_by_stage_area_and_overdue(on_demo, demo):
    everything = on_demo("cases", "--kind", "modification", "--json").json()["cases"]
    closed = on_demo("cases", "--kind", "modification", "--stage", "closed", "--json").json()
    assert {c["id"] for c in closed["cases"]} == {c["id"] for c in everything if c["stage"] == "closed"}
    overdue = on_demo("cases", "--kind", "modification", "--overdue", "--json").json()
    assert {c["id"] for c in overdue["cases"]} == {c["id"] for c in everything if c["overdue"]}
    group = a_group(demo)
    names = {p.name for p in demo.people if p.area_code == group}
    in_group = on_demo("cases", "--kind", "modification", "--area", group, "--json").json()["cases"]
    assert {c["person_name"] for c in in_group} <= names
    assert len(in_group) < len(everything)


def test_cases_text_and_bad_arguments(on_demo):
    result = on_demo("cases", "--kind", "referral")
    assert result.code == 0, result.err
    assert result.out.splitlines()[0].split()[:3] == ["姓名", "村（社区）", "阶段"]
    assert result.out.splitlines()[-1].startswith("共 ")
    bad = on_demo("cases", "--kind", "referral", "--stage", "closed")
    assert bad.code != 0 and "未知的阶段“closed”" in bad.err and "referred（转介）" in bad.err
    missing = on_demo("cases")
    assert missing.code == 2 and "--kind" in missing.err


# --- reports and exports ----------------------------------------------------------------------


def test_report_monthly_writes_a_pdf_and_a_spreadsheet(on_demo, tmp_path):
    pdf = tmp_path / "月报.pdf"
    result = on_demo("report", "monthly", "--month", DEMO_TODAY[:7], "--out", str(pdf), "--prepared-by", "李红",
                     "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert data["path"] == str(pdf) and data["pages"] >= 2 and data["warnings"] == []
    assert pdf.read_bytes().startswith(b"%PDF-")
    xlsx = tmp_path / "月报.xlsx"
    text = on_demo("report", "monthly", "--month", DEMO_TODAY[:7], "--out", str(xlsx))
    assert text.code == 0 and "已写出" in text.out and xlsx.exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--month", "2026-13"], "不是月份"),
    (["--month", "2099-01"], "还没有开始"),
    (["--month", "2026-01", "--area", "999"], "找不到区划代码为 999 的地区"),
])
def test_report_monthly_refuses_bad_input_and_writes_nothing(on_demo, tmp_path, args, message):
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "x.pdf"
    result = on_demo("report", "monthly", *args, "--out", str(out))
    assert result.code == 1 and message in result.err
    assert list(folder.iterdir()) == []


def test_report_output_must_be_a_pdf_or_xlsx_in_an_existing_folder(on_demo, tmp_path):
    assert "应以 .pdf 或 .xlsx 结尾" in on_demo("report", "monthly", "--month", "2026-01", "--out",
                                          str(tmp_path / "x.doc")).err
    assert "文件夹不存在" in on_demo("report", "monthly", "--month", "2026-01", "--out",
                                   str(tmp_path / "no" / "x.pdf")).err


def audit_events(path: Path, action: str) -> list[tuple[str, str, str | None]]:
    conn = connect(path)
    try:
        return conn.execute("SELECT entity, changes, reason FROM audit_event WHERE action = ? ORDER BY seq",
                            (action,)).fetchall()
    finally:
        conn.close()


def test_export_roster_masks_ids_unless_asked(cli, on_demo, demo, tmp_path):
    import openpyxl

    out = tmp_path / "花名册.xlsx"
    result = on_demo("export", "roster", "--out", str(out), "--columns", "name,id_number,cert_number", "--json")
    assert result.code == 0, result.err
    rows = list(openpyxl.load_workbook(out, read_only=True).active.iter_rows(min_row=4, values_only=True))
    conn = connect(demo.path)
    try:
        active = conn.execute("SELECT count(*) FROM person WHERE status = 'active'").fetchone()[0]
    finally:
        conn.close()
    assert result.json()["rows"] == len(rows) == active
    ids = {p.id_number for p in demo.people}
    assert not any(cell in ids for row in rows for cell in row)
    assert all("********" in row[2] for row in rows)
    assert audit_events(demo.path, "reveal") == []
    revealed = tmp_path / "full.xlsx"
    copy = demo.copy(tmp_path / "copy.db")  # the reveal writes to the audit trail
    result = cli("--db", str(copy), "--today", DEMO_TODAY, "export", "roster", "--out", str(revealed),
                 "--columns", "id_number", "--reveal-id", "--all", "--purpose", "核对花名册")
    assert result.code == 0, result.err
    full = {r[1] for r in openpyxl.load_workbook(revealed, read_only=True).active.iter_rows(min_row=4, values_only=True)}
    assert full == ids
    [(entity, changes, reason)] = audit_events(copy, "reveal")
    assert entity == "export" and reason == "核对花名册"
    assert json.loads(changes)["people"] == [None, len(ids)] and "full.xlsx" in json.loads(changes)["export"][1]


def test_export_roster_names_an_unknown_column(on_demo, tmp_path):
    result = on_demo("export", "roster", "--out", str(tmp_path / "r.xlsx"), "--columns", "name,shoe_size")
    assert result.code == 1 and "未知的列“shoe_size”" in result.err and "id_number（身份证号）" in result.err


def _first_case(on_demo, kind: str, stage: str | None = None) -> str:
    args = ["cases", "--kind", kind, "--json"] + (["--stage", stage] if stage else [])
    return on_demo(*args).json()["cases"][0]["id"]


def test_report_forms_write_pdfs(on_demo, demo, tmp_path):
    person = demo.people[0]
    made = {
        "person": on_demo("report", "person", person.id_number, "--out", str(tmp_path / "p.pdf"), "--json"),
        "blank": on_demo("report", "visit-form", "--out", str(tmp_path / "b.pdf"), "--json"),
        "visit-person": on_demo("report", "visit-form", "--person", person.id_number, "--out",
                                str(tmp_path / "v.pdf"), "--json"),
        "acceptance": on_demo("report", "acceptance", _first_case(on_demo, "modification"), "--out",
                              str(tmp_path / "a.pdf"), "--json"),
        "referral": on_demo("report", "referral", _first_case(on_demo, "referral"), "--out",
                            str(tmp_path / "r.pdf"), "--json"),
        "notice": on_demo("report", "notice", "--area", person.village_code[:9], "--out",
                          str(tmp_path / "n.pdf"), "--json"),
    }
    for name, result in made.items():
        assert result.code == 0, (name, result.err)
        data = result.json()
        assert data["pages"] >= 1 and Path(data["path"]).read_bytes().startswith(b"%PDF-"), name


def test_report_forms_refuse_bad_ids(on_demo, tmp_path):
    referral = _first_case(on_demo, "referral")
    wrong = on_demo("report", "acceptance", referral, "--out", str(tmp_path / "a.pdf"))
    assert wrong.code == 1 and "找不到该改造案件" in wrong.err
    nonsense = on_demo("report", "referral", "abc", "--out", str(tmp_path / "r.pdf"))
    assert nonsense.code == 1 and "“abc”不是案件编号" in nonsense.err
    nobody = on_demo("report", "person", "110101199003070000", "--out", str(tmp_path / "p.pdf"))
    assert nobody.code == 1 and not (tmp_path / "p.pdf").exists()


# --- ID numbers: masked unless revealed, and a reveal is audited ----------------------------------


def test_person_show_json_masks_both_numbers_and_records_nothing(on_demo, demo):
    person = person_with_x(demo)
    data = on_demo("person", "show", person.id, "--json").json()
    assert data["id_number"] == mask_id_number(person.id_number)
    assert data["certificate"]["number"] == mask_cert_number(person.cert_number)
    assert audit_events(demo.path, "reveal") == []


def test_person_show_reveal_ids_is_audited_once(cli, demo, tmp_path):
    person = person_with_x(demo)
    copy = demo.copy(tmp_path / "copy.db")
    result = cli("--db", str(copy), "--today", DEMO_TODAY, "person", "show", person.id, "--json", "--reveal-ids",
                 "--purpose", "办理护理补贴")
    assert result.code == 0, result.err
    data = result.json()
    assert (data["id_number"], data["certificate"]["number"]) == (person.id_number, person.cert_number)
    [(entity, changes, reason)] = audit_events(copy, "reveal")
    assert (entity, reason) == ("person", "办理护理补贴") and person.id_number not in changes
    verify = cli("--db", str(copy), "audit", "verify", "--json")
    assert verify.code == 0 and verify.json()["ok"], verify.out


def test_person_search_json_gives_full_numbers_only_when_asked(cli, on_demo, demo, tmp_path):
    masked = search(on_demo, "", "--limit", "5")
    assert masked["results"] and all("id_number" not in row for row in masked["results"])
    copy = demo.copy(tmp_path / "copy.db")
    result = cli("--db", str(copy), "--today", DEMO_TODAY, "person", "search", "", "--limit", "5", "--json",
                 "--reveal-ids")
    assert result.code == 0, result.err
    numbers = {p.id: p.id_number for p in demo.people}
    rows = result.json()["results"]
    assert len(rows) == 5 and all(row["id_number"] == numbers[row["id"]] for row in rows)
    [(entity, changes, _reason)] = audit_events(copy, "reveal")
    assert entity == "export" and json.loads(changes)["people"] == [None, 5]


def test_audit_verify_exits_0_on_an_intact_trail_and_1_with_the_findings(cli, demo, tmp_path):
    copy = demo.copy(tmp_path / "copy.db")
    person = demo.people[0]
    # a few more events through the program: a reveal on the copy
    assert cli("--db", str(copy), "person", "show", person.id, "--reveal-ids", "--purpose", "核对").code == 0
    intact = cli("--db", str(copy), "audit", "verify")
    assert intact.code == 0 and "共 2 条记录" in intact.out, intact.out
    data = cli("--db", str(copy), "audit", "verify", "--json").json()
    assert (data["ok"], data["count"], data["findings"]) == (True, 2, [])

    conn = connect(copy)
    try:
        with conn:
            conn.execute("UPDATE audit_event SET reason = '随便看看' WHERE seq = 2")
    finally:
        conn.close()
    broken = cli("--db", str(copy), "audit", "verify")
    assert broken.code == 1 and "第 2 条记录的内容与其校验值不符" in broken.out, broken.out
    data = cli("--db", str(copy), "audit", "verify", "--json").json()
    assert data["ok"] is False and [(f["seq"], f["kind"]) for f in data["findings"]] == [(2, "edited")]


def test_audit_log_lists_the_newest_events_with_numbers_masked(cli, demo, tmp_path):
    copy = demo.copy(tmp_path / "copy.db")
    person = demo.people[0]
    assert cli("--db", str(copy), "person", "show", person.id, "--reveal-ids", "--purpose", "核对").code == 0
    data = cli("--db", str(copy), "audit", "log", "--entity", "person", "--id", person.id, "--json").json()
    assert [(e["action"], e["reason"]) for e in data["events"]] == [("reveal", "核对")]
    everything = cli("--db", str(copy), "audit", "log", "--limit", "1", "--json").json()["events"]
    assert len(everything) == 1 and everything[0]["seq"] == 2
    text = cli("--db", str(copy), "audit", "log")
    assert text.code == 0 and "reveal" in text.out and "demo" in text.out
    assert cli("--db", str(copy), "audit", "log", "--id", person.id).code == 1


def test_report_person_prints_masked_unless_revealed_and_the_reveal_is_recorded(cli, demo, tmp_path):
    person = person_with_x(demo)
    copy = demo.copy(tmp_path / "copy.db")
    base = ("--db", str(copy), "--today", DEMO_TODAY, "report", "person", person.id)
    assert cli(*base, "--out", str(tmp_path / "masked.pdf")).code == 0
    assert audit_events(copy, "reveal") == []
    result = cli(*base, "--out", str(tmp_path / "full.pdf"), "--reveal-ids", "--purpose", "残联年审")
    assert result.code == 0, result.err
    [(entity, changes, reason)] = audit_events(copy, "reveal")
    assert (entity, reason, json.loads(changes)) == ("person", "残联年审", {"shown_in": [None, "一人一档档案表"]})
