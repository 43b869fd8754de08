"""The monthly summary: every figure checked against an independent count made with plain
SQL on a demo county, then the PDF (fonts embedded, numbers on the page) and the Excel file
(the same numbers)."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest

from liaison.bootstrap import Workspace, open_workspace
from liaison.core.demo import build_demo
from liaison.core.enums import AreaLevel, ContactMode, DisabilityGrade, PersonStatus, UserRole
from liaison.core.errors import ScopeError, ValidationError
from liaison.core.services.areas import get_area_by_code
from liaison.core.services.context import Actor
from liaison.core.services.monthly import MonthlySummary, monthly_summary, parse_month
from liaison.reports.excel import write_monthly_xlsx
from liaison.reports.monthly_pdf import write_monthly_pdf
from tests.dbfiles import connect

TODAY = date(2026, 11, 25)
YEAR, MONTH = 2026, 10
START, END = date(2026, 10, 1), date(2026, 10, 31)
PERSONS = 1200
TOWNSHIP = "220202100"


@pytest.fixture(scope="module")
def county(template_db: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("monthly") / "county.db"
    shutil.copyfile(template_db, path)
    ws = open_workspace(f"sqlite:///{path}")
    build_demo(ws.engine, ws.rules, ws.device_id, persons=PERSONS, seed=7, today=TODAY)
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def summary(county: Workspace) -> MonthlySummary:
    with county.uow() as uow:
        town = get_area_by_code(uow, TOWNSHIP)
        return monthly_summary(uow, county.system_actor, year=YEAR, month=MONTH, rules=county.rules,
                               today=TODAY, area_id=town.id)


def sql(ws: Workspace, query: str, *params: object) -> list[tuple]:
    conn = connect(Path(ws.engine.url.database))
    try:
        return conn.execute(query, params).fetchall()
    finally:
        conn.close()


def village_of(ws: Workspace) -> dict[str, str]:
    """area id (hex) → the village (row) name, walking up from groups, with plain SQL."""
    rows = {r[0]: r for r in sql(ws, "SELECT id, name, level, parent_id FROM area")}
    result = {}
    for area_id in rows:
        node = rows[area_id]
        while node and node[2] not in ("village", "township", "county"):
            node = rows.get(node[3])
        if node and node[2] == "village":
            result[area_id] = node[1]
    return result


ON_FILE = ("p.registered_on <= ? AND (p.status = 'active' OR p.status_on > ?)")


def by_village(ws: Workspace, query: str, *params: object) -> Counter[str]:
    """Runs a query returning (area_id, n) and folds it into villages."""
    villages = village_of(ws)
    counts: Counter[str] = Counter()
    for area_id, n in sql(ws, query, *params):
        counts[villages[area_id]] += n
    return counts


def unit_values(summary: MonthlySummary, attr: str) -> Counter[str]:
    return Counter({u.name: getattr(u, attr) for u in summary.units if getattr(u, attr)})


def test_rows_are_the_villages_of_the_township_plus_a_total(county, summary):
    names = [r[0] for r in sql(county, "SELECT a.name FROM area a JOIN area t ON t.id = a.parent_id"
                                       " WHERE t.code = ? ORDER BY a.code", TOWNSHIP)]
    assert [u.name for u in summary.units] == names
    assert summary.unit_level == AreaLevel.VILLAGE.value
    assert (summary.start, summary.end, summary.as_of) == (START, END, END)
    assert summary.total.on_file == sum(u.on_file for u in summary.units)
    assert summary.total.visits == sum(u.visits for u in summary.units)


def test_people_on_file_by_grade(county, summary):
    expected = by_village(county, f"SELECT p.area_id, count(*) FROM person p WHERE {ON_FILE} GROUP BY p.area_id",
                          END.isoformat(), END.isoformat())
    assert unit_values(summary, "on_file") == expected
    for grade in DisabilityGrade:
        rows = by_village(county, f"SELECT p.area_id, count(*) FROM person p WHERE {ON_FILE} AND p.grade = ?"
                                  " GROUP BY p.area_id", END.isoformat(), END.isoformat(), int(grade))
        assert Counter({u.name: u.by_grade[int(grade)] for u in summary.units if u.by_grade[int(grade)]}) == rows


def test_new_and_closed_records(county, summary):
    new = by_village(county, "SELECT area_id, count(*) FROM person WHERE registered_on BETWEEN ? AND ?"
                             " GROUP BY area_id", START.isoformat(), END.isoformat())
    assert unit_values(summary, "new_records") == new
    for status in (PersonStatus.MOVED_OUT, PersonStatus.DECEASED, PersonStatus.CERT_CANCELLED):
        closed = by_village(county, "SELECT area_id, count(*) FROM person WHERE status = ?"
                                    " AND status_on BETWEEN ? AND ? GROUP BY area_id",
                            status.value, START.isoformat(), END.isoformat())
        assert Counter({u.name: u.closed_records[status] for u in summary.units if u.closed_records[status]}) == closed
    assert summary.total.new_records > 0 and summary.total.closed_total > 0


def test_visits_by_contact_mode(county, summary):
    for mode in ContactMode:
        expected = by_village(county, "SELECT p.area_id, count(*) FROM visit v JOIN person p ON p.id = v.person_id"
                                      " WHERE v.visit_date BETWEEN ? AND ? AND v.contact_mode = ? GROUP BY p.area_id",
                              START.isoformat(), END.isoformat(), mode.value)
        assert Counter({u.name: u.visits_by_mode[mode] for u in summary.units if u.visits_by_mode[mode]}) == expected


def test_visit_coverage_follows_the_cadence_of_the_rule_table(county, summary):
    """Recomputed here from raw rows: monthly for 重度 (grade 1–2), living alone or 低保, else
    quarterly; due when the last contact before the month (or registration) plus the interval
    falls in or before the month; covered when contacted in the month."""
    villages = village_of(county)
    people = sql(county, f"SELECT p.id, p.area_id, p.registered_on, p.grade, p.lives_alone, p.dibao FROM person p"
                         f" WHERE {ON_FILE}", END.isoformat(), END.isoformat())
    last = dict(sql(county, "SELECT person_id, max(visit_date) FROM visit WHERE visit_date < ?"
                            " AND contact_mode != 'lost' GROUP BY person_id", START.isoformat()))
    contacted = {r[0] for r in sql(county, "SELECT DISTINCT person_id FROM visit WHERE visit_date BETWEEN ? AND ?"
                                           " AND contact_mode != 'lost'", START.isoformat(), END.isoformat())}
    due, covered = Counter(), Counter()
    for pid, area_id, registered, grade, alone, dibao in people:
        if area_id not in villages:
            continue
        interval = 30 if (grade in (1, 2) or alone or dibao) else 90
        since = date.fromisoformat(last.get(pid) or registered)
        if since + timedelta(days=interval) <= END:
            due[villages[area_id]] += 1
            covered[villages[area_id]] += pid in contacted
    assert unit_values(summary, "due_for_visit") == due
    assert unit_values(summary, "due_and_visited") == +covered
    assert 0.3 < summary.total.coverage < 1


def test_needs_raised_resolved_and_overdue(county, summary):
    raised = by_village(county, "SELECT p.area_id, count(*) FROM need n JOIN person p ON p.id = n.person_id"
                                " WHERE n.raised_on BETWEEN ? AND ? GROUP BY p.area_id", START.isoformat(), END.isoformat())
    resolved = by_village(county, "SELECT p.area_id, count(*) FROM need n JOIN person p ON p.id = n.person_id"
                                  " WHERE n.resolved_on BETWEEN ? AND ? GROUP BY p.area_id",
                          START.isoformat(), END.isoformat())
    overdue = by_village(county, "SELECT p.area_id, count(*) FROM need n JOIN person p ON p.id = n.person_id"
                                 " WHERE n.raised_on <= ? AND (n.resolved_on IS NULL OR n.resolved_on > ?)"
                                 " GROUP BY p.area_id", (END - timedelta(days=30)).isoformat(), END.isoformat())
    assert unit_values(summary, "needs_raised") == raised
    assert unit_values(summary, "needs_resolved") == resolved
    assert unit_values(summary, "needs_overdue") == overdue
    assert summary.total.needs_raised > 0 and summary.total.needs_overdue > 0


LAST_EVENT = ("SELECT e.case_id, e.to_state FROM case_event e WHERE e.case_type = ? AND e.on_date <= ?"
              " AND NOT EXISTS (SELECT 1 FROM case_event l WHERE l.case_id = e.case_id AND l.on_date <= ?"
              " AND (l.on_date > e.on_date OR (l.on_date = e.on_date AND (l.at > e.at"
              " OR (l.at = e.at AND l.id > e.id)))))")
DEVICE = {"applied": "referred", "village_reviewed": "referred", "township_reviewed": "referred",
          "assessed": "accepted", "approved": "in_service", "fitted": "completed", "revisited": "completed"}


def test_cases_by_stage_at_the_end_of_the_month(county, summary):
    villages = village_of(county)
    states = dict(sql(county, LAST_EVENT, "modification", END.isoformat(), END.isoformat()))
    expected: Counter[tuple[str, str]] = Counter()
    for case_id, area_id in sql(county, "SELECT m.id, p.area_id FROM modification_case m JOIN person p"
                                        " ON p.id = m.person_id WHERE m.year = ?", YEAR):
        if case_id in states and area_id in villages:
            expected[(villages[area_id], states[case_id])] += 1
    got = Counter({(u.name, s.value): n for u in summary.units for s, n in u.modification_stages.items() if n})
    assert got == expected and sum(got.values()) > 5

    states = dict(sql(county, LAST_EVENT, "referral", END.isoformat(), END.isoformat()))
    expected = Counter()
    for ref_id, area_id in sql(county, "SELECT r.id, p.area_id FROM rehab_referral r JOIN person p"
                                       " ON p.id = r.person_id WHERE r.referred_on BETWEEN ? AND ?",
                               f"{YEAR}-01-01", f"{YEAR}-12-31"):
        if ref_id in states and area_id in villages:
            expected[(villages[area_id], DEVICE.get(states[ref_id], states[ref_id]))] += 1
    got = Counter({(u.name, s.value): n for u in summary.units for s, n in u.referral_states.items() if n})
    assert got == expected and sum(got.values()) > 5


def test_targets_add_up_from_the_villages(county, summary):
    targets = dict(sql(county, "SELECT a.name, t.target FROM area_target t JOIN area a ON a.id = t.area_id"
                               " WHERE t.year = ?", YEAR))
    assert {u.name: u.modification_target for u in summary.units} == {u.name: targets[u.name] for u in summary.units}
    assert summary.modification_year_target == sum(targets[u.name] for u in summary.units)
    indicator = summary.indicators[-1]
    assert (indicator.numerator, indicator.target_count) == (
        summary.total.modification_stages["closed"], summary.modification_year_target)


def test_overdue_follow_ups(county, summary):
    expected = by_village(county, "SELECT p.area_id, count(*) FROM follow_up f JOIN person p ON p.id = f.person_id"
                                  " WHERE f.due_on < ? AND (f.status = 'open' OR f.done_on > ?) GROUP BY p.area_id",
                          END.isoformat(), END.isoformat())
    assert unit_values(summary, "overdue_follow_ups") == expected
    assert summary.overdue_follow_ups_total == sum(expected.values())
    days = [o.days_overdue for o in summary.overdue_follow_ups]
    assert days == sorted(days, reverse=True) and all(d > 0 for d in days)


def test_insurance_and_school_indicators(county, summary):
    people = sql(county, f"SELECT p.birth_date, p.pension_insured, p.medical_insured, p.school_status FROM person p"
                         f" JOIN area a ON a.id = p.area_id WHERE {ON_FILE} AND a.code LIKE ?",
                 END.isoformat(), END.isoformat(), TOWNSHIP + "%")

    def age(birth: str) -> int:
        b = date.fromisoformat(birth)
        return END.year - b.year - ((END.month, END.day) < (b.month, b.day))

    by_name = {i.name: i for i in summary.indicators}
    medical = by_name["残疾人城乡居民基本医疗保险参保率"]
    assert (medical.numerator, medical.denominator) == (sum(r[2] for r in people), len(people))
    pension = by_name["残疾人城乡居民基本养老保险参保率"]
    adults = [r for r in people if age(r[0]) >= 16]
    assert (pension.numerator, pension.denominator) == (sum(r[1] for r in adults), len(adults))
    school = by_name["残疾儿童少年义务教育入学率"]
    kids = [r for r in people if 6 <= age(r[0]) <= 15]
    enrolled = [r for r in kids if r[3] in ("regular", "inclusive", "special_school", "home_delivered")]
    assert (school.numerator, school.denominator) == (len(enrolled), len(kids))
    assert school.met is (len(enrolled) / len(kids) >= 0.97)
    assert len(summary.indicators) == 9


def test_the_running_month_is_counted_up_to_today(county):
    with county.uow() as uow:
        running = monthly_summary(uow, county.system_actor, year=2026, month=11, rules=county.rules, today=TODAY,
                                  area_id=get_area_by_code(uow, TOWNSHIP).id)
    assert running.as_of == TODAY and running.end == date(2026, 11, 30)
    later = sql(county, "SELECT count(*) FROM visit v JOIN person p ON p.id = v.person_id JOIN area a"
                        " ON a.id = p.area_id WHERE v.visit_date BETWEEN ? AND ? AND a.code LIKE ?",
                "2026-11-01", TODAY.isoformat(), TOWNSHIP + "%")[0][0]
    assert running.total.visits == later


@pytest.mark.parametrize(("text", "expected"), [("2026-11", (2026, 11)), ("2026-1", (2026, 1)),
                                                ("2026年3月", (2026, 3)), (" 2026/12 ", (2026, 12))])
def test_month_parsing(text, expected):
    assert parse_month(text) == expected


@pytest.mark.parametrize("text", ["2026-13", "2026", "十一月", "2026-00", "1999-05"])
def test_bad_months_are_refused_in_chinese(text):
    with pytest.raises(ValidationError, match="应写成 2026-11"):
        parse_month(text)


def test_refusals(county):
    with county.uow() as uow:
        town = get_area_by_code(uow, TOWNSHIP)
        village = get_area_by_code(uow, TOWNSHIP + "001")
        other = get_area_by_code(uow, TOWNSHIP + "002")
        group = next(a for a in sql(county, "SELECT code FROM area WHERE level = 'group'"))
        officer = Actor("v1", "村专职委员", UserRole.VILLAGE_OFFICER, county.device_id,
                        scope_area_ids=frozenset({village.id}))
        with pytest.raises(ValidationError, match="还没有开始"):
            monthly_summary(uow, county.system_actor, year=2026, month=12, rules=county.rules, today=TODAY,
                            area_id=town.id)
        with pytest.raises(ScopeError):
            monthly_summary(uow, officer, year=YEAR, month=MONTH, rules=county.rules, today=TODAY, area_id=other.id)
        with pytest.raises(ValidationError, match="请选择村或乡镇"):
            monthly_summary(uow, county.system_actor, year=YEAR, month=MONTH, rules=county.rules, today=TODAY,
                            area_id=get_area_by_code(uow, group[0]).id)
        own = monthly_summary(uow, officer, year=YEAR, month=MONTH, rules=county.rules, today=TODAY)
    assert [u.name for u in own.units] == [village.name]


# --- the documents ----------------------------------------------------------------------------


def run(*command: str) -> str:
    if shutil.which(command[0]) is None:
        pytest.fail(f"{command[0]} is missing: install poppler-utils (scripts/test.sh does)")
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def embedded_fonts(pdf: Path) -> list[tuple[str, str]]:
    lines = run("pdffonts", str(pdf)).splitlines()[2:]
    return [(line.split()[0], line.split()[-5]) for line in lines]


def test_the_pdf_embeds_its_fonts_and_shows_the_numbers(summary, tmp_path):
    out = tmp_path / "monthly.pdf"
    result = write_monthly_pdf(summary, out, prepared_by="李红", on=TODAY)
    fonts = embedded_fonts(out)
    assert fonts and all(emb == "yes" for _name, emb in fonts), fonts
    assert all("NotoSansSC" in name for name, _emb in fonts)
    text = run("pdftotext", "-layout", str(out), "-")
    assert "桦皮厂镇残疾人工作月报" in text and "填报单位：桦皮厂镇" in text
    compact = text.replace(" ", "")
    assert f"第1页共{result.pages}页" in compact and f"第{result.pages}页共{result.pages}页" in compact
    assert f"{summary.total.on_file:,}" in text and f"{summary.total.visits:,}" in text
    assert "填报人：李红" in text and "审核人" in text and "（盖章）" in text
    for unit in summary.units:
        assert unit.name in text
    assert result.warnings == ()


def test_a_name_the_font_lacks_is_warned_about_not_printed_blank(summary, tmp_path):
    from dataclasses import replace

    first = summary.overdue_follow_ups[0]
    odd = replace(summary, overdue_follow_ups=[replace(first, person_name="张𠮷"), *summary.overdue_follow_ups[1:]])
    out = tmp_path / "odd.pdf"
    result = write_monthly_pdf(odd, out, on=TODAY)
    assert len(result.warnings) == 1 and "张𠮷" in result.warnings[0] and "U+20BB7" in result.warnings[0]
    assert "张□" in run("pdftotext", str(out), "-")


def test_the_spreadsheet_has_the_same_numbers(summary, tmp_path):
    out = tmp_path / "monthly.xlsx"
    write_monthly_xlsx(summary, out)
    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames == ["在册人员", "走访", "需求", "改造与转介", "规划指标", "逾期跟进"]
    rows = [r for r in book["在册人员"].iter_rows(values_only=True) if r and r[0] == "合计"]
    assert rows[0][1] == summary.total.on_file
    visits = [r for r in book["走访"].iter_rows(values_only=True) if r and r[0] in {u.name for u in summary.units}]
    assert {r[0]: (r[1], r[6], r[7]) for r in visits[: len(summary.units)]} == {
        u.name: (u.visits, u.due_for_visit, u.due_and_visited) for u in summary.units}
    indicators = [r for r in book["规划指标"].iter_rows(values_only=True) if r and r[0] in
                  {i.name for i in summary.indicators}]
    assert [(r[1], r[2]) for r in indicators] == [(i.numerator, i.denominator) for i in summary.indicators]
