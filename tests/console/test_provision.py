"""Provision of an exported copy (ORD-31.2, 33): delivered with a receipt and a
destruction date, the result reported, destruction confirmed; when every copy of a
request is destroyed and reported, the request's legal holds are released; overdue
destructions are listed for reminders; wrong steps get clear errors."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from playback_kit import grant
from registry.helpers import audit_rows
from sqlalchemy import select
from webclient import client_as, principal_for

from gwanje.auth.permissions import Role
from gwanje.governance.provision import overdue
from gwanje.retention.models import LegalHold
from gwanje.web.app import create_app


def _exported(rec: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    grant(rec, rec["start"], rec["end"], "choi")
    operator = client_as(create_app(rec["ctx"]), principal_for(
        Role.OPERATOR, person_id=rec["choi"], username="choi"))  # fmt: skip
    body = {"camera_id": rec["camera"], "stream": "main", "start": rec["start"].isoformat(),
            "end": rec["end"].isoformat(), "keep_days": 10}  # fmt: skip
    made = operator.post("/api/exports", json=body)
    assert made.status_code == 201, made.text
    return operator, made.json()


def _holds(rec: dict[str, Any]) -> list[LegalHold]:
    with rec["ctx"].sessions() as session:
        return list(session.scalars(select(LegalHold)))


def test_delivery_result_and_destruction_release_the_holds(recorded: dict[str, Any]) -> None:
    rec = recorded
    operator, export = _exported(rec)
    delivered = operator.post(f"/api/exports/{export['id']}/deliver", json={
        "recipient": "여수경찰서 형사과 강경찰", "method": "in_person", "receipt": "수령증 2026-77",
        "recipient_rank": "경위", "recipient_contact": "061-000-1234", "recipient_pledge": True,
    })  # fmt: skip
    assert delivered.status_code == 201, delivered.text
    provision = delivered.json()
    assert provision["destroy_by"] == export["expires_at"]  # defaults to the export's expiry
    again = operator.post(f"/api/exports/{export['id']}/deliver", json={
        "recipient": "x", "method": "in_person", "receipt": "y"})  # fmt: skip
    assert again.status_code == 409  # one delivery per package
    assert all(h.released_at is None for h in _holds(rec))
    url = f"/api/provisions/{provision['id']}"
    assert (
        operator.post(
            f"{url}/destroyed", json={"statement": "영상 파일 삭제, 확인서 수령"}
        ).status_code
        == 200
    )
    assert all(h.released_at is None for h in _holds(rec))  # no result reported yet
    assert (
        operator.post(f"{url}/result", json={"result": "검거", "arrest": "maybe"}).status_code
        == 422
    )
    reported = operator.post(f"{url}/result", json={"result": "피의자 검거", "arrest": True})
    assert reported.status_code == 200
    assert (reported.json()["arrest"], reported.json()["recipient_pledge"]) == (True, True)
    assert reported.json()["recipient_rank"] == "경위"
    holds = _holds(rec)
    assert holds
    assert all(h.released_at is not None for h in holds)  # the purpose ended
    assert operator.post(f"{url}/destroyed", json={"statement": "again"}).status_code == 409
    delivered_entry = json.loads(audit_rows(rec["ctx"], "provision.delivered")[-1].details)
    assert delivered_entry["receipt"] == "수령증 2026-77"
    assert audit_rows(rec["ctx"], "provision.result_reported")
    assert audit_rows(rec["ctx"], "provision.destroyed")


def test_overdue_destructions_are_listed_and_bad_records_refused(recorded: dict[str, Any]) -> None:
    rec = recorded
    operator, export = _exported(rec)
    bad = operator.post(f"/api/exports/{export['id']}/deliver", json={
        "recipient": "경찰", "method": "pigeon", "receipt": "r"})  # fmt: skip
    assert bad.status_code == 422
    late = (rec["end"] + timedelta(days=400)).isoformat()
    too_late = {"recipient": "경찰", "method": "in_person", "receipt": "r", "destroy_by": late}
    beyond = operator.post(f"/api/exports/{export['id']}/deliver", json=too_late)
    assert beyond.status_code == 422  # never later than the export's own expiry
    made = operator.post(f"/api/exports/{export['id']}/deliver", json={
        "recipient": "경찰", "method": "secure_download", "receipt": "다운로드 확인"})  # fmt: skip
    assert made.status_code == 201
    assert operator.get("/api/provisions/overdue").json()["overdue"] == []
    with rec["ctx"].sessions() as session:
        later = overdue(session, rec["end"] + timedelta(days=11))
    assert [p.id for p in later] == [made.json()["id"]]
    from dataclasses import replace

    from gwanje.clock import FakeClock

    later_ctx = replace(rec["ctx"], clock=FakeClock(rec["end"] + timedelta(days=11)))
    later_app = create_app(later_ctx)
    chaser = client_as(later_app, principal_for(Role.OPERATOR, person_id=rec["choi"],
                                                username="choi"))  # fmt: skip
    page = chaser.get("/provisions")
    assert page.status_code == 200
    assert f'href="/requests/{made.json()["request_id"]}#copies"' in page.text
    listing = chaser.get("/requests")
    assert "파기 기한 경과 1건" in listing.text
    now_page = operator.get("/provisions")
    assert "파기 기한이 지난 제공 자료가 없습니다" in now_page.text
