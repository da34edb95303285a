"""Shares, their gate and delegation terms on SQLite and PostgreSQL (ORD-14.2, 17, 23, 24)."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

import pytest
from registry.helpers import audit_rows
from share_kit import center, share_input
from webclient import principal_for

from gwanje.auth.permissions import Role
from gwanje.clock import FakeClock
from gwanje.console import service as console
from gwanje.context import Gwanje
from gwanje.errors import Forbidden, InvalidInput
from gwanje.sharing import delegations, shares
from gwanje.sharing.models import Share
from gwanje.sharing.shares import Refused, Shares, sharing_transaction


def _create(ctx: Gwanje, rec: dict, **overrides: object) -> tuple[int, str]:
    with sharing_transaction(ctx) as session:
        share, token = Shares(session, ctx.settings.sharing, ctx.clock, rec["manager"]).create(
            share_input(**overrides)
        )
        return share.id, token


def _use(ctx: Gwanje, share_id: int, camera_id: int, token: str | None, principal=None):  # type: ignore[no-untyped-def]
    with sharing_transaction(ctx) as session:
        return shares.authorize(session, ctx.clock, share_id, camera_id, token, principal,
                                "hls", "10.0.0.9")  # fmt: skip


def test_a_share_stores_only_the_token_hash_and_is_audited(any_ctx: Gwanje) -> None:
    rec = center(any_ctx)
    share_id, token = _create(any_ctx, rec)
    assert token.startswith("gws_")
    assert len(token) > 40
    with any_ctx.sessions() as session:
        row = session.get(Share, share_id)
        assert row is not None
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in str(row.__dict__)
    created = audit_rows(any_ctx, "share.created")
    assert len(created) == 1
    assert token not in str(created[0].details)
    assert created[0].camera_ids == str(rec["cameras"][0])


def test_making_a_share_needs_permission_basis_and_bounds(any_ctx: Gwanje) -> None:
    rec = center(any_ctx)
    with pytest.raises(InvalidInput, match="legal basis"):
        _create(any_ctx, rec, legal_basis="")
    with pytest.raises(InvalidInput):
        _create(any_ctx, rec, hours=25.0)  # over the 24 h bound
    with pytest.raises(InvalidInput):
        _create(any_ctx, rec, agency_code="경찰")  # the burned-in font is ASCII
    with pytest.raises(InvalidInput):
        _create(any_ctx, rec, camera_codes=("NOPE",))
    with any_ctx.transaction() as session, pytest.raises(Forbidden):
        Shares(session, any_ctx.settings.sharing, any_ctx.clock,
               principal_for(Role.OPERATOR)).create(share_input())  # fmt: skip


def test_every_use_passes_the_gate_and_refusals_are_audited(
    any_ctx: Gwanje, clock: FakeClock
) -> None:
    rec = center(any_ctx)
    cam1, cam2 = rec["cameras"]
    share_id, token = _create(any_ctx, rec)
    grant = _use(any_ctx, share_id, cam1, token)
    assert (grant.share_id, grant.camera_code, grant.watermark) == (share_id, "SH-1", "YS-POLICE")
    assert _use(any_ctx, share_id, cam1, None, rec["police"]).recipient == "kang"  # named user
    cases = [
        (share_id, cam1, token[:-1] + "x", None, "bad_token"),
        (share_id, cam1, None, None, "not_recipient"),
        (share_id, cam1, None, rec["manager"], "not_recipient"),
        (share_id, cam2, token, None, "camera_not_shared"),
        (share_id + 99, cam1, token, None, "unknown_share"),
    ]
    for sid, cam, tok, who, reason in cases:
        with pytest.raises(Refused) as refused:
            _use(any_ctx, sid, cam, tok, who)
        assert refused.value.reason == reason
    clock.advance(timedelta(hours=2, seconds=1))
    with pytest.raises(Refused, match="expired"):
        _use(any_ctx, share_id, cam1, token)
    rows = audit_rows(any_ctx, "share.refused")
    assert [json.loads(r.details)["reason"] for r in rows] == [c[-1] for c in cases] + ["expired"]
    assert json.loads(rows[0].details)["share_id"] == share_id
    assert rows[0].outcome == "denied"
    assert json.loads(rows[0].details)["recipient"].startswith("YS-POLICE token gws_")


def test_revocation_is_final_and_at_once(any_ctx: Gwanje) -> None:
    rec = center(any_ctx)
    share_id, token = _create(any_ctx, rec)
    with any_ctx.sessions() as session:
        assert shares.still_valid(session, any_ctx.clock, share_id) is None
    with any_ctx.transaction() as session:
        Shares(session, any_ctx.settings.sharing, any_ctx.clock, rec["manager"]).revoke(
            share_id, "수색 종료"
        )
    with any_ctx.sessions() as session:
        assert shares.still_valid(session, any_ctx.clock, share_id) == "revoked"
    with pytest.raises(Refused, match="revoked"):
        _use(any_ctx, share_id, rec["cameras"][0], token)
    revoked = audit_rows(any_ctx, "share.revoked")
    assert [json.loads(r.details)["reason"] for r in revoked] == ["수색 종료"]


def _delegate(ctx: Gwanje, rec: dict, purposes: tuple[str, ...], start: date, end: date) -> None:
    data = delegations.DelegationInput(
        agency="여수해양경찰서", document_no="해경-2026-17", scope="실시간 관제",
        starts_on=start, ends_on=end, purposes=purposes, camera_codes=("SH-2",),
    )  # fmt: skip
    with ctx.transaction() as session:
        delegations.record_delegation(session, ctx.clock, rec["manager"], data)


def test_delegated_cameras_are_used_only_within_their_terms(
    any_ctx: Gwanje, clock: FakeClock
) -> None:
    rec = center(any_ctx)
    today = clock.now().astimezone(delegations.SEOUL).date()
    _delegate(any_ctx, rec, ("disaster",), today - timedelta(days=1), today)
    # Sharing: a purpose outside the terms is refused; an allowed one passes.
    with pytest.raises(delegations.OutsideTerms, match="purpose"):
        _create(any_ctx, rec, camera_codes=("SH-2",))
    share_id, token = _create(any_ctx, rec, camera_codes=("SH-2",), purpose="disaster")
    assert _use(any_ctx, share_id, rec["cameras"][1], token).camera_code == "SH-2"
    # A share running past the delegation's last day is refused.
    with pytest.raises(delegations.OutsideTerms, match="period"):
        _create(any_ctx, rec, camera_codes=("SH-2",), purpose="disaster", hours=20.0)
    # The wall: the camera's own purpose (crime prevention) is not delegated.
    operator = principal_for(Role.OPERATOR)
    with pytest.raises(console.Refused), console.console_transaction(any_ctx) as session:
        console.authorize_live(session, any_ctx.clock, operator, rec["cameras"][1], "main",
                               None, "v1")  # fmt: skip
    reasons = [json.loads(r.details)["reason"] for r in audit_rows(any_ctx, "delegation.refused")]
    assert reasons == ["purpose", "period", "purpose"]
    recorded = json.loads(audit_rows(any_ctx, "delegation.recorded")[0].details)
    assert recorded["document_no"] == "해경-2026-17"


def test_the_wall_refuses_a_delegated_camera_outside_its_period(
    any_ctx: Gwanje, clock: FakeClock
) -> None:
    rec = center(any_ctx)
    today = clock.now().astimezone(delegations.SEOUL).date()
    _delegate(any_ctx, rec, ("crime_prevention",), today, today + timedelta(days=1))
    clock.advance(timedelta(days=3))
    with pytest.raises(console.Refused), console.console_transaction(any_ctx) as session:
        console.authorize_live(session, any_ctx.clock, principal_for(Role.OPERATOR),
                               rec["cameras"][1], "main", None, "v3")  # fmt: skip
    assert json.loads(audit_rows(any_ctx, "delegation.refused")[0].details)["reason"] == "period"


def test_the_wall_plays_a_delegated_camera_for_a_delegated_purpose(
    any_ctx: Gwanje, clock: FakeClock
) -> None:
    rec = center(any_ctx)
    today = clock.now().date()
    _delegate(any_ctx, rec, ("crime_prevention",), today, today + timedelta(days=30))
    with console.console_transaction(any_ctx) as session:
        camera = console.authorize_live(session, any_ctx.clock, principal_for(Role.OPERATOR),
                                        rec["cameras"][1], "main", None, "v2")  # fmt: skip
    assert camera.code == "SH-2"
