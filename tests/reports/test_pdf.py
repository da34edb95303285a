"""The shared PDF frame: Korean text survives into the file, pages are numbered, tables
repeat their header, and a missing font is a clear error rather than empty boxes."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader
from reportlab.platypus import Paragraph

from gwanje.reports import pdf

WHEN = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


def _read(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_korean_form_with_fields_and_frame() -> None:
    spec = pdf.DocumentSpec(
        title="개인영상정보 열람 청구서",
        issuer="여수시 CCTV 통합관제센터",
        generated_at=WHEN,
        form_code="[별지 제1호서식]",
    )
    body = [pdf.field_table([("성명", "홍길동"), ("청구 내용", "2026-11-20 14시 <학동> 앞")])]
    pages = _read(pdf.build(spec, body))
    assert len(pages) == 1
    assert "개인영상정보 열람 청구서" in pages[0]
    assert "[별지 제1호서식]" in pages[0]
    assert "<학동>" in pages[0]  # markup characters are escaped, not swallowed
    assert "1 / 1" in pages[0]


def test_long_ledger_repeats_header_and_counts_pages() -> None:
    spec = pdf.DocumentSpec(title="관리대장", issuer="센터", generated_at=WHEN, landscape=True)
    rows = [(n, f"카메라 {n}", "열람") for n in range(200)]
    pages = _read(pdf.build(spec, [pdf.data_table(["번호", "카메라", "구분"], rows)]))
    assert len(pages) > 2
    assert all("카메라" in page and "구분" in page for page in pages)
    assert f"{len(pages)} / {len(pages)}" in pages[-1]
    assert "카메라 199" in pages[-1]


def test_bar_chart_renders_with_labels() -> None:
    spec = pdf.DocumentSpec(title="점검", issuer="센터", generated_at=WHEN)
    chart = pdf.bar_chart(["안내판 없음", "협의 없음"], [3, 1])
    text = _read(pdf.build(spec, [Paragraph("요약", pdf.styles()["h2"]), chart]))[0]
    assert "안내판 없음" in text


def test_same_spec_same_bytes() -> None:
    spec = pdf.DocumentSpec(title="같음", issuer="센터", generated_at=WHEN)
    body = lambda: [pdf.field_table([("가", "나")])]  # noqa: E731
    assert pdf.build(spec, body()) == pdf.build(spec, body())


def test_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf.pdfmetrics, "getRegisteredFontNames", lambda: [])
    with pytest.raises(pdf.FontMissing) as caught:
        pdf.register_fonts([("/nonexistent/a.ttf", "/nonexistent/b.ttf")])
    assert "fonts-nanum" in str(caught.value)
