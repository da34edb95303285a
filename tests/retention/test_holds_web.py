"""Web pages of retention: an authorised role places and releases a legal hold through
the HTML forms, form errors re-render in the reader's language, an operator is refused
(403, audited, nothing changes), and camera retention is set through its form."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from registry.helpers import audit_rows
from retention_kit import camera, hold_input, person, place
from sqlalchemy import select
from webclient import client_as, principal_for

from gwanje.auth.permissions import Role
from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.registry.models import Camera
from gwanje.retention.models import LegalHold
from gwanje.web.app import create_app

CSRF = {"csrf_token": "x"}


@pytest.fixture
def web(any_ctx: Gwanje) -> FastAPI:
    return create_app(any_ctx)


def _local(ctx: Gwanje, clock: FakeClock, delta: timedelta, fmt: str = "%Y-%m-%dT%H:%M") -> str:
    zone = ZoneInfo(ctx.settings.registry.timezone)
    return (clock.now() + delta).astimezone(zone).strftime(fmt)


def _holds(ctx: Gwanje) -> list[LegalHold]:
    with ctx.sessions() as session:
        return list(session.scalars(select(LegalHold).order_by(LegalHold.id)))


def _form(ctx: Gwanje, clock: FakeClock, **change: str) -> dict[str, str]:
    values = {
        "camera_code": "YS-W",
        "start_at": _local(ctx, clock, -timedelta(days=2)),
        "end_at": _local(ctx, clock, -timedelta(days=1)),
        "ground": "investigation_material",
        "reason": "여수경찰서 2026-77 증거자료",
        "owner": "owner1",
        "review_at": _local(ctx, clock, timedelta(days=30), "%Y-%m-%d"),
        **CSRF,
    }
    values.update(change)
    return values


@pytest.mark.parametrize("role", [Role.PRIVACY_OFFICER, Role.GENERAL_MANAGER])
def test_authorised_role_places_and_releases_a_hold_through_forms(
    web: FastAPI, any_ctx: Gwanje, clock: FakeClock, role: Role
) -> None:
    camera(any_ctx, "YS-W")
    person(any_ctx, "owner1")
    client = client_as(web, principal_for(role))
    page = client.get("/holds")
    assert page.status_code == 200
    assert 'data-testid="hold-form"' in page.text
    assert "법적 보존" in page.text

    placed = client.post("/holds", data=_form(any_ctx, clock), follow_redirects=False)
    assert placed.status_code == 303, placed.text
    (hold,) = _holds(any_ctx)
    assert hold.ground == "investigation_material"
    assert hold.released_at is None
    # Local time in the form, UTC in the row.
    local_start = hold.start_at.astimezone(ZoneInfo(any_ctx.settings.registry.timezone))
    assert local_start.strftime("%Y-%m-%dT%H:%M") == _form(any_ctx, clock)["start_at"]
    listed = client.get("/holds")
    assert f'data-testid="hold-row-{hold.id}"' in listed.text
    assert "수사·재판 자료로 제공" in listed.text

    released = client.post(
        f"/holds/{hold.id}/release", data={"reason": "공소 제기 후 사본 제출", **CSRF},
        follow_redirects=False,
    )  # fmt: skip
    assert released.status_code == 303, released.text
    (hold,) = _holds(any_ctx)
    assert hold.released_at is not None
    assert hold.release_reason == "공소 제기 후 사본 제출"
    assert f'data-testid="hold-row-{hold.id}"' not in client.get("/holds").text
    assert len(audit_rows(any_ctx, "legal_hold.placed")) == 1
    assert len(audit_rows(any_ctx, "legal_hold.released")) == 1


def test_form_errors_rerender_in_the_readers_language(
    web: FastAPI, any_ctx: Gwanje, clock: FakeClock
) -> None:
    camera(any_ctx, "YS-W")
    person(any_ctx, "owner1")
    client = client_as(web, principal_for(Role.PRIVACY_OFFICER))
    korean = client.post("/holds", data=_form(any_ctx, clock, reason=" "))
    assert korean.status_code == 422
    assert 'data-testid="hold-errors"' in korean.text
    assert "보존 사유" in korean.text
    client.cookies.set("lang", "en")
    english = client.post("/holds", data=_form(any_ctx, clock, ground="whim"))
    assert english.status_code == 422
    assert "Not an ORD-31.1 ground" in english.text
    unknown = client.post("/holds", data=_form(any_ctx, clock, camera_code="NOPE"))
    assert unknown.status_code == 404
    assert "Camera not found: NOPE" in unknown.text
    assert _holds(any_ctx) == []
    missing = client.post("/holds/999/release", data={"reason": "x", **CSRF})
    assert missing.status_code == 404


def test_operator_is_refused_and_nothing_changes(
    web: FastAPI, any_ctx: Gwanje, clock: FakeClock
) -> None:
    camera(any_ctx, "YS-W")
    person(any_ctx, "owner1")
    now = clock.now()
    hold_id = place(
        any_ctx, hold_input("YS-W", now - timedelta(days=2), now, now + timedelta(days=9))
    )
    operator = client_as(web, principal_for(Role.OPERATOR))
    assert operator.get("/holds").status_code == 403
    assert operator.post("/holds", data=_form(any_ctx, clock)).status_code == 403
    refused = operator.post(f"/holds/{hold_id}/release", data={"reason": "x", **CSRF})
    assert refused.status_code == 403
    assert (
        operator.post("/retention", data={"code": "YS-W", "days": "7", **CSRF}).status_code == 403
    )
    (hold,) = _holds(any_ctx)
    assert hold.released_at is None
    denials = audit_rows(any_ctx, "auth.permission_denied")
    assert len(denials) == 4


def test_camera_retention_form_sets_days_and_refuses_above_30(
    web: FastAPI, any_ctx: Gwanje
) -> None:
    cam = camera(any_ctx, "YS-W")
    client = client_as(web, principal_for(Role.GENERAL_MANAGER))
    page = client.get("/retention")
    assert page.status_code == 200
    assert 'data-testid="retention-row-YS-W"' in page.text
    done = client.post(
        "/retention", data={"code": "YS-W", "days": "7", **CSRF}, follow_redirects=False
    )
    assert done.status_code == 303
    refused = client.post("/retention", data={"code": "YS-W", "days": "45", **CSRF})
    assert refused.status_code == 422
    assert "제31조" in refused.text
    with any_ctx.sessions() as session:
        row = session.get(Camera, cam)
        assert row is not None
        assert row.retention_days == 7
    assert len(audit_rows(any_ctx, "retention.camera_set")) == 1
