"""HTTP routes of the reports: the self-inspection (/reports/inspection, ORD-13) and the
monthly access-record review (/reports/access-review, PIPA-3), each as a page and a PDF.

Invariants: every route names its permission (`report.read` for the inspection,
`audit.read` to read the access review since it shows access records, `report.review`
to record a review); every generation and every recorded review is an audit entry in the
request's transaction; a malformed month is a translated 422, never a crash.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from gwanje.auth.permissions import Permission as P
from gwanje.auth.principal import Principal
from gwanje.i18n import translate
from gwanje.reports import access_review as review_mod
from gwanje.reports.common import bars, local_text, previous_month, zone_of
from gwanje.reports.inspection import report as inspection
from gwanje.reports.inspection.base import Status
from gwanje.web.deps import Ctx, DbSession, PostedForm
from gwanje.web.render import language_of, render_with
from gwanje.web.security import client_ip, requires

router = APIRouter()
Reader = Annotated[Principal, requires(P.REPORT_READ)]
RecordsReader = Annotated[Principal, requires(P.AUDIT_READ)]
Reviewer = Annotated[Principal, requires(P.REPORT_REVIEW)]
TEMPLATES = Jinja2Templates(
    directory=[Path(__file__).parent / "templates", Path(__file__).parents[1] / "web" / "templates"]
)


def _render(request: Request, template: str, **values: Any) -> Response:
    return render_with(TEMPLATES, request, template, **values)


def _pdf(data: bytes, name: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(data, media_type="application/pdf", headers=headers)


# ---- self-inspection (ORD-13) ------------------------------------------------------------
def _inspect(
    request: Request, principal: Principal, session: DbSession, ctx: Ctx, fmt: str
) -> inspection.InspectionReport:
    report = inspection.run_inspection(session, ctx.clock, ctx.settings)
    inspection.audit_generated(
        session, ctx.clock, report, principal.actor, client_ip(request), fmt, "web"
    )
    return report


@router.get("/reports/inspection", response_class=HTMLResponse)
def inspection_page(request: Request, principal: Reader, session: DbSession, ctx: Ctx) -> Response:
    """The self-inspection run now on live data, with every requirement's status."""
    report = _inspect(request, principal, session, ctx, "html")
    lang = language_of(request)
    counts = report.requirement_counts()
    labels = [inspection.status_label(s, lang) for s in counts]
    return _render(
        request, "reports/inspection.html", report=report,
        chart=bars(labels, list(counts.values())), statuses=Status,
        at=local_text(report.generated_at, zone_of(ctx.settings)),
    )  # fmt: skip


@router.get("/reports/inspection.pdf")
def inspection_pdf(request: Request, principal: Reader, session: DbSession, ctx: Ctx) -> Response:
    """The same report as a PDF (Korean or English, as the page)."""
    report = _inspect(request, principal, session, ctx, "pdf")
    data = inspection.render_pdf(report, ctx.settings, language_of(request))
    stamp = report.generated_at.astimezone(zone_of(ctx.settings)).strftime("%Y%m%d")
    return _pdf(data, f"inspection-{stamp}.pdf")


# ---- monthly access review (PIPA-3) ------------------------------------------------------
def _review(
    request: Request, principal: Principal, session: DbSession, ctx: Ctx, fmt: str
) -> review_mod.AccessReview:
    default = previous_month(ctx.clock.now(), zone_of(ctx.settings))
    month = request.query_params.get("month") or default
    review = review_mod.build_review(session, ctx.settings, ctx.clock, month)
    review_mod.audit_generated(
        session, ctx.clock, review, principal.actor, client_ip(request), fmt, "web"
    )
    return review


@router.get("/reports/access-review", response_class=HTMLResponse)
def review_page(
    request: Request, principal: RecordsReader, session: DbSession, ctx: Ctx
) -> Response:
    """One month's access records: actions per account and anomalies with evidence."""
    review = _review(request, principal, session, ctx, "html")
    lang = language_of(request)
    kinds = review.by_kind()
    labels = [translate(f"reports.anomaly.{k.value}", lang) for k in kinds]
    return _render(
        request, "reports/access_review.html", review=review, mod=review_mod,
        chart=bars(labels, list(kinds.values())), can_review=principal.can(P.REPORT_REVIEW),
        recorded=request.query_params.get("recorded") == "1", lang=lang,
    )  # fmt: skip


@router.get("/reports/access-review.pdf")
def review_pdf(
    request: Request, principal: RecordsReader, session: DbSession, ctx: Ctx
) -> Response:
    """The month's review as a PDF."""
    review = _review(request, principal, session, ctx, "pdf")
    data = review_mod.render_pdf(review, ctx.settings, language_of(request))
    return _pdf(data, f"access-review-{review.month.label}.pdf")


@router.post("/reports/access-review")
def review_record(
    request: Request, principal: Reviewer, session: DbSession, ctx: Ctx, form: PostedForm
) -> Response:
    """Record that the month's review was done, with the reviewer's note (audited)."""
    month = str(form.get("month") or "")
    note = str(form.get("note") or "")
    review = review_mod.record_review(
        session, ctx.settings, ctx.clock, principal.actor, client_ip(request), month, note
    )
    target = f"/reports/access-review?month={review.month.label}&recorded=1"
    return RedirectResponse(target, status_code=303)
