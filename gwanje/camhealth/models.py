"""Schema of maintenance (유지보수): tickets and their history, who maintains each camera,
and which accounts act for a contractor company (ORD-11, ORD-12).

Invariants:
- at most one unclosed ticket per camera and fault kind (partial unique index; staff's
  `other` tickets excepted): a fault that comes back appends an occurrence to it;
- a ticket's state changes only by compare-and-set on (id, state, version) in
  `tickets.py`, so of two concurrent transitions exactly one wins;
- every state change and occurrence has a `maintenance_ticket_events` row (the history)
  and an audit entry in the same transaction;
- a contractor account sees only tickets of its own company (`contractor_members`), and
  never video: the contractor role holds no video permission (ORD-11).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from gwanje.camhealth.kinds import FaultKind, Severity, TicketState
from gwanje.db.base import Base, UTCDateTime, one_of


class CameraMaintainer(Base):
    """The contractor that maintains a camera (유지보수 업체 지정)."""

    __tablename__ = "camera_maintainers"

    # The camera.
    camera_id: Mapped[int] = mapped_column(
        ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True
    )
    # The contractor company its tickets go to.
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"), index=True)
    # When it was assigned (UTC).
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ContractorMember(Base):
    """A person who acts for a contractor company (their tickets only; ORD-11)."""

    __tablename__ = "contractor_members"

    # The person's account (organisation kind contractor).
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    # The company.
    contractor_id: Mapped[int] = mapped_column(ForeignKey("contractors.id"), index=True)


class MaintenanceTicket(Base):
    """One fault of one camera, from detection to verified repair (장애 처리 요청)."""

    __tablename__ = "maintenance_tickets"
    __table_args__ = (
        CheckConstraint(one_of("kind", FaultKind), name="kind_known"),
        CheckConstraint(one_of("severity", Severity), name="severity_known"),
        CheckConstraint(one_of("state", TicketState), name="state_known"),
        CheckConstraint("source IN ('image', 'recorder', 'staff')", name="source_known"),
        Index(
            "uq_maintenance_tickets_one_unclosed",
            "camera_id",
            "kind",
            unique=True,
            sqlite_where=text("state <> 'closed' AND kind <> 'other'"),
            postgresql_where=text("state <> 'closed' AND kind <> 'other'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The camera at fault.
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id"), index=True)
    # FaultKind: what is wrong.
    kind: Mapped[str] = mapped_column(String(16))
    # Severity: decides the SLA.
    severity: Mapped[str] = mapped_column(String(16))
    # TicketState.
    state: Mapped[str] = mapped_column(String(16), index=True)
    # Who noticed: the image checks, the recorder, or staff.
    source: Mapped[str] = mapped_column(String(16))
    # The contractor it is assigned to (the camera's maintainer; NULL: none yet).
    contractor_id: Mapped[int | None] = mapped_column(ForeignKey("contractors.id"), index=True)
    # What was seen (check values, recorder detail, staff's description).
    detail: Mapped[str] = mapped_column(Text, default="")
    # When the fault was first seen (UTC).
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # SLA deadline: opened_at + health.sla_hours[severity] (UTC).
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the fault was last seen again (UTC).
    last_occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # How many times it was seen (1 + recurrences).
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The contractor's account of the repair.
    resolution: Mapped[str] = mapped_column(Text, default="")
    # When a reminder of the missed SLA was last queued (operations.notices.ticket_overdue).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The registry's maintenance record written when it was resolved.
    maintenance_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("camera_maintenance.id", ondelete="SET NULL")
    )
    # Incremented by every change: the compare-and-set token.
    version: Mapped[int] = mapped_column(Integer, default=1)


class TicketEvent(Base):
    """One step of a ticket's history: a state change or a recurrence."""

    __tablename__ = "maintenance_ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("maintenance_tickets.id", ondelete="CASCADE"), index=True
    )
    # When (UTC).
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # State before (NULL when opened) and after (equal for a recurrence).
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    # Who: a username, or "system" for the health monitor.
    actor: Mapped[str] = mapped_column(String(64))
    # Note typed by the actor or written by the monitor.
    note: Mapped[str] = mapped_column(Text, default="")
