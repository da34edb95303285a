"""Pages and downloads of the ledgers (Korean first; every text through i18n).

- `GET /ledgers/management` (ledger.read): the management ledger (ORD-33, PIPA-5) with
  filters (period, kind, camera, department, requesting body); `GET
  /ledgers/management/{fmt}` the same rows as csv / xlsx / pdf (the official form).
- `GET /visitors` (visitor.manage): registration, the head's decisions, check-in/out;
  `POST /visitors` and `/visitors/{id}/check-in|check-out` (visitor.manage),
  `/visitors/{id}/decide` (visitor.approve).
- `GET /visitors/ledger` (ledger.read): the visitor ledger (ORD-22.2, PIPA-6) by period;
  `GET /visitors/ledger/{fmt}` as csv / xlsx / pdf.

Invariants: every route declares its permission and the services check again; every
reading of a ledger (page or file) is audited (`ledger.read`); user errors re-render the
page with the translated message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from gwanje.audit import record
from gwanje.auth.permissions import Permission as P
from gwanje.auth.principal import Principal
from gwanje.context import Gwanje
from gwanje.errors import GwanjeError, InvalidInput, NotFound
from gwanje.i18n import translate
from gwanje.ledgers import management, output
from gwanje.ledgers.events import LedgerRead
from gwanje.ledgers.models import LedgerKind
from gwanje.ledgers.projection import catch_up
from gwanje.ledgers.visitors import (
    VISIT_COLUMNS,
    VisitInput,
    Visitors,
    visit_lines,
    visits_between,
)
from gwanje.retention.service import parse_time
from gwanje.web.deps import Ctx, PostedForm
from gwanje.web.render import language_of, render_with
from gwanje.web.security import client_ip, requires

router = APIRouter()
TEMPLATES = Jinja2Templates(
    directory=[Path(__file__).parent / "templates", Path(__file__).parents[1] / "web" / "templates"]
)
Reader = Annotated[Principal, requires(P.LEDGER_READ)]
Staff = Annotated[Principal, requires(P.VISITOR_MANAGE)]
Head = Annotated[Principal, requires(P.VISITOR_APPROVE)]
FORMATS = ("csv", "xlsx", "pdf")
# PDF column widths (mm) of landscape A4 (267 mm inside the margins).
MANAGEMENT_WIDTHS = (10, 15, 24, 12, 18, 18, 18, 14, 13, 19, 13, 13, 11, 14, 10, 9, 14, 22)
VISIT_WIDTHS = (17, 12, 12, 24, 16, 32, 16, 24, 24, 16, 14, 16, 18)


def _zone(ctx: Gwanje) -> ZoneInfo:
    return ZoneInfo(ctx.settings.registry.timezone)


def _t(request: Request) -> Callable[..., str]:
    lang = language_of(request)
    return lambda key, **params: translate(key, lang, **params)


def _audit_read(ctx: Gwanje, request: Request, principal: Principal, ledger: str, fmt: str,
                filters: dict[str, str], rows: int) -> None:  # fmt: skip
    with ctx.transaction() as session:
        record(session, LedgerRead(actor=principal.actor, source_ip=client_ip(request),
                                   ledger=ledger, format=fmt, filters=filters, rows=rows),
               ctx.clock)  # fmt: skip


def _download(sheet: output.Sheet, fmt: str, name: str) -> Response:
    stamp = sheet.generated_at.strftime("%Y%m%d-%H%M")
    disposition = f'attachment; filename="{name}-{stamp}.{fmt}"'
    return Response(output.render(sheet, fmt), media_type=output.MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": disposition})  # fmt: skip


def _sheet(ctx: Gwanje, title: str, headers: list[str],
           rows: list[list[str]], form_code: str, subtitle: str,
           widths: tuple[float, ...]) -> output.Sheet:  # fmt: skip
    return output.Sheet(
        title=title, headers=headers, rows=rows, form_code=form_code,
        issuer=ctx.settings.ledgers.issuer, generated_at=ctx.clock.now().astimezone(_zone(ctx)),
        subtitle=subtitle, widths_mm=widths,
    )  # fmt: skip


def _subtitle(t: Callable[..., str], params: dict[str, str]) -> str:
    if not params:
        return t("ledgers.filter.all")
    shown = {k: t(f"ledgers.kind.{v}") if k == "kind" else v for k, v in params.items()}
    return " · ".join(f"{t('ledgers.filter.' + k)}: {v}" for k, v in shown.items())


# ---- the management ledger -------------------------------------------------------------


def _management(ctx: Gwanje, f: management.ManagementFilter, t: Callable[..., str],
                limit: int) -> list[dict[str, str]]:  # fmt: skip
    with ctx.transaction() as session:
        catch_up(session, ctx.settings.registry.timezone)
    with ctx.sessions() as session:
        return management.read_ledger(session, f, _zone(ctx), t, limit)


@router.get("/ledgers/management", response_class=HTMLResponse)
def management_page(request: Request, ctx: Ctx, principal: Reader) -> Response:
    t = _t(request)
    errors: list[str] = []
    try:
        f = management.parse_filter(request.query_params)
    except InvalidInput as exc:
        errors, f = [t(exc.key, **exc.params)], management.ManagementFilter()
    lines = _management(ctx, f, t, management.PAGE_ROWS)
    _audit_read(ctx, request, principal, "management", "html", f.as_params(), len(lines))
    query = "&".join(f"{k}={v}" for k, v in f.as_params().items())
    return render_with(TEMPLATES, request, "ledgers/management.html", 400 if errors else 200,
                       lines=lines, columns=management.COLUMNS, values=f.as_params(),
                       kinds=[k.value for k in LedgerKind], errors=errors, query=query,
                       limit=management.PAGE_ROWS)  # fmt: skip


@router.get("/ledgers/management/{fmt}")
def management_download(request: Request, ctx: Ctx, principal: Reader, fmt: str) -> Response:
    if fmt not in FORMATS:
        raise NotFound("ledgers.error.format", fmt=fmt[:10])
    t = _t(request)
    f = management.parse_filter(request.query_params)
    lines = _management(ctx, f, t, management.MAX_ROWS)
    _audit_read(ctx, request, principal, "management", fmt, f.as_params(), len(lines))
    sheet = _sheet(ctx, t("ledgers.management.title"),
                   [t(f"ledgers.col.{c}") for c in management.COLUMNS],
                   [[line[c] for c in management.COLUMNS] for line in lines],
                   ctx.settings.ledgers.management_form_code, _subtitle(t, f.as_params()),
                   MANAGEMENT_WIDTHS)  # fmt: skip
    return _download(sheet, fmt, "management-ledger")


# ---- visitors ----------------------------------------------------------------------------


def _visit_page(request: Request, ctx: Gwanje, principal: Principal, status: int = 200,
                errors: tuple[str, ...] = (),
                values: dict[str, str] | None = None) -> Response:  # fmt: skip
    t = _t(request)
    with ctx.sessions() as session:
        lines = visit_lines(session, visits_between(session, None, None, 200), _zone(ctx), t)
    return render_with(TEMPLATES, request, "ledgers/visitors.html", status, lines=lines,
                       errors=list(errors), values=values or {},
                       may_approve=principal.can(P.VISITOR_APPROVE),
                       timezone=ctx.settings.registry.timezone)  # fmt: skip


def _visit_work(ctx: Gwanje, request: Request, principal: Principal,
                job: Callable[[Visitors], object]) -> Response | None:  # fmt: skip
    try:
        with ctx.transaction() as session:
            job(Visitors(session, ctx.clock, principal, client_ip(request)))
    except GwanjeError as exc:
        message = translate(exc.key, language_of(request), **exc.params)
        return _visit_page(request, ctx, principal, exc.status, (message,))
    return None


@router.get("/visitors", response_class=HTMLResponse)
def visitors_page(request: Request, ctx: Ctx, principal: Staff) -> Response:
    return _visit_page(request, ctx, principal)


VISIT_FIELDS = ("organisation", "name", "contact", "purpose", "planned_at", "party_size",
                "media_in", "tour")  # fmt: skip


@router.post("/visitors", response_class=HTMLResponse)
def register_visit(request: Request, ctx: Ctx, principal: Staff, form: PostedForm) -> Response:
    values = {k: str(form.get(k) or "").strip() for k in VISIT_FIELDS}
    try:
        size = int(values["party_size"] or "1")
        data = VisitInput(
            organisation=values["organisation"], name=values["name"], purpose=values["purpose"],
            planned_at=parse_time(values["planned_at"], "planned_at",
                                  ctx.settings.registry.timezone),
            contact=values["contact"], tour=values["tour"] == "on", party_size=size,
            media_in=values["media_in"],
        )  # fmt: skip
    except ValueError:
        message = _t(request)("ledgers.error.visit_invalid", detail="party_size")
        return _visit_page(request, ctx, principal, 422, (message,), values)
    except GwanjeError as exc:
        message = translate(exc.key, language_of(request), **exc.params)
        return _visit_page(request, ctx, principal, exc.status, (message,), values)
    failed = _visit_work(ctx, request, principal, lambda v: v.register(data))
    return failed or RedirectResponse("/visitors", status_code=303)


def _version(form: PostedForm) -> int | None:
    raw = str(form.get("version") or "")
    return int(raw) if raw.isdigit() else None


@router.post("/visitors/{visit_id}/decide", response_class=HTMLResponse)
def decide_visit(request: Request, ctx: Ctx, principal: Head, visit_id: int,
                 form: PostedForm) -> Response:  # fmt: skip
    action, version = str(form.get("action") or ""), _version(form)
    reason = str(form.get("reason") or "")
    jobs: dict[str, Callable[[Visitors], object]] = {
        "approve": lambda v: v.approve(visit_id, version),
        "refuse": lambda v: v.refuse(visit_id, reason, version),
    }
    if action not in jobs:
        raise NotFound("ledgers.error.visit_not_found", visit_id=visit_id)
    failed = _visit_work(ctx, request, principal, jobs[action])
    return failed or RedirectResponse("/visitors", status_code=303)


@router.post("/visitors/{visit_id}/check-in", response_class=HTMLResponse)
def check_in(request: Request, ctx: Ctx, principal: Staff, visit_id: int,
             form: PostedForm) -> Response:  # fmt: skip
    escort, media = str(form.get("escort") or ""), form.get("media_in")
    version = _version(form)
    failed = _visit_work(ctx, request, principal, lambda v: v.check_in(
        visit_id, escort, None if media is None else str(media), version))  # fmt: skip
    return failed or RedirectResponse("/visitors", status_code=303)


@router.post("/visitors/{visit_id}/check-out", response_class=HTMLResponse)
def check_out(request: Request, ctx: Ctx, principal: Staff, visit_id: int,
              form: PostedForm) -> Response:  # fmt: skip
    media, version = str(form.get("media_out") or ""), _version(form)
    failed = _visit_work(ctx, request, principal, lambda v: v.check_out(visit_id, media, version))
    return failed or RedirectResponse("/visitors", status_code=303)


def _period(ctx: Gwanje, request: Request) -> tuple[dict[str, str], datetime | None,
                                                     datetime | None]:  # fmt: skip
    zone, params = _zone(ctx), request.query_params
    found: dict[str, date] = {}
    for name in ("date_from", "date_to"):
        raw = (params.get(name) or "").strip()
        try:
            if raw:
                found[name] = date.fromisoformat(raw)
        except ValueError as exc:
            raise InvalidInput("ledgers.error.bad_filter", field=name, value=raw[:40]) from exc
    start = datetime.combine(found["date_from"], time(0), zone) if "date_from" in found else None
    end = (datetime.combine(found["date_to"] + timedelta(days=1), time(0), zone)
           if "date_to" in found else None)  # fmt: skip
    return {k: v.isoformat() for k, v in found.items()}, start, end


Lines = list[dict[str, str]]


def _visitor_ledger(ctx: Gwanje, request: Request, limit: int) -> tuple[dict[str, str], Lines]:
    params, start, end = _period(ctx, request)
    with ctx.sessions() as session:
        visits = visits_between(session, start, end, limit)
        return params, visit_lines(session, visits, _zone(ctx), _t(request))


@router.get("/visitors/ledger", response_class=HTMLResponse)
def visitor_ledger_page(request: Request, ctx: Ctx, principal: Reader) -> Response:
    params, lines = _visitor_ledger(ctx, request, 1000)
    _audit_read(ctx, request, principal, "visitors", "html", params, len(lines))
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return render_with(TEMPLATES, request, "ledgers/visitor_ledger.html", lines=lines,
                       columns=VISIT_COLUMNS, values=params, query=query)  # fmt: skip


@router.get("/visitors/ledger/{fmt}")
def visitor_ledger_download(request: Request, ctx: Ctx, principal: Reader, fmt: str) -> Response:
    if fmt not in FORMATS:
        raise NotFound("ledgers.error.format", fmt=fmt[:10])
    t = _t(request)
    params, lines = _visitor_ledger(ctx, request, 100_000)
    _audit_read(ctx, request, principal, "visitors", fmt, params, len(lines))
    sheet = _sheet(ctx, t("ledgers.visitors.title"),
                   [t(f"ledgers.vcol.{c}") for c in VISIT_COLUMNS],
                   [[line[c] for c in VISIT_COLUMNS] for line in lines],
                   ctx.settings.ledgers.visitor_form_code, _subtitle(t, params),
                   VISIT_WIDTHS)  # fmt: skip
    return _download(sheet, fmt, "visitor-ledger")
