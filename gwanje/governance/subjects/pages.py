"""Web pages of data-subject requests: the public form and status page (no login), and
the staff list and detail pages.

Invariants:
- the public routes are declared `public()`; they are rate limited per address, take a
  bounded URL-encoded body and check the form token (`public.py`); the status page
  answers only to a receipt number with its secret, and shows the decision, never staff
  notes or other requests;
- staff routes need `subject_request.manage`, show only what `may_see` allows, and each
  action is checked again by the service (a forged post changes nothing);
- form times without an offset are the city's local time (`registry.timezone`); user
  errors re-render the page with the translated message and the status the error carries.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from gwanje.auth.permissions import Permission as P
from gwanje.auth.principal import Principal
from gwanje.errors import GwanjeError, InvalidInput
from gwanje.governance.requests import ItemInput
from gwanje.governance.subjects import public
from gwanje.governance.subjects.kinds import (
    GrantMode,
    IdentityDocument,
    NoticeMethod,
    RefusalGround,
    SubjectKind,
)
from gwanje.governance.subjects.masking import jobs_of_request
from gwanje.governance.subjects.service import PlaceInput, ReleaseInput, SubjectInput, Subjects
from gwanje.governance.subjects.web import one, public_view, visible, work
from gwanje.i18n import translate
from gwanje.retention.service import parse_time
from gwanje.web.deps import Ctx, PostedForm
from gwanje.web.render import language_of, render_with
from gwanje.web.security import public as public_route
from gwanje.web.security import requires

router = APIRouter()
Manager = Annotated[Principal, requires(P.SUBJECT_REQUEST_MANAGE)]
Visitor = Annotated[Principal | None, public_route()]
TEMPLATES = Jinja2Templates(directory=[
    Path(__file__).parent / "templates", Path(__file__).parents[2] / "web" / "templates",
])  # fmt: skip
INTAKE = ("kind", "applicant_name", "applicant_birth", "applicant_contact", "applicant_address",
          "agent", "subject_name", "vehicle_no", "purpose", "details", "place", "start_at",
          "end_at")  # fmt: skip
Fields = dict[str, list[str]]


def message(exc: GwanjeError, lang: str) -> str:
    """The error in the reader's language, its field named by its label."""
    params = dict(exc.params)
    if "field" in params:
        params["field"] = translate(f"subjects.field.{params['field']}", lang)
    return translate(exc.key, lang, **params)


def _render(request: Request, template: str, status_code: int = 200, **values: Any) -> Response:
    return render_with(TEMPLATES, request, template, status_code, **values)


def _choices() -> dict[str, list[str]]:
    return {
        "kinds": [k.value for k in SubjectKind], "docs": [d.value for d in IdentityDocument],
        "grounds": [g.value for g in RefusalGround], "modes": [m.value for m in GrantMode],
        "notices": [n.value for n in NoticeMethod],
    }  # fmt: skip


def _local(ctx: Ctx) -> Callable[[str | None], str]:
    zone = ZoneInfo(ctx.settings.registry.timezone)

    def local(iso: str | None) -> str:
        if not iso:
            return "—"
        return datetime.fromisoformat(iso).astimezone(zone).strftime("%Y-%m-%d %H:%M")

    return local


def _first(fields: Fields, name: str) -> str:
    return (fields.get(name) or [""])[0].strip()


def _intake(ctx: Ctx, fields: Fields) -> SubjectInput:
    """The intake form (one place and time) as the service's input; local times."""
    v = {name: _first(fields, name) for name in INTAKE}
    tz = ctx.settings.registry.timezone
    place = PlaceInput(v["place"], parse_time(v["start_at"], "start_at", tz),
                       parse_time(v["end_at"], "end_at", tz))  # fmt: skip
    return SubjectInput(
        kind=v["kind"], applicant_name=v["applicant_name"],
        applicant_contact=v["applicant_contact"], purpose=v["purpose"], places=(place,),
        applicant_birth=v["applicant_birth"],
        applicant_address=v["applicant_address"], agent=v["agent"] == "on",
        subject_name=v["subject_name"], vehicle_no=v["vehicle_no"], details=v["details"],
    )  # fmt: skip


def _posted(form: PostedForm) -> Fields:
    return {k: [str(x) for x in form.getlist(k)] for k in form}


# ---- public: the form and the status page --------------------------------------------------


def _public_form(request: Request, ctx: Ctx, status_code: int = 200, error: str | None = None,
                 values: dict[str, str] | None = None) -> Response:  # fmt: skip
    raw, token = public.issue_form_cookie(request, ctx.settings.secret())
    response = _render(request, "subjects/public_form.html", status_code, error=error,
                       values=values or {}, form_token=token, **_choices(),
                       timezone=ctx.settings.registry.timezone)  # fmt: skip
    public.set_form_cookie(response, raw)
    return response


@router.get("/subject-request", response_class=HTMLResponse)
def public_form(request: Request, ctx: Ctx, _: Visitor) -> Response:
    return _public_form(request, ctx)


@router.post("/subject-request", response_class=HTMLResponse)
async def public_submit(request: Request, ctx: Ctx, _: Visitor) -> Response:
    """The subject files a request (no login): limited per address, token-checked."""
    limiter, now = public.limiter(request, "submit"), ctx.clock.now()
    address, lang = request.client.host if request.client else None, language_of(request)
    conf = ctx.settings.governance.subjects
    values: dict[str, str] = {}
    try:
        if limiter.blocked(address, now, conf.public_submissions_per_hour):
            raise public.RateLimited("subjects.error.rate_limited")
        limiter.hit(address, now)  # every attempt counts, the refused ones too
        fields = await public.read_public_form(request, ctx.settings.secret())
        values = {name: _first(fields, name) for name in INTAKE}
        data = _intake(ctx, fields)
        receipt = await run_in_threadpool(work, ctx, request, None, lambda s: s.receive(data))
    except GwanjeError as exc:
        return _public_form(request, ctx, exc.status, message(exc, lang), values)
    return _render(request, "subjects/public_receipt.html", receipt=receipt)


def _status_page(request: Request, ctx: Ctx, status_code: int = 200, error: str | None = None,
                 result: dict[str, Any] | None = None) -> Response:  # fmt: skip
    raw, token = public.issue_form_cookie(request, ctx.settings.secret())
    response = _render(request, "subjects/public_status.html", status_code, error=error,
                       result=result, form_token=token, local=_local(ctx))  # fmt: skip
    public.set_form_cookie(response, raw)
    return response


@router.get("/subject-request/status", response_class=HTMLResponse)
def status_form(request: Request, ctx: Ctx, _: Visitor) -> Response:
    return _status_page(request, ctx)


@router.post("/subject-request/status", response_class=HTMLResponse)
async def status_lookup(request: Request, ctx: Ctx, _: Visitor) -> Response:
    """The receipt number and secret come in the body (never in a URL or a log line)."""
    limiter, now = public.limiter(request, "lookup"), ctx.clock.now()
    address = request.client.host if request.client else None
    limit = ctx.settings.governance.subjects.public_lookups_per_hour
    try:
        if limiter.blocked(address, now, limit):
            raise public.RateLimited("subjects.error.rate_limited")
        fields = await public.read_public_form(request, ctx.settings.secret())
        receipt, secret = _first(fields, "receipt_no"), _first(fields, "secret")

        def find(s: Subjects) -> dict[str, Any]:
            return public_view(ctx.settings, s.lookup(receipt, secret))

        try:
            result = await run_in_threadpool(work, ctx, request, None, find)
        except GwanjeError:
            limiter.hit(address, now)  # failures count: secrets are not guessed
            raise
    except GwanjeError as exc:
        return _status_page(request, ctx, exc.status, message(exc, language_of(request)))
    return _status_page(request, ctx, result=result)


# ---- staff: list, intake, detail, actions ---------------------------------------------------


def _list_page(request: Request, ctx: Ctx, principal: Principal, overdue_only: bool = False,
               status_code: int = 200, error: str | None = None,
               values: dict[str, str] | None = None) -> Response:  # fmt: skip
    return _render(request, "subjects/list.html", status_code,
                   requests=visible(ctx, principal, overdue_only, 300), overdue_only=overdue_only,
                   error=error, values=values or {}, local=_local(ctx), **_choices(),
                   timezone=ctx.settings.registry.timezone)  # fmt: skip


@router.get("/subjects", response_class=HTMLResponse)
def list_page(request: Request, ctx: Ctx, principal: Manager, overdue: bool = False) -> Response:
    return _list_page(request, ctx, principal, overdue)


@router.post("/subjects", response_class=HTMLResponse)
def staff_intake(request: Request, ctx: Ctx, principal: Manager, form: PostedForm) -> Response:
    fields = _posted(form)
    try:
        data = _intake(ctx, fields)
        receipt = work(ctx, request, principal, lambda s: s.receive(data))
    except GwanjeError as exc:
        values = {name: _first(fields, name) for name in INTAKE}
        return _list_page(request, ctx, principal, False, exc.status,
                          message(exc, language_of(request)), values)  # fmt: skip
    return _detail_page(request, ctx, principal, receipt.request_id, 201, receipt=receipt)


def _detail_page(request: Request, ctx: Ctx, principal: Principal, request_id: int,
                 status_code: int = 200, error: str | None = None,
                 receipt: object = None) -> Response:  # fmt: skip
    r = one(ctx, principal, request_id)
    return _render(request, "subjects/detail.html", status_code, r=r, error=error,
                   receipt=receipt, local=_local(ctx), **_choices(),
                   appeal_text=ctx.settings.governance.subjects.appeal_text,
                   masking=jobs_of_request(ctx, request_id),
                   may_review=principal.can(P.SUBJECT_REQUEST_REVIEW))  # fmt: skip


@router.get("/subjects/{request_id}", response_class=HTMLResponse)
def detail_page(request: Request, ctx: Ctx, principal: Manager, request_id: int) -> Response:
    return _detail_page(request, ctx, principal, request_id)


def _action(ctx: Ctx, request_id: int, fields: Fields) -> Callable[[Subjects], object]:
    """The service call a detail-page form asks for (the button says which)."""
    f = {name: _first(fields, name) for name in fields}
    version = int(f["version"]) if f.get("version", "").isdigit() else None
    tz = ctx.settings.registry.timezone
    notice = f.get("notice_method", "")

    def resolve(s: Subjects) -> object:
        rows = zip(fields.get("camera_code", []), fields.get("start_at", []),
                   fields.get("end_at", []), strict=False)  # fmt: skip
        items = tuple(
            ItemInput(code.strip(), parse_time(a, "start_at", tz), parse_time(b, "end_at", tz))
            for code, a, b in rows if code.strip()
        )  # fmt: skip
        return s.resolve(request_id, items, version)

    def release(s: Subjects) -> object:
        cost = f.get("masking_cost_won", "")
        data = ReleaseInput(f.get("package_id", ""), f.get("sha256", ""),
                            int(cost) if cost.isdigit() else -1)  # fmt: skip
        return s.release(request_id, data, version)

    actions: dict[str, Callable[[Subjects], object]] = {
        "verify": lambda s: s.verify_identity(request_id, fields.get("documents", []),
                                              f.get("note", ""), version),
        "resolve": resolve,
        "grant": lambda s: s.grant(request_id, f.get("mode") or None, f.get("note", ""), notice,
                                   version),
        "postpone": lambda s: s.postpone(request_id, f.get("reason", ""),
                                         parse_time(f.get("until", ""), "until", tz).date(),
                                         notice, version),
        "refuse": lambda s: s.refuse(request_id, f.get("ground", ""), f.get("reason", ""),
                                     f.get("appeal", ""), notice, version),
        "release": release,
        "close": lambda s: s.close(request_id, f.get("reason", ""), version),
    }  # fmt: skip
    action = actions.get(f.get("action", ""))
    if action is None:
        raise InvalidInput("subjects.error.action")
    return action


@router.post("/subjects/{request_id}/act", response_class=HTMLResponse)
def act(request: Request, ctx: Ctx, principal: Manager, request_id: int,
        form: PostedForm) -> Response:  # fmt: skip
    try:
        one(ctx, principal, request_id)  # not found (or not theirs) before anything else
        work(ctx, request, principal, _action(ctx, request_id, _posted(form)))
    except GwanjeError as exc:
        if exc.key == "subjects.error.not_found":
            raise
        error = message(exc, language_of(request))
        return _detail_page(request, ctx, principal, request_id, exc.status, error)
    return RedirectResponse(f"/subjects/{request_id}", status_code=303)
