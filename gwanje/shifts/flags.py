"""Out-of-shift flags (근무시간 외 관제 행위): monitoring work done by a shift worker who
was not on duty at the time (ORD-20.1; PIPA-3 review).

Read from the audit ledger and the materialised schedule: an entry is flagged when its
event type is one of `shifts.checked_events` (live view start, incident actions), its
outcome is ok, its actor is a person on the shift roster (on a team, or ever given a
duty: day workers such as the center head are not shift workers and are not checked),
and no active duty of that person covers the entry's time, widened by
`shifts.grace_minutes` on each side (arriving early, handing over).

Invariant: read-only; the evidence is the stored entry (seq, time, actor, event,
cameras) so it can be found again in the ledger.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gwanje.audit.models import AuditEntry
from gwanje.clock import as_utc
from gwanje.settings import Settings
from gwanje.shifts.models import ShiftDuty, ShiftSlot, Staff


@dataclass(frozen=True)
class Flag:
    seq: int
    at: datetime
    actor_id: int
    actor: str
    event_type: str
    camera_ids: tuple[int, ...]
    source_ip: str | None


def _shift_workers(session: Session) -> set[int]:
    on_team = session.scalars(select(Staff.person_id).where(Staff.team_id.is_not(None)))
    with_duty = session.scalars(select(ShiftDuty.person_id).distinct())
    return set(on_team) | set(with_duty)


def _windows(
    session: Session, people: set[int], start: datetime, end: datetime, grace: timedelta
) -> dict[int, list[tuple[datetime, datetime]]]:
    rows = session.execute(
        select(ShiftDuty.person_id, ShiftSlot.start_at, ShiftSlot.end_at)
        .join(ShiftSlot, ShiftSlot.id == ShiftDuty.slot_id)
        .where(
            ShiftDuty.active.is_(True),
            ShiftDuty.person_id.in_(people),
            ShiftSlot.start_at < end + grace,
            ShiftSlot.end_at > start - grace,
        )
    ).all()
    found: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for person, first, last in rows:
        found[person].append((as_utc(first) - grace, as_utc(last) + grace))
    return found


def out_of_shift(
    session: Session, settings: Settings, start: datetime, end: datetime
) -> list[Flag]:
    """Flags for audit entries in [start, end), oldest first."""
    people = _shift_workers(session)
    if not people:
        return []
    cfg = settings.shifts
    grace = timedelta(minutes=cfg.grace_minutes)
    windows = _windows(session, people, start, end, grace)
    e = AuditEntry
    rows = session.execute(
        select(e.seq, e.at, e.actor_id, e.actor_name, e.event_type, e.camera_ids, e.source_ip)
        .where(
            e.at >= start,
            e.at < end,
            e.outcome == "ok",
            e.event_type.in_(cfg.checked_events),
            e.actor_id.in_(people),
        )
        .order_by(e.seq)
    ).all()
    flags: list[Flag] = []
    for seq, at, actor_id, actor, event_type, cameras, ip in rows:
        when = as_utc(at)
        if actor_id is None or any(a <= when < b for a, b in windows.get(actor_id, [])):
            continue
        ids = tuple(int(c) for c in (cameras or "").split(",") if c)
        flags.append(Flag(seq, when, actor_id, actor, event_type, ids, ip))
    return flags
