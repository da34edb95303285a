"""Inspection checks of the protection workflows that came after the first checks:
data-subject requests (ORD-29.2, PIPA-4), the visitor ledger (ORD-22.2) and the privacy
officer's plans (ORD-5.2). Each reads live data and never writes (see base.py)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gwanje.clock import Clock
from gwanje.governance.models import PlanVersion
from gwanje.governance.subjects.kinds import UNDECIDED, SubjectKind, SubjectState
from gwanje.governance.subjects.models import SubjectRequest
from gwanje.ledgers.models import Visit, VisitState
from gwanje.reports.common import local_text, zone_of
from gwanje.reports.inspection.base import CheckResult, Status
from gwanje.settings import Settings

# A granted viewing should reach the subject soon after the decision: masking a short
# clip takes minutes, so a week without a release is worth a look (a warning).
RELEASE_WARN_DAYS = 7
# Nobody stays in the controlled room this long: a missing check-out is a ledger gap.
VISIT_MAX_HOURS = 12


def subject_requests(session: Session, clock: Clock, settings: Settings) -> CheckResult:
    """ORD-29.2, PIPA-4: every request decided within its 10 days; granted viewings
    released to the subject."""
    zone, now = zone_of(settings), clock.now()
    late = session.scalars(
        select(SubjectRequest).where(SubjectRequest.state.in_([s.value for s in UNDECIDED]),
                                     SubjectRequest.due_at <= now)
        .order_by(SubjectRequest.due_at)
    ).all()  # fmt: skip
    waiting = session.scalars(
        select(SubjectRequest).where(
            SubjectRequest.state == SubjectState.GRANTED.value,
            SubjectRequest.kind == SubjectKind.VIEWING.value,
            SubjectRequest.decided_at <= now - timedelta(days=RELEASE_WARN_DAYS))
    ).all()  # fmt: skip
    rows = [(r.receipt_no, r.state, local_text(r.received_at, zone), local_text(r.due_at, zone))
            for r in (*late, *waiting)]  # fmt: skip
    status = Status.FAIL if late else Status.WARN if waiting else Status.PASS
    columns = ("reports.col.receipt", "reports.col.state", "reports.col.received",
               "reports.col.due")  # fmt: skip
    params = {"late": len(late), "waiting": len(waiting)}
    return CheckResult(status, "reports.summary.subject_requests", params, columns, rows)


def visitor_ledger(session: Session, clock: Clock, settings: Settings) -> CheckResult:
    """ORD-22.2, PIPA-6: every visitor in the ledger checked out (no one left inside
    unrecorded)."""
    zone, cutoff = zone_of(settings), clock.now() - timedelta(hours=VISIT_MAX_HOURS)
    open_visits = session.scalars(
        select(Visit).where(Visit.state == VisitState.CHECKED_IN.value,
                            Visit.checked_in_at <= cutoff).order_by(Visit.checked_in_at)
    ).all()  # fmt: skip
    rows = [(v.id, v.organisation, v.name, local_text(v.checked_in_at, zone))
            for v in open_visits if v.checked_in_at is not None]  # fmt: skip
    columns = ("reports.col.visit", "reports.col.organisation", "reports.col.name",
               "reports.col.checked_in")  # fmt: skip
    status = Status.WARN if rows else Status.PASS
    return CheckResult(status, "reports.summary.visitors", {"bad": len(rows)}, columns, rows)


def protection_plans(session: Session, clock: Clock, settings: Settings) -> CheckResult:
    """ORD-5.2: the privacy officer's protection plan and training plan exist for this
    year."""
    year = clock.now().astimezone(zone_of(settings)).year
    kinds = set(session.scalars(select(PlanVersion.kind).where(PlanVersion.year == year)))
    missing = [(year, kind) for kind in ("protection", "training") if kind not in kinds]
    status = Status.FAIL if missing else Status.PASS
    columns = ("reports.col.year", "reports.col.plan")
    return CheckResult(status, "reports.summary.plans", {"bad": len(missing)}, columns,
                       missing)  # fmt: skip
