"""关于: the version, where the data is kept and where the logs are, so an officer can tell
the county's IT person (or a support call) exactly what is installed and which files to look at."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from liaison import __version__
from liaison.core.i18n import _


@dataclass(frozen=True)
class AboutInfo:
    version: str
    data_dir: Path
    database: str  # a file path, or a database URL without its password
    log_dir: Path
    log_file: Path | None  # the file this run writes to; None when logging to a file failed

    @classmethod
    def collect(cls, database_url: str) -> AboutInfo:
        from sqlalchemy.engine import make_url

        from liaison.core.db import default_database_path, sqlite_path
        from liaison.logging_setup import current_log_file, log_dir

        path = sqlite_path(database_url)
        database = str(path) if path is not None else make_url(database_url).render_as_string(
            hide_password=True)
        log_file = current_log_file()
        return cls(
            version=__version__,
            data_dir=default_database_path().parent,
            database=database,
            log_dir=log_file.parent if log_file is not None else log_dir(),
            log_file=log_file,
        )

    def as_text(self) -> str:
        """What 复制信息 puts on the clipboard (to paste into a message to support)."""
        lines = [
            _("残疾人专职委员工作台 {v}").format(v=self.version),
            _("数据文件夹：{p}").format(p=self.data_dir),
            _("当前数据库：{p}").format(p=self.database),
            _("日志文件夹：{p}").format(p=self.log_dir),
        ]
        return "\n".join(lines)


class AboutDialog(QDialog):
    ROWS = (
        ("version", "版本："),
        ("data_dir", "数据文件夹："),
        ("database", "当前数据库："),
        ("log_dir", "日志文件夹："),
    )

    def __init__(self, info: AboutInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info = info
        self.setWindowTitle(_("关于残疾人专职委员工作台"))
        layout = QVBoxLayout(self)

        title = QLabel(_("残疾人专职委员工作台"))
        font = title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.3)
        title.setFont(font)
        layout.addWidget(title)

        grid = QGridLayout()
        self.values: dict[str, QLabel] = {}
        texts = {
            "version": info.version,
            "data_dir": str(info.data_dir),
            "database": info.database,
            "log_dir": str(info.log_dir),
        }
        for row, (key, caption) in enumerate(self.ROWS):
            name = QLabel(_(caption))
            value = QLabel(texts[key])
            # a path on one line, never cut off: it is read out on the phone or copied
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)
            value.setAccessibleName(_(caption).rstrip("："))
            name.setBuddy(value)
            grid.addWidget(name, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(value, row, 1)
            self.values[key] = value
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)

        # two short lines rather than word wrap: a top-level dialog cannot size itself to
        # wrapped text, and at 200 % the rows above would be squeezed
        self.note = QLabel(_("工作数据（数据库、附件和升级前的备份）都保存在数据文件夹里，\n"
                             "升级或卸载本程序都不会删除。请定期把数据文件夹复制到 U 盘备份。"))
        layout.addWidget(self.note)

        buttons = QDialogButtonBox()
        self.open_data_button = QPushButton(_("打开数据文件夹(&D)"))
        self.open_logs_button = QPushButton(_("打开日志文件夹(&L)"))
        self.copy_button = QPushButton(_("复制信息(&C)"))
        close = QPushButton(_("关闭"))
        for button, role in ((self.open_data_button, QDialogButtonBox.ButtonRole.ActionRole),
                             (self.open_logs_button, QDialogButtonBox.ButtonRole.ActionRole),
                             (self.copy_button, QDialogButtonBox.ButtonRole.ActionRole),
                             (close, QDialogButtonBox.ButtonRole.RejectRole)):
            buttons.addButton(button, role)
        self.open_data_button.clicked.connect(lambda: self.open_folder(info.data_dir))
        self.open_logs_button.clicked.connect(lambda: self.open_folder(info.log_dir))
        self.copy_button.clicked.connect(self.copy_info)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        close.setDefault(True)
        # never smaller than what it holds (buttons and paths whole), at any font size
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)

    @staticmethod
    def open_folder(folder: Path) -> bool:
        """In the file manager (Explorer); the folder is created first, so there is always
        something to open, even before the first log line or workspace."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return False
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def copy_info(self) -> None:
        QGuiApplication.clipboard().setText(self.info.as_text())
        self.copy_button.setText(_("已复制"))


def show_about(parent: QWidget, database_url: str) -> AboutDialog:
    """Opens the dialog without blocking (window-modal) and returns it."""
    dialog = AboutDialog(AboutInfo.collect(database_url), parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
