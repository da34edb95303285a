"""Resolving a person's principal from the database: roles from posts (ex officio,
ORD-5.1) and direct grants, permissions from ROLE_PERMISSIONS, scopes, and the video
gates (ORD-11, ORD-14.4, ORD-25).

Invariants:
- resolved afresh for every request (the middleware calls `resolve_principal` each
  time), so ending an appointment, revoking a grant or an expiring training takes
  effect on the very next request, in existing sessions too;
- a contractor never holds a video permission, whatever roles they hold (ORD-11);
- without a valid security pledge AND a valid security training, no video permission
  (ORD-14.4, ORD-25); with `require_totp_for_video`, none either unless the session
  verified a TOTP code.

Scope rule for several roles (ORD-30.1, conservative). Each role source (a post or a
grant) has a department scope (None = all) and a camera scope (None = no limit).
- Per permission: the scope is None if any unscoped source grants it, else the union
  of the departments of the sources that grant it (`Principal.permission_scopes`).
- The coarse `department_scope` used by `may_touch_camera` is None only when no
  permission is scoped; otherwise the union of the scoped departments. So a person who
  is both an operator (all cameras) and an operations manager of TRAFFIC is limited to
  TRAFFIC by the coarse check; per-permission checks (`may_use_on_camera`) give them
  their full operator reach. Never wider than some role allows.
- `camera_scope` follows the same rule with the camera limits of grants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gwanje.auth.config import AuthSettings
from gwanje.auth.permissions import ROLE_PERMISSIONS, VIDEO_PERMISSIONS, Permission, Role
from gwanje.auth.principal import Principal
from gwanje.clock import Clock
from gwanje.errors import NotFound
from gwanje.people.models import (
    Appointment,
    OrganisationKind,
    Person,
    Pledge,
    Post,
    RoleGrant,
    Training,
)


@dataclass(frozen=True)
class RoleSource:
    """One reason a person holds a role: a post (ex officio) or a direct grant."""

    role: Role
    departments: frozenset[int] | None
    cameras: frozenset[int] | None
    via_post: str | None = None


def parse_camera_ids(value: str | None) -> frozenset[int] | None:
    if value is None or value.strip() == "":
        return None
    return frozenset(int(part) for part in value.split(",") if part.strip())


def role_sources(session: Session, person_id: int, now: datetime) -> list[RoleSource]:
    """Every role the person holds right now, and why."""
    sources: list[RoleSource] = []
    posts = session.execute(
        select(Post)
        .join(Appointment, Appointment.post_id == Post.id)
        .where(Appointment.person_id == person_id, Appointment.started_at <= now)
        .where((Appointment.ended_at.is_(None)) | (Appointment.ended_at > now))
    ).scalars()
    for post in posts:
        if post.ex_officio_role is None:
            continue
        role = Role(post.ex_officio_role)
        # ORD-5.1/5.4: an operations manager acts only for their own department.
        scoped = role is Role.OPERATIONS_MANAGER and post.department_id is not None
        departments = frozenset({post.department_id}) if scoped else None
        sources.append(RoleSource(role, departments, None, via_post=post.code))  # type: ignore[arg-type]
    grants = session.scalars(
        select(RoleGrant).where(RoleGrant.person_id == person_id, RoleGrant.revoked_at.is_(None))
    )
    for grant in grants:
        departments = None if grant.department_id is None else frozenset({grant.department_id})
        sources.append(
            RoleSource(Role(grant.role), departments, parse_camera_ids(grant.camera_ids))
        )
    return sources


def has_valid_pledge(session: Session, person_id: int, now: datetime) -> bool:
    rows = session.scalars(
        select(Pledge).where(Pledge.person_id == person_id, Pledge.signed_at <= now)
    )
    return any(p.valid_until is None or p.valid_until > now for p in rows)


def has_valid_training(session: Session, person_id: int, now: datetime) -> bool:
    found = session.scalar(
        select(Training.id)
        .where(Training.person_id == person_id, Training.completed_at <= now)
        .where(Training.valid_until > now)
        .limit(1)
    )
    return found is not None


def _scope_union(
    sources: list[RoleSource], attribute: str, permissions: frozenset[Permission]
) -> tuple[dict[Permission, frozenset[int] | None], frozenset[int] | None]:
    """Per-permission scopes and the conservative coarse scope (see module docstring)."""
    per: dict[Permission, frozenset[int] | None] = {}
    for permission in permissions:
        scopes = [getattr(s, attribute) for s in sources if permission in ROLE_PERMISSIONS[s.role]]
        if any(scope is None for scope in scopes):
            per[permission] = None
        else:
            per[permission] = frozenset().union(*scopes)
    scoped = [scope for scope in per.values() if scope is not None]
    coarse = frozenset().union(*scoped) if scoped else None
    return per, coarse


def video_blockers(
    session: Session,
    person: Person,
    roles: frozenset[Role],
    now: datetime,
    settings: AuthSettings,
    second_factor: bool | None,
) -> tuple[str, ...]:
    """i18n keys of every reason video permissions are withheld (empty: none)."""
    reasons: list[str] = []
    if person.organisation_kind == OrganisationKind.CONTRACTOR or Role.CONTRACTOR in roles:
        reasons.append("people.gate.contractor")  # ORD-11
    if not has_valid_pledge(session, person.id, now):
        reasons.append("people.gate.no_pledge")  # ORD-14.4
    if not has_valid_training(session, person.id, now):
        reasons.append("people.gate.no_training")  # ORD-14.4, ORD-25
    if settings.require_totp_for_video and second_factor is False:
        reasons.append("people.gate.no_totp")
    return tuple(reasons)


def resolve_principal(
    session: Session,
    person_id: int,
    clock: Clock,
    settings: AuthSettings | None = None,
    *,
    second_factor: bool | None = None,
    kind: str = "person",
    session_id: str | None = None,
) -> Principal:
    """The person's principal right now. `second_factor`: whether this login verified
    TOTP (None: not a login session, e.g. the CLI or an API token). A disabled person
    resolves to a principal without roles or permissions."""
    auth = settings or AuthSettings()
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("people.error.no_person", person_id=person_id)
    now = clock.now()
    sources = role_sources(session, person.id, now) if person.active else []
    roles = frozenset(s.role for s in sources)
    permissions: frozenset[Permission] = frozenset().union(*(ROLE_PERMISSIONS[r] for r in roles))
    blocked: tuple[str, ...] = ()
    if permissions & VIDEO_PERMISSIONS:
        blocked = video_blockers(session, person, roles, now, auth, second_factor)
        if blocked:
            permissions = permissions - VIDEO_PERMISSIONS
    per_dept, coarse_dept = _scope_union(sources, "departments", permissions)
    _, coarse_cameras = _scope_union(sources, "cameras", permissions)
    return Principal(
        person_id=person.id,
        username=person.username,
        display_name=person.display_name,
        roles=roles,
        permissions=permissions,
        department_scope=coarse_dept,
        camera_scope=coarse_cameras,
        kind=kind,
        language=person.language,
        session_id=session_id,
        permission_scopes=tuple(sorted(per_dept.items())),
        video_blocked=blocked,
    )
