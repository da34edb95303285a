"""The staff pages of sharing: make a share (token shown once), revoke it, record a
delegation; Korean first."""

from __future__ import annotations

import re

from fastapi import FastAPI
from registry.helpers import audit_rows
from share_kit import center
from sqlalchemy import select
from webclient import client_as

from gwanje.context import Gwanje
from gwanje.registry.models import Camera
from gwanje.sharing.models import Share


def test_a_manager_makes_and_revokes_a_share_on_the_page(app: FastAPI, ctx: Gwanje) -> None:
    rec = center(ctx)
    client = client_as(app, rec["manager"])
    page = client.get("/sharing")
    assert page.status_code == 200
    assert "실시간 영상 공유" in page.text
    made = client.post("/sharing/shares", data={
        "agency": "여수소방서", "agency_code": "ys-fire", "recipient_kind": "system",
        "recipients": "ys-fire-vms", "legal_basis": "화재 현장 합동 대응 (ORD-17)",
        "purpose": "disaster", "cameras": "SH-1, SH-2", "hours": "3",
    })  # fmt: skip
    assert made.status_code == 201
    assert "gws_" in made.text
    assert "/share/1/" in made.text  # HLS URLs per camera
    listed = client.get("/sharing")
    assert "YS-FIRE" in listed.text
    assert "gws_" + "x" not in listed.text
    refused = client.post("/sharing/shares", data={"agency": "x", "agency_code": "X1",
                                                   "hours": "30"})  # fmt: skip
    assert refused.status_code == 422
    gone = client.post("/sharing/shares/1/revoke", data={"reason": "진화 완료"},
                       follow_redirects=False)  # fmt: skip
    assert gone.status_code == 303
    assert "철회됨" in client.get("/sharing").text
    assert len(audit_rows(ctx, "share.revoked")) == 1


def test_a_delegation_is_recorded_on_its_page(app: FastAPI, ctx: Gwanje) -> None:
    rec = center(ctx)
    client = client_as(app, rec["manager"])
    done = client.post("/sharing/delegations", data={
        "agency": "여수해양경찰서", "document_no": "해경-17", "scope": "실시간 관제",
        "starts_on": "2026-01-01", "ends_on": "2026-12-31",
        "purposes": ["disaster", "crime_prevention"], "cameras": "SH-2",
    }, follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    page = client.get("/sharing/delegations")
    assert "해경-17" in page.text
    assert "SH-2" in page.text
    bad = client.post("/sharing/delegations", data={"agency": "a", "starts_on": "x"})
    assert bad.status_code == 422


def test_the_viewer_page_shows_the_shares_cameras_in_its_order(app: FastAPI, ctx: Gwanje) -> None:
    rec = center(ctx)
    client = client_as(app, rec["manager"])
    made = client.post("/sharing/shares", data={
        "agency": "여수소방서", "agency_code": "ys-fire", "recipient_kind": "system",
        "recipients": "ys-fire-vms", "legal_basis": "화재 현장 합동 대응 (ORD-17)",
        "purpose": "disaster", "cameras": "SH-2, SH-1", "hours": "3",
    })  # fmt: skip
    assert made.status_code == 201
    token = re.search(r"gws_[A-Za-z0-9_-]+", made.text)
    assert token is not None
    with ctx.sessions() as session:
        share = session.scalars(select(Share)).one()
        codes = [session.get(Camera, c).code for c in share.camera_ids]  # type: ignore[union-attr]
    viewer = client.get(f"/share/{share.id}", params={"token": token.group(0)})
    assert viewer.status_code == 200
    shown = re.findall(r'data-testid="share-video-([^"]+)"', viewer.text)
    assert shown == codes
    assert sorted(shown) == ["SH-1", "SH-2"]
