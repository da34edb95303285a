"""JSON routes of PTZ control (the wall's enlarged tile uses them).

- `GET /api/ptz`: the PTZ cameras this principal may steer (ids).
- `GET /api/ptz/{camera_id}`: area, presets, lawful reasons, and where it points now.
- `POST /api/ptz/{camera_id}/move`: `{"mode": "absolute"|"relative"|"continuous", "pan",
  "tilt", "zoom", "timeout_s"?, "reason"?, "reason_text"?}`. Outside the purpose area
  without a reason: 403 `ptz.error.reason_required` (the UI then asks for one).
- `POST /api/ptz/{camera_id}/stop`, `POST /api/ptz/{camera_id}/presets/{id}/goto`.
- Set-up (`camera.write`): `PUT /api/ptz/{camera_id}/config`, `POST|DELETE` presets,
  `GET|POST /api/ptz/{camera_id}/tracking-rules`.

Invariants: the policy and the audit entry run in one transaction in a worker thread
(`ptz_transaction` keeps refusals' entries); the command goes to the camera only after
that transaction committed; no database work and no camera call runs on the event loop.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from gwanje.auth.permissions import Permission as P
from gwanje.auth.principal import Principal
from gwanje.errors import InvalidInput
from gwanje.ptz.device import DeviceFailed, PtzConnector
from gwanje.ptz.inputs import ConfigInput, MoveInput, PresetInput, RuleInput
from gwanje.ptz.models import PtzCamera
from gwanje.ptz.service import Command, PtzControl, ptz_transaction
from gwanje.ptz.setup import PtzSetup
from gwanje.registry.models import Camera, CameraStatus
from gwanje.web.deps import Ctx
from gwanje.web.security import client_ip, requires

router = APIRouter()
Operator = Annotated[Principal, requires(P.PTZ_CONTROL)]
Configurer = Annotated[Principal, requires(P.CAMERA_WRITE)]
Reader = Annotated[Principal, requires(P.CAMERA_READ)]
_LOCK = threading.Lock()


def connector_of(app: FastAPI) -> PtzConnector:
    """The app's ONVIF connector (one loop thread per process), made on first use."""
    with _LOCK:
        connector: PtzConnector | None = getattr(app.state, "ptz_connector", None)
        if connector is None:
            from gwanje.ptz.onvif import OnvifConnector

            ctx = app.state.ctx
            connector = OnvifConnector(ctx.settings.ptz.command_timeout_s)
            app.state.ptz_connector = connector
        return connector


def close_connector(app: FastAPI) -> None:
    with _LOCK:
        connector = getattr(app.state, "ptz_connector", None)
        app.state.ptz_connector = None
    if connector is not None:
        connector.close()


async def _body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise InvalidInput("ptz.error.invalid", detail="not JSON") from None


def _control(request: Request, principal: Principal, session: Any) -> PtzControl:
    ctx = request.app.state.ctx
    return PtzControl(session, ctx.settings, ctx.clock, principal, connector_of(request.app),
                      client_ip(request))  # fmt: skip


async def _run(request: Request, principal: Principal, plan: Any) -> JSONResponse:
    """Plan and record the command in one transaction, then send it."""
    ctx = request.app.state.ctx

    def go() -> dict[str, Any]:
        with ptz_transaction(ctx) as session:
            command: Command = plan(_control(request, principal, session))
        command.send(ctx, connector_of(request.app))
        return command.details

    return JSONResponse(await run_in_threadpool(go))


@router.get("/api/ptz")
def ptz_cameras(request: Request, ctx: Ctx, principal: Operator) -> JSONResponse:
    with ctx.sessions() as session:
        rows = session.execute(
            select(Camera.id, Camera.department_id)
            .join(PtzCamera, PtzCamera.camera_id == Camera.id)
            .where(Camera.status == CameraStatus.LINKED)
        ).all()
    ids = [r.id for r in rows if principal.may_use_on_camera(P.PTZ_CONTROL, r.id, r.department_id)]
    return JSONResponse({"cameras": ids})


@router.get("/api/ptz/{camera_id}")
async def ptz_status(request: Request, principal: Operator, camera_id: int) -> JSONResponse:
    ctx = request.app.state.ctx

    def read() -> dict[str, Any]:
        with ptz_transaction(ctx) as session:
            data, endpoint = _control(request, principal, session).status(camera_id)
        try:
            status = connector_of(request.app).device(endpoint).status()
            data["position"], data["moving"] = status.position.as_json(), status.moving
        except DeviceFailed as exc:
            data["position"], data["device_error"] = None, exc.key
        return data

    return JSONResponse(await run_in_threadpool(read))


@router.post("/api/ptz/{camera_id}/move")
async def ptz_move(request: Request, principal: Operator, camera_id: int) -> JSONResponse:
    data = MoveInput.parse(await _body(request))
    return await _run(request, principal, lambda control: control.move(camera_id, data))


@router.post("/api/ptz/{camera_id}/stop")
async def ptz_stop(request: Request, principal: Operator, camera_id: int) -> JSONResponse:
    return await _run(request, principal, lambda control: control.stop(camera_id))


@router.post("/api/ptz/{camera_id}/presets/{preset_id}/goto")
async def ptz_goto_preset(
    request: Request, principal: Operator, camera_id: int, preset_id: int
) -> JSONResponse:
    raw = await request.body()
    data = MoveInput.parse(
        {
            "mode": "absolute",
            "pan": 0,
            "tilt": 0,
            "zoom": 0,
            **(await _body(request) if raw.strip() else {}),
        }
    )
    return await _run(
        request, principal, lambda control: control.goto_preset(camera_id, preset_id, data)
    )


def _setup(request: Request, principal: Principal, session: Any) -> PtzSetup:
    ctx = request.app.state.ctx
    return PtzSetup(session, ctx.settings, ctx.clock, principal, client_ip(request))


@router.put("/api/ptz/{camera_id}/config")
async def ptz_configure(request: Request, principal: Configurer, camera_id: int) -> JSONResponse:
    data = ConfigInput.parse(await _body(request))
    ctx = request.app.state.ctx

    def save() -> dict[str, Any]:
        with ctx.transaction() as session:
            _setup(request, principal, session).configure(camera_id, data)
        return {"camera_id": camera_id, "area": data.area.as_json()}

    return JSONResponse(await run_in_threadpool(save))


@router.post("/api/ptz/{camera_id}/presets")
async def ptz_save_preset(request: Request, principal: Configurer, camera_id: int) -> JSONResponse:
    data = PresetInput.parse(await _body(request))
    ctx = request.app.state.ctx

    def save() -> dict[str, Any]:
        with ctx.transaction() as session:
            preset = _setup(request, principal, session).save_preset(
                camera_id, data, connector_of(request.app)
            )
            return {
                "id": preset.id,
                "name": preset.name,
                "purpose": preset.purpose,
                "is_home": preset.is_home,
            }

    return JSONResponse(await run_in_threadpool(save))


@router.delete("/api/ptz/{camera_id}/presets/{preset_id}")
def ptz_remove_preset(
    request: Request, ctx: Ctx, principal: Configurer, camera_id: int, preset_id: int
) -> Response:
    with ctx.transaction() as session:
        _setup(request, principal, session).remove_preset(camera_id, preset_id)
    return Response(status_code=204)


@router.get("/api/ptz/{camera_id}/tracking-rules")
def ptz_rules(request: Request, ctx: Ctx, principal: Reader, camera_id: int) -> JSONResponse:
    with ctx.sessions() as session:
        rules = _setup(request, principal, session).rules(camera_id)
        data = [
            {
                "id": r.id,
                "name": r.name,
                "purpose": r.purpose,
                "object_kind": r.object_kind,
                "enabled": r.enabled,
            }
            for r in rules
        ]
    return JSONResponse({"rules": data})


@router.post("/api/ptz/{camera_id}/tracking-rules")
async def ptz_save_rule(request: Request, principal: Configurer, camera_id: int) -> JSONResponse:
    data = RuleInput.parse(await _body(request))
    ctx = request.app.state.ctx

    def save() -> dict[str, Any]:
        with ctx.transaction() as session:
            rule = _setup(request, principal, session).save_rule(camera_id, data)
            return {"id": rule.id, "name": rule.name, "purpose": rule.purpose}

    return JSONResponse(await run_in_threadpool(save))
