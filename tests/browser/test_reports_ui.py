"""The self-inspection in Chromium (ORD-13): the auditor opens the report from the menu,
sees the demo's camera without signage as a failed check with that camera as evidence,
and downloads the PDF, which reads back in Korean with the same camera."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from live import LiveServer
from pypdf import PdfReader
from sqlalchemy import select
from test_foundation_flows import login

from gwanje.registry.models import Camera

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _unsigned(server: LiveServer) -> str:
    with server.ctx.sessions() as session:
        code = session.scalar(
            select(Camera.code).where(Camera.status.in_(["installed", "linked"]))
            .where(Camera.signage_installed_on.is_(None)).order_by(Camera.code)
        )  # fmt: skip
    assert code is not None, "the demo seeds cameras without signage"
    return code


def test_auditor_sees_the_violation_and_downloads_the_pdf(
    page: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    code = _unsigned(live_server)
    login(page, live_server, "auditor")
    page.get_by_test_id("menu-oversee").locator("summary").click()  # the nav groups links
    page.get_by_test_id("nav-inspection").click()
    check = page.get_by_test_id("check-camera_signage")
    assert check.get_attribute("data-status") == "fail"
    assert page.get_by_test_id("status-camera_signage").inner_text() == "[부적합]"
    assert code in page.get_by_test_id("evidence-camera_signage").inner_text()
    assert page.get_by_test_id("req-ORD-13").is_visible()
    with page.expect_download() as download:
        page.get_by_test_id("inspection-pdf").click()
    saved = tmp_path / "inspection.pdf"
    download.value.save_as(saved)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(saved.read_bytes())).pages)
    assert "CCTV 통합관제센터 자체점검 보고서" in text
    assert code in text
