"""Inspection checks of retention, holds, access requests, provided copies, staff
clearances and the audit ledger (ORD-14.4, 25, 28.2, 28.3, 30.3, 31.1, 31.2; PIPA-3).
Each reads live rows; the rows that fail are its evidence."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gwanje.audit.checkpoints import HEAD_FILE, CheckpointFileError, read_head
from gwanje.audit.keys import AuditKeyError, public_key_of
from gwanje.audit.models import AuditEntry
from gwanje.audit.verify import verify_ledger
from gwanje.clock import Clock, as_utc
from gwanje.governance import provision
from gwanje.governance.kinds import RequestState
from gwanje.governance.models import AccessRequest
from gwanje.media.models import Segment
from gwanje.people import access
from gwanje.people.models import Person
from gwanje.registry.models import Camera
from gwanje.reports.access_review import recorded_reviews
from gwanje.reports.common import local_text, previous_month, zone_of
from gwanje.reports.inspection.base import CheckResult, Status
from gwanje.retention.destruction import unheld
from gwanje.retention.models import LegalHold
from gwanje.retention.purge import cutoffs
from gwanje.retention.service import MAX_RETENTION_DAYS
from gwanje.settings import Settings

PURGE_GRACE = timedelta(days=1)  # the purge runs every few minutes; a day is generous


def retention_period(session: Session, clock: Clock, settings: Settings) -> CheckResult:
    """ORD-31.1: no camera (and not the center default) keeps video beyond 30 days."""
    default = settings.registry.retention_days
    rows: list[tuple[object, ...]] = []
    if default > MAX_RETENTION_DAYS:
        rows.append(("(default)", default))
    over = session.execute(
        select(Camera.code, Camera.retention_days)
        .where(Camera.retention_days > MAX_RETENTION_DAYS).order_by(Camera.code)
    ).all()  # fmt: skip
    rows += list(over)
    checked = session.scalar(select(func.count()).select_from(Camera)) or 0
    status = Status.FAIL if rows else Status.PASS
    params = {"bad": len(rows), "checked": checked, "default": default}
    columns = ("reports.col.camera", "reports.col.days")
    return CheckResult(status, "reports.summary.retention_period", params, columns, rows)


def retention_overdue(session: Session, clock: Clock, settings: Settings) -> CheckResult:
    """ORD-31.1: no footage older than its camera's retention survives without a legal
    hold. Past retention by more than a day fails; within a day warns (purge pending)."""
    now = clock.now()
    rows: list[tuple[object, ...]] = []
    late = False
    for days, camera_ids in sorted(cutoffs(session, settings.registry.retention_days).items()):
        found = session.execute(
            select(Camera.code, func.count(Segment.id), func.min(Segment.start_at),
                   func.max(Segment.end_at), func.sum(Segment.bytes))
            .join(Camera, Camera.id == Segment.camera_id)
            .where(Segment.camera_id.in_(camera_ids), unheld())
            .where(Segment.end_at < now - timedelta(days=days))
            .group_by(Camera.code)
        ).all()  # fmt: skip
        for code, count, oldest, newest, size in found:
            late = late or as_utc(newest) < now - timedelta(days=days) - PURGE_GRACE
            rows.append((code, days, count, local_text(oldest, zone_of(settings)), size))
    status = Status.FAIL if late else (Status.WARN if rows else Status.PASS)
    columns = ("reports.col.camera", "reports.col.days", "reports.col.segments",
               "reports.col.oldest", "reports.col.bytes")  # fmt: skip
    params = {"bad": len(rows)}
    return CheckResult(status, "reports.summary.retention_overdue", params, columns, sorted(rows))


def holds_review(session: Session, clock: Clock, settings: Settings) -> CheckResult:
    """ORD-31.1: active legal holds are reviewed by their review date."""
    now = clock.now()
    zone = zone_of(settings)
    active = list(session.scalars(
        select(LegalHold).where(LegalHold.released_at.is_(None)).order_by(LegalHold.review_at)
    ))  # fmt: skip
    codes = {r[0]: r[1] for r in session.execute(select(Camera.id, Camera.code))}
    owners = {r[0]: r[1] for r in session.execute(select(Person.id, Person.username))}
    rows = [
        (h.id, codes.get(h.camera_id, ""), h.ground, owners.get(h.owner_id, ""),
         local_text(h.review_at, zone), h.source)
        for h in active if as_utc(h.review_at) < now
    ]  # fmt: skip
    status = Status.WARN if rows else Status.PASS
    columns = ("reports.col.hold", "reports.col.camera", "reports.col.ground",
               "reports.col.owner", "reports.col.review_at", "reports.col.source")  # fmt: skip
    params = {"bad": len(rows), "active": len(active)}
    return CheckResult(status, "reports.summary.holds", params, columns, rows)


REQUEST_COLUMNS = ("reports.col.request", "reports.col.requester", "reports.col.basis",
                   "reports.col.state", "reports.col.since")  # fmt: skip


def _request_row(request: AccessRequest, when: object, settings: Settings) -> tuple[object, ...]:
    since = local_text(when, zone_of(settings)) if when else ""  # type: ignore[arg-type]
    who = f"{request.requester_org} {request.requester_name}"
    return (request.id, who, request.legal_basis, request.state, since)


def requests_waiting(session: Session, clock: Clock, settings: Settings) -> CheckResult:
    """ORD-28.2: submitted access requests are decided; waiting longer than
    `reports.access_request_days` warns."""
    limit = clock.now() - timedelta(days=settings.reports.access_request_days)
    waiting = list(session.scalars(
        select(AccessRequest).where(AccessRequest.state == RequestState.SUBMITTED.value)
        .where(AccessRequest.created_at < limit).order_by(AccessRequest.id)
    ))  # fmt: skip
    rows = [_request_row(r, r.created_at, settings) for r in waiting]
    params = {"bad": len(rows), "days": settings.reports.access_request_days}
    status = Status.WARN if rows else Status.PASS
    return CheckResult(status, "reports.summary.requests", params, REQUEST_COLUMNS, rows)


def emergency_followup(session: Session, clock: Clock, settings: Settings) -> CheckResult:
    """ORD-28.3: an emergency approval is confirmed by the mayor in time, or recalled; one
    still standing past its follow-up deadline fails."""
    overdue = list(session.scalars(
        select(AccessRequest)
        .where(AccessRequest.state == RequestState.EMERGENCY_APPROVED.value)
        .where(AccessRequest.followup_due_at < clock.now()).order_by(AccessRequest.id)
    ))  # fmt: skip
    rows = [_request_row(r, r.followup_due_at, settings) for r in overdue]
    status = Status.FAIL if rows else Status.PASS
    return CheckResult(status, "reports.summary.emergency", {"bad": len(rows)},
                       REQUEST_COLUMNS, rows)  # fmt: skip


def provided_copies(session: Session, clock: Clock, settings: Settings) -> CheckResult:
    """ORD-31.2: provided copies past their destruction date have a confirmation."""
    zone = zone_of(settings)
    late = provision.overdue(session, clock.now())
    rows = [
        (p.id, p.request_id, p.export_id, p.recipient, local_text(p.delivered_at, zone),
         local_text(p.destroy_by, zone))
        for p in late
    ]  # fmt: skip
    status = Status.FAIL if rows else Status.PASS
    columns = ("reports.col.provision", "reports.col.request", "reports.col.export",
               "reports.col.recipient", "reports.col.delivered",
               "reports.col.destroy_by")  # fmt: skip
    return CheckResult(status, "reports.summary.provisions", {"bad": len(rows)}, columns, rows)


def staff_clearance(session: Session, clock: Clock, settings: Settings) -> CheckResult:
    """ORD-14.4, ORD-25: every active person holding a role has a valid security pledge
    and a valid security training."""
    now = clock.now()
    rows: list[tuple[object, ...]] = []
    people = list(session.scalars(select(Person).where(Person.active.is_(True))))
    staff = 0
    for person in sorted(people, key=lambda p: p.username):
        roles = sorted({s.role.value for s in access.role_sources(session, person.id, now)})
        if not roles:
            continue
        staff += 1
        pledge = access.has_valid_pledge(session, person.id, now)
        training = access.has_valid_training(session, person.id, now)
        if not (pledge and training):
            rows.append((person.username, person.organisation, ", ".join(roles),
                         "✓" if pledge else "✗", "✓" if training else "✗"))  # fmt: skip
    columns = ("reports.col.person", "reports.col.organisation", "reports.col.roles",
               "reports.col.pledge", "reports.col.training")  # fmt: skip
    status = Status.FAIL if rows else (Status.PASS if staff else Status.NOT_APPLICABLE)
    return CheckResult(status, "reports.summary.staff", {"bad": len(rows), "checked": staff},
                       columns, rows)  # fmt: skip


def audit_chain(session: Session, clock: Clock, settings: Settings) -> CheckResult:
    """PIPA-3, ORD-30.3: the whole audit ledger verifies (hash chain and signed
    checkpoints, including the head file outside the database)."""
    data_dir = settings.data_dir
    try:
        head = read_head(data_dir / HEAD_FILE)
        key = public_key_of(data_dir)
    except (AuditKeyError, CheckpointFileError) as exc:
        return CheckResult(Status.FAIL, "reports.summary.chain_setup", {"detail": str(exc)[:200]})
    report = verify_ledger(sessionmaker(bind=session.get_bind()), key, [head] if head else [])
    first = report.first_problem
    rows = [(p.seq, p.kind.value, p.message) for p in report.problems]
    params = {"entries": report.entries, "checkpoints": report.checkpoints}
    if first is None:
        return CheckResult(Status.PASS, "reports.summary.chain_ok", params)
    columns = ("reports.col.seq", "reports.col.problem", "reports.col.detail")
    return CheckResult(Status.FAIL, "reports.summary.chain_bad", {**params, "seq": first.seq},
                       columns, rows)  # fmt: skip


def access_record_retention(session: Session, clock: Clock, settings: Settings) -> CheckResult:
    """PIPA-3: access records are kept at least `audit.access_record_years` years. Gwanje
    never deletes audit entries; here the ledger must still start at seq 1 and have no
    hole (count = highest seq), and the oldest entry's date is reported."""
    count, low, high, oldest = session.execute(
        select(func.count(), func.min(AuditEntry.seq), func.max(AuditEntry.seq),
               func.min(AuditEntry.at))
    ).one()  # fmt: skip
    years = settings.audit.access_record_years
    if not count:
        return CheckResult(Status.NOT_APPLICABLE, "reports.summary.no_entries")
    params = {"count": count, "oldest": local_text(oldest, zone_of(settings)), "years": years}
    if low != 1 or high != count:
        params |= {"low": low, "high": high}
        return CheckResult(Status.FAIL, "reports.summary.records_missing", params)
    return CheckResult(Status.PASS, "reports.summary.records_kept", params)


def access_review_done(session: Session, clock: Clock, settings: Settings) -> CheckResult:
    """PIPA-3: last month's access records were reviewed (a review is recorded)."""
    month = previous_month(clock.now(), zone_of(settings))
    reviews = recorded_reviews(session, month)
    rows = [(month, r.reviewer, local_text(r.at, zone_of(settings)), r.note) for r in reviews]
    columns = ("reports.col.month", "reports.col.reviewer", "reports.col.at", "reports.col.note")
    status = Status.PASS if reviews else Status.WARN
    key = "reports.summary.review_done" if reviews else "reports.summary.review_missing"
    return CheckResult(status, key, {"month": month}, columns, rows)
