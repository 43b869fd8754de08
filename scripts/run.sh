#!/usr/bin/env bash
# Start Liaison (the window). Extra arguments go to the program, e.g. `--db other.db`.
source "$(dirname "${BASH_SOURCE[0]}")/dev-env.sh"
ensure_debs $QT_DEBS $XCB_DEBS
ensure_venv "gui,dev"
exec "$VENV/bin/liaison" "$@"
