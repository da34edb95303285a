"""Pages of the privacy officer's plans (ORD-5.2): `/plans` lists the plans in force
with a form to publish a new version; `/plans/{kind}/{year}` shows the plan in force,
every earlier version, and for a training plan who of the staff handling video has
completed a training that year. Reading needs `report.read` (privacy officer, general
manager, auditor); publishing needs `plan.manage` (the privacy officer)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from gwanje.auth.permissions import Permission as P
from gwanje.auth.principal import Principal
from gwanje.errors import GwanjeError, NotFound
from gwanje.governance.plans import KINDS, Plans, in_force, training_progress, versions
from gwanje.i18n import translate
from gwanje.web.deps import Ctx, PostedForm
from gwanje.web.render import language_of, render_with
from gwanje.web.security import client_ip, requires

router = APIRouter()
Reader = Annotated[Principal, requires(P.REPORT_READ)]
Manager = Annotated[Principal, requires(P.PLAN_MANAGE)]
TEMPLATES = Jinja2Templates(
    directory=[Path(__file__).parent / "templates", Path(__file__).parents[1] / "web" / "templates"]
)


def _row(plan: Any, zone: ZoneInfo) -> dict[str, Any]:
    return {"kind": plan.kind, "year": plan.year, "version": plan.version, "title": plan.title,
            "body": plan.body, "change_note": plan.change_note,
            "created_at": plan.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")}  # fmt: skip


def _list(request: Request, ctx: Ctx, principal: Principal, status_code: int = 200,
          error: str | None = None, values: dict[str, str] | None = None) -> Response:  # fmt: skip
    zone = ZoneInfo(ctx.settings.registry.timezone)
    with ctx.sessions() as session:
        plans = [_row(p, zone) for p in in_force(session)]
    return render_with(TEMPLATES, request, "governance/plans.html", status_code, plans=plans,
                       kinds=KINDS, error=error, values=values or {},
                       year=ctx.clock.now().astimezone(zone).year,
                       may_manage=principal.can(P.PLAN_MANAGE))  # fmt: skip


@router.get("/plans", response_class=HTMLResponse)
def plans_page(request: Request, ctx: Ctx, principal: Reader) -> Response:
    return _list(request, ctx, principal)


@router.post("/plans", response_class=HTMLResponse)
def publish(request: Request, ctx: Ctx, principal: Manager, form: PostedForm) -> Response:
    values = {k: str(form.get(k) or "") for k in ("kind", "year", "title", "body", "change_note")}
    try:
        year = int(values["year"]) if values["year"].strip().isdigit() else 0
        with ctx.transaction() as session:
            Plans(session, ctx.clock, principal, client_ip(request)).publish(
                values["kind"], year, values["title"], values["body"], values["change_note"]
            )
    except GwanjeError as exc:
        message = translate(exc.key, language_of(request), **exc.params)
        return _list(request, ctx, principal, exc.status, message, values)
    return RedirectResponse(f"/plans/{values['kind']}/{year}", status_code=303)


@router.get("/plans/{kind}/{year}", response_class=HTMLResponse)
def plan_page(request: Request, ctx: Ctx, principal: Reader, kind: str, year: int) -> Response:
    zone = ZoneInfo(ctx.settings.registry.timezone)
    with ctx.sessions() as session:
        rows = [_row(p, zone) for p in versions(session, kind, year)]
        progress = training_progress(session, year, ctx.clock.now()) if kind == "training" else None
    if not rows:
        raise NotFound("governance.plans.error.not_found", kind=kind, year=year)
    return render_with(TEMPLATES, request, "governance/plan.html", 200, plan=rows[0],
                       history=rows[1:], progress=progress)  # fmt: skip
