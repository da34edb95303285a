"""Audit events of the ledgers (ORD-22.2, 22.4, 33; PIPA-3, PIPA-5, PIPA-6).

Every transition of a visit is one entry in the same transaction as the change, so the
visitor ledger and the audit ledger never disagree; reading or downloading a ledger is
itself recorded (the ledgers hold personal information, PIPA-3).
"""

from __future__ import annotations

from datetime import datetime

from gwanje.audit.events import AuditEvent


class VisitRequested(AuditEvent):
    """A visit to the controlled area was registered and awaits the center head's prior
    approval (ORD-22.2); `tour` marks a public tour (ORD-22.4)."""

    event_type = "visit.requested"
    description = "출입 신청 / visit requested"
    visit_id: int
    organisation: str
    name: str
    purpose: str
    planned_at: datetime
    tour: bool
    party_size: int
    media_in: str


class VisitApproved(AuditEvent):
    """The center head approved a visit in advance (ORD-22.2)."""

    event_type = "visit.approved"
    description = "출입 승인 / visit approved"
    visit_id: int


class VisitRefused(AuditEvent):
    """The center head refused a visit, with the reason."""

    event_type = "visit.refused"
    description = "출입 거부 / visit refused"
    visit_id: int
    reason: str


class VisitCheckedIn(AuditEvent):
    """An approved visitor entered the center: escorting officer and the storage media or
    devices brought in (PIPA-6)."""

    event_type = "visit.checked_in"
    description = "입실 / visitor checked in"
    visit_id: int
    escort: str | None
    media_in: str


class VisitCheckedOut(AuditEvent):
    """A visitor left the center: the storage media or devices taken out (PIPA-6; ORD-22.3:
    no video leaves the center)."""

    event_type = "visit.checked_out"
    description = "퇴실 / visitor checked out"
    visit_id: int
    media_out: str


class LedgerRead(AuditEvent):
    """Someone read a ledger (page or download) with the filters used and the number of
    rows shown; the ledgers hold personal information (PIPA-3)."""

    event_type = "ledger.read"
    description = "관리대장 열람·출력 / ledger read or downloaded"
    ledger: str  # management / visitors
    format: str  # html / csv / xlsx / pdf
    filters: dict[str, str]
    rows: int
