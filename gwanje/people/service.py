"""Changes to the organisation: persons, posts, appointments, role grants, pledges and
training records. Every function validates first, then changes and audits in the
caller's transaction, so a refused change writes nothing (not even half).

Invariants kept here (the schema keeps the rest):
- officer roles (ORD-5.1) are only ever acquired by appointment to a post;
- a general manager post must belong to the dedicated department (ORD-4, ORD-5.3);
- disabling a person ends their appointments, sessions and API tokens at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gwanje.audit import record
from gwanje.audit.events import Actor
from gwanje.auth.config import AuthSettings
from gwanje.auth.models import ApiToken, LoginSession
from gwanje.auth.permissions import Role
from gwanje.clock import Clock
from gwanje.errors import Conflict, InvalidInput, NotFound
from gwanje.people import events
from gwanje.people.models import (
    DIRECT_ROLES,
    Appointment,
    Department,
    OrganisationKind,
    Person,
    Pledge,
    Post,
    RoleGrant,
    Training,
)

USERNAME = re.compile(r"^[a-z][a-z0-9._-]{2,63}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Who:
    """Who makes a change and from where (for the audit trail)."""

    actor: Actor
    source_ip: str | None = None

    @property
    def person_id(self) -> int | None:
        return self.actor.person_id


SYSTEM = Who(Actor.system("cli"))


@dataclass(frozen=True)
class PersonInput:
    username: str
    display_name: str
    organisation: str
    organisation_kind: str = OrganisationKind.CITY.value
    department_id: int | None = None
    email: str | None = None
    phone: str | None = None
    language: str = "ko"


def get_person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("people.error.no_person", person_id=person_id)
    return person


def person_by_username(session: Session, username: str) -> Person | None:
    return session.scalar(select(Person).where(Person.username == username.strip().lower()))


def _check_department(session: Session, department_id: int | None) -> None:
    if department_id is not None and session.get(Department, department_id) is None:
        raise InvalidInput("people.error.no_department", department_id=department_id)


def _validate_person(session: Session, data: PersonInput) -> str:
    username = data.username.strip().lower()
    if not USERNAME.match(username):
        raise InvalidInput("people.error.bad_username")
    if not data.display_name.strip() or not data.organisation.strip():
        raise InvalidInput("people.error.required")
    if data.organisation_kind not in {k.value for k in OrganisationKind}:
        raise InvalidInput("people.error.bad_kind")
    if data.language not in ("ko", "en"):
        raise InvalidInput("people.error.bad_language")
    if data.email and not EMAIL.match(data.email.strip()):
        raise InvalidInput("people.error.bad_email")
    _check_department(session, data.department_id)
    if person_by_username(session, username) is not None:
        raise Conflict("people.error.username_taken", username=username)
    return username


def create_person(session: Session, clock: Clock, who: Who, data: PersonInput) -> Person:
    username = _validate_person(session, data)
    person = Person(
        username=username,
        display_name=data.display_name.strip(),
        organisation=data.organisation.strip(),
        organisation_kind=data.organisation_kind,
        department_id=data.department_id,
        email=(data.email or "").strip() or None,
        phone=(data.phone or "").strip() or None,
        language=data.language,
        active=True,
        created_at=clock.now(),
    )
    session.add(person)
    session.flush()
    record(
        session,
        events.PersonCreated(
            actor=who.actor,
            source_ip=who.source_ip,
            person_id=person.id,
            username=username,
            organisation_kind=person.organisation_kind,
        ),
        clock,
    )
    return person


def create_post(
    session: Session,
    clock: Clock,
    who: Who,
    *,
    code: str,
    name_ko: str,
    name_en: str,
    department_id: int | None,
    ex_officio_role: Role | None,
) -> Post:
    code = code.strip().upper()
    if not re.match(r"^[A-Z][A-Z0-9_]{1,31}$", code) or not name_ko.strip():
        raise InvalidInput("people.error.bad_post")
    if ex_officio_role is not None and ex_officio_role.value in DIRECT_ROLES:
        raise InvalidInput("people.error.not_ex_officio", role=ex_officio_role.value)
    _check_department(session, department_id)
    if ex_officio_role is Role.OPERATIONS_MANAGER and department_id is None:
        raise InvalidInput("people.error.ops_needs_department")
    if ex_officio_role is Role.GENERAL_MANAGER:
        department = session.get(Department, department_id) if department_id else None
        if department is None or not department.is_dedicated:  # ORD-4, ORD-5.1
            raise InvalidInput("people.error.gm_needs_dedicated")
    if session.scalar(select(Post.id).where(Post.code == code)) is not None:
        raise Conflict("people.error.post_exists", code=code)
    post = Post(
        code=code,
        name_ko=name_ko.strip(),
        name_en=name_en.strip() or name_ko.strip(),
        department_id=department_id,
        ex_officio_role=ex_officio_role.value if ex_officio_role else None,
    )
    session.add(post)
    session.flush()
    record(
        session,
        events.PostCreated(
            actor=who.actor,
            source_ip=who.source_ip,
            post_id=post.id,
            code=code,
            ex_officio_role=post.ex_officio_role,
            department_id=department_id,
        ),
        clock,
    )
    return post


def open_appointment(session: Session, post_id: int) -> Appointment | None:
    return session.scalar(
        select(Appointment).where(Appointment.post_id == post_id, Appointment.ended_at.is_(None))
    )


def appoint(session: Session, clock: Clock, who: Who, person_id: int, post_id: int) -> Appointment:
    """Appoint a person to a post from now on; the post's role follows (ORD-5.1)."""
    person = get_person(session, person_id)
    post = session.get(Post, post_id)
    if post is None:
        raise NotFound("people.error.no_post", post_id=post_id)
    if not person.active:
        raise InvalidInput("people.error.person_disabled")
    holder = open_appointment(session, post_id)
    if holder is not None:
        raise Conflict("people.error.post_held", code=post.code)
    appointment = Appointment(
        person_id=person.id, post_id=post.id, started_at=clock.now(), appointed_by=who.person_id
    )
    session.add(appointment)
    session.flush()
    record(
        session,
        events.AppointmentStarted(
            actor=who.actor,
            source_ip=who.source_ip,
            appointment_id=appointment.id,
            person_id=person.id,
            post_id=post.id,
            post_code=post.code,
            ex_officio_role=post.ex_officio_role,
        ),
        clock,
    )
    return appointment


def end_appointment(session: Session, clock: Clock, who: Who, appointment_id: int) -> Appointment:
    """End an appointment now; the ex-officio role is gone from the next request on."""
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise NotFound("people.error.no_appointment", appointment_id=appointment_id)
    if appointment.ended_at is not None:
        raise Conflict("people.error.appointment_ended")
    post = session.get(Post, appointment.post_id)
    assert post is not None  # foreign key
    appointment.ended_at = clock.now()
    appointment.ended_by = who.person_id
    session.flush()
    record(
        session,
        events.AppointmentEnded(
            actor=who.actor,
            source_ip=who.source_ip,
            appointment_id=appointment.id,
            person_id=appointment.person_id,
            post_id=post.id,
            post_code=post.code,
            ex_officio_role=post.ex_officio_role,
        ),
        clock,
    )
    return appointment


def parse_camera_list(text: str | None) -> list[int] | None:
    """'12, 15' -> [12, 15]; empty -> None (no camera limit)."""
    if text is None or not text.strip():
        return None
    try:
        ids = sorted({int(part) for part in text.replace(" ", "").split(",") if part})
    except ValueError as exc:
        raise InvalidInput("people.error.bad_cameras") from exc
    if not ids or any(i <= 0 for i in ids):
        raise InvalidInput("people.error.bad_cameras")
    return ids


def grant_role(
    session: Session,
    clock: Clock,
    who: Who,
    person_id: int,
    role: str,
    department_id: int | None = None,
    camera_ids: list[int] | None = None,
) -> RoleGrant:
    person = get_person(session, person_id)
    if role not in DIRECT_ROLES:
        # ORD-5.1: officer roles come only with the post.
        raise InvalidInput("people.error.not_direct_role", role=role)
    if not person.active:
        raise InvalidInput("people.error.person_disabled")
    _check_department(session, department_id)
    grant = RoleGrant(
        person_id=person.id,
        role=role,
        department_id=department_id,
        camera_ids=",".join(str(c) for c in camera_ids) if camera_ids else None,
        granted_at=clock.now(),
        granted_by=who.person_id,
    )
    session.add(grant)
    session.flush()
    record(
        session,
        events.RoleGranted(
            actor=who.actor,
            source_ip=who.source_ip,
            grant_id=grant.id,
            person_id=person.id,
            role=role,
            department_id=department_id,
            camera_limit=camera_ids,
            camera_ids=tuple(camera_ids or ()),
        ),
        clock,
    )
    return grant


def revoke_role(session: Session, clock: Clock, who: Who, grant_id: int) -> RoleGrant:
    grant = session.get(RoleGrant, grant_id)
    if grant is None:
        raise NotFound("people.error.no_grant", grant_id=grant_id)
    if grant.revoked_at is not None:
        raise Conflict("people.error.grant_revoked")
    grant.revoked_at = clock.now()
    grant.revoked_by = who.person_id
    session.flush()
    record(
        session,
        events.RoleRevoked(
            actor=who.actor,
            source_ip=who.source_ip,
            grant_id=grant.id,
            person_id=grant.person_id,
            role=grant.role,
        ),
        clock,
    )
    return grant


def _not_in_future(clock: Clock, when: datetime | None) -> datetime:
    now = clock.now()
    if when is None:
        return now
    if when.tzinfo is None:
        raise InvalidInput("people.error.naive_time")
    if when > now:
        raise InvalidInput("people.error.future_date")
    return when


def record_pledge(
    session: Session,
    clock: Clock,
    who: Who,
    settings: AuthSettings,
    person_id: int,
    signed_at: datetime | None = None,
    document_ref: str = "",
) -> Pledge:
    """Record a signed security pledge (ORD-14.4)."""
    person = get_person(session, person_id)
    signed = _not_in_future(clock, signed_at)
    days = settings.pledge_valid_days
    pledge = Pledge(
        person_id=person.id,
        signed_at=signed,
        valid_until=signed + timedelta(days=days) if days else None,
        document_ref=document_ref.strip()[:128],
        recorded_at=clock.now(),
        recorded_by=who.person_id,
    )
    session.add(pledge)
    session.flush()
    record(
        session,
        events.PledgeRecorded(
            actor=who.actor,
            source_ip=who.source_ip,
            pledge_id=pledge.id,
            person_id=person.id,
            signed_at=signed.isoformat(),
            valid_until=pledge.valid_until.isoformat() if pledge.valid_until else None,
        ),
        clock,
    )
    return pledge


def record_training(
    session: Session,
    clock: Clock,
    who: Who,
    settings: AuthSettings,
    person_id: int,
    course: str,
    completed_at: datetime | None = None,
) -> Training:
    """Record a completed security training, valid training_valid_days (ORD-25)."""
    person = get_person(session, person_id)
    if not course.strip():
        raise InvalidInput("people.error.required")
    completed = _not_in_future(clock, completed_at)
    training = Training(
        person_id=person.id,
        completed_at=completed,
        valid_until=completed + timedelta(days=settings.training_valid_days),
        course=course.strip()[:128],
        recorded_at=clock.now(),
        recorded_by=who.person_id,
    )
    session.add(training)
    session.flush()
    record(
        session,
        events.TrainingRecorded(
            actor=who.actor,
            source_ip=who.source_ip,
            training_id=training.id,
            person_id=person.id,
            course=training.course,
            completed_at=completed.isoformat(),
            valid_until=training.valid_until.isoformat(),
        ),
        clock,
    )
    return training


def disable_person(session: Session, clock: Clock, who: Who, person_id: int) -> Person:
    """Disable a person: appointments, grants' effect, sessions and tokens end at once."""
    person = get_person(session, person_id)
    if not person.active:
        raise Conflict("people.error.already_disabled")
    now = clock.now()
    person.active = False
    person.disabled_at = now
    for appointment in session.scalars(
        select(Appointment).where(
            Appointment.person_id == person.id, Appointment.ended_at.is_(None)
        )
    ):
        end_appointment(session, clock, who, appointment.id)
    sessions_ended = session.execute(
        update(LoginSession)
        .where(LoginSession.person_id == person.id, LoginSession.ended_at.is_(None))
        .values(ended_at=now, end_reason="disabled")
    ).rowcount  # type: ignore[attr-defined]
    tokens_revoked = session.execute(
        update(ApiToken)
        .where(ApiToken.person_id == person.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount  # type: ignore[attr-defined]
    record(
        session,
        events.PersonDisabled(
            actor=who.actor,
            source_ip=who.source_ip,
            person_id=person.id,
            username=person.username,
            sessions_ended=int(sessions_ended or 0),
            tokens_revoked=int(tokens_revoked or 0),
        ),
        clock,
    )
    return person
