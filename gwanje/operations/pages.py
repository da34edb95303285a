"""Web pages of incidents (상황 관리): the list with the form to open one (prefilled with
a camera when opened from the wall), one incident with its timeline, the notifications
and their delivery, and the staff actions; and `/ack/{id}`, the page a person reaches
from the link in a notification email or SMS.

Invariants: forms post back here (CSRF-checked by the middleware for logged-in staff);
the service checks the permission again; user errors re-render the page with the
translated message; a GET never changes anything (mail scanners follow links).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from gwanje.auth.permissions import Permission as P
from gwanje.auth.principal import Principal
from gwanje.errors import GwanjeError
from gwanje.i18n import translate
from gwanje.operations.incidents import IncidentInput, Incidents
from gwanje.operations.kinds import IncidentType, Severity
from gwanje.operations.snapshots import may_view
from gwanje.operations.web import (
    Anonymous,
    Manager,
    Reader,
    acknowledge_with_token,
    describe,
    incident_list,
    take_snapshots,
    work,
)
from gwanje.registry.models import Camera
from gwanje.web.deps import Ctx, PostedForm
from gwanje.web.render import language_of, render_with

router = APIRouter()
TEMPLATES = Jinja2Templates(
    directory=[Path(__file__).parent / "templates", Path(__file__).parents[1] / "web" / "templates"]
)


def _render(request: Request, template: str, status_code: int = 200, **values: Any) -> Response:
    return render_with(TEMPLATES, request, template, status_code, **values)


def _local(ctx: Ctx) -> Callable[[str | None], str]:
    zone = ZoneInfo(ctx.settings.registry.timezone)

    def local(iso: str | None) -> str:
        if not iso:
            return "—"
        return datetime.fromisoformat(iso).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")

    return local


def _error(request: Request, exc: GwanjeError) -> str:
    return translate(exc.key, language_of(request), **exc.params)


def _list_page(
    request: Request, ctx: Ctx, principal: Principal, status_code: int = 200,
    errors: tuple[str, ...] = (), values: dict[str, str] | None = None,
) -> Response:  # fmt: skip
    return _render(
        request, "operations/incidents.html", status_code, incidents=incident_list(ctx),
        errors=list(errors), values=values or {}, local=_local(ctx),
        types=[t.value for t in IncidentType], severities=[s.value for s in Severity],
        may_manage=principal.can(P.INCIDENT_MANAGE),
    )  # fmt: skip


@router.get("/incidents", response_class=HTMLResponse)
def incidents_page(request: Request, ctx: Ctx, principal: Reader, camera: str = "") -> Response:
    return _list_page(request, ctx, principal, values={"cameras": camera[:200]})


@router.post("/incidents", response_class=HTMLResponse)
def open_form(request: Request, ctx: Ctx, principal: Manager, form: PostedForm) -> Response:
    fields = ("type", "severity", "title", "location", "description", "cameras")
    values = {k: str(form.get(k) or "").strip() for k in fields}
    data = IncidentInput(
        type=values["type"], severity=values["severity"], title=values["title"],
        location=values["location"], description=values["description"],
        camera_codes=tuple(values["cameras"].replace(",", " ").split()),
    )  # fmt: skip
    try:
        made = work(ctx, request, principal, lambda s: s.open(data).id)
    except GwanjeError as exc:
        return _list_page(request, ctx, principal, exc.status, (_error(request, exc),), values)
    return RedirectResponse(f"/incidents/{made}", status_code=303)


def _detail_page(request: Request, ctx: Ctx, principal: Principal, incident_id: int,
                 status_code: int = 200, errors: tuple[str, ...] = ()) -> Response:  # fmt: skip
    incident = describe(ctx, incident_id)
    with ctx.sessions() as session:  # the picture only where the wall would show the camera
        viewable = {s["n"] for s in incident["snapshots"]
                    if may_view(principal, session.get(Camera, s["camera_id"]))}  # fmt: skip
    return _render(
        request, "operations/incident.html", status_code, i=incident,
        errors=list(errors), local=_local(ctx), may_manage=principal.can(P.INCIDENT_MANAGE),
        recipients=ctx.settings.operations.recipients, viewable=viewable,
    )  # fmt: skip


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(request: Request, ctx: Ctx, principal: Reader, incident_id: int) -> Response:
    return _detail_page(request, ctx, principal, incident_id)


@router.post("/incidents/{incident_id}/act", response_class=HTMLResponse)
def act_form(request: Request, ctx: Ctx, principal: Manager, incident_id: int,
             form: PostedForm) -> Response:  # fmt: skip
    """One form per action; the button pressed says which; the service checks again."""
    action, text = str(form.get("action") or ""), str(form.get("text") or "")
    version = int(str(form.get("version") or "0")) or None
    notification = int(str(form.get("notification") or "0"))
    jobs: dict[str, Callable[[Incidents], object]] = {
        "note": lambda s: s.note(incident_id, text),
        "notify": lambda s: s.notify(incident_id, str(form.get("recipient") or "")),
        "close": lambda s: s.close(incident_id, text, version),
        "ack": lambda s: s.acknowledge_by_phone(notification, text),
    }
    job = jobs.get(action)
    try:
        if action == "snapshot":
            take_snapshots(ctx, request, principal, incident_id)
        elif job is None:
            raise GwanjeError("operations.error.invalid", detail="action")
        else:
            work(ctx, request, principal, job)
    except GwanjeError as exc:
        errors = (_error(request, exc),)
        return _detail_page(request, ctx, principal, incident_id, exc.status, errors)
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)


@router.get("/ack/{notification_id}", response_class=HTMLResponse)
def ack_page(request: Request, principal: Anonymous, notification_id: int,
             token: str = "") -> Response:  # fmt: skip
    """The link in an email or SMS: a page with a confirm button."""
    clean = "".join(c for c in token if c.isalnum())[:64]
    return _render(request, "operations/ack.html", token=clean, done=False, errors=[])


@router.post("/ack/{notification_id}", response_class=HTMLResponse)
def ack_form(request: Request, ctx: Ctx, principal: Anonymous, notification_id: int,
             form: PostedForm) -> Response:  # fmt: skip
    token = str(form.get("token") or "")
    try:
        acknowledge_with_token(ctx, notification_id, token)
    except GwanjeError as exc:
        return _render(request, "operations/ack.html", exc.status, token="", done=False,
                       errors=[_error(request, exc)])  # fmt: skip
    return _render(request, "operations/ack.html", token="", done=True, errors=[])
