"""The privacy officer's plans (ORD-5.2): the yearly protection plan (개인영상정보
보호계획) and training plan (교육계획), versioned; and the training plan's progress from
the people registry's training records.

Invariants: a plan version is never changed or deleted (a revision is a new version, the
newest is in force); publishing needs `plan.manage` (the privacy officer) and is one
audit entry; two officers publishing at once cannot create the same version twice (the
unique constraint on (kind, year, version) — the loser gets a Conflict).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gwanje.audit import record
from gwanje.auth.permissions import VIDEO_PERMISSIONS, Permission, permissions_for
from gwanje.auth.principal import Principal
from gwanje.clock import Clock
from gwanje.errors import Conflict, Forbidden, InvalidInput
from gwanje.governance.events import PlanPublished
from gwanje.governance.models import PlanVersion
from gwanje.people.access import role_sources
from gwanje.people.models import Person, Training

KINDS = ("protection", "training")
TITLE_MAX, BODY_MAX = 200, 50_000


@dataclass
class Plans:
    session: Session
    clock: Clock
    principal: Principal
    source_ip: str | None = None

    def publish(self, kind: str, year: int, title: str, body: str,
                change_note: str = "") -> PlanVersion:  # fmt: skip
        if not self.principal.can(Permission.PLAN_MANAGE):
            raise Forbidden("error.forbidden", permission=Permission.PLAN_MANAGE.value)
        _check(kind, year, title, body)
        current = self.session.scalar(
            select(func.max(PlanVersion.version))
            .where(PlanVersion.kind == kind, PlanVersion.year == year)
        )  # fmt: skip
        row = PlanVersion(
            kind=kind, year=year, version=(current or 0) + 1, title=title.strip(),
            body=body.strip(), change_note=change_note.strip()[:2000],
            author_id=self.principal.person_id, created_at=self.clock.now(),
        )  # fmt: skip
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError:
            raise Conflict("governance.plans.error.conflict", kind=kind, year=year) from None
        record(self.session, PlanPublished(
            actor=self.principal.actor, source_ip=self.source_ip, kind=kind, year=year,
            version=row.version, title=row.title, change_note=row.change_note,
        ), self.clock)  # fmt: skip
        return row


def _check(kind: str, year: int, title: str, body: str) -> None:
    if kind not in KINDS:
        raise InvalidInput("governance.plans.error.invalid", detail="kind")
    if not 2000 <= year <= 2100:
        raise InvalidInput("governance.plans.error.invalid", detail="year")
    if not title.strip() or len(title) > TITLE_MAX:
        raise InvalidInput("governance.plans.error.invalid", detail="title")
    if not body.strip() or len(body) > BODY_MAX:
        raise InvalidInput("governance.plans.error.invalid", detail="body")


def versions(session: Session, kind: str, year: int) -> list[PlanVersion]:
    """Every version, newest (the one in force) first."""
    return list(session.scalars(
        select(PlanVersion).where(PlanVersion.kind == kind, PlanVersion.year == year)
        .order_by(PlanVersion.version.desc())
    ))  # fmt: skip


def in_force(session: Session) -> list[PlanVersion]:
    """The newest version of each (kind, year), newest year first."""
    newest = (
        select(PlanVersion.kind, PlanVersion.year, func.max(PlanVersion.version).label("v"))
        .group_by(PlanVersion.kind, PlanVersion.year).subquery()
    )  # fmt: skip
    return list(session.scalars(
        select(PlanVersion).join(newest, (PlanVersion.kind == newest.c.kind)
                                 & (PlanVersion.year == newest.c.year)
                                 & (PlanVersion.version == newest.c.v))
        .order_by(PlanVersion.year.desc(), PlanVersion.kind)
    ))  # fmt: skip


@dataclass(frozen=True)
class TrainingProgress:
    """Who of the staff handling video completed a training in the plan's year."""

    year: int
    trained: list[str]
    untrained: list[str]


def training_progress(session: Session, year: int, now: datetime) -> TrainingProgress:
    """Active people whose current roles give video access, split by a training
    completed in `year` (UTC calendar year; the records' own dates)."""
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    done = set(session.scalars(
        select(Training.person_id).where(Training.completed_at >= start,
                                         Training.completed_at < end)
    ))  # fmt: skip
    trained: list[str] = []
    untrained: list[str] = []
    active = select(Person).where(Person.active.is_(True)).order_by(Person.username)
    for person in session.scalars(active):
        roles = frozenset(source.role for source in role_sources(session, person.id, now))
        if not permissions_for(roles) & VIDEO_PERMISSIONS:
            continue
        (trained if person.id in done else untrained).append(person.username)
    return TrainingProgress(year, trained, untrained)
