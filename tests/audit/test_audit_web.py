"""The auditor's ledger viewer and verification over HTTP; auditors are audited too."""

from __future__ import annotations

from typing import Any

from audit_helpers import SampleEvent, append
from sqlalchemy import select
from webclient import client_as, principal_for

from gwanje.audit import Actor, Outcome, record
from gwanje.audit.checkpoints import install
from gwanje.audit.models import AuditEntry
from gwanje.auth.permissions import Role
from gwanje.context import Gwanje


def _types(ctx: Gwanje) -> list[str]:
    with ctx.sessions() as session:
        return list(session.scalars(select(AuditEntry.event_type).order_by(AuditEntry.seq)))


def _seed(ctx: Gwanje) -> None:
    append(ctx, 3)
    with ctx.transaction() as session:
        record(
            session,
            SampleEvent(
                actor=Actor(person_id=42, username="kim"),
                outcome=Outcome.DENIED,
                camera_ids=(5, 15),
                note="cam",
            ),
            ctx.clock,
        )


def test_auditor_sees_the_ledger_newest_first_and_is_recorded(ctx: Gwanje, app: Any) -> None:
    _seed(ctx)
    client = client_as(app, principal_for(Role.AUDITOR, username="auditor1"))
    client.cookies.set("lang", "en")
    response = client.get("/audit")
    assert response.status_code == 200
    assert "Audit ledger" in response.text
    assert response.text.index('data-seq="4"') < response.text.index('data-seq="1"')
    assert _types(ctx)[-1] == "audit.viewed"
    with ctx.sessions() as session:
        viewed = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert viewed is not None
    assert viewed.actor_name == "auditor1"


def test_korean_is_the_default_language(ctx: Gwanje, app: Any) -> None:
    client = client_as(app, principal_for(Role.AUDITOR))
    assert "감사 원장" in client.get("/audit").text


def test_json_filters_and_pagination(ctx: Gwanje, app: Any) -> None:
    _seed(ctx)
    client = client_as(app, principal_for(Role.AUDITOR))
    data = client.get("/api/audit/entries", params={"camera_id": "5"}).json()
    assert [e["seq"] for e in data["entries"]] == [4]  # 15 does not match 5
    assert data["entries"][0]["camera_ids"] == [5, 15]
    assert client.get("/api/audit/entries", params={"actor": "kim"}).json()["total"] == 1
    assert client.get("/api/audit/entries", params={"actor": "42"}).json()["total"] == 1
    assert client.get("/api/audit/entries", params={"outcome": "denied"}).json()["total"] == 1
    by_type = client.get("/api/audit/entries", params={"event_type": "test.sample"}).json()
    assert by_type["total"] == 4
    page = client.get("/api/audit/entries", params={"per_page": "2", "page": "2"}).json()
    assert page["pages"] >= 3
    assert len(page["entries"]) == 2
    dated = client.get(
        "/api/audit/entries", params={"date_from": "2026-01-05", "date_to": "2026-01-05"}
    ).json()
    assert dated["total"] >= 4  # FakeClock starts 2026-01-05 01:00 UTC (10:00 in Seoul)
    empty = client.get("/api/audit/entries", params={"date_to": "2026-01-04"}).json()
    assert empty["total"] == 0


def test_bad_filters_are_a_clear_422_and_change_nothing(ctx: Gwanje, app: Any) -> None:
    client = client_as(app, principal_for(Role.AUDITOR))
    before = len(_types(ctx))
    for params in (
        {"camera_id": "abc"},
        {"date_from": "2026-13-01"},
        {"outcome": "maybe"},
        {"page": "0"},
        {"date_from": "2026-02-01", "date_to": "2026-01-01"},
    ):
        response = client.get("/api/audit/entries", params=params)
        assert response.status_code == 422, params
        assert response.json()["error"].startswith("audit.error.")
    assert client.get("/audit", params={"camera_id": "x"}).status_code == 422
    assert len(_types(ctx)) == before
    assert client.get("/audit", params={"camera_id": ""}).status_code == 200  # empty = any


def test_operator_is_refused_and_the_refusal_is_recorded(ctx: Gwanje, app: Any) -> None:
    client = client_as(app, principal_for(Role.OPERATOR, username="op1"))
    assert client.get("/audit").status_code == 403
    assert client.get("/api/audit/entries").status_code == 403
    assert client.post("/api/audit/verify").status_code == 403
    assert _types(ctx) == ["auth.permission_denied"] * 3


def test_verify_reports_and_is_recorded(ctx: Gwanje, app: Any) -> None:
    ctx.settings.audit.checkpoint_every = 2
    install(ctx)
    _seed(ctx)
    client = client_as(app, principal_for(Role.AUDITOR))
    report = client.post("/api/audit/verify").json()
    assert report["ok"] is True
    assert report["entries"] == 4
    assert report["latest_checkpoint_seq"] == 4
    assert _types(ctx)[-1] == "audit.verified"
    with ctx.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_entries SET actor_name = 'x' WHERE seq = 2")
    bad = client.post("/api/audit/verify").json()
    assert bad["ok"] is False
    assert bad["problems"][0]["seq"] == 2
    assert "seq 2" in bad["summary"]
