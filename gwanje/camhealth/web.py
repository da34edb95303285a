"""HTTP routes of camera health and maintenance: the health dashboard (/health), tickets
(/maintenance, its JSON twin under /api/maintenance), the end-of-life check and /metrics.

Invariants:
- every route has a guard; contractors (ORD-11) reach only the ticket routes, which show
  a camera's metadata (code, name, address, model, installation and end-of-life dates) and
  never a picture: no snapshot, no stream URL, no link to live or recorded video;
- /metrics is never public: a scraper presents `health.metrics_token` as a bearer token,
  a person needs `health.read` (session or API token); anything else gets 401/403;
- user errors re-render the page with the translated message (ko first, en second).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from gwanje.audit.events import Actor
from gwanje.auth.permissions import Permission as P
from gwanje.auth.principal import Principal
from gwanje.camhealth.equipment import end_of_life, equipment_life
from gwanje.camhealth.kinds import FaultKind
from gwanje.camhealth.metrics import current_states, render_metrics
from gwanje.camhealth.tickets import Maintenance, TicketView
from gwanje.errors import Forbidden, GwanjeError, NotFound
from gwanje.i18n import translate
from gwanje.registry.models import Camera, CameraStatus
from gwanje.registry.service import registry_transaction
from gwanje.web.deps import Ctx, PostedForm
from gwanje.web.render import language_of, render_with
from gwanje.web.security import audit_denial, client_ip, principal_of, requires

router = APIRouter()
Viewer = Annotated[Principal, requires(P.HEALTH_READ)]
Ticketer = Annotated[Principal, requires(P.MAINTENANCE_TICKET)]
Manager = Annotated[Principal, requires(P.MAINTENANCE_MANAGE)]
TEMPLATES = Jinja2Templates(
    directory=[Path(__file__).parent / "templates", Path(__file__).parents[1] / "web" / "templates"]
)
ACTIONS = ("acknowledge", "start", "resolve")
T = TypeVar("T")


def _render(request: Request, template: str, status_code: int = 200, **values: Any) -> Response:
    return render_with(TEMPLATES, request, template, status_code, **values)


def _work(ctx: Ctx, request: Request, principal: Principal, job: Callable[[Maintenance], T]) -> T:
    with registry_transaction(ctx) as session:
        return job(Maintenance(session, ctx.settings, ctx.clock, principal, client_ip(request)))


def _today(ctx: Ctx) -> date:
    return ctx.clock.now().astimezone(ZoneInfo(ctx.settings.registry.timezone)).date()


def _local(ctx: Ctx) -> Callable[[datetime | None], str]:
    zone = ZoneInfo(ctx.settings.registry.timezone)
    return lambda v: v.astimezone(zone).strftime("%Y-%m-%d %H:%M") if v else "—"


def _error(request: Request, exc: GwanjeError) -> str:
    return translate(exc.key, language_of(request), **exc.params)


# ---- dashboard -----------------------------------------------------------------------
@router.get("/health", response_class=HTMLResponse)
def dashboard(request: Request, ctx: Ctx, principal: Viewer) -> Response:
    with ctx.sessions() as session:
        cameras = [
            c
            for c in session.scalars(
                select(Camera).where(Camera.status == CameraStatus.LINKED).order_by(Camera.code)
            )
            if principal.may_touch_camera(c.id, c.department_id)
        ]
        states = current_states(session)
        rows = [
            (c, states.get((c.id, "main"), "unknown"), states.get((c.id, "image"), "unknown"))
            for c in cameras
        ]
        tickets = Maintenance(session, ctx.settings, ctx.clock, principal).visible()
        life = [r for r in equipment_life(session, ctx.settings, _today(ctx)) if r.past_end_of_life]
    counts: dict[str, int] = {}
    for _, recorder, image in rows:
        counts[recorder] = counts.get(recorder, 0) + 1
        if image not in ("image_ok", "unknown"):
            counts[image] = counts.get(image, 0) + 1
    faulted = [r for r in rows if r[1] not in ("online",) or r[2] not in ("image_ok", "unknown")]
    return _render(
        request,
        "health/dashboard.html",
        rows=rows,
        faulted=faulted,
        counts=counts,
        tickets=tickets,
        overdue=sum(1 for t in tickets if t.overdue),
        end_of_life=life,
        local=_local(ctx),
    )


# ---- tickets -------------------------------------------------------------------------
def _tickets_page(
    request: Request,
    ctx: Ctx,
    principal: Principal,
    status_code: int = 200,
    errors: tuple[str, ...] = (),
) -> Response:
    everything = request.query_params.get("all") == "1"
    views: list[TicketView] = _work(ctx, request, principal, lambda m: m.visible(everything))
    return _render(
        request,
        "health/tickets.html",
        status_code=status_code,
        tickets=views,
        errors=list(errors),
        kinds=[k.value for k in FaultKind],
        local=_local(ctx),
        manage=principal.can(P.MAINTENANCE_MANAGE),
    )


@router.get("/maintenance", response_class=HTMLResponse)
def tickets_page(request: Request, ctx: Ctx, principal: Ticketer) -> Response:
    return _tickets_page(request, ctx, principal)


@router.get("/api/maintenance/tickets")
def tickets_api(request: Request, ctx: Ctx, principal: Ticketer) -> list[dict[str, Any]]:
    views = _work(ctx, request, principal, lambda m: m.visible(include_closed=True))
    return [_public(v) for v in views]


def _public(view: TicketView) -> dict[str, Any]:
    t = view.ticket
    return {
        "id": t.id,
        "camera": view.camera_code,
        "camera_name": view.camera_name,
        "kind": t.kind,
        "severity": t.severity,
        "state": t.state,
        "source": t.source,
        "contractor": view.contractor,
        "opened_at": t.opened_at.isoformat(),
        "due_at": t.due_at.isoformat(),
        "overdue": view.overdue,
        "occurrences": t.occurrences,
        "maintenance_record_id": t.maintenance_record_id,
    }


@router.post("/maintenance/tickets", response_class=HTMLResponse)
def ticket_open(request: Request, ctx: Ctx, principal: Manager, form: PostedForm) -> Response:
    code = str(form.get("camera_code") or "").strip()
    detail = str(form.get("detail") or "")
    try:
        kind = FaultKind(str(form.get("kind") or "other"))
        with ctx.sessions() as session:
            camera_id = session.scalar(select(Camera.id).where(Camera.code == code))
        if camera_id is None:
            raise NotFound("maintenance.error.no_camera", camera_id=code)
        _work(ctx, request, principal, lambda m: m.open_ticket(camera_id, kind, detail))
    except ValueError:
        message = translate("error.invalid", language_of(request), detail="kind")
        return _tickets_page(request, ctx, principal, 422, (message,))
    except GwanjeError as exc:
        return _tickets_page(request, ctx, principal, exc.status, (_error(request, exc),))
    return RedirectResponse("/maintenance", status_code=303)


def _ticket_page(
    request: Request,
    ctx: Ctx,
    principal: Principal,
    ticket_id: int,
    status_code: int = 200,
    errors: tuple[str, ...] = (),
) -> Response:
    def load(m: Maintenance) -> dict[str, Any]:
        ticket, camera = m.ticket(ticket_id)
        return {
            "view": m.view(ticket, camera),
            "camera": camera,
            "history": m.history(ticket_id),
            "eol": end_of_life(camera, ctx.settings.health.service_life_years),
        }

    values = _work(ctx, request, principal, load)
    return _render(
        request,
        "health/ticket.html",
        status_code=status_code,
        errors=list(errors),
        local=_local(ctx),
        manage=principal.can(P.MAINTENANCE_MANAGE),
        **values,
    )


@router.get("/maintenance/tickets/{ticket_id}", response_class=HTMLResponse)
def ticket_page(request: Request, ctx: Ctx, principal: Ticketer, ticket_id: int) -> Response:
    return _ticket_page(request, ctx, principal, ticket_id)


@router.post("/maintenance/tickets/{ticket_id}/{action}", response_class=HTMLResponse)
def ticket_move(
    request: Request, ctx: Ctx, principal: Ticketer, ticket_id: int, action: str, form: PostedForm
) -> Response:
    note = str(form.get("note") or "")
    jobs: dict[str, Callable[[Maintenance], Any]] = {
        "acknowledge": lambda m: m.acknowledge(ticket_id, note),
        "start": lambda m: m.start(ticket_id, note),
        "resolve": lambda m: m.resolve(ticket_id, note, str(form.get("work") or "repair")),
        "close": lambda m: m.close(ticket_id, note),
    }
    job = jobs.get(action)
    if job is None:
        raise NotFound("maintenance.error.no_ticket", ticket_id=ticket_id)
    if action == "close" and not principal.can(P.MAINTENANCE_MANAGE):
        audit_denial(request, principal, P.MAINTENANCE_MANAGE.value)
        raise Forbidden("error.forbidden", permission=P.MAINTENANCE_MANAGE.value)
    try:
        _work(ctx, request, principal, job)
    except GwanjeError as exc:
        if isinstance(exc, NotFound):
            raise
        return _ticket_page(request, ctx, principal, ticket_id, exc.status, (_error(request, exc),))
    return RedirectResponse(f"/maintenance/tickets/{ticket_id}", status_code=303)


# ---- end of life ---------------------------------------------------------------------
@router.get("/api/health/end-of-life")
def end_of_life_api(ctx: Ctx, principal: Viewer) -> list[dict[str, Any]]:
    with ctx.sessions() as session:
        rows = equipment_life(session, ctx.settings, _today(ctx))
    return [
        {
            "camera": r.code,
            "installed_on": r.installed_on and r.installed_on.isoformat(),
            "age_years": r.age_years,
            "end_of_life_on": r.end_of_life_on and r.end_of_life_on.isoformat(),
            "past_end_of_life": r.past_end_of_life,
        }
        for r in rows
    ]


# ---- /metrics ------------------------------------------------------------------------
def _metrics_guard() -> Any:
    """`health.read`, or the scraper's bearer token (`health.metrics_token`)."""
    from fastapi import Depends

    def guard(request: Request) -> Actor:
        ctx: Any = request.app.state.ctx
        token = ctx.settings.health.metrics_token
        header = request.headers.get("authorization", "")
        offered = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if (
            token is not None
            and offered
            and hmac.compare_digest(offered.encode(), token.get_secret_value().encode())
        ):
            return Actor.system("metrics-scraper")
        principal = principal_of(request)
        if principal is None:
            raise HTTPException(401, "metrics need a token", {"WWW-Authenticate": "Bearer"})
        if not principal.can(P.HEALTH_READ):
            audit_denial(request, principal, P.HEALTH_READ.value)
            raise HTTPException(403, "forbidden")
        return principal.actor

    guard.__gwanje_guard__ = P.HEALTH_READ.value  # type: ignore[attr-defined]
    return Depends(guard)


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(ctx: Ctx, _: Annotated[Actor, _metrics_guard()]) -> Response:
    with ctx.sessions() as session:
        body = render_metrics(session, ctx.settings, ctx.clock.now())
    return PlainTextResponse(body, media_type="text/plain; version=0.0.4; charset=utf-8")
