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
from starlette.concurrency import run_in_threadpool

from gwanje.auth.permissions import Permission as P
from gwanje.auth.principal import Principal
from gwanje.errors import GwanjeError, NotFound
from gwanje.governance.kinds import LegalBasis, RequesterKind, RequestKind
from gwanje.governance.models import EvidenceExport, Provision
from gwanje.governance.provision import (
    METHODS,
    Provisions,
    Recipient,
    copies_of,
    overdue,
    overdue_count,
)
from gwanje.governance.requests import ItemInput, RequestInput, Requests
from gwanje.governance.web import (
    Anyone,
    Exporter,
    Requester,
    _work,
    read_upload,
    store_attachment,
    visible_request,
    visible_requests,
)
from gwanje.i18n import translate
from gwanje.retention.service import parse_time
from gwanje.web.deps import Ctx, PostedForm
from gwanje.web.render import language_of, render_with
from gwanje.web.security import client_ip

router = APIRouter()
TEMPLATES = Jinja2Templates(
    directory=[Path(__file__).parent / "templates", Path(__file__).parents[1] / "web" / "templates"]
)
FIELDS = ("requester_kind", "requester_org", "requester_name", "requester_contact",
          "requester_rank", "kind",
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
        timezone=ctx.settings.registry.timezone, overdue_count=_overdue_count(ctx, principal),
    )  # fmt: skip


def _overdue_count(ctx: Ctx, principal: Principal) -> int | None:
    """How many provided copies are past destruction, for those who chase them."""
    if not principal.can(P.VIDEO_EXPORT):
        return None
    with ctx.sessions() as session:
        return overdue_count(session, ctx.clock.now())


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
            requester_rank=values["requester_rank"],
            letter_no=values["letter_no"] or None, crime_type=values["crime_type"] or None,
        )  # fmt: skip
        created = _work(ctx, request, principal, lambda r: r.submit(data).id)
    except GwanjeError as exc:
        message = translate(exc.key, language_of(request), **exc.params)
        return _list_page(request, ctx, principal, exc.status, (message,), values)
    return RedirectResponse(f"/requests/{created}", status_code=303)


def _detail_page(request: Request, ctx: Ctx, principal: Principal, request_id: int,
                 status_code: int = 200, errors: tuple[str, ...] = ()) -> Response:  # fmt: skip
    data = visible_request(ctx, principal, request_id)
    with ctx.sessions() as session:
        copies = [_copy(e, p) for e, p in copies_of(session, request_id)]
    return _render(
        request, "governance/request.html", status_code, r=data, errors=list(errors),
        local=lambda iso: _local(ctx, iso), copies=copies, methods=METHODS,
        may_decide=principal.can(P.REQUEST_APPROVE),
        may_emergency=principal.can(P.REQUEST_APPROVE_EMERGENCY),
        may_provide=principal.can(P.VIDEO_EXPORT),
        may_attach=principal.can(P.REQUEST_APPROVE) or data["created_by"] == principal.person_id,
    )  # fmt: skip


def _copy(export: EvidenceExport, provision: Provision | None) -> dict[str, Any]:
    """A package and its provision, as the request page shows them (ORD-31.2, 33)."""
    return {
        "id": export.id, "state": export.state, "sha256": export.package_sha256,
        "range_start": export.range_start.isoformat(), "range_end": export.range_end.isoformat(),
        "created_at": export.created_at.isoformat(), "expires_at": export.expires_at.isoformat(),
        "encrypted": export.encrypted, "provision": None if provision is None else {
            "id": provision.id, "recipient": provision.recipient, "method": provision.method,
            "recipient_rank": provision.recipient_rank,
            "recipient_contact": provision.recipient_contact,
            "recipient_pledge": provision.recipient_pledge, "arrest": provision.arrest,
            "receipt": provision.receipt, "delivered_at": provision.delivered_at.isoformat(),
            "destroy_by": provision.destroy_by.isoformat(),
            "result_report": provision.result_report,
            "destroyed_at": provision.destroyed_at.isoformat() if provision.destroyed_at else None,
            "destruction_statement": provision.destruction_statement,
        },
    }  # fmt: skip


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


# ---- provision of copies: delivery, result, destruction (ORD-31.2, 33) ---------------------


def _provide(request: Request, ctx: Ctx, principal: Principal, request_id: int,
             job: Callable[[Provisions], object]) -> Response:  # fmt: skip
    """Run one provision step for a package of this request and come back to the request."""
    try:
        visible_request(ctx, principal, request_id)
        with ctx.transaction() as session:
            job(Provisions(session, ctx.settings, ctx.clock, principal, client_ip(request)))
    except GwanjeError as exc:
        message = translate(exc.key, language_of(request), **exc.params)
        return _detail_page(request, ctx, principal, request_id, exc.status, (message,))
    return RedirectResponse(f"/requests/{request_id}#copies", status_code=303)


def _field(form: Any, name: str) -> str:
    return str(form.get(name) or "").strip()


@router.post("/requests/{request_id}/exports/{export_id}/deliver", response_class=HTMLResponse)
def deliver_form(request: Request, ctx: Ctx, principal: Exporter, request_id: int,
                 export_id: int, form: PostedForm) -> Response:  # fmt: skip
    tz = ctx.settings.registry.timezone
    raw_due = _field(form, "destroy_by")

    def job(p: Provisions) -> object:
        due = parse_time(raw_due, "destroy_by", tz) if raw_due else None
        who = Recipient(
            _field(form, "recipient"),
            _field(form, "recipient_rank"),
            _field(form, "recipient_contact"),
            form.get("recipient_pledge") == "on",
        )
        return p.deliver(export_id, who, _field(form, "method"),
                         _field(form, "receipt"), due)  # fmt: skip

    return _provide(request, ctx, principal, request_id, job)


@router.post("/requests/{request_id}/provisions/{provision_id}/result",
             response_class=HTMLResponse)  # fmt: skip
def result_form(request: Request, ctx: Ctx, principal: Exporter, request_id: int,
                provision_id: int, form: PostedForm) -> Response:  # fmt: skip
    result = _field(form, "result")
    arrest = {"yes": True, "no": False}.get(_field(form, "arrest"))
    return _provide(request, ctx, principal, request_id,
                    lambda p: p.report_result(provision_id, result, arrest))  # fmt: skip


@router.post("/requests/{request_id}/provisions/{provision_id}/destroyed",
             response_class=HTMLResponse)  # fmt: skip
def destroyed_form(request: Request, ctx: Ctx, principal: Exporter, request_id: int,
                   provision_id: int, form: PostedForm) -> Response:  # fmt: skip
    statement = _field(form, "statement")
    return _provide(request, ctx, principal, request_id,
                    lambda p: p.confirm_destroyed(provision_id, statement))  # fmt: skip


@router.get("/provisions", response_class=HTMLResponse)
def overdue_page(request: Request, ctx: Ctx, principal: Exporter) -> Response:
    """Provided copies past their destruction date without a confirmation: the reminder
    list the staff who hand over packages work from (ORD-31.2)."""
    with ctx.sessions() as session:
        rows = [{"id": p.id, "request_id": p.request_id, "recipient": p.recipient,
                 "delivered_at": p.delivered_at.isoformat(),
                 "destroy_by": p.destroy_by.isoformat()}
                for p in overdue(session, ctx.clock.now())]  # fmt: skip
    return _render(request, "governance/provisions.html", rows=rows,
                   local=lambda iso: _local(ctx, iso))  # fmt: skip


@router.post("/requests/{request_id}/attachments", response_class=HTMLResponse)
async def attach_form(request: Request, ctx: Ctx, principal: Anyone, request_id: int) -> Response:
    """Upload from the request page (multipart; the CSRF token is a form field)."""
    try:
        filename, data = await read_upload(request)
        await run_in_threadpool(store_attachment, ctx, request, principal, request_id,
                                filename, data)  # fmt: skip
    except GwanjeError as exc:
        message = translate(exc.key, language_of(request), **exc.params)
        return await run_in_threadpool(_detail_page, request, ctx, principal, request_id,
                                       exc.status, (message,))  # fmt: skip
    return RedirectResponse(f"/requests/{request_id}#attachments", status_code=303)
