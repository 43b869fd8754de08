"""Importing a county roster (花名册) of certificate holders from an Excel workbook.

County offices make these files by hand, so the reader is forgiving about form and strict about
content. It finds the header row below any title rows, recognises the many names a column goes
by, and repairs what people and Excel do to values: full-width digits, a lower-case x, dates in
five spellings or as Excel serial numbers, grades written 一级, 1级 or 1. What cannot be repaired
is refused row by row, with the Excel row number and a Chinese reason naming the column, so the
county can fix exactly those rows and send them again (`write_refused_xlsx`).

    preview = read_roster(path, today=today)             # no database: file and row checks
    with workspace.uow() as uow:
        result = import_roster(uow, actor, preview, area_id=None, today=today, dry_run=False)
        uow.commit()                                     # the caller commits, as for any service

Writing goes through `persons.create_person` / `persons.update_person` only: validation, scope
and the audit trail live there. For someone already on file only the certificate fields are
taken from the roster (category, grade, 证号, issue and validity dates); the village's own file
stays authoritative for everything else. Importing the same file twice changes nothing.
"""

from __future__ import annotations

import re
import uuid
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import select

from liaison.core.enums import (
    AreaLevel,
    DisabilityCategory,
    HukouType,
    PersonStatus,
    Sex,
    label,
)
from liaison.core.errors import LiaisonError, ScopeError, ValidationError
from liaison.core.i18n import _
from liaison.core.models import Area, Person
from liaison.core.rules.idnumber import IdNumberError, parse_id_number
from liaison.core.services import persons
from liaison.core.services.areas import PERSON_LEVELS, AreaInfo, area_directory
from liaison.core.services.context import Actor, allowed_area_ids, ensure_area_in_scope
from liaison.core.uow import UnitOfWork

HEADER_SEARCH_ROWS = 20
REQUIRED_FIELDS = ("name", "id_number")
# the certificate fields a roster may change on a file that already exists
CERTIFICATE_FIELDS = ("category", "component_categories", "grade", "cert_number", "cert_issued_on",
                      "cert_valid_until")


class RosterFileError(LiaisonError):
    """The file as a whole cannot be read as a roster (not an xlsx, no header, a required column
    missing); nothing was imported."""


# --- columns --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterField:
    key: str
    label: str  # the canonical Chinese column name
    aliases: tuple[str, ...]  # as they appear after `clean_header` (half-width, no spaces)


ROSTER_FIELDS: tuple[RosterField, ...] = (
    RosterField("seq", "序号", ("序号", "No.", "NO.", "编号顺序")),
    RosterField("name", "姓名", ("姓名", "残疾人姓名", "持证人姓名", "名字", "持证人")),
    RosterField("id_number", "身份证号", (
        "身份证号", "身份证号码", "公民身份号码", "公民身份证号", "公民身份证号码", "证件号码", "身份证",
        "身份证件号码", "居民身份证号", "居民身份证号码", "身份号码", "残疾人身份证号", "残疾人身份证号码")),
    RosterField("sex", "性别", ("性别",)),
    RosterField("birth_date", "出生日期", ("出生日期", "出生年月", "出生年月日", "生日")),
    RosterField("ethnicity", "民族", ("民族",)),
    RosterField("category", "残疾类别", ("残疾类别", "类别", "残疾类型", "残疾种类", "残疾类别名称", "残别")),
    RosterField("component_categories", "多重残疾包含类别", (
        "多重残疾构成", "多重残疾类别", "多重残疾包含类别", "包含类别", "多重类别", "多重残疾明细")),
    RosterField("grade", "残疾等级", ("残疾等级", "等级", "级别", "残疾级别", "残疾等级名称")),
    RosterField("cert_number", "残疾人证号", (
        "残疾人证号", "证号", "残疾证号", "残疾人证号码", "残疾证号码", "残疾人证编号", "残疾证编号",
        "持证号", "残疾人证", "第二代残疾人证号", "残疾人证件号码")),
    RosterField("cert_issued_on", "发证日期", (
        "发证日期", "办证日期", "发证时间", "办证时间", "颁证日期", "持证日期", "发证日期(首次)")),
    RosterField("cert_valid_until", "有效期至", (
        "有效期至", "有效期", "有效期限", "证件有效期", "证件有效期至", "有效截止日期", "有效日期", "到期日期",
        "证件到期日期", "有效期截止")),
    RosterField("township", "乡镇（街道）", (
        "乡镇", "乡镇街道", "乡镇(街道)", "乡(镇、街道)", "所在乡镇", "乡镇名称", "街道", "乡镇(街)")),
    RosterField("village", "村（社区）", (
        "村", "村社区", "村(社区)", "所在村", "所在村(社区)", "村居", "村委会", "村(居)", "村名", "村名称",
        "社区", "行政村", "村(社区)名称")),
    RosterField("group", "村民小组", ("组", "村民小组", "小组", "所在组", "组别", "屯", "村民组")),
    RosterField("address", "住址", (
        "住址", "家庭住址", "现住址", "居住地址", "户籍地址", "家庭地址", "详细地址", "地址", "现居住地址")),
    RosterField("phone", "联系电话", (
        "联系电话", "电话", "手机", "手机号", "手机号码", "联系方式", "电话号码", "本人电话", "联系人电话")),
    RosterField("hukou", "户籍性质", ("户籍", "户籍性质", "户口性质", "户口类别", "户籍类型", "户口类型")),
    RosterField("guardian_name", "监护人", ("监护人", "监护人姓名")),
    RosterField("guardian_relation", "与监护人关系", ("与监护人关系", "监护关系", "监护人关系", "与残疾人关系")),
    RosterField("guardian_phone", "监护人电话", ("监护人电话", "监护人联系电话", "监护人手机")),
    RosterField("registered_on", "建档日期", ("建档日期", "登记日期", "建档时间")),
)
FIELD_LABELS = {f.key: f.label for f in ROSTER_FIELDS}
_ALIASES: dict[str, str] = {alias: f.key for f in ROSTER_FIELDS for alias in f.aliases}
# read to recognise the header, not imported (the row number is ours)
_UNUSED_FIELDS = frozenset({"seq"})

_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_HALF_WIDTH[0x3000] = 0x20  # ideographic space
_HEADER_MARKS = re.compile(
    r"[（(\[【〔][^）)\]】〕]*(?:必填|选填|必录|必须填写|可不填)[^）)\]】〕]*[）)\]】〕]|[*＊★☆※:：]"
)
_BRACKETED = re.compile(r"[(\[【〔][^)\]】〕]*[)\]】〕]")


def clean_header(value: object) -> str:
    """A header cell as compared with the aliases: half-width, no spaces, no 必填 marks."""
    if value is None:
        return ""
    text = str(value).translate(_HALF_WIDTH)
    text = "".join(text.split())
    return _HEADER_MARKS.sub("", text)


def display_header(value: object) -> str:
    """A header as a reason names it: the file's own words, without spaces and 必填 marks."""
    if value is None:
        return ""
    return _HEADER_MARKS.sub("", "".join(str(value).split()))


def header_field(value: object) -> str | None:
    """The field a header cell names, or None; "身份证号（18位）" is 身份证号."""
    text = clean_header(value)
    if not text:
        return None
    if text in _ALIASES:
        return _ALIASES[text]
    return _ALIASES.get(_BRACKETED.sub("", text))


@dataclass(frozen=True)
class ColumnMapping:
    column: int  # 1-based, as Excel counts
    header: str  # the text in the file
    field: str

    @property
    def letter(self) -> str:
        from openpyxl.utils import get_column_letter

        return get_column_letter(self.column)

    @property
    def label(self) -> str:
        return _(FIELD_LABELS[self.field])


# --- the preview ----------------------------------------------------------------------------


@dataclass
class RosterRow:
    """One data row: its original cells, the values read from them, and what is wrong."""

    row: int  # Excel row number
    cells: tuple[Any, ...]
    name: str
    id_number: str | None = None  # the normalised 18-character number, when it is valid
    person: persons.PersonInput | None = None  # area_id is filled in at import
    given: frozenset[str] = frozenset()  # fields with a value in this row
    place: tuple[str, str, str] = ("", "", "")  # township, village, group as written
    problems: dict[str, str] = field(default_factory=dict)  # field → reason: the row is refused
    # field → reason that only matters for someone not yet on file (e.g. no issue date)
    deferred: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class SkippedRow:
    row: int
    reason: str


@dataclass
class RosterPreview:
    path: Path
    sheet: str
    header_row: int  # the (last) header row; data starts below it
    headers: tuple[str, ...]  # the header text of every column, "" where blank
    columns: list[ColumnMapping]
    ignored_columns: list[str]
    rows: list[RosterRow]
    skipped: list[SkippedRow]
    warnings: list[str]

    def column(self, key: str) -> ColumnMapping | None:
        return next((c for c in self.columns if c.field == key), None)

    def title(self, key: str) -> str:
        """How a reason names a field: the file's own header when the file has that column."""
        mapping = self.column(key)
        if mapping is not None:
            return display_header(mapping.header) or mapping.label
        if key in FIELD_LABELS:
            return _(FIELD_LABELS[key])
        return persons.field_label(key)

    def reason(self, problems: Mapping[str, str]) -> str:
        return "；".join(
            msg if key == "" else _("{column}：{msg}").format(column=self.title(key), msg=msg)
            for key, msg in problems.items()
        )

    @property
    def valid_rows(self) -> list[RosterRow]:
        return [r for r in self.rows if r.ok]

    @property
    def refused_rows(self) -> list[RosterRow]:
        return [r for r in self.rows if not r.ok]


def read_roster(path: Path | str, *, today: date | None = None) -> RosterPreview:
    """Read and check a roster without touching the database. A file-level problem raises
    `RosterFileError`; a row-level one marks the row as refused with its reason."""
    today = today or date.today()
    path = Path(path)
    workbook = _open_workbook(path)
    try:
        epoch = workbook.epoch
        chosen: tuple[Any, _Header] | None = None
        best_partial: tuple[Any, _Header] | None = None
        also: list[str] = []
        for sheet in workbook.worksheets:
            if getattr(sheet, "sheet_state", "visible") != "visible":
                continue
            head_rows = _first_rows(sheet, HEADER_SEARCH_ROWS + 1)
            header = _find_header(head_rows)
            if header is None:
                continue
            if header.complete:
                if chosen is None:
                    chosen = (sheet, header)
                else:
                    also.append(sheet.title)
            elif best_partial is None or header.score > best_partial[1].score:
                best_partial = (sheet, header)
        if chosen is None:
            if best_partial is not None:
                missing = [k for k in REQUIRED_FIELDS if k not in best_partial[1].fields]
                raise RosterFileError(_missing_columns_message(path, best_partial[0].title,
                                                               best_partial[1].row, missing))
            raise RosterFileError(_(
                "“{file}”的前 {n} 行中没有找到花名册表头：需要一行同时含有“姓名”和“身份证号”"
                "（或“身份证号码”“公民身份号码”“证件号码”）列"
            ).format(file=path.name, n=HEADER_SEARCH_ROWS))
        sheet, header = chosen
        preview = _read_rows(path, sheet, header, epoch, today)
    finally:
        workbook.close()
    for title in also:
        preview.warnings.append(_("工作表“{other}”也像一份花名册，本次只读取了工作表“{sheet}”").format(
            other=title, sheet=preview.sheet))
    return preview


def _open_workbook(path: Path) -> Any:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.exists():
        raise RosterFileError(_("找不到文件：{path}").format(path=path))
    if path.is_dir():
        raise RosterFileError(_("{path} 是一个文件夹，不是 .xlsx 文件").format(path=path))
    suffix = path.suffix.lower()
    if suffix in (".xls", ".et"):
        raise RosterFileError(_(
            "“{file}”是旧版 Excel（{suffix}）文件，请在 Excel 或 WPS 中“另存为” .xlsx 后再导入"
        ).format(file=path.name, suffix=suffix))
    not_xlsx = _("“{file}”不是 Excel 工作簿（.xlsx），无法作为花名册导入").format(file=path.name)
    if suffix not in (".xlsx", ".xlsm"):
        raise RosterFileError(not_xlsx)
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise RosterFileError(not_xlsx) from exc


def _first_rows(sheet: Any, n: int) -> list[tuple[Any, ...]]:
    rows = []
    for values in sheet.iter_rows(max_row=n, values_only=True):
        rows.append(tuple(values))
    return rows


@dataclass
class _Header:
    row: int  # the last header row (1-based)
    fields: dict[str, int]  # field → column (1-based)
    headers: list[str]  # text per column
    ignored: list[str]
    duplicates: list[str]

    @property
    def complete(self) -> bool:
        return all(k in self.fields for k in REQUIRED_FIELDS)

    @property
    def score(self) -> int:
        return len(self.fields)


def _row_fields(values: Sequence[Any]) -> dict[int, str]:
    return {col: key for col, value in enumerate(values, start=1) if (key := header_field(value))}


def _find_header(rows: list[tuple[Any, ...]]) -> _Header | None:
    """The row naming the most known columns (both required ones preferred), and a second
    header row below it when the table has two (e.g. 残疾情况 over 类别 | 等级)."""
    best: tuple[int, int, int] | None = None  # (has required, score, -row)
    best_row = 0
    for index, values in enumerate(rows[:HEADER_SEARCH_ROWS], start=1):
        found = set(_row_fields(values).values())
        if len(found) < 2:
            continue
        key = (int(all(k in found for k in REQUIRED_FIELDS)), len(found), -index)
        if best is None or key > best:
            best, best_row = key, index
    if best is None:
        return None
    main = rows[best_row - 1]
    texts = [("" if v is None else str(v).strip()) for v in main]
    columns = dict(_row_fields(main))
    last = best_row
    if best_row < len(rows):
        below = rows[best_row]
        sub = _row_fields(below)
        id_col = next((c for c, k in columns.items() if k == "id_number"), None)
        id_below = below[id_col - 1] if id_col is not None and id_col <= len(below) else None
        if sub and (id_below is None or header_field(id_below) == "id_number") and (
            set(sub.values()) - set(columns.values())
        ):
            last = best_row + 1
            texts += [""] * (len(below) - len(texts))
            for col, value in enumerate(below, start=1):
                if value is not None and str(value).strip():
                    texts[col - 1] = str(value).strip()
            columns.update(sub)
    fields: dict[str, int] = {}
    duplicates: list[str] = []
    for col in sorted(columns):
        key = columns[col]
        if key in fields:
            duplicates.append(texts[col - 1])
        else:
            fields[key] = col
    used = set(fields.values())
    ignored = [t for col, t in enumerate(texts, start=1)
               if t and col not in used and columns.get(col) not in _UNUSED_FIELDS]
    return _Header(last, fields, texts, ignored, duplicates)


def _missing_columns_message(path: Path, sheet: str, row: int, missing: list[str]) -> str:
    names = []
    for key in missing:
        spec = next(f for f in ROSTER_FIELDS if f.key == key)
        names.append(_("“{label}”（也可写作 {aliases}）").format(
            label=_(spec.label), aliases="、".join(spec.aliases[1:5])))
    return _("“{file}”工作表“{sheet}”第 {row} 行的表头缺少必需的列：{names}").format(
        file=path.name, sheet=sheet, row=row, names="；".join(names))


# --- reading the rows -----------------------------------------------------------------------

_PLACEHOLDERS = frozenset({"无", "/", "-", "--", "—", "——", "－", "暂无", "空", "null", "NULL", "None", "#N/A"})
_TOTAL_WORDS = ("合计", "总计", "小计", "共计", "总数")
_FOOTER_WORDS = ("填表人", "填报人", "制表人", "制表", "审核人", "负责人", "填报日期", "填表日期",
                 "注：", "注:", "说明：", "说明:", "备注：")
# a row with this many filled cells but no name and no ID holds data that cannot be filed
_MIN_CELLS_OF_A_PERSON = 3


class CellError(ValueError):
    """A cell that cannot be read; `message` says why, in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _text(value: Any) -> str:
    """A cell as plain text: numbers without a trailing .0, dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value).translate(_HALF_WIDTH).strip()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _optional_text(value: Any) -> str | None:
    text = " ".join(_text(value).split())
    if not text or text in _PLACEHOLDERS:
        return None
    return text


def _excel_number(value: float) -> str:
    """A float as Excel shows it in a General cell: 2.20202195608128E+17."""
    return f"{value:.14E}"


_SCIENTIFIC = re.compile(r"^\d(?:\.\d+)?E\+\d+$", re.IGNORECASE)


def _long_number(value: Any, digits: tuple[int, ...]) -> str | None:
    """The text of an ID-like cell. A float with more than 15 digits has lost its tail (Excel
    keeps 15 significant digits), as has text in scientific notation: refused, not guessed."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellError(_("应为文本，实际为“{v}”").format(v=value))
    if isinstance(value, float):
        # below 1e15 every digit survives (an old 15-digit number, or a short typing error)
        if value.is_integer() and 0 < value < 1e15:
            return str(int(value))
        raise CellError(_(
            "已被 Excel 存成数字（{v}），后几位已丢失；请把该列设为“文本”格式后重新填写"
        ).format(v=_excel_number(value)))
    if isinstance(value, int):
        return str(value)
    text = str(value).translate(_HALF_WIDTH)
    if _SCIENTIFIC.match(text.strip()):
        raise CellError(_(
            "已被 Excel 存成数字（{v}），后几位已丢失；请把该列设为“文本”格式后重新填写"
        ).format(v=text.strip().upper()))
    text = "".join(text.split())
    return text or None


_CATEGORY_NAMES: dict[str, int] = {
    "视力": 1, "视残": 1, "听力": 2, "听残": 2, "言语": 3, "语言": 3, "肢体": 4, "肢残": 4,
    "智力": 5, "智残": 5, "精神": 6, "精残": 6, "多重": 7,
}
_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
             "壹": 1, "贰": 2, "叁": 3, "肆": 4, "Ⅰ": 1, "Ⅱ": 2, "Ⅲ": 3, "Ⅳ": 4,
             "I": 1, "II": 2, "III": 3, "IV": 4, "两": 2}


def _small_number(text: str) -> int | None:
    """1–99 written in digits, Chinese numerals (十一, 二十三) or Roman numerals (Ⅲ)."""
    if text.isascii() and text.isdigit():
        return int(text)
    if text in _NUMERALS:
        return _NUMERALS[text]
    match = re.fullmatch(r"([一二三四五六七八九])?十([一二三四五六七八九])?", text)
    if match:
        tens = _NUMERALS[match.group(1)] if match.group(1) else 1
        ones = _NUMERALS[match.group(2)] if match.group(2) else 0
        return tens * 10 + ones
    return None


def _category_word(text: str) -> int | None:
    text = text.strip()
    for suffix in ("残疾人", "残疾", "类"):
        text = text.removesuffix(suffix)
    if not text:
        return None
    if text in _CATEGORY_NAMES:
        return _CATEGORY_NAMES[text]
    number = _small_number(text)
    if number is not None and 1 <= number <= 7:
        return number
    return None


def _category_hint() -> str:
    return "、".join(label(c) for c in DisabilityCategory)


def parse_category(value: Any) -> tuple[int, frozenset[int]] | None:
    """视力残疾, 视力, 1 (and 多重残疾（视力、肢体）) → (category, components)."""
    if _blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer() and 1 <= value <= 7:
            return int(value), frozenset()
        raise CellError(_("“{v}”不是有效的残疾类别（应为 {names} 或 1–7）").format(
            v=_text(value), names=_category_hint()))
    text = "".join(_text(value).split())
    inner = re.fullmatch(r"(.+?)[(\[【](.+)[)\]】]", text)
    components: frozenset[int] = frozenset()
    if inner:
        text = inner.group(1)
        components = parse_components(inner.group(2)) or frozenset()
    category = _category_word(text)
    if category is None:
        raise CellError(_("“{v}”不是有效的残疾类别（应为 {names} 或 1–7）").format(
            v=_text(value), names=_category_hint()))
    return category, components


def parse_components(value: Any) -> frozenset[int] | None:
    """视力残疾、肢体残疾 / 1,4 → {1, 4}."""
    if _blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = _text(value)
    text = _text(value)
    if text in _PLACEHOLDERS:
        return None
    parts = [p for p in re.split(r"[、,，;；/\s+和与及]+", text) if p]
    if len(parts) == 1 and parts[0].isdigit() and len(parts[0]) > 1:
        parts = list(parts[0])  # 14 → 1, 4
    found: set[int] = set()
    for part in parts:
        category = _category_word(part)
        if category is None or category == DisabilityCategory.MULTIPLE:
            raise CellError(_("无法识别“{part}”（应为视力、听力、言语、肢体、智力、精神中的几种）").format(
                part=part))
        found.add(category)
    return frozenset(found)


def parse_grade(value: Any) -> int | None:
    """一级, 1级, 1, 壹级, Ⅰ级 → 1."""
    if _blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer() and 1 <= value <= 4:
            return int(value)
    else:
        text = "".join(_text(value).split()).upper()
        text = text.removeprefix("残疾").removesuffix("残疾").removesuffix("级").removesuffix("等")
        number = _small_number(text)
        if number is not None and 1 <= number <= 4:
            return number
    raise CellError(_("“{v}”不是有效的残疾等级（应为一级到四级，或 1–4）").format(v=_text(value)))


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:T\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_MONTH_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月?$"),
    re.compile(r"^(\d{4})(\d{2})$"),
)
_EARLIEST_SERIAL, _LATEST_SERIAL = 1, 73050  # 1900-01-01 … 2099-12-31


def _date_hint() -> str:
    return _("应为 2020-05-01、2020/5/1、2020.5.1、2020年5月1日 或 20200501")


def _from_serial(value: float, epoch: datetime | None) -> date:
    from openpyxl.utils.datetime import WINDOWS_EPOCH, from_excel

    result = from_excel(value, epoch or WINDOWS_EPOCH)
    return result.date() if isinstance(result, datetime) else result  # type: ignore[no-any-return]


def parse_date(value: Any, epoch: datetime | None = None) -> date | None:
    """A date cell in any of the forms counties use, a real Excel date or a serial number
    (counted from `epoch`: the workbook's, 1900 unless it was made on an old Mac)."""
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, timedelta):
        raise CellError(_("“{v}”不是日期").format(v=value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer() and 19000101 <= value <= 21001231:
            value = str(int(value))  # 20200501 typed as a number
        elif _EARLIEST_SERIAL <= value <= _LATEST_SERIAL:
            return _from_serial(float(value), epoch)
        else:
            raise CellError(_("“{v}”不是日期（{hint}）").format(v=_text(value), hint=_date_hint()))
    text = re.sub(r"\s+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$", "", _text(value))  # a time of day
    text = "".join(text.split())
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError:
                raise CellError(_("“{v}”不是有效日期").format(v=text)) from None
    raise CellError(_("无法识别的日期“{v}”（{hint}）").format(v=text, hint=_date_hint()))


def _parse_birth(value: Any, epoch: datetime) -> tuple[int, int, int | None] | None:
    """A birth date, or only its year and month (a 出生年月 column: 1962.03)."""
    try:
        full = parse_date(value, epoch)
    except CellError:
        text = "".join(_text(value).split())
        for pattern in _MONTH_PATTERNS:
            match = pattern.match(text)
            if match and 1 <= int(match.group(2)) <= 12:
                return int(match.group(1)), int(match.group(2)), None
        raise
    return None if full is None else (full.year, full.month, full.day)


def _parse_sex(value: Any) -> Sex | None:
    text = _optional_text(value)
    if text is None:
        return None
    table = {"男": Sex.MALE, "男性": Sex.MALE, "1": Sex.MALE, "女": Sex.FEMALE, "女性": Sex.FEMALE,
             "2": Sex.FEMALE}
    if text not in table:
        raise CellError(_("无法识别“{v}”（应为男或女）").format(v=text))
    return table[text]


def _parse_hukou(value: Any) -> HukouType | None:
    text = _optional_text(value)
    if text is None:
        return None
    text = text.removesuffix("户口").removesuffix("户籍")
    if text in ("农业", "农村", "农", "乡村"):
        return HukouType.RURAL
    if text in ("非农业", "非农", "城镇", "城市", "居民", "非农业人口"):
        return HukouType.URBAN
    raise CellError(_("无法识别“{v}”（应为农业或非农业）").format(v=_text(value)))


def _parse_phone(value: Any) -> str | None:
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(_("“{v}”不是电话号码").format(v=value))
        value = int(value)
    return _optional_text(value)


def _row_is_total(cells: Sequence[Any]) -> bool:
    return any(isinstance(v, str) and "".join(v.split()).startswith(_TOTAL_WORDS) for v in cells[:8])


def _row_is_footer(cells: Sequence[Any]) -> bool:
    texts = ["".join(_text(v).split()) for v in cells if not _blank(v)]
    return bool(texts) and any(t.startswith(_FOOTER_WORDS) for t in texts)


def _read_rows(path: Path, sheet: Any, header: _Header, epoch: datetime, today: date) -> RosterPreview:
    columns = [ColumnMapping(col, header.headers[col - 1], key) for key, col in
               sorted(header.fields.items(), key=lambda kv: kv[1])]
    preview = RosterPreview(
        path=path, sheet=sheet.title, header_row=header.row, headers=tuple(header.headers),
        columns=columns, ignored_columns=list(header.ignored), rows=[], skipped=[], warnings=[],
    )
    for text in header.duplicates:
        preview.warnings.append(_("列“{h}”与前面的列重复，只读取了第一个").format(h=text))
    width = len(header.headers)
    for rownum, values in enumerate(sheet.iter_rows(min_row=header.row + 1, values_only=True),
                                    start=header.row + 1):
        cells = tuple(values)
        if all(_blank(v) for v in cells):
            continue
        # trailing blank cells beyond the header are formatting, not data
        while len(cells) > width and _blank(cells[-1]):
            cells = cells[:-1]
        row = _read_row(rownum, cells, header.fields, epoch, today)
        if isinstance(row, SkippedRow):
            preview.skipped.append(row)
        else:
            preview.rows.append(row)
    _refuse_duplicates(preview)
    for row in preview.rows:
        if row.person is not None:
            _validate(row, today)
    return preview


def _cell(cells: Sequence[Any], fields: Mapping[str, int], key: str) -> Any:
    col = fields.get(key)
    if col is None or col > len(cells):
        return None
    value = cells[col - 1]
    return None if _blank(value) else value


def _read_row(
    rownum: int, cells: tuple[Any, ...], fields: Mapping[str, int], epoch: datetime, today: date
) -> RosterRow | SkippedRow:
    raw_name, raw_id = _cell(cells, fields, "name"), _cell(cells, fields, "id_number")
    if raw_id is not None and header_field(raw_id) == "id_number" and header_field(raw_name) == "name":
        return SkippedRow(rownum, _("重复的表头"))
    if raw_id is None and raw_name is None:
        if _row_is_total(cells):
            return SkippedRow(rownum, _("合计行"))
        if _row_is_footer(cells):
            return SkippedRow(rownum, _("表尾（填表人、日期等）"))
        if sum(not _blank(v) for v in cells) < _MIN_CELLS_OF_A_PERSON:
            return SkippedRow(rownum, _("不是人员行：{text}").format(
                text=" ".join(_text(v) for v in cells if not _blank(v))[:40]))
    first = next((v for v in cells if not _blank(v)), None)
    if _row_is_total([raw_name, first]):
        return SkippedRow(rownum, _("合计行"))

    row = RosterRow(rownum, cells, " ".join(_text(raw_name).split()))
    problems = row.problems
    values: dict[str, Any] = {}

    def read(key: str, parse: Any) -> Any:
        raw = _cell(cells, fields, key)
        if raw is None:
            return None
        try:
            return parse(raw)
        except CellError as exc:
            problems[key] = exc.message
            return None

    if raw_name is None:
        problems["name"] = _("不能为空")
    elif not isinstance(raw_name, str):
        problems["name"] = _("“{v}”不是姓名").format(v=_text(raw_name))
    id_text = read("id_number", lambda v: _long_number(v, (15, 18)))
    if raw_id is None:
        problems["id_number"] = _("不能为空")
    elif id_text is not None:
        try:
            info = parse_id_number(id_text, today=today)
        except IdNumberError as exc:
            message = exc.message
            if isinstance(raw_id, int) and exc.code == "checksum" and str(raw_id).endswith("00"):
                message += _("（可能已被 Excel 存成数字，后几位已丢失）")
            problems["id_number"] = message
        else:
            row.id_number = info.number
            if info.converted_from_15:
                row.warnings.append(_("15 位旧身份证号已转换为 18 位：{number}").format(number=info.number))
            sex = read("sex", _parse_sex)
            if sex is not None and sex is not info.sex:
                problems["sex"] = _("“{v}”与身份证号不一致（按身份证号应为{sex}）").format(
                    v=label(sex), sex=label(info.sex))
            birth = read("birth_date", lambda v: _parse_birth(v, epoch))
            if birth is not None:
                year, month, day = birth
                actual = info.birth_date
                if (year, month) != (actual.year, actual.month) or (day is not None and day != actual.day):
                    shown = _text(_cell(cells, fields, "birth_date"))
                    problems["birth_date"] = _("“{v}”与身份证号中的出生日期 {d} 不一致").format(
                        v=shown, d=actual.isoformat())

    category = read("category", parse_category)
    components = read("component_categories", parse_components)
    if category is not None:
        values["category"] = category[0]
        components = components or category[1] or None
    values["component_categories"] = components or frozenset()
    values["grade"] = read("grade", parse_grade)
    values["cert_number"] = read("cert_number", lambda v: _long_number(v, (20,)))
    for key in ("cert_issued_on", "cert_valid_until", "registered_on"):
        values[key] = read(key, lambda v: parse_date(v, epoch))
    values["phone"] = read("phone", _parse_phone)
    values["guardian_phone"] = read("guardian_phone", _parse_phone)
    hukou = read("hukou", _parse_hukou)
    for key in ("ethnicity", "address", "guardian_name", "guardian_relation"):
        values[key] = read(key, _optional_text)
    row.place = tuple(_optional_text(_cell(cells, fields, k)) or "" for k in ("township", "village", "group"))  # type: ignore[assignment]
    row.given = frozenset(k for k, v in values.items() if v not in (None, frozenset()))
    if "name" not in problems and "id_number" not in problems:
        row.person = persons.PersonInput(
            name=row.name,
            id_number=row.id_number or "",
            area_id=_PLACEHOLDER_AREA,
            hukou=hukou or HukouType.RURAL,
            category=values.get("category"),
            **{k: v for k, v in values.items() if k != "category"},
        )
    return row


# validation needs an area; the real one is found at import
_PLACEHOLDER_AREA = uuid.UUID(int=0)


def _refuse_duplicates(preview: RosterPreview) -> None:
    seen: dict[str, list[RosterRow]] = {}
    for row in preview.rows:
        if row.id_number is not None:
            seen.setdefault(row.id_number, []).append(row)
    for rows in seen.values():
        if len(rows) < 2:
            continue
        for row in rows:
            others = "、".join(str(r.row) for r in rows if r is not row)
            row.problems["id_number"] = _("与第 {rows} 行重复（同一人在文件中出现多次）").format(rows=others)
            row.person = None


def _validate(row: RosterRow, today: date) -> None:
    """The project's own person rules. An error about a value the row has refuses the row; one
    about a value it lacks (no issue date, say) matters only if the person is not on file yet."""
    assert row.person is not None
    try:
        persons.validate_person(row.person, today=today)
    except ValidationError as exc:
        for key, message in exc.errors.items():
            if key in row.problems:
                continue
            value = getattr(row.person, key, None)
            if key in ("name", "id_number") or value not in (None, "", frozenset()):
                row.problems[key] = message
            else:
                row.deferred[key] = message
        if row.problems:
            row.person = None


# --- importing ------------------------------------------------------------------------------


class RowOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


@dataclass(frozen=True)
class RowResult:
    row: int
    name: str
    outcome: RowOutcome
    reason: str = ""
    changes: Mapping[str, list[Any]] = field(default_factory=dict)  # field → [before, after]
    warnings: tuple[str, ...] = ()
    person_id: uuid.UUID | None = None
    cells: tuple[Any, ...] = ()

    @property
    def changed_fields(self) -> list[str]:
        """The Chinese names of the fields an update changed."""
        return [persons.field_label(k) for k in self.changes]

    @property
    def message(self) -> str:
        """The reason with the row number in front (第 7 行：身份证号：…)."""
        return _("第 {row} 行：{reason}").format(row=self.row, reason=self.reason)


@dataclass
class RosterImportResult:
    file: Path
    sheet: str
    header_row: int
    headers: tuple[str, ...]
    dry_run: bool
    rows: list[RowResult]
    ignored_columns: list[str]
    skipped: list[SkippedRow]
    warnings: list[str]
    id_columns: tuple[int, ...] = ()  # 1-based columns holding ID-like text (for the refused file)

    def _with(self, outcome: RowOutcome) -> list[RowResult]:
        return [r for r in self.rows if r.outcome is outcome]

    @property
    def created(self) -> list[RowResult]:
        return self._with(RowOutcome.CREATED)

    @property
    def updated(self) -> list[RowResult]:
        return self._with(RowOutcome.UPDATED)

    @property
    def unchanged(self) -> list[RowResult]:
        return self._with(RowOutcome.UNCHANGED)

    @property
    def refused(self) -> list[RowResult]:
        return self._with(RowOutcome.REFUSED)


def import_roster(
    uow: UnitOfWork,
    actor: Actor,
    preview: RosterPreview,
    *,
    area_id: uuid.UUID | None = None,
    today: date | None = None,
    dry_run: bool = False,
) -> RosterImportResult:
    """Create the people not yet on file and bring the certificate fields of those on file up to
    date. Each row stands alone: a refused row (bad value, wrong village, outside the actor's
    areas) does not stop the others. `area_id` (a village or group) receives the rows that name
    no village. The caller commits; with `dry_run` everything is rolled back here."""
    today = today or date.today()
    default = _default_area(uow, actor, area_id)
    places = _Places(area_directory(uow), allowed_area_ids(uow, actor), default)
    on_file = _people_on_file(uow, [r.id_number for r in preview.rows if r.ok and r.id_number])
    # the session holds loaded objects weakly: kept here, the areas the service checks for every
    # new person are found in memory instead of being read again row after row
    kept_areas = list(uow.session.scalars(select(Area).where(Area.level.in_(PERSON_LEVELS))))
    results: list[RowResult] = []
    for row in preview.rows:
        if not row.ok or row.person is None:
            results.append(_refused(row, preview.reason(row.problems)))
            continue
        # No savepoint per row: SQLite through pysqlite commits a SAVEPOINT that opened the
        # transaction when it is released, which would defeat dry_run. None is needed either:
        # the services refuse (raise) before they write anything.
        try:
            person = on_file.get(row.id_number or "")
            if person is not None:
                results.append(_update(uow, actor, preview, row, person, places, today))
            else:
                results.append(_create(uow, actor, preview, row, places, today))
        except _RowRefused as exc:
            results.append(_refused(row, exc.reason))
        except ValidationError as exc:
            results.append(_refused(row, preview.reason(exc.errors)))
        except LiaisonError as exc:
            results.append(_refused(row, exc.message))
    del kept_areas
    if dry_run:
        uow.rollback()
    id_cols = tuple(c.column for c in preview.columns if c.field in ("id_number", "cert_number", "phone",
                                                                    "guardian_phone"))
    return RosterImportResult(
        file=preview.path, sheet=preview.sheet, header_row=preview.header_row, headers=preview.headers,
        dry_run=dry_run, rows=results, ignored_columns=list(preview.ignored_columns),
        skipped=list(preview.skipped), warnings=list(preview.warnings), id_columns=id_cols,
    )


class _RowRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _refused(row: RosterRow, reason: str) -> RowResult:
    return RowResult(row.row, row.name, RowOutcome.REFUSED, reason=reason, warnings=tuple(row.warnings),
                     cells=row.cells)


def _default_area(uow: UnitOfWork, actor: Actor, area_id: uuid.UUID | None) -> AreaInfo | None:
    if area_id is None:
        return None
    info = area_directory(uow).get(area_id)
    if info is None:
        raise ValidationError.single("area_id", _("地区不存在"), _("默认地区"))
    if info.level not in PERSON_LEVELS:
        raise ValidationError.single(
            "area_id", _("“{name}”是{level}；人员须登记在村（社区）或村民小组下").format(
                name=info.full_name or info.name, level=label(info.level)), _("默认地区"))
    ensure_area_in_scope(uow, actor, info.id)
    return info


def _people_on_file(uow: UnitOfWork, numbers: Iterable[str]) -> dict[str, Person]:
    found: dict[str, Person] = {}
    numbers = sorted(set(numbers))
    for start in range(0, len(numbers), 500):
        chunk = numbers[start:start + 500]
        for person in uow.session.scalars(select(Person).where(Person.id_number.in_(chunk))):
            found[person.id_number] = person
    return found


def _create(
    uow: UnitOfWork, actor: Actor, preview: RosterPreview, row: RosterRow, places: _Places, today: date
) -> RowResult:
    assert row.person is not None
    if row.deferred:
        raise _RowRefused(_("此人尚未建档，不能新建档案：{reason}").format(reason=preview.reason(row.deferred)))
    area, warnings = places.place(row, preview)
    try:
        saved = persons.create_person(uow, actor, replace(row.person, area_id=area.id), today=today)
    except ScopeError:
        raise _RowRefused(_("{column}：{place}不在您负责的地区内，不能在那里建档").format(
            column=_place_title(preview), place=area.full_name or area.name)) from None
    return RowResult(row.row, row.name, RowOutcome.CREATED, changes=saved.changes,
                     warnings=_unique(row.warnings, warnings, saved.warnings),
                     person_id=saved.person_id, cells=row.cells)


def _update(
    uow: UnitOfWork, actor: Actor, preview: RosterPreview, row: RosterRow, person: Person, places: _Places,
    today: date,
) -> RowResult:
    assert row.person is not None
    try:
        ensure_area_in_scope(uow, actor, person.area_id)
    except ScopeError:
        raise _RowRefused(_("{column}：此人已在您负责的地区以外建档，不能由您修改").format(
            column=preview.title("id_number"))) from None
    if _name_key(person.name) != _name_key(row.name):
        raise _RowRefused(_("{column}：“{name}”与档案中这个身份证号的姓名“{on_file}”不一致，请核对身份证号").format(
            column=preview.title("name"), name=row.name, on_file=person.name))
    data = persons.PersonInput.from_person(person)
    given = row.given
    overrides: dict[str, Any] = {k: getattr(row.person, k) for k in
                                 ("category", "grade", "cert_issued_on", "cert_valid_until") if k in given}
    category = overrides.get("category", data.category)
    if category != DisabilityCategory.MULTIPLE:
        overrides["component_categories"] = frozenset()
    elif "component_categories" in given:
        overrides["component_categories"] = row.person.component_categories
    # the 证号 is the ID plus category and grade: taken from the file when given (and checked
    # there), else derived again, which keeps it right when the grade changed
    overrides["cert_number"] = row.person.cert_number if "cert_number" in given else None
    saved = persons.update_person(uow, actor, person.id, replace(data, **overrides), expected_version=None,
                                  today=today)
    warnings = list(_unique(row.warnings, saved.warnings))
    if person.status is not PersonStatus.ACTIVE:
        warnings.append(_("档案状态为“{status}”，导入未改变状态").format(status=label(PersonStatus(person.status))))
    moved = places.differs(row, person.area_id)
    if moved:
        warnings.append(moved)
    outcome = RowOutcome.UPDATED if saved.changes else RowOutcome.UNCHANGED
    return RowResult(row.row, row.name, outcome, changes=saved.changes, warnings=tuple(warnings),
                     person_id=person.id, cells=row.cells)


def _unique(*groups: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(w for group in groups for w in group))


def _name_key(name: str) -> str:
    return "".join(name.translate(_HALF_WIDTH).split()).replace("•", "·").replace("・", "·").replace(".", "·")


def _place_title(preview: RosterPreview) -> str:
    return preview.title("village") if preview.column("village") else _("所属村（社区）")


# --- finding the village ------------------------------------------------------------------

_VILLAGE_SUFFIXES = ("村民委员会", "居民委员会", "村委会", "居委会", "社区", "村")
_TOWNSHIP_SUFFIXES = ("人民政府", "街道办事处", "街道", "镇", "乡")
_GROUP_RE = re.compile(r"^第?([0-9]+|[一二三四五六七八九十两]+)(?:村民小组|小组|组|社|队|屯)?$")


def _squash(text: str) -> str:
    return "".join(text.translate(_HALF_WIDTH).split())


def _core(text: str, suffixes: tuple[str, ...]) -> str:
    text = _squash(text)
    for suffix in suffixes:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


def _names_match(written: str, name: str, suffixes: tuple[str, ...]) -> bool:
    return _squash(written) == _squash(name) or _core(written, suffixes) == _core(name, suffixes)


def _group_key(text: str) -> str:
    text = _squash(text)
    match = _GROUP_RE.match(text)
    if match:
        number = _small_number(match.group(1))
        if number is not None:
            return f"#{number}"
    return text


class _Places:
    """Villages and groups by name, for placing new people."""

    def __init__(self, directory: Mapping[uuid.UUID, AreaInfo], allowed: frozenset[uuid.UUID] | None,
                 default: AreaInfo | None) -> None:
        self.by_id = directory
        self.allowed = allowed
        self.default = default
        # by the name as written and by its core (两家子村 → 两家子), so that a row costs a lookup
        self.exact: dict[str, list[AreaInfo]] = {}
        self.cores: dict[str, list[AreaInfo]] = {}
        for info in directory.values():
            if info.level is AreaLevel.VILLAGE:
                self.exact.setdefault(_squash(info.name), []).append(info)
                self.cores.setdefault(_core(info.name, _VILLAGE_SUFFIXES), []).append(info)
        self.groups: dict[uuid.UUID, list[AreaInfo]] = {}
        for info in directory.values():
            if info.level is AreaLevel.GROUP and info.parent_id is not None:
                self.groups.setdefault(info.parent_id, []).append(info)
        self.default_village: AreaInfo | None = None
        if default is not None:
            self.default_village = (default if default.level is AreaLevel.VILLAGE
                                    else directory.get(default.parent_id) if default.parent_id else None)

    def _township_of(self, village: AreaInfo) -> AreaInfo | None:
        return self.by_id.get(village.parent_id) if village.parent_id else None

    def village(self, written: str, township: str, preview: RosterPreview) -> AreaInfo:
        column = _place_title(preview)
        candidates = (self.exact.get(_squash(written))
                      or self.cores.get(_core(written, _VILLAGE_SUFFIXES)) or [])
        if township and candidates:
            in_township = [v for v in candidates if (t := self._township_of(v)) is not None
                           and _names_match(township, t.name, _TOWNSHIP_SUFFIXES)]
            if not in_township:
                raise _RowRefused(_("{column}：在{township}下找不到“{village}”").format(
                    column=column, township=township, village=written))
            candidates = in_township
        if not candidates:
            hint = (_("（默认地区只用于没有填写村的行）") if self.default is not None else "")
            raise _RowRefused(_("{column}：找不到“{village}”，请核对名称{hint}").format(
                column=column, village=written, hint=hint))
        if len(candidates) > 1 and self.default_village is not None:
            preferred = [v for v in candidates if v.id == self.default_village.id]
            candidates = preferred or candidates
        if len(candidates) > 1 and self.allowed is not None:
            mine = [v for v in candidates if v.id in self.allowed]
            candidates = mine or candidates
        if len(candidates) > 1:
            raise _RowRefused(_("{column}：有 {n} 个名为“{village}”的村（社区）（{where}），请填写乡镇（街道）").format(
                column=column, n=len(candidates), village=written,
                where="、".join(v.full_name for v in candidates)))
        return candidates[0]

    def group(self, village: AreaInfo, written: str) -> AreaInfo | None:
        key = _group_key(written)
        for info in self.groups.get(village.id, []):
            if _group_key(info.name) == key:
                return info
        return None

    def place(self, row: RosterRow, preview: RosterPreview) -> tuple[AreaInfo, list[str]]:
        """Where a new person is filed, and any note about it."""
        township, village_text, group_text = row.place
        warnings: list[str] = []
        if village_text:
            village = self.village(village_text, township, preview)
        elif self.default is not None:
            village = self.default_village or self.default
        else:
            raise _RowRefused(_("{column}：没有填写，也没有指定默认的村（社区）").format(
                column=_place_title(preview)))
        if group_text:
            group = self.group(village, group_text)
            if group is not None:
                return group, warnings
            warnings.append(_("村民小组“{group}”在{village}下找不到，已登记在村（社区）一级").format(
                group=group_text, village=village.name))
            return village, warnings
        if self.default is not None and self.default_village is not None and village.id == self.default_village.id:
            return self.default, warnings
        return village, warnings

    def differs(self, row: RosterRow, area_id: uuid.UUID) -> str | None:
        """A note when the roster files an existing person under another village."""
        _township, village_text, _group = row.place
        current = self.by_id.get(area_id)
        if not village_text or current is None:
            return None
        village = current if current.level is AreaLevel.VILLAGE else self.by_id.get(current.parent_id)  # type: ignore[arg-type]
        if village is None or _names_match(village_text, village.name, _VILLAGE_SUFFIXES):
            return None
        return _("花名册写的是“{written}”，档案登记在{place}；导入不改变所属地区（迁移请在档案中办理）").format(
            written=village_text, place=current.full_name)


# --- the refused rows, for the county to fix -------------------------------------------------


def write_refused_xlsx(result: RosterImportResult, out: Path | str) -> int:
    """The refused rows with their original cells under the original header, and the row number
    and reason in two more columns; the county fixes them and sends the file back as it is.
    Returns the number of rows written."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    out = Path(out)
    refused = result.refused
    width = max([len(result.headers), *[len(r.cells) for r in refused]])
    headers = [*result.headers, *[""] * (width - len(result.headers))]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("未导入")
    title = _("未导入的行（来自“{file}”，共 {n} 行）：请按“原因”改正后重新报送").format(
        file=result.file.name, n=len(refused))
    sheet.append([title])
    sheet.cell(row=1, column=1).font = Font(bold=True, size=12)
    sheet.append([*headers, _("原行号"), _("原因")])
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="E8E8E8")
    for col in range(1, width + 3):
        cell = sheet.cell(row=2, column=col)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    text_columns = set(result.id_columns)
    for row in refused:
        cells = [*row.cells, *[None] * (width - len(row.cells))]
        sheet.append([*cells, row.row, row.reason])
        r = sheet.max_row
        for col in range(1, width + 1):
            cell = sheet.cell(row=r, column=col)
            if col in text_columns and not isinstance(cell.value, float):
                cell.number_format = "@"  # typed again, an ID stays text
            elif isinstance(cell.value, (datetime, date)):
                cell.number_format = "yyyy-mm-dd"
        sheet.cell(row=r, column=width + 2).alignment = Alignment(wrap_text=True, vertical="top")
    for col in range(1, width + 1):
        sheet.column_dimensions[get_column_letter(col)].width = 22 if col in text_columns else 12
    sheet.column_dimensions[get_column_letter(width + 1)].width = 8
    sheet.column_dimensions[get_column_letter(width + 2)].width = 60
    sheet.freeze_panes = "A3"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    try:
        workbook.save(tmp)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return len(refused)
