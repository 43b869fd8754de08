"""Tests for liaison.core.pinyin (name search terms, sort keys, query normalisation)."""

from __future__ import annotations

import re

import pytest

from liaison.core.pinyin import (
    SURNAME_READINGS,
    is_pinyin_query,
    name_search_terms,
    name_sort_key,
    query_to_term,
)

_TERM_RE = re.compile(r"[a-z0-9]+")


# --------------------------------------------------------------------------------------
# Surnames that pypinyin reads with the common (wrong) reading -- TECH-NOTES section 7
# --------------------------------------------------------------------------------------

# name, correct full pinyin, correct initials, [(common full pinyin, common initials)]
TECH_NOTES_SURNAMES = [
    ("单雄信", "shanxiongxin", "sxx", [("danxiongxin", "dxx"), ("chanxiongxin", "cxx")]),
    ("曾小贤", "zengxiaoxian", "zxx", [("cengxiaoxian", "cxx")]),
    ("解缙", "xiejin", "xj", [("jiejin", "jj")]),
    ("仇英", "qiuying", "qy", [("chouying", "cy")]),
    ("区志强", "ouzhiqiang", "ozq", [("quzhiqiang", "qzq")]),
    ("查良镛", "zhaliangyong", "zly", [("chaliangyong", "cly")]),
    ("乐嘉", "yuejia", "yj", [("lejia", "lj")]),
    ("覃思", "qinsi", "qs", [("tansi", "ts")]),
]


@pytest.mark.parametrize(("name", "full", "initials", "common"), TECH_NOTES_SURNAMES)
def test_surname_correct_reading_comes_first(
    name: str, full: str, initials: str, common: list[tuple[str, str]]
) -> None:
    terms = name_search_terms(name)
    assert terms[:2] == [full, initials]


@pytest.mark.parametrize(("name", "full", "initials", "common"), TECH_NOTES_SURNAMES)
def test_surname_common_reading_variants_present(
    name: str, full: str, initials: str, common: list[tuple[str, str]]
) -> None:
    terms = name_search_terms(name)
    for common_full, common_initials in common:
        assert common_full in terms
        assert common_initials in terms


@pytest.mark.parametrize(("name", "full", "initials", "common"), TECH_NOTES_SURNAMES)
def test_sort_key_uses_correct_surname_reading(
    name: str, full: str, initials: str, common: list[tuple[str, str]]
) -> None:
    syllables, _, original = name_sort_key(name).partition("\t")
    assert syllables.replace(" ", "") == full
    assert original == name


def test_shan_xiongxin_exact_terms() -> None:
    assert name_search_terms("单雄信") == [
        "shanxiongxin",
        "sxx",
        "danxiongxin",
        "dxx",
        "chanxiongxin",
        "cxx",
    ]


def test_le_is_also_a_correct_reading() -> None:
    assert SURNAME_READINGS["乐"][:2] == ("yue", "le")
    terms = name_search_terms("乐嘉")
    assert terms.index("yuejia") < terms.index("lejia")


# --------------------------------------------------------------------------------------
# The surname table itself
# --------------------------------------------------------------------------------------

REQUIRED_SURNAMES = [
    ("单", "shan"), ("曾", "zeng"), ("解", "xie"), ("仇", "qiu"), ("区", "ou"),
    ("查", "zha"), ("覃", "qin"), ("乐", "yue"), ("朴", "piao"), ("盖", "ge"),
    ("缪", "miao"), ("种", "chong"), ("召", "shao"), ("繁", "po"), ("万俟", "moqi"),
    ("尉迟", "yuchi"), ("长孙", "zhangsun"), ("澹台", "tantai"), ("令狐", "linghu"),
    ("皇甫", "huangfu"), ("欧阳", "ouyang"), ("上官", "shangguan"), ("司马", "sima"),
    ("诸葛", "zhuge"), ("东方", "dongfang"), ("夏侯", "xiahou"), ("公孙", "gongsun"),
    ("慕容", "murong"), ("宇文", "yuwen"), ("司徒", "situ"), ("纪", "ji"), ("任", "ren"),
    ("沈", "shen"), ("石", "shi"), ("翟", "zhai"), ("燕", "yan"), ("秘", "bi"),
    ("句", "gou"), ("员", "yun"), ("能", "nai"), ("华", "hua"), ("宁", "ning"),
    ("贾", "jia"), ("薄", "bo"), ("黑", "he"), ("隗", "wei"), ("冼", "xian"),
]  # fmt: skip


@pytest.mark.parametrize(("surname", "reading"), REQUIRED_SURNAMES)
def test_required_surname_readings(surname: str, reading: str) -> None:
    assert SURNAME_READINGS[surname][0] == reading


def test_surname_table_size_and_format() -> None:
    assert len(SURNAME_READINGS) >= 75
    for surname, readings in SURNAME_READINGS.items():
        assert 1 <= len(surname) <= 2
        assert readings, surname
        for reading in readings:
            assert re.fullmatch("[a-z]+", reading), (surname, reading)


def test_surname_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        SURNAME_READINGS["张"] = ("zhang",)  # type: ignore[index]


@pytest.mark.parametrize(
    "compound", sorted(s for s in SURNAME_READINGS if len(s) == 2)
)
def test_compound_surname_splits_into_two_syllables(compound: str) -> None:
    # 一 (yi) as given name: the sort key must be the two surname syllables + "yi".
    syllables = name_sort_key(compound + "一").partition("\t")[0].split(" ")
    assert len(syllables) == 3
    assert "".join(syllables[:2]) == SURNAME_READINGS[compound][0]
    assert syllables[2] == "yi"


# --------------------------------------------------------------------------------------
# Compound surnames in names
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "full", "initials", "also"),
    [
        ("长孙无忌", "zhangsunwuji", "zswj", ["changsunwuji", "cswj"]),
        ("欧阳修", "ouyangxiu", "oyx", []),
        ("尉迟恭", "yuchigong", "ycg", ["weichigong", "wcg"]),
        ("万俟卨", "moqixie", "mqx", ["wanqixie", "wqx"]),
        ("上官婉儿", "shangguanwaner", "sgwe", []),
        ("诸葛亮", "zhugeliang", "zgl", []),
    ],
)
def test_compound_surnames(name: str, full: str, initials: str, also: list[str]) -> None:
    terms = name_search_terms(name)
    assert terms[:2] == [full, initials]
    for term in also:
        assert term in terms


def test_compound_surname_alone_is_not_treated_as_compound() -> None:
    # A bare two-character name has no given name, so it is read character by character.
    assert name_search_terms("欧阳")[:2] == ["ouyang", "oy"]


# --------------------------------------------------------------------------------------
# Given names, minority names, ü, Latin letters, odd input
# --------------------------------------------------------------------------------------


def test_given_name_uses_phrase_aware_reading() -> None:
    terms = name_search_terms("王长江")
    assert terms[:2] == ["wangchangjiang", "wcj"]
    assert not any("zhangjiang" in t for t in terms)


def test_only_the_first_character_gets_heteronym_variants() -> None:
    terms = name_search_terms("曾长江")
    assert "zengchangjiang" in terms and "cengchangjiang" in terms
    assert not any("zhangjiang" in t for t in terms)


@pytest.mark.parametrize(
    "name", ["买买提·吐尔逊", "买买提・吐尔逊", "买买提•吐尔逊", "买买提.吐尔逊", "买买提 吐尔逊"]
)
def test_minority_name_middle_dot_dropped(name: str) -> None:
    terms = name_search_terms(name)
    assert terms[:2] == ["maimaitituerxun", "mmttex"]
    assert name_sort_key(name).startswith("mai mai ti tu er xun\t")


@pytest.mark.parametrize(
    ("name", "full", "initials"),
    [("吕布", "lvbu", "lb"), ("吕", "lv", "l"), ("女娲", "nvwa", "nw"), ("吕绿", "lvlv", "ll")],
)
def test_u_umlaut_written_as_v(name: str, full: str, initials: str) -> None:
    terms = name_search_terms(name)
    assert terms[:2] == [full, initials]
    assert all("ü" not in t and "u:" not in t for t in terms)


@pytest.mark.parametrize(
    ("name", "full", "initials"),
    [
        ("张A三", "zhangasan", "zas"),
        ("张Ａ三", "zhangasan", "zas"),  # full-width letter
        ("李2", "li2", "l2"),
        ("Tom", "tom", "t"),
        ("王Mary", "wangmary", "wm"),
    ],
)
def test_latin_letters_and_digits_pass_through(name: str, full: str, initials: str) -> None:
    assert name_search_terms(name)[:2] == [full, initials]


@pytest.mark.parametrize("name", ["", " ", "\u3000\t\n", "·", "😀"])
def test_empty_or_unreadable_name_gives_no_terms(name: str) -> None:
    assert name_search_terms(name) == []


def test_unreadable_characters_are_skipped() -> None:
    assert name_search_terms("张😀三")[:2] == ["zhangsan", "zs"]


def test_surrounding_whitespace_is_ignored() -> None:
    assert name_search_terms("  单雄信 ") == name_search_terms("单雄信")


@pytest.mark.parametrize(
    "name",
    ["单雄信", "长孙无忌", "买买提·吐尔逊", "张A三", "吕布", "覃思", "慕容复", "阿依古丽", "查良镛"],
)
def test_terms_are_unique_lowercase_ascii(name: str) -> None:
    terms = name_search_terms(name)
    assert terms
    assert len(terms) == len(set(terms))
    for term in terms:
        assert _TERM_RE.fullmatch(term), term


def test_terms_are_stable() -> None:
    assert name_search_terms("单雄信") == name_search_terms("单雄信")


# --------------------------------------------------------------------------------------
# Sort key
# --------------------------------------------------------------------------------------


def test_sort_key_format() -> None:
    assert name_sort_key("李晓") == "li xiao\t李晓"
    assert name_sort_key("长孙无忌") == "zhang sun wu ji\t长孙无忌"
    assert name_sort_key("") == "\t"


def test_sort_key_ordering() -> None:
    names = ["曾小贤", "林阿", "单雄信", "李晓", "陈一", "吕布", "卢一", "李小"]
    ordered = sorted(names, key=name_sort_key)
    assert ordered == ["陈一", "李小", "李晓", "林阿", "卢一", "吕布", "单雄信", "曾小贤"]


# --------------------------------------------------------------------------------------
# Queries
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "term"),
    [
        ("zhangsan", "zhangsan"),
        ("Zhang San", "zhangsan"),
        ("  ZS ", "zs"),
        ("xi'an", "xian"),
        ("xi’an", "xian"),
        ("ｚｈａｎｇ　ｓａｎ", "zhangsan"),  # full-width letters and space
        ("ＺＳ", "zs"),
        ("lü", "lv"),
        ("LÜ", "lv"),
        ("lu:", "lv"),
        ("LU:BU", "lvbu"),
        ("nǚ", "nv"),
        ("lv", "lv"),
        ("mai·mai", "maimai"),
        ("mai・mai", "maimai"),
        ("mai.mai", "maimai"),
        ("zs1", "zs1"),
        ("", ""),
        ("   ", ""),
        ("张 三", "张三"),
        ("买买提·吐", "买买提·吐"),
    ],
)
def test_query_to_term(query: str, term: str) -> None:
    assert query_to_term(query) == term


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("zs", True),
        ("Shan Xiong", True),
        ("ｓｘｘ", True),
        ("lü", True),
        ("xi'an", True),
        ("张三", False),
        ("zs1", False),
        ("138", False),
        ("", False),
        ("  ", False),
        ("zhang-san", False),
    ],
)
def test_is_pinyin_query(query: str, expected: bool) -> None:
    assert is_pinyin_query(query) is expected


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("单雄信", "Shan Xiong"),
        ("单雄信", "dan xiong xin"),
        ("单雄信", "SXX"),
        ("单雄信", "dx"),
        ("吕布", "lü bu"),
        ("长孙无忌", "zhang'sun"),
        ("长孙无忌", "zswj"),
        ("买买提·吐尔逊", "maimaiti tu"),
    ],
)
def test_query_prefix_matches_a_term(name: str, query: str) -> None:
    term = query_to_term(query)
    assert any(t.startswith(term) for t in name_search_terms(name))
