#!/bin/sh
# 为当前用户安装（或升级）残疾人专职委员工作台 Linux 版，不需要 root。
# Install (or upgrade) this Linux bundle for the current user, without root:
#   the program       ~/.local/lib/liaison/          (replaced on every run: an upgrade)
#   the command       ~/.local/bin/liaison           (a link)
#   the menu entry    ~/.local/share/applications/liaison.desktop
#   the icon          ~/.local/share/icons/hicolor/256x256/apps/liaison.png
# The data (~/.local/share/Liaison: the workspace, attachments, backups) is never touched;
# the program upgrades the database on its first start after an upgrade.
#
#   sh install.sh              install or upgrade
#   sh install.sh --uninstall  remove the program, the command and the menu entry; keep the data
#
# build.sh copies this script into the bundle (dist/liaison/install.sh) with liaison.desktop and
# liaison.png beside it.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
DATA_HOME=${XDG_DATA_HOME:-$HOME/.local/share}
LIB_DIR=$HOME/.local/lib/liaison
BIN_DIR=$HOME/.local/bin
APPS_DIR=$DATA_HOME/applications
ICON_DIR=$DATA_HOME/icons/hicolor/256x256/apps
USER_DATA=$DATA_HOME/Liaison

refresh_menus() {
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$APPS_DIR" || true
    command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$DATA_HOME/icons/hicolor" || true
}

if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$LIB_DIR"
    [ -L "$BIN_DIR/liaison" ] && rm -f "$BIN_DIR/liaison"
    rm -f "$APPS_DIR/liaison.desktop" "$ICON_DIR/liaison.png"
    refresh_menus
    echo "已卸载程序；工作数据保留在 $USER_DATA (program removed; your data is kept there)"
    exit 0
fi

for needed in liaison liaison.desktop liaison.png _internal; do
    if [ ! -e "$HERE/$needed" ]; then
        echo "错误：$HERE 里缺少 $needed，请在解压后的 liaison 文件夹里运行 (run me from the unpacked bundle)" >&2
        exit 1
    fi
done

if [ "$HERE" != "$LIB_DIR" ]; then
    # the previous version goes as a whole, so none of its libraries is left beside the new ones
    mkdir -p "$(dirname "$LIB_DIR")"
    rm -rf "$LIB_DIR.new"
    cp -a "$HERE" "$LIB_DIR.new"
    rm -rf "$LIB_DIR"
    mv "$LIB_DIR.new" "$LIB_DIR"
fi

mkdir -p "$BIN_DIR" "$APPS_DIR" "$ICON_DIR"
ln -sfn "$LIB_DIR/liaison" "$BIN_DIR/liaison"
cp "$LIB_DIR/liaison.png" "$ICON_DIR/liaison.png"
# the menu may not have ~/.local/bin on its PATH: name the program by its full path
sed "s|^Exec=liaison|Exec=$LIB_DIR/liaison|" "$LIB_DIR/liaison.desktop" >"$APPS_DIR/liaison.desktop"
chmod 644 "$APPS_DIR/liaison.desktop"
refresh_menus

echo "已安装 $("$LIB_DIR/liaison" --version 2>/dev/null || echo liaison) 到 $LIB_DIR"
echo "开始菜单：残疾人专职委员工作台；命令：$BIN_DIR/liaison；工作数据：$USER_DATA"
