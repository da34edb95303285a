"""Web pages of access requests (열람·제공 요청): the list, the intake form, one request
with the decisions its viewer may take. Forms post back here (CSRF-checked by the
middleware); the JSON API in `web.py` does the same work for other systems.

Invariants: every page needs a logged-in principal and shows only the requests
`_may_see` allows; each decision button appears only to holders of its permission, and
the service checks again (a forged post is refused and changes nothing); times in forms
without an offset are the city's local time (`registry.timezone`); user errors re-render
the page with the translated message.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from gwanje.auth.permissions import Permission as P
from gwanje.auth.principal import Principal
from gwanje.errors import GwanjeError, NotFound
from gwanje.governance.kinds import LegalBasis, RequesterKind, RequestKind
from gwanje.governance.models import AccessRequest
from gwanje.governance.requests import ItemInput, RequestInput, Requests
from gwanje.governance.web import (
    Anyone,
    Requester,
    _describe,
    _may_see,
    _work,
    visible_requests,
)
from gwanje.i18n import translate
from gwanje.retention.service import parse_time
from gwanje.web.deps import Ctx, PostedForm
from gwanje.web.render import language_of, render_with

router = APIRouter()
TEMPLATES = Jinja2Templates(
    directory=[Path(__file__).parent / "templates", Path(__file__).parents[1] / "web" / "templates"]
)
FIELDS = ("requester_kind", "requester_org", "requester_name", "requester_contact", "kind",
          "legal_basis", "purpose", "letter_no", "crime_type", "camera_code", "start_at",
          "end_at")  # fmt: skip


def _render(request: Request, template: str, status_code: int = 200, **values: Any) -> Response:
    return render_with(TEMPLATES, request, template, status_code, **values)


def _local(ctx: Ctx, iso: str | None) -> str:
    if not iso:
        return "—"
    from datetime import datetime

    zone = ZoneInfo(ctx.settings.registry.timezone)
    return datetime.fromisoformat(iso).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def _list_page(
    request: Request, ctx: Ctx, principal: Principal, status_code: int = 200,
    errors: tuple[str, ...] = (), values: dict[str, str] | None = None,
) -> Response:  # fmt: skip
    return _render(
        request, "governance/requests.html", status_code,
        requests=visible_requests(ctx, principal, 200), errors=list(errors), values=values or {},
        requester_kinds=[k.value for k in RequesterKind], kinds=[k.value for k in RequestKind],
        bases=[b.value for b in LegalBasis], may_create=principal.can(P.REQUEST_CREATE),
        timezone=ctx.settings.registry.timezone,
    )  # fmt: skip


@router.get("/requests", response_class=HTMLResponse)
def requests_page(request: Request, ctx: Ctx, principal: Anyone) -> Response:
    return _list_page(request, ctx, principal)


@router.post("/requests", response_class=HTMLResponse)
def submit_form(request: Request, ctx: Ctx, principal: Requester, form: PostedForm) -> Response:
    values = {k: str(form.get(k) or "").strip() for k in FIELDS}
    tz = ctx.settings.registry.timezone
    try:
        item = ItemInput(values["camera_code"], parse_time(values["start_at"], "start", tz),
                         parse_time(values["end_at"], "end", tz))  # fmt: skip
        data = RequestInput(
            requester_kind=values["requester_kind"], requester_org=values["requester_org"],
            requester_name=values["requester_name"], kind=values["kind"],
            legal_basis=values["legal_basis"], purpose=values["purpose"], items=(item,),
            requester_contact=values["requester_contact"],
            letter_no=values["letter_no"] or None, crime_type=values["crime_type"] or None,
        )  # fmt: skip
        created = _work(ctx, request, principal, lambda r: r.submit(data).id)
    except GwanjeError as exc:
        message = translate(exc.key, language_of(request), **exc.params)
        return _list_page(request, ctx, principal, exc.status, (message,), values)
    return RedirectResponse(f"/requests/{created}", status_code=303)


def _detail_page(request: Request, ctx: Ctx, principal: Principal, request_id: int,
                 status_code: int = 200, errors: tuple[str, ...] = ()) -> Response:  # fmt: skip
    with ctx.sessions() as session:
        row = session.get(AccessRequest, request_id)
        if row is None or not _may_see(principal, row):
            raise NotFound("governance.error.request_not_found", request_id=request_id)
    data = _describe(ctx, request_id)
    return _render(
        request, "governance/request.html", status_code, r=data, errors=list(errors),
        local=lambda iso: _local(ctx, iso),
        may_decide=principal.can(P.REQUEST_APPROVE),
        may_emergency=principal.can(P.REQUEST_APPROVE_EMERGENCY),
    )  # fmt: skip


@router.get("/requests/{request_id}", response_class=HTMLResponse)
def request_page(request: Request, ctx: Ctx, principal: Anyone, request_id: int) -> Response:
    return _detail_page(request, ctx, principal, request_id)


@router.post("/requests/{request_id}/decide", response_class=HTMLResponse)
def decide_form(
    request: Request, ctx: Ctx, principal: Anyone, request_id: int, form: PostedForm
) -> Response:
    """One form, the button pressed says which decision; the service checks the right."""
    action = str(form.get("action") or "")
    reason = str(form.get("reason") or "")
    grantees = [g for g in str(form.get("grantees") or "").replace(",", " ").split() if g]
    version = int(str(form.get("version") or "0")) or None
    jobs: dict[str, Callable[[Requests], object]] = {
        "approve": lambda r: r.approve(request_id, grantees, version=version),
        "reject": lambda r: r.reject(request_id, reason, version),
        "emergency": lambda r: r.approve_emergency(request_id, grantees, version=version),
        "confirm": lambda r: r.confirm_emergency(request_id, version),
        "refuse": lambda r: r.refuse_emergency(request_id, reason, version),
    }
    job = jobs.get(action)
    try:
        if job is None:
            raise NotFound("governance.error.request_not_found", request_id=request_id)
        _work(ctx, request, principal, job)
    except GwanjeError as exc:
        message = translate(exc.key, language_of(request), **exc.params)
        return _detail_page(request, ctx, principal, request_id, exc.status, (message,))
    return RedirectResponse(f"/requests/{request_id}", status_code=303)
