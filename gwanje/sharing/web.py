"""Routes of sharing: the staff pages and API, the recipient's viewer, WebSocket and HLS.

- `GET /sharing`, `POST /sharing/shares`, `POST /sharing/shares/{id}/revoke|renew`:
  staff with `share.manage` (the token is shown once, on the page that made it);
  `POST /api/shares`, `POST /api/shares/{id}/revoke`: the same as JSON.
- `GET /share/{id}?token=…`: the recipient's viewer page (or a logged-in person named
  among the recipients, without a token); `WS /share/{id}/live/{camera}?token=…`: one
  shared camera, watermarked, as fMP4 for the page's player.
- `GET /share/{id}/{camera}/index.m3u8?token=…`: HLS for external players (fMP4
  segments under `hls/<session key>/`, which need no token).

Public on purpose (the token is the credential); every use goes through
`shares.authorize`, and every refusal is audited (ORD-23).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, WebSocket, WebSocketException
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from starlette import status
from starlette.concurrency import run_in_threadpool

from gwanje.auth.middleware import same_origin
from gwanje.auth.permissions import Permission as P
from gwanje.auth.principal import Principal
from gwanje.context import Gwanje
from gwanje.errors import GwanjeError, InvalidInput, NotFound
from gwanje.media.live.paths import live_dir
from gwanje.registry.models import Camera
from gwanje.registry.purposes import Purpose
from gwanje.sharing import shares, stream
from gwanje.sharing.models import Share
from gwanje.sharing.shares import Grant, ShareInput, Shares, sharing_transaction
from gwanje.sharing.transcode import WatermarkTranscoder
from gwanje.web.deps import Ctx, PostedForm
from gwanje.web.jsonbody import json_object
from gwanje.web.render import render_with
from gwanje.web.security import PUBLIC, client_ip, principal_of, public, requires

router = APIRouter()
Manager = Annotated[Principal, requires(P.SHARE_MANAGE)]
Anyone = Annotated[Principal | None, public()]
TEMPLATES = Jinja2Templates(
    directory=[Path(__file__).parent / "templates", Path(__file__).parents[1] / "web" / "templates"]
)
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _public_ws() -> Any:
    """A WebSocket open to anonymous callers on purpose: the share token authorizes."""

    def guard(websocket: WebSocket) -> Principal | None:
        return principal_of(websocket)

    guard.__gwanje_guard__ = PUBLIC  # type: ignore[attr-defined]
    return Depends(guard)


AnyoneWs = Annotated[Principal | None, _public_ws()]


def shared_stream(ctx: Gwanje) -> str:
    """Shares re-encode the sub stream when the recorder pulls it (cheap), else main."""
    return "sub" if "sub" in ctx.settings.recording.streams else "main"


def share_urls(ctx: Gwanje, share: Share, token: str) -> dict[str, Any]:
    base = ctx.settings.sharing.public_url.rstrip("/")
    return {
        "viewer": f"{base}/share/{share.id}?token={token}",
        "hls": {str(c): f"{base}/share/{share.id}/{c}/index.m3u8?token={token}"
                for c in share.camera_ids},
    }  # fmt: skip


# ---- staff ----------------------------------------------------------------------------------


def _input(data: dict[str, Any]) -> ShareInput:
    def items(value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            value = value.replace("\n", ",").split(",")
        return tuple(str(v).strip() for v in value or () if str(v).strip())

    try:
        hours = float(data.get("hours") or 0)
    except (TypeError, ValueError):
        raise InvalidInput("sharing.error.hours", max="-") from None
    return ShareInput(
        agency=str(data.get("agency", "")), agency_code=str(data.get("agency_code", "")).upper(),
        recipient_kind=str(data.get("recipient_kind", "users")),
        recipients=items(data.get("recipients")), legal_basis=str(data.get("legal_basis", "")),
        purpose=str(data.get("purpose", "")), camera_codes=items(data.get("cameras")),
        hours=hours, watermark=str(data.get("watermark", "")),
    )  # fmt: skip


def _page(request: Request, ctx: Gwanje, status_code: int = 200, **values: Any) -> Response:
    from gwanje.sharing import federation

    with ctx.sessions() as session:
        rows = shares.list_shares(session)
        codes = dict(session.execute(
            Camera.__table__.select().with_only_columns(Camera.id, Camera.code)).all())  # type: ignore[attr-defined]  # fmt: skip
        peers = federation.peers(session)
        requests = federation.share_requests(session)
    now = ctx.clock.now()
    listed = [(s, [codes.get(c, "?") for c in s.camera_ids], shares.validity(s, now))
              for s in rows]  # fmt: skip
    return render_with(TEMPLATES, request, "sharing/index.html", status_code, shares=listed,
                       purposes=[p.value for p in Purpose], peers=peers, requests=requests,
                       max_hours=ctx.settings.sharing.max_share_hours, **values)  # fmt: skip


@router.get("/sharing")
def sharing_page(request: Request, ctx: Ctx, principal: Manager) -> Response:
    return _page(request, ctx)


@router.post("/sharing/shares")
def create_share_form(request: Request, ctx: Ctx, principal: Manager, form: PostedForm) -> Response:
    data = {k: form.get(k) for k in form}
    try:
        with sharing_transaction(ctx) as session:
            share, token = Shares(session, ctx.settings.sharing, ctx.clock, principal,
                                  client_ip(request)).create(_input(data))  # fmt: skip
            urls = share_urls(ctx, share, token)
            share_id = share.id
    except GwanjeError as exc:
        return _page(request, ctx, exc.status, error=exc, form=data)
    return render_with(TEMPLATES, request, "sharing/created.html", 201, share_id=share_id,
                       token=token, urls=urls)  # fmt: skip


@router.post("/sharing/shares/{share_id}/revoke")
def revoke_share_form(
    request: Request, ctx: Ctx, principal: Manager, share_id: int, form: PostedForm
) -> Response:
    try:
        with ctx.transaction() as session:
            Shares(session, ctx.settings.sharing, ctx.clock, principal,
                   client_ip(request)).revoke(share_id, str(form.get("reason", "")))  # fmt: skip
    except GwanjeError as exc:
        return _page(request, ctx, exc.status, error=exc)
    return RedirectResponse("/sharing", status_code=303)


@router.post("/sharing/shares/{share_id}/renew")
def renew_share_form(
    request: Request, ctx: Ctx, principal: Manager, share_id: int, form: PostedForm
) -> Response:
    try:
        with sharing_transaction(ctx) as session:
            hours = float(str(form.get("hours") or 0))
            Shares(session, ctx.settings.sharing, ctx.clock, principal,
                   client_ip(request)).renew(share_id, hours)  # fmt: skip
    except (GwanjeError, ValueError) as exc:
        if not isinstance(exc, GwanjeError):
            exc = InvalidInput("sharing.error.hours", max=ctx.settings.sharing.max_share_hours)
        return _page(request, ctx, exc.status, error=exc)
    return RedirectResponse("/sharing", status_code=303)


@router.get("/api/shares")
def list_shares_api(ctx: Ctx, principal: Manager) -> JSONResponse:
    now = ctx.clock.now()
    with ctx.sessions() as session:
        data = [
            {"id": s.id, "agency": s.agency, "cameras": list(s.camera_ids),
             "expires_at": s.expires_at.isoformat(), "token_prefix": s.token_prefix,
             "state": shares.validity(s, now) or "active"}
            for s in shares.list_shares(session)
        ]  # fmt: skip
    return JSONResponse({"shares": data})


@router.post("/api/shares")
async def create_share_api(request: Request, ctx: Ctx, principal: Manager) -> JSONResponse:
    data = await json_object(request, "sharing.error.invalid")

    def create() -> dict[str, Any]:
        with sharing_transaction(ctx) as session:
            share, token = Shares(session, ctx.settings.sharing, ctx.clock, principal,
                                  client_ip(request)).create(_input(data))  # fmt: skip
            urls = share_urls(ctx, share, token)
            return {"id": share.id, "token": token, "cameras": list(share.camera_ids),
                    "expires_at": share.expires_at.isoformat(), **urls}  # fmt: skip

    return JSONResponse(await run_in_threadpool(create), status_code=201)


@router.post("/api/shares/{share_id}/revoke")
async def revoke_share_api(
    request: Request, ctx: Ctx, principal: Manager, share_id: int
) -> JSONResponse:
    try:
        data = await request.json()
    except ValueError:
        raise InvalidInput("sharing.error.invalid", detail="not JSON") from None
    reason = str(data.get("reason", "")) if isinstance(data, dict) else ""

    def revoke() -> dict[str, Any]:
        with ctx.transaction() as session:
            share = Shares(session, ctx.settings.sharing, ctx.clock, principal,
                           client_ip(request)).revoke(share_id, reason)  # fmt: skip
            return {"id": share.id, "revoked_at": share.revoked_at.isoformat()
                    if share.revoked_at else None}  # fmt: skip

    return JSONResponse(await run_in_threadpool(revoke))


# ---- the recipient --------------------------------------------------------------------------


def _authorize(ctx: Gwanje, share_id: int, camera_id: int | None, token: str | None,
               principal: Principal | None, channel: str, ip: str | None) -> Grant:  # fmt: skip
    with sharing_transaction(ctx) as session:
        return shares.authorize(session, ctx.clock, share_id, camera_id, token, principal,
                                channel, ip)  # fmt: skip


@router.get("/share/{share_id}")
def viewer_page(
    request: Request, ctx: Ctx, principal: Anyone, share_id: int, token: str | None = None
) -> Response:
    _authorize(ctx, share_id, None, token, principal, "web", client_ip(request))
    with ctx.sessions() as session:
        share = session.get(Share, share_id)
        if share is None:  # deleted since: not reachable, rows are never deleted
            raise NotFound("sharing.error.unknown_share")
        found = session.scalars(select(Camera).where(Camera.id.in_(share.camera_ids)))
        by_id = {c.id: c for c in found}
        cameras = [by_id[c] for c in share.camera_ids if c in by_id]  # the share's order
        tiles = [{"id": c.id, "code": c.code, "name": c.name} for c in cameras]
        values = {"share_id": share.id, "agency": share.agency, "expires_at": share.expires_at}
    response = render_with(TEMPLATES, request, "sharing/viewer.html", 200, tiles=tiles,
                           **values)  # fmt: skip
    response.headers.update(NO_STORE)
    return response


@router.websocket("/share/{share_id}/live/{camera_id}")
async def shared_live(
    websocket: WebSocket, share_id: int, camera_id: int, principal: AnyoneWs,
    token: str | None = None,
) -> None:  # fmt: skip
    ctx: Gwanje = websocket.app.state.ctx
    ip = client_ip(websocket)
    if token is None and not same_origin(websocket.scope):  # a cookie rides cross-site
        raise WebSocketException(status.WS_1008_POLICY_VIOLATION, "origin")
    try:
        grant = await run_in_threadpool(_authorize, ctx, share_id, camera_id, token, principal,
                                        "web", ip)  # fmt: skip
    except GwanjeError as exc:
        raise WebSocketException(status.WS_1008_POLICY_VIOLATION, exc.key) from None
    view_id = secrets.token_hex(8)
    started = await run_in_threadpool(_started, ctx, grant, view_id, "web", ip)
    await websocket.accept()
    key = (share_id, camera_id, shared_stream(ctx))

    def encode() -> stream.SharedEncode:  # one x264 for every viewer of this share's camera
        transcoder = WatermarkTranscoder(stream.watermark_line(share_id, grant.watermark),
                                         stream.clock_text(ctx.clock))  # fmt: skip
        return stream.SharedEncode(live_dir(ctx.settings.data_dir), camera_id, key[2],
                                   transcoder)  # fmt: skip

    encodes = _encodes(websocket.app)
    shared = encodes.of(key, encode)
    viewer = shared.join()
    relay = stream.ShareRelay(websocket, viewer)
    reason = "viewer closed"
    try:
        reason = await relay.run(_validity(ctx, share_id), ctx.settings.sharing.revocation_check_s)
    except Exception as exc:  # the view ends; other views go on
        reason = f"error: {type(exc).__name__}"
    finally:
        await encodes.leave(key, shared, viewer)
        written = asyncio.get_running_loop().run_in_executor(
            None, _ended, ctx, grant, view_id, "web", started, relay.muxer.frames, reason, ip
        )
        with contextlib.suppress(Exception):
            code = 1000 if reason == "viewer closed" else status.WS_1008_POLICY_VIOLATION
            await websocket.close(code=code, reason=reason[:100])
        await asyncio.shield(written)


def _encodes(app: Any) -> stream.SharedEncodes:
    encodes = getattr(app.state, "share_encodes", None)
    if encodes is None:
        encodes = app.state.share_encodes = stream.SharedEncodes()
    return encodes  # type: ignore[no-any-return]


def _validity(ctx: Gwanje, share_id: int) -> stream.Validity:
    def check() -> str | None:
        with ctx.sessions() as session:
            return shares.still_valid(session, ctx.clock, share_id)

    async def validity() -> str | None:
        return await run_in_threadpool(check)

    return validity


def _started(ctx: Gwanje, grant: Grant, view_id: str, channel: str, ip: str | None) -> datetime:
    with ctx.transaction() as session:
        return shares.view_started(session, ctx.clock, grant, view_id, channel, ip)


def _ended(ctx: Gwanje, grant: Grant, view_id: str, channel: str, started: datetime,
           frames: int, reason: str, ip: str | None) -> None:  # fmt: skip
    with ctx.transaction() as session:
        shares.view_ended(session, ctx.clock, grant, view_id, channel, started, frames, reason, ip)


# ---- HLS ------------------------------------------------------------------------------------


def _hls(request: Request) -> stream.HlsSessions:
    sessions = getattr(request.app.state, "share_hls", None)
    if sessions is None:
        sessions = request.app.state.share_hls = stream.HlsSessions()
    assert isinstance(sessions, stream.HlsSessions)
    return sessions


@router.get("/share/{share_id}/{camera_id}/index.m3u8")
async def hls_playlist(
    request: Request, ctx: Ctx, principal: Anyone, share_id: int, camera_id: int,
    token: str | None = None,
) -> Response:  # fmt: skip
    ip = client_ip(request)
    grant = await run_in_threadpool(_authorize, ctx, share_id, camera_id, token, principal,
                                    "hls", ip)  # fmt: skip
    sessions = _hls(request)
    loop = asyncio.get_running_loop()
    session = sessions.find(share_id, camera_id, grant.recipient)
    if session is None:
        session = await _start_hls(request, ctx, sessions, grant, ip)
    session.last_fetch = loop.time()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(session.ready.wait(), timeout=20)
    if session.ended is not None or not session.segments:
        raise NotFound("sharing.error.stream_unavailable")
    return PlainTextResponse(session.playlist(), media_type="application/vnd.apple.mpegurl",
                             headers=NO_STORE)  # fmt: skip


async def _start_hls(request: Request, ctx: Gwanje, sessions: stream.HlsSessions, grant: Grant,
                     ip: str | None) -> stream.HlsSession:  # fmt: skip
    settings = ctx.settings.sharing
    view_id = secrets.token_hex(8)
    started = await run_in_threadpool(_started, ctx, grant, view_id, "hls", ip)
    transcoder = WatermarkTranscoder(
        stream.watermark_line(grant.share_id, grant.watermark),
        stream.clock_text(ctx.clock),
        gop=max(1, round(settings.hls_segment_s * 25)),
    )
    session = stream.HlsSession(
        key=secrets.token_urlsafe(24), share_id=grant.share_id, camera_id=grant.camera_id,
        view_id=view_id, started=started, grant=grant, transcoder=transcoder,
        last_fetch=asyncio.get_running_loop().time(),
    )  # fmt: skip

    async def ended(done: stream.HlsSession, reason: str) -> None:
        sessions.drop(done)
        await run_in_threadpool(_ended, ctx, grant, view_id, "hls", started,
                                done.transcoder.frames, reason, ip)  # fmt: skip

    async def produce(session: stream.HlsSession) -> None:
        await stream.produce(
            session, live_dir(ctx.settings.data_dir), shared_stream(ctx), settings.hls_segment_s,
            settings.hls_idle_s, _validity(ctx, grant.share_id), settings.revocation_check_s,
            ended,
        )  # fmt: skip

    sessions.start(session, produce)
    return session


@router.get("/share/{share_id}/{camera_id}/hls/{key}/{name}")
async def hls_file(
    request: Request, principal: Anyone, share_id: int, camera_id: int, key: str, name: str
) -> Response:
    session = _hls(request).get(key)
    if session is None or session.ended is not None or (session.share_id, session.camera_id) != (
        share_id, camera_id,
    ):  # fmt: skip
        raise NotFound("sharing.error.stream_unavailable")
    session.last_fetch = asyncio.get_running_loop().time()
    if name == "init.mp4" and session.init is not None:
        return Response(session.init, media_type="video/mp4", headers=NO_STORE)
    for segment in session.segments:
        if name == f"{segment.sequence}.m4s":
            return Response(segment.data, media_type="video/iso.segment", headers=NO_STORE)
    raise NotFound("sharing.error.stream_unavailable")
