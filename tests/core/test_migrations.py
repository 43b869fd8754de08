"""Schema migrations: a database written by the previous version is upgraded with every row
intact; databases the program must not touch are refused and left as they were."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text

from liaison.bootstrap import open_workspace
from liaison.core import db, dbkey
from liaison.core.enums import (
    ContactMode,
    DeviceStep,
    ModificationStage,
    NeedStatus,
    PersonStatus,
    ReferralServiceKind,
    ReferralState,
    Sex,
)
from liaison.core.errors import DatabaseStateError
from liaison.core.models import (
    Base,
    CaseEvent,
    FollowUp,
    HomeModificationCase,
    Institution,
    ModificationItem,
    Need,
    Person,
    RehabReferral,
)
from liaison.core.rules.idnumber import compose_id_number
from liaison.core.services import persons
from liaison.core.services.person_file import open_person_file
from liaison.core.services.search import SearchQuery, search_people
from liaison.core.services.tasks import work_queue
from tests.dbfiles import connect

PREVIOUS = "0001"
TABLES_AT_PREVIOUS = (
    "app_user", "area", "audit_event", "setting", "person", "user_area", "person_search_term",
    "visit", "need", "follow_up",
)  # fmt: skip
NEW_TABLES = {
    "institution",
    "modification_case",
    "modification_item",
    "rehab_referral",
    "case_event",
}
TODAY = date(2025, 6, 16)

DEVICE = "3f1c2a9e-0b7d-4e55-9a61-2d8f0c7b4e10"
COUNTY, TOWN, VILLAGE = (uuid.UUID(int=n) for n in (0xA1, 0xA2, 0xA3))
USER_ID = uuid.UUID(int=0xB1)
PERSON_ID = uuid.UUID(int=0xC1)
VISIT_HOME, VISIT_LOST = uuid.UUID(int=0xD1), uuid.UUID(int=0xD2)
NEED_OPEN, NEED_MET = uuid.UUID(int=0xE1), uuid.UUID(int=0xE2)
FOLLOW_UP_ID = uuid.UUID(int=0xF1)
ID_NUMBER = compose_id_number("220202", date(1956, 10, 2), 17)
STAMP = "2024-03-01 08:30:00.000000"


def synced(row_id: uuid.UUID, version: int = 1) -> dict[str, Any]:
    return {
        "id": row_id.hex,
        "created_at": STAMP,
        "updated_at": STAMP,
        "row_version": version,
        "origin_device": DEVICE,
    }


def insert(conn, table: str, **values: Any) -> None:
    columns = ", ".join(values)
    params = ", ".join(f":{k}" for k in values)
    conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({params})"), values)


def fill_previous_version(engine: Engine) -> None:
    """What the previous program wrote: raw SQL, in the column formats SQLAlchemy uses."""
    with engine.begin() as conn:
        insert(conn, "setting", key="device_id", value=json.dumps(DEVICE))
        insert(
            conn,
            "setting",
            key="workspace_name",
            value=json.dumps("两家子村工作站", ensure_ascii=False),
        )
        insert(
            conn,
            "setting",
            key="rule_overrides",
            value=json.dumps({"alerts": {"need_alert_days": 20}}),
        )
        insert(
            conn,
            "area",
            code="220202",
            name="昌邑区",
            level="county",
            parent_id=None,
            **synced(COUNTY),
        )
        insert(
            conn,
            "area",
            code="220202100",
            name="桦皮厂镇",
            level="township",
            parent_id=COUNTY.hex,
            **synced(TOWN),
        )
        insert(
            conn,
            "area",
            code="220202100001",
            name="两家子村",
            level="village",
            parent_id=TOWN.hex,
            **synced(VILLAGE, version=3),
        )
        insert(
            conn,
            "app_user",
            username="lizw",
            display_name="李专委",
            role="village_officer",
            active=1,
            **synced(USER_ID),
        )
        insert(conn, "user_area", user_id=USER_ID.hex, area_id=VILLAGE.hex)
        insert(
            conn,
            "person",
            name="单福贵",
            name_sort="shan fu gui\t单福贵",
            search_no=1,
            id_number=ID_NUMBER,
            sex="male",
            birth_date="1956-10-02",
            ethnicity="满族",
            phone="0432-62345678",
            area_id=VILLAGE.hex,
            address="两家子村三组",
            hukou="rural",
            lives_alone=1,
            guardian_name="单小红",
            guardian_relation="父女",
            guardian_phone="13912345678",
            cert_number=ID_NUMBER + "72",
            cert_issued_on="2019-04-01",
            cert_valid_until="2029-04-01",
            category=7,
            component_categories="2,4",
            grade=2,
            diagnosis=None,
            diagnosed_on=None,
            dibao=1,
            tekun=0,
            fanpin_monitor=1,
            low_income=0,
            chronic_illness_in_household=1,
            living_subsidy_receiving=1,
            living_subsidy_fen=8000,
            care_subsidy_receiving=0,
            care_subsidy_fen=None,
            pension_insured=1,
            pension_gov_paid=1,
            medical_insured=1,
            medical_gov_paid=0,
            employment_status="unable",
            employment_form=None,
            training_wish=None,
            school_status="not_applicable",
            status="active",
            status_on=None,
            status_reason=None,
            registered_on="2019-04-10",
            notes="腿脚不便，听力差",
            **synced(PERSON_ID, version=4),
        )
        for term in persons.search_terms("单福贵", ID_NUMBER, None):
            insert(conn, "person_search_term", term=term, search_no=1)
        insert(
            conn,
            "visit",
            person_id=PERSON_ID.hex,
            visit_date="2025-05-20",
            kind="routine",
            contact_mode="home",
            lost_reason=None,
            visitor_name="李专委",
            visitor_user_id=USER_ID.hex,
            findings="屋顶漏雨",
            safety_risks="电线老化",
            household_income_fen=None,
            household_size=None,
            **synced(VISIT_HOME),
        )
        insert(
            conn,
            "visit",
            person_id=PERSON_ID.hex,
            visit_date="2025-06-10",
            kind="routine",
            contact_mode="lost",
            lost_reason="外出就医",
            visitor_name="李专委",
            visitor_user_id=None,
            findings=None,
            safety_risks=None,
            household_income_fen=None,
            household_size=None,
            **synced(VISIT_LOST),
        )
        insert(
            conn,
            "need",
            person_id=PERSON_ID.hex,
            kind="home_modification",
            detail="卫生间扶手",
            raised_on="2025-05-20",
            raised_visit_id=VISIT_HOME.hex,
            status="open",
            status_on="2025-05-20",
            resolved_on=None,
            resolution=None,
            resolved_visit_id=None,
            **synced(NEED_OPEN),
        )
        insert(
            conn,
            "need",
            person_id=PERSON_ID.hex,
            kind="assistive_device",
            detail="助听器",
            raised_on="2025-01-05",
            raised_visit_id=None,
            status="met",
            status_on="2025-05-20",
            resolved_on="2025-05-20",
            resolution="已适配",
            resolved_visit_id=VISIT_HOME.hex,
            **synced(NEED_MET, version=2),
        )
        insert(
            conn,
            "follow_up",
            visit_id=VISIT_HOME.hex,
            person_id=PERSON_ID.hex,
            need_id=NEED_OPEN.hex,
            action="联系施工队勘测",
            due_on="2025-06-01",
            status="open",
            done_on=None,
            outcome=None,
            **synced(FOLLOW_UP_ID),
        )
        for seq, (entity, entity_id, action) in enumerate(
            [
                ("person", PERSON_ID, "create"),
                ("visit", VISIT_HOME, "create"),
                ("need", NEED_MET, "status"),
            ],
            start=1,
        ):
            insert(
                conn,
                "audit_event",
                seq=seq,
                id=uuid.UUID(int=0x100 + seq).hex,
                at=STAMP,
                user_id=USER_ID.hex,
                username="lizw",
                device_id=DEVICE,
                entity=entity,
                entity_id=entity_id.hex,
                action=action,
                changes=json.dumps({"status": [None, "open"]}),
                reason="导入" if seq == 3 else None,
            )


def snapshot(path: Path, columns: dict[str, list[str]] | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the previous schema, read with a raw connection: only the
    columns the previous schema had (given, or all of them before the upgrade)."""
    conn = connect(path)
    try:
        result = {}
        for t in TABLES_AT_PREVIOUS:
            names = columns[t] if columns else [r[1] for r in conn.execute(f"PRAGMA table_info({t})")]
            rows = conn.execute(f"SELECT {', '.join(names)} FROM {t}").fetchall()
            result[t] = sorted((tuple(zip(names, row, strict=True)) for row in rows), key=repr)
        return result
    finally:
        conn.close()


def previous_columns(path: Path) -> dict[str, list[str]]:
    conn = connect(path)
    try:
        return {t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})")] for t in TABLES_AT_PREVIOUS}
    finally:
        conn.close()


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def previous_db(tmp_path: Path) -> Path:
    path = tmp_path / "liaison.db"
    engine = db.create_db_engine(f"sqlite:///{path}")
    try:
        assert db.upgrade(engine, PREVIOUS).to_revision == PREVIOUS
        assert db.current_revision(engine) == PREVIOUS
        assert not NEW_TABLES & set(inspect(engine).get_table_names())
        fill_previous_version(engine)
    finally:
        engine.dispose()
    return path


def schema_differences(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


# --- upgrading the previous version ----------------------------------------------------


def test_upgrade_keeps_every_row(previous_db: Path) -> None:
    before = snapshot(previous_db)
    columns = previous_columns(previous_db)
    assert sum(len(rows) for rows in before.values()) > 20
    ws = open_workspace(f"sqlite:///{previous_db}")
    try:
        assert (ws.upgrade.from_revision, ws.upgrade.to_revision) == (PREVIOUS, db.head_revision())
        assert ws.upgrade.changed
        assert db.current_revision(ws.engine) == db.head_revision()
        assert db.check(ws.engine).ok
    finally:
        ws.close()
    assert snapshot(previous_db, columns) == before


def test_upgrade_writes_a_backup_of_the_previous_version(previous_db: Path) -> None:
    before = snapshot(previous_db)
    ws = open_workspace(f"sqlite:///{previous_db}")
    ws.close()
    backup = previous_db.with_name(f"liaison.db.before-{db.head_revision()}.bak")
    assert ws.upgrade.backup == backup and backup.exists()
    assert snapshot(backup) == before
    assert dbkey.is_encrypted_file(backup)  # the plain file was encrypted before it was upgraded
    conn = connect(backup)
    try:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(PREVIOUS,)]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert not NEW_TABLES & tables
    finally:
        conn.close()


def test_upgraded_rows_read_back_through_the_program(previous_db: Path) -> None:
    ws = open_workspace(f"sqlite:///{previous_db}")
    try:
        assert ws.device_id == DEVICE  # the device keeps its identity
        assert ws.rules.alerts.need_alert_days == 20  # the county's overrides still apply
        actor = ws.system_actor
        with ws.uow() as uow:
            person = persons.load_person(uow, actor, PERSON_ID)
            assert (person.name, person.sex, person.birth_date, person.id_number) == (
                "单福贵",
                Sex.MALE,
                date(1956, 10, 2),
                ID_NUMBER,
            )
            assert (person.category, person.grade, person.component_categories) == (7, 2, "2,4")
            assert (person.dibao, person.fanpin_monitor, person.low_income) == (True, True, False)
            assert (person.living_subsidy_fen, person.care_subsidy_fen) == (8000, None)
            assert (person.status, person.row_version, person.notes) == (
                PersonStatus.ACTIVE,
                4,
                "腿脚不便，听力差",
            )
            assert person.created_at == datetime(2024, 3, 1, 8, 30)
            assert persons.find_person(uow, actor, ID_NUMBER + "72").id == PERSON_ID

            pf = open_person_file(uow, actor, ws.rules, PERSON_ID, today=TODAY)
            assert [(v.visit_date, v.contact_mode) for v in pf.visits] == [
                (date(2025, 6, 10), ContactMode.LOST),
                (date(2025, 5, 20), ContactMode.HOME),
            ]
            assert pf.last_contact_on == date(2025, 5, 20)
            assert {(n.id, n.status) for n in pf.needs} == {
                (NEED_OPEN, NeedStatus.OPEN),
                (NEED_MET, NeedStatus.MET),
            }
            assert [f.need_id for f in pf.follow_ups] == [NEED_OPEN]
            assert [e.action for e in pf.history] == ["create"]
            assert pf.area.full_name == "桦皮厂镇 两家子村"

            page = search_people(uow, actor, SearchQuery(text="shanfugui"), today=TODAY)
            assert [r.id for r in page.rows] == [PERSON_ID]

            tasks = work_queue(uow, actor, ws.rules, today=TODAY).tasks
            assert {t.ref_id for t in tasks} >= {FOLLOW_UP_ID, NEED_OPEN}
    finally:
        ws.close()


def test_the_new_tables_exist_and_work(previous_db: Path) -> None:
    ws = open_workspace(f"sqlite:///{previous_db}")
    try:
        assert NEW_TABLES <= set(inspect(ws.engine).get_table_names())
        with ws.uow() as uow:
            institution = Institution(
                name="吉林市康复中心",
                code="JL-001",
                area_id=COUNTY,
                service_kinds="rehab_training,device_fitting",
                origin_device=DEVICE,
            )
            case = HomeModificationCase(
                person_id=PERSON_ID,
                need_id=NEED_OPEN,
                year=2025,
                stage=ModificationStage.APPLIED,
                stage_on=TODAY,
                applied_on=TODAY,
                origin_device=DEVICE,
            )
            uow.session.add_all([institution, case])
            uow.session.flush()
            uow.session.add_all(
                [
                    ModificationItem(
                        case_id=case.id,
                        item_code="grab_bar",
                        name="扶手",
                        quantity=2,
                        unit="个",
                        unit_cost_fen=15000,
                        estimate_fen=30000,
                        origin_device=DEVICE,
                    ),
                    RehabReferral(
                        person_id=PERSON_ID,
                        need_id=NEED_OPEN,
                        institution_id=institution.id,
                        service_kind=ReferralServiceKind.HOME_REHAB,
                        state=ReferralState.REFERRED,
                        state_on=TODAY,
                        referred_on=TODAY,
                        origin_device=DEVICE,
                    ),
                    CaseEvent(
                        case_type="modification",
                        case_id=case.id,
                        from_state=None,
                        to_state="applied",
                        on_date=TODAY,
                        at=datetime(2025, 6, 16, 9),
                        by_user="lizw",
                        origin_device=DEVICE,
                    ),
                ]
            )
            uow.commit()
        with ws.uow() as uow:
            pf = open_person_file(uow, ws.system_actor, ws.rules, PERSON_ID, today=TODAY)
            assert [c.stage for c in pf.modification_cases] == [ModificationStage.APPLIED]
            assert [r.institution_id for r in pf.referrals] == [institution.id]
            items = uow.session.scalars(select(ModificationItem.estimate_fen)).all()
            assert items == [30000]
        assert db.check(ws.engine).ok
    finally:
        ws.close()


def test_the_upgraded_schema_matches_the_models(previous_db: Path) -> None:
    ws = open_workspace(f"sqlite:///{previous_db}")
    try:
        assert schema_differences(ws.engine) == []
    finally:
        ws.close()


def test_a_new_workspace_matches_the_models(workspace) -> None:
    assert workspace.upgrade.to_revision == db.head_revision()
    assert schema_differences(workspace.engine) == []


def test_opening_a_current_database_changes_nothing(workspace, tmp_path: Path) -> None:
    assert not workspace.upgrade.changed
    assert workspace.upgrade.backup is None
    assert not list(tmp_path.glob("*.bak"))


# --- databases that must not be touched ------------------------------------------------


def rollback_journal_copy(ws_path: Path, dest: Path, revision: str) -> Path:
    """A Liaison file switched out of WAL mode and stamped with `revision`."""
    ws = open_workspace(f"sqlite:///{ws_path}")
    ws.close()
    conn = connect(ws_path)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    conn.commit()
    conn.close()
    ws_path.rename(dest)
    return dest


def assert_refused_untouched(path: Path, message: str) -> None:
    digest = file_digest(path)
    rows_before = connect(path).execute("SELECT name FROM sqlite_master").fetchall()
    with pytest.raises(DatabaseStateError) as info:
        open_workspace(f"sqlite:///{path}")
    assert message in info.value.message
    assert file_digest(path) == digest
    assert connect(path).execute("SELECT name FROM sqlite_master").fetchall() == rows_before
    assert not list(path.parent.glob("*.bak"))


def test_a_database_from_a_newer_program_is_refused_and_untouched(tmp_path: Path) -> None:
    path = rollback_journal_copy(tmp_path / "made.db", tmp_path / "newer.db", "0099_future")
    assert_refused_untouched(path, "更新版本")
    conn = connect(path)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0099_future",)]
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    conn.close()


def test_a_foreign_sqlite_file_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "accounts.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE ledger (id INTEGER PRIMARY KEY, item TEXT, amount INTEGER)")
    conn.execute("INSERT INTO ledger (item, amount) VALUES ('化肥', 12000)")
    conn.commit()
    conn.close()
    assert_refused_untouched(path, "不是本程序的数据库")
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT item, amount FROM ledger").fetchall() == [("化肥", 12000)]
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    conn.close()


def test_a_file_that_is_not_a_database_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("两家子村 2025 年走访记录\n" * 200, encoding="utf-8")
    digest = file_digest(path)
    with pytest.raises(DatabaseStateError):
        open_workspace(f"sqlite:///{path}")
    assert file_digest(path) == digest
    assert not list(tmp_path.glob("*.bak"))


def test_an_empty_file_becomes_a_new_workspace(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    path.touch()
    ws = open_workspace(f"sqlite:///{path}")
    try:
        assert (ws.upgrade.from_revision, ws.upgrade.backup) == (None, None)
        assert db.current_revision(ws.engine) == db.head_revision()
    finally:
        ws.close()


# --- going back -------------------------------------------------------------------------


def alembic_run(engine: Engine, fn, revision: str) -> None:
    cfg = db.alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        fn(cfg, revision)


def test_downgrade_to_base_and_upgrade_again(tmp_path: Path) -> None:
    engine = db.create_db_engine(f"sqlite:///{tmp_path / 'roundtrip.db'}")
    try:
        db.upgrade(engine)
        alembic_run(engine, command.downgrade, "base")
        assert db.current_revision(engine) is None
        assert not db.has_user_tables(engine)
        result = db.upgrade(engine)
        assert (result.from_revision, result.to_revision) == (None, db.head_revision())
        assert schema_differences(engine) == []
        assert db.check(engine).ok
    finally:
        engine.dispose()


def test_downgrade_to_the_previous_version_keeps_its_rows(previous_db: Path) -> None:
    before = snapshot(previous_db)
    ws = open_workspace(f"sqlite:///{previous_db}")
    try:
        alembic_run(ws.engine, command.downgrade, PREVIOUS)
        assert db.current_revision(ws.engine) == PREVIOUS
        assert not NEW_TABLES & set(inspect(ws.engine).get_table_names())
    finally:
        ws.close()
    assert snapshot(previous_db) == before
    columns = previous_columns(previous_db)
    ws = open_workspace(f"sqlite:///{previous_db}")  # and up again
    try:
        assert db.current_revision(ws.engine) == db.head_revision()
        with ws.uow() as uow:
            assert uow.session.get(Need, NEED_OPEN) is not None
            assert uow.session.get(Person, PERSON_ID) is not None
    finally:
        ws.close()
    assert snapshot(previous_db, columns) == before


def test_the_head_constant_matches_the_migration_files():
    """db.upgrade skips loading Alembic when a database is at HEAD_REVISION."""
    from liaison.core import db

    assert db.HEAD_REVISION == db.head_revision()


def test_opening_a_workspace_at_head_does_not_load_alembic(tmp_path: Path) -> None:
    """Alembic and what it pulls in take a good part of a second to import: the cold start of
    a workspace that needs no upgrade must not pay for it."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    script = (
        "import sys\n"
        "from liaison.bootstrap import open_workspace\n"
        f"open_workspace({url!r}).close()\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'alembic', 'mako'}))\n"
    )

    def run() -> str:
        # a process of its own each time: keys in the passphrase file (tests/conftest.py)
        done = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[2],
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]

    assert run() == "['alembic', 'mako']"  # the new file is migrated: Alembic is loaded
    assert run() == "[]"  # opened again at head: it is not


# --- 0002 → 0003: the case workflows ----------------------------------------------------------


def test_cases_written_at_0002_gain_their_device_steps_and_stage_dates(tmp_path: Path) -> None:
    """A 0002 database with cases: 辅具适配 referrals get the step their state stands for, and
    modification cases get their 评估/方案确认 dates from their timeline; nothing else changes."""
    path = tmp_path / "liaison.db"
    engine = db.create_db_engine(f"sqlite:///{path}")
    try:
        db.upgrade(engine, "0001")
        fill_previous_version(engine)
        db.upgrade(engine, "0002")
        case_id, device_ref, training_ref = (uuid.UUID(int=n) for n in (0x301, 0x302, 0x303))
        with engine.begin() as conn:
            insert(conn, "modification_case", **synced(case_id), person_id=PERSON_ID.hex, need_id=NEED_OPEN.hex,
                   year=2025, stage="construction", stage_on="2025-05-20", applied_on="2025-04-01")
            for k, (source, target, on) in enumerate([(None, "applied", "2025-04-01"),
                                                      ("applied", "assessed", "2025-04-10"),
                                                      ("assessed", "plan_confirmed", "2025-05-02"),
                                                      ("plan_confirmed", "construction", "2025-05-20")]):
                insert(conn, "case_event", **synced(uuid.UUID(int=0x400 + k)), case_type="modification",
                       case_id=case_id.hex, from_state=source, to_state=target, on_date=on, at=STAMP,
                       by_user="乡镇残联", reason=None)
            for rid, kind, state in ((device_ref, "device_fitting", "in_service"),
                                     (training_ref, "rehab_training", "accepted")):
                insert(conn, "rehab_referral", **synced(rid), person_id=PERSON_ID.hex, need_id=NEED_MET.hex,
                       service_kind=kind, state=state, state_on="2025-05-01", referred_on="2025-04-01")
    finally:
        engine.dispose()
    ws = open_workspace(f"sqlite:///{path}")
    try:
        assert ws.upgrade.from_revision == "0002"
        with ws.uow() as uow:
            case = uow.session.get(HomeModificationCase, case_id)
            assert (case.assessed_on, case.plan_confirmed_on, case.stage) == (
                date(2025, 4, 10), date(2025, 5, 2), ModificationStage.CONSTRUCTION)
            device = uow.session.get(RehabReferral, device_ref)
            training = uow.session.get(RehabReferral, training_ref)
            assert (device.device_step, device.state) == (DeviceStep.APPROVED, ReferralState.IN_SERVICE)
            assert (training.device_step, training.state) == (None, ReferralState.ACCEPTED)
            follow_up = uow.session.get(FollowUp, FOLLOW_UP_ID)
            assert follow_up.visit_id == VISIT_HOME and follow_up.case_id is None
    finally:
        ws.close()


# --- 0004 → 0005: the audit chain -------------------------------------------------------------


def test_events_recorded_before_0005_are_chained_by_the_upgrade(tmp_path: Path) -> None:
    """A 0004 database with an audit trail verifies after the upgrade, and new events link on."""
    from liaison.core.services import audit

    path = tmp_path / "liaison.db"
    engine = db.create_db_engine(f"sqlite:///{path}")
    try:
        db.upgrade(engine, "0001")
        fill_previous_version(engine)
        db.upgrade(engine, "0004")
    finally:
        engine.dispose()
    ws = open_workspace(f"sqlite:///{path}")
    try:
        assert ws.upgrade.from_revision == "0004"
        with ws.uow() as uow:
            report = audit.verify_chain(uow)
            assert report.ok, report.findings
            assert (report.count, report.last_seq) == (3, 3)
            audit.record(uow.session, ws.system_actor, entity="person", entity_id=PERSON_ID, action="update",
                         changes={"phone": [None, "13800000000"]})
            uow.commit()
        with ws.uow() as uow:
            report = audit.verify_chain(uow)
        assert report.ok, report.findings
        assert (report.count, report.last_seq) == (4, 4)
        with ws.engine.begin() as conn:
            conn.execute(text("UPDATE audit_event SET username = 'someone' WHERE seq = 2"))
        with ws.uow() as uow:
            assert [(f.seq, f.kind) for f in audit.verify_chain(uow).findings] == [(2, "edited")]
    finally:
        ws.close()
