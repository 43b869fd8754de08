# Sourced by run.sh and test.sh: make sure .venv exists with the project installed, and that
# the few system libraries Qt needs are present. Safe to run again; does nothing when ready.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STAMP="$VENV/.liaison-installed"

find_python() {
    for candidate in python3.11 python3.12 python3.13 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "需要 Python 3.11 或更新版本 (Python 3.11+ is required)" >&2
    return 1
}

# Qt's offscreen and xcb platforms load these at run time (Debian/Ubuntu package names).
QT_DEBS="libegl1 libgl1 libxkbcommon0 libfontconfig1 libfreetype6 libglib2.0-0 libdbus-1-3"
# the report tests check embedded fonts (pdffonts) and render pages (pdftoppm); the installer
# tests build the Windows setup program with makensis (nsis); the county-hub tests run on a
# throwaway PostgreSQL server too (postgresql)
TEST_DEBS="poppler-utils nsis postgresql"
XCB_DEBS="libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0 libx11-xcb1"

ensure_debs() {
    command -v dpkg-query >/dev/null 2>&1 || return 0   # not a Debian-like system
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
            echo "缺少系统软件包（请让管理员安装）：${missing[*]}" >&2
            return 0
        fi
    fi
    echo "安装系统软件包：${missing[*]}" >&2
    $sudo apt-get update -qq >/dev/null || true
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_venv() {
    local extras="$1"
    if [ ! -x "$VENV/bin/python" ]; then
        local py
        py="$(find_python)"
        echo "创建虚拟环境 .venv ($py)" >&2
        "$py" -m venv "$VENV"
    fi
    # reinstall only when the dependency list changed
    local want
    want="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)-$extras"
    if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want" ]; then
        echo "安装依赖 ($extras)……" >&2
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$ROOT[$extras]"
        echo "$want" >"$STAMP"
    fi
}
