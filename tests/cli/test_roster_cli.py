"""`liaison roster import`: exit codes, the text report, the JSON shape README.md documents, and
the workbook of refused rows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from liaison.bootstrap import Workspace
from liaison.cli.main import run_cli
from tests.core.services.helpers import count_rows, id_number
from tests.sync.roster_helpers import HEADER, person_row, write_roster

TODAY = "2025-06-16"
JSON_KEYS = {"format", "file", "dry_run", "sheet", "header_row", "created", "updated", "unchanged", "refused",
             "ignored_columns", "updated_rows", "skipped", "warnings", "refused_out"}
TABLES = ("person", "audit_event", "person_search_term")


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def json(self):  # type: ignore[no-untyped-def]
        return json.loads(self.out)


@pytest.fixture
def roster_cli(workspace: Workspace, area_tree, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """`liaison --db WORKSPACE --today 2025-06-16 roster import ARGS…` in-process."""

    def run(*argv: str) -> Result:
        try:
            code = run_cli(["--db", workspace.url, "--today", TODAY, "roster", "import", *argv])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return Result(code, out, err)

    return run


@pytest.fixture
def roster(tmp_path: Path) -> Path:
    good = id_number(date(1960, 1, 1))
    bad = id_number(date(1961, 1, 1))
    bad = bad[:17] + ("1" if bad[17] != "1" else "2")
    return write_roster(tmp_path / "花名册.xlsx", [
        person_row(1, "高凤兰", good, grade="二级", issued="2020/5/1"),
        person_row(2, "孟庆云", id_number(date(1962, 2, 2)), group="一组", issued=43952),
        None,
        person_row(3, "刘长山", bad, sex=None),
        ["合计", None, None, None, None, None, None, None, None, None, None, None, "共 3 人"],
    ])


def test_json_shape_counts_and_a_second_run_that_changes_nothing(roster_cli, roster: Path,  # type: ignore[no-untyped-def]
                                                                 workspace: Workspace) -> None:
    first = roster_cli(str(roster), "--json")
    assert first.code == 0, first.err
    data = first.json()
    assert set(data) == JSON_KEYS
    assert data["format"] == 1 and data["file"] == str(roster) and data["dry_run"] is False
    assert (data["sheet"], data["header_row"]) == ("花名册", 4)
    assert (data["created"], data["updated"], data["unchanged"]) == (2, 0, 0)
    assert data["refused"] == [{"row": 8, "name": "刘长山",
                                "reason": data["refused"][0]["reason"]}]
    assert data["refused"][0]["reason"].startswith("公民身份号码：校验位错误")
    assert data["ignored_columns"] == ["备注"]
    assert data["skipped"] == [{"row": 9, "reason": "合计行"}]
    assert data["refused_out"] is None
    before = count_rows(workspace, *TABLES)

    second = roster_cli(str(roster), "--json").json()
    assert (second["created"], second["updated"], second["unchanged"], len(second["refused"])) == (0, 0, 2, 1)
    assert count_rows(workspace, *TABLES) == before


def test_a_dry_run_says_so_and_changes_nothing(roster_cli, roster: Path, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    before = count_rows(workspace, *TABLES)
    result = roster_cli(str(roster), "--dry-run", "--json")
    assert result.code == 0, result.err
    assert result.json()["dry_run"] is True and result.json()["created"] == 2
    assert count_rows(workspace, *TABLES) == before
    text = roster_cli(str(roster), "--dry-run")
    assert "试导入（没有保存任何改动）：新建 2 人，更新 0 人，未变 0 人，未导入 1 行" in text.out
    assert count_rows(workspace, *TABLES) == before


def test_the_text_report_lists_refused_rows_and_writes_them_out(roster_cli, roster: Path,  # type: ignore[no-untyped-def]
                                                                tmp_path: Path) -> None:
    out = tmp_path / "退回.xlsx"
    result = roster_cli(str(roster), "--refused-out", str(out))
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == f"花名册：{roster}（工作表“花名册”，表头在第 4 行）"
    assert "未使用的列：备注" in lines
    assert "跳过：第 9 行（合计行）" in lines
    assert "未导入的行：" in lines
    assert any(line.startswith("8") and "刘长山" in line and "校验位错误" in line for line in lines)
    assert "已导入：新建 2 人，更新 0 人，未变 0 人，未导入 1 行" in lines
    assert lines[-1] == f"未导入的行已写到：{out}"
    sheet = load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[1]) == [*HEADER, "原行号", "原因"]
    assert rows[2][1] == "刘长山" and rows[2][len(HEADER)] == 8

    updated = write_roster(tmp_path / "二.xlsx", [person_row(1, "高凤兰", _id_of(roster, 5), grade="一级")])
    result = roster_cli(str(updated))
    assert "更新的人员：" in result.out
    assert any("高凤兰" in line and "残疾等级、残疾人证号" in line for line in result.out.splitlines())


def _id_of(path: Path, row: int) -> str:
    return str(load_workbook(path).active.cell(row=row, column=4).value)


def test_area_option_places_rows_without_a_village(roster_cli, workspace: Workspace, area_tree,  # type: ignore[no-untyped-def]
                                                   tmp_path: Path) -> None:
    path = write_roster(tmp_path / "r.xlsx", [["于海", id_number(date(1971, 1, 1)), "肢体", "三级", "2020-05-01",
                                              "2030-05-01"]],
                        header=["姓名", "身份证号", "类别", "等级", "发证日期", "有效期至"], titles=())
    without = roster_cli(str(path), "--json", "--dry-run").json()
    assert without["refused"][0]["reason"] == "所属村（社区）：没有填写，也没有指定默认的村（社区）"
    placed = roster_cli(str(path), "--area", "220202100001001", "--json")
    assert placed.code == 0 and placed.json()["created"] == 1

    wrong = roster_cli(str(path), "--area", "999")
    assert (wrong.code, wrong.out) == (1, "")
    assert wrong.err.strip() == "错误：找不到区划代码为 999 的地区"
    township = roster_cli(str(path), "--area", "220202100")
    assert township.code == 1 and "人员须登记在村（社区）或村民小组下" in township.err


def test_file_level_errors_exit_1_with_one_chinese_line(roster_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fake = tmp_path / "花名册.xlsx"
    fake.write_text("姓名,身份证号\n", encoding="utf-8")
    no_id = write_roster(tmp_path / "无身份证.xlsx", [[1, "张三", "男"]], header=["序号", "姓名", "性别"])
    for path, fragment in ((fake, "不是 Excel 工作簿"), (no_id, "缺少必需的列：“身份证号”"),
                           (tmp_path / "没有.xlsx", "找不到文件")):
        result = roster_cli(str(path), "--json")
        assert (result.code, result.out) == (1, ""), path
        lines = result.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("错误：") and fragment in lines[0]
    bad_out = roster_cli(str(no_id), "--refused-out", str(tmp_path / "退回.csv"))
    assert bad_out.code == 1 and "输出文件应以 .xlsx 结尾" in bad_out.err
