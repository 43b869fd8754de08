"""Building county rosters (花名册) the way they arrive: title rows, headers that vary, values that
Excel and input methods have been at."""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from liaison.core.enums import Sex
from liaison.core.rules.idnumber import parse_id_number

TITLE = "昌邑区2026年残疾人花名册"
UNIT = "填报单位：桦皮厂镇残联        填报日期：2025年6月10日"
HEADER = ["序号", "姓 名", "性别", "公民身份号码", "残疾类别", "等级", "残疾人证号（必填）", "发证日期",
          "有效期", "乡镇（街道）", "村（社区）", "村民小组", "家庭住址", "手机", "民族", "备注"]


def full_width(text: str) -> str:
    """What a Chinese input method in full-width mode types: ２２０２０２ …"""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def sex_of(number: str) -> str:
    return "男" if parse_id_number(number).sex is Sex.MALE else "女"


def person_row(
    seq: object,
    name: str,
    number: object,
    *,
    category: object = "肢体残疾",
    grade: object = "三级",
    cert: object = None,
    issued: object = "2020-05-01",
    valid: object = "2030-05-01",
    township: object = "桦皮厂镇",
    village: object = "两家子村",
    group: object = None,
    address: object = None,
    phone: object = None,
    ethnicity: object = "汉族",
    sex: object = "auto",
    note: object = None,
) -> list[Any]:
    """One row in HEADER's order; the sex is taken from the ID unless given."""
    if sex == "auto":
        try:
            sex = sex_of(str(number))
        except ValueError:  # IdNumberError is one
            sex = None
    return [seq, name, sex, number, category, grade, cert, issued, valid, township, village, group, address,
            phone, ethnicity, note]


def write_roster(
    path: Path,
    rows: Sequence[Sequence[Any] | None],
    *,
    header: Sequence[Any] = HEADER,
    titles: Sequence[str] = (TITLE, UNIT),
    exact_numbers: dict[str, int] | None = None,
    sheet_title: str = "花名册",
) -> Path:
    """Title rows, a blank row, the header, then `rows` (None is a blank row).

    `exact_numbers` maps a cell coordinate ("D7") to an integer written with all its digits, as
    some spreadsheet programs store an ID typed into a number cell (openpyxl itself writes at
    most 16 significant digits, so the value is patched into the sheet XML afterwards)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    for title in titles:
        sheet.append([title])
    if titles:
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        sheet.append([])
    sheet.append(list(header))
    placeholders: dict[str, int] = {}
    for row in rows:
        sheet.append(list(row) if row is not None else [])
    for k, (coordinate, value) in enumerate((exact_numbers or {}).items()):
        marker = 900000001 + k
        sheet[coordinate] = marker
        placeholders[coordinate] = marker
    workbook.save(path)
    if exact_numbers:
        _patch_numbers(path, {placeholders[c]: v for c, v in exact_numbers.items()})
    return path


def _patch_numbers(path: Path, values: dict[int, int]) -> None:
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                text = data.decode("utf-8")
                for marker, value in values.items():
                    assert f"<v>{marker}</v>" in text
                    text = text.replace(f"<v>{marker}</v>", f"<v>{value}</v>")
                data = text.encode("utf-8")
            target.writestr(item, data)
    shutil.move(tmp, path)


ISSUED = date(2020, 5, 1)
ISSUED_FORMS: list[object] = ["2020-05-01", "2020/5/1", "2020.5.1", "2020年5月1日", "20200501",
                              datetime(2020, 5, 1), 43952]
