"""HTTP, WebSocket and pages of emergency bells and response manuals.

Bells (ORD-2.7, 10.2):
- `POST /api/bells/{code}/press` (bell.press: a gateway's API token): one press; 202
  `{"call_id", "incident_id", "duplicate"}`; an unknown bell is 404, audited.
- `WS /ws/alarms` (incident.manage, same origin): the alarms for this wall (alarms.py).
- `GET /api/alarms` (incident.manage): the same list, once.
- `POST /api/bell-calls/{id}/acknowledge|answer|end` (incident.manage); `end` hangs up
  the call's voice leg at once.
- `POST /api/bell-calls/{id}/voice` (incident.manage, same origin, the answering operator,
  call connected): `{"type": "offer", "sdp"}` → the bell's `{"type": "answer", "sdp"}`
  (bells_voice.py; Gwanje only signals, audio never passes through it).
- `GET /api/bell-calls`, `GET /bells/calls` (incident.read): the call log.

Manuals (ORD-18.2):
- `GET /manuals`, `GET /manuals/{type}` (incident.read; `?version=N` an old one),
  `POST /manuals/{type}` (manual.manage): pages; `GET|POST /api/manuals/{type}` JSON.
- `GET /incidents/{id}/checklist`, `POST /incidents/{id}/checklist` (tick a step),
  `GET|POST /api/incidents/{id}/checklist[/{step}]`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from gwanje.auth.middleware import same_origin
from gwanje.auth.permissions import Permission as P
from gwanje.auth.principal import Principal
from gwanje.context import Gwanje
from gwanje.errors import GwanjeError, InvalidInput, NotFound
from gwanje.i18n import translate
from gwanje.operations import alarms, bells, bells_voice, manuals
from gwanje.operations.bells import BellCalls
from gwanje.operations.bells_models import BellCall, ManualVersion
from gwanje.operations.kinds import IncidentType, PressVia
from gwanje.operations.manuals import ManualInput
from gwanje.operations.models import Incident
from gwanje.operations.web import Manager, Reader, body_of, text_of
from gwanje.web.deps import Ctx, PostedForm
from gwanje.web.render import language_of, render_with
from gwanje.web.security import client_ip, requires, requires_ws

router = APIRouter()
Gateway = Annotated[Principal, requires(P.BELL_PRESS)]
Editor = Annotated[Principal, requires(P.MANUAL_MANAGE)]
AlarmSocket = Annotated[Principal, requires_ws(P.INCIDENT_MANAGE)]
TEMPLATES = Jinja2Templates(
    directory=[Path(__file__).parent / "templates", Path(__file__).parents[1] / "web" / "templates"]
)
T = TypeVar("T")


# ---- bells -------------------------------------------------------------------------------


@router.post("/api/bells/{bell_code}/press")
def press(request: Request, ctx: Ctx, principal: Gateway, bell_code: str) -> JSONResponse:
    done = bells.press_bell(ctx, principal, bell_code, PressVia.HTTP.value, client_ip(request))
    return JSONResponse({"call_id": done.call_id, "incident_id": done.incident_id,
                         "duplicate": done.duplicate}, status_code=202)  # fmt: skip


@router.websocket("/ws/alarms")
async def alarm_socket(websocket: WebSocket, principal: AlarmSocket) -> None:
    await websocket.accept()
    await alarms.serve(websocket, websocket.app.state.ctx, principal)


@router.get("/api/alarms")
def alarm_list(request: Request, ctx: Ctx, principal: Manager) -> JSONResponse:
    return JSONResponse(alarms.snapshot(ctx, alarms.audience_of(request.app), principal))


def _call_action(ctx: Gwanje, request: Request, principal: Principal,
                 job: Callable[[BellCalls], object], call_id: int) -> dict[str, Any]:  # fmt: skip
    voice = bells_voice.voice_of(ctx)
    with ctx.transaction() as session:
        job(BellCalls(session, ctx.clock, principal, client_ip(request),
                      voice.hang_up if voice else None))  # fmt: skip
    with ctx.sessions() as session:
        call = session.get(BellCall, call_id)
        assert call is not None
        return bells.describe(session, call)


@router.post("/api/bell-calls/{call_id}/acknowledge")
def acknowledge(request: Request, ctx: Ctx, principal: Manager, call_id: int) -> JSONResponse:
    return JSONResponse(_call_action(ctx, request, principal, lambda s: s.acknowledge(call_id),
                                     call_id))  # fmt: skip


@router.post("/api/bell-calls/{call_id}/answer")
def answer(request: Request, ctx: Ctx, principal: Manager, call_id: int) -> JSONResponse:
    return JSONResponse(_call_action(ctx, request, principal, lambda s: s.answer(call_id),
                                     call_id))  # fmt: skip


@router.post("/api/bell-calls/{call_id}/end")
async def end(request: Request, ctx: Ctx, principal: Manager, call_id: int) -> JSONResponse:
    note = text_of(await body_of(request), "note")
    done = await run_in_threadpool(_call_action, ctx, request, principal,
                                   lambda s: s.end(call_id, note), call_id)  # fmt: skip
    return JSONResponse(done)


@router.post("/api/bell-calls/{call_id}/voice")
async def voice(request: Request, ctx: Ctx, principal: Manager, call_id: int) -> JSONResponse:
    body = await body_of(request)
    if body.get("type") != "offer":
        raise InvalidInput("bells.error.voice_offer")
    answer = await run_in_threadpool(
        bells_voice.connect, ctx, principal, call_id, text_of(body, "sdp"),
        same_origin=same_origin(request.scope), source_ip=client_ip(request),
    )  # fmt: skip
    return JSONResponse({"type": "answer", "sdp": answer})


@router.get("/api/bell-calls")
def call_list(ctx: Ctx, principal: Reader) -> JSONResponse:
    with ctx.sessions() as session:
        return JSONResponse({"calls": bells.call_log(session, principal)})


@router.get("/bells/calls", response_class=HTMLResponse)
def calls_page(request: Request, ctx: Ctx, principal: Reader) -> Response:
    with ctx.sessions() as session:
        calls = bells.call_log(session, principal)
    return _render(request, ctx, "operations/bell_calls.html", calls=calls)


# ---- manuals -----------------------------------------------------------------------------


def _type(incident_type: str) -> str:
    if incident_type not in {t.value for t in IncidentType}:
        raise NotFound("bells.error.manual_type", type=incident_type[:32])
    return incident_type


def _version_json(v: ManualVersion) -> dict[str, Any]:
    return {"id": v.id, "incident_type": v.incident_type, "version": v.version,
            "title": v.title, "steps": manuals.steps_of(v), "change_note": v.change_note,
            "author": v.author, "created_at": v.created_at.isoformat()}  # fmt: skip


def manual_versions(ctx: Gwanje, incident_type: str) -> list[dict[str, Any]]:
    with ctx.sessions() as session:
        return [_version_json(v) for v in manuals.versions(session, _type(incident_type))]


def _revise(ctx: Gwanje, request: Request, principal: Principal, data: ManualInput) -> int:
    with ctx.transaction() as session:
        return manuals.revise(session, ctx.clock, principal, data, client_ip(request)).version


@router.get("/api/manuals/{incident_type}")
def manual_api(ctx: Ctx, principal: Reader, incident_type: str) -> JSONResponse:
    return JSONResponse({"versions": manual_versions(ctx, incident_type)})


@router.post("/api/manuals/{incident_type}")
async def revise_api(request: Request, ctx: Ctx, principal: Editor,
                     incident_type: str) -> JSONResponse:  # fmt: skip
    body = await body_of(request)
    steps, based_on = body.get("steps"), body.get("based_on", 0)
    if not isinstance(steps, list) or not all(isinstance(s, str) for s in steps):
        raise InvalidInput("bells.error.manual_invalid", detail="steps")
    if not isinstance(based_on, int) or isinstance(based_on, bool):
        raise InvalidInput("bells.error.manual_invalid", detail="based_on")
    data = ManualInput(_type(incident_type), text_of(body, "title"), tuple(steps),
                       text_of(body, "change_note"), based_on)  # fmt: skip
    await run_in_threadpool(_revise, ctx, request, principal, data)
    versions = await run_in_threadpool(manual_versions, ctx, incident_type)
    return JSONResponse({"versions": versions}, status_code=201)


@router.get("/manuals", response_class=HTMLResponse)
def manuals_page(request: Request, ctx: Ctx, principal: Reader) -> Response:
    with ctx.sessions() as session:
        rows = [(t.value, manuals.current(session, t.value)) for t in IncidentType]
        current = [(name, _version_json(v) if v else None) for name, v in rows]
    return _render(request, ctx, "operations/manuals.html", manuals=current)


def _manual_page(request: Request, ctx: Gwanje, principal: Principal, incident_type: str,
                 version: int = 0, status_code: int = 200, errors: tuple[str, ...] = (),
                 draft: dict[str, str] | None = None) -> Response:  # fmt: skip
    versions = manual_versions(ctx, incident_type)
    shown = next((v for v in versions if v["version"] == version), None) if version else None
    if version and shown is None:
        raise NotFound("bells.error.manual_version", version=version)
    shown = shown or (versions[0] if versions else None)
    return _render(request, ctx, "operations/manual.html", status_code, type=incident_type,
                   versions=versions, shown=shown, errors=list(errors), draft=draft or {},
                   may_edit=principal.can(P.MANUAL_MANAGE))  # fmt: skip


@router.get("/manuals/{incident_type}", response_class=HTMLResponse)
def manual_page(request: Request, ctx: Ctx, principal: Reader, incident_type: str,
                version: int = 0) -> Response:  # fmt: skip
    return _manual_page(request, ctx, principal, _type(incident_type), version)


@router.post("/manuals/{incident_type}", response_class=HTMLResponse)
def revise_form(request: Request, ctx: Ctx, principal: Editor, incident_type: str,
                form: PostedForm) -> Response:  # fmt: skip
    draft = {k: str(form.get(k) or "") for k in ("title", "steps", "change_note", "based_on")}
    data = ManualInput(
        _type(incident_type), draft["title"], tuple(draft["steps"].splitlines()),
        draft["change_note"], int(draft["based_on"] or "0") if draft["based_on"].isdigit() else -1,
    )  # fmt: skip
    try:
        _revise(ctx, request, principal, data)
    except GwanjeError as exc:
        message = translate(exc.key, language_of(request), **exc.params)
        return _manual_page(request, ctx, principal, incident_type, 0, exc.status, (message,),
                            draft)  # fmt: skip
    return RedirectResponse(f"/manuals/{incident_type}", status_code=303)


# ---- checklists ---------------------------------------------------------------------------


def incident_checklist(ctx: Gwanje, incident_id: int) -> dict[str, Any]:
    with ctx.sessions() as session:
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise NotFound("operations.error.incident_not_found", incident_id=incident_id)
        return {"incident_id": incident.id, "title": incident.title, "state": incident.state,
                "manual": manuals.checklist(session, incident_id)}  # fmt: skip


def _tick(ctx: Gwanje, request: Request, principal: Principal, incident_id: int,
          step: int) -> None:  # fmt: skip
    with ctx.transaction() as session:
        manuals.tick(session, ctx.clock, principal, incident_id, step, client_ip(request))


@router.get("/api/incidents/{incident_id}/checklist")
def checklist_api(ctx: Ctx, principal: Reader, incident_id: int) -> JSONResponse:
    return JSONResponse(incident_checklist(ctx, incident_id))


@router.post("/api/incidents/{incident_id}/checklist/{step}")
def tick_api(request: Request, ctx: Ctx, principal: Manager, incident_id: int,
             step: int) -> JSONResponse:  # fmt: skip
    _tick(ctx, request, principal, incident_id, step - 1)  # steps are numbered from 1
    return JSONResponse(incident_checklist(ctx, incident_id))


def _checklist_page(request: Request, ctx: Gwanje, principal: Principal, incident_id: int,
                    status_code: int = 200, errors: tuple[str, ...] = ()) -> Response:  # fmt: skip
    return _render(request, ctx, "operations/checklist.html", status_code,
                   c=incident_checklist(ctx, incident_id), errors=list(errors),
                   may_manage=principal.can(P.INCIDENT_MANAGE))  # fmt: skip


@router.get("/incidents/{incident_id}/checklist", response_class=HTMLResponse)
def checklist_page(request: Request, ctx: Ctx, principal: Reader, incident_id: int) -> Response:
    return _checklist_page(request, ctx, principal, incident_id)


@router.post("/incidents/{incident_id}/checklist", response_class=HTMLResponse)
def tick_form(request: Request, ctx: Ctx, principal: Manager, incident_id: int,
              form: PostedForm) -> Response:  # fmt: skip
    step = str(form.get("step") or "")
    try:
        _tick(ctx, request, principal, incident_id, int(step) if step.isdigit() else -1)
    except GwanjeError as exc:
        message = translate(exc.key, language_of(request), **exc.params)
        return _checklist_page(request, ctx, principal, incident_id, exc.status, (message,))
    return RedirectResponse(f"/incidents/{incident_id}/checklist", status_code=303)


# ---- rendering -----------------------------------------------------------------------------


def _render(request: Request, ctx: Gwanje, template: str, status_code: int = 200,
            **values: Any) -> Response:  # fmt: skip
    zone = ZoneInfo(ctx.settings.registry.timezone)

    def local(iso: str | None) -> str:
        if not iso:
            return "—"
        return datetime.fromisoformat(iso).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")

    return render_with(TEMPLATES, request, template, status_code, local=local, **values)
