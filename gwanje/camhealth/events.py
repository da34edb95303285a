"""Audit events of maintenance tickets (ORD-11, ORD-12): one typed event per transition,
written in the transaction of the change; the camera is in the common `camera_ids`."""

from __future__ import annotations

from datetime import datetime

from gwanje.audit.events import AuditEvent


class TicketOpened(AuditEvent):
    """A maintenance ticket was opened, by the health monitor (a persisting image or
    recorder fault) or by staff, and assigned to the camera's contractor (if any)."""

    event_type = "maintenance.ticket_opened"
    description = "유지보수 요청 접수 / maintenance ticket opened"
    ticket_id: int
    kind: str
    severity: str
    source: str
    contractor_id: int | None
    due_at: datetime


class TicketRecurred(AuditEvent):
    """The fault of an unclosed ticket was seen again: an occurrence is appended (a
    resolved ticket goes back to open)."""

    event_type = "maintenance.ticket_recurred"
    description = "장애 재발생 / fault recurred"
    ticket_id: int
    kind: str
    occurrences: int
    reopened: bool


class TicketAcknowledged(AuditEvent):
    """The contractor (or staff) acknowledged the ticket."""

    event_type = "maintenance.ticket_acknowledged"
    description = "유지보수 요청 확인 / ticket acknowledged"
    ticket_id: int


class TicketStarted(AuditEvent):
    """Work on the ticket started."""

    event_type = "maintenance.ticket_started"
    description = "유지보수 작업 착수 / work started"
    ticket_id: int


class TicketResolved(AuditEvent):
    """The contractor reported the fault repaired; the camera's maintenance record (유지보수
    이력) was written."""

    event_type = "maintenance.ticket_resolved"
    description = "유지보수 완료 보고 / ticket resolved"
    ticket_id: int
    maintenance_record_id: int
    overdue: bool


class TicketClosed(AuditEvent):
    """Staff verified the repair (the health check passes again) and closed the ticket."""

    event_type = "maintenance.ticket_closed"
    description = "유지보수 완료 확인 (종결) / ticket closed"
    ticket_id: int
    health_state: str


class MaintainerAssigned(AuditEvent):
    """A camera's maintenance contractor was set (its future tickets go to them)."""

    event_type = "maintenance.maintainer_assigned"
    description = "유지보수 업체 지정 / maintainer assigned"
    contractor_id: int
