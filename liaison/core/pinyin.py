"""Pinyin search terms and sort keys for people's names.

Officers find people by typing full pinyin, initials or hanzi. For every person we
store a small set of lower-case ASCII search terms (one per row of an indexed table,
matched by prefix) and a sort key. See TECH-NOTES section 7.

pypinyin reads a name's first character with its *common* reading, which is often
wrong for surnames (单 dan instead of shan, 曾 ceng instead of zeng ...). We therefore:

* read the surname from ``SURNAME_READINGS`` (single-character and compound surnames);
* also emit terms for every reading of the first character, so that someone who
  reads the surname "wrongly" (as most people would) still finds the person;
* read the given name with pypinyin's normal, phrase-aware reading.

pypinyin is imported lazily (it costs about half a second) and all calls into it are
cached per character / per run of characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache
from types import MappingProxyType

__all__ = [
    "SURNAME_READINGS",
    "is_pinyin_query",
    "name_search_terms",
    "name_sort_key",
    "query_to_term",
]

# --------------------------------------------------------------------------------------
# Surname table
# --------------------------------------------------------------------------------------

# Correct reading(s) of surnames, toneless lower-case pinyin, "ü" written as "v".
# The first reading is the preferred one (used for the sort key). Compound readings are
# written without separators; they are split into syllables with the characters' own
# readings (see _compound_syllables).
#
# Deliberately absent: 单于 (chanyu). As a surname it is practically extinct, while
# 单 (shan) followed by a given name starting with 于 is not; reading 单于X as a compound
# would file those people under "chan". The heteronym terms still cover "chanyu...".
_SURNAMES: dict[str, tuple[str, ...]] = {
    # --- single-character surnames whose reading differs from the common one -------
    "单": ("shan",),
    "曾": ("zeng",),
    "解": ("xie",),
    "仇": ("qiu",),
    "区": ("ou",),
    "查": ("zha",),
    "覃": ("qin",),
    "乐": ("yue", "le"),
    "朴": ("piao",),
    "盖": ("ge", "gai"),  # Gě; some families (e.g. 盖叫天) say Gài
    "缪": ("miao",),
    "种": ("chong",),
    "召": ("shao",),
    "繁": ("po",),
    "翟": ("zhai",),
    "秘": ("bi",),
    "句": ("gou",),
    "员": ("yun",),
    "能": ("nai",),
    "薄": ("bo",),
    "黑": ("he", "hei"),  # Hè is the traditional surname reading; Hēi is also heard
    "隗": ("wei", "kui"),  # both Wěi and Kuí are surname readings
    "尉": ("wei",),
    "重": ("chong",),
    "折": ("she",),
    "佴": ("nai",),
    "粘": ("nian",),
    "都": ("du",),
    "乜": ("nie",),
    "阚": ("kan",),
    "卜": ("bu",),
    "宓": ("mi", "fu"),
    "蔚": ("yu", "wei"),
    "长": ("chang",),
    "洗": ("xian",),
    "祭": ("zhai",),
    # --- heteronymic characters whose surname reading happens to be the common one --
    # (listed so the surname reading never depends on pypinyin's default)
    "纪": ("ji",),
    "任": ("ren",),
    "沈": ("shen",),
    "石": ("shi",),
    "燕": ("yan",),
    "华": ("hua",),
    "宁": ("ning",),
    "贾": ("jia",),
    "冼": ("xian",),
    "那": ("na",),
    "盛": ("sheng",),
    "柏": ("bai",),
    "牟": ("mou",),
    "陆": ("lu",),
    "叶": ("ye",),
    "强": ("qiang",),
    "宿": ("su",),
    "於": ("yu",),
    "俞": ("yu",),
    "褚": ("chu",),
    "郗": ("xi",),
    "莘": ("shen",),
    "殷": ("yin",),
    "车": ("che",),
    "干": ("gan",),
    "和": ("he",),
    "汤": ("tang",),
    "谷": ("gu",),
    "钭": ("tou",),
    "朝": ("chao",),
    "郇": ("huan",),
    "万": ("wan",),
    # --- compound surnames ------------------------------------------------------------
    "万俟": ("moqi",),
    "尉迟": ("yuchi",),
    "长孙": ("zhangsun",),
    "澹台": ("tantai",),
    "令狐": ("linghu",),
    "皇甫": ("huangfu",),
    "欧阳": ("ouyang",),
    "上官": ("shangguan",),
    "司马": ("sima",),
    "诸葛": ("zhuge",),
    "东方": ("dongfang",),
    "夏侯": ("xiahou",),
    "公孙": ("gongsun",),
    "慕容": ("murong",),
    "宇文": ("yuwen",),
    "司徒": ("situ",),
    "司空": ("sikong",),
    "赫连": ("helian",),
    "呼延": ("huyan",),
    "端木": ("duanmu",),
    "淳于": ("chunyu",),
    "鲜于": ("xianyu",),
    "闾丘": ("lvqiu",),
    "轩辕": ("xuanyuan",),
    "钟离": ("zhongli",),
    "南宫": ("nangong",),
    "西门": ("ximen",),
    "申屠": ("shentu",),
    "拓跋": ("tuoba",),
    "乐正": ("yuezheng",),
}

SURNAME_READINGS: Mapping[str, tuple[str, ...]] = MappingProxyType(_SURNAMES)

_COMPOUND_SURNAMES: frozenset[str] = frozenset(k for k in _SURNAMES if len(k) == 2)

# --------------------------------------------------------------------------------------
# Character classes and normalisation helpers
# --------------------------------------------------------------------------------------

# CJK ideographs: Extension A, URO, compatibility ideographs (NFKC maps most away),
# 〇, and the supplementary ideographic planes.
_HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
_HAN_RE = re.compile(f"[{_HAN}]")
# A name splits into runs of hanzi and runs of ASCII letters/digits; everything else
# (middle dots, whitespace, punctuation, emoji ...) separates runs and is dropped.
_SEGMENT_RE = re.compile(f"([{_HAN}]+)|([a-z0-9]+)")
_COMBINING_RE = re.compile("[\u0300-\u036f]")
_NON_LOWER_ASCII_RE = re.compile("[^a-z]")

_WHITESPACE_RE = re.compile(r"\s+")
# Dropped from typed queries: whitespace, apostrophes (syllable separators), middle dots.
_QUERY_DROP_RE = re.compile(
    "[\\s'`\u00b4\u2018\u2019\u2032"  # whitespace, apostrophes
    "\u00b7\u30fb\uff65\u2022\u2027\u2219\u22c5.]"  # middle dots and full stop
)
_U_UMLAUT = str.maketrans({"ü": "v", "ǖ": "v", "ǘ": "v", "ǚ": "v", "ǜ": "v"})


def _clean_syllable(syllable: str) -> str:
    """Force a pypinyin syllable to lower-case ASCII ("ü" -> "v", "ê" -> "e")."""
    if syllable.isascii():
        s = syllable.lower()
    else:
        s = syllable.lower().replace("ü", "v").replace("ê", "e")
    return _NON_LOWER_ASCII_RE.sub("", s)


@lru_cache(maxsize=32768)
def _char_readings(char: str) -> tuple[str, ...]:
    """All toneless readings of one hanzi, pypinyin's default reading first; () if none."""
    from pypinyin import Style, pinyin

    rows = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    readings: list[str] = []
    for row in rows:
        for r in row:
            s = _clean_syllable(r)
            if s and s not in readings:
                readings.append(s)
    return tuple(readings)


@lru_cache(maxsize=1)
def _phrases_dict() -> Mapping[str, object] | None:
    """pypinyin's phrase dictionary (what its segmenter matches), if reachable."""
    try:
        from pypinyin.constants import PHRASES_DICT
    except ImportError:  # pragma: no cover - layout of a future pypinyin
        return None
    return PHRASES_DICT if isinstance(PHRASES_DICT, Mapping) else None


@lru_cache(maxsize=65536)
def _run_syllables(run: str) -> tuple[str, ...]:
    """Phrase-aware toneless reading of a run of hanzi (unreadable characters skipped)."""
    if not run:
        return ()
    phrases = _phrases_dict()
    n = len(run)
    if phrases is not None and not any(
        run[i:j] in phrases for i in range(n - 1) for j in range(i + 2, n + 1)
    ):
        # No phrase inside the run: pypinyin would read each character with its
        # default reading, which _char_readings already has cached. Much faster.
        return tuple(r for ch in run for r in _char_readings(ch)[:1])
    from pypinyin import Style, lazy_pinyin

    out: list[str] = []
    for r in lazy_pinyin(run, style=Style.NORMAL, errors="ignore"):
        s = _clean_syllable(r)
        if s:
            out.append(s)
    return tuple(out)


@lru_cache(maxsize=256)
def _compound_syllables(surname: str, reading: str) -> tuple[str, ...]:
    """Split a compound surname reading ("zhangsun") into syllables ("zhang", "sun").

    The split is found among the characters' own readings; if none fits, the reading is
    kept as a single token.
    """

    def split(chars: str, rest: str) -> tuple[str, ...] | None:
        if not chars:
            return () if not rest else None
        for r in _char_readings(chars[0]):
            if rest.startswith(r):
                tail = split(chars[1:], rest[len(r) :])
                if tail is not None:
                    return (r, *tail)
        return None

    found = split(surname, reading)
    return found if found is not None else (reading,)


def _segments(name: str) -> list[tuple[bool, str]]:
    """Split a name into (is_hanzi, text) runs; Latin is lower-cased, diacritics removed."""
    text = unicodedata.normalize("NFKC", name)
    if not text.isascii():
        # "Müller" -> "muller"; hanzi are unaffected by NFKD.
        text = _COMBINING_RE.sub("", unicodedata.normalize("NFKD", text))
    text = text.lower()
    return [(bool(m.group(1)), m.group(0)) for m in _SEGMENT_RE.finditer(text)]


_Syllables = tuple[str, ...]


@lru_cache(maxsize=8192)  # name_search_terms and name_sort_key come in pairs, a sync batch of people apart
def _readings(name: str) -> tuple[tuple[_Syllables, ...], tuple[_Syllables, ...]]:
    """Syllable sequences for a name.

    Returns (correct, variants): ``correct`` holds one sequence per correct surname
    reading (the first is the preferred one); ``variants`` holds one sequence per
    pypinyin reading of the first character.
    """
    segs = _segments(name)
    if not segs:
        return (), ()
    first_is_han, first = segs[0]
    rest_segs = segs[1:]

    def tail_syllables() -> tuple[str, ...]:
        out: list[str] = []
        for is_han, text in rest_segs:
            if is_han:
                out.extend(_run_syllables(text))
            else:
                out.append(text)
        return tuple(out)

    if not first_is_han:
        whole = (first, *tail_syllables())
        return (whole,), ()

    # Compound surname: needs something after it (a name is never just a surname).
    compound = first[:2]
    if compound in _COMPOUND_SURNAMES and (len(first) > 2 or rest_segs):
        surname_len = 2
        correct_heads = [_compound_syllables(compound, r) for r in _SURNAMES[compound]]
    else:
        surname_len = 1
        table = _SURNAMES.get(first[0])
        if table is not None:
            correct_heads = [(r,) for r in table]
        else:
            default = _char_readings(first[0])[:1]
            correct_heads = [default]

    given = _run_syllables(first[surname_len:]) + tail_syllables()
    correct = tuple(head + given for head in correct_heads)

    # Variants: every reading of the first character; the rest of a compound surname
    # gets its characters' common readings (what someone unaware of it would say).
    after_first: _Syllables = ()
    for ch in first[1:surname_len]:
        after_first += _char_readings(ch)[:1]
    variants = tuple((r, *after_first, *given) for r in _char_readings(first[0]))
    return correct, variants


def _initials(syllables: Sequence[str]) -> str:
    return "".join(s[0] for s in syllables if s)


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def name_search_terms(name: str) -> list[str]:
    """Lower-case ASCII search terms for a person's name, deduplicated, in stable order.

    For each correct surname reading: full pinyin, then initials; then the same for
    every reading of the first character. 单雄信 ->
    ``["shanxiongxin", "sxx", "danxiongxin", "dxx", "chanxiongxin", "cxx"]``.
    """
    correct, variants = _readings(name)
    terms: list[str] = []
    seen: set[str] = set()
    for syllables in (*correct, *variants):
        for term in ("".join(syllables), _initials(syllables)):
            if term and term not in seen:
                seen.add(term)
                terms.append(term)
    return terms


def name_sort_key(name: str) -> str:
    """Sort key: preferred pinyin syllables joined by spaces, a tab, then the name.

    "li xiao\\t李晓" sorts before "lin a\\t林阿" because " " < "n".
    """
    correct, _ = _readings(name)
    syllables = correct[0] if correct else ()
    return " ".join(syllables) + "\t" + name


def query_to_term(query: str) -> str:
    """Normalise a typed query for prefix matching against ``name_search_terms``.

    Queries containing hanzi only lose their whitespace (they are matched elsewhere).
    Otherwise: full-width forms become half-width, lower-case, "ü"/"u:" become "v",
    and whitespace, apostrophes and middle dots are dropped.
    """
    if _HAN_RE.search(query):
        return _WHITESPACE_RE.sub("", query)
    text = unicodedata.normalize("NFKC", query).lower()
    text = text.translate(_U_UMLAUT).replace("u:", "v")
    return _QUERY_DROP_RE.sub("", text)


def is_pinyin_query(query: str) -> bool:
    """True when the normalised query is non-empty and only ASCII letters."""
    term = query_to_term(query)
    return bool(term) and term.isascii() and term.isalpha()


def _benchmark(count: int = 100_000) -> None:  # pragma: no cover - run by hand
    """Time terms + sort keys for random names: ``python -m liaison.core.pinyin``."""
    import random
    import time

    rng = random.Random(1)
    surnames = [*"王李张刘陈杨黄赵吴周徐孙马朱胡郭何林单曾解仇区查乐覃", "欧阳", "长孙"]
    chars = [chr(c) for c in range(0x4E00, 0x9FA6)]  # worst case: few cache hits
    names = [
        rng.choice(surnames) + "".join(rng.choices(chars, k=rng.choice((1, 2, 2))))
        for _ in range(count)
    ]
    start = time.perf_counter()
    for name in names:
        name_search_terms(name)
        name_sort_key(name)
    elapsed = time.perf_counter() - start
    print(f"{count} names: {elapsed:.2f} s (cold caches, pypinyin import included)")


if __name__ == "__main__":  # pragma: no cover
    _benchmark()
