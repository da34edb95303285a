"""Audit events of the reports: generating a report and recording a review are
processing of access records and are audited like any other (PIPA-3, ORD-13)."""

from __future__ import annotations

from gwanje.audit.events import AuditEvent


class AccessReviewGenerated(AuditEvent):
    """The monthly access-record review report (PIPA-3) was generated for `month`
    (YYYY-MM) as `format` (html or pdf), through `channel` (web or cli), with the number
    of anomalies it flagged."""

    event_type = "report.access_review_generated"
    description = "접속기록 월간 점검 보고서 생성 / access review report generated"
    month: str
    format: str
    channel: str
    entries: int
    anomalies: int


class AccessReviewRecorded(AuditEvent):
    """A reviewer recorded that the monthly review of access records for `month` was
    done (PIPA-3), with their note and the anomalies the report showed at the time."""

    event_type = "report.access_review_recorded"
    description = "접속기록 월간 점검 완료 기록 / access review recorded"
    month: str
    note: str
    anomalies: int


class InspectionGenerated(AuditEvent):
    """The self-inspection report (ORD-13) was generated as `format` through `channel`,
    with how many checks passed, warned and failed."""

    event_type = "report.inspection_generated"
    description = "자체점검 보고서 생성 / self-inspection report generated"
    format: str
    channel: str
    passed: int
    warned: int
    failed: int
