"""The roster and the schedule (근무자 현황·근무 편성, ORD-19, 20.1).

Owns: staff kinds on persons, teams, patterns, generating slots and duties from a
pattern, manual swaps, and "who is on duty at t".

Invariants:
- changes need `shift.manage`; each is one audit entry in the same transaction;
- generating is idempotent: a slot that exists is kept with its duties and swaps, so
  generating a range again never undoes a swap;
- a swap is a conditional UPDATE of the outgoing duty (active → inactive): two managers
  swapping the same person at once, one wins;
- on duty at t means an active duty on a slot with start_at <= t < end_at (UTC; local
  days and shift starts are the city's zone, `registry.timezone`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gwanje.auth.permissions import Permission
from gwanje.errors import Conflict, InvalidInput, NotFound
from gwanje.people.models import Person
from gwanje.settings import Settings
from gwanje.shifts import events, patterns
from gwanje.shifts.models import (
    ShiftDuty,
    ShiftPattern,
    ShiftSlot,
    ShiftSwap,
    ShiftTeam,
    Staff,
    StaffKind,
)
from gwanje.shifts.service import ShiftService

MAX_DAYS = 92


def zone(settings: Settings) -> ZoneInfo:
    return ZoneInfo(settings.registry.timezone)


def spec_of(row: ShiftPattern) -> patterns.PatternSpec:
    return patterns.parse(
        row.code,
        row.name,
        json.loads(row.shifts),
        json.loads(row.cycle),
        json.loads(row.offsets),
        row.anchor,
    )


@dataclass
class Roster(ShiftService):
    permission = Permission.SHIFT_MANAGE

    def create_team(self, code: str, name: str) -> ShiftTeam:
        self._require()
        if not patterns.CODE.match(code) or not name.strip():
            raise InvalidInput("shifts.error.invalid", detail="team code, name")
        if self.session.scalar(select(ShiftTeam).where(ShiftTeam.code == code)):
            raise Conflict("shifts.error.exists", what=code)
        team = ShiftTeam(code=code, name=name.strip()[:64])
        self.session.add(team)
        self.session.flush()
        self._audit(events.TeamCreated, code=team.code, name=team.name)
        return team

    def set_staff(self, person_id: int, kind: str, team_code: str | None, lead: bool) -> Staff:
        """Put a person on the roster (ORD-19) or change their kind, team or lead."""
        self._require()
        if kind not in {k.value for k in StaffKind}:
            raise InvalidInput("shifts.error.invalid", detail="kind")
        person = self.session.get(Person, person_id)
        if person is None or not person.active:
            raise NotFound("shifts.error.person_not_found", person=person_id)
        team = self._team(team_code) if team_code else None
        row = self.session.get(Staff, person_id) or Staff(person_id=person_id)
        row.kind, row.team_id, row.lead = kind, team.id if team else None, lead
        row.updated_at = self.clock.now()
        self.session.add(row)
        self.session.flush()
        self._audit(
            events.StaffSet,
            person_id=person_id,
            kind=kind,
            team=team.code if team else None,
            lead=lead,
        )
        return row

    def _team(self, code: str) -> ShiftTeam:
        team = self.session.scalar(select(ShiftTeam).where(ShiftTeam.code == code))
        if team is None:
            raise NotFound("shifts.error.team_not_found", team=code)
        return team

    def create_pattern(self, spec: patterns.PatternSpec) -> ShiftPattern:
        self._require()
        for team in spec.offsets:
            self._team(team)
        if self.session.scalar(select(ShiftPattern).where(ShiftPattern.code == spec.code)):
            raise Conflict("shifts.error.exists", what=spec.code)
        row = ShiftPattern(
            code=spec.code,
            name=spec.name,
            anchor=spec.anchor.isoformat(),
            shifts=json.dumps([s.__dict__ for s in spec.shifts], ensure_ascii=False),
            cycle=json.dumps(list(spec.cycle)),
            offsets=json.dumps(spec.offsets),
            created_at=self.clock.now(),
        )
        self.session.add(row)
        self.session.flush()
        self._audit(
            events.PatternCreated,
            code=spec.code,
            name=spec.name,
            shifts=[s.code for s in spec.shifts],
            cycle=list(spec.cycle),
            offsets=spec.offsets,
        )
        return row

    def generate(self, pattern_code: str, first: date, last: date) -> list[ShiftSlot]:
        """Slots and duties for local days first..last (inclusive); existing slots kept."""
        self._require()
        if not 0 <= (last - first).days < MAX_DAYS:
            raise InvalidInput("shifts.error.invalid", detail=f"range: 1-{MAX_DAYS} days")
        row = self.session.scalar(select(ShiftPattern).where(ShiftPattern.code == pattern_code))
        if row is None:
            raise NotFound("shifts.error.pattern_not_found", pattern=pattern_code)
        spec, where = spec_of(row), zone(self.settings)
        teams = {t.code: t for t in self.session.scalars(select(ShiftTeam))}
        members: dict[int, list[Staff]] = {}
        for staff in self.session.scalars(select(Staff)):
            if staff.team_id is not None:
                members.setdefault(staff.team_id, []).append(staff)
        kept = select(ShiftSlot.day, ShiftSlot.shift_code).where(
            ShiftSlot.pattern_id == row.id,
            ShiftSlot.day.between(first.isoformat(), last.isoformat()),
        )
        existing = {(day, code) for day, code in self.session.execute(kept)}
        made: list[ShiftSlot] = []
        for n in range((last - first).days + 1):
            day = first + timedelta(days=n)
            for code, team_code in sorted(spec.on_day(day).items()):
                if (day.isoformat(), code) in existing:
                    continue  # kept with its duties and swaps
                team = teams[team_code]
                shift = spec.shift(code)
                made.append(self._slot(row, shift, day, team, members.get(team.id, []), where))
        self._audit(
            events.ScheduleGenerated,
            pattern=pattern_code,
            first=first.isoformat(),
            last=last.isoformat(),
            slots=len(made),
        )
        return made

    def _slot(
        self,
        pattern: ShiftPattern,
        shift: patterns.ShiftDef,
        day: date,
        team: ShiftTeam,
        members: list[Staff],
        where: ZoneInfo,
    ) -> ShiftSlot:
        start, end = shift.bounds(day, where)
        slot = ShiftSlot(
            pattern_id=pattern.id,
            day=day.isoformat(),
            shift_code=shift.code,
            label=shift.label,
            start_at=start,
            end_at=end,
            team_id=team.id,
        )
        self.session.add(slot)
        self.session.flush()
        for member in members:
            self.session.add(
                ShiftDuty(
                    slot_id=slot.id,
                    person_id=member.person_id,
                    lead=member.lead,
                    origin="pattern",
                    active=True,
                )
            )
        return slot

    def swap(self, slot_id: int, out_person: int, in_person: int, reason: str) -> ShiftSwap:
        """`in_person` works `slot_id` instead of `out_person` (근무 대체), with a reason."""
        self._require()
        slot = self.session.get(ShiftSlot, slot_id)
        if slot is None:
            raise NotFound("shifts.error.slot_not_found", slot=slot_id)
        reason = reason.strip()
        if not reason or len(reason) > 500 or out_person == in_person:
            raise InvalidInput("shifts.error.invalid", detail="reason, two different people")
        if self.session.get(Staff, in_person) is None:
            raise InvalidInput("shifts.error.not_on_roster", person=in_person)
        leaving = self._active_duty(slot_id, out_person)
        self._take_over(slot_id, in_person, leaving.lead)
        swap = ShiftSwap(
            slot_id=slot_id,
            out_person_id=out_person,
            in_person_id=in_person,
            reason=reason,
            recorded_by=self.principal.person_id,
            recorded_at=self.clock.now(),
        )
        self.session.add(swap)
        self.session.flush()
        self._audit(
            events.ShiftSwapped,
            slot_id=slot_id,
            day=slot.day,
            shift=slot.shift_code,
            out_person_id=out_person,
            in_person_id=in_person,
            reason=reason,
        )
        return swap

    def _active_duty(self, slot_id: int, person_id: int) -> ShiftDuty:
        duty = self.session.scalar(
            select(ShiftDuty).where(ShiftDuty.slot_id == slot_id, ShiftDuty.person_id == person_id)
        )
        won = self.session.execute(
            update(ShiftDuty)
            .where(
                ShiftDuty.slot_id == slot_id,
                ShiftDuty.person_id == person_id,
                ShiftDuty.active.is_(True),
            )
            .values(active=False)
        ).rowcount  # type: ignore[attr-defined]
        if duty is None or won != 1:
            raise Conflict("shifts.error.not_on_shift", person=person_id)
        return duty

    def _take_over(self, slot_id: int, person_id: int, lead: bool) -> None:
        duty = self.session.scalar(
            select(ShiftDuty).where(ShiftDuty.slot_id == slot_id, ShiftDuty.person_id == person_id)
        )
        if duty is not None and duty.active:
            raise Conflict("shifts.error.already_on_shift", person=person_id)
        if duty is None:
            duty = ShiftDuty(slot_id=slot_id, person_id=person_id)
            self.session.add(duty)
        duty.lead, duty.origin, duty.active = lead, "swap", True
        self.session.flush()


# ---- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OnDuty:
    person_id: int
    username: str
    display_name: str
    kind: str | None
    lead: bool
    origin: str
    slot_id: int
    shift_code: str
    label: str
    day: str
    start_at: datetime
    end_at: datetime


def _duty_query() -> Any:
    return (
        select(ShiftDuty, ShiftSlot, Person, Staff.kind)
        .join(ShiftSlot, ShiftSlot.id == ShiftDuty.slot_id)
        .join(Person, Person.id == ShiftDuty.person_id)
        .outerjoin(Staff, Staff.person_id == ShiftDuty.person_id)
        .where(ShiftDuty.active.is_(True))
    )


def _on_duty(row: Any) -> OnDuty:
    duty, slot, person, kind = row
    return OnDuty(
        person.id,
        person.username,
        person.display_name,
        kind,
        duty.lead,
        duty.origin,
        slot.id,
        slot.shift_code,
        slot.label,
        slot.day,
        slot.start_at,
        slot.end_at,
    )


def on_duty(session: Session, at: datetime) -> list[OnDuty]:
    """Everyone on duty at `at`, leads first."""
    rows = session.execute(
        _duty_query()
        .where(ShiftSlot.start_at <= at, ShiftSlot.end_at > at)
        .order_by(ShiftSlot.start_at, ShiftDuty.lead.desc(), Person.username)
    )
    return [_on_duty(r) for r in rows]


def slot_staff(session: Session, slot_id: int) -> list[OnDuty]:
    rows = session.execute(
        _duty_query()
        .where(ShiftSlot.id == slot_id)
        .order_by(ShiftDuty.lead.desc(), Person.username)
    )
    return [_on_duty(r) for r in rows]


def slots_of_day(session: Session, day: str) -> list[ShiftSlot]:
    return list(
        session.scalars(select(ShiftSlot).where(ShiftSlot.day == day).order_by(ShiftSlot.start_at))
    )


def next_slot(session: Session, slot: ShiftSlot) -> ShiftSlot | None:
    """The shift that takes over from `slot` (same pattern, starts when or after it ends)."""
    return session.scalar(
        select(ShiftSlot)
        .where(
            ShiftSlot.pattern_id == slot.pattern_id,
            ShiftSlot.start_at >= slot.start_at,
            ShiftSlot.id != slot.id,
            ShiftSlot.start_at <= slot.end_at,
        )
        .order_by(ShiftSlot.start_at.desc())
        .limit(1)
    )
