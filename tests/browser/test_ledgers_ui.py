"""The visitor ledger in Chromium (ORD-22.2, PIPA-6): staff register a visitor, the
center head approves, the visitor checks in with an escort and out with the media
taken; the ledger page and its PDF (the official form) show the visit."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from live import LiveServer
from pypdf import PdfReader
from test_foundation_flows import login


def _register(page: Any, server: LiveServer) -> None:
    zone = ZoneInfo(server.ctx.settings.registry.timezone)
    when = (datetime.now(zone) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    page.goto(f"{server.url}/visitors")
    form = page.get_by_test_id("visit-form")
    form.locator("input[name=organisation]").fill("전남지방경찰청")
    form.locator("input[name=name]").fill("홍방문")
    form.locator("textarea[name=purpose]").fill("관제 연계 회의")
    form.locator("input[name=planned_at]").fill(when)
    form.locator("input[name=media_in]").fill("노트북 1대")
    page.get_by_test_id("visit-submit").click()


def test_a_visitor_is_approved_checked_in_and_out_and_on_the_ledger(
    page: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    login(page, live_server, "operator")
    _register(page, live_server)
    row = page.locator("[data-testid^=visit-row-]", has_text="홍방문").first
    visit = (row.get_attribute("data-testid") or "").rsplit("-", 1)[1]
    assert page.get_by_test_id(f"visit-state-{visit}").inner_text() == "승인 대기"
    assert page.get_by_test_id(f"visit-approve-{visit}").count() == 0  # staff cannot approve
    page.context.clear_cookies()
    login(page, live_server, "manager")
    page.goto(f"{live_server.url}/visitors")
    page.get_by_test_id(f"visit-approve-{visit}").click()
    assert page.get_by_test_id(f"visit-state-{visit}").inner_text() == "승인"
    page.get_by_test_id(f"visit-escort-{visit}").fill("operator")
    page.get_by_test_id(f"visit-check-in-{visit}").click()
    assert page.get_by_test_id(f"visit-state-{visit}").inner_text() == "입실 중"
    page.get_by_test_id(f"visit-media-out-{visit}").fill("노트북 1대")
    page.get_by_test_id(f"visit-check-out-{visit}").click()
    assert page.get_by_test_id(f"visit-state-{visit}").inner_text() == "퇴실"
    page.goto(f"{live_server.url}/visitors/ledger")
    line = page.get_by_test_id(f"visitor-ledger-row-{visit}").inner_text()
    assert "홍방문" in line
    assert "이총괄" in line
    assert "최관제" in line
    assert "노트북 1대" in line
    with page.expect_download() as download:
        page.get_by_test_id("visitor-pdf").click()
    saved = tmp_path / "visitors.pdf"
    download.value.save_as(saved)
    reader = PdfReader(io.BytesIO(saved.read_bytes()))
    text = "".join("".join(p.extract_text().split()) for p in reader.pages)
    assert "출입자관리대장" in text
    assert "[별지제2호서식]" in text
    assert "홍방문" in text
