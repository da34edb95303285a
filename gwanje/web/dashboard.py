"""The home page's work list (오늘 할 일): for each thing the signed-in person may act on,
how many are waiting and where to go. Counts are live queries, only for permissions the
person holds; nothing here changes anything.

Each card: (key, count or None, urgent, link). `urgent` marks what is overdue or ringing,
so the page can put it first and in red.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from gwanje.auth.permissions import Permission as P
from gwanje.auth.principal import Principal


@dataclass(frozen=True)
class Card:
    key: str  # i18n: dashboard.card.<key>
    count: int | None
    urgent: bool
    href: str


def _count(session: Session, query: Select[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def _incidents(session: Session, now: datetime) -> Card:
    from gwanje.operations.models import Incident

    n = _count(session, select(Incident.id).where(Incident.state == "open"))
    return Card("incidents_open", n, False, "/incidents")


def _bells(session: Session, now: datetime) -> Card:
    from gwanje.operations.bells_models import BellCall

    ringing = select(BellCall.id).where(BellCall.state == "ringing")
    n = _count(session, ringing)
    return Card("bells_ringing", n, n > 0, "/wall")


def _requests(session: Session, now: datetime) -> Card:
    from gwanje.governance.models import AccessRequest

    waiting = select(AccessRequest.id).where(
        AccessRequest.state.in_(("submitted", "emergency_approved")))  # fmt: skip
    return Card("requests_waiting", _count(session, waiting), False, "/requests")


def _provisions(session: Session, now: datetime) -> Card:
    from gwanje.governance.provision import overdue_count

    n = overdue_count(session, now)
    return Card("copies_overdue", n, n > 0, "/provisions")


def _subjects(session: Session, now: datetime) -> Card:
    from gwanje.governance.subjects.kinds import UNDECIDED
    from gwanje.governance.subjects.models import SubjectRequest

    undecided = [s.value for s in UNDECIDED]
    late = select(SubjectRequest.id).where(SubjectRequest.state.in_(undecided),
                                           SubjectRequest.due_at <= now)  # fmt: skip
    open_ = select(SubjectRequest.id).where(SubjectRequest.state.in_(undecided))
    n_late = _count(session, late)
    return Card("subjects_undecided", _count(session, open_), n_late > 0,
                "/subjects?overdue=1" if n_late else "/subjects")  # fmt: skip


def _visits(session: Session, now: datetime) -> Card:
    from gwanje.ledgers.models import Visit

    n = _count(session, select(Visit.id).where(Visit.state == "requested"))
    return Card("visits_to_approve", n, False, "/visitors")


def _tickets(session: Session, now: datetime) -> Card:
    from gwanje.camhealth.kinds import ACTIVE_STATES
    from gwanje.camhealth.models import MaintenanceTicket

    active = [s.value for s in ACTIVE_STATES]
    open_ = select(MaintenanceTicket.id).where(MaintenanceTicket.state.in_(active))
    late = open_.where(MaintenanceTicket.due_at <= now)
    n_late = _count(session, late)
    return Card("tickets_open", _count(session, open_), n_late > 0, "/maintenance")


# permission → the card it shows; in the order the page lists them (urgent ones first).
CARDS: tuple[tuple[P, Callable[[Session, datetime], Card]], ...] = (
    (P.INCIDENT_MANAGE, _bells),
    (P.INCIDENT_READ, _incidents),
    (P.REQUEST_APPROVE, _requests),
    (P.VIDEO_EXPORT, _provisions),
    (P.SUBJECT_REQUEST_MANAGE, _subjects),
    (P.VISITOR_APPROVE, _visits),
    (P.MAINTENANCE_TICKET, _tickets),
)


def cards(session: Session, principal: Principal, now: datetime) -> list[Card]:
    """The person's cards, urgent first (a stable order otherwise)."""
    found = [make(session, now) for permission, make in CARDS if principal.can(permission)]
    return sorted(found, key=lambda c: not c.urgent)
