"""Showing a written PDF inside the program, and printing it.

The pages are rendered with pdfium (pypdfium2) on the GUI thread, only when they come into
view (and the pages next to them): a 15-page county report opens at once and scrolls freely.
Images of pages far from the view are dropped again. pdfium is not thread-safe, so nothing
here is called from a worker.

Printing draws each page as an image at the printer's resolution (at most PRINT_DPI_CAP) onto
the printer's paper, at the page's own size; the print dialog goes through `PrintChoice.ask`,
which tests replace.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QObject,
    QPoint,
    QRect,
    QRectF,
    QSize,
    QSizeF,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeySequence,
    QPageLayout,
    QPageSize,
    QPainter,
    QPaintEvent,
    QPalette,
    QPixmap,
    QShortcut,
)
from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from liaison.core.errors import LiaisonError
from liaison.core.i18n import _
from liaison.gui.flow_layout import FlowLayout

POINTS_PER_INCH = 72
PAGE_GAP = 12  # pixels between pages and around them
ZOOM_STEPS = (0.25, 0.33, 0.5, 0.67, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0)
NEARBY = 1  # pages rendered ahead of and behind the visible ones
KEEP = 3  # pages kept beyond the visible ones before their images are dropped
PRINT_DPI_CAP = 300  # an A4 page at 1200 dpi would be a 400 MB image; 300 dpi prints text sharply
PAGE_BACKGROUND = QColor("#ffffff")
PLACEHOLDER_TEXT = QColor("#666666")


def _pdfium():  # type: ignore[no-untyped-def]
    import pypdfium2

    return pypdfium2


# --- rendering one page ------------------------------------------------------------------------


def _qimage_format(mode: str) -> QImage.Format | None:
    """The QImage format whose memory layout is pdfium's `mode` (None: no direct match)."""
    byte_ordered = {
        "RGB": QImage.Format.Format_RGB888,
        "BGR": QImage.Format.Format_BGR888,
        "RGBA": QImage.Format.Format_RGBA8888,
        "RGBX": QImage.Format.Format_RGBX8888,
        "L": QImage.Format.Format_Grayscale8,
    }
    if mode in byte_ordered:
        return byte_ordered[mode]
    # Qt's 32-bit formats are words: B,G,R,A in memory only on a little-endian machine
    if sys.byteorder == "little":
        return {"BGRA": QImage.Format.Format_ARGB32, "BGRX": QImage.Format.Format_RGB32}.get(mode)
    return None


def render_page(pdf: object, index: int, scale: float) -> QImage:
    """Page `index` of an open pypdfium2 document as an image, `scale` pixels per point."""
    page = pdf[index]  # type: ignore[index]
    try:
        # byte-ordered RGB: the same QImage format on every machine
        bitmap = page.render(scale=scale, rev_byteorder=True)
        try:
            fmt = _qimage_format(bitmap.mode)
            if fmt is not None:
                image = QImage(bitmap.buffer, bitmap.width, bitmap.height, bitmap.stride, fmt).copy()
            else:  # pragma: no cover - a pdfium build with another layout
                pil = bitmap.to_pil().convert("RGB")
                data = pil.tobytes()
                image = QImage(data, pil.width, pil.height, pil.width * 3, QImage.Format.Format_RGB888).copy()
        finally:
            bitmap.close()
    finally:
        page.close()
    return image


def page_sizes(pdf: object) -> list[tuple[float, float]]:
    """(width, height) in points of every page."""
    sizes = []
    for index in range(len(pdf)):  # type: ignore[arg-type]
        page = pdf[index]  # type: ignore[index]
        try:
            sizes.append(tuple(page.get_size()))
        finally:
            page.close()
    return sizes  # type: ignore[return-value]


def pdf_page_count(path: Path) -> int:
    pdf = _pdfium().PdfDocument(str(path))
    try:
        return len(pdf)
    finally:
        pdf.close()


# --- printing --------------------------------------------------------------------------------


class PrintChoice:
    """The print dialog (printer, copies, page range). Tests replace `ask`."""

    @classmethod
    def ask(cls, parent: QWidget | None, printer: QPrinter, pages: int) -> bool:
        dialog = QPrintDialog(printer, parent)
        dialog.setWindowTitle(_("打印"))
        dialog.setMinMax(1, pages)
        dialog.setFromTo(1, pages)
        dialog.setOption(QAbstractPrintDialog.PrintDialogOption.PrintPageRange, True)
        return dialog.exec() == QDialog.DialogCode.Accepted


def prepare_printer(printer: QPrinter, path: Path, title: str = "") -> int:
    """Paper size and orientation from the PDF's first page; returns its page count."""
    pdf = _pdfium().PdfDocument(str(path))
    try:
        sizes = page_sizes(pdf)
    finally:
        pdf.close()
    if sizes:
        width, height = sizes[0]
        size = QPageSize(QSizeF(width, height), QPageSize.Unit.Point, "",
                         QPageSize.SizeMatchPolicy.FuzzyMatch)
        printer.setPageSize(size)
        printer.setPageOrientation(QPageLayout.Orientation.Landscape if width > height
                                   else QPageLayout.Orientation.Portrait)
    printer.setFullPage(True)  # the PDF has its own margins
    if title:
        printer.setDocName(title)
    return len(sizes)


def print_pdf(path: Path, printer: QPrinter, *, first: int = 1, last: int | None = None,
              progress: Callable[[int, int], None] | None = None) -> int:
    """Print pages `first`..`last` (1-based, inclusive) of the PDF at `path` on `printer`;
    returns the number of pages printed."""
    pdf = _pdfium().PdfDocument(str(path))
    painter = QPainter()
    try:
        count = len(pdf)
        last = count if last is None or last <= 0 else min(last, count)
        first = max(1, first)
        if first > last:
            return 0
        if not painter.begin(printer):
            raise LiaisonError(_("无法开始打印：打印机不可用或输出文件无法写入"))
        resolution = printer.resolution()
        dpi = min(resolution, PRINT_DPI_CAP)
        paper = printer.paperRect(QPrinter.Unit.DevicePixel)
        printed = 0
        for number in range(first, last + 1):
            if printed:
                printer.newPage()
            page = pdf[number - 1]
            try:
                width_pt, height_pt = page.get_size()
            finally:
                page.close()
            image = render_page(pdf, number - 1, dpi / POINTS_PER_INCH)
            # the page at its own size, shrunk to the paper if larger, centred
            target = QSizeF(width_pt / POINTS_PER_INCH * resolution, height_pt / POINTS_PER_INCH * resolution)
            if target.width() > paper.width() or target.height() > paper.height():
                target.scale(paper.size(), Qt.AspectRatioMode.KeepAspectRatio)
            x = paper.left() + (paper.width() - target.width()) / 2
            y = paper.top() + (paper.height() - target.height()) / 2
            painter.drawImage(QRectF(x - paper.left(), y - paper.top(), target.width(), target.height()), image)
            printed += 1
            if progress is not None:
                progress(printed, last - first + 1)
        return printed
    finally:
        if painter.isActive():
            painter.end()
        pdf.close()


# --- the preview -----------------------------------------------------------------------------


class _Canvas(QWidget):
    """Every page stacked vertically at the current zoom; paints only what is exposed and asks
    the preview for the images it lacks."""

    def __init__(self, preview: PdfPreview) -> None:
        super().__init__()
        self.preview = preview
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor("#8a8a8a"))
        self.setPalette(palette)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def paintEvent(self, event: QPaintEvent) -> None:
        preview = self.preview
        painter = QPainter(self)
        try:
            exposed = event.rect()
            wanted: list[int] = []
            for index, rect in enumerate(preview.page_rects):
                if not rect.intersects(exposed):
                    continue
                pixmap = preview.cached_pixmap(index)
                if pixmap is not None:
                    painter.drawPixmap(rect, pixmap)
                else:
                    painter.fillRect(rect, PAGE_BACKGROUND)
                    painter.setPen(PLACEHOLDER_TEXT)
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter,
                                     _("正在显示第 {n} 页……").format(n=index + 1))
                    wanted.append(index)
                painter.setPen(QColor("#555555"))
                painter.drawRect(rect.adjusted(0, 0, -1, -1))
        finally:
            painter.end()
        if wanted:
            preview.request_render(wanted)


class PdfPreview(QWidget):
    """Pages of a PDF with 上一页/下一页, 第 x 页 共 y 页, zoom (适合宽度, 100%, −, +) and scrolling."""

    page_changed = Signal(int)  # 0-based index of the page in view
    page_rendered = Signal(int)  # an image of a page is ready (tests wait on it)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path: Path | None = None
        self._pdf: object | None = None
        self.sizes: list[tuple[float, float]] = []
        self.page_rects: list[QRect] = []
        self.zoom = 1.0
        self.fit_width = True
        self._current = 0
        self._cache: dict[int, QPixmap] = {}
        self._cache_key: tuple[float, float] = (0.0, 0.0)
        self._queue: list[int] = []
        self.render_count = 0  # images made since the document was opened (tests, measures)
        self._render_timer = QTimer(self, singleShot=True, interval=0)
        self._render_timer.timeout.connect(self._render_queued)
        self._build()
        self._show_state()
        app = QCoreApplication.instance()
        if app is not None:
            # let go of the file before the interpreter's exit (pdfium complains of open documents)
            app.aboutToQuit.connect(self.close_document)

    # --- building ----------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # wraps onto a second line when the preview is narrow (a large font, a small screen)
        toolbar = QWidget()
        bar = FlowLayout(toolbar, spacing=6)
        self.prev_button = self._button(_("上一页"), _("上一页（Ctrl+PgUp）"))
        self.next_button = self._button(_("下一页"), _("下一页（Ctrl+PgDown）"))
        self.page_label = QLabel()
        self.page_label.setAccessibleName(_("页码"))
        self.fit_button = self._button(_("适合宽度"), _("页面宽度适合窗口（Ctrl+0）"))
        self.fit_button.setCheckable(True)
        self.actual_button = self._button("100%", _("实际大小"))
        self.zoom_out_button = self._button("−", _("缩小（Ctrl+减号）"))
        self.zoom_out_button.setAccessibleName(_("缩小"))
        self.zoom_in_button = self._button("+", _("放大（Ctrl+加号）"))
        self.zoom_in_button.setAccessibleName(_("放大"))
        self.zoom_label = QLabel()
        self.zoom_label.setAccessibleName(_("显示比例"))
        pages = QWidget()  # kept together on one line
        pages_row = QHBoxLayout(pages)
        pages_row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.prev_button, self.next_button, self.page_label):
            pages_row.addWidget(widget)
        zoom = QWidget()
        zoom_row = QHBoxLayout(zoom)
        zoom_row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.fit_button, self.actual_button, self.zoom_out_button, self.zoom_in_button,
                       self.zoom_label):
            zoom_row.addWidget(widget)
        bar.addWidget(pages)
        bar.addWidget(zoom)
        layout.addWidget(toolbar)

        self.canvas = _Canvas(self)
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.canvas)
        self.scroll.setWidgetResizable(False)
        self.scroll.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.scroll.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.scroll.setAccessibleName(_("报表预览"))
        self.scroll.setBackgroundRole(QPalette.ColorRole.Dark)
        self.scroll.viewport().installEventFilter(self)  # fitting the width follows the view
        self.empty_label = QLabel()
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.empty_label, 1)

        self.prev_button.clicked.connect(lambda: self.go_to_page(self._current - 1))
        self.next_button.clicked.connect(lambda: self.go_to_page(self._current + 1))
        self.fit_button.clicked.connect(lambda: self.set_fit_width())
        self.actual_button.clicked.connect(lambda: self.set_zoom(1.0))
        self.zoom_out_button.clicked.connect(self.zoom_out)
        self.zoom_in_button.clicked.connect(self.zoom_in)
        self.scroll.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.scroll.horizontalScrollBar().valueChanged.connect(self._scrolled)
        shortcuts = (
            ("Ctrl+PgUp", lambda: self.go_to_page(self._current - 1)),
            ("Ctrl+PgDown", lambda: self.go_to_page(self._current + 1)),
            ("Ctrl+0", self.set_fit_width),
            ("Ctrl++", self.zoom_in),
            ("Ctrl+=", self.zoom_in),
            ("Ctrl+-", self.zoom_out),
        )
        for keys, slot in shortcuts:
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    def _button(self, text: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(text)
        button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        return button

    # --- the document ------------------------------------------------------------------------

    def load(self, path: Path) -> int:
        """Show the PDF at `path` from its first page; returns its page count."""
        self.close_document()
        pdf = _pdfium().PdfDocument(str(path))
        self._pdf = pdf
        self.path = Path(path)
        self.sizes = page_sizes(pdf)
        self._current = 0
        self.render_count = 0
        self._show_state()  # the view is shown first: fitting the width needs its size
        self._layout_pages()
        self.scroll.verticalScrollBar().setValue(0)
        self.scroll.horizontalScrollBar().setValue(0)
        self.page_changed.emit(0)
        return len(self.sizes)

    def close_document(self, message: str = "") -> None:
        """Let go of the file (so it can be deleted) and show `message` instead."""
        self._queue.clear()
        self._cache.clear()
        if self._pdf is not None:
            self._pdf.close()  # type: ignore[attr-defined]
        self._pdf = None
        self.path = None
        self.sizes = []
        self.page_rects = []
        self._current = 0
        self.canvas.resize(0, 0)
        self.empty_label.setText(message)
        self._show_state()

    def set_message(self, message: str) -> None:
        """The text shown while there is no document."""
        self.empty_label.setText(message)

    @property
    def page_count(self) -> int:
        return len(self.sizes)

    @property
    def current_page(self) -> int:
        return self._current

    def rendered_pages(self) -> set[int]:
        return set(self._cache)

    # --- geometry ----------------------------------------------------------------------------

    def _pixels_per_point(self) -> float:
        return self.zoom * self.logicalDpiX() / POINTS_PER_INCH

    def _fit_zoom(self) -> float:
        if not self.sizes:
            return 1.0
        widest = max(w for w, _h in self.sizes)
        available = self.scroll.viewport().width() - 2 * PAGE_GAP
        if self.scroll.verticalScrollBar().isHidden():
            # room for the scroll bar that appears once the pages are taller than the view
            available -= self.scroll.verticalScrollBar().sizeHint().width()
        return max(0.1, available / (widest * self.logicalDpiX() / POINTS_PER_INCH))

    def _layout_pages(self) -> None:
        if self.fit_width:
            self.zoom = self._fit_zoom()
        ppp = self._pixels_per_point()
        rects = []
        widest = max((round(w * ppp) for w, _h in self.sizes), default=0)
        y = PAGE_GAP
        for width_pt, height_pt in self.sizes:
            width, height = round(width_pt * ppp), round(height_pt * ppp)
            rects.append(QRect(PAGE_GAP + (widest - width) // 2, y, width, height))
            y += height + PAGE_GAP
        self.page_rects = rects
        key = (self.zoom, self.devicePixelRatioF())
        if key != self._cache_key:
            self._cache.clear()
            self._cache_key = key
        self.canvas.resize(QSize(widest + 2 * PAGE_GAP, y) if rects else QSize(0, 0))
        self.canvas.update()
        self._update_labels()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self.scroll.viewport() and event.type() == QEvent.Type.Resize
                and self.sizes and self.fit_width):
            top = self._relative_position()
            self._layout_pages()
            self._restore_position(top)
        return super().eventFilter(watched, event)

    def _relative_position(self) -> tuple[int, float]:
        """The page at the top of the view and how far down it the view starts."""
        if not self.page_rects:
            return 0, 0.0
        y = self.scroll.verticalScrollBar().value()
        for index, rect in enumerate(self.page_rects):
            if rect.bottom() + PAGE_GAP >= y:
                return index, max(0.0, (y - rect.top()) / max(1, rect.height()))
        return len(self.page_rects) - 1, 0.0

    def _restore_position(self, position: tuple[int, float]) -> None:
        index, fraction = position
        if 0 <= index < len(self.page_rects):
            rect = self.page_rects[index]
            self.scroll.verticalScrollBar().setValue(rect.top() + round(fraction * rect.height()))

    # --- navigation and zoom -----------------------------------------------------------------

    def go_to_page(self, index: int) -> None:
        if not self.page_rects:
            return
        index = max(0, min(index, len(self.page_rects) - 1))
        self.scroll.verticalScrollBar().setValue(self.page_rects[index].top() - PAGE_GAP // 2)
        self._set_current(index)

    def set_zoom(self, zoom: float) -> None:
        self.fit_width = False
        self._apply_zoom(max(ZOOM_STEPS[0], min(zoom, ZOOM_STEPS[-1])))

    def set_fit_width(self) -> None:
        self.fit_width = True
        self._apply_zoom(None)

    def zoom_in(self) -> None:
        larger = [z for z in ZOOM_STEPS if z > self.zoom + 1e-6]
        self.set_zoom(larger[0] if larger else ZOOM_STEPS[-1])

    def zoom_out(self) -> None:
        smaller = [z for z in ZOOM_STEPS if z < self.zoom - 1e-6]
        self.set_zoom(smaller[-1] if smaller else ZOOM_STEPS[0])

    def _apply_zoom(self, zoom: float | None) -> None:
        position = self._relative_position()
        if zoom is not None:
            self.zoom = zoom
        self._layout_pages()
        self._restore_position(position)
        self._update_labels()

    def _scrolled(self, _value: int) -> None:
        if not self.page_rects:
            return
        view = self._visible_rect()
        middle = view.top() + view.height() // 3
        current = self._current
        for index, rect in enumerate(self.page_rects):
            if rect.top() - PAGE_GAP <= middle:
                current = index
        self._set_current(current)
        self._drop_far_pages()

    def _set_current(self, index: int) -> None:
        if index != self._current:
            self._current = index
            self.page_changed.emit(index)
        self._update_labels()

    def _visible_rect(self) -> QRect:
        """The part of the canvas the view shows, in canvas coordinates."""
        viewport = self.scroll.viewport()
        top_left = self.canvas.mapFrom(viewport, QPoint(0, 0))
        return QRect(top_left, viewport.size())

    def visible_pages(self) -> list[int]:
        view = self._visible_rect()
        return [k for k, rect in enumerate(self.page_rects) if rect.intersects(view)]

    # --- rendering ---------------------------------------------------------------------------

    def cached_pixmap(self, index: int) -> QPixmap | None:
        return self._cache.get(index)

    def request_render(self, indexes: list[int]) -> None:
        """Called from painting: render these (and their neighbours) soon, not during the paint."""
        wanted = set(indexes)
        for index in indexes:
            wanted.update(range(max(0, index - NEARBY), min(len(self.page_rects), index + NEARBY + 1)))
        for index in sorted(wanted):
            if index not in self._queue and index not in self._cache:
                self._queue.append(index)
        if self._queue:
            self._render_timer.start()

    def _render_queued(self) -> None:
        """One page per turn of the event loop, so scrolling and typing stay responsive."""
        if self._pdf is None:
            self._queue.clear()
            return
        visible = set(self.visible_pages())
        near = {k for v in visible for k in range(v - NEARBY, v + NEARBY + 1)}
        # the visible pages first; pages that scrolled far away meanwhile are skipped
        self._queue = [k for k in self._queue if k in near and k not in self._cache]
        self._queue.sort(key=lambda k: (k not in visible, k))
        if not self._queue:
            return
        index = self._queue.pop(0)
        ratio = self.devicePixelRatioF()
        image = render_page(self._pdf, index, self._pixels_per_point() * ratio)
        pixmap = QPixmap.fromImage(image)
        pixmap.setDevicePixelRatio(ratio)
        self._cache[index] = pixmap
        self.render_count += 1
        self.canvas.update(self.page_rects[index])
        self._drop_far_pages()
        self.page_rendered.emit(index)
        if self._queue:
            self._render_timer.start()

    def _drop_far_pages(self) -> None:
        visible = self.visible_pages()
        if not visible:
            return
        low, high = visible[0] - KEEP, visible[-1] + KEEP
        for index in [k for k in self._cache if not low <= k <= high]:
            del self._cache[index]

    # --- labels ------------------------------------------------------------------------------

    def _update_labels(self) -> None:
        total = len(self.sizes)
        if total:
            self.page_label.setText(_("第 {x} 页 共 {y} 页").format(x=self._current + 1, y=total))
        else:
            self.page_label.setText("")
        self.zoom_label.setText(f"{round(self.zoom * 100)}%" if total else "")
        self.prev_button.setEnabled(total > 0 and self._current > 0)
        self.next_button.setEnabled(total > 0 and self._current < total - 1)
        self.fit_button.setChecked(self.fit_width and total > 0)

    def _show_state(self) -> None:
        has_pages = bool(self.sizes)
        self.scroll.setVisible(has_pages)
        self.empty_label.setVisible(not has_pages)
        for button in (self.fit_button, self.actual_button, self.zoom_out_button, self.zoom_in_button):
            button.setEnabled(has_pages)
        self._update_labels()
