"""HTTP routes of the audit subsystem: the auditor's ledger viewer and verification.

Invariants: every route names its permission (`audit.read`, `audit.verify`); every
viewing and every verification is itself recorded in the ledger, in the same request
transaction (auditors are audited too, PIPA-3); filters are parsed by
`gwanje.audit.query`, so bad input is a clear 422, never a crash.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gwanje.audit import record
from gwanje.audit.catalog import load_all_events
from gwanje.audit.checkpoints import HEAD_FILE, CheckpointFileError, read_head
from gwanje.audit.events import LedgerVerified, LedgerViewed, Outcome
from gwanje.audit.keys import AuditKeyError, public_key_of
from gwanje.audit.query import (
    LedgerFilter,
    LedgerPage,
    entry_json,
    list_entries,
    local_time,
    parse_filter,
    parse_page,
)
from gwanje.audit.verify import VerifyReport, verify_ledger
from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.context import Gwanje
from gwanje.errors import Conflict
from gwanje.web.deps import Ctx, DbSession
from gwanje.web.render import render
from gwanje.web.security import client_ip, requires

router = APIRouter()

Reader = Annotated[Principal, requires(Permission.AUDIT_READ)]
Verifier = Annotated[Principal, requires(Permission.AUDIT_VERIFY)]


def _viewed(
    request: Request, principal: Principal, f: LedgerFilter, page: LedgerPage
) -> LedgerViewed:
    return LedgerViewed(
        actor=principal.actor,
        source_ip=client_ip(request),
        filter_event_type=f.event_type,
        filter_actor=f.actor,
        filter_outcome=f.outcome.value if f.outcome else None,
        filter_camera_id=f.camera_id,
        filter_from=f.date_from,
        filter_to=f.date_to,
        page=page.page,
        shown=len(page.entries),
    )


def _read(
    request: Request, principal: Principal, session: DbSession, ctx: Gwanje
) -> tuple[LedgerFilter, LedgerPage]:
    params = dict(request.query_params)
    f = parse_filter(params)
    number, per_page = parse_page(params)
    page = list_entries(session, f, number, per_page)
    record(session, _viewed(request, principal, f, page), ctx.clock)
    return f, page


@router.get("/audit", response_class=HTMLResponse)
def ledger_page(request: Request, principal: Reader, session: DbSession, ctx: Ctx) -> Response:
    """The auditor's ledger viewer, newest first, with filters."""
    f, page = _read(request, principal, session, ctx)
    return render(
        request,
        "audit/ledger.html",
        filters=f,
        filter_params=f.query_params(),
        page=page,
        event_names=list(load_all_events()),
        outcomes=[o.value for o in Outcome],
        local_time=local_time,
        can_verify=principal.can(Permission.AUDIT_VERIFY),
    )


@router.get("/api/audit/entries")
def ledger_entries(
    request: Request, principal: Reader, session: DbSession, ctx: Ctx
) -> dict[str, Any]:
    """The same listing as JSON (same filters and pagination as /audit)."""
    _f, page = _read(request, principal, session, ctx)
    return {
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "pages": page.pages,
        "entries": [entry_json(e) for e in page.entries],
    }


def _run_verification(ctx: Gwanje) -> VerifyReport:
    data_dir = ctx.settings.data_dir
    try:
        head = read_head(data_dir / HEAD_FILE)
        key = public_key_of(data_dir)
    except (AuditKeyError, CheckpointFileError) as exc:
        raise Conflict("audit.error.verify_setup", detail=str(exc)[:200]) from exc
    return verify_ledger(ctx.sessions, key, [head] if head else [])


@router.post("/api/audit/verify")
def verify(request: Request, principal: Verifier, session: DbSession, ctx: Ctx) -> dict[str, Any]:
    """Verify the whole ledger now; the verdict is recorded as `audit.verified`."""
    report = _run_verification(ctx)
    first = report.first_problem
    event = LedgerVerified(
        actor=principal.actor,
        source_ip=client_ip(request),
        outcome=Outcome.OK if report.ok else Outcome.FAILED,
        ok=report.ok,
        entries=report.entries,
        first_bad_seq=first.seq if first else None,
        problem=first.kind.value if first else None,
    )
    record(session, event, ctx.clock)
    return {**report.model_dump(mode="json"), "summary": report.summary()}
