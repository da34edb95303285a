"""A ledger as a file: CSV (UTF-8 with BOM, so Excel reads Hangul), XLSX (openpyxl) and
the official-form PDF (landscape A4 through the shared frame, gwanje/reports/pdf.py).

Invariant: all three carry the same header row and the same cells, in the same order,
as the HTML page (one `Sheet` feeds them all).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from reportlab.lib.units import mm

from gwanje.reports import pdf

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class Sheet:
    title: str
    headers: list[str]
    rows: list[list[str]]
    form_code: str
    issuer: str
    generated_at: datetime  # local time, shown on every PDF page
    subtitle: str = ""
    widths_mm: Sequence[float] = field(default_factory=tuple)  # PDF column widths


def to_csv(sheet: Sheet) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(sheet.headers)
    writer.writerows(sheet.rows)
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(sheet: Sheet) -> bytes:
    book = Workbook()
    page = book.active
    assert page is not None
    page.title = sheet.title[:31]
    page.append(sheet.headers)
    for row in sheet.rows:
        page.append(row)
    for cell in page[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(page.columns, start=1):
        letter = get_column_letter(index)
        widest = max(len(str(c.value or "")) for c in column)
        page.column_dimensions[letter].width = min(60, max(8, widest * 1.6))
        for c in column:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    page.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_pdf(sheet: Sheet) -> bytes:
    spec = pdf.DocumentSpec(
        title=sheet.title, issuer=sheet.issuer, generated_at=sheet.generated_at,
        form_code=sheet.form_code, landscape=True, subtitle=sheet.subtitle or None,
    )  # fmt: skip
    widths = [w * mm for w in sheet.widths_mm] if sheet.widths_mm else None
    return pdf.build(spec, [pdf.data_table(sheet.headers, sheet.rows, widths)])


def render(sheet: Sheet, fmt: str) -> bytes:
    writers = {"csv": to_csv, "xlsx": to_xlsx, "pdf": to_pdf}
    return writers[fmt](sheet)
