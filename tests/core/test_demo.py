"""The demo generator: deterministic for a seed and a day, and every row it bulk-inserts obeys
the rules the services enforce (it bypasses them, so the tests re-check its output)."""

from __future__ import annotations

import random
import shutil
import uuid
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from liaison.bootstrap import Workspace, open_workspace
from liaison.core import db
from liaison.core.demo import (
    CATEGORY_WEIGHTS,
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    PROGRAM_DEMO_PERSONS,
    PROGRAM_DEMO_SEED,
    DemoError,
    build_demo,
)
from liaison.core.enums import (
    AreaLevel,
    ContactMode,
    DeviceStep,
    ModificationStage,
    NeedStatus,
    ReferralServiceKind,
    ReferralState,
    UserRole,
    VisitKind,
    label,
)
from liaison.core.models import Person, User
from liaison.core.rules.certificate import check_certificate_number
from liaison.core.rules.idnumber import parse_id_number
from liaison.core.rules.workflows import DEVICE_STATE
from liaison.core.services import accounts, areas
from liaison.core.services.modifications import NEED_STATUS_IN_STAGE
from liaison.core.services.persons import PersonInput, search_terms, validate_person
from liaison.core.services.tasks import TaskKind, work_queue

TODAY = date(2026, 11, 25)
PERSONS = 400
SEED = 7

# ordered dumps of the columns that make up the county: equal dumps mean the same county
DUMPS = {
    "person": "SELECT id, name, name_sort, id_number, sex, birth_date, phone, area_id, cert_number,"
    " cert_issued_on, cert_valid_until, category, component_categories, grade, status, status_on,"
    " registered_on, search_no FROM person ORDER BY search_no",
    "visit": "SELECT id, person_id, visit_date, kind, contact_mode, lost_reason, visitor_name, findings,"
    " household_income_fen FROM visit ORDER BY id",
    "need": "SELECT id, person_id, kind, detail, raised_on, raised_visit_id, status, status_on,"
    " resolved_on, resolution, resolved_visit_id FROM need ORDER BY id",
}


def new_workspace(template_db: Path, path: Path) -> Workspace:
    shutil.copyfile(template_db, path)
    return open_workspace(f"sqlite:///{path}")


def demo_workspace(template_db: Path, path: Path, *, seed: int = SEED) -> Workspace:
    ws = new_workspace(template_db, path)
    build_demo(ws.engine, ws.rules, ws.device_id, persons=PERSONS, seed=seed, today=TODAY)
    return ws


def dump(ws: Workspace) -> dict[str, list[tuple]]:
    with ws.engine.connect() as conn:
        return {table: [tuple(row) for row in conn.execute(text(sql))] for table, sql in DUMPS.items()}


def scalar_rows(ws: Workspace, sql: str) -> list:
    with ws.engine.connect() as conn:
        return list(conn.execute(text(sql)).scalars())


@pytest.fixture(scope="module")
def demo(template_db: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One demo county shared by the read-only tests of this module."""
    ws = demo_workspace(template_db, tmp_path_factory.mktemp("demo") / "demo.db")
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def demo_people(demo: Workspace) -> list[Person]:
    with demo.uow() as uow:
        people = list(uow.session.scalars(select(Person).order_by(Person.search_no)))
        uow.session.expunge_all()
    return people


# --- determinism ----------------------------------------------------------------------------


def test_same_seed_and_day_give_the_same_county(demo, template_db, tmp_path):
    again = demo_workspace(template_db, tmp_path / "again.db")
    try:
        first, second = dump(demo), dump(again)
    finally:
        again.close()
    assert len(first["person"]) == PERSONS
    assert first["visit"] and first["need"]
    for table in DUMPS:
        assert first[table] == second[table], table


def test_another_seed_gives_another_county(demo, template_db, tmp_path):
    other = demo_workspace(template_db, tmp_path / "other.db", seed=SEED + 1)
    try:
        first, second = dump(demo), dump(other)
    finally:
        other.close()
    assert len(second["person"]) == PERSONS
    names = [row[1] for row in first["person"]]
    assert names != [row[1] for row in second["person"]]
    assert {row[3] for row in first["person"]} != {row[3] for row in second["person"]}
    assert first["visit"] != second["visit"]


# --- every row obeys the rules --------------------------------------------------------------


def test_every_id_number_and_certificate_number_is_valid(demo_people):
    assert len(demo_people) == PERSONS
    assert len({p.id_number for p in demo_people}) == PERSONS
    certified = 0
    for p in demo_people:
        info = parse_id_number(p.id_number, today=TODAY)
        assert info.number == p.id_number
        assert (info.sex, info.birth_date) == (p.sex, p.birth_date)
        if p.cert_number is not None:
            certified += 1
            assert check_certificate_number(
                p.cert_number, id_number=p.id_number, category=p.category, grade=p.grade
            ) == p.cert_number
        else:  # only young children are on file with a diagnosis and no certificate
            assert p.diagnosis and p.diagnosed_on is not None
            assert (TODAY - p.birth_date).days < 7 * 366
    assert certified > PERSONS * 0.9


def test_database_check_is_ok(demo):
    report = db.check(demo.engine)
    assert report.integrity == "ok"
    assert report.foreign_key_errors == 0
    assert report.revision == report.head == db.head_revision()
    assert report.ok


def test_the_demo_audit_event_is_on_the_chain_and_later_writes_link_on(demo, template_db, tmp_path):
    from liaison.core.services import audit

    with demo.uow() as uow:
        report = audit.verify_chain(uow)
    assert report.ok, report.findings
    assert report.count == 1
    # a write after the demo (here on a copy, the module's demo stays as it is) continues the chain
    copy = tmp_path / "copy.db"
    with demo.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(Path(demo.engine.url.database), copy)
    ws = open_workspace(f"sqlite:///{copy}")
    try:
        with ws.uow() as uow:
            audit.record(uow.session, ws.system_actor, entity="workspace", entity_id=uuid.uuid4(), action="x",
                         changes={})
            uow.commit()
        with ws.uow() as uow:
            report = audit.verify_chain(uow)
        assert report.ok, report.findings
        assert (report.count, report.last_seq) == (2, 2)
    finally:
        ws.close()


def test_demo_people_pass_the_services_validation(demo_people):
    """A sample of 50 is what the brief asks for; validating all of them costs little more.
    The values validation derives must be the ones the demo stored."""
    sample = random.Random(0).sample(demo_people, 50)
    for p in sample + demo_people:
        checked = validate_person(PersonInput.from_person(p), today=TODAY)
        stored = {key: getattr(p, key) for key in checked.values}
        assert stored == checked.values, p.name


def test_category_shares_roughly_follow_the_survey_weights(demo_people):
    counts = Counter(p.category for p in demo_people)
    total = sum(CATEGORY_WEIGHTS)
    for category, weight in enumerate(CATEGORY_WEIGHTS, start=1):
        share = counts[category] / PERSONS
        assert abs(share - weight / total) < 0.07, (category, share)
    assert counts[4] > counts[3] * 5  # 肢体 common, 言语 rare
    assert set(counts) <= set(range(1, 8))


def test_demo_has_every_kind_of_record(demo):
    visit_kinds = set(scalar_rows(demo, "SELECT DISTINCT kind FROM visit"))
    assert visit_kinds == {k.value for k in VisitKind}
    modes = set(scalar_rows(demo, "SELECT DISTINCT contact_mode FROM visit"))
    assert modes == {m.value for m in ContactMode}
    need_statuses = set(scalar_rows(demo, "SELECT DISTINCT status FROM need"))
    assert len(need_statuses) >= 4
    assert need_statuses <= {s.value for s in NeedStatus}
    assert {NeedStatus.OPEN.value, NeedStatus.MET.value} <= need_statuses
    stages = set(scalar_rows(demo, "SELECT DISTINCT stage FROM modification_case"))
    assert len(stages) >= 4 and stages <= {s.value for s in ModificationStage}
    states = set(scalar_rows(demo, "SELECT DISTINCT state FROM rehab_referral"))
    assert len(states) >= 4 and states <= {s.value for s in ReferralState}
    assert scalar_rows(demo, "SELECT count(*) FROM area_target")[0] > 0
    assert scalar_rows(demo, "SELECT count(*) FROM follow_up WHERE case_id IS NOT NULL")[0] > 0


def test_the_programs_demo_has_cases_in_every_stage(template_db, tmp_path):
    """The county the welcome screen builds shows every stage of both workflows."""
    ws = new_workspace(template_db, tmp_path / "program-demo.db")
    try:
        build_demo(ws.engine, ws.rules, ws.device_id, persons=PROGRAM_DEMO_PERSONS, seed=PROGRAM_DEMO_SEED,
                   today=TODAY)
        stages = set(scalar_rows(ws, "SELECT DISTINCT stage FROM modification_case"))
        assert stages == {s.value for s in ModificationStage}
        states = set(scalar_rows(ws, "SELECT DISTINCT state FROM rehab_referral"))
        assert states == {s.value for s in ReferralState}
        steps = set(scalar_rows(ws, "SELECT DISTINCT device_step FROM rehab_referral"
                                    " WHERE service_kind = 'device_fitting'"))
        assert steps == {s.value for s in DeviceStep}
        kinds = set(scalar_rows(ws, "SELECT DISTINCT service_kind FROM rehab_referral"))
        assert kinds == {k.value for k in ReferralServiceKind}
        for rule, sql in BROKEN_ROWS.items():
            assert scalar_rows(ws, sql) == [0], rule
    finally:
        ws.close()


def test_work_queue_on_the_demo_has_every_kind_of_task(demo):
    with demo.uow() as uow:
        queue = work_queue(uow, demo.system_actor, demo.rules, today=TODAY)
    assert {t.kind for t in queue.tasks} == set(TaskKind)
    assert [t.sort_key for t in queue.tasks] == sorted(t.sort_key for t in queue.tasks)


def test_search_terms_are_the_ones_the_services_would_write(demo, demo_people):
    with demo.engine.connect() as conn:
        stored: dict[int, list[str]] = {}
        for term, search_no in conn.execute(text("SELECT term, search_no FROM person_search_term")):
            stored.setdefault(search_no, []).append(term)
    assert set(stored) == {p.search_no for p in demo_people}
    for p in random.Random(1).sample(demo_people, 60):
        assert sorted(stored[p.search_no]) == sorted(search_terms(p.name, p.id_number, p.phone)), p.name


# Each query counts rows that break a rule the services enforce on visits, needs, follow-ups
# and cases (all must be 0).
BROKEN_ROWS = {
    "visit in the future": f"SELECT count(*) FROM visit WHERE visit_date > '{TODAY}'",
    "visit before birth or registration": "SELECT count(*) FROM visit v JOIN person p ON p.id = v.person_id"
    " WHERE v.visit_date < p.birth_date OR v.visit_date < p.registered_on",
    "visit after leaving the roster": "SELECT count(*) FROM visit v JOIN person p ON p.id = v.person_id"
    " WHERE p.status != 'active' AND v.visit_date > p.status_on",
    "lost contact without a reason": "SELECT count(*) FROM visit WHERE contact_mode = 'lost'"
    " AND (lost_reason IS NULL OR trim(lost_reason) = '')",
    "a reason without lost contact": "SELECT count(*) FROM visit WHERE contact_mode != 'lost'"
    " AND lost_reason IS NOT NULL",
    "income monitoring without income": "SELECT count(*) FROM visit WHERE kind = 'income_monitoring'"
    " AND household_income_fen IS NULL",
    "need raised at another visit": "SELECT count(*) FROM need n JOIN visit v ON v.id = n.raised_visit_id"
    " WHERE v.visit_date != n.raised_on OR v.person_id != n.person_id",
    "need resolved at another visit": "SELECT count(*) FROM need n JOIN visit v ON v.id = n.resolved_visit_id"
    " WHERE v.visit_date != n.status_on OR v.person_id != n.person_id",
    "diagnosis in the future": f"SELECT count(*) FROM person WHERE diagnosed_on > '{TODAY}'",
    "need status dates": f"SELECT count(*) FROM need WHERE status_on < raised_on OR status_on > '{TODAY}'",
    "resolved need without a date": "SELECT count(*) FROM need WHERE status IN ('met', 'declined', 'unreachable')"
    " AND resolved_on IS NULL",
    "open need with a resolution date": "SELECT count(*) FROM need"
    " WHERE status NOT IN ('met', 'declined', 'unreachable') AND resolved_on IS NOT NULL",
    "declined or unreachable without a reason": "SELECT count(*) FROM need"
    " WHERE status IN ('declined', 'unreachable') AND (resolution IS NULL OR trim(resolution) = '')",
    "follow-up dates": f"SELECT count(*) FROM follow_up f JOIN visit v ON v.id = f.visit_id"
    f" WHERE f.due_on < v.visit_date OR f.done_on < v.visit_date OR f.done_on > '{TODAY}'",
    "follow-up for another person's need": "SELECT count(*) FROM follow_up f JOIN need n ON n.id = f.need_id"
    " WHERE n.person_id != f.person_id",
    "referral dates": f"SELECT count(*) FROM rehab_referral r JOIN need n ON n.id = r.need_id"
    f" WHERE r.referred_on < n.raised_on OR r.state_on > '{TODAY}' OR r.person_id != n.person_id",
    "case dates": f"SELECT count(*) FROM modification_case m JOIN need n ON n.id = m.need_id"
    f" WHERE m.applied_on < n.raised_on OR m.stage_on > '{TODAY}' OR m.person_id != n.person_id",
}


_NEED_IN_STAGE = " OR ".join(
    f"(m.stage = '{stage.value}' AND n.status != '{need.value}')" for stage, need in NEED_STATUS_IN_STAGE.items())
_DEVICE_STATE = " OR ".join(
    f"(r.device_step = '{step}' AND r.state NOT IN ('{state.value}', 'not_accepted', 'not_completed'))"
    for step, state in DEVICE_STATE.items() if step in {s.value for s in DeviceStep})
BROKEN_ROWS |= {
    "need status against its case": "SELECT count(*) FROM modification_case m JOIN need n ON n.id = m.need_id"
    f" WHERE {_NEED_IN_STAGE}",
    "device step against the referral state": f"SELECT count(*) FROM rehab_referral r WHERE {_DEVICE_STATE}"
    " OR (r.service_kind = 'device_fitting') != (r.device_step IS NOT NULL)",
    "estimate is not the sum of the items": "SELECT count(*) FROM modification_case m WHERE coalesce(m.estimate_fen, 0)"
    " != (SELECT coalesce(sum(i.estimate_fen), 0) FROM modification_item i WHERE i.case_id = m.id)",
    "case stage is not its last event": "SELECT count(*) FROM modification_case m WHERE m.stage != (SELECT e.to_state"
    " FROM case_event e WHERE e.case_id = m.id ORDER BY e.on_date DESC, e.at DESC, e.rowid DESC LIMIT 1)",
    "referral position is not its last event": "SELECT count(*) FROM rehab_referral r WHERE"
    " coalesce(CASE WHEN r.state IN ('not_accepted', 'not_completed') THEN r.state END, r.device_step, r.state)"
    " != (SELECT e.to_state FROM case_event e WHERE e.case_id = r.id"
    " ORDER BY e.on_date DESC, e.at DESC, e.rowid DESC LIMIT 1)",
    "event dates out of order": "SELECT count(*) FROM case_event a JOIN case_event b ON a.case_id = b.case_id"
    " AND a.rowid < b.rowid WHERE a.on_date > b.on_date",
    "closed case without its return visit": "SELECT count(*) FROM modification_case m WHERE m.stage = 'closed'"
    " AND NOT EXISTS (SELECT 1 FROM follow_up f WHERE f.case_id = m.id)",
    "completed referral without its return visit": "SELECT count(*) FROM rehab_referral r WHERE r.state = 'completed'"
    " AND NOT EXISTS (SELECT 1 FROM follow_up f WHERE f.case_id = r.id)",
    "accepted referral without an institution": "SELECT count(*) FROM rehab_referral r WHERE r.accepted_on IS NOT NULL"
    " AND r.institution_id IS NULL",
    "case follow-up dates": f"SELECT count(*) FROM follow_up WHERE case_id IS NOT NULL AND (done_on > '{TODAY}'"
    " OR (status = 'done') != (done_on IS NOT NULL))",
}


@pytest.mark.parametrize("rule", sorted(BROKEN_ROWS))
def test_demo_rows_keep_the_rules_of_the_services(demo, rule):
    assert scalar_rows(demo, BROKEN_ROWS[rule]) == [0]


# --- refusals ---------------------------------------------------------------------------------


def test_demo_refuses_a_workspace_that_has_people(demo):
    with pytest.raises(DemoError) as info:
        build_demo(demo.engine, demo.rules, demo.device_id, persons=10, seed=1, today=TODAY)
    assert "空的工作区" in info.value.message
    assert scalar_rows(demo, "SELECT count(*) FROM person") == [PERSONS]


@pytest.mark.parametrize("persons", [0, -5, 2_000_001])
def test_demo_refuses_a_number_of_people_out_of_range(template_db, tmp_path, persons):
    ws = new_workspace(template_db, tmp_path / "empty.db")
    try:
        with pytest.raises(DemoError) as info:
            build_demo(ws.engine, ws.rules, ws.device_id, persons=persons, today=TODAY)
        assert "2,000,000" in info.value.message
        assert scalar_rows(ws, "SELECT count(*) FROM person") == [0]
        assert scalar_rows(ws, "SELECT count(*) FROM area") == [0]
    finally:
        ws.close()


@pytest.mark.parametrize("persons", [1, 3])
def test_a_tiny_demo_is_still_a_whole_county(template_db, tmp_path, persons):
    ws = new_workspace(template_db, tmp_path / "tiny.db")
    try:
        summary = build_demo(ws.engine, ws.rules, ws.device_id, persons=persons, today=TODAY)
        assert summary.persons == persons
        assert summary.areas >= 3  # county, township, village
        assert db.check(ws.engine).ok
    finally:
        ws.close()


def test_demo_refuses_a_workspace_already_set_up(template_db, tmp_path):
    ws = new_workspace(template_db, tmp_path / "village.db")
    try:
        with ws.uow() as uow:
            areas.create_area(uow, ws.system_actor, code="220202", name="昌邑区", level=AreaLevel.COUNTY)
            uow.commit()
        with pytest.raises(DemoError, match="已经建立"):
            build_demo(ws.engine, ws.rules, ws.device_id, persons=10, seed=1, today=TODAY)
        assert scalar_rows(ws, "SELECT count(*) FROM app_user") == [0]
    finally:
        ws.close()


# --- login accounts ----------------------------------------------------------------------------


def test_the_demo_accounts_log_in_with_the_demo_password_and_their_scope(demo):
    with demo.uow() as uow:
        assert accounts.has_login_accounts(uow) and not accounts.needs_first_admin(uow)
        directory = areas.area_directory(uow)
        hashes = set(uow.session.scalars(select(User.password_hash).where(User.password_hash.is_not(None))))
    assert len(hashes) == 1  # hashed once, reused
    assert [a.username for a in DEMO_ACCOUNTS] == ["admin", "county", "town01", "v0001"]
    for account in DEMO_ACCOUNTS:
        actor = accounts.authenticate(demo.uow, account.username, DEMO_PASSWORD, device_id=demo.device_id,
                                      now=datetime(2026, 11, 25, 8))
        assert (actor.role, actor.display_name) == (account.role, account.display_name)
        assert account.role_label == label(account.role)
        if account.role is UserRole.ADMIN:
            assert actor.scope_area_ids is None and account.area_name == ""
        else:
            (area_id,) = actor.scope_area_ids
            assert directory[area_id].name == account.area_name
    # the other generated accounts cannot log in
    with pytest.raises(accounts.AuthError):
        accounts.authenticate(demo.uow, "v0002", DEMO_PASSWORD, device_id=demo.device_id)


def test_the_first_village_officer_is_the_visitor_of_its_visits(demo):
    officer = next(a for a in DEMO_ACCOUNTS if a.role is UserRole.VILLAGE_OFFICER)
    rows = scalar_rows(demo, "SELECT DISTINCT v.visitor_name FROM visit v JOIN person p ON p.id = v.person_id"
                             " JOIN area a ON a.id = p.area_id LEFT JOIN area up ON up.id = a.parent_id"
                             f" WHERE a.name = '{officer.area_name}' OR up.name = '{officer.area_name}'")
    assert officer.display_name in rows
