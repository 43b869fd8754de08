"""`liaison` with no arguments opens the window; with arguments it is the command line."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from liaison.cli.main import run_cli

    return run_cli(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
