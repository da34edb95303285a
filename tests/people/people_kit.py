"""Builders for people tests: departments, posts and persons with roles, pledges and
training, all through the service layer (so the audit trail is exercised too)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gwanje.audit.events import Actor
from gwanje.audit.models import AuditEntry
from gwanje.auth import service as auth_service
from gwanje.auth.config import AuthSettings
from gwanje.auth.permissions import Role
from gwanje.clock import Clock
from gwanje.people import service
from gwanje.people.models import Department, Person, Post
from gwanje.people.sample_city import ensure_departments

ADMIN = service.Who(Actor(person_id=None, username="test-admin", kind="system"))
PASSWORD = "correct-horse-battery"


def departments(session: Session) -> dict[str, Department]:
    return ensure_departments(session)


def post(
    session: Session, clock: Clock, code: str, role: Role | None, department: Department | None
) -> Post:
    return service.create_post(
        session,
        clock,
        ADMIN,
        code=code,
        name_ko=code,
        name_en=code,
        department_id=department.id if department else None,
        ex_officio_role=role,
    )


def person(
    session: Session,
    clock: Clock,
    username: str,
    *roles: Role,
    kind: str = "city",
    cleared: bool = True,
    password: str | None = None,
) -> Person:
    """A person with direct roles; `cleared`: a valid pledge and training (ORD-14.4)."""
    created = service.create_person(
        session, clock, ADMIN, service.PersonInput(username, username.title(), "여수시", kind)
    )
    for role in roles:
        service.grant_role(session, clock, ADMIN, created.id, role.value)
    if cleared:
        clear(session, clock, created.id)
    if password:
        auth_service.set_password(session, clock, ADMIN, AuthSettings(), created.id, password)
    return created


def clear(session: Session, clock: Clock, person_id: int) -> None:
    before = clock.now() - timedelta(days=1)
    settings = AuthSettings()
    service.record_pledge(session, clock, ADMIN, settings, person_id, before, "P-1")
    service.record_training(session, clock, ADMIN, settings, person_id, "보안교육", before)


def audit_count(session: Session, event_type: str | None = None) -> int:
    query = select(func.count()).select_from(AuditEntry)
    if event_type:
        query = query.where(AuditEntry.event_type == event_type)
    return int(session.scalar(query) or 0)
