"""Pages for work the program will do but does not do yet: they say what they will hold,
with no fake content and no buttons that do nothing."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from liaison.core.enums import N_
from liaison.core.i18n import _

PLANNED: dict[str, tuple[str, list[str]]] = {
    "reports": (N_("报表"), [
        N_("这里将生成乡镇、村的月报（分类分级人数、走访覆盖、需求办理、改造与转介进度、"
           "规划指标完成情况），以及一人一档档案表、入户访视记录表、验收单、转介单和公示名单，"
           "可预览、打印和保存为 PDF 或 Excel。"),
    ]),
    "exchange": (N_("数据交换"), [
        N_("这里将通过 U 盘与乡镇、县残联交换数据：导出加密签名的数据包，导入县里下发的名册和处理决定。"),
        N_("数据包在丢失时不会泄露个人信息，被改动过的数据包会被拒绝，重复导入不会产生重复记录。"),
    ]),
}


class PlannedPage(QWidget):
    def __init__(self, key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title, paragraphs = PLANNED[key]
        layout = QVBoxLayout(self)
        heading = QLabel(_(title))
        font = heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.3)
        heading.setFont(font)
        layout.addWidget(heading)
        status = QLabel(_("此功能尚在开发中，本版本还不能使用。"))
        status.setWordWrap(True)
        layout.addWidget(status)
        for text in paragraphs:
            label = QLabel(_(text))
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard
                                          | Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(label)
        layout.addStretch(1)
        self.setAccessibleName(_(title))
