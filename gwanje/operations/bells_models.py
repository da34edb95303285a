"""Schema of emergency bell calls and response manuals (docs/design/bells.md).

- `bell_calls`: one row per bell activation (presses within `bells.dedupe_s` of the
  previous one join it): the incident it opened, the camera popped up, the wall alarm
  and its acknowledgement, and the call session (ringing → connected → ended) with who
  answered and ended it and when. No column holds audio or a reference to audio
  (ORD-10.2): there is nothing to point at, audio is never stored.
- `manual_versions`: the response manuals (업무매뉴얼, ORD-18.2), one row per version of
  the manual of an incident type; rows are never changed or deleted, an edit is a new
  version.
- `incident_manuals`: the manual version current when an incident was opened.
- `checklist_ticks`: the steps of that version an operator ticked.

Invariants:
- a call's state changes only through `gwanje.operations.bells`, by conditional UPDATEs
  on (state, version), so two operators answering at once: one wins;
- a manual version's number is max+1 for its type (unique constraint), so two editors
  saving at once: one wins, the other is told to reload.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gwanje.db.base import Base, UTCDateTime, one_of
from gwanje.operations.kinds import CallState, IncidentType, PressVia


class BellCall(Base):
    """One activation of an emergency bell (비상벨 호출) and its call session."""

    __tablename__ = "bell_calls"
    __table_args__ = (
        CheckConstraint(one_of("state", CallState), name="state_known"),
        CheckConstraint(one_of("via", PressVia), name="via_known"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The bell pressed.
    bell_id: Mapped[int] = mapped_column(ForeignKey("emergency_bells.id"), index=True)
    # The incident the press opened (source "bell").
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    # The camera popped up on the walls (the bell's first linked camera), if any.
    camera_id: Mapped[int | None] = mapped_column(ForeignKey("cameras.id"))
    # How the first press arrived (http, mqtt).
    via: Mapped[str] = mapped_column(String(8))
    # The gateway account that reported it (username of the token's owner).
    gateway: Mapped[str] = mapped_column(String(64))
    # First press (UTC).
    pressed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Latest press that joined this activation (duplicates within bells.dedupe_s).
    last_press_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Presses that made up this activation (1 + duplicates).
    presses: Mapped[int] = mapped_column(Integer, default=1)
    # When an operator acknowledged the wall alarm, and who (NULL: still alarming).
    alarm_acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    alarm_acked_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    # The call session: CallState.
    state: Mapped[str] = mapped_column(String(16), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Who answered (connected the voice session) and when.
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    # Who ended it and when; the reason (hung up, no answer, false alarm...).
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    end_note: Mapped[str] = mapped_column(Text, default="")


class ManualVersion(Base):
    """One version of the response manual (업무매뉴얼) of an incident type (ORD-18.2)."""

    __tablename__ = "manual_versions"
    __table_args__ = (
        CheckConstraint(one_of("incident_type", IncidentType), name="type_known"),
        UniqueConstraint("incident_type", "version"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The incident type the manual is for.
    incident_type: Mapped[str] = mapped_column(String(24))
    # 1, 2, 3 ... per type; the highest is current.
    version: Mapped[int] = mapped_column(Integer)
    # Title, e.g. "비상벨 호출 대응".
    title: Mapped[str] = mapped_column(String(200))
    # The checklist: a JSON list of step texts, in order.
    steps: Mapped[str] = mapped_column(Text)
    # Why this version was made (what was improved).
    change_note: Mapped[str] = mapped_column(Text)
    # Who wrote it (person and username at the time) and when (UTC).
    author_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IncidentManual(Base):
    """The manual version current when an incident was opened."""

    __tablename__ = "incident_manuals"
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    manual_version_id: Mapped[int] = mapped_column(ForeignKey("manual_versions.id"))


class ChecklistTick(Base):
    """A step of an incident's manual that an operator ticked (who, when)."""

    __tablename__ = "checklist_ticks"
    __table_args__ = (UniqueConstraint("incident_id", "step"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    manual_version_id: Mapped[int] = mapped_column(ForeignKey("manual_versions.id"))
    # 0-based index into the version's steps.
    step: Mapped[int] = mapped_column(Integer)
    ticked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ticked_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    actor: Mapped[str] = mapped_column(String(64))
