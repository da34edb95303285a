"""Visitors of the controlled area (출입자 관리, ORD-22.1-22.4, PIPA-6).

```
requested ──approve (VISITOR_APPROVE: the center head)──▶ approved ──check_in──▶ checked_in
    └──refuse──▶ refused                                            ──check_out──▶ checked_out
```

Invariants:
- a visit enters the center only after the center head's prior approval (ORD-22.2):
  `check_in` of a visit in any other state is refused, and changes nothing;
- a public tour checks in only with an escorting officer (ORD-22.4);
- each transition is a conditional UPDATE on (state, version) plus its audit entry in one
  transaction: of two people acting on the same visit at once exactly one wins, the
  other gets a Conflict naming the state found;
- registering and checking in/out need `visitor.manage`; approving and refusing need
  `visitor.approve`; the service checks, whatever the route did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gwanje.audit import record
from gwanje.audit.events import AuditEvent
from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.clock import Clock
from gwanje.errors import Conflict, Forbidden, InvalidInput, NotFound
from gwanje.ledgers import events
from gwanje.ledgers.models import Visit, VisitState
from gwanje.people.models import Person

TEXT_MAX = 2000


@dataclass(frozen=True)
class VisitInput:
    organisation: str
    name: str
    purpose: str
    planned_at: datetime
    contact: str = ""
    tour: bool = False
    party_size: int = 1
    media_in: str = ""


@dataclass
class Visitors:
    """The visitor workflow for one principal inside one transaction."""

    session: Session
    clock: Clock
    principal: Principal
    source_ip: str | None = None

    def register(self, data: VisitInput) -> Visit:
        self._require(Permission.VISITOR_MANAGE)
        for value, name in ((data.organisation, "organisation"), (data.name, "name"),
                            (data.purpose, "purpose")):  # fmt: skip
            _text(value, name)
        if not 1 <= data.party_size <= 500:
            raise InvalidInput("ledgers.error.visit_invalid", detail="party_size: 1-500")
        visit = Visit(
            organisation=data.organisation.strip(), name=data.name.strip(),
            contact=_text(data.contact, "contact", required=False),
            purpose=data.purpose.strip(), planned_at=data.planned_at, tour=data.tour,
            party_size=data.party_size, media_in=_text(data.media_in, "media_in", False),
            media_out="", state=VisitState.REQUESTED, version=1, decision_reason="",
            requested_by=self.principal.person_id, requested_at=self.clock.now(),
        )  # fmt: skip
        self.session.add(visit)
        self.session.flush()
        self._audit(visit, events.VisitRequested, organisation=visit.organisation,
                    name=visit.name, purpose=visit.purpose, planned_at=visit.planned_at,
                    tour=visit.tour, party_size=visit.party_size,
                    media_in=visit.media_in)  # fmt: skip
        return visit

    def approve(self, visit_id: int, version: int | None = None) -> Visit:
        """ORD-22.2: the center head's prior approval."""
        self._require(Permission.VISITOR_APPROVE)
        visit = self._load(visit_id, version)
        self._move(visit, VisitState.REQUESTED, VisitState.APPROVED,
                   decided_by=self.principal.person_id, decided_at=self.clock.now())  # fmt: skip
        self._audit(visit, events.VisitApproved)
        return visit

    def refuse(self, visit_id: int, reason: str, version: int | None = None) -> Visit:
        self._require(Permission.VISITOR_APPROVE)
        visit = self._load(visit_id, version)
        reason = _text(reason, "reason")
        self._move(visit, VisitState.REQUESTED, VisitState.REFUSED, decision_reason=reason,
                   decided_by=self.principal.person_id, decided_at=self.clock.now())  # fmt: skip
        self._audit(visit, events.VisitRefused, reason=reason)
        return visit

    def check_in(self, visit_id: int, escort: str = "", media_in: str | None = None,
                 version: int | None = None) -> Visit:  # fmt: skip
        self._require(Permission.VISITOR_MANAGE)
        visit = self._load(visit_id, version)
        if visit.state != VisitState.APPROVED:  # ORD-22.2: no entry without prior approval
            raise Conflict("ledgers.error.not_approved", state=visit.state)
        escort_person = self._person(escort) if escort.strip() else None
        if visit.tour and escort_person is None:  # ORD-22.4
            raise InvalidInput("ledgers.error.tour_needs_escort")
        brought = visit.media_in if media_in is None else _text(media_in, "media_in", False)
        self._move(visit, VisitState.APPROVED, VisitState.CHECKED_IN, media_in=brought,
                   escort_id=escort_person.id if escort_person else None,
                   checked_in_at=self.clock.now(),
                   checked_in_by=self.principal.person_id)  # fmt: skip
        self._audit(visit, events.VisitCheckedIn, media_in=brought,
                    escort=escort_person.username if escort_person else None)  # fmt: skip
        return visit

    def check_out(self, visit_id: int, media_out: str = "",
                  version: int | None = None) -> Visit:  # fmt: skip
        self._require(Permission.VISITOR_MANAGE)
        visit = self._load(visit_id, version)
        taken = _text(media_out, "media_out", False)
        self._move(visit, VisitState.CHECKED_IN, VisitState.CHECKED_OUT, media_out=taken,
                   checked_out_at=self.clock.now(),
                   checked_out_by=self.principal.person_id)  # fmt: skip
        self._audit(visit, events.VisitCheckedOut, media_out=taken)
        return visit

    # ---- helpers -----------------------------------------------------------------------
    def _require(self, permission: Permission) -> None:
        if not self.principal.can(permission):
            raise Forbidden("error.forbidden", permission=permission.value)

    def _load(self, visit_id: int, version: int | None) -> Visit:
        visit = self.session.get(Visit, visit_id)
        if visit is None:
            raise NotFound("ledgers.error.visit_not_found", visit_id=visit_id)
        if version is not None and version != visit.version:
            raise Conflict("ledgers.error.changed", state=visit.state)
        return visit

    def _person(self, username: str) -> Person:
        found = self.session.scalar(
            select(Person).where(Person.username == username.strip().lower(), Person.active)
        )
        if found is None:
            raise InvalidInput("ledgers.error.escort_unknown", username=username.strip())
        return found

    def _move(self, visit: Visit, expected: VisitState, new: VisitState, **values: Any) -> None:
        """Change state only if nobody changed it since we read it (one winner)."""
        result = self.session.execute(
            update(Visit)
            .where(Visit.id == visit.id, Visit.state == expected, Visit.version == visit.version)
            .values(state=new, version=Visit.version + 1, **values)
            .execution_options(synchronize_session=False)
        )
        self.session.refresh(visit)
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("ledgers.error.changed", state=visit.state)

    def _audit(self, visit: Visit, event_type: type[AuditEvent], **details: object) -> None:
        event = event_type(  # type: ignore[call-arg]
            actor=self.principal.actor, source_ip=self.source_ip, visit_id=visit.id, **details
        )
        record(self.session, event, self.clock)


def _text(value: str, name: str, required: bool = True) -> str:
    value = value.strip()
    if (required and not value) or len(value) > TEXT_MAX:
        raise InvalidInput("ledgers.error.visit_invalid", detail=name)
    return value


# ---- the visitor ledger (출입자 관리대장, PIPA-6) ----------------------------------------

VISIT_COLUMNS = (
    "date", "time_in", "time_out", "organisation", "name", "purpose", "approver",
    "media_in", "media_out", "escort", "tour", "state", "sources",
)  # fmt: skip


def visits_between(session: Session, start: datetime | None, end: datetime | None,
                   limit: int = 100_000) -> list[Visit]:  # fmt: skip
    """Visits planned in [start, end), newest first."""
    query = select(Visit)
    if start is not None:
        query = query.where(Visit.planned_at >= start)
    if end is not None:
        query = query.where(Visit.planned_at < end)
    return list(session.scalars(query.order_by(Visit.planned_at.desc(), Visit.id.desc())
                                .limit(limit)))  # fmt: skip


def visit_lines(session: Session, visits: list[Visit], zone: Any,
                t: Any) -> list[dict[str, str]]:  # fmt: skip
    """The ledger's rows as display text keyed by `VISIT_COLUMNS`."""
    ids = {v for visit in visits for v in (visit.decided_by, visit.escort_id) if v}
    query = select(Person.id, Person.display_name).where(Person.id.in_(ids))
    names = dict(session.execute(query).all()) if ids else {}

    def local(value: datetime | None, fmt: str) -> str:
        return "" if value is None else value.astimezone(zone).strftime(fmt)

    return [{
        "date": local(v.checked_in_at or v.planned_at, "%Y-%m-%d"),
        "time_in": local(v.checked_in_at, "%H:%M"), "time_out": local(v.checked_out_at, "%H:%M"),
        "organisation": v.organisation, "name": v.name, "purpose": v.purpose,
        "approver": names.get(v.decided_by or 0, "") if v.state != VisitState.REFUSED else "",
        "media_in": v.media_in, "media_out": v.media_out,
        "escort": names.get(v.escort_id or 0, ""),
        "tour": t("ledgers.tour_party", count=v.party_size) if v.tour else "",
        "state": t(f"ledgers.visit_state.{v.state}"), "sources": f"visit #{v.id}",
        "id": str(v.id), "raw_state": v.state, "version": str(v.version),
        "tour_flag": "1" if v.tour else "",
    } for v in visits]  # fmt: skip
