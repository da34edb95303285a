"""Schema of incidents and notifications (docs/design/incidents.md).

Invariants:
- an incident's state and a notification's state change only through
  `gwanje.operations.incidents` and `gwanje.operations.notify.outbox`, by conditional
  UPDATEs on (state, version), so two staff or two dispatchers never both win;
- a notification's payload is frozen when it is queued (what was sent is what was
  recorded); its acknowledgement token is derived from the master secret and its id
  (`outbox.ack_token`), so the database holds no token to steal.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gwanje.db.base import Base, UTCDateTime, one_of
from gwanje.operations.kinds import (
    ChannelKind,
    EntryKind,
    IncidentSource,
    IncidentState,
    IncidentType,
    NotificationState,
    Severity,
    SnapshotSource,
)


class Incident(Base):
    """Something the center responds to (상황): a crime, accident, fire, disaster…"""

    __tablename__ = "incidents"
    __table_args__ = (
        CheckConstraint(one_of("type", IncidentType), name="type_known"),
        CheckConstraint(one_of("severity", Severity), name="severity_known"),
        CheckConstraint(one_of("source", IncidentSource), name="source_known"),
        CheckConstraint(one_of("state", IncidentState), name="state_known"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(24))
    severity: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closing_note: Mapped[str] = mapped_column(Text, default="")

    cameras: Mapped[list[IncidentCamera]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="IncidentCamera.camera_id"
    )


class IncidentCamera(Base):
    """A camera involved in an incident."""

    __tablename__ = "incident_cameras"
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id"), primary_key=True)


class IncidentEntry(Base):
    """One line of an incident's timeline (상황 경과)."""

    __tablename__ = "incident_entries"
    __table_args__ = (CheckConstraint(one_of("kind", EntryKind), name="kind_known"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    actor: Mapped[str] = mapped_column(String(64))  # username or "system:<job>"
    text: Mapped[str] = mapped_column(Text, default="")
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"))


class Notification(Base):
    """One delivery of an incident to one recipient over one channel: the outbox row."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(one_of("state", NotificationState), name="state_known"),
        CheckConstraint(one_of("channel", ChannelKind), name="channel_known"),
        Index("ix_notifications_due", "state", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # An incident's notification, or (None) a notice of another workflow: `topic` says
    # which (e.g. "recall": provided copies recalled, ORD-28.3; "destroy_overdue":
    # a provided copy past its destruction date, ORD-31.2) and `ref_id` its record.
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    topic: Mapped[str] = mapped_column(String(16), default="incident")
    ref_id: Mapped[int | None] = mapped_column(Integer)
    recipient: Mapped[str] = mapped_column(String(32))  # OperationsSettings recipient name
    channel: Mapped[str] = mapped_column(String(8))
    channel_index: Mapped[int] = mapped_column(Integer)  # which of the recipient's channels
    address: Mapped[str] = mapped_column(String(256))  # where it went (never a secret)
    payload: Mapped[str] = mapped_column(Text)  # JSON, frozen when queued
    state: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ack_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acked_via: Mapped[str | None] = mapped_column(String(8))
    acked_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    ack_note: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[int] = mapped_column(Integer, default=0)  # escalation level
    escalated_from: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"))


class IncidentSnapshot(Base):
    """A still of a camera kept with an incident (상황 스냅샷): part of the incident record,
    kept as long as the incident (docs/design/incidents.md, "Snapshots").

    The JPEG lives at `<data>/incidents/<incident_id>/<n>.jpg`, written before this row
    (temp file, fsync, rename); privacy masks are burned into it (ORD-26.1)."""

    __tablename__ = "incident_snapshots"
    __table_args__ = (
        CheckConstraint(one_of("source", SnapshotSource), name="source_known"),
        UniqueConstraint("incident_id", "n"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    n: Mapped[int] = mapped_column(Integer)  # file name within the incident's folder
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id"))
    stream: Mapped[str] = mapped_column(String(8))  # main or sub
    source: Mapped[str] = mapped_column(String(8))  # live tap or recorded segment
    frame_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the frame was seen (UTC)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    taken_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    actor: Mapped[str] = mapped_column(String(64))  # username or "system:<job>"
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)  # bytes of the JPEG
    sha256: Mapped[str] = mapped_column(String(64))  # hex digest of the JPEG
    masks: Mapped[int] = mapped_column(Integer, default=0)  # mask polygons burned in
