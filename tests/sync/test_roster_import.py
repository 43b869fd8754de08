"""Importing a county roster (花名册): finding the header, reading messy values, refusing rows
with their row number and a reason, creating and updating through the person services, scope,
dry runs, a second import changing nothing, and the workbook of refused rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from liaison.bootstrap import Workspace
from liaison.core.enums import HukouType, UserRole
from liaison.core.models import Person
from liaison.core.rules.idnumber import check_digit, parse_id_number
from liaison.core.services import persons
from liaison.core.services.context import Actor
from liaison.sync.roster_import import (
    CellError,
    RosterFileError,
    RosterImportResult,
    RowOutcome,
    header_field,
    import_roster,
    parse_category,
    parse_components,
    parse_date,
    parse_grade,
    read_roster,
    write_refused_xlsx,
)
from tests.core.services.helpers import (
    TODAY,
    count_rows,
    id_number,
    id_number_ending_in_x,
    person_input,
)
from tests.sync.roster_helpers import (
    HEADER,
    ISSUED,
    ISSUED_FORMS,
    full_width,
    person_row,
    write_roster,
)

# --- the messy roster -----------------------------------------------------------------------


@dataclass
class Messy:
    path: Path
    ids: dict[str, str]  # name → the ID as it must be stored
    rows: dict[str, int]  # name → Excel row
    on_file: dict[str, uuid.UUID]  # people created before the import
    floated: float  # the ID Excel turned into a float


def numeric_id(birth: date) -> str:
    """A valid number of digits only (an ID ending in X cannot be a number in Excel)."""
    return next(n for seq in range(501, 600) if not (n := id_number(birth, seq)).endswith("X"))


def _save(ws: Workspace, actor: Actor, data: persons.PersonInput) -> uuid.UUID:
    with ws.uow() as uow:
        saved = persons.create_person(uow, actor, data, today=TODAY)
        uow.commit()
    return saved.person_id


@pytest.fixture
def messy(workspace: Workspace, actor: Actor, area_tree, tmp_path: Path) -> Messy:  # type: ignore[no-untyped-def]
    ids = {
        "张秀英": id_number(date(1958, 3, 2)),
        "李桂芝": id_number_ending_in_x(date(1961, 7, 19)),
        "王建国": numeric_id(date(1949, 10, 1)),
        "赵淑珍": id_number(date(1970, 1, 30)),
        "刘玉兰": id_number(date(1983, 12, 5)),
        "陈志强": id_number(date(1990, 6, 6)),
        "杨秀珍": id_number(date(2001, 2, 28)),
        "吴海": numeric_id(date(1966, 4, 4)),
        "徐明": id_number(date(1975, 9, 9)),
        "孙强": id_number(date(1980, 8, 8)),
        "马红梅": id_number(date(1955, 5, 5)),
    }
    old15 = "220202560812123"  # a pre-1999 number: 1956-08-12, sequence 123
    ids["黄国庆"] = parse_id_number(old15).number
    bad = ids["吴海"][:17] + ("0" if ids["吴海"][17] != "0" else "1")  # wrong check character
    ids["周丽"] = bad

    existing_changed = person_input(area_tree.village, name="王秀兰", birth=date(1962, 3, 8))  # 肢体三级
    existing_same = person_input(area_tree.village, name="何永", birth=date(1950, 11, 11))
    on_file = {"王秀兰": _save(workspace, actor, existing_changed), "何永": _save(workspace, actor, existing_same)}
    ids["王秀兰"], ids["何永"] = existing_changed.id_number, existing_same.id_number

    zx = ids["张秀英"]
    floated = float(f"{float(ids['吴海']):.15G}")  # Excel keeps 15 significant digits
    rows = [
        # 5: full-width digits with spaces inside; 视力残疾 一级; into 一组
        person_row(1, "张秀英", f"{full_width(zx[:6])} {full_width(zx[6:14])}\u3000{full_width(zx[14:])}",
                   category="视力残疾", grade="一级", issued=ISSUED_FORMS[0], group="一组",
                   phone=full_width("13912345678")),
        # 6: a lower-case x; 视力 1级; the village written without 村
        person_row(2, "李桂芝", ids["李桂芝"].lower(), category="视力", grade="1级", issued=ISSUED_FORMS[1],
                   village="两家子"),
        None,  # 7: a blank row
        # 8: the ID as an exact integer (patched below); category and grade as numbers; 证号 given
        person_row(3, "王建国", None, category=1, grade=1, cert=ids["王建国"] + "11", issued=ISSUED_FORMS[2],
                   valid=datetime(2030, 5, 1), group="1组", sex=None),
        person_row(4, "赵淑珍", ids["赵淑珍"], category="肢体", grade="壹级", issued=ISSUED_FORMS[3],
                   valid="2030年5月1日"),  # 9
        person_row(5, "刘玉兰", ids["刘玉兰"], category="言语残疾", grade="三级", issued=ISSUED_FORMS[4]),  # 10
        person_row(6, "陈志强", ids["陈志强"], category="智力", grade="4", issued=ISSUED_FORMS[5]),  # 11
        person_row(7, "杨秀珍", ids["杨秀珍"], category="精神残疾", grade="二级", issued=ISSUED_FORMS[6],
                   phone=13912345678),  # 12
        person_row(8, "黄国庆", old15, category=4, grade="3级", issued=20200501),  # 13: 15 digits, yyyymmdd number
        person_row(9, "吴海", floated, sex=None),  # 14: Excel kept 15 digits of 18
        person_row(10, "周丽", bad, sex=None),  # 15: check character wrong
        # 16: the 证号 says 肢体三级, the row 视力一级
        person_row(11, "徐明", ids["徐明"], category="视力残疾", grade="一级", cert=ids["徐明"] + "43"),
        person_row(12, "孙强", ids["孙强"]),  # 17
        person_row(13, "孙强", ids["孙强"]),  # 18: the same person again
        person_row(14, "马红梅", ids["马红梅"], village="前进村"),  # 19
        person_row(15, "王秀兰", ids["王秀兰"], grade="二级"),  # 20: on file as 三级
        person_row(16, "何永", ids["何永"]),  # 21: on file, same values
        ["合计", None, None, None, None, None, None, None, None, None, None, None, "共 16 人"],  # 22
        ["填表人：李专委", None, None, None, None, None, None, None, "审核人："],  # 23
    ]
    path = write_roster(tmp_path / "花名册.xlsx", rows, exact_numbers={"D8": int(ids["王建国"])})
    names = ["张秀英", "李桂芝", None, "王建国", "赵淑珍", "刘玉兰", "陈志强", "杨秀珍", "黄国庆", "吴海", "周丽",
             "徐明", "孙强", "孙强2", "马红梅", "王秀兰", "何永"]
    row_of = {name: 5 + k for k, name in enumerate(names) if name}
    return Messy(path, ids, row_of, on_file, floated)


def run_import(ws: Workspace, actor: Actor, path: Path, *, area_id: uuid.UUID | None = None,
               dry_run: bool = False) -> RosterImportResult:
    preview = read_roster(path, today=TODAY)
    with ws.uow() as uow:
        result = import_roster(uow, actor, preview, area_id=area_id, today=TODAY, dry_run=dry_run)
        uow.commit()
    return result


def stored(ws: Workspace, number: str) -> Person:
    with ws.uow() as uow:
        person = uow.session.scalar(select(Person).where(Person.id_number == number))
        assert person is not None, number
        uow.session.expunge(person)
        return person


def by_row(result: RosterImportResult) -> dict[int, object]:
    return {r.row: r for r in result.rows}


# --- the header and the columns ---------------------------------------------------------------


def test_the_header_is_found_below_the_title_rows_and_every_column_mapped(messy: Messy) -> None:
    preview = read_roster(messy.path, today=TODAY)
    assert preview.sheet == "花名册"
    assert preview.header_row == 4
    assert {c.field: (c.letter, c.header) for c in preview.columns} == {
        "seq": ("A", "序号"),
        "name": ("B", "姓 名"),
        "sex": ("C", "性别"),
        "id_number": ("D", "公民身份号码"),
        "category": ("E", "残疾类别"),
        "grade": ("F", "等级"),
        "cert_number": ("G", "残疾人证号（必填）"),
        "cert_issued_on": ("H", "发证日期"),
        "cert_valid_until": ("I", "有效期"),
        "township": ("J", "乡镇（街道）"),
        "village": ("K", "村（社区）"),
        "group": ("L", "村民小组"),
        "address": ("M", "家庭住址"),
        "phone": ("N", "手机"),
        "ethnicity": ("O", "民族"),
    }
    assert preview.ignored_columns == ["备注"]
    assert preview.headers == tuple(HEADER)
    # the blank row, the 合计 row and the footer are not people
    assert [r.row for r in preview.rows] == sorted(messy.rows.values())
    assert [(s.row, s.reason) for s in preview.skipped] == [(22, "合计行"), (23, "表尾（填表人、日期等）")]
    # the file's own column name is used in reasons, without the 必填 mark
    assert preview.title("cert_number") == "残疾人证号"
    assert preview.title("id_number") == "公民身份号码"


@pytest.mark.parametrize(("text", "key"), [
    ("姓名", "name"), ("姓　名", "name"), ("身份证号", "id_number"), ("身份证号码", "id_number"),
    ("公民身份号码", "id_number"), ("证件号码", "id_number"), ("身份证号（18位）", "id_number"),
    ("*身份证号码（必填）", "id_number"), ("残疾类别", "category"), ("类别", "category"),
    ("残疾等级", "grade"), ("等级", "grade"), ("级别", "grade"), ("残疾人证号", "cert_number"),
    ("证号", "cert_number"), ("残疾证号", "cert_number"), ("发证日期", "cert_issued_on"),
    ("办证日期", "cert_issued_on"), ("有效期至", "cert_valid_until"), ("有效期", "cert_valid_until"),
    ("乡镇", "township"), ("乡镇（街道）", "township"), ("乡镇(街道)", "township"), ("村", "village"),
    ("村（社区）", "village"), ("所在村", "village"), ("组", "group"), ("村民小组", "group"),
    ("住址", "address"), ("家庭住址", "address"), ("联系电话", "phone"), ("电话", "phone"), ("手机", "phone"),
    ("民族", "ethnicity"), ("性别", "sex"), ("出生日期", "birth_date"), ("户籍性质", "hukou"),
    ("备注", None), ("年龄", None), ("", None), (None, None),
])
def test_header_names_are_recognised_generously(text: object, key: str | None) -> None:
    assert header_field(text) == key


# --- values -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [*ISSUED_FORMS, 20200501, "2020-5-1", "２０２０－０５－０１", " 2020/05/01 ",
                                   "2020-05-01 00:00:00", date(2020, 5, 1), 43952.0])
def test_every_date_form_reads_as_the_same_day(value: object) -> None:
    assert parse_date(value) == ISSUED


@pytest.mark.parametrize(("value", "fragment"), [
    ("2020-02-30", "不是有效日期"), ("明年五月", "无法识别的日期"), ("长期", "无法识别的日期"), (-3, "不是日期"),
])
def test_a_date_that_is_not_one_is_refused_in_chinese(value: object, fragment: str) -> None:
    with pytest.raises(CellError) as caught:
        parse_date(value)
    assert fragment in caught.value.message


@pytest.mark.parametrize(("value", "grade"), [
    ("一级", 1), ("1级", 1), (1, 1), (1.0, 1), ("1", 1), ("壹级", 1), ("Ⅰ级", 1), ("二级", 2), ("贰级", 2),
    ("３级", 3), ("四级", 4), ("残疾四级", 4), (None, None), ("", None),
])
def test_grades_in_every_spelling(value: object, grade: int | None) -> None:
    assert parse_grade(value) == grade


@pytest.mark.parametrize("value", ["五级", 0, 5, "重度", 1.5])
def test_an_unknown_grade_is_refused(value: object) -> None:
    with pytest.raises(CellError, match="不是有效的残疾等级"):
        parse_grade(value)


@pytest.mark.parametrize(("value", "expected"), [
    ("视力残疾", (1, frozenset())), ("视力", (1, frozenset())), (1, (1, frozenset())), ("1", (1, frozenset())),
    ("听力残疾", (2, frozenset())), ("言语", (3, frozenset())), ("肢体残疾", (4, frozenset())),
    ("智力", (5, frozenset())), ("精神残疾", (6, frozenset())), ("多重残疾", (7, frozenset())),
    ("多重残疾（视力、肢体）", (7, frozenset({1, 4}))), (None, None),
])
def test_categories_by_name_short_name_or_digit(value: object, expected: object) -> None:
    assert parse_category(value) == expected


def test_an_unknown_category_is_refused_naming_the_choices() -> None:
    with pytest.raises(CellError) as caught:
        parse_category("残疾")
    assert "视力残疾" in caught.value.message and "1–7" in caught.value.message
    assert parse_components("视力残疾、肢体残疾") == frozenset({1, 4})
    assert parse_components("1,4") == frozenset({1, 4})


def test_every_kind_of_messy_value_is_stored_normalised(
    workspace: Workspace, actor: Actor, area_tree, messy: Messy  # type: ignore[no-untyped-def]
) -> None:
    result = run_import(workspace, actor, messy.path)
    rows = by_row(result)
    expected = {  # name → (category, grade, area)
        "张秀英": (1, 1, area_tree.group),
        "李桂芝": (1, 1, area_tree.village),
        "王建国": (1, 1, area_tree.group),
        "赵淑珍": (4, 1, area_tree.village),
        "刘玉兰": (3, 3, area_tree.village),
        "陈志强": (5, 4, area_tree.village),
        "杨秀珍": (6, 2, area_tree.village),
        "黄国庆": (4, 3, area_tree.village),
        "马红梅": (4, 3, area_tree.other_village),
    }
    for name, (category, grade, area) in expected.items():
        assert rows[messy.rows[name]].outcome is RowOutcome.CREATED, rows[messy.rows[name]]
        person = stored(workspace, messy.ids[name])
        assert (person.name, person.category, person.grade, person.area_id) == (name, category, grade, area)
        assert person.cert_number == messy.ids[name] + f"{category}{grade}"
        assert person.cert_issued_on == ISSUED, name  # seven ways of writing 2020-05-01
        assert person.cert_valid_until == date(2030, 5, 1)
        assert person.ethnicity == "汉族"
        assert person.hukou is HukouType.RURAL
    assert stored(workspace, messy.ids["李桂芝"]).id_number.endswith("X")
    assert stored(workspace, messy.ids["张秀英"]).phone == "13912345678"  # full-width digits
    assert stored(workspace, messy.ids["杨秀珍"]).phone == "13912345678"  # a number cell
    assert stored(workspace, messy.ids["杨秀珍"]).birth_date == date(2001, 2, 28)  # derived from the ID
    assert stored(workspace, messy.ids["黄国庆"]).id_number == "22020219560812123" + check_digit("22020219560812123")
    assert any("15 位旧身份证号已转换为 18 位" in w for w in rows[messy.rows["黄国庆"]].warnings)


def test_refused_rows_keep_their_row_number_and_a_reason_naming_the_column(
    workspace: Workspace, actor: Actor, area_tree, messy: Messy  # type: ignore[no-untyped-def]
) -> None:
    result = run_import(workspace, actor, messy.path)
    refused = {r.row: r.reason for r in result.refused}
    assert sorted(refused) == [14, 15, 16, 17, 18]
    assert refused[14] == (f"公民身份号码：已被 Excel 存成数字（{messy.floated:.14E}），后几位已丢失；"
                           "请把该列设为“文本”格式后重新填写")
    assert "E+17" in refused[14]
    assert refused[15].startswith("公民身份号码：校验位错误：最后一位应为")
    assert refused[16].startswith("残疾人证号：")
    assert "证号第 19 位为 4（肢体残疾），与登记的残疾类别 视力残疾 不一致" in refused[16]
    assert "证号第 20 位为 3（三级），与登记的残疾等级 一级 不一致" in refused[16]
    assert refused[17] == "公民身份号码：与第 18 行重复（同一人在文件中出现多次）"
    assert refused[18] == "公民身份号码：与第 17 行重复（同一人在文件中出现多次）"
    message = next(r.message for r in result.refused if r.row == 15)
    assert message.startswith("第 15 行：公民身份号码：校验位错误")
    assert next(r.name for r in result.refused if r.row == 16) == "徐明"
    # none of them reached the database
    with workspace.uow() as uow:
        numbers = set(uow.session.scalars(select(Person.id_number)))
    assert messy.ids["周丽"] not in numbers and messy.ids["徐明"] not in numbers
    assert messy.ids["孙强"] not in numbers


def test_counts_and_what_an_update_changed(
    workspace: Workspace, actor: Actor, area_tree, messy: Messy  # type: ignore[no-untyped-def]
) -> None:
    result = run_import(workspace, actor, messy.path)
    assert (len(result.created), len(result.updated), len(result.unchanged), len(result.refused)) == (9, 1, 1, 5)
    updated = result.updated[0]
    assert (updated.row, updated.name, updated.person_id) == (20, "王秀兰", messy.on_file["王秀兰"])
    assert updated.changes == {
        "cert_number": [messy.ids["王秀兰"] + "43", messy.ids["王秀兰"] + "42"],
        "grade": [3, 2],
    }
    assert updated.changed_fields == ["残疾等级", "残疾人证号"]
    assert stored(workspace, messy.ids["王秀兰"]).grade == 2
    assert result.unchanged[0].person_id == messy.on_file["何永"]


def test_a_second_import_of_the_same_file_changes_nothing(
    workspace: Workspace, actor: Actor, area_tree, messy: Messy  # type: ignore[no-untyped-def]
) -> None:
    run_import(workspace, actor, messy.path)
    before = count_rows(workspace, "person", "audit_event", "person_search_term")
    versions = {n: stored(workspace, messy.ids[n]).row_version for n in ("王秀兰", "张秀英", "黄国庆")}
    again = run_import(workspace, actor, messy.path)
    assert count_rows(workspace, "person", "audit_event", "person_search_term") == before
    assert {n: stored(workspace, messy.ids[n]).row_version for n in versions} == versions
    assert (len(again.created), len(again.updated), len(again.unchanged), len(again.refused)) == (0, 0, 11, 5)


def test_a_dry_run_reports_everything_and_changes_nothing(
    workspace: Workspace, actor: Actor, area_tree, messy: Messy  # type: ignore[no-untyped-def]
) -> None:
    before = count_rows(workspace, "person", "audit_event", "person_search_term")
    result = run_import(workspace, actor, messy.path, dry_run=True)
    assert result.dry_run
    assert (len(result.created), len(result.updated), len(result.unchanged), len(result.refused)) == (9, 1, 1, 5)
    assert count_rows(workspace, "person", "audit_event", "person_search_term") == before
    assert stored(workspace, messy.ids["王秀兰"]).grade == 3
    # and the real run afterwards does the same work
    real = run_import(workspace, actor, messy.path)
    assert [(r.row, r.outcome) for r in real.rows] == [(r.row, r.outcome) for r in result.rows]


# --- villages and scope -----------------------------------------------------------------------


def test_a_village_officer_cannot_import_rows_of_another_village(
    workspace: Workspace, actor: Actor, area_tree, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    elsewhere = person_input(area_tree.other_village, name="刘长山", birth=date(1957, 2, 2))
    _save(workspace, actor, elsewhere)
    mine, theirs = id_number(date(1964, 4, 1)), id_number(date(1966, 6, 1))
    path = write_roster(tmp_path / "r.xlsx", [
        person_row(1, "高凤兰", mine),
        person_row(2, "孟庆云", theirs, village="前进村"),
        person_row(3, "刘长山", elsewhere.id_number, village="前进村", grade="二级"),
    ])
    officer = Actor("ljz", "两家子村专职委员", UserRole.VILLAGE_OFFICER, workspace.device_id,
                    scope_area_ids=frozenset({area_tree.village}))
    result = run_import(workspace, officer, path)
    outcomes = {r.row: (r.outcome, r.reason) for r in result.rows}
    assert outcomes[5] == (RowOutcome.CREATED, "")
    assert outcomes[6] == (RowOutcome.REFUSED, "村（社区）：桦皮厂镇 前进村不在您负责的地区内，不能在那里建档")
    assert outcomes[7] == (RowOutcome.REFUSED, "公民身份号码：此人已在您负责的地区以外建档，不能由您修改")
    assert stored(workspace, elsewhere.id_number).grade == 3
    with workspace.uow() as uow:
        assert uow.session.scalar(select(Person).where(Person.id_number == theirs)) is None


def test_rows_without_a_village_go_to_the_default_area_or_are_refused(
    workspace: Workspace, actor: Actor, area_tree, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    header = ["姓名", "身份证号", "类别", "等级", "发证日期", "有效期至"]
    first, second = id_number(date(1971, 1, 1)), id_number(date(1972, 2, 2))
    path = write_roster(tmp_path / "r.xlsx", [["于海", first, "肢体", "三级", "2020-05-01", "2030-05-01"]],
                        header=header, titles=())
    refused = run_import(workspace, actor, path)
    assert refused.refused[0].reason == "所属村（社区）：没有填写，也没有指定默认的村（社区）"
    placed = run_import(workspace, actor, path, area_id=area_tree.group)
    assert len(placed.created) == 1
    assert stored(workspace, first).area_id == area_tree.group

    # a village that is named but unknown is not filed under the default
    path = write_roster(tmp_path / "r2.xlsx", [person_row(1, "于江", second, village="新华村")])
    result = run_import(workspace, actor, path, area_id=area_tree.village)
    assert result.refused[0].reason == "村（社区）：找不到“新华村”，请核对名称（默认地区只用于没有填写村的行）"


def test_an_unknown_group_files_the_person_under_the_village_with_a_note(
    workspace: Workspace, actor: Actor, area_tree, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    number = id_number(date(1977, 7, 7))
    path = write_roster(tmp_path / "r.xlsx", [person_row(1, "吕平", number, group="九组")])
    result = run_import(workspace, actor, path)
    assert stored(workspace, number).area_id == area_tree.village
    assert result.created[0].warnings == ("村民小组“九组”在两家子村下找不到，已登记在村（社区）一级",)


def test_a_default_area_that_is_not_a_village_is_a_user_error(
    workspace: Workspace, actor: Actor, area_tree, messy: Messy  # type: ignore[no-untyped-def]
) -> None:
    preview = read_roster(messy.path, today=TODAY)
    with workspace.uow() as uow, pytest.raises(persons.ValidationError, match="人员须登记在村（社区）或村民小组下"):
        import_roster(uow, actor, preview, area_id=area_tree.township, today=TODAY)


# --- people already on file -------------------------------------------------------------------


def test_a_short_roster_updates_people_on_file_but_cannot_create_without_a_certificate(
    workspace: Workspace, actor: Actor, area_tree, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    data = person_input(area_tree.village, name="石玉珍", birth=date(1960, 1, 1))
    _save(workspace, actor, data)
    new = id_number(date(1960, 2, 2))
    path = write_roster(tmp_path / "r.xlsx", [["石玉珍", data.id_number, "二级"], ["石玉兰", new, "二级"]],
                        header=["姓名", "身份证号码", "残疾等级"], titles=("名单",))
    result = run_import(workspace, actor, path, area_id=area_tree.village)
    assert result.updated[0].changes["grade"] == [3, 2]
    assert stored(workspace, data.id_number).cert_number == data.id_number + "42"
    assert result.refused[0].reason == ("此人尚未建档，不能新建档案：残疾人证号：持证残疾人必须填写残疾人证；"
                                        "未办证的只能是 0–6 岁已确诊儿童")


def test_a_name_that_differs_from_the_file_on_record_is_refused(
    workspace: Workspace, actor: Actor, area_tree, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    data = person_input(area_tree.village, name="王秀兰", birth=date(1962, 3, 8))
    _save(workspace, actor, data)
    path = write_roster(tmp_path / "r.xlsx", [person_row(1, "王秀岚", data.id_number, grade="一级")])
    result = run_import(workspace, actor, path)
    assert result.refused[0].reason == "姓名：“王秀岚”与档案中这个身份证号的姓名“王秀兰”不一致，请核对身份证号"
    assert stored(workspace, data.id_number).grade == 3


def test_sex_and_birth_date_columns_must_agree_with_the_id(
    workspace: Workspace, actor: Actor, area_tree, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    man = id_number(date(1962, 3, 8), sequence=11)  # odd sequence: male
    other = id_number(date(1962, 3, 8), sequence=13)
    third = id_number(date(1962, 3, 8), sequence=15)
    header = ["姓名", "性别", "出生年月", "身份证号", "残疾类别", "残疾等级", "发证日期", "有效期至", "村"]
    path = write_roster(tmp_path / "r.xlsx", [
        ["甲", "女", "1962.03", man, "肢体", "三级", "2020-05-01", "2030-05-01", "两家子村"],
        ["乙", "男", "1962.04", other, "肢体", "三级", "2020-05-01", "2030-05-01", "两家子村"],
        ["丙", "男", "1962.03", third, "肢体", "三级", "2020-05-01", "2030-05-01", "两家子村"],
    ], header=header)
    result = run_import(workspace, actor, path)
    reasons = {r.row: r.reason for r in result.refused}
    assert reasons == {5: "性别：“女”与身份证号不一致（按身份证号应为男）",
                       6: "出生年月：“1962.04”与身份证号中的出生日期 1962-03-08 不一致"}
    assert [r.row for r in result.created] == [7]


def test_multiple_disability_needs_its_categories(
    workspace: Workspace, actor: Actor, area_tree, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    a, b, c = (id_number(date(1980, 1, k)) for k in (1, 2, 3))
    header = ["姓名", "身份证号", "残疾类别", "多重残疾构成", "残疾等级", "发证日期", "有效期至", "村"]
    path = write_roster(tmp_path / "r.xlsx", [
        ["甲", a, "多重残疾", "视力残疾、肢体残疾", "一级", "2020-05-01", "2030-05-01", "两家子村"],
        ["乙", b, "多重残疾（听力、言语）", None, "二级", "2020-05-01", "2030-05-01", "两家子村"],
        ["丙", c, "多重", None, "二级", "2020-05-01", "2030-05-01", "两家子村"],
    ], header=header)
    result = run_import(workspace, actor, path)
    assert stored(workspace, a).component_categories == "1,4"
    assert stored(workspace, b).component_categories == "2,3"
    assert result.refused[0].row == 7
    assert "多重残疾构成：多重残疾须选择至少两种具体类别" in result.refused[0].reason


def test_a_two_row_header_is_read_as_one(workspace: Workspace, actor: Actor, area_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    number = id_number(date(1969, 9, 9))
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["桦皮厂镇持证残疾人名单"])
    sheet.append(["序号", "姓名", "身份证号", "残疾情况", None, "证件", None, "所在村"])
    sheet.append([None, None, None, "类别", "等级", "发证日期", "有效期至", None])
    sheet.append([1, "邓丽", number, "听力", "四级", "2020-05-01", "2030-05-01", "两家子村"])
    sheet.merge_cells("D2:E2")
    sheet.merge_cells("F2:G2")
    path = tmp_path / "two.xlsx"
    workbook.save(path)
    preview = read_roster(path, today=TODAY)
    assert preview.header_row == 3
    assert {c.field: c.letter for c in preview.columns} == {
        "seq": "A", "name": "B", "id_number": "C", "category": "D", "grade": "E", "cert_issued_on": "F",
        "cert_valid_until": "G", "village": "H"}
    assert preview.ignored_columns == []
    run_import(workspace, actor, path)
    assert (stored(workspace, number).category, stored(workspace, number).grade) == (2, 4)


# --- the refused rows, back to the county ---------------------------------------------------------


def test_the_refused_rows_workbook_has_the_original_cells_and_the_reasons(
    workspace: Workspace, actor: Actor, area_tree, messy: Messy, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    result = run_import(workspace, actor, messy.path)
    out = tmp_path / "out" / "未导入.xlsx"
    assert write_refused_xlsx(result, out) == 5
    sheet = load_workbook(out).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert "未导入的行" in values[0][0]
    assert values[1] == [*HEADER, "原行号", "原因"]
    body = values[2:]
    assert [r[len(HEADER)] for r in body] == [14, 15, 16, 17, 18]
    assert [r[1] for r in body] == ["吴海", "周丽", "徐明", "孙强", "孙强"]
    assert body[0][3] == messy.floated  # the cell as it came, so the county sees what Excel did
    assert body[1][3] == messy.ids["周丽"]
    assert body[2][6] == messy.ids["徐明"] + "43"
    assert body[2][7] == "2020-05-01" and body[2][4] == "视力残疾"
    assert [r[-1] for r in body] == [r.reason for r in result.refused]
    assert sheet.cell(row=4, column=4).number_format == "@"  # an ID typed again stays text
    # fixed and sent back as it is, the file reads again: 原行号 and 原因 are simply ignored
    again = read_roster(out, today=TODAY)
    assert again.header_row == 2
    assert again.ignored_columns == ["备注", "原行号", "原因"]
    assert [r.row for r in again.rows] == [3, 4, 5, 6, 7]


# --- file-level errors ------------------------------------------------------------------------


def test_a_file_that_is_not_an_xlsx_is_refused_in_chinese(tmp_path: Path) -> None:
    fake = tmp_path / "花名册.xlsx"
    fake.write_text("姓名,身份证号\n张三,220202195608121234\n", encoding="utf-8")
    with pytest.raises(RosterFileError, match="“花名册.xlsx”不是 Excel 工作簿（.xlsx），无法作为花名册导入"):
        read_roster(fake)
    csv = tmp_path / "花名册.csv"
    csv.write_text("姓名,身份证号\n", encoding="utf-8")
    with pytest.raises(RosterFileError, match="不是 Excel 工作簿"):
        read_roster(csv)
    old = tmp_path / "花名册.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(RosterFileError, match="旧版 Excel（.xls）.*另存为” .xlsx"):
        read_roster(old)
    with pytest.raises(RosterFileError, match="找不到文件"):
        read_roster(tmp_path / "none.xlsx")


def test_a_roster_without_an_id_column_is_refused_naming_the_column(tmp_path: Path) -> None:
    path = write_roster(tmp_path / "r.xlsx", [[1, "张三", "男", "肢体", "三级"]],
                        header=["序号", "姓名", "性别", "残疾类别", "残疾等级"])
    with pytest.raises(RosterFileError) as caught:
        read_roster(path)
    message = caught.value.message
    assert message.startswith("“r.xlsx”工作表“花名册”第 4 行的表头缺少必需的列：“身份证号”")
    assert "公民身份号码" in message


def test_a_sheet_without_any_header_is_refused(tmp_path: Path) -> None:
    path = write_roster(tmp_path / "r.xlsx", [["张三", "220202"]], header=["甲", "乙"])
    with pytest.raises(RosterFileError, match="前 20 行中没有找到花名册表头"):
        read_roster(path)
