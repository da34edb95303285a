"""JSON API of shifts and the room (ORD-19, 20.1, 20.3, 22.3, 22.4).

- `GET /api/shifts/on-duty` (shift.read): who is on duty now.
- `GET /api/shifts/slots?day=YYYY-MM-DD` (shift.read): the schedule of a local day.
- `POST /api/shifts/teams|staff|patterns|generate|swaps|assignments` (shift.manage).
- `GET /api/shifts/my-cameras` (video.live): the cameras assigned to me now (ORD-20.3).
- `GET /api/shifts/flags?start=&end=` (shift.manage): out-of-shift monitoring.
- `POST /api/handovers` (open), `GET /api/handovers/{id}` (shift.read),
  `POST /api/handovers/{id}/check|sign` (shift.handover).
- `GET /api/tour` (authenticated), `POST /api/tour` (tour.manage): tour mode.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from gwanje.audit import record
from gwanje.auth.permissions import Permission as P
from gwanje.auth.principal import Principal
from gwanje.clock import parse_aware
from gwanje.context import Gwanje
from gwanje.errors import InvalidInput, NotFound
from gwanje.shifts import assignments, events, flags, patterns, roster, tour
from gwanje.shifts.handover import Handovers, checklist_of
from gwanje.shifts.models import Handover
from gwanje.shifts.roster import Roster
from gwanje.web.deps import Ctx
from gwanje.web.jsonbody import json_object
from gwanje.web.security import authenticated, client_ip, requires

router = APIRouter()
Reader = Annotated[Principal, requires(P.SHIFT_READ)]
Manager = Annotated[Principal, requires(P.SHIFT_MANAGE)]
Signer = Annotated[Principal, requires(P.SHIFT_HANDOVER)]
Touring = Annotated[Principal, requires(P.TOUR_MANAGE)]
Viewer = Annotated[Principal, requires(P.VIDEO_LIVE)]
Anyone = Annotated[Principal, authenticated()]
T = TypeVar("T")


async def body_of(request: Request) -> dict[str, Any]:
    return await json_object(request, "shifts.error.invalid")


def _str(data: dict[str, Any], name: str, default: str | None = None) -> str:
    value = data.get(name, default)
    if not isinstance(value, str):
        raise InvalidInput("shifts.error.invalid", detail=name)
    return value


def _int(data: dict[str, Any], name: str, optional: bool = False) -> Any:
    value = data.get(name)
    if optional and value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput("shifts.error.invalid", detail=name)
    return value


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("shifts.error.invalid", detail=f"{name}: YYYY-MM-DD") from None


def managing(ctx: Gwanje, request: Request, principal: Principal, job: Callable[[Roster], T]) -> T:
    with ctx.transaction() as session:
        return job(Roster(session, ctx.settings, ctx.clock, principal, client_ip(request)))


def handing(
    ctx: Gwanje, request: Request, principal: Principal, job: Callable[[Handovers], T]
) -> T:
    with ctx.transaction() as session:
        return job(Handovers(session, ctx.settings, ctx.clock, principal, client_ip(request)))


def duty_json(d: roster.OnDuty) -> dict[str, Any]:
    return {
        "person_id": d.person_id,
        "username": d.username,
        "name": d.display_name,
        "kind": d.kind,
        "lead": d.lead,
        "origin": d.origin,
        "slot_id": d.slot_id,
        "shift": d.shift_code,
        "label": d.label,
        "day": d.day,
        "start_at": d.start_at.isoformat(),
        "end_at": d.end_at.isoformat(),
    }


def handover_json(ctx: Gwanje, handover_id: int) -> dict[str, Any]:
    with ctx.sessions() as session:
        row = session.get(Handover, handover_id)
        if row is None:
            raise NotFound("shifts.error.handover_not_found", handover=handover_id)
        stamp = {
            k: (v.isoformat() if v else None)
            for k, v in (("outgoing_at", row.outgoing_at), ("incoming_at", row.incoming_at))
        }
        return {
            "id": row.id,
            "state": row.state,
            "version": row.version,
            "from_slot_id": row.from_slot_id,
            "to_slot_id": row.to_slot_id,
            "checklist": checklist_of(row),
            "open_incidents": json.loads(row.open_incidents),
            "notes": row.notes,
            "outgoing_by": row.outgoing_by,
            "incoming_by": row.incoming_by,
            **stamp,
        }


@router.get("/api/shifts/on-duty")
def on_duty_now(ctx: Ctx, principal: Reader) -> JSONResponse:
    with ctx.sessions() as session:
        found = roster.on_duty(session, ctx.clock.now())
    return JSONResponse(
        {"at": ctx.clock.now().isoformat(), "on_duty": [duty_json(d) for d in found]}
    )


@router.get("/api/shifts/slots")
def slots_of_day(ctx: Ctx, principal: Reader, day: str) -> JSONResponse:
    with ctx.sessions() as session:
        slots = roster.slots_of_day(session, _day(day, "day").isoformat())
        data = [
            {
                "id": s.id,
                "shift": s.shift_code,
                "label": s.label,
                "day": s.day,
                "start_at": s.start_at.isoformat(),
                "end_at": s.end_at.isoformat(),
                "staff": [duty_json(d) for d in roster.slot_staff(session, s.id)],
            }
            for s in slots
        ]
    return JSONResponse({"slots": data})


@router.post("/api/shifts/teams")
async def create_team(request: Request, ctx: Ctx, principal: Manager) -> JSONResponse:
    d = await body_of(request)
    made = await run_in_threadpool(
        managing,
        ctx,
        request,
        principal,
        lambda r: r.create_team(_str(d, "code"), _str(d, "name")).id,
    )
    return JSONResponse({"id": made}, status_code=201)


@router.post("/api/shifts/staff")
async def set_staff(request: Request, ctx: Ctx, principal: Manager) -> JSONResponse:
    d = await body_of(request)
    team = d.get("team")
    if team is not None and not isinstance(team, str):
        raise InvalidInput("shifts.error.invalid", detail="team")
    await run_in_threadpool(
        managing,
        ctx,
        request,
        principal,
        lambda r: r.set_staff(
            _int(d, "person_id"), _str(d, "kind"), team, bool(d.get("lead", False))
        ),
    )
    return JSONResponse({"ok": True})


@router.post("/api/shifts/patterns")
async def create_pattern(request: Request, ctx: Ctx, principal: Manager) -> JSONResponse:
    d = await body_of(request)
    if isinstance(d.get("preset"), str):
        spec = patterns.preset(d["preset"], _str(d, "anchor"))
    else:
        spec = patterns.parse(
            _str(d, "code"),
            _str(d, "name"),
            d.get("shifts"),
            d.get("cycle"),
            d.get("offsets"),
            _str(d, "anchor"),
        )
    made = await run_in_threadpool(
        managing, ctx, request, principal, lambda r: r.create_pattern(spec).id
    )
    return JSONResponse({"id": made, "code": spec.code}, status_code=201)


@router.post("/api/shifts/generate")
async def generate(request: Request, ctx: Ctx, principal: Manager) -> JSONResponse:
    d = await body_of(request)
    first, last = _day(_str(d, "first"), "first"), _day(_str(d, "last"), "last")
    made = await run_in_threadpool(
        managing,
        ctx,
        request,
        principal,
        lambda r: len(r.generate(_str(d, "pattern"), first, last)),
    )
    return JSONResponse({"slots": made})


@router.post("/api/shifts/swaps")
async def swap(request: Request, ctx: Ctx, principal: Manager) -> JSONResponse:
    d = await body_of(request)
    made = await run_in_threadpool(
        managing,
        ctx,
        request,
        principal,
        lambda r: (
            r.swap(
                _int(d, "slot_id"),
                _int(d, "out_person_id"),
                _int(d, "in_person_id"),
                _str(d, "reason"),
            ).id
        ),
    )
    return JSONResponse({"id": made}, status_code=201)


@router.post("/api/shifts/assignments")
async def assign(request: Request, ctx: Ctx, principal: Manager) -> JSONResponse:
    d = await body_of(request)
    data = assignments.AssignmentInput(
        _int(d, "slot_id"),
        _int(d, "person_id"),
        _str(d, "purpose"),
        d.get("district") if isinstance(d.get("district"), str) else None,
        _int(d, "department_id", optional=True),
    )

    def job() -> int:
        with ctx.transaction() as session:
            return assignments.assign(session, ctx.clock, principal, data, client_ip(request)).id

    return JSONResponse({"id": await run_in_threadpool(job)}, status_code=201)


@router.get("/api/shifts/my-cameras")
def my_cameras(ctx: Ctx, principal: Viewer) -> JSONResponse:
    """ORD-20.3: what I am assigned to watch now (the wall still checks each camera)."""
    with ctx.sessions() as session:
        rows = assignments.current(session, principal.person_id or 0, ctx.clock.now())
        cameras = assignments.cameras_for(session, rows)
        data = [{"id": c.id, "code": c.code} for c in cameras]
        given = [{"purpose": r.purpose, "district": r.district} for r in rows]
    return JSONResponse({"assignments": given, "cameras": data})


@router.get("/api/shifts/flags")
def out_of_shift(
    request: Request, ctx: Ctx, principal: Manager, start: str, end: str
) -> JSONResponse:
    first = parse_aware(start, "start", "shifts.error.invalid")
    last = parse_aware(end, "end", "shifts.error.invalid")
    with ctx.transaction() as session:
        found = flags.out_of_shift(session, ctx.settings, first, last)
        record(
            session,
            events.OutOfShiftViewed(
                actor=principal.actor,
                source_ip=client_ip(request),
                range_start=first,
                range_end=last,
                flags=len(found),
            ),
            ctx.clock,
        )
    return JSONResponse(
        {
            "flags": [
                {
                    "seq": f.seq,
                    "at": f.at.isoformat(),
                    "actor": f.actor,
                    "event_type": f.event_type,
                    "camera_ids": list(f.camera_ids),
                }
                for f in found
            ]
        }
    )


@router.post("/api/handovers")
async def open_handover(request: Request, ctx: Ctx, principal: Signer) -> JSONResponse:
    d = await body_of(request)
    made = await run_in_threadpool(
        handing, ctx, request, principal, lambda h: h.open(_int(d, "from_slot_id")).id
    )
    return JSONResponse(await run_in_threadpool(handover_json, ctx, made), status_code=201)


@router.get("/api/handovers/{handover_id}")
def get_handover(ctx: Ctx, principal: Reader, handover_id: int) -> JSONResponse:
    return JSONResponse(handover_json(ctx, handover_id))


@router.post("/api/handovers/{handover_id}/check")
async def check_handover(
    request: Request, ctx: Ctx, principal: Signer, handover_id: int
) -> JSONResponse:
    d = await body_of(request)
    checked = d.get("checked", {})
    if not isinstance(checked, dict):
        raise InvalidInput("shifts.error.invalid", detail="checked: {key: bool}")
    await run_in_threadpool(
        handing,
        ctx,
        request,
        principal,
        lambda h: h.check(
            handover_id,
            {str(k): bool(v) for k, v in checked.items()},
            _str(d, "notes", ""),
            None,
            _int(d, "version", optional=True),
        ),
    )
    return JSONResponse(await run_in_threadpool(handover_json, ctx, handover_id))


@router.post("/api/handovers/{handover_id}/sign")
async def sign_handover(
    request: Request, ctx: Ctx, principal: Signer, handover_id: int
) -> JSONResponse:
    d = await body_of(request)
    await run_in_threadpool(
        handing,
        ctx,
        request,
        principal,
        lambda h: h.sign(handover_id, _str(d, "side"), _int(d, "version", optional=True)),
    )
    return JSONResponse(await run_in_threadpool(handover_json, ctx, handover_id))


@router.get("/api/tour")
def tour_state(ctx: Ctx, principal: Anyone) -> JSONResponse:
    with ctx.sessions() as session:
        return JSONResponse(tour.state(session).as_json())


@router.post("/api/tour")
async def switch_tour(request: Request, ctx: Ctx, principal: Touring) -> JSONResponse:
    d = await body_of(request)
    active = d.get("active")
    if not isinstance(active, bool):
        raise InvalidInput("shifts.error.invalid", detail="active: true or false")

    def job() -> dict[str, object]:
        with ctx.transaction() as session:
            return tour.switch(
                session,
                ctx.clock,
                principal,
                active,
                _str(d, "reason", ""),
                _int(d, "visit_id", optional=True),
                client_ip(request),
            ).as_json()

    return JSONResponse(await run_in_threadpool(job))
