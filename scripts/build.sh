#!/usr/bin/env bash
# Build the Linux bundle (dist/liaison/, one folder made by PyInstaller from installer/liaison.spec)
# and smoke-test the frozen program; then pack it as dist/liaison-VERSION-linux-ARCH.tar.gz.
#
#   bash scripts/build.sh           build, check, pack   (PyInstaller takes a few minutes)
#   bash scripts/build.sh --check   only check the bundle already in dist/liaison
#
# Run on demand (not in every CI run). Exits non-zero on the first failed check.
# The Windows setup program is built on Windows from the same spec, then with makensis: README.
source "$(dirname "${BASH_SOURCE[0]}")/dev-env.sh"

MODE=build
case "${1:-}" in
    "") ;;
    --check) MODE=check ;;
    -h | --help) sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "用法 (usage): bash scripts/build.sh [--check]" >&2; exit 2 ;;
esac

DIST="$ROOT/dist"
BUNDLE="$DIST/liaison"
PROGRAM="$BUNDLE/liaison"
SMOKE_MONTH=2026-10
SMOKE_TODAY=2026-11-25

step() { printf '\n== %s\n' "$*"; }
ok() { printf '  ✓ %s\n' "$*"; CHECKED+=("$*"); }
fail() { printf '  ✗ 失败 (FAILED): %s\n' "$*" >&2; exit 1; }
CHECKED=()

ensure_debs $QT_DEBS $TEST_DEBS   # Qt's libraries; pdffonts (poppler-utils)
ensure_venv "gui,dev"
PY="$VENV/bin/python"
VERSION="$("$PY" -c 'import liaison; print(liaison.__version__)')"

if [ "$MODE" = build ]; then
    if ! "$PY" -c 'import PyInstaller' 2>/dev/null; then
        step "安装 PyInstaller (installing PyInstaller into .venv)"
        "$PY" -m pip install -q --disable-pip-version-check pyinstaller
    fi
    step "PyInstaller $("$PY" -m PyInstaller --version) → dist/liaison (a few minutes)"
    started=$(date +%s)
    cd "$ROOT"
    "$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
        --distpath "$DIST" --workpath "$ROOT/build" installer/liaison.spec
    BUILD_SECONDS=$(($(date +%s) - started))
    # what the Linux user needs beside the program: the menu entry, its icon, the installer
    cp installer/liaison.desktop resources/icons/liaison.png "$BUNDLE/"
    cp installer/install-linux.sh "$BUNDLE/install.sh"
    chmod +x "$BUNDLE/install.sh"
fi

[ -x "$PROGRAM" ] || fail "没有找到 $PROGRAM（先运行 bash scripts/build.sh）(no bundle: build it first)"

step "检查冻结程序 (checking the frozen program)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# a private home: the checks never touch the real data folder, settings or logs
export HOME="$WORK/home" XDG_DATA_HOME="$WORK/data" XDG_CONFIG_HOME="$WORK/config" \
    XDG_STATE_HOME="$WORK/state" XDG_CACHE_HOME="$WORK/cache"
unset LIAISON_DB
# a headless build machine has no system keyring: the database and device keys take a
# passphrase; the demo workspace's administrator logs in (the CLI and the window's probe)
export LIAISON_PASSPHRASE="build-smoke-test-only" LIAISON_USER=admin LIAISON_PASSWORD=demo1234
mkdir -p "$HOME"
cd "$WORK"
run() { "$PROGRAM" "$@" >"$WORK/out" 2>"$WORK/err"; }
show_err() { tail -n 20 "$WORK/err" >&2; LOG="$(find "$XDG_STATE_HOME" -name liaison.log 2>/dev/null | head -1)"; [ -n "$LOG" ] && tail -n 30 "$LOG" >&2; return 0; }

# 1. the version
run --version || { show_err; fail "liaison --version"; }
[ "$(cat "$WORK/out")" = "liaison $VERSION" ] || fail "版本应为 liaison $VERSION，实为 $(cat "$WORK/out")"
ok "版本 (version): $(cat "$WORK/out")"

# 2. the parts that must be inside the bundle
INTERNAL="$BUNDLE/_internal"
for part in resources/fonts/NotoSansSC-Regular.ttf resources/rules/defaults.toml resources/icons/liaison.png \
    liaison/core/migrations/env.py liaison/core/migrations/script.py.mako \
    PySide6/Qt/plugins/platforms/libqoffscreen.so PySide6/Qt/plugins/platforms/libqxcb.so; do
    [ -e "$INTERNAL/$part" ] || fail "包里缺少 (missing from the bundle): $part"
done
for migration in "$ROOT"/liaison/core/migrations/versions/*.py; do
    [ -e "$INTERNAL/liaison/core/migrations/versions/$(basename "$migration")" ] ||
        fail "包里缺少迁移 (migration missing): $(basename "$migration")"
done
find "$INTERNAL" -name 'libpdfium*' | grep -q . || fail "包里缺少 pdfium (pypdfium2's library missing)"
# the modules inside the program's archive
"$VENV/bin/pyi-archive_viewer" -r -b "$PROGRAM" >"$WORK/modules" 2>/dev/null ||
    fail "无法读取程序的模块清单 (pyi-archive_viewer failed)"
for module in liaison.gui.main_window liaison.gui.about liaison.reports.monthly_pdf alembic.op pypdfium2; do
    grep -qx " *$module" "$WORK/modules" || fail "包里缺少模块 (module missing): $module"
done
optional=""
for module in keyring sqlcipher3; do   # collected only when installed where the build runs
    if "$PY" -c "import $module" 2>/dev/null; then
        grep -qx " *$module" "$WORK/modules" || fail "已安装但没有打包 (installed, not bundled): $module"
        optional="$optional $module"
    fi
done
if [[ " $optional " == *" keyring "* ]]; then
    grep -q "^ *keyring\.backends\.SecretService$" "$WORK/modules" || fail "keyring 的后端没有打包 (keyring backends missing)"
fi
ok "资源、迁移、Qt 平台插件、pdfium 都在包里 (resources, migrations, Qt platform plugins, pdfium)${optional:+；可选部件 (optional):$optional}"

# 3. a demo workspace: a new database, every migration run by the frozen program
run --db "$WORK/demo.db" --today "$SMOKE_TODAY" demo --persons 50 || { show_err; fail "liaison demo"; }
run --db "$WORK/demo.db" db check --json || { show_err; fail "liaison db check"; }
grep -q '"ok": true' "$WORK/out" || fail "db check: $(cat "$WORK/out")"
ok "演示工作区 (demo workspace): 50 人 (people); db check ok"

# 4. an older database (schema 0002) upgraded by the frozen program, rows kept
"$PY" - "$WORK/old.db" <<'EOF' || fail "无法生成旧版数据库 (could not make the 0002 database)"
import sys
from liaison.core import db
engine = db.create_db_engine(f"sqlite:///{sys.argv[1]}")
db.upgrade(engine, "0002")
with engine.begin() as conn:
    conn.exec_driver_sql("INSERT INTO setting (key, value) VALUES ('workspace_name', '\"旧版工作区\"')")
engine.dispose()
EOF
run --db "$WORK/old.db" db check --json || { show_err; fail "升级旧版数据库 (upgrading a 0002 database)"; }
HEAD="$("$PY" -c 'from liaison.core import db; print(db.head_revision())')"
grep -q "\"revision\": \"$HEAD\"" "$WORK/out" || fail "升级后版本应为 $HEAD: $(cat "$WORK/out")"
[ -f "$WORK/old.db.before-$HEAD.bak" ] || fail "升级前没有备份 (no backup before the upgrade)"
"$PY" - "$WORK/old.db" <<'EOF' || fail "升级后数据丢失或没有加密 (rows lost, or the file left unencrypted)"
import sys
from pathlib import Path
from liaison.core import dbkey
path = Path(sys.argv[1])
if path.read_bytes()[:16] == b"SQLite format 3\0":
    sys.exit(1)  # the earlier version's plain file must have been encrypted on open
row = dbkey.connect_workspace_file(path).execute("SELECT value FROM setting WHERE key='workspace_name'").fetchone()
sys.exit(0 if row == ('"旧版工作区"',) else 1)
EOF
ok "旧版数据库 0002 → $HEAD 升级并加密，数据和备份都在 (0002 database upgraded and encrypted, rows and backup kept)"

# 5. the window, offscreen: opened on the demo workspace, saved as a picture, closed by itself
SHOT="$DIST/smoke-window.png"
rm -f "$SHOT"
QT_QPA_PLATFORM=offscreen LIAISON_SMOKE_SCREENSHOT="$SHOT" timeout 120 "$PROGRAM" --db "$WORK/demo.db" \
    >"$WORK/out" 2>"$WORK/err" || { show_err; fail "窗口没有正常打开 (the window did not open)"; }
grep -q "smoke screenshot: MainWindow" "$WORK/err" || { show_err; fail "没有显示主窗口 (no main window)"; }
[ "$(head -c 4 "$SHOT" | tail -c 3)" = "PNG" ] || fail "没有窗口截图 (no screenshot)"
ok "主窗口离屏打开并截图 (main window opened offscreen): $SHOT"

# 6. a PDF in the shipped font, embedded
run --db "$WORK/demo.db" --today "$SMOKE_TODAY" report monthly --month "$SMOKE_MONTH" \
    --out "$WORK/monthly.pdf" || { show_err; fail "liaison report monthly"; }
[ "$(head -c 4 "$WORK/monthly.pdf")" = "%PDF" ] || fail "月报不是 PDF (not a PDF)"
pdffonts "$WORK/monthly.pdf" >"$WORK/fonts" || fail "pdffonts"
fonts=$(tail -n +3 "$WORK/fonts")
[ -n "$fonts" ] || fail "PDF 里没有字体 (no fonts in the PDF)"
echo "$fonts" | awk '{ if ($(NF-4) != "yes") bad=1 } END { exit bad }' || { cat "$WORK/fonts" >&2; fail "有未嵌入的字体 (a font is not embedded)"; }
echo "$fonts" | grep -q NotoSansSC || { cat "$WORK/fonts" >&2; fail "没有用 Noto Sans SC (not in the shipped font)"; }
ok "月报 PDF $SMOKE_MONTH：$(stat -c %s "$WORK/monthly.pdf") 字节，字体已嵌入 (fonts embedded): $(echo "$fonts" | awk '{print $1}' | sort -u | tr '\n' ' ')"

# 7. an exchange package, once the command exists (`liaison sync`; before that: skipped)
if run sync --help; then
    if run enrol --help && run hub --help; then
        # the device joins a county hub made for the check, as a village would
        run --db "$WORK/hub.db" hub init --out "$WORK/setup.json" --county 演示县 ||
            { show_err; fail "liaison hub init"; }
        run --db "$WORK/demo.db" area list --json || { show_err; fail "liaison area list"; }
        village="$("$PY" -c 'import json, sys; print(next(a["code"] for a in json.load(open(sys.argv[1])) if a["level"] == "village"))' "$WORK/out")"
        run --db "$WORK/demo.db" enrol "$WORK/setup.json" --area "$village" || { show_err; fail "liaison enrol"; }
    fi
    mkdir -p "$WORK/package"
    run --db "$WORK/demo.db" sync export --out "$WORK/package" || { show_err; fail "liaison sync export"; }
    [ -n "$(ls -A "$WORK/package")" ] || fail "数据包是空的 (the package is empty)"
    ok "数据包导出 (package exported): $(cat "$WORK/out" | head -1)"
else
    echo "  - 跳过数据包导出：本版本还没有 liaison sync 命令 (skipped: no 'liaison sync' command yet)"
fi

SIZE="$(du -sh "$BUNDLE" | cut -f1)"
if [ "$MODE" = build ]; then
    ARCH="$(uname -m)"
    TARBALL="$DIST/liaison-$VERSION-linux-$ARCH.tar.gz"
    tar -C "$DIST" -czf "$TARBALL" liaison
    step "完成 (done): dist/liaison $SIZE，PyInstaller ${BUILD_SECONDS} s；$(basename "$TARBALL") $(du -sh "$TARBALL" | cut -f1)"
    echo "  安装 (install): tar xzf $(basename "$TARBALL") && sh liaison/install.sh"
else
    step "完成 (done): dist/liaison $SIZE"
fi
echo "  ${#CHECKED[@]} 项检查通过 (checks passed)"
