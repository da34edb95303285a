"""HTTP and WebSocket routes of the operator console: /wall and its live streams.

- `GET /wall`: the video wall page (camera tree, grid, tiles, layouts).
- `GET /api/wall/cameras`: the cameras this principal may watch live, with their masks.
- `GET|POST /api/wall/layouts`, `DELETE /api/wall/layouts/{id}`: saved layouts.
- `WS /live/{camera_id}/{stream}`: one camera stream as fragmented MP4 for Media Source
  Extensions. Messages: text `{"type": "init", "mime", "width", "height"}` then one
  binary init segment; text `{"type": "base", "rtp"}` (the camera's RTP timestamp at
  media time 0) then binary fragments (one frame each); text `{"type": "status",
  "state": "offline"|"waiting", ...}` while no capture worker serves the stream (the
  server keeps retrying, so a camera that comes back resumes on its own).

Invariants: every live view is authorized per camera and audited at its start and its
end (`gwanje.console.service`); while tour mode is on (ORD-22.4, `gwanje.shifts.tour`)
the socket refuses new views (1008 `shifts.tour.active`) and ends open ones within a
second; no database work runs on the event loop; a viewer that
reads slowly slows only its own socket (the capture worker skips it to the next
keyframe; recording never waits).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect, WebSocketException
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates
from starlette import status
from starlette.concurrency import run_in_threadpool

from gwanje.auth.permissions import Permission as P
from gwanje.auth.principal import Principal
from gwanje.clock import parse_aware
from gwanje.console import playback, service
from gwanje.console.models import GRIDS
from gwanje.console.service import LayoutInput, WallCamera, console_transaction
from gwanje.context import Gwanje
from gwanje.errors import GwanjeError, InvalidInput, NotFound
from gwanje.i18n import catalog
from gwanje.media.live.client import LiveUnavailable, open_live
from gwanje.media.live.mse import MseMuxer, forward
from gwanje.media.live.paths import live_dir
from gwanje.media.live.wire import WireError
from gwanje.media.playback import open_playback, segments_for
from gwanje.shifts import tour
from gwanje.web.deps import Ctx
from gwanje.web.render import language_of, render_with
from gwanje.web.security import client_ip, requires, requires_ws

router = APIRouter()
LiveViewer = Annotated[Principal, requires(P.VIDEO_LIVE)]
Replayer = Annotated[Principal, requires(P.VIDEO_PLAYBACK)]
LiveSocket = Annotated[Principal, requires_ws(P.VIDEO_LIVE)]
TEMPLATES = Jinja2Templates(
    directory=[Path(__file__).parent / "templates", Path(__file__).parents[1] / "web" / "templates"]
)
RETRY_SECONDS = 2.0  # how often an unavailable stream is tried again while the tile is open


_PLAYBACK_STRINGS = ("console.playback.", "console.error.", "console.health.", "console.export.")
_JS_STRINGS = (
    "console.wall.",
    "console.state.",
    "console.health.",
    "registry.purpose.",
    "ptz.",
    "bells.state.",
    "shifts.tour.",
)


@router.get("/wall")
def wall_page(request: Request, ctx: Ctx, principal: LiveViewer) -> Response:
    lang = language_of(request)
    strings = {k: v for k, v in catalog(lang).items() if k.startswith(_JS_STRINGS)}
    return render_with(TEMPLATES, request, "console/wall.html", 200, grids=GRIDS, strings=strings,
                       tour_mode=tour.is_active(ctx))  # fmt: skip


@router.get("/api/wall/cameras")
def wall_cameras(ctx: Ctx, principal: LiveViewer) -> JSONResponse:
    sub_recorded = "sub" in ctx.settings.recording.streams
    with ctx.sessions() as session:
        cameras = service.wall_cameras(session, principal, sub_recorded)
    return JSONResponse({"cameras": [c.as_json() for c in cameras]})


@router.get("/api/wall/layouts")
def list_layouts(ctx: Ctx, principal: LiveViewer) -> JSONResponse:
    with ctx.sessions() as session:
        rows = service.layouts(session, principal)
        data = [{"id": r.id, "name": r.name, "grid": r.grid, "tiles": r.tiles} for r in rows]
    return JSONResponse({"layouts": data})


@router.post("/api/wall/layouts")
async def save_layout(request: Request, ctx: Ctx, principal: LiveViewer) -> JSONResponse:
    try:
        data = LayoutInput.parse(await request.json())
    except ValueError:  # not JSON at all
        raise InvalidInput("console.error.layout_invalid", detail="not JSON") from None

    def save() -> dict[str, Any]:
        with console_transaction(ctx) as session:
            row = service.save_layout(session, ctx.clock, principal, data, client_ip(request))
            return {"id": row.id, "name": row.name, "grid": row.grid, "tiles": row.tiles}

    return JSONResponse(await run_in_threadpool(save))


@router.delete("/api/wall/layouts/{layout_id}")
def delete_layout(request: Request, ctx: Ctx, principal: LiveViewer, layout_id: int) -> Response:
    with ctx.transaction() as session:
        service.delete_layout(session, ctx.clock, principal, layout_id, client_ip(request))
    return Response(status_code=204)


# ---- live streams ------------------------------------------------------------------------


@router.websocket("/live/{camera_id}/{stream}")
async def live_stream(
    websocket: WebSocket, camera_id: int, stream: str, principal: LiveSocket
) -> None:
    ctx: Gwanje = websocket.app.state.ctx
    view_id = secrets.token_hex(8)
    ip = client_ip(websocket)

    def authorize() -> tuple[WallCamera, datetime]:
        with console_transaction(ctx) as session:
            camera = service.authorize_live(
                session,
                ctx.clock,
                principal,
                camera_id,
                stream,
                ip,
                view_id,
                enforce_assignments=ctx.settings.shifts.enforce_assignments,
            )
            return camera, ctx.clock.now()

    # ORD-22.4: no live video while tour mode is on (docs/design/shifts.md).
    if await run_in_threadpool(tour.is_active, ctx):
        raise WebSocketException(status.WS_1008_POLICY_VIOLATION, "shifts.tour.active")
    try:
        camera, started = await run_in_threadpool(authorize)
    except GwanjeError as exc:
        raise WebSocketException(status.WS_1008_POLICY_VIOLATION, exc.key) from None
    await websocket.accept()
    relay = _Relay(websocket, live_dir(ctx.settings.data_dir), camera_id, stream)
    relay.stop_when = lambda: tour.is_active(ctx)
    reason = "viewer closed"
    try:
        await relay.run()
    except WebSocketDisconnect:
        pass
    except _Stopped:
        reason = "tour mode"
    except Exception as exc:  # the view ends; the web process and other views go on
        reason = f"error: {type(exc).__name__}"
    finally:
        frames = relay.muxer.frames

        def ended() -> None:
            with ctx.transaction() as session:
                service.live_view_ended(
                    session, ctx.clock, principal, camera, stream, view_id, started, frames,
                    reason, ip,
                )  # fmt: skip

        # Started on the loop's executor, not awaited through anyio: a handler cancelled
        # (server shutdown, a test client leaving) still writes the end entry.
        written = asyncio.get_running_loop().run_in_executor(None, ended)
        with contextlib.suppress(Exception):
            await websocket.close()
        await asyncio.shield(written)  # if cancelled here, the write still completes


class _Stopped(Exception):
    """The view was ended by the center (tour mode, ORD-22.4)."""


class _Relay:
    """Live units from the capture worker's socket to one browser, as MSE fragments."""

    stop_when: Callable[[], bool] | None = None  # polled off the loop; True ends the view

    def __init__(self, websocket: WebSocket, directory: Path, camera_id: int, stream: str):
        self.websocket = websocket
        self.directory = directory
        self.camera_id = camera_id
        self.stream = stream
        self.muxer = MseMuxer()

    async def run(self) -> None:
        """Relay until the browser leaves; errors of the relay itself propagate."""
        closed = asyncio.ensure_future(self._until_closed())
        relay = asyncio.ensure_future(self._relay_forever())
        stop = asyncio.ensure_future(self._until_stopped())
        try:
            done, _ = await asyncio.wait({closed, relay, stop},
                                         return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
            for task in (relay, stop):
                if task in done:
                    task.result()
        finally:
            for task in (closed, relay, stop):
                task.cancel()
            await asyncio.gather(closed, relay, stop, return_exceptions=True)

    async def _until_stopped(self) -> None:
        """Raise `_Stopped` once `stop_when` says so (never returns otherwise)."""
        while True:
            if self.stop_when is not None and await run_in_threadpool(self.stop_when):
                raise _Stopped
            await asyncio.sleep(tour.POLL_SECONDS)

    async def _until_closed(self) -> None:
        """Read (and ignore) what the browser sends, to notice it leaving."""
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return

    async def _relay_forever(self) -> None:
        while True:
            await self._relay_once()
            await asyncio.sleep(RETRY_SECONDS)

    async def _relay_once(self) -> None:
        try:
            messages = await open_live(self.directory, self.camera_id, self.stream)
        except LiveUnavailable:
            await self._status("offline")
            return
        await self._status("waiting")
        try:
            await forward(self.websocket, messages, self.muxer)
        except WireError:
            await self._status("offline", "bad data from the recorder")
            return
        finally:
            await messages.aclose()
        await self._status("offline")

    async def _status(self, state: str, detail: str = "") -> None:
        await self._send_json({"type": "status", "state": state, "detail": detail})

    async def _send_json(self, message: dict[str, object]) -> None:
        await self.websocket.send_text(json.dumps(message))


# ---- playback (ORD-30.2: only under a grant) ------------------------------------------------


def _when(value: str, name: str) -> datetime:
    return parse_aware(value, name, "console.error.range_invalid")


def _stream_name(stream: str) -> str:
    if stream not in service.STREAMS:
        raise InvalidInput("console.error.stream_unknown", stream=stream)
    return stream


@router.get("/playback")
def playback_page(request: Request, ctx: Ctx, principal: Replayer) -> Response:
    lang = language_of(request)
    strings = {k: v for k, v in catalog(lang).items() if k.startswith(_PLAYBACK_STRINGS)}
    with ctx.sessions() as session:
        cameras = service.wall_cameras(session, principal)
    return render_with(TEMPLATES, request, "console/playback.html", 200, strings=strings,
                       cameras=cameras)  # fmt: skip


@router.get("/api/playback/{camera_id}/timeline")
def playback_timeline(
    ctx: Ctx, principal: Replayer, camera_id: int, start: str, end: str, stream: str = "main"
) -> JSONResponse:
    with ctx.sessions() as session:
        first, last = _when(start, "start"), _when(end, "end")
        data = playback.timeline(
            session, principal, camera_id, _stream_name(stream), first, last, ctx.clock.now()
        )
    return JSONResponse(data)


@router.get("/api/playback/{camera_id}/{stream}/video")
def playback_video(
    request: Request, ctx: Ctx, principal: Replayer, camera_id: int, stream: str, start: str,
    end: str,
) -> Response:  # fmt: skip
    """Stored video as one fMP4 stream for MSE. Header `X-Gwanje-Origin`: the wall time of
    media time 0 (the GOP that contains `start`, or the first after it)."""
    first, last = _when(start, "start"), _when(end, "end")
    ip = client_ip(request)
    with console_transaction(ctx) as session:
        grant = playback.authorize_playback(
            session, ctx.clock, principal, camera_id, _stream_name(stream), first, last, ip
        )
        refs = segments_for(session, camera_id, stream, first, last)
    opened = open_playback(refs, grant.clip_start, grant.clip_end, want_start=first)
    with ctx.transaction() as session:
        playback.playback_started(session, ctx.clock, principal, grant, stream, first, last,
                                  opened.origin if opened else None, ip)  # fmt: skip
    if opened is None:
        raise NotFound("console.error.no_video")
    headers = {"X-Gwanje-Origin": opened.origin.isoformat(), "X-Gwanje-Codec": opened.codec,
               "X-Gwanje-Grant": str(grant.grant_id), "Cache-Control": "no-store"}  # fmt: skip
    return StreamingResponse(opened.chunks, media_type="video/mp4", headers=headers)
