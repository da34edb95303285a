"""Audit events of shifts and the room (ORD-19, 20.1, 20.3, 22.3, 22.4; PIPA-3).

Roster and schedule changes name the person who made them; a handover signature is the
signer's own authenticated action; tour mode on and off is recorded with the tour visit
it was switched for. Reading the out-of-shift flags and producing a situation log read
the audit ledger, so they are recorded like any other reading of access records.
"""

from __future__ import annotations

from gwanje.audit.events import AuditEvent


class StaffSet(AuditEvent):
    """A person's place on the roster was set: staff kind (ORD-19), team and lead."""

    event_type = "shift.staff_set"
    description = "근무자 등록·변경 / staff set on the roster"
    person_id: int
    kind: str
    team: str | None
    lead: bool


class TeamCreated(AuditEvent):
    """A shift team (근무조) was created."""

    event_type = "shift.team_created"
    description = "근무조 생성 / shift team created"
    code: str
    name: str


class PatternCreated(AuditEvent):
    """A shift pattern (근무 형태) was defined: its shifts, cycle and team offsets."""

    event_type = "shift.pattern_created"
    description = "근무 형태 등록 / shift pattern created"
    code: str
    name: str
    shifts: list[str]
    cycle: list[str]
    offsets: dict[str, int]


class ScheduleGenerated(AuditEvent):
    """The schedule of a pattern was generated for local days `first`..`last`."""

    event_type = "shift.schedule_generated"
    description = "근무 편성표 생성 / schedule generated"
    pattern: str
    first: str
    last: str
    slots: int


class ShiftSwapped(AuditEvent):
    """One person replaced another on one shift (근무 대체), with the reason."""

    event_type = "shift.swapped"
    description = "근무 대체 / shift swapped"
    slot_id: int
    day: str
    shift: str
    out_person_id: int
    in_person_id: int
    reason: str


class PurposeAssigned(AuditEvent):
    """An operator was assigned the cameras of one purpose for one shift (ORD-20.3)."""

    event_type = "shift.purpose_assigned"
    description = "목적별 관제 배정 / purpose assigned"
    slot_id: int
    person_id: int
    purpose: str
    district: str | None
    department_id: int | None


class HandoverOpened(AuditEvent):
    """A handover (인수인계) was opened for a shift change, with the open incidents."""

    event_type = "handover.opened"
    description = "인수인계 작성 / handover opened"
    handover_id: int
    from_slot_id: int
    to_slot_id: int
    open_incidents: list[int]


class HandoverChecked(AuditEvent):
    """The handover checklist or notes were updated before signing."""

    event_type = "handover.checked"
    description = "인수인계 점검표 기록 / handover checklist updated"
    handover_id: int
    checked: list[str]
    notes: str


class HandoverSigned(AuditEvent):
    """A lead signed a handover: the outgoing one first, then the incoming one; the
    second signature completes it (ORD-20.1, 22.3)."""

    event_type = "handover.signed"
    description = "인수인계 서명 / handover signed"
    handover_id: int
    side: str
    complete: bool


class TourModeChanged(AuditEvent):
    """Tour mode (견학 모드) was switched on or off for every wall in the center
    (ORD-22.4), optionally for a checked-in tour visit."""

    event_type = "tour.mode_changed"
    description = "견학 모드 전환 / tour mode changed"
    active: bool
    visit_id: int | None
    reason: str


class OutOfShiftViewed(AuditEvent):
    """Someone listed the out-of-shift flags (read from the audit ledger)."""

    event_type = "shift.flags_viewed"
    description = "근무시간 외 접근 조회 / out-of-shift flags viewed"
    flags: int


class SituationLogGenerated(AuditEvent):
    """The daily situation log (상황일지) of a day or one shift was produced."""

    event_type = "shift.situation_log"
    description = "상황일지 생성 / situation log generated"
    day: str
    shift: str | None
    format: str
    channel: str
