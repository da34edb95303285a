"""PIPA-3: access records are kept at least two years. Gwanje has no purge or rotation of
the audit ledger at all; these tests prove it two ways. (1) Behaviour: entries written
three years ago survive every job that deletes anything (retention purge, disk guard,
the emergency-recall sweep, `gwanje check --repair`), and the chain still verifies.
(2) Source: no module issues a DELETE, UPDATE or TRUNCATE on the audit tables, so a
future purge that touched them would fail here first."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from registry.helpers import audit_rows
from reports_kit import at, camera, live, person
from retention.retention_kit import FakeDisk, gone, segment, store
from sqlalchemy import func, select

from gwanje.audit.models import AuditCheckpoint, AuditEntry
from gwanje.audit.verify import verify_ledger
from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.governance.jobs import recall_overdue
from gwanje.media.check import check, repair
from gwanje.reports.inspection.base import Status
from gwanje.reports.inspection.records import access_record_retention
from gwanje.retention.guard import guard_disk
from gwanje.retention.purge import purge_expired

PACKAGE = Path(__file__).parents[2] / "gwanje"
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
AUDIT_TABLE = re.compile(r"audit_(entries|checkpoints)|AuditEntry|AuditCheckpoint")
WRITES = re.compile(r"\b(delete|update|DELETE|UPDATE|TRUNCATE|truncate)\b")


def _counts(ctx: Gwanje) -> tuple[int, int, int]:
    with ctx.sessions() as session:
        count, low, high = session.execute(
            select(func.count(), func.min(AuditEntry.seq), func.max(AuditEntry.seq))
        ).one()
        return count, low, high


def test_entries_older_than_two_years_survive_every_deleting_job(
    any_ctx: Gwanje, clock: FakeClock
) -> None:
    clock.set(NOW - timedelta(days=3 * 365))
    cam = camera(any_ctx, "YS-OLD-1", "SAFETY")
    kim = person(any_ctx, "kim", "SMARTCITY", "operator")
    for n in range(5):
        at(any_ctx, clock, NOW - timedelta(days=3 * 365 - n), live(kim, cam))
    old = [r.seq for r in audit_rows(any_ctx) if r.at.year <= 2024]
    assert len(old) >= 5
    where = store(any_ctx)
    clock.set(NOW)
    expired = segment(any_ctx, where, cam, NOW - timedelta(days=40))  # work for the jobs
    segment(any_ctx, where, cam, NOW - timedelta(days=2))
    before = _counts(any_ctx)

    purge_expired(any_ctx)
    any_ctx.settings.recording.min_free_bytes = 10**9
    guard_disk(any_ctx, where, FakeDisk(capacity=100))
    recall_overdue(any_ctx)
    repair(any_ctx, where, check(any_ctx, where))

    assert gone(any_ctx, expired)  # the jobs did delete what they may
    count, low, high = _counts(any_ctx)
    assert (low, high) == (1, count)
    assert count >= before[0]
    assert {r.seq for r in audit_rows(any_ctx)} >= set(old)
    assert verify_ledger(any_ctx.sessions).ok
    with any_ctx.transaction() as session:
        result = access_record_retention(session, clock, any_ctx.settings)
    assert result.status is Status.PASS
    assert result.params["oldest"].startswith("2023-")


def test_a_missing_entry_fails_the_inspection(any_ctx: Gwanje, clock: FakeClock) -> None:
    kim = person(any_ctx, "kim", "SMARTCITY", "operator")
    cam = camera(any_ctx, "YS-OLD-2", "SAFETY")
    at(any_ctx, clock, NOW, live(kim, cam))
    with any_ctx.transaction() as session:  # what a rotation would do
        session.query(AuditEntry).filter(AuditEntry.seq == 1).delete()
    with any_ctx.transaction() as session:
        result = access_record_retention(session, clock, any_ctx.settings)
    assert result.status is Status.FAIL
    assert result.params["low"] == 2


def test_no_module_deletes_or_rewrites_audit_rows() -> None:
    """Every statement near an audit table reference is a read or an insert."""
    offenders: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue  # schema only (a downgrade below 0001 is not a purge)
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if not AUDIT_TABLE.search(line) or line.lstrip().startswith(("#", '"', "-")):
                continue
            window = " ".join(lines[max(0, number - 2) : number + 3])
            if WRITES.search(window) and "never updated or deleted" not in window:
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{number + 1}: {line.strip()}")
    assert offenders == [], "audit rows must never be deleted or rewritten (PIPA-3)"
    assert AuditCheckpoint.__tablename__ == "audit_checkpoints"
