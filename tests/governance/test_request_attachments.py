"""Documents attached to an access request (ORD-28.1: the official letter's PDF): the
filer or an approver attaches a PDF, anyone who may see the request downloads exactly
those bytes, others get nothing; non-PDFs and oversized files are refused clearly;
attaching and downloading are audited."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from fastapi import FastAPI
from registry.helpers import audit_rows, departments, make_camera
from retention.retention_kit import person
from test_requests_api import body
from webclient import client_as, principal_for

from gwanje.auth.permissions import Role
from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.governance.attachments import MAX_BYTES
from gwanje.registry.models import CameraStatus
from gwanje.web.app import create_app


@pytest.fixture
def web(ctx: Gwanje) -> FastAPI:
    return create_app(ctx)


@pytest.fixture
def people(ctx: Gwanje) -> dict[str, int]:
    make_camera(ctx, "API-1", departments(ctx)["SAFETY"], CameraStatus.LINKED)
    return {name: person(ctx, name) for name in ("kang", "yoon", "choi")}


LETTER = "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% 여수경찰서 형사과 공문\n%%EOF\n".encode()


def test_the_letter_is_attached_downloaded_and_audited(
    web: FastAPI,
    ctx: Gwanje,
    clock: FakeClock,
    people: dict[str, int],
) -> None:
    police = client_as(web, principal_for(Role.POLICE_LIAISON, person_id=people["kang"],
                                          username="kang"))  # fmt: skip
    operator = client_as(web, principal_for(Role.OPERATOR, person_id=people["choi"],
                                            username="choi"))  # fmt: skip
    approver = client_as(web, principal_for(Role.APPROVER, person_id=people["yoon"],
                                            username="yoon"))  # fmt: skip
    request_id = police.post("/api/requests", json=body(clock)).json()["id"]
    url = f"/api/requests/{request_id}/attachments"
    made = police.post(url, files={"file": ("../../공문 2026-501.pdf", LETTER, "application/pdf")})
    assert made.status_code == 201, made.text
    attachment = made.json()
    assert attachment["filename"] == "공문 2026-501.pdf"  # no path parts survive
    assert attachment["sha256"] == hashlib.sha256(LETTER).hexdigest()
    again = police.post(url, files={"file": ("copy.pdf", LETTER, "application/pdf")})
    assert again.json()["id"] == attachment["id"]  # the same document once
    seen = approver.get(f"/api/requests/{request_id}").json()["attachments"]
    assert [a["id"] for a in seen] == [attachment["id"]]
    download = f"/requests/{request_id}/attachments/{attachment['id']}"
    got = approver.get(download)
    assert (got.status_code, got.content) == (200, LETTER)
    assert operator.get(download).status_code == 404  # not theirs to see
    foreign = operator.post(url, files={"file": ("x.pdf", LETTER, "application/pdf")})
    assert foreign.status_code == 404
    added = json.loads(audit_rows(ctx, "access_request.attachment_added")[-1].details)
    assert (added["sha256"], added["bytes"]) == (attachment["sha256"], len(LETTER))
    assert len(audit_rows(ctx, "access_request.attachment_downloaded")) == 1


def test_only_pdfs_within_the_limit(
    web: FastAPI,
    ctx: Gwanje,
    clock: FakeClock,
    people: dict[str, int],
) -> None:
    police = client_as(web, principal_for(Role.POLICE_LIAISON, person_id=people["kang"],
                                          username="kang"))  # fmt: skip
    request_id = police.post("/api/requests", json=body(clock)).json()["id"]
    url = f"/api/requests/{request_id}/attachments"

    def upload(name: str, data: bytes) -> Any:
        return police.post(url, files={"file": (name, data, "application/pdf")})

    fake = upload("letter.pdf", b"MZ\x90\x00 not a pdf")
    assert fake.status_code == 422
    assert "PDF" in fake.json()["message"]
    huge = upload("big.pdf", b"%PDF-" + b"0" * MAX_BYTES)
    assert huge.status_code == 422
    assert police.post(url, data={"nothing": "here"}).status_code == 422
    page = police.get(f"/requests/{request_id}")
    assert "첨부 문서가 없습니다" in page.text
    assert audit_rows(ctx, "access_request.attachment_added") == []
