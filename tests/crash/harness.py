"""The SIGKILL harness: kill a process at a random moment while it saves, imports or exports,
then open the workspace and check that nothing committed is missing and nothing is half done.

    python -m tests.crash.harness prepare DIR [--people N]      # template workspaces and a package
    python -m tests.crash.harness lane DIR JOBS.json RESULTS.jsonl  # run kills (mode, seed) in order
    python -m tests.crash.harness replay DIR MODE SEED           # one kill (preparing DIR if new)

Templates are built once and copied for every kill (a whole folder: database, key file). The
killed process is forked from the lane process, which has imported everything already, so a
kill costs the work, not Python's start. Each kill's random delay comes from its seed; the
seed replays the same data and delay (not the same instruction: timing is the machine's).
Run with the environment the tests give it (LIAISON_PASSPHRASE for the key stores).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sys
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, inspect, select, text

from liaison.bootstrap import Workspace, open_workspace
from liaison.core import db
from liaison.core.models import AuditEvent, FollowUp, Need, Person, PersonSearchTerm, SyncPackage, Visit
from liaison.core.services import areas, persons, visits
from liaison.core.sync_records import DEVICE_TABLES
from liaison.sync import exchange
from liaison.sync.keys import PeerKeys, load_identity
from liaison.sync.package import SUFFIX, read_records, verify_signature
from liaison.core.secrets import open_secret_store
from tests.core.services.helpers import person_input
from tests.crash import child
from tests.sync.conftest import AREAS, VILLAGE

MODES = ("save", "import", "export")
DB_NAME = "liaison.db"
# how long the save loop may run before the kill (it never ends by itself)
SAVE_SPAN = 0.6
# kills are spread over the operation's measured time and a little past its end
SPAN_MARGIN = 1.1
TEMPLATE_BIRTHS = child.SAVE_BIRTHS.replace(year=1940)


def url_of(folder: Path) -> str:
    return f"sqlite:///{folder / DB_NAME}"


@contextmanager
def opened(folder: Path) -> Iterator[Workspace]:
    ws = open_workspace(url_of(folder))
    try:
        yield ws
    finally:
        ws.close()


def table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        names = sorted(inspect(conn).get_table_names())
        return {name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in names}


def checkpoint(ws: Workspace) -> None:
    """Fold the WAL into the file, so a template is one file to copy."""
    with ws.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


# --- templates ---------------------------------------------------------------------------------


def _new_site(folder: Path) -> Workspace:
    folder.mkdir(parents=True)
    ws = open_workspace(url_of(folder))
    with ws.uow() as uow:
        for code, name, level, parent in AREAS:
            areas.create_area(uow, ws.system_actor, code=code, name=name, level=level, parent_code=parent)
        uow.commit()
    return ws


def prepare(root: Path, people: int) -> dict[str, Any]:
    """The county hub, an enrolled village with `people` people (one visit, need and follow-up
    each) and a package of all of it for the hub: the manifest the lanes read."""
    hub = _new_site(root / "hub")
    hub_store = exchange.secret_store(hub)
    exchange.hub_init(hub, hub_store, root / "setup.json", county_name="昌邑区")
    village = _new_site(root / "village")
    store = exchange.secret_store(village)
    identity = exchange.enrol(village, store, root / "setup.json", area_code=VILLAGE)
    actor = village.system_actor
    with village.uow() as uow:
        area_id = areas.get_area_by_code(uow, VILLAGE).id
        for n in range(people):
            saved = persons.create_person(uow, actor, person_input(
                area_id, name="孙桂芝", **child.unique_id_fields(n, TEMPLATE_BIRTHS)), today=child.TODAY)
            visits.record_visit(uow, actor, child.visit_input(saved.person_id, n), today=child.TODAY)
        uow.commit()
    manifest = {
        "people": people,
        "hub_device_id": hub.device_id,
        "hub_key_file": str(hub_store.path),  # type: ignore[attr-defined]
        "village_device_id": village.device_id,
        "fingerprint": identity.fingerprint,
        "village_sign_public": identity.sign_public.hex(),
        "village_box_public": identity.box_public.hex(),
        "hub_counts": table_counts(hub.engine),
        "village_counts": table_counts(village.engine),
    }
    for ws in (hub, village):
        checkpoint(ws)
        ws.close()
    # the package is exported from a copy: the village template stays with nothing written
    scratch = root / "scratch"
    shutil.copytree(root / "village", scratch)
    (root / "package").mkdir()
    with opened(scratch) as ws:
        result = exchange.export_changes(ws, exchange.secret_store(ws), root / "package")
    shutil.rmtree(scratch)
    manifest.update(package=str(result.path), package_id=result.package_id, package_counts=result.counts,
                    package_records=sum(result.counts.values()))
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False), "utf-8")
    return manifest


# --- one kill ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    mode: str
    seed: int
    delay: float = 0.0
    phase: str = ""  # the child's status byte when it died (see child.py)
    completed: bool = False  # the operation ended before the kill arrived
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def landed(self) -> str:
        """mid (a transaction had written, not committed), operation (inside the operation, no
        write pending), between (between saves, before the operation), after (it had returned)."""
        if self.completed or self.phase == "D":
            return "after"
        return {"W": "mid", "T": "operation"}.get(self.phase, "between")


class Lane:
    """Runs kills one after another in a work folder; what every check needs is loaded once."""

    def __init__(self, root: Path, work: Path) -> None:
        self.root, self.work = root, work
        self.manifest = json.loads((root / "manifest.json").read_text("utf-8"))
        self.package = Path(self.manifest["package"])
        self.spans: dict[str, float] = {"save": SAVE_SPAN}
        self.after: dict[str, dict[str, int]] = {}  # table counts once the operation completed
        self.village_keys = PeerKeys(self.manifest["village_device_id"],
                                     bytes.fromhex(self.manifest["village_sign_public"]),
                                     bytes.fromhex(self.manifest["village_box_public"]))
        hub_store = open_secret_store(self.manifest["hub_device_id"], Path(self.manifest["hub_key_file"]))
        hub = load_identity(hub_store, "hub", self.manifest["hub_device_id"], create=False)
        assert hub is not None, "the hub template has no keys"
        self.hub_identity = hub

    # the child ------------------------------------------------------------------------------

    def _case(self, mode: str, seed: int) -> Path:
        case = self.work / f"{mode}-{seed}"
        if case.exists():
            shutil.rmtree(case)
        shutil.copytree(self.root / ("hub" if mode == "import" else "village"), case)
        (case / "status").write_bytes(b"-")
        (case / "out").mkdir()
        return case

    def _argv(self, mode: str, case: Path, seed: int) -> list[str]:
        argv = [mode, "--db", str(case / DB_NAME), "--status", str(case / "status")]
        if mode == "save":
            argv += ["--journal", str(case / "journal"), "--seed", str(seed)]
        elif mode == "import":
            argv += ["--package", str(self.package), "--accept", self.manifest["fingerprint"]]
        else:
            argv += ["--out", str(case / "out")]
        return argv

    def _fork(self, argv: list[str]) -> int:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: do the work, never return into the lane
            code = 0
            try:
                child.run(argv)
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                sys.stderr.flush()
                os._exit(code)
        return pid

    def _phase(self, case: Path) -> str:
        return (case / "status").read_bytes()[:1].decode("ascii")

    def _wait_started(self, pid: int, case: Path) -> int | None:
        """Wait until the child has opened its workspace; its exit status if it ended first."""
        deadline = time.monotonic() + 60
        while self._phase(case) == "-":
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                return os.waitpid(pid, 0)[1]
            time.sleep(0.001)
        return None

    def calibrate(self, mode: str) -> None:
        """Run the operation to its end once: how long it takes, and the counts it leaves."""
        if mode == "save" or mode in self.after:
            return
        case = self._case(mode, -1)
        pid = self._fork(self._argv(mode, case, 0))
        early = self._wait_started(pid, case)
        started = time.monotonic()
        status = early if early is not None else os.waitpid(pid, 0)[1]
        self.spans[mode] = (time.monotonic() - started) * SPAN_MARGIN
        if not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
            raise RuntimeError(f"{mode}: the uninterrupted run failed (status {status})")
        with opened(case) as ws:
            self.after[mode] = table_counts(ws.engine)
        shutil.rmtree(case)

    def kill_once(self, mode: str, seed: int) -> Outcome:
        self.calibrate(mode)
        rng = random.Random(f"{mode}:{seed}")
        outcome = Outcome(mode, seed, delay=round(rng.uniform(0, self.spans[mode]), 4))
        began = time.monotonic()
        case = self._case(mode, seed)
        pid = self._fork(self._argv(mode, case, seed))
        status = self._wait_started(pid, case)
        if status is None:
            time.sleep(outcome.delay)
            os.kill(pid, signal.SIGKILL)
            status = os.waitpid(pid, 0)[1]
        outcome.phase = self._phase(case)
        if os.WIFEXITED(status):
            outcome.completed = True
            if os.WEXITSTATUS(status) != 0:
                outcome.problems.append(f"the child failed on its own (exit {os.WEXITSTATUS(status)})")
        elif os.WTERMSIG(status) != signal.SIGKILL:
            outcome.problems.append(f"the child died of signal {os.WTERMSIG(status)}")
        try:
            with opened(case) as ws:
                report = db.check(ws.engine)
                if not report.ok:
                    outcome.problems.append(f"db check: {report}")
                getattr(self, f"check_{mode}")(ws, case, outcome)
        except Exception as exc:  # a check that cannot even run is a failure of this kill
            outcome.problems.append(f"{type(exc).__name__}: {exc}")
            traceback.print_exc()
        outcome.seconds = round(time.monotonic() - began, 3)
        if not outcome.problems:
            shutil.rmtree(case)
        else:
            outcome.notes["kept"] = str(case)
        return outcome

    # the checks -----------------------------------------------------------------------------

    def check_save(self, ws: Workspace, case: Path, outcome: Outcome) -> None:
        """Every unit the journal holds is stored whole; at most one more (committed, not yet
        journaled) exists; no person or visit is stored without the rows saved with it."""
        journal = case / "journal"
        text_ = journal.read_text("ascii") if journal.exists() else ""
        lines = [line.split() for line in text_.split("\n")[:-1]]  # a cut last line was never promised
        people = [uuid.UUID(parts[1]) for parts in lines if parts[0] == "person"]
        visit_rows = [[uuid.UUID(p) for p in parts[1:]] for parts in lines if parts[0] == "visit"]
        outcome.notes["units_journaled"] = len(lines)
        base = self.manifest["village_counts"]
        with ws.uow() as uow:
            s = uow.session
            found = set(s.scalars(select(Person.id).where(Person.id.in_(people)))) if people else set()
            if missing := set(people) - found:
                outcome.problems.append(f"{len(missing)} journaled people missing, e.g. {sorted(missing)[0]}")
            for visit_id, need_id, follow_up_id in visit_rows:
                if (s.get(Visit, visit_id) is None or s.get(Need, need_id) is None
                        or s.get(FollowUp, follow_up_id) is None):
                    outcome.problems.append(f"journaled visit {visit_id} (or its need, follow-up) missing")
            n_people = s.scalar(select(func.count()).select_from(Person))
            n_visits = s.scalar(select(func.count()).select_from(Visit))
            stored = n_people - base["person"] + n_visits - base["visit"]
            outcome.notes["units_stored"] = stored
            if not len(lines) <= stored <= len(lines) + 1:
                outcome.problems.append(f"{stored} units stored, {len(lines)} journaled")
            no_terms = s.scalar(select(func.count()).select_from(Person).where(
                ~select(PersonSearchTerm.search_no).where(PersonSearchTerm.search_no == Person.search_no).exists()))
            no_audit = s.scalar(select(func.count()).select_from(Person).where(
                ~select(AuditEvent.seq).where(AuditEvent.entity == "person", AuditEvent.entity_id == Person.id)
                .exists()))
            needs = s.scalar(select(func.count()).select_from(Need).where(Need.raised_visit_id.is_not(None)))
            follow_ups = s.scalar(select(func.count()).select_from(FollowUp).where(FollowUp.visit_id.is_not(None)))
            if no_terms or no_audit:
                outcome.problems.append(f"people without search terms: {no_terms}, without audit: {no_audit}")
            if not n_visits == needs == follow_ups:
                outcome.problems.append(f"visits {n_visits}, their needs {needs}, follow-ups {follow_ups}: a visit "
                                        "was stored in part")

    def _counts_state(self, counts: dict[str, int], mode: str, base_key: str,
                      ignore: tuple[str, ...] = ()) -> str:
        """"none" or "all" of what the completed operation adds to each table, else what differs."""
        before = {t: n for t, n in self.manifest[base_key].items() if t not in ignore}
        counts = {t: n for t, n in counts.items() if t not in ignore}
        if counts == before:
            return "none"
        after = {t: n for t, n in self.after[mode].items() if t not in ignore}
        if counts == after:
            return "all"
        changed = {t: (before.get(t), counts.get(t), after.get(t))
                   for t in counts if counts[t] not in (before.get(t), after.get(t))}
        return f"partial {changed}"

    def check_import(self, ws: Workspace, case: Path, outcome: Outcome) -> None:
        """The package is all there (its sync_package row and every record) or not at all; then
        importing it succeeds, and importing it once more changes nothing."""
        package_id = self.manifest["package_id"]
        with ws.uow() as uow:
            recorded = uow.session.get(SyncPackage, package_id) is not None
        state = self._counts_state(table_counts(ws.engine), "import", "hub_counts")
        outcome.notes["recorded"] = recorded
        if state != ("all" if recorded else "none"):
            outcome.problems.append(f"package recorded={recorded} but the hub holds {state} of it")
            return
        store = exchange.secret_store(ws)
        again = exchange.import_package(ws, store, self.package, accept_device=self.manifest["fingerprint"],
                                        today=child.TODAY)
        expected = "already-imported" if recorded else "imported"
        if again.status != expected:
            outcome.problems.append(f"import after the kill: {again.status} ({again.message}), expected {expected}")
        counts = table_counts(ws.engine)
        if counts != self.after["import"]:
            held = self._counts_state(counts, "import", "hub_counts")
            outcome.problems.append(f"after the re-import the hub holds {held}")
        third = exchange.import_package(ws, store, self.package, accept_device=self.manifest["fingerprint"],
                                        today=child.TODAY)
        if third.status != "already-imported" or table_counts(ws.engine) != counts:
            outcome.problems.append(f"a further re-import changed something ({third.status})")

    def check_export(self, ws: Workspace, case: Path, outcome: Outcome) -> None:
        """No file under a package name fails verification (temporary files are hidden .part
        files); the next export holds every record, nothing having been acknowledged."""
        out = case / "out"
        # the export spends its number (a setting) in a commit of its own before writing
        state = self._counts_state(table_counts(ws.engine), "export", "village_counts", ignore=("setting",))
        if state not in ("none", "all"):
            outcome.problems.append(f"the village holds {state} of the export's bookkeeping")
        with ws.uow() as uow:
            written = list(uow.session.scalars(select(SyncPackage.file_name).where(SyncPackage.direction == "out")))
        outcome.notes["recorded"] = bool(written)
        temp_left, seqs_on_stick = 0, set()
        for path in sorted(out.iterdir()):
            if path.name.startswith(".") and path.name.endswith(".part"):
                temp_left += 1
            elif path.suffix == SUFFIX and not path.name.startswith("."):
                try:
                    seqs_on_stick.add(verify_signature(path, expected_sender=self.village_keys).seq)
                except Exception as exc:
                    outcome.problems.append(f"{path.name} fails verification: {exc}")
            else:
                outcome.problems.append(f"unexpected file {path.name}")
        outcome.notes["temp_left"] = temp_left
        for name in written:
            if not (out / name).exists():
                outcome.problems.append(f"the export recorded {name} but the file is not there")
        result = exchange.export_changes(ws, exchange.secret_store(ws), out)
        header = verify_signature(result.path, expected_sender=self.village_keys)
        if header.seq in seqs_on_stick:
            outcome.problems.append(f"the next export reused number {header.seq} of a package left by the killed one")
        outcome.notes["left_unrecorded"] = len(seqs_on_stick) - len(written)
        sent = {(name, row[columns.index("id")])
                for name, columns, rows in read_records(result.path, header, self.hub_identity) for row in rows}
        with ws.engine.connect() as conn:
            held = {(name, str(uuid.UUID(str(row_id))).replace("-", "")) for name in DEVICE_TABLES
                    for (row_id,) in conn.execute(text(f'SELECT id FROM "{name}"'))}
        sent_norm = {(name, str(row_id).replace("-", "")) for name, row_id in sent}
        if sent_norm != held:
            outcome.problems.append(f"the next export holds {len(sent_norm)} records, the village "
                                    f"{len(held)} not acknowledged")


# --- command line ----------------------------------------------------------------------------


def run_lane(root: Path, jobs: list[tuple[str, int]], results: Path, work: Path) -> None:
    lane = Lane(root, work)
    with open(results, "a", encoding="utf-8") as out:
        for mode, seed in jobs:
            outcome = lane.kill_once(mode, seed)
            out.write(json.dumps({**asdict(outcome), "landed": outcome.landed,
                                  "span": round(lane.spans[mode], 3)}, ensure_ascii=False) + "\n")
            out.flush()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.crash.harness")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("root", type=Path)
    p.add_argument("--people", type=int, default=1000)
    p = sub.add_parser("lane")
    p.add_argument("root", type=Path)
    p.add_argument("jobs", type=Path)
    p.add_argument("results", type=Path)
    p = sub.add_parser("replay")
    p.add_argument("root", type=Path)
    p.add_argument("mode", choices=MODES)
    p.add_argument("seed", type=int)
    p.add_argument("--people", type=int, default=1000, help="when DIR is not prepared yet")
    args = parser.parse_args(argv)
    if args.command == "prepare":
        prepare(args.root, args.people)
    elif args.command == "lane":
        jobs = [(mode, int(seed)) for mode, seed in json.loads(args.jobs.read_text("utf-8"))]
        work = args.results.with_suffix(".work")
        work.mkdir(exist_ok=True)
        run_lane(args.root, jobs, args.results, work)
    else:
        if not (args.root / "manifest.json").exists():
            prepare(args.root, args.people)
        work = args.root / "replay"
        work.mkdir(exist_ok=True)
        outcome = Lane(args.root, work).kill_once(args.mode, args.seed)
        print(json.dumps(asdict(outcome), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
