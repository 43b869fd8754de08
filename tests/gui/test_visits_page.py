"""The visit log: filters, opening a person's file, refreshing after a save."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from PySide6.QtCore import Qt

from liaison.core.enums import ContactMode, NeedKind, UserRole, VisitKind
from liaison.core.services.context import Actor
from liaison.core.services.visits import NeedInput
from liaison.gui import windows
from liaison.gui.context import DataEvents
from liaison.gui.pages.visits import VisitsPage, recent_months
from tests.core.services.helpers import add_person, add_visit
from tests.gui.conftest import TODAY


@pytest.fixture
def log(ctx, area_tree):
    """Three people in two villages, visited in October and November 2026."""
    ws, actor = ctx.workspace, ctx.actor
    wang = add_person(ws, actor, area_tree.village, name="王秀兰", today=TODAY).person_id
    chen = add_person(ws, actor, area_tree.group, name="陈国富", today=TODAY).person_id
    li = add_person(ws, actor, area_tree.other_village, name="李桂芝", today=TODAY).person_id
    add_visit(
        ws,
        actor,
        wang,
        date(2026, 11, 5),
        today=TODAY,
        visitor_name="李专委",
        findings="家中整洁\n身体尚好",
        needs=[NeedInput(NeedKind.CARE), NeedInput(NeedKind.TRAINING)],
    )
    add_visit(
        ws,
        actor,
        chen,
        date(2026, 11, 20),
        today=TODAY,
        kind=VisitKind.HARDSHIP,
        visitor_name="王委员",
        mode=ContactMode.PHONE,
    )
    add_visit(ws, actor, li, date(2026, 11, 12), today=TODAY, visitor_name="王委员")
    add_visit(
        ws,
        actor,
        wang,
        date(2026, 10, 15),
        today=TODAY,
        kind=VisitKind.RETURN_VISIT,
        visitor_name="李专委",
    )
    return {"wang": wang, "chen": chen, "li": li}


def open_page(qtbot, ctx) -> VisitsPage:
    page = VisitsPage(ctx)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: not page.loading)
    with qtbot.waitExposed(page):
        page.show()
    return page


def names(page):
    return [row[1] for row in page.visible_rows()]


def change(qtbot, page, field, value):
    with qtbot.waitSignal(page.loaded):
        field.set_value(value)


def test_recent_months_cross_the_new_year():
    months = recent_months(date(2026, 2, 10), 4)
    assert months == [(2026, 2), (2026, 1), (2025, 12), (2025, 11)]
    assert len(recent_months(TODAY)) == 24


def test_this_month_is_shown_first(qtbot, ctx, log):
    page = open_page(qtbot, ctx)
    assert page.visible_rows() == [
        ("2026-11-20", "陈国富", "困难残疾人访视", "电话", "王委员", "", "0"),
        ("2026-11-12", "李桂芝", "日常走访", "入户", "王委员", "", "0"),
        ("2026-11-05", "王秀兰", "日常走访", "入户", "李专委", "家中整洁 身体尚好", "2"),
    ]
    assert page.count.text() == "本月共 3 次走访"
    # the visitor choice offers the names found, besides the actor's own
    visitors = [page.visitor.itemText(i) for i in range(page.visitor.count())]
    assert visitors == ["全部", "本机管理员", "李专委", "王委员"]


def test_filters(qtbot, ctx, area_tree, log):
    page = open_page(qtbot, ctx)
    change(qtbot, page, page.month, (2026, 10))
    assert names(page) == ["王秀兰"]
    assert page.count.text() == "2026 年 10 月共 1 次走访"
    change(qtbot, page, page.month, None)
    assert names(page) == ["陈国富", "李桂芝", "王秀兰", "王秀兰"]
    assert page.count.text() == "共 4 次走访"

    change(qtbot, page, page.kind, VisitKind.RETURN_VISIT)
    assert names(page) == ["王秀兰"]
    change(qtbot, page, page.kind, None)

    change(qtbot, page, page.visitor, "王委员")
    assert names(page) == ["陈国富", "李桂芝"]
    change(qtbot, page, page.visitor, None)

    change(qtbot, page, page.village, "220202100001")  # 两家子村, with its group
    assert names(page) == ["陈国富", "王秀兰", "王秀兰"]
    change(qtbot, page, page.village, "220202100002")
    assert names(page) == ["李桂芝"]

    change(qtbot, page, page.month, (2026, 11))
    assert page.count.text() == "本月共 1 次走访"


def test_village_choice_lists_villages_only(qtbot, ctx, log):
    page = open_page(qtbot, ctx)
    texts = [page.village.itemText(i) for i in range(page.village.count())]
    assert texts == ["全部", "桦皮厂镇 两家子村", "桦皮厂镇 前进村"]


def test_a_late_answer_for_an_old_filter_is_ignored(qtbot, ctx, log):
    page = open_page(qtbot, ctx)
    page.kind.blockSignals(True)
    page.kind.set_value(VisitKind.HARDSHIP)
    page.kind.blockSignals(False)
    page.refresh()  # generation n: hardship only
    stale = page._generation
    page.kind.set_value(None)  # generation n + 1: everything this month
    qtbot.waitUntil(lambda: not page.loading)
    assert page._generation == stale + 1
    assert len(page.visible_rows()) == 3


@pytest.fixture
def opened(monkeypatch):
    calls = []
    monkeypatch.setattr(
        windows,
        "open_person_file",
        lambda ctx, parent, person_id=None, **kw: calls.append(person_id),
    )
    return calls


def test_double_click_opens_the_persons_file(qtbot, ctx, log, opened):
    page = open_page(qtbot, ctx)
    rect = page.table.visualRect(page.model.index(1, 1))
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened == [log["li"]]


def test_enter_opens_the_persons_file(qtbot, ctx, log, opened):
    page = open_page(qtbot, ctx)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Return)  # the first row is current after loading
    qtbot.keyClick(page.table, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert opened == [log["chen"], log["wang"]]


def test_the_current_row_stays_on_its_visit_after_a_refresh(qtbot, ctx, log):
    page = open_page(qtbot, ctx)
    page.table.setCurrentIndex(page.model.index(1, 0))  # 李桂芝, 2026-11-12
    add_visit(ctx.workspace, ctx.actor, log["li"], date(2026, 11, 24), today=TODAY)
    with qtbot.waitSignal(page.loaded):
        ctx.events.changed.emit("visit")
    assert page.table.currentIndex().row() == 2
    assert page.visible_rows()[2][:2] == ("2026-11-12", "李桂芝")


def test_new_visit_opens_the_form_with_a_picker(qtbot, ctx, monkeypatch):
    calls = []
    monkeypatch.setattr(
        windows,
        "open_visit_form",
        lambda ctx, parent, person_id=None, **kw: calls.append(person_id),
    )
    page = open_page(qtbot, ctx)
    page.new_button.click()
    assert calls == [None]


def test_refreshes_when_a_visit_is_saved_elsewhere(qtbot, ctx, log):
    page = open_page(qtbot, ctx)
    add_visit(
        ctx.workspace, ctx.actor, log["li"], date(2026, 11, 24), today=TODAY, visitor_name="新委员"
    )
    with qtbot.waitSignal(page.loaded):
        ctx.events.changed.emit("visit")
    assert names(page)[0] == "李桂芝"
    assert page.count.text() == "本月共 4 次走访"
    assert page.visitor.findText("新委员") >= 0


def test_an_empty_workspace_shows_no_visits(qtbot, ctx):
    page = open_page(qtbot, ctx)
    assert page.visible_rows() == []
    assert page.count.text() == "本月共 0 次走访"


def test_a_village_officer_sees_only_their_village(qtbot, ctx, area_tree, log):
    officer = Actor(
        username="qianjin",
        display_name="前进村专职委员",
        role=UserRole.VILLAGE_OFFICER,
        device_id=ctx.workspace.device_id,
        scope_area_ids=frozenset({area_tree.other_village}),
    )
    page = open_page(qtbot, replace(ctx, actor=officer, events=DataEvents()))
    assert names(page) == ["李桂芝"]
    texts = [page.village.itemText(i) for i in range(page.village.count())]
    assert texts == ["全部", "桦皮厂镇 前进村"]
