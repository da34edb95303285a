"""Tour mode (견학 모드, ORD-22.4): one switch for the whole center that takes
identifiable footage off every wall while a public tour is in the room.

Enforced on the server, not only in the page: while tour mode is on the live WebSocket
refuses new views (close 1008, `shifts.tour.active`) and ends the views already open
within `POLL_SECONDS` (gwanje/console/web.py asks `is_active`); the wall page receives the
mode and shows a placeholder in every tile. A switch is a conditional UPDATE on the row's
version (two staff switching at once: one wins) and an audit entry; switching on may name
a checked-in tour visit of the visitor ledger (ORD-22.2), which must exist and be a tour.

`is_active` is read by every open live view: it is cached per process for
`POLL_SECONDS`, so a wall of 16 tiles costs one query per second, not sixteen.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session

from gwanje.audit import record
from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.clock import Clock
from gwanje.context import Gwanje
from gwanje.errors import Conflict, Forbidden, InvalidInput
from gwanje.ledgers.models import Visit, VisitState
from gwanje.shifts.events import TourModeChanged
from gwanje.shifts.models import TourMode

POLL_SECONDS = 1.0
ROW_ID = 1


@dataclass(frozen=True)
class TourState:
    active: bool
    version: int
    visit_id: int | None

    def as_json(self) -> dict[str, object]:
        return {"active": self.active, "version": self.version, "visit_id": self.visit_id}


def state(session: Session) -> TourState:
    row = session.get(TourMode, ROW_ID)
    if row is None:
        return TourState(False, 0, None)
    return TourState(row.active, row.version, row.visit_id)


def switch(
    session: Session,
    clock: Clock,
    principal: Principal,
    active: bool,
    reason: str = "",
    visit_id: int | None = None,
    source_ip: str | None = None,
) -> TourState:
    """Turn tour mode on or off for every wall of the center (audited)."""
    if not principal.can(Permission.TOUR_MANAGE):
        raise Forbidden("error.forbidden", permission=Permission.TOUR_MANAGE.value)
    if visit_id is not None and active:
        _check_visit(session, visit_id)
    seen = _row(session)
    if seen.active == active:
        raise Conflict("shifts.error.tour_unchanged")
    won = session.execute(
        update(TourMode)
        .where(TourMode.id == ROW_ID, TourMode.version == seen.version)
        .values(
            active=active,
            version=seen.version + 1,
            visit_id=visit_id if active else None,
            changed_by=principal.person_id,
            changed_at=clock.now(),
        )
    ).rowcount  # type: ignore[attr-defined]
    if won != 1:
        raise Conflict("shifts.error.tour_unchanged")
    record(
        session,
        TourModeChanged(
            actor=principal.actor,
            source_ip=source_ip,
            active=active,
            visit_id=visit_id if active else None,
            reason=reason.strip()[:500],
        ),
        clock,
    )
    _cache.clear()
    return state(session)


def _row(session: Session) -> TourMode:
    row = session.get(TourMode, ROW_ID)
    if row is None:
        row = TourMode(id=ROW_ID, active=False, version=1)
        session.add(row)
        session.flush()
    return row


def _check_visit(session: Session, visit_id: int) -> None:
    visit = session.get(Visit, visit_id)
    if visit is None or not visit.tour or visit.state != VisitState.CHECKED_IN:
        raise InvalidInput("shifts.error.tour_visit", visit=visit_id)


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.values: dict[int, tuple[float, bool]] = {}

    def clear(self) -> None:
        with self.lock:
            self.values.clear()


_cache = _Cache()


def is_active(ctx: Gwanje) -> bool:
    """Tour mode now (cached per process for POLL_SECONDS; blocking: call off the loop)."""
    key, now = id(ctx), time.monotonic()
    with _cache.lock:
        hit = _cache.values.get(key)
    if hit is not None and now - hit[0] < POLL_SECONDS:
        return hit[1]
    with ctx.sessions() as session:
        value = state(session).active
    with _cache.lock:
        _cache.values[key] = (now, value)
    return value
