"""Routes of federation (docs/federation.md) and of the staff's peer and delegation forms.

- `/federation/v1/*`: the signed API other centers call. Public at the HTTP layer on
  purpose: each handler verifies the peer's signature, timestamp and nonce first
  (`federation.verify`); a refusal is 401 and an audit entry (ORD-23).
- `POST /sharing/peers`, `POST /sharing/peers/{id}/fetch` (`federation.manage`);
  `POST /sharing/requests/{id}/approve|refuse` (`share.manage`);
  `GET|POST /sharing/delegations` (`delegation.manage`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from gwanje.auth.permissions import Permission as P
from gwanje.auth.principal import Principal
from gwanje.context import Gwanje
from gwanje.errors import GwanjeError, InvalidInput, Unauthenticated
from gwanje.registry.purposes import Purpose
from gwanje.sharing import delegations, federation
from gwanje.sharing.federation import API, PeerInput, Unverified
from gwanje.sharing.models import Peer
from gwanje.web.deps import Ctx, PostedForm
from gwanje.web.render import render_with
from gwanje.web.security import client_ip, public, requires

router = APIRouter(lifespan=federation.pusher)
Anyone = Annotated[Principal | None, public()]
PeerAdmin = Annotated[Principal, requires(P.FEDERATION_MANAGE)]
Manager = Annotated[Principal, requires(P.SHARE_MANAGE)]
Delegator = Annotated[Principal, requires(P.DELEGATION_MANAGE)]
TEMPLATES = Jinja2Templates(
    directory=[Path(__file__).parent / "templates", Path(__file__).parents[1] / "web" / "templates"]
)


async def _signed(request: Request, ctx: Gwanje, work: Callable[[Session, Peer], Any],
                  status_code: int = 200) -> JSONResponse:  # fmt: skip
    """Verify the peer's signature, then run `work` in the same transaction."""
    body = await request.body()
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    headers = {k.lower(): v for k, v in request.headers.items()}
    ip = client_ip(request)

    def run() -> Any:
        try:
            with ctx.transaction() as session:
                peer = federation.verify(session, ctx.clock, ctx.settings.secret(),
                                         ctx.settings.sharing.signature_tolerance_s, headers,
                                         request.method, path, body)  # fmt: skip
                return work(session, peer)
        except Unverified as exc:
            with ctx.transaction() as session:
                federation.refused(session, ctx.clock, exc, request.url.path, ip)
            raise Unauthenticated("sharing.error.unverified", reason=exc.reason) from None

    try:
        result = await run_in_threadpool(run)
    except Unauthenticated as exc:
        return JSONResponse({"error": exc.key, "reason": exc.params.get("reason")}, 401)
    return JSONResponse(result, status_code=status_code)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except ValueError:
        raise InvalidInput("sharing.error.request_invalid") from None


@router.get(f"{API}/cameras")
async def fed_cameras(request: Request, ctx: Ctx, principal: Anyone) -> JSONResponse:
    center, ip = ctx.settings.sharing.center_name, client_ip(request)
    return await _signed(request, ctx, lambda s, p: federation.camera_list(
        s, ctx.clock, p, center, ip))  # fmt: skip


@router.get(f"{API}/status")
async def fed_status(request: Request, ctx: Ctx, principal: Anyone) -> JSONResponse:
    center, ip = ctx.settings.sharing.center_name, client_ip(request)
    return await _signed(request, ctx, lambda s, p: federation.status(s, ctx.clock, p, center, ip))


@router.post(f"{API}/events")
async def fed_events(request: Request, ctx: Ctx, principal: Anyone) -> JSONResponse:
    body, ip = await request.body(), client_ip(request)
    return await _signed(request, ctx, lambda s, p: {"stored": federation.receive_event(
        s, ctx.clock, p, _json(body), ip)}, 202)  # fmt: skip


@router.post(f"{API}/share-requests")
async def fed_share_request(request: Request, ctx: Ctx, principal: Anyone) -> JSONResponse:
    body, ip = await request.body(), client_ip(request)

    def work(session: Session, peer: Peer) -> dict[str, Any]:
        row = federation.receive_share_request(session, ctx.clock, peer, _json(body), ip)
        return {"id": row.id, "state": row.state}

    return await _signed(request, ctx, work, 202)


@router.get(f"{API}/share-requests/{{request_id}}")
async def fed_share_answer(
    request: Request, ctx: Ctx, principal: Anyone, request_id: int
) -> JSONResponse:
    ip = client_ip(request)
    return await _signed(request, ctx, lambda s, p: federation.share_answer(
        s, ctx, p, request_id, ip))  # fmt: skip


# ---- staff ----------------------------------------------------------------------------------


def _back(request: Request, ctx: Gwanje, exc: GwanjeError | None = None) -> Response:
    if exc is None:
        return RedirectResponse("/sharing", status_code=303)
    from gwanje.sharing.web import _page

    return _page(request, ctx, exc.status, error=exc)


@router.post("/sharing/peers")
def register_peer_form(
    request: Request, ctx: Ctx, principal: PeerAdmin, form: PostedForm
) -> Response:
    codes = tuple(c.strip() for c in str(form.get("cameras", "")).split(",") if c.strip())
    data = PeerInput(
        name=str(form.get("name", "")).strip(), display_name=str(form.get("display_name", "")),
        base_url=str(form.get("base_url", "")).strip(), secret=str(form.get("secret", "")),
        camera_codes=codes, agreement=str(form.get("agreement", "")),
    )  # fmt: skip
    try:
        with ctx.transaction() as session:
            federation.register_peer(session, ctx.clock, ctx.settings.secret(), principal,
                                      data, client_ip(request))  # fmt: skip
    except GwanjeError as exc:
        return _back(request, ctx, exc)
    return _back(request, ctx)


@router.post("/sharing/peers/{peer_id}/fetch")
def fetch_peer_cameras(request: Request, ctx: Ctx, principal: PeerAdmin, peer_id: int) -> Response:
    try:
        federation.fetch_cameras(ctx, peer_id, principal)
    except GwanjeError as exc:
        return _back(request, ctx, exc)
    except Exception:  # the peer is unreachable: say so, never crash the page
        return _back(request, ctx, InvalidInput("sharing.error.peer_unreachable"))
    return _back(request, ctx)


@router.post("/sharing/requests/{request_id}/{decision}")
def decide_request(
    request: Request, ctx: Ctx, principal: Manager, request_id: int, decision: str,
    form: PostedForm,
) -> Response:  # fmt: skip
    if decision not in ("approve", "refuse"):
        return _back(request, ctx, InvalidInput("sharing.error.request_invalid"))
    try:
        with ctx.transaction() as session:
            federation.decide_share_request(session, ctx, principal, request_id,
                                            decision == "approve", str(form.get("note", "")),
                                            client_ip(request))  # fmt: skip
    except GwanjeError as exc:
        return _back(request, ctx, exc)
    return _back(request, ctx)


@router.get("/sharing/delegations")
def delegations_page(request: Request, ctx: Ctx, principal: Delegator) -> Response:
    return _delegations(request, ctx)


def _delegations(request: Request, ctx: Gwanje, status_code: int = 200, **values: Any) -> Response:
    with ctx.sessions() as session:
        rows = delegations.delegations(session)
        listed = [(d.id, d.agency, d.document_no, d.scope, d.starts_on, d.ends_on,
                   d.purpose_list(), codes) for d, codes in rows]  # fmt: skip
    purposes = [p.value for p in Purpose]
    return render_with(TEMPLATES, request, "sharing/delegations.html", status_code,
                       delegations=listed, purposes=purposes, **values)  # fmt: skip


@router.post("/sharing/delegations")
def record_delegation_form(
    request: Request, ctx: Ctx, principal: Delegator, form: PostedForm
) -> Response:
    try:
        data = delegations.DelegationInput(
            agency=str(form.get("agency", "")), document_no=str(form.get("document_no", "")),
            scope=str(form.get("scope", "")),
            starts_on=date.fromisoformat(str(form.get("starts_on", ""))),
            ends_on=date.fromisoformat(str(form.get("ends_on", ""))),
            purposes=tuple(str(p) for p in form.getlist("purposes")),
            camera_codes=tuple(c.strip() for c in str(form.get("cameras", "")).split(",")
                               if c.strip()),
        )  # fmt: skip
        with ctx.transaction() as session:
            delegations.record_delegation(session, ctx.clock, principal, data, client_ip(request))
    except ValueError:
        return _delegations(request, ctx, 422, error=InvalidInput(
            "sharing.error.delegation_invalid", detail="dates"))  # fmt: skip
    except GwanjeError as exc:
        return _delegations(request, ctx, exc.status, error=exc)
    return RedirectResponse("/sharing/delegations", status_code=303)
