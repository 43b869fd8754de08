"""工作台: tasks grouped by urgency; Enter opens the right form for the right person."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt

from liaison.core.enums import NeedKind
from liaison.core.rules.cadence import DueState
from liaison.core.services import visits
from liaison.core.services.tasks import TaskKind
from liaison.gui import windows
from liaison.gui.pages.work_queue import WorkQueuePage
from tests.core.services.helpers import add_person
from tests.gui.conftest import TODAY


def make_page(qtbot, ctx) -> WorkQueuePage:
    page = WorkQueuePage(ctx)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.queue is not None, timeout=5000)
    return page


def record(ctx, person_id, day, needs=()):
    with ctx.workspace.uow() as uow:
        visits.record_visit(
            uow, ctx.actor,
            visits.VisitInput(person_id=person_id, visit_date=day, kind="routine", contact_mode="home",
                              visitor_name="李委员", needs=[visits.NeedInput(kind=k) for k in needs]),
            today=TODAY)
        uow.commit()


@pytest.fixture
def village(ctx, area_tree):
    severe = add_person(ctx.workspace, ctx.actor, area_tree.village, name="重度甲", grade=1,
                        birth=date(1950, 1, 1), today=TODAY).person_id
    other = add_person(ctx.workspace, ctx.actor, area_tree.village, name="重度乙", grade=2,
                       birth=date(1951, 1, 1), today=TODAY).person_id
    needy = add_person(ctx.workspace, ctx.actor, area_tree.village, name="有需求", grade=4,
                       birth=date(1970, 1, 1), today=TODAY).person_id
    record(ctx, severe, TODAY - timedelta(days=50))
    record(ctx, other, TODAY - timedelta(days=45))
    record(ctx, needy, TODAY - timedelta(days=40), needs=[NeedKind.ASSISTIVE_DEVICE])
    return {"severe": severe, "other": other, "needy": needy}


def test_groups_by_urgency_with_counts(qtbot, ctx, village):
    page = make_page(qtbot, ctx)
    queue = page.queue
    overdue = queue.by_state(DueState.OVERDUE)
    group = page.model.item(0, 0)
    assert group.text() == f"已逾期（{len(overdue)} 项）"
    assert group.rowCount() == len(overdue)
    assert page.model.item(0, 0).child(0, 1).text() == overdue[0].person_name
    assert "已逾期" in page.summary.text()
    kinds = {(t.kind, t.person_id) for t in overdue}
    assert (TaskKind.VISIT, village["severe"]) in kinds
    assert (TaskKind.NEED_ALERT, village["needy"]) in kinds


def test_enter_on_a_visit_task_opens_the_visit_form_with_the_next_people(qtbot, ctx, village, monkeypatch):
    opened = []
    monkeypatch.setattr(windows, "open_visit_form",
                        lambda c, p, pid, **kw: opened.append((pid, kw["kind"], kw["next_people"])))
    page = make_page(qtbot, ctx)
    group = page.model.index(0, 0)
    rows = [page.model.index(r, 0, group) for r in range(page.model.rowCount(group))]
    visit_rows = [i for i in rows if page.task_at(i).kind not in (TaskKind.NEED_ALERT, TaskKind.CERT_EXPIRY)]
    page.tree.setCurrentIndex(visit_rows[0])
    qtbot.keyClick(page.tree, Qt.Key.Key_Return)
    person, kind, following = opened[0]
    first = page.task_at(visit_rows[0])
    assert (person, kind) == (first.person_id, first.visit_kind)
    # "save and next" moves on through the other people of the same group, in its order
    later = []
    for index in visit_rows[1:]:
        pid = page.task_at(index).person_id
        if pid != person and pid not in later:
            later.append(pid)
    assert following == later and len(later) == 2


def test_a_need_alert_opens_the_needs_of_the_file(qtbot, ctx, village, monkeypatch):
    opened = []
    monkeypatch.setattr(windows, "open_person_file",
                        lambda c, p, pid, **kw: opened.append((pid, kw.get("section"))))
    page = make_page(qtbot, ctx)
    alert = next(t for t in page.queue.tasks if t.kind is TaskKind.NEED_ALERT)
    page.open_task(alert)
    assert opened == [(village["needy"], "needs")]


def test_refreshes_when_data_changes(qtbot, ctx, village):
    page = make_page(qtbot, ctx)
    before = len(page.queue.tasks)
    record(ctx, village["severe"], TODAY)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        ctx.events.changed.emit("visit")
    assert len(page.queue.tasks) == before - 1

