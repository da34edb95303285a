"""The registered inspection checks: one line each (key, requirement IDs, function).

To add a check: write `def my_check(session, clock, settings) -> CheckResult` in any
module (read live data, return a status and evidence rows), add one line below, and
add its title `reports.check.<key>` to gwanje/i18n/catalogs/reports.{ko,en}.json.
See docs/design/reports.md, "Adding a check".
"""

from __future__ import annotations

from gwanje.reports.inspection import cameras, records, workflows
from gwanje.reports.inspection.base import Check

CHECKS: tuple[Check, ...] = (
    Check("camera_signage", ("ORD-9", "PIPA-1"), cameras.camera_signage),
    Check("camera_consultation", ("ORD-8",), cameras.camera_consultation),
    Check("camera_standards", ("ORD-3", "ORD-6", "ORD-7"), cameras.camera_standards),
    Check("camera_linked", ("ORD-15",), cameras.camera_linked),
    Check("camera_end_of_life", ("ORD-12",), cameras.camera_end_of_life),
    Check("recording_gaps", ("ORD-12", "ORD-16.1"), cameras.recording_gaps),
    Check("retention_period", ("ORD-31.1",), records.retention_period),
    Check("retention_overdue", ("ORD-31.1",), records.retention_overdue),
    Check("holds_review", ("ORD-31.1",), records.holds_review),
    Check("requests_waiting", ("ORD-28.2",), records.requests_waiting),
    Check("emergency_followup", ("ORD-28.3",), records.emergency_followup),
    Check("provided_copies", ("ORD-31.2",), records.provided_copies),
    Check("staff_clearance", ("ORD-14.4", "ORD-25"), records.staff_clearance),
    Check("audit_chain", ("PIPA-3", "ORD-30.3"), records.audit_chain),
    Check("access_record_retention", ("PIPA-3",), records.access_record_retention),
    Check("access_review_done", ("PIPA-3",), records.access_review_done),
    Check("subject_requests", ("ORD-29.2", "PIPA-4"), workflows.subject_requests),
    Check("visitor_ledger", ("ORD-22.2", "PIPA-6"), workflows.visitor_ledger),
    Check("protection_plans", ("ORD-5.2",), workflows.protection_plans),
)
