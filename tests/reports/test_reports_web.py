"""The report pages and PDFs over HTTP: who may open them, that the seeded violation is
on the page, that each generation and each recorded review is audited, and that a bad
month is a translated 422."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from pypdf import PdfReader
from registry.helpers import audit_rows
from reports_kit import MONTH, at, camera, person, playback, seoul
from webclient import client_as, principal_for

from gwanje.auth.permissions import Role
from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.registry.models import CameraStatus
from gwanje.web.app import create_app


@pytest.fixture
def web(any_ctx: Gwanje) -> FastAPI:
    return create_app(any_ctx)


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.PRIVACY_OFFICER, Role.GENERAL_MANAGER])
def test_inspection_page_shows_the_violation_and_is_audited(
    web: FastAPI, any_ctx: Gwanje, role: Role
) -> None:
    camera(any_ctx, "YS-NOSIGN", "TRAFFIC", CameraStatus.INSTALLED)
    client = client_as(web, principal_for(role, username="reader"))
    page = client.get("/reports/inspection")
    assert page.status_code == 200, page.text
    assert 'data-testid="check-camera_signage" data-status="fail"' in page.text
    assert "YS-NOSIGN" in page.text
    assert 'data-testid="req-PIPA-7"' in page.text
    (entry,) = audit_rows(any_ctx, "report.inspection_generated")
    details = json.loads(entry.details)
    assert (details["format"], details["channel"], entry.actor_name) == ("html", "web", "reader")
    assert details["failed"] >= 1


def test_inspection_pdf_downloads(web: FastAPI, any_ctx: Gwanje) -> None:
    camera(any_ctx, "YS-NOSIGN", "TRAFFIC", CameraStatus.INSTALLED)
    client = client_as(web, principal_for(Role.AUDITOR))
    response = client.get("/reports/inspection.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "자체점검 보고서" in text
    assert "YS-NOSIGN" in text
    assert (
        json.loads(audit_rows(any_ctx, "report.inspection_generated")[0].details)["format"] == "pdf"
    )


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.APPROVER, Role.CONTRACTOR])
def test_others_are_refused_and_the_refusal_audited(
    web: FastAPI, any_ctx: Gwanje, role: Role
) -> None:
    client = client_as(web, principal_for(role))
    for path in ("/reports/inspection", "/reports/inspection.pdf", "/reports/access-review"):
        assert client.get(path).status_code == 403, path
    assert len(audit_rows(any_ctx, "auth.permission_denied")) == 3
    assert audit_rows(any_ctx, "report.inspection_generated") == []


def test_access_review_page_pdf_and_recorded_review(
    web: FastAPI, any_ctx: Gwanje, clock: FakeClock
) -> None:
    cam = camera(any_ctx, "YS-T-1", "TRAFFIC")
    kim = person(any_ctx, "kim", "TRAFFIC", "operator")
    at(any_ctx, clock, seoul(6, 23, 30), playback(kim, cam, seoul(6, 12)))
    clock.set(datetime(2026, 11, 3, tzinfo=UTC))
    client = client_as(web, principal_for(Role.AUDITOR, username="auditor"))
    page = client.get("/reports/access-review")  # defaults to last month: 2026-10
    assert page.status_code == 200
    assert 'data-testid="anomaly-night"' in page.text
    assert "YS-T-1" in page.text
    assert 'data-testid="review-form"' in page.text
    pdf = client.get(f"/reports/access-review.pdf?month={MONTH}")
    assert pdf.headers["content-type"] == "application/pdf"
    done = client.post("/reports/access-review", data={"month": MONTH, "note": "확인함"},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert "recorded=1" in done.headers["location"]
    (recorded,) = audit_rows(any_ctx, "report.access_review_recorded")
    assert json.loads(recorded.details)["note"] == "확인함"
    again = client.get(done.headers["location"])
    assert 'data-testid="review-recorded"' in again.text
    assert "auditor" in again.text
    formats = [json.loads(e.details)["format"]
               for e in audit_rows(any_ctx, "report.access_review_generated")]  # fmt: skip
    assert formats == ["html", "pdf", "html"]


def test_general_manager_cannot_read_or_record_the_access_review(web: FastAPI) -> None:
    client = client_as(web, principal_for(Role.GENERAL_MANAGER))
    assert client.get("/reports/access-review").status_code == 403
    posted = client.post("/reports/access-review", data={"month": MONTH, "note": ""})
    assert posted.status_code == 403


def test_bad_month_is_a_translated_422(web: FastAPI) -> None:
    client = client_as(web, principal_for(Role.AUDITOR))
    response = client.get("/reports/access-review?month=2026-1", headers={"accept": "text/html"})
    assert response.status_code == 422
    assert "YYYY-MM" in response.text
