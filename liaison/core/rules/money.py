"""Money is stored as integer fen (分) so sums are exact; these convert to and from the
yuan text people type and read."""

from __future__ import annotations

import re
import unicodedata

from liaison.core.i18n import _

_AMOUNT = re.compile(r"(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?")


def parse_yuan(text: str) -> int:
    """'6,000.5', '６０００', '6000元', ' 80.00 ' → fen; ValueError with a Chinese message."""
    cleaned = "".join(unicodedata.normalize("NFKC", text).split())
    cleaned = cleaned.removeprefix("¥").removesuffix("元")
    if not cleaned:
        raise ValueError(_("金额不能为空"))
    if cleaned.startswith("-"):
        raise ValueError(_("金额不能为负数"))
    match = _AMOUNT.fullmatch(cleaned)
    if match is None:
        raise ValueError(_("金额格式不对：{text}").format(text=text.strip()))
    frac = match["frac"] or ""
    if len(frac) > 2:
        raise ValueError(_("金额最多保留两位小数（到分）：{text}").format(text=text.strip()))
    return int(match["int"].replace(",", "")) * 100 + int(frac.ljust(2, "0"))


def format_yuan(fen: int, *, thousands: bool = True) -> str:
    """12345 → '123.45'; 600000 → '6,000.00' (no unit, callers add 元 where it reads well)."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    whole = f"{yuan:,}" if thousands else str(yuan)
    return f"{sign}{whole}.{cents:02d}"
