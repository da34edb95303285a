"""Schema of shifts and the room (docs/design/shifts.md).

Invariants:
- the schedule is materialised: `shift_slots` (one row per shift of one pattern on one
  local day, with its UTC bounds) and `shift_duties` (who works it). "On duty at t" and
  every out-of-shift flag are answered from these rows, so later roster changes never
  rewrite who was on duty in the past;
- a swap never deletes a duty: the person swapped out keeps the row with `active=False`,
  the swap row says who, whom, why and who recorded it;
- a handover changes state only by conditional UPDATEs on (id, version): of two people
  signing the same side at once exactly one wins;
- tour mode is one row (`id = 1`) changed by a conditional UPDATE on its version.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gwanje.db.base import Base, UTCDateTime, one_of


class StaffKind(StrEnum):
    """Who staffs the center (ORD-19)."""

    CIVIL_SERVANT = "civil_servant"  # 공무원
    POLICE_OFFICER = "police_officer"  # 경찰관
    OPERATOR = "professional_operator"  # 전문관제요원


class HandoverState(StrEnum):
    OPEN = "open"  # checklist being filled; nobody signed
    OUTGOING_SIGNED = "outgoing_signed"  # the outgoing lead signed
    COMPLETE = "complete"  # both signed


class ShiftTeam(Base):
    """A team (근무조), e.g. 1조 … 4조."""

    __tablename__ = "shift_teams"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # stable key, e.g. "1"
    name: Mapped[str] = mapped_column(String(64))  # shown, e.g. "1조"


class Staff(Base):
    """A person's place on the roster (근무자 현황, ORD-19)."""

    __tablename__ = "staff"
    __table_args__ = (CheckConstraint(one_of("kind", StaffKind), name="kind_known"),)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    # civil_servant / police_officer / professional_operator (ORD-19).
    kind: Mapped[str] = mapped_column(String(24))
    # The team the person works with; NULL: a day worker, not on the shift roster.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("shift_teams.id"), index=True)
    # The team's lead (조장): signs handovers for the team.
    lead: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ShiftPattern(Base):
    """A rotation (근무 형태), e.g. 4조 2교대 (주·야·비·휴) or 4조 3교대."""

    __tablename__ = "shift_patterns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    # JSON list of shifts: [{"code": "day", "label": "주간", "start": "09:00", "hours": 9}].
    shifts: Mapped[str] = mapped_column(Text)
    # JSON list, one entry per day of the cycle: a shift code or "" (off, 비번/휴무).
    cycle: Mapped[str] = mapped_column(Text)
    # JSON object team code → offset in days into the cycle on the anchor day.
    offsets: Mapped[str] = mapped_column(Text)
    # The local day (YYYY-MM-DD) on which offset 0 is cycle day 0.
    anchor: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ShiftSlot(Base):
    """One shift of one pattern on one local day (근무 편성표의 한 칸)."""

    __tablename__ = "shift_slots"
    __table_args__ = (UniqueConstraint("pattern_id", "day", "shift_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pattern_id: Mapped[int] = mapped_column(ForeignKey("shift_patterns.id"))
    day: Mapped[str] = mapped_column(String(10), index=True)  # local day the shift starts
    shift_code: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(64))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("shift_teams.id"))


class ShiftDuty(Base):
    """A person working a slot: from the pattern, or in by a swap."""

    __tablename__ = "shift_duties"
    __table_args__ = (UniqueConstraint("slot_id", "person_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("shift_slots.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    lead: Mapped[bool] = mapped_column(Boolean, default=False)
    origin: Mapped[str] = mapped_column(String(8))  # pattern | swap
    # False once swapped out (the row stays: who was scheduled is history).
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ShiftSwap(Base):
    """A manual change of the schedule (근무 교대·대체): one person for another."""

    __tablename__ = "shift_swaps"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("shift_slots.id"), index=True)
    out_person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    in_person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    reason: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PurposeAssignment(Base):
    """Cameras one operator watches in one slot, by purpose (ORD-20.3)."""

    __tablename__ = "purpose_assignments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("shift_slots.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))  # a registry purpose, e.g. crime
    # Narrow to one district (행정동/구) or one owning department; NULL: all.
    district: Mapped[str | None] = mapped_column(String(64))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Handover(Base):
    """The handover at one shift change (근무 인수인계, ORD-20.1, 22.3)."""

    __tablename__ = "handovers"
    __table_args__ = (CheckConstraint(one_of("state", HandoverState), name="state_known"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The shift handing over; one handover per outgoing slot.
    from_slot_id: Mapped[int] = mapped_column(ForeignKey("shift_slots.id"), unique=True)
    to_slot_id: Mapped[int] = mapped_column(ForeignKey("shift_slots.id"))
    state: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # JSON list: [{"key", "label", "required", "checked", "note"}] from the settings.
    checklist: Mapped[str] = mapped_column(Text)
    # JSON list of the incidents open when recorded: [{"id", "title", "severity"}].
    open_incidents: Mapped[str] = mapped_column(Text)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outgoing_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    outgoing_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    incoming_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    incoming_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TourMode(Base):
    """The center's tour mode switch (견학 모드, ORD-22.4): one row, id 1."""

    __tablename__ = "tour_mode"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The checked-in tour visit it was switched on for, if any (visitor ledger).
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"))
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
