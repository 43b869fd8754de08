"""The 数据交换 page with real packages: a county hub and a village, each with its own page,
joined through the page, exporting, importing with the fingerprint checked, replies that mark
packages acknowledged, conflicts and duplicate people decided side by side, refusals that
change nothing."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialog, QFileDialog, QPushButton, QWidget

from liaison.core import secrets
from liaison.core.enums import UserRole
from liaison.core.services.areas import get_area_by_code
from liaison.core.services.context import Actor
from liaison.gui.app import apply_font_scale
from liaison.gui.context import GuiContext
from liaison.gui.exchange_dialogs import PassphraseDialog
from liaison.gui.main_window import MainWindow
from liaison.gui.pages import exchange as exchange_page
from liaison.gui.pages.exchange import ExchangePage
from liaison.gui.settings import GuiSettings
from liaison.sync import exchange
from liaison.sync.keys import load_identity
from tests.gui.conftest import TODAY
from tests.sync.conftest import OTHER_VILLAGE, VILLAGE, Site, make_site  # noqa: F401 - a fixture
from tests.sync.test_exchange import (
    add_person,
    add_visit,
    counts,
    fingerprint,
    import_at,
    phone_of,
    set_phone,
)

PASSPHRASE = "correct horse battery"


@pytest.fixture(autouse=True)
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without a system keyring; the passphrase comes from the environment."""
    monkeypatch.setattr(secrets, "keyring_usable", lambda: False)
    monkeypatch.setenv(secrets.PASSPHRASE_ENV, PASSPHRASE)


class Files:
    """Answers for the file dialogs, in the order they are asked."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.folders: list[Path] = []
        self.opened: list[list[Path]] = []
        self.saved: list[Path] = []
        self.asked: list[str] = []
        monkeypatch.setattr(QFileDialog, "getExistingDirectory", self._folder)
        monkeypatch.setattr(QFileDialog, "getOpenFileName", self._open_one)
        monkeypatch.setattr(QFileDialog, "getOpenFileNames", self._open_many)
        monkeypatch.setattr(QFileDialog, "getSaveFileName", self._save)

    def _folder(self, parent: Any, title: str, start: str = "", *args: Any) -> str:
        self.asked.append(title)
        return str(self.folders.pop(0)) if self.folders else ""

    def _open_one(self, parent: Any, title: str, start: str = "", filters: str = "", *args: Any) -> tuple[str, str]:
        self.asked.append(title)
        return (str(self.opened.pop(0)[0]), filters) if self.opened else ("", "")

    def _open_many(self, parent: Any, title: str, start: str = "", filters: str = "",
                   *args: Any) -> tuple[list[str], str]:
        self.asked.append(title)
        return ([str(p) for p in self.opened.pop(0)], filters) if self.opened else ([], "")

    def _save(self, parent: Any, title: str, start: str = "", filters: str = "", *args: Any) -> tuple[str, str]:
        self.asked.append(title)
        return (str(self.saved.pop(0)), filters) if self.saved else ("", "")


@pytest.fixture
def files(monkeypatch: pytest.MonkeyPatch) -> Files:
    return Files(monkeypatch)


def gui(site: Site, tmp_path: Path, name: str, actor: Actor | None = None) -> GuiContext:
    return GuiContext(site.ws, actor or site.ws.system_actor, GuiSettings(tmp_path / f"{name}.ini"),
                      clock=lambda: TODAY, auto_backups=False)


def without_own_store(site: Site) -> Site:
    """The same workspace as one whose database key is in no store of its own (a server
    database): the sync keys' store is opened, and unlocked, when the page first needs it."""
    ws = dataclasses.replace(site.ws, secrets=None)
    return Site(ws, exchange.secret_store(ws), site.path)


def open_page(qtbot: Any, ctx: GuiContext) -> ExchangePage:
    page = ExchangePage(ctx)
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.show()
    return page


def run(qtbot: Any, page: ExchangePage, button: QWidget) -> None:
    """Press a button that starts background work and wait until it has ended."""
    with qtbot.waitSignal(page.finished, timeout=30_000):
        button.click()  # type: ignore[attr-defined]


def table(model: Any) -> list[list[str]]:
    return [[model.index(r, c).data() or "" for c in range(model.columnCount())] for r in range(model.rowCount())]


def choose_area(page: ExchangePage, site: Site, code: str = VILLAGE) -> None:
    with site.ws.uow() as uow:
        page.area_choice.set_value(get_area_by_code(uow, code).id)


def events(ctx: GuiContext) -> list[str]:
    seen: list[str] = []
    ctx.events.changed.connect(seen.append)
    return seen


@pytest.fixture
def sites(make_site, tmp_path):  # type: ignore[no-untyped-def]  # noqa: F811
    """A county and a village workspace (same area codes, own device ids), neither joined."""
    return make_site("county"), make_site("village")


@pytest.fixture
def synced(make_site, tmp_path):  # type: ignore[no-untyped-def]  # noqa: F811
    """A county hub and a village joined to it (without the pages)."""
    county = make_site("county")
    exchange.hub_init(county.ws, county.store, tmp_path / "setup.json", county_name="昌邑区")
    village = make_site("village")
    exchange.enrol(village.ws, village.store, tmp_path / "setup.json", area_code=VILLAGE)
    return county, village


@pytest.fixture
def joined(qtbot, sites, files, recorder, tmp_path):  # type: ignore[no-untyped-def]
    """The county made the hub and the village joined it, both through their pages."""
    county, village = sites
    county_ctx, village_ctx = gui(county, tmp_path, "county"), gui(village, tmp_path, "village")
    county_page, village_page = open_page(qtbot, county_ctx), open_page(qtbot, village_ctx)
    setup = tmp_path / "SETUP.json"
    assert county_page.county_name.text() == "昌邑区"  # the workspace's only county
    files.saved.append(setup)
    recorder.confirm_answers.append(True)
    county_page.hub_button.click()
    assert setup.exists()
    choose_area(village_page, village)
    files.opened.append([setup])
    village_page.join_button.click()
    return county, village, county_page, village_page


def test_not_joined_offers_joining_and_for_county_staff_the_hub(qtbot, sites, recorder, tmp_path):
    county, village = sites
    page = open_page(qtbot, gui(county, tmp_path, "county"))
    assert "未加入数据交换" in page.status_label.text()
    assert page.join_panel.isVisibleTo(page) and not page.tabs.isVisibleTo(page)
    assert page.join_button.isVisibleTo(page)
    assert page.hub_box.isVisibleTo(page)
    for button in (page.export_button, page.import_button, page.import_replies_button, page.reply_button):
        assert not button.isVisibleTo(page)
    assert [page.area_choice.itemText(i) for i in range(page.area_choice.count())] == [
        "（请选择）", "桦皮厂镇", "桦皮厂镇 两家子村", "桦皮厂镇 前进村"]
    page.join_button.click()  # nothing chosen: asked to choose first
    assert recorder.errors == ["请先选择本机负责的村或乡镇"]
    with village.ws.uow() as uow:
        village_id = get_area_by_code(uow, VILLAGE).id
    officer = Actor("li", "李秀梅", UserRole.VILLAGE_OFFICER, village.ws.device_id,
                    scope_area_ids=frozenset({village_id}))
    officer_page = open_page(qtbot, gui(village, tmp_path, "officer", officer))
    assert not officer_page.hub_box.isVisibleTo(officer_page)  # only county staff set up the hub
    assert officer_page.area_choice.value() == village_id


def test_joining_shows_both_fingerprints_and_the_device_actions(qtbot, joined, recorder):
    county, village, county_page, village_page = joined
    hub_fp = load_identity(county.store, "hub", county.ws.device_id, create=False).fingerprint
    device_fp = fingerprint(village)
    assert "县级数据中心" in county_page.status_label.text()
    assert hub_fp in county_page.fingerprint_label.text()
    assert county_page.import_button.isVisibleTo(county_page) and county_page.dry_run.isVisibleTo(county_page)
    assert county_page.reply_button.isVisibleTo(county_page)
    assert not county_page.export_button.isVisibleTo(county_page)
    status = village_page.status_label.text()
    assert "村（乡镇）设备" in status and "两家子村（220202100001）" in status and "昌邑区" in status
    assert device_fp in village_page.fingerprint_label.text() and hub_fp in village_page.fingerprint_label.text()
    assert village_page.export_button.isVisibleTo(village_page) and not village_page.join_panel.isVisibleTo(village_page)
    assert village_page.import_replies_button.isVisibleTo(village_page)
    assert not village_page.import_button.isVisibleTo(village_page)
    assert not village_page.tabs.isTabVisible(village_page.tabs.indexOf(village_page.devices_tab))
    # what to read to the county over the phone
    assert any(device_fp in text and "电话" in text for text in recorder.infos)
    assert "待处理：冲突 0 个，疑似重复人员 0 个" in status


def test_round_trip_village_county_village(qtbot, joined, files, recorder, tmp_path):
    county, village, county_page, village_page = joined
    seen = events(county_page.ctx)
    pid = add_person(village, name="王秀兰")
    add_visit(village, pid)
    stick = tmp_path / "stick"
    stick.mkdir()
    files.folders.append(stick)
    run(qtbot, village_page, village_page.export_button)
    [package] = list(stick.glob("*.lpkg"))
    assert str(package) in village_page.result_label.text() and "共 3 条记录" in village_page.result_label.text()
    [row] = table(village_page.packages_model)
    assert row[:4] == ["送出", "数据", "1", "⚠ 已写出，县里尚未确认"] and row[4] == package.name
    assert "第 1 号数据包县里尚未确认收到" in village_page.pending_label.text()

    # the county: an unknown device, registered once the fingerprint matches what the village read out
    files.opened.append([package])
    recorder.confirm_answers.append(True)
    run(qtbot, county_page, county_page.import_button)
    question = recorder.asked[-1]
    assert fingerprint(village) in question and "桦皮厂镇 两家子村（220202100001）" in question
    [result] = table(county_page.report_model)
    assert result[:4] == [package.name, "已导入", "1", "新增 3"]
    assert "新增 3，更新 0，未变 0，冲突 0，疑似重复 0，暂存 0，错误 0" in county_page.report_detail.text()
    assert county_page.tabs.currentWidget() is county_page.report_tab
    assert table(county_page.devices_model)[0][:4] == ["两家子村", VILLAGE, fingerprint(village), "1"]
    assert seen == ["person"]
    with county.ws.uow() as uow:
        assert uow.session.get(exchange_page.Person, pid).name == "王秀兰"

    # the printable import report
    saved = tmp_path / "导入报告"
    files.saved.append(saved)
    assert county_page.save_report_button.isEnabled()
    county_page.save_report_button.click()
    report_pdf = saved.with_suffix(".pdf")
    assert report_pdf.read_bytes().startswith(b"%PDF-")
    assert any("导入报告已保存" in text for text in recorder.infos + [county_page.result_label.text()])

    # importing it again changes nothing and says so
    before = counts(county)
    files.opened.append([package])
    run(qtbot, county_page, county_page.import_button)
    assert table(county_page.report_model)[0][1] == "已导入过（未改动）"
    assert counts(county) == before

    # the reply: only after it is imported does the village count the package as delivered
    back = tmp_path / "back"
    back.mkdir()
    files.folders.append(back)
    run(qtbot, county_page, county_page.reply_button)
    [reply] = list(back.glob("*.lpkg"))
    assert "两家子村" in county_page.result_label.text() and "确认到第 1 号" in county_page.result_label.text()
    assert table(county_page.packages_model)[0][3] == "⚠ 已写出，对方尚未确认"
    files.opened.append([reply])
    run(qtbot, village_page, village_page.import_replies_button)
    assert table(village_page.report_model)[0][1] == "已导入"
    assert "县里已确认收到第 1 号数据包" in village_page.report_detail.text()
    statuses = {(r[0], r[1]): r[3] for r in table(village_page.packages_model)}
    assert statuses == {("送出", "数据"): "县里已确认", ("收到", "回执"): "已导入"}
    assert "都已确认" in village_page.pending_label.text()
    assert recorder.errors == []


def test_a_fingerprint_not_confirmed_registers_nothing(qtbot, joined, files, recorder, tmp_path):
    county, village, county_page, _village_page = joined
    add_person(village)
    package = exchange.export_changes(village.ws, village.store, tmp_path).path
    before = counts(county)
    files.opened.append([package])
    recorder.confirm_answers.append(False)
    run(qtbot, county_page, county_page.import_button)
    [row] = table(county_page.report_model)
    assert row[1] == "已拒绝" and "指纹未经核对" in row[4]
    assert counts(county) == before and table(county_page.devices_model) == []


def test_a_dry_run_reports_and_changes_nothing(qtbot, joined, files, recorder, tmp_path):
    county, village, county_page, _village_page = joined
    add_person(village)
    package = exchange.export_changes(village.ws, village.store, tmp_path).path
    before = counts(county)
    county_page.dry_run.setChecked(True)
    files.opened.append([package])
    recorder.confirm_answers.append(True)
    run(qtbot, county_page, county_page.import_button)
    [row] = table(county_page.report_model)
    assert row[1] == "试导入" and row[3] == "新增 1" and "未作任何改动" in row[4]
    assert counts(county) == before


def test_several_packages_at_once_each_village_in_order(qtbot, joined, make_site, files, recorder,  # noqa: F811
                                                        tmp_path):
    _county, village, county_page, _village_page = joined
    other = make_site("other")
    exchange.enrol(other.ws, other.store, tmp_path / "SETUP.json", area_code=OTHER_VILLAGE)
    add_person(village, name="王秀兰")
    first = exchange.export_changes(village.ws, village.store, tmp_path).path
    add_person(village, name="李桂芝")
    second = exchange.export_changes(village.ws, village.store, tmp_path).path
    add_person(other, code=OTHER_VILLAGE, name="张建国")
    theirs = exchange.export_changes(other.ws, other.store, tmp_path).path
    # a township clerk brings them in any order: each device's are imported by sequence number
    files.opened.append([second, theirs, first])
    recorder.confirm_answers.extend([True, True])
    run(qtbot, county_page, county_page.import_button)
    assert len(recorder.asked) == 1 + 2  # making the hub, then one question per unknown device
    rows = table(county_page.report_model)
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (first.name, "已导入", "1"), (second.name, "已导入", "2"), (theirs.name, "已导入", "1")]
    assert rows[1][3] == "新增 1，未变 1"  # the first person came again, unacknowledged
    assert "导入了 3 个数据包：已导入 3 个" in county_page.result_label.text()
    assert len(table(county_page.devices_model)) == 2


def test_a_missing_package_is_shown_as_a_warning(qtbot, joined, files, recorder, tmp_path):
    _county, village, county_page, _village_page = joined
    add_person(village)
    exchange.export_changes(village.ws, village.store, tmp_path)  # lost on the way
    (tmp_path / "b").mkdir()
    second = exchange.export_changes(village.ws, village.store, tmp_path / "b").path
    files.opened.append([second])
    recorder.confirm_answers.append(True)
    run(qtbot, county_page, county_page.import_button)
    assert "⚠ 注意：缺少第 1 号数据包（可能丢失或尚未送来）" in county_page.report_detail.text()
    assert "缺号" in county_page.result_label.text()
    assert county_page.report_model.data(county_page.report_model.index(0, 0),
                                         exchange_page.Qt.ItemDataRole.ForegroundRole) is not None


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_a_damaged_package_is_refused_in_chinese_and_changes_nothing(qtbot, joined, files, recorder, tmp_path,
                                                                     damage):
    county, village, county_page, _village_page = joined
    add_person(village)
    import_at(county, exchange.export_changes(village.ws, village.store, tmp_path).path,
              accept_device=fingerprint(village))
    add_person(village, name="李桂芝")
    (tmp_path / "b").mkdir()
    package = exchange.export_changes(village.ws, village.store, tmp_path / "b").path
    data = bytearray(package.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x01
    else:
        data = data[: len(data) // 2]
    package.write_bytes(bytes(data))
    before = counts(county)
    files.opened.append([package])
    run(qtbot, county_page, county_page.import_button)
    [row] = table(county_page.report_model)
    assert row[1] == "已拒绝" and package.name in row[4] and ("损坏" in row[4] or "不完整" in row[4]), row
    assert counts(county) == before
    assert recorder.asked == [recorder.asked[0]]  # nothing asked beyond making the hub


def test_a_conflict_is_shown_side_by_side_and_taking_theirs_resolves_it(qtbot, joined, files, recorder, tmp_path):
    county, village, county_page, _village_page = joined
    pid = add_person(village, name="王秀兰", phone="13900000001")
    import_at(county, exchange.export_changes(village.ws, village.store, tmp_path).path,
              accept_device=fingerprint(village))
    (tmp_path / "r").mkdir()
    import_at(village, exchange.write_replies(county.ws, county.store, tmp_path / "r")[0].path)
    set_phone(county, pid, "13900000002")
    set_phone(village, pid, "13900000003")
    (tmp_path / "b").mkdir()
    files.opened.append([exchange.export_changes(village.ws, village.store, tmp_path / "b").path])
    run(qtbot, county_page, county_page.import_button)
    assert table(county_page.report_model)[0][3] == "冲突 1"
    assert table(county_page.records_model) == [["人员档案", "王秀兰", "冲突", "双方都改了：联系电话"]]
    assert "冲突 1 个" in county_page.status_label.text()
    page = county_page
    assert page.tabs.tabText(page.tabs.indexOf(page.review_tab)) == "冲突与重复（1）"
    page.tabs.setCurrentWidget(page.review_tab)
    assert page.review_list.item(0).text() == "冲突：王秀兰 · 联系电话"
    assert page.review_list.currentRow() == 0 and page.review_stack.currentIndex() == 1
    shown = {k: label.text() for k, label in page.conflict_values.items()}
    assert shown == {"base": "13900000001", "local": "13900000002", "remote": "13900000003"}
    assert "两家子村" in page.conflict_source.text()
    seen = events(page.ctx)
    page.take_remote_button.click()
    assert phone_of(county, pid) == "13900000003"
    assert seen == ["person"]
    assert page.review_list.count() == 0 and page.review_stack.currentIndex() == 0
    assert "采用对方的值“13900000003”" in page.result_label.text()
    assert page.tabs.tabText(page.tabs.indexOf(page.review_tab)) == "冲突与重复"


def test_keeping_this_sides_value(qtbot, synced, tmp_path):
    county, village = synced
    pid = add_person(village, phone="13900000001")
    import_at(county, exchange.export_changes(village.ws, village.store, tmp_path).path,
              accept_device=fingerprint(village))
    (tmp_path / "r").mkdir()
    import_at(village, exchange.write_replies(county.ws, county.store, tmp_path / "r")[0].path)
    set_phone(county, pid, "13900000002")
    set_phone(village, pid, "13900000003")
    (tmp_path / "b").mkdir()
    import_at(county, exchange.export_changes(village.ws, village.store, tmp_path / "b").path)
    page = open_page(qtbot, gui(county, tmp_path, "county"))
    page.keep_local_button.click()
    assert phone_of(county, pid) == "13900000002" and page.review_list.count() == 0


def test_a_duplicate_person_shown_side_by_side_and_merged(qtbot, synced, tmp_path):
    county, village = synced
    existing = add_person(county, code=OTHER_VILLAGE, name="赵大", sequence=77)
    incoming = add_person(village, name="赵大", sequence=77)
    add_visit(village, incoming)
    import_at(county, exchange.export_changes(village.ws, village.store, tmp_path).path,
              accept_device=fingerprint(village))
    ctx = gui(county, tmp_path, "county")
    page = open_page(qtbot, ctx)
    assert "疑似重复人员 1 个" in page.status_label.text()
    [text] = [page.review_list.item(i).text() for i in range(page.review_list.count())]
    assert text == "疑似重复：赵大" and page.review_stack.currentIndex() == 2
    assert "220202********" in page.review_list.item(0).toolTip()
    cells = {name: (a.text(), b.text()) for name, (a, b) in page.duplicate_cells.items()}
    assert cells["name"] == ("赵大", "赵大") and cells["born"] == ("男，1962-03-08", "男，1962-03-08")
    assert cells["disability"] == ("肢体残疾 三级", "肢体残疾 三级")
    assert cells["area"] == ("桦皮厂镇 前进村", "桦皮厂镇 两家子村")
    assert "220202********" in page.duplicate_title.text()
    assert page.duplicate_cells["area"][1].styleSheet() != "" and page.duplicate_cells["name"][1].styleSheet() == ""
    assert "随附的记录 2 条" in page.duplicate_held.text() and "走访记录 1" in page.duplicate_held.text()
    assert "两家子村" in page.duplicate_source.text()
    page.duplicate_note.setText("已迁入前进村")
    seen = events(ctx)
    page.merge_button.click()
    assert counts(county)["visit"] == 1
    with county.ws.uow() as uow:
        visit = uow.session.scalars(exchange_page.select(exchange_page.MODELS["visit"])).one()
        assert visit.person_id == existing
    assert seen == ["person"] and page.review_list.count() == 0
    assert "2 条记录已并入赵大的档案" in page.result_label.text()


def test_a_duplicate_found_to_be_a_mistake_is_not_imported(qtbot, synced, tmp_path, recorder):
    county, village = synced
    add_person(county, code=OTHER_VILLAGE, name="赵大", sequence=78)
    incoming = add_person(village, name="赵小", sequence=78)
    add_visit(village, incoming)
    import_at(county, exchange.export_changes(village.ws, village.store, tmp_path).path,
              accept_device=fingerprint(village))
    page = open_page(qtbot, gui(county, tmp_path, "county"))
    assert page.duplicate_cells["name"][1].text() == "赵小"
    recorder.confirm_answers.append(False)
    page.discard_button.click()
    assert page.review_list.count() == 1  # the question was answered no
    recorder.confirm_answers.append(True)
    page.discard_button.click()
    assert page.review_list.count() == 0 and counts(county)["visit"] == 0
    assert "录入错误" in page.result_label.text()


def test_export_can_be_cancelled(qtbot, joined, files, monkeypatch, tmp_path):
    _county, _village, _county_page, village_page = joined
    started = threading.Event()

    def slow_export(ws, store, out, *, cancel, progress):  # type: ignore[no-untyped-def]
        progress("已写入 5000 条记录")
        started.set()
        while not cancel.cancelled:
            threading.Event().wait(0.01)
        cancel.check()

    monkeypatch.setattr(exchange_page, "export_changes", slow_export)
    files.folders.append(tmp_path)
    with qtbot.waitSignal(village_page.finished, timeout=10_000):
        village_page.export_button.click()
        assert village_page.progress_box.isVisibleTo(village_page)
        assert not village_page.export_button.isEnabled()
        qtbot.waitUntil(lambda: village_page.progress_label.text() == "已写入 5000 条记录", timeout=5000)
        village_page.cancel_button.click()
    assert not village_page.progress_box.isVisibleTo(village_page)
    assert village_page.result_label.text() == "已取消，未作任何改动。"
    assert village_page.export_button.isEnabled()


def test_a_setup_file_that_is_not_one_is_refused_in_chinese(qtbot, sites, files, recorder, tmp_path):
    _county, village = sites
    page = open_page(qtbot, gui(village, tmp_path, "village"))
    wrong = tmp_path / "SETUP.json"
    wrong.write_text("{}", "utf-8")
    choose_area(page, village)
    files.opened.append([wrong])
    page.join_button.click()
    assert recorder.errors == ["SETUP.json 不是县级数据中心的配置文件"]
    assert "未加入数据交换" in page.status_label.text()


def test_an_encrypted_workspace_asks_nothing_more(qtbot, sites, files, recorder, monkeypatch, tmp_path):
    """Its key file was unlocked when the workspace was opened; the sync keys go there too."""
    county, village = sites
    exchange.hub_init(county.ws, county.store, tmp_path / "SETUP.json", county_name="昌邑区")
    monkeypatch.delenv(secrets.PASSPHRASE_ENV)
    monkeypatch.setattr(PassphraseDialog, "ask", classmethod(lambda cls, parent, new: pytest.fail("asked")))
    page = open_page(qtbot, gui(village, tmp_path, "village"))
    choose_area(page, village)
    files.opened.append([tmp_path / "SETUP.json"])
    page.join_button.click()
    assert "村（乡镇）设备" in page.status_label.text() and recorder.errors == []
    assert page.store() is village.ws.secrets


def test_without_a_keyring_the_passphrase_is_asked_on_the_gui_thread(qtbot, sites, files, recorder, monkeypatch,
                                                                     tmp_path):
    county, village = sites
    exchange.hub_init(county.ws, county.store, tmp_path / "SETUP.json", county_name="昌邑区")
    village = without_own_store(village)
    village.ws.files.root.with_name(village.ws.files.root.name.removesuffix("-files") + "-keys.json").unlink()
    monkeypatch.delenv(secrets.PASSPHRASE_ENV)
    asked: list[tuple[bool, bool]] = []
    answers: list[str | None] = [PASSPHRASE, None, PASSPHRASE]

    def ask(cls, parent, new):  # type: ignore[no-untyped-def]
        asked.append((new, threading.current_thread() is threading.main_thread()))
        return answers.pop(0)

    monkeypatch.setattr(PassphraseDialog, "ask", classmethod(ask))
    page = open_page(qtbot, gui(village, tmp_path, "village"))
    choose_area(page, village)
    files.opened.append([tmp_path / "SETUP.json"])
    page.join_button.click()
    assert asked == [(True, True)]  # a new key file: set a passphrase
    assert "村（乡镇）设备" in page.status_label.text()
    # a new window asks nothing on opening: the fingerprint waits behind a button
    again = open_page(qtbot, gui(village, tmp_path, "village2"))
    assert again.fingerprint_button.isVisibleTo(again)
    assert "输入口令后显示" in again.fingerprint_label.text() and len(asked) == 1
    again.fingerprint_button.click()  # cancelled: nothing happens
    assert asked[-1] == (False, True) and recorder.errors == []
    again.fingerprint_button.click()
    assert not again.fingerprint_button.isVisibleTo(again)
    # unlocked once: the export in the background needs no question
    files.folders.append(tmp_path)
    run(qtbot, again, again.export_button)
    assert len(asked) == 3 and "第 1 号" in again.result_label.text()
    monkeypatch.setenv(secrets.PASSPHRASE_ENV, PASSPHRASE)
    assert fingerprint(village) in again.fingerprint_label.text()


def test_the_passphrase_dialog_checks_what_was_typed(qtbot):
    dialog = PassphraseDialog(new=True)
    qtbot.addWidget(dialog)
    dialog.first.setText("short")
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted and "至少 8 个字符" in dialog.error.text()
    dialog.first.setText("long enough")
    dialog.second.setText("long enougH")  # type: ignore[union-attr]
    dialog.accept()
    assert "不一致" in dialog.error.text()
    dialog.second.setText("long enough")  # type: ignore[union-attr]
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.passphrase() == "long enough"
    opening = PassphraseDialog(new=False)
    qtbot.addWidget(opening)
    assert opening.second is None
    opening.first.setText("x")
    opening.accept()
    assert opening.result() == QDialog.DialogCode.Accepted


def test_buttons_have_keyboard_access(qtbot, joined):
    _county, _village, county_page, village_page = joined
    for page in (county_page, village_page):
        for button in page.findChildren(QPushButton):
            assert "&" in button.text(), button.text()


def test_in_the_main_window_at_double_font_size_it_fits_a_small_screen(qtbot, joined, qapp):
    _county, _village, county_page, _village_page = joined
    apply_font_scale(qapp, 200)
    try:
        window = MainWindow(county_page.ctx)
        qtbot.addWidget(window)
        window.resize(1366, 740)
        window.show()
        page = window.show_page("exchange")
        assert isinstance(page, ExchangePage)
        qapp.processEvents()
        assert window.height() <= 768 and window.width() <= 1366
        # the page scrolls up and down as a whole, never sideways
        content = page.scroll_area.widget()
        assert content.minimumSizeHint().width() <= page.scroll_area.viewport().width()
        assert page.tabs.height() >= page.fontMetrics().lineSpacing() * 20
        for button in page.findChildren(QPushButton):
            if button.isVisibleTo(page):
                assert button.width() >= button.sizeHint().width(), button.text()
    finally:
        apply_font_scale(qapp, 100)
    window.close()


def test_a_wrong_passphrase_is_said_in_chinese_and_nothing_starts(qtbot, joined, files, recorder, monkeypatch,
                                                                  tmp_path):
    _county, village, _county_page, _village_page = joined
    village = without_own_store(village)
    monkeypatch.setenv(secrets.PASSPHRASE_ENV, "not the passphrase")
    page = open_page(qtbot, gui(village, tmp_path, "again"))
    files.folders.append(tmp_path)
    page.export_button.click()
    assert recorder.errors == ["口令不正确，无法打开密钥文件"]
    assert not page.running and list(tmp_path.glob("*.lpkg")) == []


def test_keys_that_are_gone_are_said_in_chinese(qtbot, joined, files, recorder, tmp_path):
    _county, village, _county_page, _village_page = joined
    ws = village.ws
    ws.files.root.with_name(ws.files.root.name.removesuffix("-files") + "-keys.json").unlink()
    page = open_page(qtbot, gui(village, tmp_path, "again"))
    files.folders.append(tmp_path)
    run(qtbot, page, page.export_button)  # a SyncError in the background job
    assert len(recorder.errors) == 1 and "找不到本设备的密钥" in recorder.errors[0]
    assert page.result_label.text() == recorder.errors[0]
    assert list(tmp_path.glob("*.lpkg")) == []


def test_mnemonics_do_not_clash_with_the_menu_bar(qtbot, joined):
    _county, _village, county_page, village_page = joined
    window = MainWindow(county_page.ctx)
    qtbot.addWidget(window)
    menus = {a.text().split("(&")[1][0] for a in window.menuBar().actions()}
    for page in (county_page, village_page):
        keys = [b.text().split("(&")[1][0] for b in page.findChildren(QPushButton) if b.isVisibleTo(page)]
        assert not menus & set(keys), keys
        assert len(keys) == len(set(keys)), keys


def set_id_number(site: Site, person_id: Any, number: str) -> None:
    from liaison.core.services import persons

    with site.ws.uow() as uow:
        data = persons.PersonInput.from_person(persons.load_person(uow, site.ws.system_actor, person_id))
        data.id_number, data.cert_number = number, None  # the 证号 follows the number
        persons.update_person(uow, site.ws.system_actor, person_id, data, expected_version=None, today=TODAY)
        uow.commit()


def test_a_conflict_over_the_id_number_shows_both_masked_and_whether_they_differ(qtbot, synced, tmp_path):
    from datetime import date

    from liaison.core.rules.idnumber import compose_id_number, mask_id_number

    county, village = synced
    pid = add_person(village, name="钱七", birth=date(1962, 3, 8), sequence=11)
    import_at(county, exchange.export_changes(village.ws, village.store, tmp_path).path,
              accept_device=fingerprint(village))
    (tmp_path / "r").mkdir()
    import_at(village, exchange.write_replies(county.ws, county.store, tmp_path / "r")[0].path)
    at_county, at_village = (compose_id_number("220202", date(1962, 3, 8), seq) for seq in (13, 15))
    set_id_number(county, pid, at_county)
    set_id_number(village, pid, at_village)
    (tmp_path / "b").mkdir()
    import_at(county, exchange.export_changes(village.ws, village.store, tmp_path / "b").path)
    page = open_page(qtbot, gui(county, tmp_path, "county"))
    items = [page.review_list.item(i).text() for i in range(page.review_list.count())]
    row = next(i for i, text in enumerate(items) if text.endswith("身份证号"))
    page.review_list.setCurrentRow(row)
    shown = {k: label.text() for k, label in page.conflict_values.items()}
    assert shown["local"] == mask_id_number(at_county) + "（两个号码不同）"
    assert shown["remote"] == mask_id_number(at_village) + "（两个号码不同）"
    everything = " ".join([*shown.values(), *items])
    assert at_county not in everything and at_village not in everything
