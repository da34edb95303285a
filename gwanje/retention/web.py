"""HTTP routes of retention: /holds (active holds, due for review, place and release
forms) and /retention (each camera's retention period).

Invariants:
- every route has a guard (`retention.hold` or `retention.manage`); camera-specific work
  goes through `Retention`, which checks the permission's camera scope (an operations
  manager acts on their own department's cameras only) inside `registry_transaction`,
  so out-of-scope attempts are audited even though the request's transaction rolls back;
- times in forms without an offset are local time (`registry.timezone`), stored UTC;
- user errors re-render the page with the translated message (ko first, en second).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from gwanje.auth.permissions import Permission as P
from gwanje.auth.principal import Principal
from gwanje.errors import GwanjeError
from gwanje.i18n import translate
from gwanje.registry.models import Camera
from gwanje.registry.service import registry_transaction
from gwanje.retention.models import HoldGround
from gwanje.retention.service import (
    HoldInput,
    Retention,
    effective_retention_days,
    parse_days,
    parse_time,
)
from gwanje.web.deps import Ctx, PostedForm
from gwanje.web.render import language_of, render_with
from gwanje.web.security import client_ip, requires

router = APIRouter()

HoldManager = Annotated[Principal, requires(P.LEGAL_HOLD_MANAGE)]
RetentionManager = Annotated[Principal, requires(P.RETENTION_MANAGE)]
HOLD_FIELDS = ("camera_code", "start_at", "end_at", "ground", "reason", "owner", "review_at")
# Our templates first, then the shell's (base.html, error.html).
TEMPLATES = Jinja2Templates(
    directory=[Path(__file__).parent / "templates", Path(__file__).parents[1] / "web" / "templates"]
)
T = TypeVar("T")


def _render(request: Request, template: str, status_code: int = 200, **values: Any) -> Response:
    return render_with(TEMPLATES, request, template, status_code, **values)


def _work(ctx: Ctx, request: Request, principal: Principal, job: Callable[[Retention], T]) -> T:
    with registry_transaction(ctx) as session:
        service = Retention(session, ctx.settings, ctx.clock, principal, client_ip(request))
        return job(service)


def _local(ctx: Ctx) -> Callable[[datetime], str]:
    zone = ZoneInfo(ctx.settings.registry.timezone)
    return lambda value: value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _error(request: Request, exc: GwanjeError) -> str:
    return translate(exc.key, language_of(request), **exc.params)


# ---- legal holds ---------------------------------------------------------------------
def _holds_page(
    request: Request,
    ctx: Ctx,
    principal: Principal,
    status_code: int = 200,
    errors: tuple[str, ...] = (),
    values: dict[str, str] | None = None,
) -> Response:
    active = _work(ctx, request, principal, lambda s: s.active_holds())
    return _render(
        request,
        "retention/holds.html",
        status_code=status_code,
        active=active,
        due=[h for h in active if h.due],
        grounds=[g.value for g in HoldGround],
        errors=list(errors),
        values=values or {},
        local=_local(ctx),
        timezone=ctx.settings.registry.timezone,
    )


@router.get("/holds", response_class=HTMLResponse)
def holds_page(request: Request, ctx: Ctx, principal: HoldManager) -> Response:
    return _holds_page(request, ctx, principal)


def _hold_input(ctx: Ctx, values: dict[str, str]) -> HoldInput:
    tz = ctx.settings.registry.timezone
    return HoldInput(
        camera_code=values.get("camera_code", ""),
        start_at=parse_time(values.get("start_at"), "start", tz),
        end_at=parse_time(values.get("end_at"), "end", tz),
        ground=values.get("ground", ""),
        reason=values.get("reason", ""),
        owner_username=values.get("owner", ""),
        review_at=parse_time(values.get("review_at"), "review", tz),
        source=values.get("source") or "manual",
    )


@router.post("/holds", response_class=HTMLResponse)
def hold_place(request: Request, ctx: Ctx, principal: HoldManager, form: PostedForm) -> Response:
    values = {k: str(form.get(k) or "").strip() for k in (*HOLD_FIELDS, "source")}
    try:
        data = _hold_input(ctx, values)
        _work(ctx, request, principal, lambda s: s.place_hold(data))
    except GwanjeError as exc:
        errors = (_error(request, exc),)
        return _holds_page(request, ctx, principal, exc.status, errors, values)
    return RedirectResponse("/holds", status_code=303)


@router.post("/holds/{hold_id}/release", response_class=HTMLResponse)
def hold_release(
    request: Request, ctx: Ctx, principal: HoldManager, hold_id: int, form: PostedForm
) -> Response:
    reason = str(form.get("reason") or "")
    try:
        _work(ctx, request, principal, lambda s: s.release_hold(hold_id, reason))
    except GwanjeError as exc:
        return _holds_page(request, ctx, principal, exc.status, (_error(request, exc),))
    return RedirectResponse("/holds", status_code=303)


# ---- retention periods ---------------------------------------------------------------
def _retention_page(
    request: Request,
    ctx: Ctx,
    principal: Principal,
    status_code: int = 200,
    errors: tuple[str, ...] = (),
) -> Response:
    with ctx.sessions() as session:
        cameras = [
            c
            for c in session.scalars(select(Camera).order_by(Camera.code))
            if principal.may_use_on_camera(P.RETENTION_MANAGE, c.id, c.department_id)
        ]
        rows = [
            (c.code, c.name, c.retention_days, effective_retention_days(c, ctx.settings))
            for c in cameras
        ]
    return _render(
        request,
        "retention/retention.html",
        status_code=status_code,
        rows=rows,
        default_days=ctx.settings.registry.retention_days,
        errors=list(errors),
    )


@router.get("/retention", response_class=HTMLResponse)
def retention_page(request: Request, ctx: Ctx, principal: RetentionManager) -> Response:
    return _retention_page(request, ctx, principal)


@router.post("/retention", response_class=HTMLResponse)
def retention_set(
    request: Request, ctx: Ctx, principal: RetentionManager, form: PostedForm
) -> Response:
    code = str(form.get("code") or "")
    try:
        days = parse_days(str(form.get("days") or ""))
        _work(ctx, request, principal, lambda s: s.set_camera_days(code, days))
    except GwanjeError as exc:
        return _retention_page(request, ctx, principal, exc.status, (_error(request, exc),))
    return RedirectResponse("/retention", status_code=303)
