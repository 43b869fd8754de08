"""残疾人档案 page: type-ahead search, filters, sorting, lazy paging, opening a file."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt

from liaison.core.enums import PersonStatus
from liaison.core.services import persons
from liaison.gui import windows
from liaison.gui.pages.roster import RosterPage
from liaison.gui.person_table import PAGE_SIZE
from tests.core.services.helpers import add_person
from tests.gui.conftest import TODAY


def make_page(qtbot, ctx) -> RosterPage:
    page = RosterPage(ctx)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.count_label.text().startswith("共"))
    return page


def search(qtbot, page: RosterPage, text: str) -> list[str]:
    with qtbot.waitSignal(page.results_shown, timeout=5000):
        page.search.clear()
        if text.isascii():
            qtbot.keyClicks(page.search, text)
        else:  # hanzi arrive committed from the input method, not as key presses
            page.search.insert(text)
    return [page.model.rows[i].name for i in range(page.model.rowCount())]


@pytest.fixture
def people(ctx, area_tree):
    ids = {}
    for name, birth, extra in [
        ("张三丰", date(1950, 1, 1), {"phone": "13987654321"}),
        ("单雄信", date(1962, 3, 8), {}),
        ("赵子龙", date(1990, 7, 7), {"category": 1, "grade": 1}),
        ("周瑜", date(1975, 5, 5), {}),
    ]:
        saved = add_person(ctx.workspace, ctx.actor, area_tree.village, name=name, birth=birth,
                           today=TODAY, **extra)
        ids[name] = saved.person_id
    with ctx.workspace.uow() as uow:
        persons.change_status(uow, ctx.actor, ids["周瑜"], PersonStatus.DECEASED,
                              on=date(2026, 1, 1), reason="病故", today=TODAY)
        uow.commit()
    return ids


def test_lists_people_on_the_roster_with_masked_id_numbers(qtbot, ctx, people):
    page = make_page(qtbot, ctx)
    names = [r.name for r in page.model.rows]
    assert sorted(names) == sorted(["张三丰", "单雄信", "赵子龙"])  # 周瑜 is deceased
    assert page.count_label.text() == "共 3 人"
    id_column = page.model.index(0, 3).data()
    assert id_column.startswith("220202") and "********" in id_column


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("zs", ["张三丰"]), ("shan", ["单雄信"]), ("dxx", ["单雄信"]), ("子龙", ["赵子龙"]),
     ("4321", ["张三丰"])],
)
def test_type_ahead_finds_by_pinyin_hanzi_and_digits(qtbot, ctx, people, typed, expected):
    page = make_page(qtbot, ctx)
    assert search(qtbot, page, typed) == expected


def test_filters_and_status(qtbot, ctx, people):
    page = make_page(qtbot, ctx)
    with qtbot.waitSignal(page.results_shown):
        page.category.set_value(1)
    assert [r.name for r in page.model.rows] == ["赵子龙"]
    with qtbot.waitSignal(page.results_shown):
        page.category.set_value(None)
    with qtbot.waitSignal(page.results_shown):
        page.status.set_value(PersonStatus.DECEASED)
    assert [r.name for r in page.model.rows] == ["周瑜"]


def test_sorting_by_age_from_the_header(qtbot, ctx, people):
    page = make_page(qtbot, ctx)
    with qtbot.waitSignal(page.results_shown):
        page.table.sortByColumn(2, Qt.SortOrder.AscendingOrder)  # 年龄, youngest first
    assert [r.name for r in page.model.rows] == ["赵子龙", "单雄信", "张三丰"]


def test_enter_on_a_row_opens_the_file(qtbot, ctx, people, monkeypatch):
    opened = []
    monkeypatch.setattr(windows, "open_person_file", lambda c, p, pid, **kw: opened.append(pid))
    page = make_page(qtbot, ctx)
    search(qtbot, page, "zsf")
    qtbot.keyClick(page.search, Qt.Key.Key_Down)
    assert page.table.hasFocus() or page.table.currentIndex().row() == 0
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert opened == [people["张三丰"]]


def test_pages_are_fetched_as_the_list_scrolls(qtbot, ctx, area_tree):
    for i in range(PAGE_SIZE + 20):
        add_person(ctx.workspace, ctx.actor, area_tree.village, name="李" + "一二三四五六七八九十"[i % 10],
                   birth=date(1960, 1, 1 + i % 28), today=TODAY)
    page = make_page(qtbot, ctx)
    assert page.model.rowCount() == PAGE_SIZE
    assert page.model.canFetchMore()
    page.model.fetchMore()
    assert page.model.rowCount() == PAGE_SIZE + 20
    assert not page.model.canFetchMore()


def test_a_saved_person_appears_without_reloading(qtbot, ctx, people, area_tree):
    page = make_page(qtbot, ctx)
    add_person(ctx.workspace, ctx.actor, area_tree.village, name="新来的", birth=date(1980, 2, 2), today=TODAY)
    with qtbot.waitSignal(page.results_shown):
        ctx.events.changed.emit("person")
    assert "新来的" in [r.name for r in page.model.rows]
