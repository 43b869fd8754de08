"""County-scale benchmarks: demo generation, search keystroke latency, cold start, the work
queue, case lists, and the monthly summary (月报) PDFs of a township and the county.

    .venv/bin/python bench/run.py                 # full scale: 100,000 people (cached county)
    .venv/bin/python bench/run.py --persons 2000  # small scale, as CI runs it
    .venv/bin/python bench/run.py --write         # also update bench/results.json and BENCHMARKS.md

The county is built once per (size, seed, day) and cached under bench/cache/. Figures are
measured on this machine in this run; goals sit beside them in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from liaison.bootstrap import Workspace, open_workspace
from liaison.core.demo import build_demo
from liaison.core.pinyin import name_search_terms

CACHE = ROOT / "bench" / "cache"
RESULTS = ROOT / "bench" / "results.json"
REPORT = ROOT / "BENCHMARKS.md"
CRASH_RESULTS = ROOT / "bench" / "crash_results.json"  # written by tests/crash/test_sigkill.py
TODAY = date(2026, 11, 25)
SEED = 7

GOALS = {
    "search_p95_ms": ("≤ 30 ms", 30.0),
    "demo_100k_s": ("≤ 60 s", 60.0),
    "cold_start_s": ("≤ 1.5 s", 1.5),
    "open_person_ms": ("≤ 50 ms", 50.0),
    "township_pdf_s": ("≤ 1 s", 1.0),
    "county_pdf_s": ("≤ 5 s", 5.0),
    "import_ratio_vs_sqlite": ("≥ 0.5× raw sqlite3", 0.5),
    "import_peak_mb": ("≤ 500 MB", 500),
}


def demo_version() -> str:
    """Part of the cache name: a changed generator builds a new county instead of reusing one."""
    import hashlib

    return hashlib.sha256((ROOT / "liaison" / "core" / "demo.py").read_bytes()).hexdigest()[:8]


@dataclass
class Figures:
    persons: int
    values: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def county(persons: int, figures: Figures) -> tuple[Workspace, Path]:
    path = CACHE / f"county-{persons}-s{SEED}-{TODAY.isoformat()}-{demo_version()}.db"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".building")
        for leftover in CACHE.glob(partial.name + "*"):
            leftover.unlink()
        ws = open_workspace(f"sqlite:///{partial}")
        rss_before = peak_rss_mb()
        summary = build_demo(ws.engine, ws.rules, ws.device_id, persons=persons, seed=SEED, today=TODAY)
        with ws.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        ws.close()
        partial.rename(path)
        figures.values["demo_s"] = round(summary.seconds, 1)
        figures.values["demo_visits"] = summary.visits
        figures.values["demo_peak_mb"] = round(max(peak_rss_mb(), rss_before), 0)
        figures.values["db_mb"] = round(path.stat().st_size / 2**20, 0)
        figures.values["demo_measured_on"] = date.today().isoformat()
        if persons == 100_000:
            figures.values["demo_100k_s"] = round(summary.seconds, 1)
    else:
        figures.notes.append(f"county reused from {path.name} (delete it to time the demo again)")
    return open_workspace(f"sqlite:///{path}"), path


def keystrokes(name: str, id_number: str) -> dict[str, list[str]]:
    """What an officer types, one keystroke at a time, to find this person."""
    terms = name_search_terms(name)
    full, initials = terms[0], terms[1]
    return {
        "name_hanzi": [name[:k] for k in range(1, len(name) + 1)],
        "name_pinyin": [full[:k] for k in range(1, min(len(full), 6) + 1)],
        "initials": [initials[:k] for k in range(1, len(initials) + 1)],
        "id_tail": [id_number[-k:] for k in range(4, 9)],
        "id_birth_date": [id_number[6 : 6 + k] for k in range(4, 9)],
    }


def measure_search(ws: Workspace, figures: Figures, samples: int) -> None:
    from sqlalchemy import select

    from liaison.core.models import Person
    from liaison.core.services.search import SearchQuery, search_people

    with ws.uow() as uow:
        people = uow.session.execute(select(Person.name, Person.id_number).order_by(Person.search_no)).all()
    rng = random.Random(SEED)
    chosen = rng.sample(people, min(samples, len(people)))
    actor = ws.system_actor
    # warm the caches the way a running program has them warm
    with ws.uow() as uow:
        search_people(uow, actor, SearchQuery(text="王"), today=TODAY)
    timings: dict[str, list[float]] = {}
    for name, id_number in chosen:
        for kind, typed in keystrokes(name, id_number).items():
            for text in typed:
                started = time.perf_counter()
                with ws.uow() as uow:
                    search_people(uow, actor, SearchQuery(text=text, limit=50), today=TODAY)
                timings.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
    worst_p95 = 0.0
    per_kind = {}
    for kind, values in timings.items():
        values.sort()
        p50 = statistics.median(values)
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        per_kind[kind] = {"n": len(values), "p50_ms": round(p50, 1), "p95_ms": round(p95, 1),
                          "max_ms": round(values[-1], 1)}
        worst_p95 = max(worst_p95, p95)
    figures.values["search"] = per_kind
    figures.values["search_p95_ms"] = round(worst_p95, 1)
    figures.values["search_peak_mb"] = round(peak_rss_mb(), 0)


def measure_gui(path: Path, figures: Figures, samples: int, runs: int = 3) -> None:
    """Cold start and keystroke-to-results in the real window, each run a fresh process.

    The program's modules are compiled to bytecode first, as an installed program has them
    (the installer's bundle carries it): where PYTHONDONTWRITEBYTECODE is set, as on this
    machine, every start would otherwise compile them from source again."""
    import compileall

    compileall.compile_dir(str(ROOT / "liaison"), quiet=1)
    probes = []
    for _run in range(runs):
        done = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "gui_probe.py"), str(path), str(samples)],
            capture_output=True, text=True, timeout=600, check=True,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        )
        probes.append(json.loads(done.stdout.strip().splitlines()[-1]))
    pick = sorted(probes, key=lambda p: p["window_shown_s"])[len(probes) // 2]  # the median run
    figures.values["gui"] = pick
    figures.values["cold_start_s"] = pick["window_shown_s"]


def _carry_over_demo(figures: Figures) -> None:
    """A run on a cached county did not time the demo: keep the figures of the run that did."""
    if "demo_s" in figures.values or not RESULTS.exists():
        return
    previous = json.loads(RESULTS.read_text()).get("details", {}).get("core", {})
    if previous.get("persons") != figures.persons or "demo_s" not in previous:
        return
    for key in ("demo_s", "demo_visits", "demo_peak_mb", "db_mb", "demo_100k_s"):
        if key in previous:
            figures.values[key] = previous[key]
    figures.notes.append(f"demo generation as measured on {previous.get('demo_measured_on', previous.get('measured_on'))}")
    figures.values["demo_measured_on"] = previous.get("demo_measured_on", previous.get("measured_on"))


def measure_work_queue(ws: Workspace, figures: Figures) -> None:
    """The work queue for a village, its township and the whole county."""
    from liaison.core.services.areas import list_areas, resolve_area_filter
    from liaison.core.services.tasks import work_queue

    with ws.uow() as uow:
        infos = list_areas(uow, ws.system_actor)
    township = next(a for a in infos if a.level == "township")
    village = next(a for a in infos if a.level == "village")
    timings = {}
    for scope, code in (("village", village.code), ("township", township.code), ("county", None)):
        with ws.uow() as uow:
            area_ids = resolve_area_filter(uow, code)
            started = time.perf_counter()
            queue = work_queue(uow, ws.system_actor, ws.rules, area_ids=area_ids, today=TODAY)
            timings[scope] = {"s": round(time.perf_counter() - started, 2), "tasks": len(queue.tasks)}
    figures.values["work_queue"] = timings


def measure_person_file(ws: Workspace, figures: Figures, samples: int) -> None:
    """Opening the file of a person with 50 visits (the busiest people of the county, brought
    to 50), and saving a visit with a need and a follow-up; each in its own unit of work,
    rolled back so the cached county stays as it was."""
    from sqlalchemy import text

    from liaison.core.enums import ContactMode, NeedKind, VisitKind
    from liaison.core.services import visits
    from liaison.core.services.person_file import open_person_file

    with ws.engine.connect() as conn:
        busiest = conn.execute(text(
            "SELECT person_id, count(*) AS n FROM visit GROUP BY person_id ORDER BY n DESC LIMIT :k"),
            {"k": max(5, samples)}).all()
    actor = ws.system_actor
    opened, saved = [], []
    for person_hex, _n in busiest:
        import uuid as _uuid

        person_id = _uuid.UUID(str(person_hex))
        with ws.uow() as uow:
            # bring the file to 50 visits first (rolled back with the rest)
            from datetime import timedelta

            for k in range(max(0, 50 - int(_n))):
                visits.record_visit(uow, actor, visits.VisitInput(
                    person_id=person_id, visit_date=TODAY - timedelta(days=7 * (k + 1)), kind=VisitKind.ROUTINE,
                    contact_mode=ContactMode.PHONE, visitor_name="bench"), today=TODAY)
            uow.session.flush()
            uow.session.expire_all()
            started = time.perf_counter()
            pf = open_person_file(uow, actor, ws.rules, person_id, today=TODAY)
            opened.append((time.perf_counter() - started) * 1000)
            assert len(pf.visits) >= 50
            uow.rollback()
        with ws.uow() as uow:
            started = time.perf_counter()
            visits.record_visit(uow, actor, visits.VisitInput(
                person_id=person_id, visit_date=TODAY, kind=VisitKind.ROUTINE, contact_mode=ContactMode.HOME,
                visitor_name="bench", findings="入户走访", needs=[visits.NeedInput(NeedKind.CARE, "bench")],
                follow_ups=[visits.FollowUpInput("联系托养机构", TODAY, need_index=0)]), today=TODAY)
            uow.session.flush()
            saved.append((time.perf_counter() - started) * 1000)
            uow.rollback()
    opened.sort()
    saved.sort()
    figures.values["person_file"] = {
        "people": len(opened), "visits_each_min": 50,
        "open_p50_ms": round(statistics.median(opened), 1), "open_p95_ms": round(opened[int(len(opened) * 0.95) - 1], 1),
        "save_p50_ms": round(statistics.median(saved), 1), "save_p95_ms": round(saved[int(len(saved) * 0.95) - 1], 1),
    }
    figures.values["open_person_ms"] = figures.values["person_file"]["open_p95_ms"]
    figures.values["save_visit_ms"] = figures.values["person_file"]["save_p95_ms"]


def measure_cases(ws: Workspace, figures: Figures) -> None:
    """The case lists (无障碍改造, 康复转介) of the whole county, as the pages load them."""
    from liaison.core.enums import CaseType
    from liaison.core.services.case_lists import CaseFilter, list_cases

    timings = {}
    for case_type in CaseType:
        with ws.uow() as uow:
            started = time.perf_counter()
            result = list_cases(uow, ws.system_actor, case_type, CaseFilter(), rules=ws.rules, today=TODAY)
            timings[case_type.value] = {"s": round(time.perf_counter() - started, 2), "cases": result.total}
    figures.values["case_lists"] = timings


def measure_monthly(ws: Workspace, figures: Figures, out_dir: Path) -> None:
    """The monthly summary of last month, query and PDF, for one township and the county."""
    from liaison.core.services.areas import list_areas
    from liaison.core.services.monthly import monthly_summary
    from liaison.reports.fonts import register_fonts
    from liaison.reports.monthly_pdf import write_monthly_pdf

    register_fonts()  # loaded once per program run, before the first report
    year, month = (TODAY.year, TODAY.month - 1) if TODAY.month > 1 else (TODAY.year - 1, 12)
    with ws.uow() as uow:
        township = next(a for a in list_areas(uow, ws.system_actor) if a.level == "township")
    out_dir.mkdir(parents=True, exist_ok=True)
    for scope, area_id in (("township", township.id), ("county", None)):
        rss_before = peak_rss_mb()
        with ws.uow() as uow:
            started = time.perf_counter()
            summary = monthly_summary(uow, ws.system_actor, year=year, month=month, rules=ws.rules, today=TODAY,
                                      area_id=area_id)
            queried = time.perf_counter()
        result = write_monthly_pdf(summary, out_dir / f"monthly-{scope}.pdf", on=TODAY)
        done = time.perf_counter()
        figures.values[f"{scope}_pdf_s"] = round(done - started, 2)
        figures.values.setdefault("monthly", {})[scope] = {
            "query_s": round(queried - started, 2), "pdf_s": round(done - queried, 2), "pages": result.pages,
            "people": summary.total.on_file, "rows": len(summary.units), "peak_mb": round(max(peak_rss_mb(), rss_before))}


IMPORT_TABLES = ("institution", "person", "visit", "need", "follow_up", "modification_case", "modification_item",
                 "rehab_referral", "case_event")


@dataclass
class SyncSites:
    """A village-side copy of the county, an empty county hub and an empty baseline database
    (both with the county's areas), the hub set up and the device enrolled."""

    work: Path
    device_path: Path
    hub_path: Path
    raw_path: Path
    fingerprint: str


def sync_sites(path: Path, work: Path) -> SyncSites:
    import shutil

    from liaison.core import dbkey
    from liaison.sync import exchange

    device_path, hub_path, raw_path = work / "device.db", work / "hub.db", work / "raw.db"
    shutil.copyfile(path, device_path)
    # the copy is encrypted with the county's key: its own key file must hold it too
    key = dbkey.stored_key(path, dbkey.store_for(path))
    assert key is not None, f"no key for {path}"
    dbkey.store_for(device_path).put(dbkey.secret_name(dbkey.file_header(device_path)), key)
    device = open_workspace(f"sqlite:///{device_path}")
    with device.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM setting WHERE key = 'device_id'")
        county_code = conn.exec_driver_sql("SELECT code FROM area WHERE parent_id IS NULL").scalar()
        areas = conn.exec_driver_sql("SELECT * FROM area").fetchall()
    device.close()
    for target in (hub_path, raw_path):
        ws = open_workspace(f"sqlite:///{target}")
        with ws.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM setting WHERE key = 'device_id'")
            if areas:
                conn.exec_driver_sql(f"INSERT INTO area VALUES ({', '.join('?' * len(areas[0]))})",
                                     [tuple(a) for a in areas])
        ws.close()
    device, hub = open_workspace(f"sqlite:///{device_path}"), open_workspace(f"sqlite:///{hub_path}")
    device_store, hub_store = exchange.secret_store(device), exchange.secret_store(hub)
    exchange.hub_init(hub, hub_store, work / "setup.json", county_name="bench")
    identity = exchange.enrol(device, device_store, work / "setup.json", area_code=county_code)
    hub.close()
    device.close()
    return SyncSites(work, device_path, hub_path, raw_path, identity.fingerprint)


def export_all(sites: SyncSites, out: Path) -> tuple[Any, float]:
    """Everything of the device in one package (nothing acknowledged yet)."""
    from liaison.sync import exchange

    device = open_workspace(f"sqlite:///{sites.device_path}")
    try:
        out.mkdir(exist_ok=True)
        started = time.perf_counter()
        package = exchange.export_changes(device, exchange.secret_store(device), out)
        return package, time.perf_counter() - started
    finally:
        device.close()


def export_recent(sites: SyncSites, out: Path, changes: int) -> tuple[float, int] | None:
    """An export of the `changes` newest visits, as if the county had acknowledged the rest."""
    from liaison.core.services import settings
    from liaison.sync import exchange

    device = open_workspace(f"sqlite:///{sites.device_path}")
    try:
        with device.engine.connect() as conn:
            mark = conn.exec_driver_sql(
                f"SELECT updated_at FROM visit ORDER BY updated_at DESC LIMIT 1 OFFSET {int(changes)}").scalar()
        if mark is None:
            return None
        with device.uow() as uow:
            settings.put_setting(uow.session, exchange.ACKED, str(mark).replace(" ", "T"))
            uow.commit()
        out.mkdir(exist_ok=True)
        started = time.perf_counter()
        small = exchange.export_changes(device, exchange.secret_store(device), out)
        return time.perf_counter() - started, sum(small.counts.values())
    finally:
        device.close()


def import_in_child(sites: SyncSites, package: Path) -> dict[str, Any]:
    """The import at the hub in a process of its own, so that its peak memory is its own."""
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "import_probe.py"), str(sites.hub_path),
                           str(package), sites.fingerprint], capture_output=True, text=True,
                          timeout=7200, check=True)
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    if probe["status"] != "imported":
        raise RuntimeError(f"bench import failed: {probe}")
    return probe


# set up in the hub and the baseline alike before the import (areas, settings, the schema's own)
PRESET_TABLES = ("alembic_version", "area", "setting", "audit_head")  # the chain's head: updated, not inserted


def raw_insert(sites: SyncSites) -> dict[str, Any]:
    """The limit the import is held to: every row the import wrote at the hub (the package's
    records and what the hub derives from them: search terms, an audit line per person and per
    package, the shared state of each person, the package's own bookkeeping), read back in its
    stored form and inserted into an empty database of the same kind with the DBAPI's
    executemany, one transaction per table, through the hub engine's own DBAPI connection
    (same module, same connect-time settings, e.g. SQLCipher's key). Only the executemany and
    commit are timed; reading the rows is not. It gets the page cache the import gives itself
    (`sync_apply.IMPORT_CACHE_KIB`), so that the tuning is not counted as the import's own."""
    from liaison.core.models import Base
    from liaison.core.services.sync_apply import IMPORT_CACHE_KIB

    hub = open_workspace(f"sqlite:///{sites.hub_path}")
    raw = open_workspace(f"sqlite:///{sites.raw_path}")
    source, target = hub.engine.raw_connection(), raw.engine.raw_connection()
    module = raw.engine.dialect.dbapi
    per_table: dict[str, dict[str, float]] = {}
    try:
        target.cursor().execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
        for t in Base.metadata.sorted_tables:
            if t.name in PRESET_TABLES:
                continue
            cursor = source.cursor()
            columns = [f'"{r[1]}"' for r in cursor.execute(f'PRAGMA table_info("{t.name}")')]
            data = cursor.execute(f'SELECT {", ".join(columns)} FROM "{t.name}"').fetchall()
            cursor.close()
            if not data:
                continue
            sql = f'INSERT INTO "{t.name}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'
            started = time.perf_counter()
            cursor = target.cursor()
            cursor.executemany(sql, data)
            target.commit()
            per_table[t.name] = {"rows": len(data), "s": round(time.perf_counter() - started, 3)}
            cursor.close()
            del data
    finally:
        source.close()
        target.close()
        hub.close()
        raw.close()
    records = [v for k, v in per_table.items() if k in IMPORT_TABLES]
    return {"seconds": sum(v["s"] for v in per_table.values()), "rows": sum(v["rows"] for v in per_table.values()),
            "records_seconds": sum(v["s"] for v in records), "records_rows": sum(v["rows"] for v in records),
            "per_table": per_table, "dbapi": getattr(module, "__name__", str(module))}


def measure_sync(path: Path, figures: Figures) -> None:
    """The whole county as one village-side package, imported at an empty county hub (in a
    process of its own for its peak memory), against raw executemany of the same rows; and an
    export of 10,000 changes."""
    import shutil
    import tempfile

    CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="liaison-sync-bench-", dir=CACHE))
    try:
        sites = sync_sites(path, work)
        package, export_all_s = export_all(sites, work / "stick")
        rows = sum(package.counts.values())
        recent = export_recent(sites, work / "stick10k", 10_000)
        if recent is not None:
            figures.values["export_10k_s"] = round(recent[0], 2)
            figures.values["export_10k_rows"] = recent[1]
        probe = import_in_child(sites, package.path)
        raw = raw_insert(sites)
        figures.values["import"] = {
            "rows": rows, "seconds": probe["seconds"], "raw_sqlite_s": round(raw["seconds"], 2),
            "raw_rows": raw["rows"], "raw_records_s": round(raw["records_seconds"], 2),
            "raw_records_rows": raw["records_rows"], "raw_per_table": raw["per_table"],
            "ratio_records_only": round(raw["records_seconds"] / probe["seconds"], 3),
            "raw_dbapi": raw["dbapi"], "export_all_s": round(export_all_s, 2),
            "package_mb": round(package.path.stat().st_size / 2**20, 1), "counts": probe["counts"],
        }
        figures.values["import_ratio_vs_sqlite"] = round(raw["seconds"] / probe["seconds"], 3)
        figures.values["import_peak_mb"] = probe["peak_mb"]
    finally:
        shutil.rmtree(work, ignore_errors=True)


HEADLINE = ("search_p95_ms", "demo_100k_s", "cold_start_s", "open_person_ms", "save_visit_ms", "township_pdf_s", "county_pdf_s", "export_10k_s",
            "import_ratio_vs_sqlite", "import_peak_mb")


def write_results(figures: Figures) -> None:
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for key in HEADLINE:
        if key in figures.values:
            results[key] = figures.values[key]
    previous = results.setdefault("details", {}).get("core", {})
    keep = previous if previous.get("persons") == figures.persons else {}
    # a run that skipped a measure (e.g. --no-gui) keeps the figures of the run that made it
    results["details"]["core"] = {**keep, "persons": figures.persons, "measured_on": date.today().isoformat(),
                                  **figures.values}
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")


def render_report(figures: Figures) -> str:
    v = figures.values
    machine = f"{platform.machine()}, {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    try:
        import os

        machine += f", {os.cpu_count()} cores"
    except Exception:  # noqa: BLE001
        pass
    lines = [
        "# Benchmarks",
        "",
        f"Measured on {date.today().isoformat()} on {machine} (the project machine: 2 cores, 24 GiB),",
        f"with `bench/run.py` on a synthetic county of {figures.persons:,} people (`liaison demo`, seed {SEED},",
        f"day {TODAY.isoformat()}). Rerun with `.venv/bin/python bench/run.py --write`.",
        "",
        "| measure | figure | goal |",
        "|---|---|---|",
    ]
    if "demo_s" in v:
        lines.append(f"| demo generation, {figures.persons:,} people, {v['demo_visits']:,} visits | "
                     f"{v['demo_s']} s (peak {v['demo_peak_mb']:.0f} MB, database {v['db_mb']:.0f} MB) | "
                     f"{GOALS['demo_100k_s'][0] if figures.persons == 100_000 else '—'} |")
    for kind, s in v.get("search", {}).items():
        lines.append(f"| search keystroke, {kind} ({s['n']} keystrokes) | p50 {s['p50_ms']} ms, "
                     f"p95 {s['p95_ms']} ms, max {s['max_ms']} ms | p95 {GOALS['search_p95_ms'][0]} |")
    if "work_queue" in v:
        wq = v["work_queue"]
        lines.append("| work queue (工作台), one village / its township / the whole county | " + " / ".join(
            f"{wq[k]['s']} s ({wq[k]['tasks']:,} tasks)" for k in ("village", "township", "county")) + " | — |")
    if "person_file" in v:
        pf = v["person_file"]
        lines.append(f"| opening a person's file ({pf['people']} people with {pf['visits_each_min']}+ visits each) | "
                     f"p50 {pf['open_p50_ms']} ms, p95 {pf['open_p95_ms']} ms | {GOALS['open_person_ms'][0]} |")
        lines.append(f"| saving a visit with a need and a follow-up | p50 {pf['save_p50_ms']} ms, "
                     f"p95 {pf['save_p95_ms']} ms | — |")
    for scope in ("township", "county"):
        if scope in v.get("monthly", {}):
            m = v["monthly"][scope]
            lines.append(f"| monthly summary (月报) PDF, {'one township' if scope == 'township' else 'the whole county'} "
                         f"({m['people']:,} people, {m['rows']} rows, {m['pages']} pages) | {v[f'{scope}_pdf_s']} s "
                         f"(query {m['query_s']} s, PDF {m['pdf_s']} s; peak {m['peak_mb']} MB) | "
                         f"{GOALS[f'{scope}_pdf_s'][0]} |")
    if "case_lists" in v:
        c = v["case_lists"]
        lines.append("| case lists of the whole county: 无障碍改造 / 康复转介 | " + " / ".join(
            f"{c[k]['s']} s ({c[k]['cases']:,} cases)" for k in ("modification", "referral")) + " | — |")
    if "import" in v:
        i = v["import"]
        lines.append(f"| county import at an empty hub: {i['rows']:,} records in one package ({i['package_mb']} MB), "
                     f"{i.get('raw_rows', i['rows']):,} rows written | "
                     f"{i['seconds']} s vs raw {i.get('raw_dbapi', 'sqlite3')} executemany of the same rows "
                     f"{i['raw_sqlite_s']} s: ratio {v['import_ratio_vs_sqlite']}; peak {v['import_peak_mb']} MB | "
                     f"{GOALS['import_ratio_vs_sqlite'][0]}, {GOALS['import_peak_mb'][0]} |")
        if "raw_records_s" in i:
            lines.append(f"| the same import against the package's records only ({i['raw_records_rows']:,} rows, "
                         f"without search terms, audit lines and shared states) | {i['raw_records_s']} s: ratio "
                         f"{i['ratio_records_only']} | — |")
        lines.append(f"| export of the whole county / of {v.get('export_10k_rows', 0):,} changes | "
                     f"{i['export_all_s']} s / {v.get('export_10k_s', '—')} s | — |")
    if "gui" in v:
        g = v["gui"]
        lines.append(f"| cold start to a usable window (offscreen, median of 3) | window shown {g['window_shown_s']} s, "
                     f"people list filled {g['roster_ready_s']} s, work queue filled {g['queue_ready_s']} s | "
                     f"{GOALS['cold_start_s'][0]} |")
        lines.append(f"| keystroke to results in the window's search box ({g['keystroke_n']} keystrokes) | "
                     f"p50 {g['keystroke_p50_ms']} ms, p95 {g['keystroke_p95_ms']} ms | — |")
    lines += [
        "",
        "Search is measured through `services.search.search_people` (the function the window and the",
        "command line call), a new unit of work per keystroke, 50 rows per page with the count of",
        "matches (capped at 1,000). Each sampled person is typed one keystroke at a time: the hanzi",
        "name, up to six letters of full pinyin, the initials, the last 4–8 characters of the ID and",
        "4–8 digits of the birth date inside it.",
        "",
        "The window is usable as soon as it is shown; the work queue fills in the background. For a",
        "whole county of 100,000 people that takes seconds: the queue is worked out person by person",
        "in Python (cadence rules, 900,000 visits grouped). A village officer's queue is the village",
        "row above. Keystroke-to-results in the window includes the hop to the worker thread and",
        "back and the table redraw; the type-ahead waits 150 ms after the last key before searching.",
        "",
        "The monthly summary is last month's, from the query (`services.monthly.monthly_summary`, the",
        "one path every figure takes) to the written PDF; the font is loaded once per program run",
        "before it (about 0.25 s) and not counted.",
        "",
        "Encryption at rest (SQLCipher, since 2026-11-26) is what the township and county 月报 and the",
        "cold start pay for. SQLCipher decrypts and checks every page it reads from the file, and the",
        "月报 query of one township in a county database reads a few hundred MB of the visits, needs",
        "and cases (profiled: the same query takes 0.5 s once its pages are in SQLite's cache, 1.2 s",
        "with a 64 MiB cache, 2.5 s cold); connections now keep up to 256 MiB of decrypted pages. A",
        "township's own workspace holds only its own people and is far below this. The cold start",
        "includes two scrypt derivations a headless machine needs and a desktop with a keyring does",
        "not need both of: the key file's passphrase and the login's password check (about 0.1 s",
        "each, on purpose: they are what makes guessing slow).",
        "",
        "What the cold start is made of (py-spy and `python -X importtime` on the county as its",
        "administrator): about half is importing Python code (SQLAlchemy and the models about",
        "0.35 s, PySide6 0.1 s), then the two scrypt derivations, building the window and reading",
        "the roster's first page. Two causes were removed on 2026-11-26: every start loaded",
        "Alembic (and Mako and Pygments through it) only to check that the file's revision is one",
        "of ours, about 0.2 s; and the case lists computed each name's pinyin sort key in a",
        "background job, importing pypinyin while the window was being built, instead of using the",
        "key stored with the person. The probe runs with the program's modules compiled to",
        "bytecode, as an installed program has them: this machine sets PYTHONDONTWRITEBYTECODE, and",
        "compiling the program's own modules from source at every start cost about 0.2 s more. The",
        "timing varies by ±0.1 s from run to run on this shared machine.",
        "",
        *import_notes(v),
    ]
    if figures.notes:
        lines += ["", *[f"- {n}" for n in figures.notes]]
    scaling = json.loads(RESULTS.read_text()).get("scaling") if RESULTS.exists() else None
    if scaling:
        lines += ["", *render_scaling(scaling)]
    if CRASH_RESULTS.exists():
        lines += ["", *crash_section(json.loads(CRASH_RESULTS.read_text("utf-8")))]
    return "\n".join(lines) + "\n"


def import_notes(v: dict[str, Any]) -> list[str]:
    """What the import figure means and what limits it, in the words of this run's figures."""
    i = v.get("import")
    if not i or "raw_per_table" not in i:
        return []
    per = i["raw_per_table"]
    derived = sum(per[t]["rows"] for t in ("person_search_term", "audit_event", "sync_base") if t in per)
    met = (v["import_ratio_vs_sqlite"] >= GOALS["import_ratio_vs_sqlite"][1],
           v["import_peak_mb"] <= GOALS["import_peak_mb"][1])
    lines = [
        "",
        "The import baseline (`bench/run.py: raw_insert`): after the import, every row it wrote at",
        (f"the hub ({i['raw_rows']:,} rows: the package's {i['raw_records_rows']:,} records and the "
         f"{derived:,} rows the hub derives"),
        "from them: search terms, an audit line per person and per package, the shared state of each",
        "person) is read back in its stored form and inserted into an empty workspace database of the",
        f"same kind with the DBAPI's `executemany` (`{i['raw_dbapi']}`, taken from the hub engine: its",
        "`raw_connection()`, so the same module and connect-time settings, e.g. SQLCipher's key), one",
        "transaction per table, with the page cache the import gives itself (64 MiB). Only the",
        "`executemany` and `commit` calls are timed. It reads a table's rows in its stored order,",
        "which for the search terms (a WITHOUT ROWID table) is key order, the cheapest order to",
        "insert; the import can only sort a batch of people's terms. The figure against the",
        "package's records alone is in the row under it.",
        "",
        "The import (`sync.exchange.import_package`): the signature is checked over the whole file",
        "first, then the payload is decrypted, decompressed and parsed one 1 MiB chunk at a time",
        "(package format 2: JSON lines of 1,000 records of one table, positional, each value in the",
        "text form SQLite stores). A batch is checked column by column with set and string",
        "operations that run in C (types, lengths, UUID/date/time shapes, enum values, dates not in",
        "the future, referenced rows and people known, areas in the sender's scope, nothing held",
        "back as a duplicate); a batch that passes is inserted as it arrived with `executemany`, a",
        "batch that does not is gone through record by record for each record's outcome. People",
        "are decoded and go through the form's validation one by one, with their search terms, an",
        "audit line and their shared state built as stored tuples. The whole package is one",
        "transaction (all or nothing).",
        "",
        (f"Goals: ratio {'met' if met[0] else 'missed'}, memory {'met' if met[1] else 'missed'}. "
         "Where the import's time goes (py-spy at 100,000 people, 100 samples a second):"),
        "about 57 % in SQLite's inserts and the commit, the same work as the baseline's (the visits' and",
        "the search terms' indexes most); 23 % the people, 7 % of the records: each is decoded, goes",
        "through the form's validation (ID number, certificate, pinyin sort key) and gets about 20",
        "search terms, an audit line and a shared state; 8 % reading the package (decryption,",
        "decompression, JSON); 5 % the existence query of each batch; the rest the column checks.",
        "Peak memory is the process (about 115 MB of code and the pinyin tables), the 64 MiB page",
        "cache, a batch at a time and the lookup caches, which are bounded (200,000 ids of other",
        "records; 1,000,000 entries for the people and their areas).",
        "",
        "The ratio stood at 0.42–0.46 until two changes. The lookup caches were emptied all at once",
        "when they passed 200,000 entries, so that after the people every batch of the million visits",
        "asked the database again for its people and their areas (18 % of the import's time); now the",
        "largest cache is emptied first and the people's last. And each person's audit line was",
        "encoded as JSON twice and its ids and time parsed back; the chain is now put together around",
        "the parts that differ (`audit.chain_uniform`, tested to give exactly the links of",
        "`chain_rows`).",
    ]
    if not met[0]:
        lines += [
            "",
            (f"What the ratio goal would take: the import at ≤ {i['raw_sqlite_s'] / 0.5:.0f} s, i.e. "
             f"{i['seconds'] - i['raw_sqlite_s'] / 0.5:.0f} s less of that work"),
            "outside SQLite; the people's share is the lever (their checks are independent of each",
            "other and could run in a second process while the first inserts).",
        ]
    lines += [
        "",
        "Earlier runs (ratio 0.123, 678 MB) compared the import with the package's records only,",
        "inserted with SQLite's default 2 MiB page cache, and took the probe's peak from getrusage's",
        "ru_maxrss, which Linux carries over from the parent through fork and exec: that figure was",
        "largely the size of the bench process that started the probe (590 MB at the time). The",
        "probe now reads its own peak (VmHWM in /proc/self/status).",
    ]
    return lines


def crash_section(r: dict[str, Any]) -> list[str]:
    """The SIGKILL harness's figures (bench/crash_results.json, written by its test)."""
    m = r["modes"]
    rows = [
        ("save: people and visits, one unit of work each", m["save"],
         f"{m['save']['units_journaled']:,} journaled units, every one found whole"),
        (f"import at the county hub: one package of {r['package_records']:,} records", m["import"],
         f"{m['import']['recorded_when_killed']} recorded whole when killed, the rest not at all"),
        ("export at the village", m["export"],
         f"{m['export']['unrecorded_packages_left']} valid packages left unrecorded, "
         f"{m['export']['temp_files_left']} hidden .part files left"),
    ]
    return [
        "## Crash safety (SIGKILL harness)",
        "",
        f"`tests/crash/test_sigkill.py` (run by `scripts/test.sh`) kills the process with SIGKILL at a random",
        f"moment while it saves, imports or exports, then opens the workspace and checks it. Measured",
        f"{r['measured']}: **{r['kills']} kills, {r['failures']} failures**, {r['seconds']} s "
        f"({r['cpu_seconds']} CPU-seconds; two lanes on {r['cpus']} cores, load average "
        f"{r.get('load_average_5min', '?')} while it ran), seed {r['seed']}",
        "(`LIAISON_CRASH_KILLS` sets the number of kills, `LIAISON_CRASH_SEED` replays a plan).",
        "",
        "| mode | kills | mid-transaction | in it, nothing written yet | between | after it returned | failures "
        "| outcome |",
        "|---|---|---|---|---|---|---|---|",
        *[f"| {name} | {e['kills']} | {e['mid_transaction']} | {e['in_operation_no_write_pending']} | "
          f"{e['between']} | {e['after_completion']} | {e['failures']} | {note} |" for name, e, note in rows],
        "",
        "After every kill: `PRAGMA integrity_check` ok and no foreign-key errors (`db.check` through the",
        "workspace's engine). Save: every id the child had journaled (appended and fsynced right after",
        "each commit) is in the database, with at most one committed unit not yet journaled, and no",
        "person without its search terms and audit line, no visit without its need and follow-up.",
        "Import: the package's sync_package row and all its records are there, or nothing at all (every",
        "table's count equals the hub before, or after a complete import); importing it again succeeds",
        "and a further import changes nothing. Export: every file under a package name verifies",
        "(temporary files are hidden `.part` files), and the next export is a valid package under a new",
        "number holding every record, nothing having been acknowledged.",
        "",
        "Where each kill landed is read from a status byte the child keeps: \"mid-transaction\" means a",
        "transaction had written and not committed (engine events mark the first writing statement and",
        "the commit); \"in it, nothing written yet\" means inside the operation while it read, checked,",
        "encrypted or committed (an export writes its database only briefly, at either end, and the",
        "package file in between); \"between\" means between two saves (or just after a commit, before",
        "its journal line) or before the operation began; \"after\" once it had returned. The kills are",
        "forked from a process that has imported everything, each into a fresh copy of a prepared",
        "workspace; the delay is spread over the operation's measured length (0.6 s for the save loop),",
        "so the wall time depends on the machine's load and the CPU-seconds are the steadier figure.",
        "",
        "The harness found one fault, fixed: an export killed after its package got its final name but",
        "before it was recorded gave its number again, so the next export failed on the left-over file",
        "(6 of 40 export kills). The export now spends its number in a commit of its own first.",
        "A power cut is not simulated; workspaces run WAL with `synchronous = FULL`, so a commit is on",
        "the disk (the log fsynced) before the save returns, and a power cut cannot take it back.",
    ]


@contextmanager
def keys_in_files() -> Iterator[None]:
    """Workspace keys in passphrase files, as on a headless machine (and never in the runner's
    keyring), for the whole run."""
    from liaison.core import secrets

    keyring_usable = secrets.keyring_usable
    secrets.keyring_usable = lambda: False  # type: ignore[assignment]
    os.environ.setdefault(secrets.PASSPHRASE_ENV, "bench passphrase")
    try:
        yield
    finally:
        secrets.keyring_usable = keyring_usable  # type: ignore[assignment]


def run(persons: int, samples: int, write: bool, gui: bool = True) -> Figures:
    figures = Figures(persons)
    with keys_in_files():
        ws, path = county(persons, figures)
        try:
            measure_search(ws, figures, samples)
            measure_work_queue(ws, figures)
            measure_person_file(ws, figures, samples)
            measure_cases(ws, figures)
            measure_monthly(ws, figures, CACHE / "reports")
        finally:
            ws.close()
        measure_sync(path, figures)
    if gui:
        measure_gui(path, figures, max(2, samples // 10))
    if write:
        _carry_over_demo(figures)
        write_results(figures)
        REPORT.write_text(render_report(figures))
    return figures


# --- the scaling line: the same measures at ten times and a hundred times the work -------------

SCALING_SIZES = (1_000, 10_000, 100_000)  # people; about 9, 92 and 918 thousand visits
SCALING_MARK = "## Scaling"


def scaling_point(persons: int, samples: int) -> dict[str, Any]:
    """One size of the scaling line: the county's size and each measure with its cost per unit
    of work (per row for import and export, per 1,000 people for the county's 月报)."""
    figures = Figures(persons)
    ws, path = county(persons, figures)
    try:
        with ws.engine.connect() as conn:
            visits = int(conn.exec_driver_sql("SELECT count(*) FROM visit").scalar() or 0)
        measure_search(ws, figures, samples)
        measure_person_file(ws, figures, max(5, samples // 4))
        measure_monthly(ws, figures, CACHE / "reports")
    finally:
        ws.close()
    measure_sync(path, figures)
    v, imp = figures.values, figures.values["import"]
    people = v["monthly"]["county"]["people"]
    return {
        "persons": persons, "visits": visits, "rows": imp["rows"],
        "import_s": imp["seconds"], "import_us_per_row": round(imp["seconds"] / imp["rows"] * 1e6, 1),
        "import_peak_mb": v["import_peak_mb"], "import_ratio_vs_sqlite": v["import_ratio_vs_sqlite"],
        "raw_sqlite_s": imp["raw_sqlite_s"], "raw_us_per_row": round(imp["raw_sqlite_s"] / imp["raw_rows"] * 1e6, 1),
        "export_all_s": imp["export_all_s"], "export_us_per_row": round(imp["export_all_s"] / imp["rows"] * 1e6, 1),
        "search_p95_ms": v["search_p95_ms"], "open_person_p95_ms": v["open_person_ms"],
        "township_pdf_s": v["township_pdf_s"], "county_pdf_s": v["county_pdf_s"],
        "county_pdf_s_per_1000_people": round(v["county_pdf_s"] / max(1, people) * 1000, 3),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def measure_scaling(sizes: tuple[int, ...], samples: int) -> dict[str, Any]:
    with keys_in_files():
        points = [scaling_point(n, samples) for n in sizes]
    first, last = points[0], points[-1]
    growth = {key: round(last[key] / first[key], 2) if first[key] else None
              for key in ("import_us_per_row", "raw_us_per_row", "export_us_per_row", "county_pdf_s_per_1000_people",
                          "search_p95_ms", "open_person_p95_ms")}
    return {"measured_on": date.today().isoformat(), "cpu_count": os.cpu_count(), "points": points,
            "unit_cost_growth": growth}


def render_scaling(scaling: dict[str, Any]) -> list[str]:
    points = scaling["points"]
    growth = scaling["unit_cost_growth"]
    lines = [
        SCALING_MARK, "",
        f"Measured on {scaling['measured_on']} with `bench/run.py --scaling` ({scaling['cpu_count']} cores, shared: the",
        "load average at the end of each size is in the last row). Each size is its own synthetic county",
        "(seed 7); the work grows tenfold from column to column.",
        "",
        "| measure | " + " | ".join(f"{p['persons']:,} people, {p['visits']:,} visits" for p in points)
        + " | unit cost, largest ÷ smallest |",
        "|---|" + "---|" * (len(points) + 1),
    ]

    def row(label: str, cell: Any, key: str | None = None) -> None:
        change = growth.get(key) if key else None
        lines.append(f"| {label} | " + " | ".join(cell(p) for p in points)
                     + f" | {'—' if change is None else f'{change}×'} |")

    row("county import (rows in the package)", lambda p: f"{p['import_s']} s ({p['rows']:,} rows)")
    row("county import, µs per row", lambda p: f"{p['import_us_per_row']}", "import_us_per_row")
    row("raw executemany of every row the import writes, µs per row", lambda p: f"{p['raw_us_per_row']}",
        "raw_us_per_row")
    row("import ratio vs raw executemany; import peak", lambda p: f"{p['import_ratio_vs_sqlite']}; {p['import_peak_mb']} MB")
    row("export of all changes, µs per row", lambda p: f"{p['export_all_s']} s: {p['export_us_per_row']}",
        "export_us_per_row")
    row("search keystroke p95 (worst kind)", lambda p: f"{p['search_p95_ms']} ms", "search_p95_ms")
    row("opening a person's file (50+ visits) p95", lambda p: f"{p['open_person_p95_ms']} ms", "open_person_p95_ms")
    row("月报 PDF, one township / the county", lambda p: f"{p['township_pdf_s']} s / {p['county_pdf_s']} s")
    row("月报 PDF of the county, s per 1,000 people", lambda p: f"{p['county_pdf_s_per_1000_people']}",
        "county_pdf_s_per_1000_people")
    row("load average (1, 5, 15 min)", lambda p: ", ".join(str(x) for x in p["load_average"]))
    throughput = {k: growth[k] for k in ("import_us_per_row", "raw_us_per_row", "export_us_per_row",
                                         "county_pdf_s_per_1000_people") if growth.get(k) is not None}
    latency = {k: growth[k] for k in ("search_p95_ms", "open_person_p95_ms") if growth.get(k) is not None}
    work = points[-1]["rows"] / points[0]["rows"]
    worst = max(throughput.values(), default=None)
    lines += [
        "",
        f"The work grows {work:.0f}-fold from the smallest county to the largest. The cost per unit of work "
        f"(per row, per 1,000 people) grows at most {worst}× "
        + ("(≤ 1.5×: the cost grows no faster than the work, within the noise of a shared machine)"
           if worst is not None and worst <= 1.5 else "(more than 1.5×: that cost grows faster than the work)")
        + "; the latencies of one keystroke or one person's file grow "
        + ", ".join(f"{v}×" for v in latency.values()) + " while the county grows "
        + f"{work:.0f}-fold.",
    ]
    if len(points) >= 3:
        middle, last = points[-2], points[-1]
        lines += [
            "",
            "The smallest county's per-row figures carry the fixed costs of a run (opening the workspace,",
            "deriving the key, loading the pinyin tables). From the middle size to the largest the",
            (f"import's cost per row grows {last['import_us_per_row'] / middle['import_us_per_row']:.2f}× and "
             f"the baseline's {last['raw_us_per_row'] / middle['raw_us_per_row']:.2f}×: what"),
            "grows is SQLite's own cost per inserted row (deeper indexes, the same page cache over a",
            "database ten times larger), which the import shares. The search keystroke's p95 grows with",
            "the number of people whose names share the typed prefix, far slower than the county.",
        ]
    return lines


def write_scaling(scaling: dict[str, Any]) -> None:
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["scaling"] = scaling
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    report = REPORT.read_text() if REPORT.exists() else "# Benchmarks\n"
    # the scaling section and what follows it (the crash harness's) are written afresh, in the
    # order render_report gives them
    report = report.split(SCALING_MARK)[0].rstrip("\n")
    sections = render_scaling(scaling)
    if CRASH_RESULTS.exists():
        sections += ["", *crash_section(json.loads(CRASH_RESULTS.read_text("utf-8")))]
    REPORT.write_text(report + "\n\n" + "\n".join(sections) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=200, help="people whose names are typed")
    parser.add_argument("--write", action="store_true", help="update bench/results.json and BENCHMARKS.md")
    parser.add_argument("--no-gui", action="store_true", help="skip the window measurements")
    parser.add_argument("--scaling", action="store_true",
                        help="the scaling line instead: the same measures at 1,000, 10,000 and 100,000 people")
    args = parser.parse_args()
    if args.scaling:
        scaling = measure_scaling(SCALING_SIZES, min(args.samples, 50))
        if args.write:
            write_scaling(scaling)
        print(json.dumps(scaling, ensure_ascii=False, indent=2))
        return 0
    figures = run(args.persons, args.samples, args.write, gui=not args.no_gui)
    print(json.dumps(figures.values, ensure_ascii=False, indent=2))
    for note in figures.notes:
        print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
