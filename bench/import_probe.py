"""One county import, alone in its process so its peak memory is its own.

    python bench/import_probe.py HUB.db PACKAGE FINGERPRINT  → one JSON line
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from liaison.bootstrap import open_workspace  # noqa: E402
from liaison.core import secrets  # noqa: E402
from liaison.sync import exchange  # noqa: E402


def peak_mb() -> float:
    """This process's own peak resident memory. Not getrusage's ru_maxrss: Linux carries that
    over from the parent through fork and exec, so a child started by a big bench process would
    report the parent's size at the fork."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    hub_path, package, fingerprint = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    secrets.keyring_usable = lambda: False  # the bench keeps keys in passphrase files
    os.environ.setdefault(secrets.PASSPHRASE_ENV, "bench passphrase")
    ws = open_workspace(f"sqlite:///{hub_path}")
    store = exchange.secret_store(ws)
    started = time.perf_counter()
    result = exchange.import_package(ws, store, package, accept_device=fingerprint, today=date(2026, 11, 25))
    seconds = time.perf_counter() - started
    ws.close()
    print(json.dumps({"status": result.status, "message": result.message, "seconds": round(seconds, 2),
                      "peak_mb": round(peak_mb()),
                      "counts": dict(result.counts),
                      "errors": [(o.table, o.detail) for o in (result.report.errors if result.report else [])][:5]},
                     ensure_ascii=False))


if __name__ == "__main__":
    main()
