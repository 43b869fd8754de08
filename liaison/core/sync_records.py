"""Rows as they travel: which tables go from a village to the county, in which order, which
columns stay local, and the JSON form of each value (checked strictly on the way in)."""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Enum, Integer, String, Table, Text, Uuid
from sqlalchemy.types import JSON

from liaison.core.errors import LiaisonError
from liaison.core.i18n import _
from liaison.core.models import Base

# what a village or township sends, parents before children
DEVICE_TABLES = ("institution", "person", "visit", "need", "follow_up", "modification_case", "modification_item",
                 "rehab_referral", "case_event")
# what the county sends back besides acknowledgements and decisions
HUB_TABLES = ("person",)
# stored per workspace, not shared: the search number and sort key are rebuilt on arrival;
# row_version guards local edits; updated_at is when this workspace last changed the row
# visitor_user_id names an account of the device's own, unknown elsewhere
LOCAL_COLUMNS = frozenset({"search_no", "name_sort", "row_version", "updated_at", "visitor_user_id"})
# tables whose area travels as its code (区划代码): area ids differ between workspaces
AREA_TABLES = ("person", "institution")
TABLE_LABELS = {
    "institution": "定点机构", "person": "人员档案", "visit": "走访记录", "need": "需求", "follow_up": "跟进事项",
    "modification_case": "改造案件", "modification_item": "改造项目", "rehab_referral": "康复转介",
    "case_event": "案件进度",
}


class RecordError(LiaisonError):
    """A row in a package is malformed (unknown column, wrong type)."""


def table(name: str) -> Table:
    return Base.metadata.tables[name]


def shared_columns(name: str) -> list[str]:
    return [c.name for c in table(name).columns if c.name not in LOCAL_COLUMNS]


def wire_columns(name: str) -> list[str]:
    """The columns of `name` as a package carries them: an area as its code."""
    return ["area_code" if c == "area_id" and name in AREA_TABLES else c for c in shared_columns(name)]


def encode_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str | float):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return value
    raise TypeError(f"cannot encode {type(value).__name__}")


def encode_row(name: str, row: Any) -> dict[str, Any]:
    return {column: encode_value(getattr(row, column)) for column in shared_columns(name)}


def _plain(value: Any) -> Any:
    return value


@cache
def _decoders(name: str) -> tuple[frozenset[str], tuple[tuple[str, Callable[[Any], Any]], ...]]:
    """Per table, once: the expected columns and a decoder for each (a county import decodes
    a million rows: no per-value type lookups)."""
    columns = [c for c in table(name).columns if c.name not in LOCAL_COLUMNS]
    decoders = tuple((c.name, _decoder(c.type, nullable=bool(c.nullable))) for c in columns)
    return frozenset(c.name for c in columns), decoders


def _decoder(kind: Any, *, nullable: bool) -> Callable[[Any], Any]:
    def decode(raw: Any) -> Any:
        return decode_value(kind, raw, nullable=nullable)

    if isinstance(kind, Uuid):
        def decode(raw: Any) -> Any:
            if raw is None and nullable:
                return None
            return uuid.UUID(raw)
    elif isinstance(kind, Date):
        def decode(raw: Any) -> Any:
            if raw is None and nullable:
                return None
            if not isinstance(raw, str) or len(raw) != 10:
                raise ValueError("date")
            return date.fromisoformat(raw)
    return decode


def decode_row(name: str, data: Any) -> dict[str, Any]:
    """The row's values as Python objects; RecordError names what is wrong."""
    if name not in DEVICE_TABLES:
        raise RecordError(_("数据包中有不能导入的表“{t}”").format(t=name))
    if not isinstance(data, dict):
        raise RecordError(_("{t}：记录格式不对").format(t=TABLE_LABELS[name]))
    expected, decoders = _decoders(name)
    if len(data) != len(expected) or data.keys() != expected:
        unknown = set(data) - expected
        if unknown:
            raise RecordError(_("{t}：未知的字段 {f}").format(t=TABLE_LABELS[name], f="、".join(sorted(unknown))))
        raise RecordError(_("{t}：缺少字段 {f}").format(
            t=TABLE_LABELS[name], f="、".join(sorted(expected - set(data)))))
    values = {}
    for column_name, decode in decoders:
        raw = data[column_name]
        try:
            values[column_name] = decode(raw)
        except (TypeError, ValueError, AttributeError) as exc:
            raise RecordError(_("{t}：字段 {f} 的值“{v}”不对").format(
                t=TABLE_LABELS[name], f=column_name, v=str(raw)[:40])) from exc
    return values


def decode_value(kind: Any, raw: Any, *, nullable: bool) -> Any:
    if raw is None:
        if not nullable:
            raise ValueError("null")
        return None
    if isinstance(kind, Enum):
        if not isinstance(raw, str):
            raise TypeError("enum")
        return kind.enum_class(raw) if kind.enum_class is not None else raw
    if isinstance(kind, Uuid):
        return uuid.UUID(str(raw))
    if isinstance(kind, DateTime):
        return datetime.fromisoformat(str(raw))
    if isinstance(kind, Date):
        if not isinstance(raw, str) or len(raw) != 10:
            raise ValueError("date")
        return date.fromisoformat(raw)
    if isinstance(kind, Boolean):
        if not isinstance(raw, bool):
            raise TypeError("bool")
        return raw
    if isinstance(kind, Integer):
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise TypeError("int")
        return raw
    if isinstance(kind, String | Text):
        if not isinstance(raw, str):
            raise TypeError("str")
        if isinstance(kind, String) and kind.length and len(raw) > kind.length:
            raise ValueError("too long")
        return raw
    if isinstance(kind, JSON):
        return raw
    raise TypeError(f"unsupported column type {kind!r}")


# --- the positional form of package format 2 ----------------------------------------------------
#
# A record travels as a list of values in the order of `shared_columns`, each in the text form
# SQLAlchemy itself stores in SQLite: a UUID as 32 lowercase hex digits, a date as YYYY-MM-DD, a
# time as "YYYY-MM-DD HH:MM:SS.ffffff", an enum as its value, booleans and integers as JSON's.
# So a checked batch of new records goes into the hub's tables as it arrived, with no Python
# object built per value; `decode_row` reads these forms too (for records merged field by field).

DATETIME_TEXT = "%Y-%m-%d %H:%M:%S.%f"
_HEX = re.compile(r"[0-9a-f]*")
_DATES = re.compile(r"(?:\d{4}-\d\d-\d\d)*")
_TIMES = re.compile(r"(?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6})*")
_NONE = type(None)


def _wire_encoder(kind: Any) -> Callable[[Any], Any]:
    if isinstance(kind, Uuid):
        return lambda v: None if v is None else v.hex
    if isinstance(kind, DateTime):
        return lambda v: None if v is None else v.strftime(DATETIME_TEXT)
    if isinstance(kind, Date):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(kind, Enum):
        return lambda v: None if v is None else (v.value if isinstance(v, enum.Enum) else v)
    return _plain


@cache
def wire_encoder(name: str) -> Callable[[Any], list[Any]]:
    """Python values in `shared_columns` order (a selected row, or a list) → the positional form."""
    encoders = [_wire_encoder(table(name).c[c].type) for c in shared_columns(name)]

    def encode(row: Any) -> list[Any]:
        return [enc(v) for enc, v in zip(encoders, row, strict=True)]

    return encode


def _all_valid(values: list[Any], parse: Callable[[str], Any]) -> bool:
    try:
        for _parsed in map(parse, values):
            pass
    except ValueError:
        return False
    return True


def _column_check(kind: Any, nullable: bool) -> Callable[[tuple[Any, ...]], bool]:
    """Whether a whole column of a batch is in the positional form: set and string operations
    that run in C, instead of a Python call per value."""
    allowed_types = {_NONE} if nullable else set()

    def present(values: tuple[Any, ...]) -> list[Any]:
        return [v for v in values if v is not None] if nullable else list(values)

    if isinstance(kind, Uuid):
        def check(values: tuple[Any, ...]) -> bool:
            given = present(values)
            if not set(map(type, values)) <= allowed_types | {str} or not set(map(len, given)) <= {32}:
                return False
            return _HEX.fullmatch("".join(given)) is not None
    elif isinstance(kind, Date | DateTime):
        width, shape = (26, _TIMES) if isinstance(kind, DateTime) else (10, _DATES)
        parse = datetime.fromisoformat if isinstance(kind, DateTime) else date.fromisoformat

        def check(values: tuple[Any, ...]) -> bool:
            given = present(values)
            if not set(map(type, values)) <= allowed_types | {str} or not set(map(len, given)) <= {width}:
                return False
            return shape.fullmatch("".join(given)) is not None and _all_valid(given, parse)
    elif isinstance(kind, Enum):
        members = frozenset(kind.enums) | ({None} if nullable else set())

        def check(values: tuple[Any, ...]) -> bool:
            return set(map(type, values)) <= allowed_types | {str} and set(values) <= members
    elif isinstance(kind, Boolean):
        def check(values: tuple[Any, ...]) -> bool:
            return set(map(type, values)) <= allowed_types | {bool}
    elif isinstance(kind, Integer):
        def check(values: tuple[Any, ...]) -> bool:
            return set(map(type, values)) <= allowed_types | {int}
    elif isinstance(kind, String | Text):
        limit = kind.length if isinstance(kind, String) else None

        def check(values: tuple[Any, ...]) -> bool:
            if not set(map(type, values)) <= allowed_types | {str}:
                return False
            return limit is None or max(map(len, present(values)), default=0) <= limit
    else:
        def check(values: tuple[Any, ...]) -> bool:
            return False  # no fast form: every value decoded
    return check


@cache
def column_checks(name: str) -> tuple[Callable[[tuple[Any, ...]], bool], ...]:
    """Per table, once: a check of each shared column (in `shared_columns` order) for a batch."""
    t = table(name)
    return tuple(_column_check(t.c[c].type, bool(t.c[c].nullable)) for c in shared_columns(name))


def wire_rows(name: str, columns: list[str], rows: list[list[Any]]) -> list[list[Any]]:
    """A batch of records of `name` as it arrived (columns `shared_columns(name)`, in any order)
    → its rows in the positional form, in `shared_columns` order. A batch whose every column is
    already in that form is returned as it is (checked column by column); otherwise each record
    is decoded (RecordError names the first bad value) and encoded again."""
    if name not in DEVICE_TABLES:
        raise RecordError(_("数据包中有不能导入的表“{t}”").format(t=name))
    expected = shared_columns(name)
    if columns != expected:
        if len(columns) != len(set(columns)) or set(columns) != set(expected):
            unknown = set(columns) - set(expected)
            if unknown:
                raise RecordError(_("{t}：未知的字段 {f}").format(t=TABLE_LABELS[name], f="、".join(sorted(unknown))))
            raise RecordError(_("{t}：缺少字段 {f}").format(
                t=TABLE_LABELS[name], f="、".join(sorted(set(expected) - set(columns)))))
        order = [columns.index(c) for c in expected]
        rows = [[row[k] for k in order] if isinstance(row, list) and len(row) == len(order) else row
                for row in rows]
    width = len(expected)
    if not all(isinstance(row, list) and len(row) == width for row in rows):
        raise RecordError(_("{t}：记录格式不对").format(t=TABLE_LABELS[name]))
    if not rows:
        return rows
    if all(check(values) for check, values in zip(column_checks(name), zip(*rows), strict=True)):
        return rows
    encode = wire_encoder(name)
    return [encode([values[c] for c in expected]) for values in
            (decode_row(name, dict(zip(expected, row, strict=True))) for row in rows)]


def _wire_decoder(kind: Any) -> Callable[[Any], Any] | None:
    if isinstance(kind, Uuid):
        return uuid.UUID
    if isinstance(kind, DateTime):
        return datetime.fromisoformat
    if isinstance(kind, Date):
        return date.fromisoformat
    if isinstance(kind, Enum) and kind.enum_class is not None:
        return {member.value: member for member in kind.enum_class}.__getitem__
    return None


@cache
def wire_decoder(name: str) -> Callable[[list[Any]], dict[str, Any]]:
    """A row `wire_rows` returned → its values as Python objects, by column (no checks: the
    batch was checked)."""
    pairs = [(c, _wire_decoder(table(name).c[c].type)) for c in shared_columns(name)]

    def decode(row: list[Any]) -> dict[str, Any]:
        return {c: v if convert is None or v is None else convert(v)
                for (c, convert), v in zip(pairs, row, strict=True)}

    return decode
