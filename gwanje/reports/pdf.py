"""PDF building blocks shared by every official form, ledger and report.

Owns: finding and registering a Korean font, the page frame of a Gwanje document (form
code top left, title, issuer and generation time, page numbers "n / N"), and a few
flowables (a field table for forms, a wrapping data table for ledgers, a bar chart).

Invariants:
- Hangul is never rendered as empty boxes: without a CJK TrueType font the build stops with
  `FontMissing`, which names the Debian package to install (fonts-nanum).
- Rendering is pure: the same spec gives the same bytes apart from reportlab's creation
  stamp, which we pin with `invariant=1` so documents can be compared in tests.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from gwanje.errors import GwanjeError

FONT = "Gwanje-Regular"
FONT_BOLD = "Gwanje-Bold"

# Searched in order; the first pair found wins. Debian's fonts-nanum ships the first.
FONT_CANDIDATES: tuple[tuple[str, str], ...] = (
    (
        "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
        "/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf",
    ),
    (
        "/usr/share/fonts/truetype/nanum/NanumBarunGothic.ttf",
        "/usr/share/fonts/truetype/nanum/NanumBarunGothicBold.ttf",
    ),
)


class FontMissing(GwanjeError):
    """No Korean TrueType font is installed, so Hangul cannot be printed."""

    def __init__(self) -> None:
        super().__init__("reports.font_missing")


def register_fonts(candidates: Sequence[tuple[str, str]] = FONT_CANDIDATES) -> None:
    """Register the first available Korean regular/bold pair under FONT / FONT_BOLD."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    for regular, bold in candidates:
        if Path(regular).is_file() and Path(bold).is_file():
            pdfmetrics.registerFont(TTFont(FONT, regular))
            pdfmetrics.registerFont(TTFont(FONT_BOLD, bold))
            pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD)
            return
    raise FontMissing()


@functools.cache
def styles() -> dict[str, ParagraphStyle]:
    """Paragraph styles of every Gwanje document (fonts registered first); built once,
    since every table cell asks for them (a FontMissing is raised, never cached)."""
    register_fonts()
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12, wordWrap="CJK")
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8, leading=10),
        "head": ParagraphStyle("head", parent=body, fontName=FONT_BOLD, fontSize=8, leading=10),
        "title": ParagraphStyle(
            "title", parent=body, fontName=FONT_BOLD, fontSize=15, leading=20, alignment=1
        ),
        "h2": ParagraphStyle(
            "h2", parent=body, fontName=FONT_BOLD, fontSize=11, leading=15, spaceBefore=8
        ),
    }


def text(value: object, style: str = "cell") -> Paragraph:
    """A wrapping paragraph for a table cell; markup characters are escaped."""
    raw = "" if value is None else str(value)
    escaped = raw.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Paragraph(escaped.replace("\n", "<br/>"), styles()[style])


@dataclass(frozen=True)
class DocumentSpec:
    """What every page of a document shows around its body."""

    title: str
    issuer: str  # e.g. "여수시 CCTV 통합관제센터"
    generated_at: datetime
    form_code: str | None = None  # e.g. "[별지 제1호서식]"
    landscape: bool = False
    subtitle: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


def build(spec: DocumentSpec, body: Sequence[Flowable]) -> bytes:
    """Lay out `body` under the document frame and return the PDF bytes."""
    st = styles()
    out = io.BytesIO()
    size = landscape(A4) if spec.landscape else A4
    doc = SimpleDocTemplate(
        out,
        pagesize=size,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=20 * mm,
        bottomMargin=18 * mm,
        title=spec.title,
        author=spec.issuer,
        invariant=1,
    )
    head: list[Flowable] = [Paragraph(spec.title, st["title"])]
    if spec.subtitle:
        head.append(Paragraph(spec.subtitle, st["body"]))
    head.append(Spacer(1, 4 * mm))
    doc.build([*head, *body], canvasmaker=_numbered_canvas(spec, size))
    return out.getvalue()


def field_table(rows: Sequence[tuple[str, object]], label_width: float = 40 * mm) -> Table:
    """A form's label/value grid (labels shaded), the layout of 별지 forms."""
    st = styles()
    data = [[Paragraph(label, st["head"]), text(value)] for label, value in rows]
    table = Table(data, colWidths=[label_width, None])
    table.setStyle(_grid_style(header=False, label_column=True))
    return table


def data_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    widths: Sequence[float] | None = None,
) -> Table:
    """A ledger table: bold header row repeated on every page, cells wrap."""
    st = styles()
    data: list[list[Any]] = [[Paragraph(c, st["head"]) for c in columns]]
    data.extend([text(v) for v in row] for row in rows)
    table = Table(data, colWidths=list(widths) if widths else None, repeatRows=1)
    table.setStyle(_grid_style(header=True, label_column=False))
    return table


def bar_chart(
    labels: Sequence[str], values: Sequence[float], width: float = 170 * mm
) -> KeepTogether:
    """A horizontal bar chart (one bar per label) with Korean labels."""
    register_fonts()
    bar_height = 6 * mm
    height = max(1, len(labels)) * bar_height + 12 * mm
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 45 * mm, 6 * mm
    chart.width, chart.height = width - 55 * mm, height - 10 * mm
    chart.data = [list(values) or [0]]
    chart.categoryAxis.categoryNames = list(labels) or [""]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#2f5d8a")
    drawing.add(chart)
    return KeepTogether([drawing])


def _grid_style(*, header: bool, label_column: bool) -> TableStyle:
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf3")))
    if label_column:
        commands.append(("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#e8edf3")))
    return TableStyle(commands)


def _numbered_canvas(spec: DocumentSpec, size: tuple[float, float]) -> Any:
    """A canvas class that draws the frame and "page n / N" once the page count is known."""
    from reportlab.pdfgen.canvas import Canvas

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                _draw_frame(self, spec, size, number, total)
                super().showPage()
            super().save()

    return NumberedCanvas


def _draw_frame(
    canvas: Any, spec: DocumentSpec, size: tuple[float, float], page: int, total: int
) -> None:
    width, height = size
    canvas.saveState()
    canvas.setFont(FONT, 8)
    if spec.form_code:
        canvas.drawString(15 * mm, height - 12 * mm, spec.form_code)
    stamp = spec.generated_at.strftime("%Y-%m-%d %H:%M %Z").strip()
    canvas.drawRightString(width - 15 * mm, height - 12 * mm, f"{spec.issuer} · {stamp}")
    canvas.drawCentredString(width / 2, 10 * mm, f"{page} / {total}")
    canvas.restoreState()
