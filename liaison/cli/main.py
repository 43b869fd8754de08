"""Argument parsing, dispatch and error handling for `liaison`.

A user error prints one Chinese line on stderr and exits 1 (2 for a malformed command line);
a bug is logged with its traceback and reported as an internal error with a reference.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import uuid
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from liaison import __version__
from liaison.core.errors import LiaisonError
from liaison.core.i18n import _

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_USER_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

# argparse's own messages, in Chinese (it has no catalogue of its own here)
_ARGPARSE_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"the following arguments are required: (.+)"), "缺少参数：{0}"),
    (re.compile(r"unrecognized arguments: (.+)"), "无法识别的参数：{0}"),
    (re.compile(r"argument (\S+): invalid choice: '?([^'\s]*)'? \(choose from (.+)\)"),
     "参数 {0} 的值“{1}”无效，可选：{2}"),
    (re.compile(r"argument (\S+): invalid (\w+) value: '(.*)'"), "参数 {0} 的值“{2}”无效"),
    (re.compile(r"argument (\S+): expected one argument"), "参数 {0} 需要一个值"),
    (re.compile(r"argument (\S+): (.+)"), "参数 {0}：{1}"),
]


def translate_argparse(message: str) -> str:
    for pattern, template in _ARGPARSE_MESSAGES:
        match = pattern.search(message)
        if match:
            return _(template).format(*match.groups())
    return message


class ChineseArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, _("参数错误：{msg}（用 {prog} -h 查看用法）\n").format(
            msg=translate_argparse(message), prog=self.prog))


def _date_arg(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("日期应为 YYYY-MM-DD 格式")) from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("应为正整数")) from None
    if value < 1:
        raise argparse.ArgumentTypeError(_("应为正整数"))
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("应为 0 或正整数")) from None
    if value < 0:
        raise argparse.ArgumentTypeError(_("应为 0 或正整数"))
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(
        prog="liaison",
        description=_("残疾人专职委员工作台。不带命令时打开图形界面。"),
    )
    parser.add_argument("--version", action="version", version=f"liaison {__version__}")
    parser.add_argument("--db", metavar="PATH|URL",
                        help=_("数据库文件路径或 SQLAlchemy 地址（默认：环境变量 LIAISON_DB，或用户数据目录）"))
    parser.add_argument("--today", type=_date_arg, metavar="YYYY-MM-DD",
                        help=_("把这一天当作今天（用于核对和重现报表）"))
    parser.add_argument("--user", metavar="NAME", default=None,
                        help=_("登录用户名（默认：环境变量 LIAISON_USER）；密码取自环境变量 LIAISON_PASSWORD，"
                               "或在终端中输入"))
    parser.add_argument("-v", "--verbose", action="store_true", help=_("输出调试日志"))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ChineseArgumentParser)

    demo = commands.add_parser("demo", help=_("生成演示数据（一个虚构的县）"))
    demo.add_argument("--persons", type=_positive_int, default=2000, help=_("人数（默认 2000）"))
    demo.add_argument("--seed", type=int, default=1, help=_("随机种子；同一种子生成相同数据"))
    demo.set_defaults(handler=cmd_demo)

    db = commands.add_parser("db", help=_("数据库维护"))
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True,
                                    parser_class=ChineseArgumentParser)
    db_commands.add_parser("upgrade", help=_("把数据库升级到当前版本")).set_defaults(handler=cmd_db_upgrade)
    check = db_commands.add_parser("check", help=_("检查数据库完整性和版本"))
    check.add_argument("--json", action="store_true", help=_("输出 JSON"))
    check.set_defaults(handler=cmd_db_check)
    recover = db_commands.add_parser("recover", help=_("用恢复码找回数据库密钥（重装系统或换电脑后）"))
    recover.add_argument("--code", help=_("恢复码（也可用环境变量 LIAISON_RECOVERY_CODE，或在终端中输入）"))
    recover.set_defaults(handler=cmd_db_recover)
    db_commands.add_parser("backup", help=_("立即备份数据库（加密）")).set_defaults(handler=cmd_db_backup)
    list_backups = db_commands.add_parser("backups", help=_("列出本工作区的备份，最新的在前"))
    list_backups.add_argument("--json", action="store_true", help=_("输出 JSON"))
    list_backups.set_defaults(handler=cmd_db_backups)
    restore = db_commands.add_parser("restore", help=_("从备份恢复数据库（恢复前先备份当前数据）"))
    which = restore.add_mutually_exclusive_group(required=True)
    which.add_argument("file", nargs="?", type=Path, metavar="FILE", help=_("备份文件"))
    which.add_argument("--latest", action="store_true", help=_("最新的备份"))
    restore.add_argument("--yes", action="store_true", help=_("不再询问，直接恢复"))
    restore.set_defaults(handler=cmd_db_restore)

    area = commands.add_parser("area", help=_("地区"))
    area_commands = area.add_subparsers(dest="area_command", metavar="ACTION", required=True,
                                        parser_class=ChineseArgumentParser)
    area_list = area_commands.add_parser("list", help=_("列出地区及代码"))
    area_list.add_argument("--json", action="store_true", help=_("输出 JSON"))
    area_list.set_defaults(handler=cmd_area_list)

    person = commands.add_parser("person", help=_("人员档案"))
    person_commands = person.add_subparsers(dest="person_command", metavar="ACTION", required=True,
                                            parser_class=ChineseArgumentParser)
    search = person_commands.add_parser("search", help=_("查找人员（姓名、拼音、首字母、身份证号片段、证号、电话）"))
    search.add_argument("query", metavar="QUERY", help=_("查询内容；空字符串列出全部"))
    search.add_argument("--area", metavar="CODE", help=_("只查这个地区（区划代码）及其下级"))
    search.add_argument("--limit", type=_positive_int, default=20, help=_("最多显示多少条（默认 20）"))
    search.add_argument("--offset", type=_non_negative_int, default=0, help=_("跳过前多少条（翻页用）"))
    search.add_argument("--json", action="store_true", help=_("输出 JSON"))
    _add_reveal_options(search, _("JSON 中另给出完整身份证号（记入审计日志）"))
    search.set_defaults(handler=cmd_person_search)
    show = person_commands.add_parser("show", help=_("显示一个人的档案"))
    show.add_argument("key", metavar="ID", help=_("身份证号、残疾人证号或档案编号"))
    show.add_argument("--json", action="store_true", help=_("输出 JSON"))
    _add_reveal_options(show, _("显示完整身份证号和残疾人证号（记入审计日志）"))
    show.set_defaults(handler=cmd_person_show)

    tasks = commands.add_parser("tasks", help=_("工作台待办：到期和逾期的走访、跟进、预警"))
    tasks.add_argument("--area", metavar="CODE", help=_("只看这个地区（区划代码）及其下级"))
    tasks.add_argument("--limit", type=_positive_int, default=50, help=_("最多显示多少条（默认 50）"))
    tasks.add_argument("--json", action="store_true", help=_("输出 JSON"))
    tasks.set_defaults(handler=cmd_tasks)

    cases = commands.add_parser("cases", help=_("无障碍改造案件或康复转介，及其所处阶段"))
    cases.add_argument("--kind", required=True, choices=["modification", "referral"],
                       help=_("modification：无障碍改造；referral：康复转介"))
    cases.add_argument("--stage", metavar="S", help=_("只看这个阶段（如 applied、construction、referred）"))
    cases.add_argument("--area", metavar="CODE", help=_("只看这个地区（区划代码）及其下级"))
    cases.add_argument("--year", type=_positive_int, help=_("只看这一年申请（改造）或转介的"))
    cases.add_argument("--overdue", action="store_true", help=_("只看在当前阶段超期的"))
    cases.add_argument("--json", action="store_true", help=_("输出 JSON"))
    cases.set_defaults(handler=cmd_cases)

    report = commands.add_parser("report", help=_("报表与打印表格（PDF；月报也可导出 Excel）"))
    report_commands = report.add_subparsers(dest="report_command", metavar="REPORT", required=True,
                                            parser_class=ChineseArgumentParser)
    monthly = report_commands.add_parser("monthly", help=_("月报：各村（乡镇）在册、走访、需求、改造转介和规划指标"))
    monthly.add_argument("--month", required=True, metavar="YYYY-MM", help=_("统计月份，如 2026-11"))
    monthly.add_argument("--area", metavar="CODE", help=_("乡镇或村的区划代码（默认：本工作区的地区）"))
    monthly.add_argument("--out", required=True, metavar="FILE", help=_("输出文件：.pdf 或 .xlsx"))
    monthly.add_argument("--prepared-by", metavar="NAME", default="", help=_("填报人姓名（默认留空待签）"))
    monthly.add_argument("--checked-by", metavar="NAME", default="", help=_("审核人姓名（默认留空待签）"))
    monthly.add_argument("--json", action="store_true", help=_("输出 JSON（文件路径、页数和提示）"))
    monthly.set_defaults(handler=cmd_report_monthly)

    person_form = report_commands.add_parser("person", help=_("一人一档档案表"))
    person_form.add_argument("key", metavar="ID", help=_("身份证号、残疾人证号或档案编号"))
    person_form.add_argument("--out", required=True, metavar="FILE.pdf", help=_("输出文件"))
    _add_reveal_options(person_form, _("打印完整身份证号（默认隐去中间部分；记入审计日志）"))
    person_form.add_argument("--json", action="store_true", help=_("输出 JSON"))
    person_form.set_defaults(handler=cmd_report_person)

    visit_form = report_commands.add_parser("visit-form", help=_("入户访视记录表：空白、带人员信息或已填写的"))
    visit_form.add_argument("--person", metavar="ID", help=_("预先填好这个人的信息（身份证号、证号或档案编号）"))
    visit_form.add_argument("--visit", metavar="VISIT_ID", help=_("打印这次已记录的走访"))
    visit_form.add_argument("--unit", metavar="NAME", default="", help=_("填报单位（默认为人员所在村）"))
    visit_form.add_argument("--out", required=True, metavar="FILE.pdf", help=_("输出文件"))
    visit_form.add_argument("--json", action="store_true", help=_("输出 JSON"))
    visit_form.set_defaults(handler=cmd_report_visit_form)

    for name, help_text, handler in (
        ("acceptance", _("无障碍改造竣工验收单"), "acceptance"),
        ("referral", _("康复转介单（含回执）"), "referral"),
    ):
        form = report_commands.add_parser(name, help=help_text)
        form.add_argument("case_id", metavar="CASE_ID", help=_("案件编号（见 liaison cases --json）"))
        form.add_argument("--out", required=True, metavar="FILE.pdf", help=_("输出文件"))
        _add_reveal_options(form, _("打印完整身份证号（默认隐去中间部分；记入审计日志）"))
        form.add_argument("--json", action="store_true", help=_("输出 JSON"))
        form.set_defaults(handler=cmd_report_case_form, form=handler)

    notice = report_commands.add_parser("notice", help=_("无障碍改造拟改造对象公示名单（身份证号始终隐去中间部分）"))
    notice.add_argument("--area", required=True, metavar="CODE", help=_("乡镇或村的区划代码"))
    notice.add_argument("--year", type=_positive_int, help=_("年度（默认今年）"))
    notice.add_argument("--objections-to", metavar="TEXT", default="", help=_("异议受理单位（默认留空待填）"))
    notice.add_argument("--phone", metavar="PHONE", default="", help=_("联系电话（默认留空待填）"))
    notice.add_argument("--out", required=True, metavar="FILE.pdf", help=_("输出文件"))
    notice.add_argument("--json", action="store_true", help=_("输出 JSON"))
    notice.set_defaults(handler=cmd_report_notice)

    hub = commands.add_parser("hub", help=_("县级数据中心"))
    hub_commands = hub.add_subparsers(dest="hub_command", metavar="ACTION", required=True,
                                      parser_class=ChineseArgumentParser)
    hub_init = hub_commands.add_parser("init", help=_("把本工作区设为县级数据中心，写出给各村（乡镇）的配置文件"))
    hub_init.add_argument("--out", required=True, metavar="SETUP.json", help=_("配置文件（只含公钥，可放 U 盘分发）"))
    hub_init.add_argument("--county", metavar="NAME", default="", help=_("县（区）名称"))
    hub_init.add_argument("--json", action="store_true", help=_("输出 JSON"))
    hub_init.set_defaults(handler=cmd_hub_init)

    enrol_cmd = commands.add_parser("enrol", help=_("加入县级数据中心（用县里给的配置文件）"))
    enrol_cmd.add_argument("setup", metavar="SETUP.json")
    enrol_cmd.add_argument("--area", metavar="CODE", help=_("本设备负责的村或乡镇（区划代码；默认为工作区的村）"))
    enrol_cmd.add_argument("--json", action="store_true", help=_("输出 JSON"))
    enrol_cmd.set_defaults(handler=cmd_enrol)

    sync = commands.add_parser("sync", help=_("用 U 盘交换数据：导出、导入、回执、冲突与重复"))
    sync_commands = sync.add_subparsers(dest="sync_command", metavar="ACTION", required=True,
                                        parser_class=ChineseArgumentParser)
    s_export = sync_commands.add_parser("export", help=_("导出自上次县里确认以来的全部改动"))
    s_export.add_argument("--out", required=True, metavar="DIR", help=_("写到这个文件夹（如 U 盘）"))
    s_export.add_argument("--json", action="store_true", help=_("输出 JSON"))
    s_export.set_defaults(handler=cmd_sync_export)
    s_import = sync_commands.add_parser("import", help=_("导入数据包（可一次导入多个）"))
    s_import.add_argument("packages", nargs="+", metavar="PKG")
    s_import.add_argument("--dry-run", action="store_true", help=_("试导入：检查并报告，不作任何改动"))
    s_import.add_argument("--accept-device", metavar="FINGERPRINT",
                          help=_("登记新设备：与对方核对无误的指纹"))
    s_import.add_argument("--report", metavar="FILE.pdf", help=_("另写一份可打印的导入报告（PDF）"))
    s_import.add_argument("--json", action="store_true", help=_("输出 JSON"))
    s_import.set_defaults(handler=cmd_sync_import)
    s_reply = sync_commands.add_parser("reply", help=_("县级数据中心：为每台有新消息的设备写出回执数据包"))
    s_reply.add_argument("--out", required=True, metavar="DIR")
    s_reply.add_argument("--json", action="store_true", help=_("输出 JSON"))
    s_reply.set_defaults(handler=cmd_sync_reply)
    s_status = sync_commands.add_parser("status", help=_("本机身份、指纹和收发记录"))
    s_status.add_argument("--json", action="store_true", help=_("输出 JSON"))
    s_status.set_defaults(handler=cmd_sync_status)
    s_conflicts = sync_commands.add_parser("conflicts", help=_("待处理的冲突和重复人员"))
    s_conflicts.add_argument("--json", action="store_true", help=_("输出 JSON"))
    s_conflicts.set_defaults(handler=cmd_sync_conflicts)
    s_resolve = sync_commands.add_parser("resolve", help=_("处理一个冲突"))
    s_resolve.add_argument("conflict_id", metavar="ID")
    s_resolve.add_argument("--take", required=True, choices=["local", "remote"],
                           help=_("local：保留本机的值；remote：采用对方的值"))
    s_resolve.set_defaults(handler=cmd_sync_resolve)
    s_decide = sync_commands.add_parser("decide", help=_("核对一个重复人员"))
    s_decide.add_argument("duplicate_id", metavar="ID")
    s_decide.add_argument("--as", dest="decision", required=True, choices=["merge", "discard"],
                          help=_("merge：同一人（迁入或重复登记），把带来的走访等并入已有档案；discard：录入错误，不导入"))
    s_decide.add_argument("--note", default=None, help=_("说明"))
    s_decide.set_defaults(handler=cmd_sync_decide)

    export = commands.add_parser("export", help=_("导出 Excel"))
    export_commands = export.add_subparsers(dest="export_command", metavar="WHAT", required=True,
                                            parser_class=ChineseArgumentParser)
    roster = export_commands.add_parser("roster", help=_("花名册"))
    roster.add_argument("--area", metavar="CODE", help=_("只导出这个地区（区划代码）及其下级"))
    roster.add_argument("--out", required=True, metavar="FILE.xlsx", help=_("输出文件"))
    roster.add_argument("--columns", metavar="A,B,…", help=_("要导出的列（逗号分隔，默认常用列；写错时会列出全部可选列）"))
    _add_reveal_options(roster, _("导出完整身份证号（默认隐去中间部分；记入审计日志）"))
    roster.add_argument("--all", action="store_true", help=_("也导出迁出、死亡和注销的人员"))
    roster.add_argument("--json", action="store_true", help=_("输出 JSON"))
    roster.set_defaults(handler=cmd_export_roster)
    _add_roster_commands(commands)

    audit_cmd = commands.add_parser("audit", help=_("审计日志：校验是否被改动，查看记录"))
    audit_commands = audit_cmd.add_subparsers(dest="audit_command", metavar="ACTION", required=True,
                                              parser_class=ChineseArgumentParser)
    verify = audit_commands.add_parser("verify", help=_("逐条校验审计日志的校验链：发现被修改、删除或插入的记录"))
    verify.add_argument("--json", action="store_true", help=_("输出 JSON"))
    verify.set_defaults(handler=cmd_audit_verify)
    audit_log = audit_commands.add_parser("log", help=_("列出审计记录（最新的在前）"))
    audit_log.add_argument("--entity", metavar="KIND", help=_("记录类型，如 person、visit、need、export"))
    audit_log.add_argument("--id", metavar="UUID", help=_("记录编号（与 --entity 同用）"))
    audit_log.add_argument("--limit", type=_positive_int, default=50, help=_("最多显示多少条（默认 50）"))
    audit_log.add_argument("--json", action="store_true", help=_("输出 JSON"))
    audit_log.set_defaults(handler=cmd_audit_log)
    _add_user_commands(commands)
    return parser


def _add_reveal_options(command: argparse.ArgumentParser, help_text: str) -> None:
    # --reveal-id is the older spelling, kept for scripts
    command.add_argument("--reveal-ids", "--reveal-id", dest="reveal_id", action="store_true", help=help_text)
    command.add_argument("--purpose", metavar="TEXT", default="",
                         help=_("查看完整身份证号的用途（与 --reveal-ids 同用，写入审计日志）"))


def run_cli(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(list(argv))
    from liaison.logging_setup import configure_logging

    log_file = configure_logging(verbose=args.verbose)
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    try:
        if handler is None:
            return open_gui(args)
        return handler(args)
    except LiaisonError as exc:
        print(_("错误：{msg}").format(msg=exc.message), file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print(_("已取消"), file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:
        # the reader (e.g. `| head`) went away: not an error; silence the flush at exit
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception:
        reference = uuid.uuid4().hex[:8]
        log.exception("internal error, reference %s", reference)
        where = _("，详情见日志 {path}").format(path=log_file) if log_file else ""
        print(_("内部错误（参考号 {ref}）{where}").format(ref=reference, where=where), file=sys.stderr)
        return EXIT_INTERNAL


def open_gui(args: argparse.Namespace) -> int:
    import os

    if (sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM")
            and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))):
        # Qt would abort with a core dump; say it in words instead
        print(_("没有图形显示环境，无法打开窗口。可用命令见 liaison -h"), file=sys.stderr)
        return EXIT_USER_ERROR
    try:
        from liaison.gui.app import run_gui  # the only place the CLI reaches for Qt
    except ImportError as exc:
        log.info("GUI unavailable: %s", exc)
        print(_("图形界面不可用（未安装 PySide6）。可用命令见 liaison -h"), file=sys.stderr)
        return EXIT_USER_ERROR
    return run_gui(db_option=args.db)


# --- commands -----------------------------------------------------------------------------


RECOVERY_CODE_ENV = "LIAISON_RECOVERY_CODE"


def _open(args: argparse.Namespace, recovery_code: str | None = None):  # type: ignore[no-untyped-def]
    from liaison.bootstrap import open_workspace
    from liaison.core.db import resolve_database_url
    from liaison.core.dbkey import KeyMissingError

    try:
        ws = open_workspace(resolve_database_url(args.db), ask_passphrase=_ask_passphrase,
                            recovery_code=recovery_code)
    except KeyMissingError as exc:
        raise KeyMissingError(exc.message + _("（命令：liaison db recover --code 恢复码）")) from None
    if ws.new_recovery_code:
        _show_recovery_code(ws.new_recovery_code)
    return ws


def _show_recovery_code(code: str) -> None:
    """Shown once, on stderr (stdout may be a pipe to a file or another program)."""
    print(_("数据库已加密。恢复码（只显示这一次）：\n\n    {code}\n").format(code=code), file=sys.stderr)
    print(_("请把恢复码打印或抄写下来，锁在安全的地方：重装系统或换电脑后，没有它就打不开数据。"),
          file=sys.stderr)


USER_ENV = "LIAISON_USER"
PASSWORD_ENV = "LIAISON_PASSWORD"
NEW_PASSWORD_ENV = "LIAISON_NEW_PASSWORD"


def _login_password(username: str) -> str:
    import getpass
    import os

    password = os.environ.get(PASSWORD_ENV)
    if password is not None:
        return password
    if not sys.stdin.isatty():
        raise LiaisonError(_("需要用户 {user} 的密码：请在终端中运行以输入密码，或设置环境变量 {env}").format(
            user=username, env=PASSWORD_ENV))
    return getpass.getpass(_("用户 {user} 的密码：").format(user=username))


def _login(ws, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """(actor, password): the logged-in user when the workspace has login accounts, else the
    local administrator (a fresh or a script workspace) with no password."""
    import os

    from liaison.core.services import accounts

    with ws.uow() as uow:
        if not accounts.has_login_accounts(uow):
            return ws.system_actor, None
    username = (args.user or os.environ.get(USER_ENV) or "").strip()
    if not username:
        raise LiaisonError(_("该工作区已启用登录：请用 --user 指定用户名（或设置环境变量 {env}）").format(env=USER_ENV))
    password = _login_password(username)
    return accounts.authenticate(ws.uow, username, password, device_id=ws.device_id), password


def _open_as(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The workspace and who acts in it; a failed login closes the workspace and changes nothing
    but the account's count of wrong tries."""
    ws = _open(args)
    try:
        actor, _password = _login(ws, args)
    except BaseException:
        ws.close()
        raise
    return ws, actor


def _require_admin(actor) -> None:  # type: ignore[no-untyped-def]
    from liaison.core.enums import UserRole
    from liaison.core.errors import ScopeError

    if actor.role is not UserRole.ADMIN:
        raise ScopeError(_("只有管理员可以执行此操作"))


def _today(args: argparse.Namespace) -> date:
    return args.today or date.today()


def cmd_demo(args: argparse.Namespace) -> int:
    from liaison.core.demo import build_demo

    ws = _open(args)
    try:
        summary = build_demo(ws.engine, ws.rules, ws.device_id, persons=args.persons, seed=args.seed,
                             today=_today(args), progress=lambda msg: print(msg, file=sys.stderr))
    finally:
        ws.close()
    print(_("已生成演示数据：{areas} 个地区，{persons} 人，{visits} 次走访，{needs} 项需求，"
            "{cases} 个改造案例，{referrals} 个康复转介，用时 {s:.1f} 秒").format(
        areas=summary.areas, persons=summary.persons, visits=summary.visits, needs=summary.needs,
        cases=summary.modification_cases, referrals=summary.referrals, s=summary.seconds))
    return EXIT_OK


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    ws = _open(args)  # opening upgrades
    try:
        result = ws.upgrade
    finally:
        ws.close()
    if result.changed:
        msg = _("数据库已从版本 {old} 升级到 {new}").format(old=result.from_revision or _("（空）"),
                                                      new=result.to_revision)
        if result.backup:
            msg += _("；升级前的备份：{path}").format(path=result.backup)
        print(msg)
    else:
        print(_("数据库已是最新版本 {rev}").format(rev=result.to_revision))
    return EXIT_OK


def cmd_db_check(args: argparse.Namespace) -> int:
    from liaison.cli.output import print_json
    from liaison.core import db

    ws = _open(args)
    try:
        report = db.check(ws.engine)
    finally:
        ws.close()
    if args.json:
        print_json({"ok": report.ok, "integrity": report.integrity, "revision": report.revision,
                    "head": report.head, "foreign_key_errors": report.foreign_key_errors})
    else:
        print(_("完整性：{v}").format(v=report.integrity))
        print(_("外键错误：{n}").format(n=report.foreign_key_errors))
        print(_("数据库版本：{rev}（程序版本 {head}）").format(rev=report.revision, head=report.head))
        print(_("结论：正常") if report.ok else _("结论：有问题"))
    return EXIT_OK if report.ok else EXIT_USER_ERROR


def cmd_db_recover(args: argparse.Namespace) -> int:
    import os

    code = args.code or os.environ.get(RECOVERY_CODE_ENV)
    if not code:
        if not sys.stdin.isatty():
            raise LiaisonError(_("请用 --code 或环境变量 {env} 给出恢复码").format(env=RECOVERY_CODE_ENV))
        code = input(_("请输入恢复码："))
    ws = _open(args, recovery_code=code)
    ws.close()
    print(_("密钥已找回并保存在本机，数据库可以正常打开了"))
    return EXIT_OK


def _backup_json(info) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {"path": str(info.path), "taken_at": info.taken_at.isoformat(), "size": info.size,
            "reason": info.reason}


def cmd_db_backup(args: argparse.Namespace) -> int:
    from liaison.core.backups import make_backup

    ws = _open(args)
    try:
        info = make_backup(ws, reason="manual")
    finally:
        ws.close()
    print(_("已备份到 {path}").format(path=info.path))
    return EXIT_OK


def cmd_db_backups(args: argparse.Namespace) -> int:
    from liaison.cli.output import print_json, print_table
    from liaison.core.backups import list_backups

    ws = _open(args)
    try:
        found = list_backups(ws)
    finally:
        ws.close()
    if args.json:
        print_json([_backup_json(b) for b in found])
    elif not found:
        print(_("还没有备份"))
    else:
        print_table([_("时间"), _("原因"), _("大小（KB）"), _("文件")],
                    [[f"{b.taken_at:%Y-%m-%d %H:%M:%S}", b.reason, str(b.size // 1024), str(b.path)]
                     for b in found])
    return EXIT_OK


def cmd_db_restore(args: argparse.Namespace) -> int:
    from liaison.core.backups import BackupError, list_backups, restore_backup

    ws = _open(args)
    try:
        if args.latest:
            found = list_backups(ws)
            if not found:
                raise BackupError(_("还没有备份，无法恢复"))
            path = found[0].path
        else:
            path = args.file
        if not args.yes:
            if not sys.stdin.isatty():
                raise LiaisonError(_("恢复会替换当前数据：请确认后加 --yes 再运行"))
            answer = input(_("用 {path} 替换当前数据？（当前数据会先备份）输入 y 确认：").format(path=path))
            if answer.strip().lower() not in ("y", "yes", "是"):
                print(_("已取消，未做任何改动"))
                return EXIT_OK
        safety = restore_backup(ws, path)
    finally:
        ws.close()
    print(_("已从 {path} 恢复；恢复前的数据已备份到 {safety}").format(path=path, safety=safety.path))
    return EXIT_OK


def cmd_area_list(args: argparse.Namespace) -> int:
    from liaison.cli.output import print_json, print_table
    from liaison.core.enums import label
    from liaison.core.services.areas import list_areas

    ws, actor = _open_as(args)
    try:
        with ws.uow() as uow:
            items = list_areas(uow, actor)
    finally:
        ws.close()
    if args.json:
        print_json([{"code": a.code, "name": a.name, "level": a.level.value, "full_name": a.full_name}
                    for a in items])
    else:
        print_table([_("代码"), _("级别"), _("名称")],
                    [(a.code, label(a.level), a.full_name or a.name) for a in items])
    return EXIT_OK


def cmd_person_search(args: argparse.Namespace) -> int:
    from liaison.cli import json_views
    from liaison.cli.output import print_json, print_table
    from liaison.core.enums import label
    from liaison.core.services.areas import resolve_area_filter
    from liaison.core.services.search import SearchQuery, search_people

    ws, actor = _open_as(args)
    try:
        with ws.uow() as uow:
            area_ids = resolve_area_filter(uow, args.area, actor)
            page = search_people(uow, actor,
                                 SearchQuery(text=args.query, area_ids=area_ids, limit=args.limit,
                                             offset=args.offset),
                                 today=_today(args))
            numbers = _revealed_numbers(uow, actor, args, [r.id for r in page.rows]) \
                if args.reveal_id and args.json else {}
    finally:
        ws.close()
    if args.json:
        data = json_views.search_page(page)
        for row in data["results"] if numbers else ():
            row["id_number"] = numbers[uuid.UUID(row["id"])]
        print_json(data)
        return EXIT_OK
    if not page.rows:
        if page.total and page.offset:
            print(_("共 {total} 人，第 {a} 人之后没有更多了").format(total=page.total, a=page.offset))
        else:
            print(_("没有找到符合“{q}”的人员").format(q=args.query))
        return EXIT_OK
    print_table(
        [_("姓名"), _("性别"), _("年龄"), _("身份证号"), _("类别"), _("等级"), _("村（社区）"), _("状态"),
         _("待办需求")],
        [(r.name, label(r.sex), r.age, r.id_number_masked, json_views.category_label(r.category) or "",
          json_views.grade_label(r.grade) or "", r.area_name, label(r.status), r.open_needs)
         for r in page.rows],
    )
    shown_to = page.offset + len(page.rows)
    # beyond COUNT_CAP matches the count stops: say "more than", not a wrong total
    found = (_("共 {total} 人") if page.total_exact else _("超过 {total} 人")).format(total=page.total)
    print(_("{found}，显示第 {a}–{b} 人").format(found=found, a=page.offset + 1, b=shown_to))
    return EXIT_OK


def _revealed_numbers(uow, actor, args: argparse.Namespace, person_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:  # type: ignore[no-untyped-def]
    """Full numbers of the people listed, recorded as one reveal and committed."""
    from sqlalchemy import select

    from liaison.core.models import Person
    from liaison.core.services.persons import record_bulk_reveal

    if not person_ids:
        return {}
    numbers = {row.id: row.id_number
               for row in uow.session.execute(select(Person.id, Person.id_number).where(Person.id.in_(person_ids)))}
    record_bulk_reveal(uow, actor, export=_("命令行人员查询：{q}").format(q=args.query), count=len(numbers),
                       purpose=args.purpose or _("命令行查询完整身份证号"))
    uow.commit()
    return numbers


def cmd_person_show(args: argparse.Namespace) -> int:
    from liaison.cli import json_views
    from liaison.cli.output import print_json
    from liaison.core.services.person_file import open_person_file
    from liaison.core.services.persons import find_person, reveal_id_number

    ws, actor = _open_as(args)
    try:
        with ws.uow() as uow:
            person = find_person(uow, actor, args.key)
            pf = open_person_file(uow, actor, ws.rules, person.id, today=_today(args))
            data = json_views.person_file(pf, reveal_id=args.reveal_id)
            if args.reveal_id:
                reveal_id_number(uow, actor, person.id, purpose=args.purpose or _("命令行查看档案"),
                                 shown_in=_("命令行 person show"))
                uow.commit()
    finally:
        ws.close()
    if args.json:
        print_json(data)
    else:
        _print_person(data)
    return EXIT_OK


def _print_person(d: dict) -> None:  # type: ignore[type-arg]
    yes, no = _("是"), _("否")
    dis = d["disability"]
    lines = [
        f"{d['name']}（{d['sex_label']}，{d['age']} 岁）  {d['status']['label']}",
        _("身份证号：{v}").format(v=d["id_number"]),
        _("地区：{v}  住址：{a}").format(v=d["area"]["full_name"], a=d["address"] or ""),
        _("电话：{v}").format(v=d["phone"] or ""),
        _("残疾：{c} {g}{comp}").format(
            c=dis["category_label"] or _("（未评定）"), g=dis["grade_label"] or "",
            comp=("（" + "、".join(dis["components_label"]) + "）") if dis["components"] else ""),
    ]
    if d["certificate"]:
        cert = d["certificate"]
        lines.append(_("残疾人证：{n}，{a} 发证，有效期至 {b}").format(
            n=cert["number"], a=cert["issued_on"], b=cert["valid_until"]))
    elif dis["diagnosis"]:
        lines.append(_("未办证；诊断：{v}（{on}）").format(v=dis["diagnosis"], on=dis["diagnosed_on"]))
    if d["guardian"]:
        g = d["guardian"]
        lines.append(_("监护人：{n}（{r}）{p}").format(n=g["name"], r=g["relation"], p=g["phone"] or ""))
    eco = d["economic"]
    lines.append(_("低保：{a}  特困：{b}  防返贫监测：{c}  低收入：{e}  独居：{f}").format(
        a=yes if eco["dibao"] else no, b=yes if eco["tekun"] else no,
        c=yes if eco["fanpin_monitor"] else no, e=yes if eco["low_income"] else no,
        f=yes if d["lives_alone"] else no))
    for key, title in (("living", _("困难残疾人生活补贴")), ("care", _("重度残疾人护理补贴"))):
        s = d["subsidies"][key]
        state = _("领取中") if s["receiving"] else (_("符合条件") if s["eligible"] else _("不符合"))
        lines.append(f"{title}：{state}（{'、'.join(s['reasons'])}）")
    lines += [_("提示：{g}").format(g=g) for g in d["subsidies"]["gaps"]]
    if d["visit_cadence"]:
        vc = d["visit_cadence"]
        lines.append(_("走访：{rule}；上次联系 {last}；下次应于 {due}").format(
            rule=vc["rule"], last=d["last_contact_on"] or _("无"), due=vc["next_due_on"]))
    open_needs = [n for n in d["needs"] if n["status"] in ("open", "referred", "in_service")]
    lines.append(_("需求：共 {n} 项，未办结 {m} 项").format(n=len(d["needs"]), m=len(open_needs)))
    lines += [f"  - {n['kind_label']}：{n['detail'] or ''}（{n['status_label']}，{n['raised_on']} 提出）"
              for n in open_needs]
    lines.append(_("走访记录：共 {n} 次").format(n=len(d["visits"])))
    lines += [f"  - {v['date']} {v['kind_label']} {v['contact_mode_label']} {v['visitor']}："
              f"{v['findings'] or v['lost_reason'] or ''}" for v in d["visits"][:5]]
    print("\n".join(lines))


def cmd_tasks(args: argparse.Namespace) -> int:
    from liaison.cli import json_views
    from liaison.cli.output import print_json, print_table
    from liaison.core.services.areas import resolve_area_filter
    from liaison.core.services.tasks import state_label, task_kind_label, work_queue

    ws, actor = _open_as(args)
    try:
        with ws.uow() as uow:
            area_ids = resolve_area_filter(uow, args.area, actor)
            queue = work_queue(uow, actor, ws.rules, area_ids=area_ids, today=_today(args))
    finally:
        ws.close()
    shown = queue.tasks[: args.limit]
    if args.json:
        print_json(json_views.work_queue(queue, shown))
        return EXIT_OK
    if not queue.tasks:
        print(_("没有待办事项"))
        return EXIT_OK
    print_table(
        [_("状态"), _("类型"), _("姓名"), _("村（社区）"), _("期限"), _("逾期天数"), _("说明")],
        [(state_label(t.state), task_kind_label(t.kind), t.person_name, t.area_name, t.due_on.isoformat(),
          t.days_overdue or "", t.detail) for t in shown],
    )
    counts = queue.counts()
    print(_("共 {n} 项：已逾期 {o}，今日到期 {d}，即将到期 {u}；显示前 {k} 项").format(
        n=len(queue.tasks), o=counts.get("overdue", 0), d=counts.get("due", 0), u=counts.get("upcoming", 0),
        k=len(shown)))
    return EXIT_OK


def cmd_cases(args: argparse.Namespace) -> int:
    from liaison.cli import json_views
    from liaison.cli.output import print_json, print_table
    from liaison.core.enums import CaseType
    from liaison.core.rules.money import format_yuan
    from liaison.core.services.areas import resolve_area_filter
    from liaison.core.services.case_lists import CaseFilter, list_cases, stage_choices

    case_type = CaseType(args.kind)
    stages = dict(stage_choices(case_type))
    if args.stage is not None and args.stage not in stages:
        known = "、".join(f"{code}（{name}）" for code, name in stages.items())
        raise LiaisonError(_("未知的阶段“{s}”，可用：{known}").format(s=args.stage, known=known))
    ws, actor = _open_as(args)
    try:
        with ws.uow() as uow:
            flt = CaseFilter(year=args.year, area_ids=resolve_area_filter(uow, args.area, actor), stage=args.stage,
                             overdue_only=args.overdue)
            result = list_cases(uow, actor, case_type, flt, rules=ws.rules, today=_today(args))
    finally:
        ws.close()
    if args.json:
        print_json(json_views.case_list(case_type, result))
        return EXIT_OK
    if not result.rows:
        print(_("没有符合条件的案件"))
    else:
        amount = _("金额（元）")
        print_table(
            [_("姓名"), _("村（社区）"), _("阶段"), _("进入阶段"), _("天数"), _("超期"), amount, _("说明")],
            [(r.person_name, r.village, r.step_label, r.stage_on.isoformat(), r.days_in_stage,
              _("超期") if r.overdue else "", format_yuan(r.amount_fen) if r.amount_fen is not None else "",
              r.detail) for r in result.rows],
        )
    counts = "，".join(f"{name} {result.counts[code]}" for code, name in stages.items() if code in result.counts)
    print(_("共 {n} 件（{counts}），超期 {o} 件；显示 {k} 件").format(
        n=result.total, counts=counts or _("无"), o=result.overdue, k=len(result.rows)))
    return EXIT_OK


def _out_path(text: str, suffixes: tuple[str, ...]) -> Path:
    path = Path(text).expanduser()
    if path.suffix.lower() not in suffixes:
        raise LiaisonError(_("输出文件应以 {s} 结尾：{p}").format(s=" 或 ".join(suffixes), p=path))
    if path.is_dir():
        raise LiaisonError(_("{p} 是一个文件夹，请给出文件名").format(p=path))
    if not path.parent.exists():
        raise LiaisonError(_("文件夹不存在：{p}").format(p=path.parent))
    return path


def cmd_report_monthly(args: argparse.Namespace) -> int:
    from liaison.cli.output import print_json
    from liaison.core.services.areas import get_area_by_code
    from liaison.core.services.monthly import monthly_summary, parse_month

    year, month = parse_month(args.month)
    out = _out_path(args.out, (".pdf", ".xlsx"))
    ws, actor = _open_as(args)
    try:
        with ws.uow() as uow:
            area_id = get_area_by_code(uow, args.area).id if args.area else None
            summary = monthly_summary(uow, actor, year=year, month=month, rules=ws.rules,
                                      today=_today(args), area_id=area_id)
    finally:
        ws.close()
    warnings: tuple[str, ...] = ()
    pages = None
    if out.suffix.lower() == ".xlsx":
        from liaison.reports.excel import write_monthly_xlsx

        write_monthly_xlsx(summary, out)
    else:
        from liaison.reports.monthly_pdf import write_monthly_pdf

        result = write_monthly_pdf(summary, out, prepared_by=args.prepared_by, checked_by=args.checked_by,
                                   on=_today(args))
        pages, warnings = result.pages, result.warnings
    if args.json:
        print_json({"format": 1, "path": str(out), "pages": pages, "area": summary.area_name,
                    "month": f"{year:04d}-{month:02d}", "warnings": list(warnings)})
        return EXIT_OK
    for warning in warnings:
        print(_("注意：{w}").format(w=warning), file=sys.stderr)
    print(_("已写出 {area} {period}月报：{path}{pages}").format(
        area=summary.area_name, period=summary.period_label, path=out,
        pages=_("（{n} 页）").format(n=pages) if pages else ""))
    return EXIT_OK


def cmd_export_roster(args: argparse.Namespace) -> int:
    from liaison.cli.output import print_json
    from liaison.core.services.areas import get_area_by_code, subtree_ids
    from liaison.core.services.context import ensure_area_in_scope
    from liaison.reports.excel import choose_columns, write_roster_xlsx

    columns = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else None
    choose_columns(columns)  # refuse an unknown column before opening anything
    out = _out_path(args.out, (".xlsx",))
    ws, actor = _open_as(args)
    try:
        with ws.uow() as uow:
            area_ids, area_name = None, ""
            if args.area:
                area = get_area_by_code(uow, args.area)
                ensure_area_in_scope(uow, actor, area.id)  # refused, not an empty roster
                area_ids, area_name = frozenset(subtree_ids(uow.session, [area.id])), area.name
            result = write_roster_xlsx(uow, actor, out, today=_today(args), area_ids=area_ids,
                                       area_name=area_name, columns=columns, reveal_id=args.reveal_id,
                                       purpose=args.purpose or None, include_inactive=args.all)
            uow.commit()  # the reveal, if the roster has full numbers
    finally:
        ws.close()
    if args.json:
        print_json({"format": 1, "path": str(out), "rows": result.rows})
    else:
        print(_("已导出花名册 {n} 人：{path}").format(n=result.rows, path=out))
    return EXIT_OK


def _report_done(args: argparse.Namespace, what: str, result: Any) -> int:
    from liaison.cli.output import print_json

    if args.json:
        print_json({"format": 1, "path": str(result.path), "pages": result.pages,
                    "warnings": list(result.warnings)})
        return EXIT_OK
    for warning in result.warnings:
        print(_("注意：{w}").format(w=warning), file=sys.stderr)
    print(_("已写出{what}：{path}（{n} 页）").format(what=what, path=result.path, n=result.pages))
    return EXIT_OK


def _record_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        raise LiaisonError(_("“{t}”不是有效的编号").format(t=text)) from None


def _case_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        raise LiaisonError(_("“{t}”不是案件编号").format(t=text)) from None


def cmd_report_person(args: argparse.Namespace) -> int:
    from liaison.core.services.persons import find_person
    from liaison.reports.forms import write_person_file_pdf

    out = _out_path(args.out, (".pdf",))
    ws, actor = _open_as(args)
    try:
        with ws.uow() as uow:
            person = find_person(uow, actor, args.key)
            result = write_person_file_pdf(uow, actor, person.id, out, rules=ws.rules, today=_today(args),
                                           reveal_id=args.reveal_id, purpose=args.purpose or None)
            uow.commit()  # the reveal, if asked for
    finally:
        ws.close()
    return _report_done(args, _("一人一档档案表"), result)


def cmd_report_visit_form(args: argparse.Namespace) -> int:
    from liaison.core.services.persons import find_person
    from liaison.reports.forms import write_visit_record_pdf

    out = _out_path(args.out, (".pdf",))
    ws, actor = _open_as(args)
    try:
        with ws.uow() as uow:
            person_id = find_person(uow, actor, args.person).id if args.person else None
            visit_id = _case_id(args.visit) if args.visit else None
            result = write_visit_record_pdf(uow, actor, out, visit_id=visit_id, person_id=person_id,
                                            unit=args.unit, today=_today(args))
    finally:
        ws.close()
    return _report_done(args, _("入户访视记录表"), result)


def cmd_report_case_form(args: argparse.Namespace) -> int:
    from liaison.reports.forms import write_acceptance_pdf, write_referral_slip_pdf

    out = _out_path(args.out, (".pdf",))
    case_id = _case_id(args.case_id)
    write, what = ((write_acceptance_pdf, _("竣工验收单")) if args.form == "acceptance"
                   else (write_referral_slip_pdf, _("康复转介单")))
    ws, actor = _open_as(args)
    try:
        with ws.uow() as uow:
            result = write(uow, actor, ws.files, case_id, out, rules=ws.rules, today=_today(args),
                           reveal_id=args.reveal_id, purpose=args.purpose or None)
            uow.commit()  # the reveal, if asked for
    finally:
        ws.close()
    return _report_done(args, what, result)


def cmd_report_notice(args: argparse.Namespace) -> int:
    from liaison.core.services.areas import get_area_by_code
    from liaison.reports.forms import write_public_notice_pdf

    out = _out_path(args.out, (".pdf",))
    today = _today(args)
    ws, actor = _open_as(args)
    try:
        with ws.uow() as uow:
            area = get_area_by_code(uow, args.area)
            result = write_public_notice_pdf(uow, actor, out, rules=ws.rules, today=today, area_id=area.id,
                                             year=args.year or today.year, objections_to=args.objections_to,
                                             phone=args.phone)
    finally:
        ws.close()
    return _report_done(args, _("公示名单"), result)


# --- sync -------------------------------------------------------------------------------------


def _ask_passphrase(new: bool) -> str:
    import getpass

    if not sys.stdin.isatty():
        from liaison.core.secrets import PASSPHRASE_ENV

        raise LiaisonError(_("本机没有可用的系统密钥库，需要口令：请设置环境变量 {env}").format(env=PASSPHRASE_ENV))
    first = getpass.getpass(_("设置保护密钥的口令（至少 8 个字符）：") if new else _("请输入保护密钥的口令："))
    if new and getpass.getpass(_("再输入一次：")) != first:
        raise LiaisonError(_("两次输入的口令不一致"))
    return first


def _store(ws):  # type: ignore[no-untyped-def]
    from liaison.sync.exchange import secret_store

    return secret_store(ws, _ask_passphrase)


def cmd_hub_init(args: argparse.Namespace) -> int:
    from liaison.cli.output import print_json
    from liaison.sync.exchange import hub_init

    out = _out_path(args.out, (".json",))
    ws, actor = _open_as(args)
    try:
        _require_admin(actor)
        data = hub_init(ws, _store(ws), out, county_name=args.county)
    finally:
        ws.close()
    if args.json:
        print_json({"format": 1, "path": str(out), "hub_id": data["hub_id"], "fingerprint": data["fingerprint"]})
    else:
        print(_("已设为县级数据中心。配置文件：{p}").format(p=out))
        print(_("数据中心指纹：{f}（各村加入时请电话核对）").format(f=data["fingerprint"]))
    return EXIT_OK


def cmd_enrol(args: argparse.Namespace) -> int:
    from liaison.cli.output import print_json
    from liaison.sync.exchange import enrol

    ws, actor = _open_as(args)
    try:
        _require_admin(actor)
        identity = enrol(ws, _store(ws), Path(args.setup), area_code=args.area)
    finally:
        ws.close()
    if args.json:
        print_json({"format": 1, "device_id": identity.owner_id, "fingerprint": identity.fingerprint})
    else:
        print(_("已加入县级数据中心。本设备指纹：{f}").format(f=identity.fingerprint))
        print(_("县里第一次导入本设备的数据包时会核对这个指纹。"))
    return EXIT_OK


def cmd_sync_export(args: argparse.Namespace) -> int:
    from liaison.cli.output import print_json
    from liaison.sync.exchange import export_changes

    ws, actor = _open_as(args)
    try:
        result = export_changes(ws, _store(ws), Path(args.out))
    finally:
        ws.close()
    if args.json:
        print_json({"format": 1, "path": str(result.path), "seq": result.seq, "package_id": result.package_id,
                    "counts": result.counts})
    else:
        print(_("已写出数据包 {p}（第 {s} 号，共 {n} 条记录）").format(p=result.path, s=result.seq,
                                                        n=sum(result.counts.values())))
    return EXIT_OK


def _import_json(result) -> dict:  # type: ignore[no-untyped-def, type-arg]
    return {
        "path": str(result.path), "status": result.status, "message": result.message, "sender": result.sender,
        "seq": result.seq, "gap": result.gap, "acknowledged": result.acknowledged,
        "counts": dict(result.counts),
        "records": [{"table": o.table, "id": o.record_id, "action": o.action, "detail": o.detail,
                     "fields": list(o.fields)} for o in (result.report.outcomes if result.report else [])
                    if o.action != "unchanged"],
    }


ACTION_LABELS = {"created": "新增", "updated": "更新", "unchanged": "未变", "conflict": "冲突",
                 "duplicate": "疑似重复", "held": "暂存", "error": "错误"}
STATUS_LABELS = {"imported": "已导入", "dry-run": "试导入", "already-imported": "已导入过（未改动）",
                 "refused": "已拒绝", "failed": "未导入"}


def cmd_sync_import(args: argparse.Namespace) -> int:
    from liaison.cli.output import print_json, print_table
    from liaison.core.sync_records import TABLE_LABELS
    from liaison.sync.exchange import import_package

    report_out = _out_path(args.report, (".pdf",)) if args.report else None
    ws, actor = _open_as(args)
    try:
        store = _store(ws)
        results = [import_package(ws, store, Path(p), dry_run=args.dry_run, accept_device=args.accept_device,
                                  today=_today(args)) for p in args.packages]
        if report_out is not None:
            from liaison.core.services.workspace import workspace_name
            from liaison.reports.import_report import write_import_report_pdf

            with ws.uow() as uow:
                unit = workspace_name(uow)
            write_import_report_pdf(results, report_out, unit=unit, on=_today(args))
    finally:
        ws.close()
    bad = any(r.status in ("refused", "failed") for r in results)
    if args.json:
        print_json({"format": 1, "packages": [_import_json(r) for r in results]})
        return EXIT_USER_ERROR if bad else EXIT_OK
    for r in results:
        counts = "，".join(f"{_(ACTION_LABELS[k])} {n}" for k, n in sorted(r.counts.items()))
        print(f"{r.path.name}：{_(STATUS_LABELS[r.status])}" + (f"（{counts}）" if counts else "")
              + (f"：{r.message}" if r.message else ""))
        if r.gap:
            print(_("  注意：缺少第 {s} 号数据包（可能丢失或尚未送来）").format(s="、".join(map(str, r.gap))))
        rows = [(TABLE_LABELS.get(o.table, o.table), o.record_id[:8], _(ACTION_LABELS[o.action]), o.detail)
                for o in (r.report.outcomes if r.report else []) if o.action not in ("unchanged", "created")]
        if rows:
            print_table([_("类别"), _("记录"), _("结果"), _("说明")], rows)
    return EXIT_USER_ERROR if bad else EXIT_OK


def cmd_sync_reply(args: argparse.Namespace) -> int:
    from liaison.cli.output import print_json
    from liaison.sync.exchange import write_replies

    ws, actor = _open_as(args)
    try:
        results = write_replies(ws, _store(ws), Path(args.out))
    finally:
        ws.close()
    if args.json:
        print_json({"format": 1, "replies": [{"device_id": r.device_id, "device": r.device_name, "path": str(r.path),
                                               "seq": r.seq, "acknowledged_seq": r.acknowledged_seq,
                                               "records": r.records} for r in results]})
    elif not results:
        print(_("没有需要回执的设备"))
    for r in results if not args.json else []:
        print(_("{d}：{p}（确认到第 {a} 号，带回 {n} 条记录）").format(d=r.device_name, p=r.path, a=r.acknowledged_seq,
                                                           n=r.records))
    return EXIT_OK


def cmd_sync_status(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from liaison.cli.output import print_json
    from liaison.core.models import SyncDevice, SyncPackage
    from liaison.core.services import settings
    from liaison.core.services.sync_apply import open_conflicts, open_duplicates
    from liaison.sync.exchange import ROLE
    from liaison.sync.keys import load_identity

    ws, actor = _open_as(args)
    try:
        with ws.uow() as uow:
            role = settings.get_setting(uow.session, ROLE)
            store = _store(ws)
            identity = load_identity(store, "hub" if role == "hub" else "device", ws.device_id,
                                     create=False) if role else None
            packages = [(p.direction, p.kind, p.seq, p.status, p.file_name, p.created_at.isoformat(" ", "minutes"))
                        for p in uow.session.scalars(select(SyncPackage).order_by(SyncPackage.created_at.desc())
                                                     .limit(20))]
            devices = [(d.name, d.area_code, d.fingerprint, d.last_seq) for d in uow.session.scalars(select(SyncDevice))]
            conflicts, duplicates = len(open_conflicts(uow)), len(open_duplicates(uow))
    finally:
        ws.close()
    data = {"format": 1, "role": role, "device_id": ws.device_id,
            "fingerprint": identity.fingerprint if identity else None, "open_conflicts": conflicts,
            "open_duplicates": duplicates,
            "devices": [dict(zip(("name", "area_code", "fingerprint", "last_seq"), d, strict=True)) for d in devices],
            "packages": [dict(zip(("direction", "kind", "seq", "status", "file", "created"), p, strict=True))
                         for p in packages]}
    if args.json:
        print_json(data)
        return EXIT_OK
    role_label = {"hub": _("县级数据中心"), "device": _("村（乡镇）设备")}.get(role or "", _("未加入数据交换"))
    print(_("本机：{r}，指纹 {f}").format(r=role_label, f=data["fingerprint"] or "—"))
    print(_("待处理：冲突 {c} 个，疑似重复人员 {d} 个").format(c=conflicts, d=duplicates))
    return EXIT_OK


def cmd_sync_conflicts(args: argparse.Namespace) -> int:
    from liaison.cli.output import print_json, print_table
    from liaison.core.rules.idnumber import mask_cert_number, mask_id_number
    from liaison.core.services.sync_apply import open_conflicts, open_duplicates

    masks = {"id_number": mask_id_number, "cert_number": mask_cert_number}

    def shown(field: str, value: Any) -> Any:  # numbers in a conflict are masked like everywhere else
        return masks[field](str(value)) if field in masks and value else value

    ws, actor = _open_as(args)
    try:
        with ws.uow() as uow:
            conflicts = [{"id": str(c.id), "entity": c.entity, "record": str(c.entity_id), "field": c.field,
                          "base": shown(c.field, c.base_value), "local": shown(c.field, c.local_value),
                          "remote": shown(c.field, c.remote_value),
                          "device_id": c.device_id} for c in open_conflicts(uow)]
            duplicates = [{"id": str(d.id), "id_number_masked": mask_id_number(d.id_number),
                           "existing_person_id": str(d.existing_person_id),
                           "incoming_person_id": str(d.incoming_person_id), "records": len(d.records),
                           "device_id": d.device_id} for d in open_duplicates(uow)]
    finally:
        ws.close()
    if args.json:
        print_json({"format": 1, "conflicts": conflicts, "duplicates": duplicates})
        return EXIT_OK
    if conflicts:
        print_table([_("冲突编号"), _("记录"), _("字段"), _("原值"), _("本机"), _("对方")],
                    [(c["id"], c["record"][:8], c["field"], c["base"], c["local"], c["remote"]) for c in conflicts])
    if duplicates:
        print_table([_("重复编号"), _("身份证号"), _("已有档案"), _("带来记录")],
                    [(d["id"], d["id_number_masked"], d["existing_person_id"][:8], d["records"]) for d in duplicates])
    if not conflicts and not duplicates:
        print(_("没有待处理的冲突或重复人员"))
    return EXIT_OK


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from liaison.cli.output import print_json
    from liaison.core.services.audit import verify_chain

    ws, _actor = _open_as(args)  # the log names people: only for those who may log in
    try:
        with ws.uow() as uow:
            report = verify_chain(uow)
    finally:
        ws.close()
    if args.json:
        print_json({"format": 1, "ok": report.ok, "count": report.count, "last_seq": report.last_seq,
                    "findings": [{"seq": f.seq, "kind": f.kind, "message": f.message} for f in report.findings]})
    elif report.ok:
        print(_("审计日志完整：共 {n} 条记录，校验链无断裂").format(n=report.count))
    else:
        print(_("审计日志有 {n} 处问题（共读到 {count} 条记录）：").format(n=len(report.findings), count=report.count))
        for finding in report.findings:
            print("  " + finding.message)
    return EXIT_OK if report.ok else EXIT_USER_ERROR


def cmd_audit_log(args: argparse.Namespace) -> int:
    from liaison.cli.output import print_json, print_table
    from liaison.core.services.audit import masked_changes, recent

    if args.id and not args.entity:
        raise LiaisonError(_("--id 须与 --entity 同用（如 --entity person --id 编号）"))
    entity_id = _record_id(args.id) if args.id else None
    ws, _actor = _open_as(args)
    try:
        with ws.uow() as uow:
            events = recent(uow, entity=args.entity, entity_id=entity_id, limit=args.limit)
    finally:
        ws.close()
    rows = [{"seq": e.seq, "at": e.at.isoformat(), "username": e.username, "entity": e.entity,
             "entity_id": str(e.entity_id), "action": e.action, "changes": masked_changes(e.changes),
             "reason": e.reason} for e in events]
    if args.json:
        print_json({"format": 1, "events": rows})
        return EXIT_OK
    if not rows:
        print(_("没有审计记录"))
        return EXIT_OK
    print_table([_("序号"), _("时间（UTC）"), _("操作人"), _("记录"), _("操作"), _("内容")],
                [(r["seq"], r["at"][:19], r["username"], f"{r['entity']} {r['entity_id'][:8]}", r["action"],
                  "；".join(f"{k}: {v[0]} → {v[1]}" for k, v in r["changes"].items())
                  + (f"（{r['reason']}）" if r["reason"] else "")) for r in rows])
    return EXIT_OK


def cmd_sync_resolve(args: argparse.Namespace) -> int:
    from liaison.core.services.sync_apply import resolve_conflict

    ws, actor = _open_as(args)
    try:
        with ws.uow() as uow:
            resolve_conflict(uow, actor, _record_id(args.conflict_id), take=args.take, today=_today(args))
            uow.commit()
    finally:
        ws.close()
    print(_("冲突已处理"))
    return EXIT_OK


def cmd_sync_decide(args: argparse.Namespace) -> int:
    from liaison.core.services.sync_apply import decide_duplicate

    ws, actor = _open_as(args)
    try:
        with ws.uow() as uow:
            report = decide_duplicate(uow, actor, _record_id(args.duplicate_id), decision=args.decision,
                                      note=args.note, today=_today(args))
            uow.commit()
    finally:
        ws.close()
    print(_("已核对：{d}（并入 {n} 条记录）").format(d=_("同一人") if args.decision == "merge" else _("录入错误"),
                                            n=report.counts.get("created", 0)))
    return EXIT_OK


# --- roster import (花名册导入) ---------------------------------------------------------------


def _add_roster_commands(commands: Any) -> None:
    roster = commands.add_parser("roster", help=_("县残联花名册（Excel）"))
    roster_commands = roster.add_subparsers(dest="roster_command", metavar="ACTION", required=True,
                                            parser_class=ChineseArgumentParser)
    imp = roster_commands.add_parser("import", help=_("导入花名册：新建未建档的人员，更新已建档人员的残疾人证信息"))
    imp.add_argument("file", metavar="FILE.xlsx", help=_("花名册文件"))
    imp.add_argument("--area", metavar="CODE", help=_("没有填写村（社区）的行登记到这个村或村民小组（区划代码）"))
    imp.add_argument("--dry-run", action="store_true", help=_("试导入：检查并报告，不作任何改动"))
    imp.add_argument("--refused-out", metavar="FILE.xlsx", help=_("把未导入的行连同原因写到这个文件，供改正后重报"))
    imp.add_argument("--json", action="store_true", help=_("输出 JSON"))
    imp.set_defaults(handler=cmd_roster_import)


def cmd_roster_import(args: argparse.Namespace) -> int:
    from liaison.cli.output import print_json, print_table
    from liaison.core.services.areas import get_area_by_code
    from liaison.sync.roster_import import import_roster, read_roster, write_refused_xlsx

    refused_out = _out_path(args.refused_out, (".xlsx",)) if args.refused_out else None
    today = _today(args)
    preview = read_roster(Path(args.file).expanduser(), today=today)  # a file-level error exits 1 here
    ws, actor = _open_as(args)
    try:
        with ws.uow() as uow:
            area_id = get_area_by_code(uow, args.area).id if args.area else None
            result = import_roster(uow, actor, preview, area_id=area_id, today=today,
                                   dry_run=args.dry_run)
            if not args.dry_run:
                uow.commit()
    finally:
        ws.close()
    written = refused_out if refused_out is not None and result.refused else None
    if written is not None:
        write_refused_xlsx(result, written)
    notes = [*result.warnings, *[_("第 {row} 行：{w}").format(row=r.row, w=w) for r in result.rows
                                 for w in r.warnings]]
    if args.json:
        print_json({
            "format": 1, "file": str(result.file), "dry_run": result.dry_run, "sheet": result.sheet,
            "header_row": result.header_row, "created": len(result.created), "updated": len(result.updated),
            "unchanged": len(result.unchanged),
            "refused": [{"row": r.row, "name": r.name, "reason": r.reason} for r in result.refused],
            "ignored_columns": result.ignored_columns,
            "updated_rows": [{"row": r.row, "name": r.name, "fields": list(r.changes),
                              "fields_label": r.changed_fields} for r in result.updated],
            "skipped": [{"row": s.row, "reason": s.reason} for s in result.skipped],
            "warnings": notes, "refused_out": str(written) if written is not None else None,
        })
        return EXIT_OK
    print(_("花名册：{file}（工作表“{sheet}”，表头在第 {row} 行）").format(
        file=result.file, sheet=result.sheet, row=result.header_row))
    if result.ignored_columns:
        print(_("未使用的列：{cols}").format(cols="、".join(result.ignored_columns)))
    if result.skipped:
        print(_("跳过：{rows}").format(rows="；".join(
            _("第 {row} 行（{why}）").format(row=s.row, why=s.reason) for s in result.skipped)))
    for note in notes:
        print(_("注意：{w}").format(w=note), file=sys.stderr)
    if result.updated:
        print(_("更新的人员："))
        print_table([_("行号"), _("姓名"), _("更改")],
                    [(r.row, r.name, "、".join(r.changed_fields)) for r in result.updated])
    if result.refused:
        print(_("未导入的行："))
        print_table([_("行号"), _("姓名"), _("原因")], [(r.row, r.name, r.reason) for r in result.refused])
    counts = _("新建 {c} 人，更新 {u} 人，未变 {n} 人，未导入 {r} 行").format(
        c=len(result.created), u=len(result.updated), n=len(result.unchanged), r=len(result.refused))
    print(_("试导入（没有保存任何改动）：{counts}").format(counts=counts) if result.dry_run
          else _("已导入：{counts}").format(counts=counts))
    if written is not None:
        print(_("未导入的行已写到：{path}").format(path=written))
    elif refused_out is not None:
        print(_("没有未导入的行，未写出 {path}").format(path=refused_out))
    return EXIT_OK


# --- login accounts -------------------------------------------------------------------------

ROLE_CHOICES = {"village": "village_officer", "township": "township_staff", "county": "county_staff",
                "admin": "admin"}


def _add_user_commands(commands: Any) -> None:
    user = commands.add_parser("user", help=_("登录账户：添加、列出、改密码、停用、解锁"))
    user_commands = user.add_subparsers(dest="user_command", metavar="ACTION", required=True,
                                        parser_class=ChineseArgumentParser)
    add = user_commands.add_parser("add", help=_("添加账户（管理员）；密码取自环境变量 LIAISON_NEW_PASSWORD 或在终端输入两次"))
    add.add_argument("username", metavar="USERNAME", help=_("登录名"))
    add.add_argument("--name", required=True, metavar="名称", help=_("姓名（显示名）"))
    add.add_argument("--role", required=True, choices=list(ROLE_CHOICES),
                     help=_("village：村（社区）专职委员；township：乡镇工作人员；county：县残联工作人员；admin：管理员"))
    add.add_argument("--area", action="append", default=[], metavar="CODE",
                     help=_("负责地区的区划代码（可多次给出）：专职委员给村，乡镇给乡镇，县残联给县或不给"))
    add.set_defaults(handler=cmd_user_add)
    lst = user_commands.add_parser("list", help=_("列出账户（管理员）"))
    lst.add_argument("--json", action="store_true", help=_("输出 JSON"))
    lst.set_defaults(handler=cmd_user_list)
    passwd = user_commands.add_parser("passwd", help=_("修改本人密码；管理员给出 USERNAME 时重设他人密码"))
    passwd.add_argument("username", metavar="USERNAME", nargs="?", help=_("要重设密码的账户（默认：本人）"))
    passwd.set_defaults(handler=cmd_user_passwd)
    for name, help_text, handler in (
        ("disable", _("停用账户（管理员）"), cmd_user_disable),
        ("enable", _("重新启用账户（管理员）"), cmd_user_enable),
        ("unlock", _("解除因密码错误造成的锁定（管理员）"), cmd_user_unlock),
    ):
        sub = user_commands.add_parser(name, help=help_text)
        sub.add_argument("username", metavar="USERNAME")
        sub.set_defaults(handler=handler)
    init = user_commands.add_parser("init-admin", help=_("建立第一个管理员账户（工作区还没有管理员时）"))
    init.add_argument("username", metavar="USERNAME", help=_("登录名"))
    init.add_argument("--name", required=True, metavar="名称", help=_("姓名（显示名）"))
    init.set_defaults(handler=cmd_user_init_admin)


def _new_password() -> str:
    import getpass
    import os

    password = os.environ.get(NEW_PASSWORD_ENV)
    if password is not None:
        return password
    if not sys.stdin.isatty():
        raise LiaisonError(_("需要新密码：请在终端中运行以输入，或设置环境变量 {env}").format(env=NEW_PASSWORD_ENV))
    first = getpass.getpass(_("新密码（至少 8 个字符）："))
    if getpass.getpass(_("再输入一次：")) != first:
        raise LiaisonError(_("两次输入的密码不一致"))
    return first


def _user_named(uow, username: str):  # type: ignore[no-untyped-def]
    from liaison.core.errors import NotFoundError
    from liaison.core.services.accounts import find_user

    user = find_user(uow, username)
    if user is None:
        raise NotFoundError(_("找不到登录名为 {name} 的账户").format(name=username.strip()))
    return user


def _refuse_without_admin(uow) -> None:  # type: ignore[no-untyped-def]
    from liaison.core.services.accounts import needs_first_admin

    if needs_first_admin(uow):
        raise LiaisonError(_("该工作区还没有管理员账户：请先用 liaison user init-admin 建立"))


def cmd_user_add(args: argparse.Namespace) -> int:
    from liaison.core.enums import UserRole, label
    from liaison.core.services.accounts import create_user
    from liaison.core.services.areas import get_area_by_code

    ws, actor = _open_as(args)
    try:
        with ws.uow() as uow:
            _refuse_without_admin(uow)
            _require_admin(actor)
            area_ids = [get_area_by_code(uow, code).id for code in args.area]
            role = UserRole(ROLE_CHOICES[args.role])
            password = _new_password()
            user = create_user(uow, actor, username=args.username, display_name=args.name, role=role,
                               password=password, area_ids=area_ids)
            uow.commit()
    finally:
        ws.close()
    print(_("已添加账户 {u}（{n}，{r}）").format(u=user.username, n=user.display_name, r=label(role)))
    return EXIT_OK


def cmd_user_list(args: argparse.Namespace) -> int:
    from liaison.cli.output import print_json, print_table
    from liaison.core.services.accounts import list_users

    ws, actor = _open_as(args)
    try:
        with ws.uow() as uow:
            users = list_users(uow, actor)
    finally:
        ws.close()
    if args.json:
        print_json([{"username": u.username, "display_name": u.display_name, "role": u.role.value,
                     "role_label": u.role_label, "areas": list(u.area_names), "active": u.active,
                     "has_password": u.has_password,
                     "locked_until": u.locked_until.isoformat() if u.locked_until else None,
                     "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None}
                    for u in users])
        return EXIT_OK
    if not users:
        print(_("还没有账户"))
        return EXIT_OK
    print_table(
        [_("登录名"), _("姓名"), _("角色"), _("负责地区"), _("状态"), _("上次登录（UTC）")],
        [(u.username, u.display_name, u.role_label, "、".join(u.area_names) or _("整个工作区"),
          _("已停用") if not u.active else _("已锁定") if u.locked_until else
          _("无密码") if not u.has_password else _("正常"),
          u.last_login_at.isoformat(" ", "minutes") if u.last_login_at else "")
         for u in users],
    )
    return EXIT_OK


def cmd_user_passwd(args: argparse.Namespace) -> int:
    from liaison.core.services.accounts import change_password, normalize_username, reset_password

    ws = _open(args)
    try:
        actor, password = _login(ws, args)
        with ws.uow() as uow:
            if args.username is None or normalize_username(args.username) == actor.username:
                if password is None:
                    raise LiaisonError(_("该工作区还没有登录账户，没有可修改的密码"))
                change_password(uow, actor, password, _new_password())
                whose = actor.username
            else:
                _refuse_without_admin(uow)
                _require_admin(actor)
                user = _user_named(uow, args.username)
                reset_password(uow, actor, user.id, _new_password())
                whose = user.username
            uow.commit()
    finally:
        ws.close()
    print(_("账户 {u} 的密码已修改").format(u=whose))
    return EXIT_OK


def _set_active(args: argparse.Namespace, active: bool) -> int:
    from liaison.core.services.accounts import update_user

    ws, actor = _open_as(args)
    try:
        with ws.uow() as uow:
            _refuse_without_admin(uow)
            _require_admin(actor)
            user = _user_named(uow, args.username)
            update_user(uow, actor, user.id, active=active)
            uow.commit()
    finally:
        ws.close()
    print((_("已启用账户 {u}") if active else _("已停用账户 {u}")).format(u=user.username))
    return EXIT_OK


def cmd_user_disable(args: argparse.Namespace) -> int:
    return _set_active(args, False)


def cmd_user_enable(args: argparse.Namespace) -> int:
    return _set_active(args, True)


def cmd_user_unlock(args: argparse.Namespace) -> int:
    from liaison.core.services.accounts import unlock

    ws, actor = _open_as(args)
    try:
        with ws.uow() as uow:
            _refuse_without_admin(uow)
            _require_admin(actor)
            user = _user_named(uow, args.username)
            unlock(uow, actor, user.id)
            uow.commit()
    finally:
        ws.close()
    print(_("已解除账户 {u} 的锁定").format(u=user.username))
    return EXIT_OK


def cmd_user_init_admin(args: argparse.Namespace) -> int:
    """The first administrator: needs no login, since nobody could log in as one yet."""
    from liaison.core.services.accounts import create_first_admin, needs_first_admin

    ws = _open(args)
    try:
        with ws.uow() as uow:
            if not needs_first_admin(uow):
                raise LiaisonError(_("该工作区已有管理员账户；新账户请由管理员用 liaison user add 添加"))
            user = create_first_admin(uow, ws.system_actor, username=args.username, display_name=args.name,
                                      password=_new_password())
            uow.commit()
    finally:
        ws.close()
    print(_("已建立管理员账户 {u}（{n}）").format(u=user.username, n=user.display_name))
    return EXIT_OK
