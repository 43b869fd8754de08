"""The process the crash harness kills with SIGKILL: it saves, imports or exports and nothing else.

One status byte (offset 0 of the --status file, written with pwrite so it survives the kill in
the page cache) tells the harness where the process was when it died:

    "-"  not started yet (the harness writes it)
    "B"  busy, outside the operation (between saves; before the import or export begins)
    "T"  inside the operation with no write pending (reading, checking, encrypting, committing)
    "W"  inside a transaction that has written and not yet committed (set by engine events)
    "J"  save only: committed, the journal line not yet written
    "D"  import or export returned (the process exits right after)

The harness forks this module's `run()` from a process that has imported everything already (a
lean start); to replay one case by hand, run it on its own:

    python -m tests.crash.child save   --db FILE --journal FILE --status FILE --seed N
    python -m tests.crash.child import --db FILE --status FILE --package FILE --accept FINGERPRINT
    python -m tests.crash.child export --db FILE --status FILE --out DIR

The environment must carry LIAISON_PASSPHRASE (the key store's passphrase).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine, event

from liaison.bootstrap import Workspace, open_workspace
from liaison.core.enums import ContactMode, NeedKind, VisitKind
from liaison.core.services import persons, visits
from liaison.core.services.areas import get_area_by_code
from liaison.sync import exchange
from tests.core.services.helpers import person_input

# the day every service call in the harness takes as today
TODAY = date(2026, 11, 25)
VILLAGE = "220202100001"
# births of the people the save loop creates: apart from the template's, so no 身份证号 repeats
SAVE_BIRTHS = date(1975, 1, 1)
SEQUENCES = 900  # distinct sequence numbers per birth date (11 … 910)


def unique_id_fields(n: int, first_birth: date) -> dict[str, object]:
    """Birth date and sequence of the n-th generated person (valid, never repeated)."""
    return {"birth": first_birth + timedelta(days=n // SEQUENCES), "sequence": 11 + n % SEQUENCES}


def visit_input(person_id: object, n: int) -> visits.VisitInput:
    """A home visit that raises one need with one follow-up: three rows that stand or fall together."""
    return visits.VisitInput(
        person_id=person_id, visit_date=TODAY - timedelta(days=n % 30), kind=VisitKind.ROUTINE,
        contact_mode=ContactMode.HOME, visitor_name="李专委",
        needs=[visits.NeedInput(NeedKind.REHABILITATION, f"需要康复训练（第 {n} 次走访）")],
        follow_ups=[visits.FollowUpInput("联系康复机构", TODAY + timedelta(days=14), need_index=0)],
    )


class Status:
    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_WRONLY)
        self.phase = b"-"

    def __call__(self, phase: bytes) -> None:
        if phase != self.phase:
            os.pwrite(self._fd, phase, 0)
            self.phase = phase

    def watch_writes(self, engine: Engine) -> None:
        """"W" from the first statement that writes until the transaction ends."""

        def before_execute(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            if self.phase == b"T" and statement.lstrip()[:6].upper() not in ("SELECT", "PRAGMA"):
                self(b"W")

        def ended(_conn: object) -> None:
            if self.phase == b"W":
                self(b"T")

        event.listen(engine, "before_cursor_execute", before_execute)
        event.listen(engine, "commit", ended)
        event.listen(engine, "rollback", ended)


def _url(path: str) -> str:
    return f"sqlite:///{path}"


def run_save(ws: Workspace, journal: Path, status: Status, seed: int) -> None:
    """Create people and record visits, one unit of work each, until killed; after each commit
    the ids it stored go to the journal (appended, flushed, fsynced)."""
    rng = random.Random(seed)
    actor = ws.system_actor
    with ws.uow() as uow:
        area_id = get_area_by_code(uow, VILLAGE).id
    people: list[object] = []
    with open(journal, "a", encoding="ascii") as log:
        for n in range(10**9):
            status(b"T")
            with ws.uow() as uow:
                if not people or rng.random() < 0.4:
                    saved = persons.create_person(uow, actor, person_input(
                        area_id, name="赵建国", **unique_id_fields(n, SAVE_BIRTHS)), today=TODAY)
                    line = f"person {saved.person_id}\n"
                    people.append(saved.person_id)
                else:
                    done = visits.record_visit(uow, actor, visit_input(rng.choice(people), n), today=TODAY)
                    line = f"visit {done.visit_id} {done.need_ids[0]} {done.follow_up_ids[0]}\n"
                uow.commit()
            status(b"J")
            log.write(line)
            log.flush()
            os.fsync(log.fileno())
            status(b"B")


def run_import(ws: Workspace, package: Path, fingerprint: str, status: Status) -> None:
    store = exchange.secret_store(ws)
    status(b"T")
    result = exchange.import_package(ws, store, package, accept_device=fingerprint, today=TODAY)
    status(b"D")
    if result.status != "imported":
        raise SystemExit(f"import ended {result.status}: {result.message}")


def run_export(ws: Workspace, out_dir: Path, status: Status) -> None:
    store = exchange.secret_store(ws)
    status(b"T")
    exchange.export_changes(ws, store, out_dir)
    status(b"D")


def run(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.crash.child")
    parser.add_argument("mode", choices=["save", "import", "export"])
    parser.add_argument("--db", required=True)
    parser.add_argument("--status", required=True, type=Path)
    parser.add_argument("--journal", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--package", type=Path)
    parser.add_argument("--accept")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    status = Status(args.status)
    ws = open_workspace(_url(args.db))
    status.watch_writes(ws.engine)
    status(b"B")
    if args.mode == "save":
        run_save(ws, args.journal, status, args.seed)
    elif args.mode == "import":
        run_import(ws, args.package, args.accept, status)
    else:
        run_export(ws, args.out, status)
    ws.close()


if __name__ == "__main__":
    run(sys.argv[1:])
