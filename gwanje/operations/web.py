"""HTTP API of incidents and notifications (ORD-18.2, 20.4). JSON in and out.

- `POST /api/incidents` (incident.manage): open; 201 with the incident, its timeline and
  the notifications queued for it.
- `GET /api/incidents` (incident.read): open incidents first, then the newest closed.
- `GET /api/incidents/{id}` (incident.read): one incident in full.
- `POST /api/incidents/{id}/notes|notify|close` (incident.manage).
- `POST /api/incidents/{id}/snapshots` (incident.manage): a still of each camera now.
- `GET /api/incidents/{id}/snapshots/{n}` (incident.read, and `video.live` over that
  camera, checked in `snapshots.authorize_view`): the JPEG; each view audited.
- `POST /api/notifications/{id}/acknowledge` (incident.manage): staff record a
  confirmation received by phone.
- `POST /api/notifications/{id}/ack` (public, token-checked): a receiver system's
  acknowledgement, `{"token": …}`. People acknowledge through `/ack/{id}` (pages.py), the
  link in an email or SMS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from gwanje.auth.permissions import Permission as P
from gwanje.auth.principal import Principal
from gwanje.console.service import console_transaction
from gwanje.context import Gwanje
from gwanje.errors import Forbidden, InvalidInput, NotFound
from gwanje.operations import snapshots
from gwanje.operations.incidents import IncidentInput, Incidents
from gwanje.operations.kinds import AckVia, IncidentState
from gwanje.operations.models import Incident, IncidentEntry, IncidentSnapshot, Notification
from gwanje.operations.notify import outbox
from gwanje.registry.models import Camera
from gwanje.web.deps import Ctx
from gwanje.web.jsonbody import json_object
from gwanje.web.security import client_ip, public, requires

router = APIRouter()
Reader = Annotated[Principal, requires(P.INCIDENT_READ)]
Manager = Annotated[Principal, requires(P.INCIDENT_MANAGE)]
Anonymous = Annotated[Principal | None, public()]
T = TypeVar("T")


def work(ctx: Gwanje, request: Request, principal: Principal,
         job: Callable[[Incidents], T]) -> T:  # fmt: skip
    with ctx.transaction() as session:
        return job(Incidents(session, ctx.settings, ctx.clock, principal, client_ip(request)))


def describe(ctx: Gwanje, incident_id: int) -> dict[str, Any]:
    with ctx.sessions() as session:
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise NotFound("operations.error.incident_not_found", incident_id=incident_id)
        return _as_json(session, incident, _cameras(session, [incident]), full=True)


def incident_list(ctx: Gwanje, limit: int = 200) -> list[dict[str, Any]]:
    """Open incidents (newest first), then the newest closed ones."""
    with ctx.sessions() as session:
        rows = list(session.scalars(
            select(Incident)
            .order_by((Incident.state == IncidentState.OPEN.value).desc(), Incident.id.desc())
            .limit(limit)
        ))  # fmt: skip
        cameras = _cameras(session, rows)  # one query for the whole list
        return [_as_json(session, row, cameras, full=False) for row in rows]


def _cameras(session: Session, rows: list[Incident]) -> dict[int, tuple[int, str, str]]:
    ids = {c.camera_id for row in rows for c in row.cameras}
    found = session.execute(
        select(Camera.id, Camera.code, Camera.name).where(Camera.id.in_(ids))
    ).all()
    return {i: (i, code, name) for i, code, name in found}


def _as_json(session: Session, row: Incident, known: dict[int, tuple[int, str, str]],
             full: bool) -> dict[str, Any]:  # fmt: skip
    mine = [known[c.camera_id] for c in row.cameras if c.camera_id in known]
    cameras = sorted(mine, key=lambda camera: camera[1])  # by code, as listed before
    data: dict[str, Any] = {
        "id": row.id, "type": row.type, "severity": row.severity, "title": row.title,
        "location": row.location, "description": row.description, "source": row.source,
        "state": row.state, "version": row.version, "opened_at": row.opened_at.isoformat(),
        "closed_at": row.closed_at.isoformat() if row.closed_at else None,
        "closing_note": row.closing_note,
        "cameras": [{"id": i, "code": code, "name": name} for i, code, name in cameras],
    }  # fmt: skip
    if full:
        data["timeline"] = _timeline(session, row.id)
        data["notifications"] = _notifications(session, row.id)
        data["snapshots"] = _snapshots(session, row.id)
    return data


def _timeline(session: Session, incident_id: int) -> list[dict[str, Any]]:
    entries = session.scalars(
        select(IncidentEntry).where(IncidentEntry.incident_id == incident_id)
        .order_by(IncidentEntry.id)
    )  # fmt: skip
    return [{"at": e.at.isoformat(), "kind": e.kind, "actor": e.actor, "text": e.text,
             "notification_id": e.notification_id} for e in entries]  # fmt: skip


def _snapshots(session: Session, incident_id: int) -> list[dict[str, Any]]:
    """What is known about each snapshot; the picture is a separate, checked request."""
    rows = session.execute(
        select(IncidentSnapshot, Camera.code).join(Camera, Camera.id == IncidentSnapshot.camera_id)
        .where(IncidentSnapshot.incident_id == incident_id).order_by(IncidentSnapshot.n)
    ).all()  # fmt: skip
    return [{
        "n": s.n, "camera_id": s.camera_id, "camera": code, "stream": s.stream,
        "source": s.source, "frame_at": s.frame_at.isoformat(), "taken_at": s.taken_at.isoformat(),
        "taken_by": s.actor, "width": s.width, "height": s.height, "sha256": s.sha256,
        "masks": s.masks, "url": f"/api/incidents/{incident_id}/snapshots/{s.n}",
    } for s, code in rows]  # fmt: skip


def _notifications(session: Session, incident_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Notification).where(Notification.incident_id == incident_id)
        .order_by(Notification.id)
    )  # fmt: skip
    return [{
        "id": n.id, "recipient": n.recipient, "channel": n.channel, "address": n.address,
        "state": n.state, "attempts": n.attempts, "level": n.level,
        "last_error": n.last_error, "sent_at": n.sent_at.isoformat() if n.sent_at else None,
        "ack_due_at": n.ack_due_at.isoformat() if n.ack_due_at else None,
        "acked_at": n.acked_at.isoformat() if n.acked_at else None, "acked_via": n.acked_via,
        "ack_note": n.ack_note,
    } for n in rows]  # fmt: skip


async def body_of(request: Request) -> dict[str, Any]:
    return await json_object(request, "operations.error.invalid")


def text_of(data: dict[str, Any], name: str, default: str = "") -> str:
    value = data.get(name, default)
    if not isinstance(value, str):
        raise InvalidInput("operations.error.invalid", detail=name)
    return value


def incident_input(data: dict[str, Any]) -> IncidentInput:
    cameras = data.get("cameras", [])
    if not isinstance(cameras, list) or not all(isinstance(c, str) for c in cameras):
        raise InvalidInput("operations.error.invalid", detail="cameras: list of camera codes")
    return IncidentInput(
        type=text_of(data, "type"), severity=text_of(data, "severity", "medium"),
        title=text_of(data, "title"), camera_codes=tuple(cameras),
        location=text_of(data, "location"), description=text_of(data, "description"),
    )  # fmt: skip


@router.post("/api/incidents")
async def open_incident(request: Request, ctx: Ctx, principal: Manager) -> JSONResponse:
    data = incident_input(await body_of(request))
    made = await run_in_threadpool(work, ctx, request, principal, lambda s: s.open(data).id)
    return JSONResponse(await run_in_threadpool(describe, ctx, made), status_code=201)


@router.get("/api/incidents")
def list_incidents(ctx: Ctx, principal: Reader) -> JSONResponse:
    return JSONResponse({"incidents": incident_list(ctx)})


@router.get("/api/incidents/{incident_id}")
def get_incident(ctx: Ctx, principal: Reader, incident_id: int) -> JSONResponse:
    return JSONResponse(describe(ctx, incident_id))


async def _act(request: Request, ctx: Gwanje, principal: Principal, incident_id: int,
               job: Callable[[Incidents, dict[str, Any]], object]) -> JSONResponse:  # fmt: skip
    data = await body_of(request)
    await run_in_threadpool(work, ctx, request, principal, lambda s: job(s, data))
    return JSONResponse(await run_in_threadpool(describe, ctx, incident_id))


@router.post("/api/incidents/{incident_id}/notes")
async def add_note(
    request: Request, ctx: Ctx, principal: Manager, incident_id: int
) -> JSONResponse:
    return await _act(request, ctx, principal, incident_id,
                      lambda s, d: s.note(incident_id, text_of(d, "text")))  # fmt: skip


@router.post("/api/incidents/{incident_id}/notify")
async def notify(request: Request, ctx: Ctx, principal: Manager, incident_id: int) -> JSONResponse:
    return await _act(request, ctx, principal, incident_id,
                      lambda s, d: s.notify(incident_id, text_of(d, "recipient")))  # fmt: skip


@router.post("/api/incidents/{incident_id}/close")
async def close(request: Request, ctx: Ctx, principal: Manager, incident_id: int) -> JSONResponse:
    def job(s: Incidents, d: dict[str, Any]) -> object:
        version = d.get("version")
        seen = version if isinstance(version, int) and not isinstance(version, bool) else None
        return s.close(incident_id, text_of(d, "note"), seen)

    return await _act(request, ctx, principal, incident_id, job)


def take_snapshots(ctx: Gwanje, request: Request, principal: Principal, incident_id: int) -> int:
    """On demand: the permission and the incident's state are checked first."""
    work(ctx, request, principal, lambda s: s.check_snapshot(incident_id))
    return snapshots.take(ctx, incident_id, principal.actor, client_ip(request))


@router.post("/api/incidents/{incident_id}/snapshots")
def snapshot(request: Request, ctx: Ctx, principal: Manager, incident_id: int) -> JSONResponse:
    taken = take_snapshots(ctx, request, principal, incident_id)
    return JSONResponse({"taken": taken, **describe(ctx, incident_id)})


@router.get("/api/incidents/{incident_id}/snapshots/{n}")
def snapshot_image(
    request: Request, ctx: Ctx, principal: Reader, incident_id: int, n: int
) -> FileResponse:
    """ORD-30.1: the picture only for those who may watch the camera live (PIPA-3)."""
    with console_transaction(ctx) as session:
        path = snapshots.authorize_view(session, ctx.settings, ctx.clock, principal,
                                        incident_id, n, client_ip(request))  # fmt: skip
    if not path.is_file():
        raise NotFound("operations.error.snapshot_not_found", incident_id=incident_id, n=n)
    return FileResponse(path, media_type="image/jpeg",
                        headers={"Cache-Control": "no-store, private"})  # fmt: skip


@router.post("/api/notifications/{notification_id}/acknowledge")
async def acknowledge_by_staff(
    request: Request, ctx: Ctx, principal: Manager, notification_id: int
) -> JSONResponse:
    data = await body_of(request)
    row = await run_in_threadpool(work, ctx, request, principal, lambda s: s.acknowledge_by_phone(
        notification_id, text_of(data, "note")))  # fmt: skip
    return JSONResponse({"id": row.id, "state": row.state, "acked_via": row.acked_via})


@router.post("/api/notifications/{notification_id}/ack")
async def ack_by_token(request: Request, ctx: Ctx, principal: Anonymous,
                       notification_id: int) -> JSONResponse:  # fmt: skip
    token = text_of(await body_of(request), "token")
    row = await run_in_threadpool(acknowledge_with_token, ctx, notification_id, token)
    return JSONResponse({"id": row.id, "state": row.state})


def acknowledge_with_token(ctx: Gwanje, notification_id: int, token: str) -> Notification:
    """A receiver's acknowledgement; unknown id, wrong token and a second acknowledgement
    are refused alike (nothing to probe)."""
    with ctx.transaction() as session:
        row = outbox.acknowledge_by_token(session, ctx.settings.secret(), ctx.clock,
                                          notification_id, token, AckVia.TOKEN)  # fmt: skip
    if row is None:
        raise Forbidden("operations.error.ack_refused")
    return row
