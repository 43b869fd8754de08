"""The printable import report (in the spirit of DHIS2's): for every package read, whether it
was imported, and what happened to its records — 新增, 更新, 未变, 冲突, 疑似重复, 暂存, 错误."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from liaison.core.i18n import _
from liaison.core.sync_records import TABLE_LABELS
from liaison.reports.layout import Document, chinese_date
from liaison.reports.monthly_pdf import ReportResult

ACTIONS = (("created", "新增"), ("updated", "更新"), ("unchanged", "未变"), ("conflict", "冲突"),
           ("duplicate", "疑似重复"), ("held", "暂存"), ("error", "错误"))
STATUS = {"imported": "已导入", "dry-run": "试导入（未作改动）", "already-imported": "已导入过（未改动）",
          "refused": "已拒绝", "failed": "未导入（全部撤回）"}
MAX_LISTED = 500  # records listed one by one per package; the counts cover all


def write_import_report_pdf(results: Sequence[Any], out: Path, *, unit: str, on: date,
                            prepared_by: str = "") -> ReportResult:
    doc = Document(title=_("数据包导入报告"), unit=unit, period=_("导入日期：{d}").format(d=chinese_date(on)))
    s = doc.styles
    doc.add(doc.p(_("数据包导入报告"), s.title))
    doc.add(doc.table(
        [_("数据包"), _("发送方"), _("序号"), _("结果"), *[_(label) for _k, label in ACTIONS]],
        [[r.path.name, r.sender[:8], str(r.seq or ""), _(STATUS[r.status]),
          *[f"{r.counts.get(k, 0):,}" for k, _l in ACTIONS]] for r in results],
        [0.19, 0.09, 0.07, 0.13, *[0.074] * 7], numeric=range(4, 11), short=(1, 2), what=_("数据包"),
    ))
    for r in results:
        doc.heading(_("{name}：{status}").format(name=r.path.name, status=_(STATUS[r.status])))
        if r.message:
            doc.add(doc.p(r.message))
        if r.gap:
            doc.add(doc.p(_("注意：缺少第 {s} 号数据包（可能丢失或尚未送来）").format(s="、".join(map(str, r.gap)))))
        if getattr(r, "acknowledged", None):
            doc.add(doc.p(_("县里已确认收到本机第 {s} 号数据包").format(s="、".join(map(str, r.acknowledged)))))
        outcomes = list(r.report.outcomes) if r.report else []
        if outcomes:
            listed = outcomes[:MAX_LISTED]
            labels = dict(ACTIONS)
            doc.add(doc.table(
                [_("序号"), _("类别"), _("记录"), _("结果"), _("说明")],
                [[str(k), _(TABLE_LABELS.get(o.table, o.table)), o.record_id[:8], _(labels.get(o.action, o.action)),
                  o.detail] for k, o in enumerate(listed, start=1)],
                [0.07, 0.13, 0.12, 0.12, 0.56], numeric=(0,), short=(2,), what=_("说明"),
            ))
            if len(outcomes) > MAX_LISTED:
                doc.add(doc.p(_("另有 {n} 条未列出").format(n=len(outcomes) - MAX_LISTED), s.small))
        elif r.report:
            doc.add(doc.p(_("所有记录均已新增或未变，没有需要处理的记录。")))
    doc.sign_off([(_("导入人"), prepared_by), (_("核对人"), "")], on=on, seal=False)
    pages = doc.build(out)
    return ReportResult(out, pages, tuple(doc.glyphs.warnings))
