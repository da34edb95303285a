"""Ledger pages and files: the management ledger and the visitor ledger as HTML, CSV
(UTF-8 with BOM), XLSX and the official-form PDF (form codes from the settings), read
back; only ledger readers get them, and every reading is audited."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from ledger_kit import approved_request, city, exported, played_back, provided, purged
from openpyxl import load_workbook
from pypdf import PdfReader
from registry.helpers import audit_rows
from webclient import client_as, principal_for

from gwanje.auth.permissions import Role
from gwanje.context import Gwanje
from gwanje.ledgers.visitors import VisitInput, Visitors
from gwanje.web.app import create_app


@pytest.fixture
def center(ctx: Gwanje) -> dict[str, Any]:
    ids = city(ctx)
    request_id, grant_id = approved_request(ctx, ids)
    played_back(ctx, ids, request_id, grant_id)
    provided(ctx, ids, exported(ctx, ids, request_id))
    purged(ctx, ids)
    head = principal_for(Role.GENERAL_MANAGER, person_id=ids["yoon"], username="yoon")
    with ctx.transaction() as session:
        visits = Visitors(session, ctx.clock, head)
        data = VisitInput("한빛정보통신(주)", "서정비", "서버 점검",
                          ctx.clock.now() - timedelta(hours=1), media_in="USB 1개")  # fmt: skip
        visits.approve(visits.register(data).id)
    return ids


def client(ctx: Gwanje, role: Role) -> TestClient:
    return client_as(create_app(ctx), principal_for(role, person_id=1, username="reader"))


def pdf_text(body: bytes) -> str:
    """The PDF's text without whitespace (table cells wrap words anywhere)."""
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    return "".join(text.split())


def test_management_ledger_page_and_files_read_back(ctx: Gwanje, center: dict[str, Any]) -> None:
    auditor = client(ctx, Role.AUDITOR)
    page = auditor.get("/ledgers/management")
    assert page.status_code == 200
    assert page.text.count('data-testid="ledger-row"') == 4
    assert "여수서 형사과-2026-501" in page.text
    got = auditor.get("/ledgers/management/csv")
    assert got.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads Hangul
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["구분", "일시", "파일명 및 형태"]
    assert "공문번호" in rows[0]
    assert sorted(r[0] for r in rows[1:]) == ["열람", "제공", "파기", "파기"]
    sheet = load_workbook(io.BytesIO(auditor.get("/ledgers/management/xlsx").content)).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == rows[0]
    assert len(values) == 5
    assert any("피의자 검거" in (v or "") for row in values for v in row)
    filtered = auditor.get("/ledgers/management/pdf?kind=provide")
    assert filtered.headers["content-type"] == "application/pdf"
    text = pdf_text(filtered.content)
    assert "개인영상정보관리대장" in text
    assert "[별지제3호서식]" in text
    assert "구분:제공" in text  # the filter, on the form
    assert "절도" in text
    assert "피의자검거" in text
    assert "prov#1" in text
    assert "보관기간경과" not in text  # the purge is not a provision
    reads = audit_rows(ctx, "ledger.read")
    assert [r.details.count('"format":"pdf"') for r in reads][-1] == 1
    assert len(reads) == 4


def test_visitor_ledger_files_carry_their_own_form_code(
    ctx: Gwanje, center: dict[str, Any]
) -> None:
    ctx.settings.ledgers.visitor_form_code = "[별지 제9호서식]"
    head = client(ctx, Role.GENERAL_MANAGER)
    page = head.get("/visitors/ledger")
    assert page.status_code == 200
    assert "서정비" in page.text
    text = pdf_text(head.get("/visitors/ledger/pdf").content)
    assert "출입자관리대장" in text
    assert "[별지제9호서식]" in text
    assert "USB1개" in text
    rows = list(
        csv.reader(io.StringIO(head.get("/visitors/ledger/csv").content.decode("utf-8-sig")))
    )
    assert rows[1][3:5] == ["한빛정보통신(주)", "서정비"]
    assert head.get("/visitors/ledger/xlsx").status_code == 200
    assert head.get("/visitors/ledger/doc").status_code == 404
    assert head.get("/visitors/ledger?date_from=never").status_code == 422


def test_only_ledger_readers_and_visitor_staff_get_in(ctx: Gwanje, center: dict[str, Any]) -> None:
    operator = client(ctx, Role.OPERATOR)
    assert operator.get("/ledgers/management").status_code == 403
    assert operator.get("/ledgers/management/csv").status_code == 403
    assert operator.get("/visitors/ledger/pdf").status_code == 403
    assert operator.get("/visitors").status_code == 200  # staff register visitors
    assert client(ctx, Role.AUDITOR).get("/visitors").status_code == 403
    assert client(ctx, Role.CONTRACTOR).get("/ledgers/management").status_code == 403
