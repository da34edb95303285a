"""Audit events of the organisation: persons, posts, appointments, roles, pledges and
training (ORD-5.1, ORD-14.4, ORD-25). The actor of each event is who made the change;
the detail fields say to whom."""

from __future__ import annotations

from gwanje.audit.events import AuditEvent


class PersonCreated(AuditEvent):
    """A person was registered."""

    event_type = "people.person_created"
    description = "인원 등록 / person created"
    person_id: int
    username: str
    organisation_kind: str


class PersonDisabled(AuditEvent):
    """A person was disabled; their sessions and tokens ended in the same transaction."""

    event_type = "people.person_disabled"
    description = "인원 사용중지 / person disabled"
    person_id: int
    username: str
    sessions_ended: int
    tokens_revoked: int


class PostCreated(AuditEvent):
    """A post was defined, with the role it carries ex officio if any."""

    event_type = "people.post_created"
    description = "직위 등록 / post created"
    post_id: int
    code: str
    ex_officio_role: str | None
    department_id: int | None


class AppointmentStarted(AuditEvent):
    """A person was appointed to a post (and gains its ex-officio role, ORD-5.1)."""

    event_type = "people.appointment_started"
    description = "직위 임용 / appointed to a post"
    appointment_id: int
    person_id: int
    post_id: int
    post_code: str
    ex_officio_role: str | None


class AppointmentEnded(AuditEvent):
    """A person left a post (and loses its ex-officio role at once, ORD-5.1)."""

    event_type = "people.appointment_ended"
    description = "직위 해임·전보 / appointment ended"
    appointment_id: int
    person_id: int
    post_id: int
    post_code: str
    ex_officio_role: str | None


class RoleGranted(AuditEvent):
    """A role was assigned directly, with its department/camera scope."""

    event_type = "people.role_granted"
    description = "역할 부여 / role granted"
    grant_id: int
    person_id: int
    role: str
    department_id: int | None
    # The cameras the grant is limited to (None: no camera limit).
    camera_limit: list[int] | None


class RoleRevoked(AuditEvent):
    """A directly assigned role was revoked."""

    event_type = "people.role_revoked"
    description = "역할 회수 / role revoked"
    grant_id: int
    person_id: int
    role: str


class PledgeRecorded(AuditEvent):
    """A signed security pledge was recorded (ORD-14.4)."""

    event_type = "people.pledge_recorded"
    description = "보안서약서 등록 / security pledge recorded"
    pledge_id: int
    person_id: int
    signed_at: str
    valid_until: str | None


class TrainingRecorded(AuditEvent):
    """A completed security training was recorded (ORD-14.4, ORD-25)."""

    event_type = "people.training_recorded"
    description = "보안교육 이수 등록 / security training recorded"
    training_id: int
    person_id: int
    course: str
    completed_at: str
    valid_until: str
