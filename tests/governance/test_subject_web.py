"""Data-subject requests over HTTP: the public form (no login, form token, bounded body,
rate limit) and status page (receipt + secret, nothing else leaks), the staff JSON API
(steps, clear errors, 409 on a stale decision, the overdue list, scope), and form 1 and
the result notice as PDF with the right Korean text (read back with pypdf)."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pypdf import PdfReader
from querycount import queries_of
from registry.helpers import audit_rows
from subject_kit import city, file, manager, officer, ready, run
from webclient import client_as

from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.web.app import create_app


@pytest.fixture
def web(ctx: Gwanje) -> FastAPI:
    return create_app(ctx)


@pytest.fixture
def c(ctx: Gwanje) -> dict[str, int]:
    return city(ctx)


def _token(page: str) -> str:
    found = re.search(r'name="form_token" value="([0-9a-f]+)"', page)
    assert found, "the page carries a form token"
    return found.group(1)


def _form(clock: FakeClock, **change: str) -> dict[str, str]:
    end = (clock.now() + timedelta(hours=9) - timedelta(hours=2)).replace(tzinfo=None)  # KST
    values = {
        "kind": "viewing", "applicant_name": "홍길동", "applicant_contact": "010-1234-5678",
        "place": "학동 시청 앞", "start_at": (end - timedelta(minutes=20)).isoformat(),
        "end_at": end.isoformat(), "purpose": "차량 파손 경위 확인",
    }  # fmt: skip
    values.update(change)
    return values


def _file_public(client: TestClient, clock: FakeClock, **change: str) -> tuple[str, str]:
    token = _token(client.get("/subject-request").text)
    answer = client.post("/subject-request", data={**_form(clock, **change), "form_token": token})
    assert answer.status_code == 200, answer.text
    receipt = re.search(r'data-testid="receipt-no">([^<]+)<', answer.text)
    secret = re.search(r'data-testid="receipt-secret">([^<]+)<', answer.text)
    assert receipt
    assert secret
    return receipt.group(1), secret.group(1)


def _status(client: TestClient, receipt: str, secret: str) -> Any:
    token = _token(client.get("/subject-request/status").text)
    data = {"receipt_no": receipt, "secret": secret, "form_token": token}
    return client.post("/subject-request/status", data=data)


# ---- public -----------------------------------------------------------------------------------


def test_a_citizen_files_without_login_and_checks_the_status_with_the_secret(
    web: FastAPI, ctx: Gwanje, c: dict[str, int], clock: FakeClock
) -> None:
    citizen = client_as(web, None)
    receipt, secret = _file_public(citizen, clock)
    assert receipt.startswith("SR-2026-")
    found = _status(citizen, receipt, secret)
    assert found.status_code == 200
    assert "접수 (본인확인 전)" in found.text
    assert "홍길동" not in found.text  # the status page shows the decision, not the file
    wrong = _status(citizen, receipt, "AAAAA-AAAAA")
    assert wrong.status_code == 404
    assert "접수번호 또는 확인번호가 맞지 않습니다" in wrong.text


def test_the_public_form_refuses_a_post_without_its_token_and_stores_nothing(
    web: FastAPI, ctx: Gwanje, c: dict[str, int], clock: FakeClock
) -> None:
    forged = client_as(web, None).post("/subject-request", data=_form(clock))
    assert forged.status_code == 403
    assert "양식이 만료되었습니다" in forged.text
    other = client_as(web, None)  # a token from someone else's page, without their cookie
    token = _token(client_as(web, None).get("/subject-request").text)
    assert (
        other.post("/subject-request", data={**_form(clock), "form_token": token}).status_code
        == 403
    )
    assert not audit_rows(ctx, "subject_request.received")


def test_the_public_form_is_bounded_rate_limited_and_explains_errors_in_korean(
    web: FastAPI, ctx: Gwanje, c: dict[str, int], clock: FakeClock
) -> None:
    ctx.settings.governance.subjects.public_submissions_per_hour = 3
    citizen = client_as(web, None)
    token = _token(citizen.get("/subject-request").text)
    huge = citizen.post("/subject-request", data={**_form(clock, purpose="가" * 20000),
                                                  "form_token": token})  # fmt: skip
    assert huge.status_code == 422
    assert "입력 내용이 너무 깁니다" in huge.text
    missing = citizen.post("/subject-request", data={**_form(clock, applicant_name=""),
                                                     "form_token": token})  # fmt: skip
    assert missing.status_code == 422
    assert "청구인 성명: 필수 입력 항목입니다" in missing.text
    _file_public(citizen, clock)
    limited = citizen.post("/subject-request", data={**_form(clock), "form_token": token})
    assert limited.status_code == 429
    assert len(audit_rows(ctx, "subject_request.received")) == 1


# ---- staff API ------------------------------------------------------------------------------


def test_staff_take_a_request_through_the_api_with_clear_errors(
    web: FastAPI, ctx: Gwanje, c: dict[str, int], clock: FakeClock
) -> None:
    staff = client_as(web, officer(c))
    end = clock.now() - timedelta(hours=1)
    body = {"kind": "viewing", "applicant_name": "김민원", "applicant_contact": "061-000-1111",
            "purpose": "접촉 사고 확인", "agent": False,
            "places": [{"place": "시청 앞", "start_at": (end - timedelta(minutes=10)).isoformat(),
                        "end_at": end.isoformat()}]}  # fmt: skip
    created = staff.post("/api/subjects", json=body)
    assert created.status_code == 201, created.text
    r = created.json()
    assert (r["channel"], r["state"], r["due_date"]) == ("staff", "received", "2026-01-15")
    assert len(r["secret"]) == 11
    url = f"/api/subjects/{r['id']}"
    early = staff.post(f"{url}/grant", json={"mode": "view"})
    assert early.status_code == 422
    assert "본인 확인 전에는 결정할 수 없습니다" in early.json()["message"]
    assert staff.post(f"{url}/identity", json={"documents": ["id_card"]}).status_code == 200
    items = [{"camera_code": "SR-T1", "start_at": (end - timedelta(minutes=10)).isoformat(),
              "end_at": end.isoformat()}]  # fmt: skip
    assert staff.post(f"{url}/cameras", json={"items": items}).json()["version"] == 3
    third = staff.post(f"{url}/refuse", json={"ground": "others_privacy",
                                              "reason": "제3자가 찍혀 있음"})  # fmt: skip
    assert third.status_code == 422
    assert "마스킹" in third.json()["message"]
    police = staff.post(f"{url}/refuse", json={"ground": "4", "reason": "경찰 입회 하에서만 가능"})
    assert "경찰 입회" in police.json()["message"]
    granted = staff.post(f"{url}/grant", json={"mode": "view", "notice_method": "phone",
                                               "version": 3})  # fmt: skip
    assert granted.json()["state"] == "granted"
    stale = staff.post(f"{url}/refuse", json={"ground": "4", "reason": "공익", "version": 3})
    assert stale.status_code == 409
    assert "허용" in stale.json()["message"]
    released = staff.post(f"{url}/release", json={"package_id": "mask-1", "sha256": "0" * 64,
                                                  "masking_cost_won": 5000})  # fmt: skip
    assert released.json()["state"] == "released"
    steps = [s["step"] for s in staff.get(url).json()["timeline"]]
    assert steps == ["received", "identity_verified", "cameras_resolved", "granted", "released"]


def test_overdue_requests_are_listed_and_flagged(
    web: FastAPI, ctx: Gwanje, c: dict[str, int], clock: FakeClock
) -> None:
    late = file(ctx, clock).request_id
    clock.advance(timedelta(days=8))
    recent = file(ctx, clock).request_id
    clock.advance(timedelta(days=3))
    staff = client_as(web, officer(c))
    listed = staff.get("/api/subjects/overdue").json()["overdue"]
    assert [r["id"] for r in listed] == [late]
    assert listed[0]["overdue"] is True
    page = staff.get("/subjects")
    assert f'data-testid="overdue-{late}"' in page.text
    assert f'data-testid="overdue-{recent}"' not in page.text


def test_a_department_officer_sees_the_intake_queue_and_their_own_cameras_only(
    web: FastAPI, ctx: Gwanje, c: dict[str, int], clock: FakeClock
) -> None:
    unresolved = file(ctx, clock).request_id
    theirs = ready(ctx, clock, c, "SR-T1")
    others = ready(ctx, clock, c, "SR-C1")
    park = client_as(web, manager(c))
    seen = {r["id"] for r in park.get("/api/subjects").json()["requests"]}
    assert seen == {unresolved, theirs}
    assert park.get(f"/api/subjects/{others}").status_code == 404
    assert park.get(f"/subjects/{others}").status_code == 404


def test_the_staff_list_reads_a_fixed_number_of_queries(
    web: FastAPI, ctx: Gwanje, c: dict[str, int], clock: FakeClock
) -> None:
    # Each listed request used to read its own timeline.
    ready(ctx, clock, c, "SR-T1")
    file(ctx, clock)
    staff = client_as(web, officer(c))
    few = queries_of(ctx.engine, lambda: staff.get("/api/subjects"))
    made = [ready(ctx, clock, c, "SR-T1") for _ in range(4)] + [file(ctx, clock).request_id]
    listed = {r["id"]: r for r in staff.get("/api/subjects").json()["requests"]}
    assert len(listed) == 7
    assert queries_of(ctx.engine, lambda: staff.get("/api/subjects")) == few
    for request_id in made[:4]:  # each with its own timeline, in order
        steps = [s["step"] for s in listed[request_id]["timeline"]]
        assert steps == ["received", "identity_verified", "cameras_resolved"]
    assert [s["step"] for s in listed[made[4]]["timeline"]] == ["received"]


# ---- PDFs (ORD-29.4, PIPA-4) --------------------------------------------------------------


def _pdf_text(response: Any) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)


def test_form_1_carries_identity_and_purpose(
    web: FastAPI, ctx: Gwanje, c: dict[str, int], clock: FakeClock
) -> None:
    request_id = ready(ctx, clock, c, "SR-T1", agent=True, subject_name="홍아버지",
                       vehicle_no="12가3456")  # fmt: skip
    staff = client_as(web, officer(c))
    text = _pdf_text(staff.get(f"/api/subjects/{request_id}/form1.pdf"))
    compact = re.sub(r"\s+", "", text)
    for expected in ("개인영상정보열람·존재확인청구서", "[별지제1호서식]", "홍길동", "대리인",
                     "홍아버지", "12가3456", "주차된차량파손경위확인", "신분증", "SR-T1",
                     "여수시CCTV통합관제센터"):  # fmt: skip
        assert expected in compact, expected
    assert audit_rows(ctx, "subject_request.document_issued")[-1].details.count("form1") == 1


def test_the_refusal_notice_names_the_ground_the_reason_and_the_appeal(
    web: FastAPI, ctx: Gwanje, c: dict[str, int], clock: FakeClock
) -> None:
    request_id = ready(ctx, clock, c, "SR-T1")
    reason = "공개 시 진행 중인 형사재판에 중대한 지장"
    run(ctx, officer(c), lambda s: s.refuse(request_id, "1", reason, "", "mail"))
    ctx.settings.governance.subjects.notice_form_code = "[별지 제5호서식]"
    staff = client_as(web, officer(c))
    compact = re.sub(r"\s+", "", _pdf_text(staff.get(f"/api/subjects/{request_id}/notice.pdf")))
    for expected in ("개인영상정보열람등청구결과통지서", "[별지제5호서식]", "거부",
                     "(1)범죄의수사", re.sub(r"\s+", "", reason), "행정심판", "118"):  # fmt: skip
        assert expected in compact, expected
