"""Schema of the organisation: departments (부서), posts (직위), persons, appointments of
persons to posts (임용), directly granted roles, security pledges (보안서약서) and security
training records (보안교육).

Invariants:
- exactly one department may be flagged dedicated (전담부서, ORD-4); the partial unique
  index enforces it in the database, not only in code;
- a post has at most one open appointment at a time (partial unique index on
  `appointments.post_id` where `ended_at IS NULL`): one head per post (ORD-5.1);
- rows are never deleted: appointments and role grants end (`ended_at`, `revoked_at`),
  persons are disabled, so who held which role when stays answerable;
- the three officer roles (ORD-5.1) exist only through posts, never as direct grants
  (`role_grants.role` CHECK constraint).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from gwanje.db.base import Base, UTCDateTime


class OrganisationKind(StrEnum):
    """Where a person comes from; contractors never see video (ORD-11)."""

    CITY = "city"  # 시청
    POLICE = "police"  # 경찰
    CONTRACTOR = "contractor"  # 유지보수 업체
    OTHER = "other"  # 유관기관


EX_OFFICIO_ROLES = ("privacy_officer", "general_manager", "operations_manager")
DIRECT_ROLES = (
    "operator",
    "police_liaison",
    "approver",
    "auditor",
    "contractor",
    "system_admin",
    "bell_gateway",
)


def _in_list(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Department(Base):
    """A city department (부서) that installs or operates cameras, or the center's own."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Short stable code, e.g. "SAFETY" or "TRAFFIC"; used by CSV import.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_ko: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    # True for the one dedicated department running the center (ORD-4).
    is_dedicated: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index(
            "uq_departments_one_dedicated",
            "is_dedicated",
            unique=True,
            sqlite_where=text("is_dedicated"),
            postgresql_where=text("is_dedicated"),
        ),
    )


class Post(Base):
    """A post (직위), e.g. head of the traffic division. Some carry a role ex officio."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Short stable code, e.g. "HEAD_TRAFFIC".
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_ko: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    # The department the post heads; for an operations manager post it is the scope.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    # The role held ex officio by whoever holds the post (ORD-5.1), or NULL for none.
    ex_officio_role: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        CheckConstraint(
            "ex_officio_role IS NULL OR " + _in_list("ex_officio_role", EX_OFFICIO_ROLES),
            name="ex_officio_role",
        ),
        # An operations manager's scope is their department: the post must name one.
        CheckConstraint(
            "ex_officio_role IS NULL OR ex_officio_role != 'operations_manager' "
            "OR department_id IS NOT NULL",
            name="ops_manager_department",
        ),
    )


class Person(Base):
    """Someone who works with the center: city staff, police liaison, contractor staff."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Login name, lower case, unique for ever (never reused after disabling).
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    # Organisation name as written, e.g. "여수시", "여수경찰서", "한빛정보통신(주)".
    organisation: Mapped[str] = mapped_column(String(128))
    # city / police / contractor / other; contractor means no video ever (ORD-11).
    organisation_kind: Mapped[str] = mapped_column(String(16))
    # Home department, if any (display; scope comes from posts and grants).
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    # UI language preference: ko or en.
    language: Mapped[str] = mapped_column(String(2), default="ko")
    # False once disabled: no login, no sessions, no tokens, no roles resolve.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint(
            _in_list("organisation_kind", tuple(k.value for k in OrganisationKind)),
            name="organisation_kind",
        ),
        CheckConstraint("language IN ('ko', 'en')", name="language"),
    )


class Appointment(Base):
    """A person holding a post from `started_at` until `ended_at` (임용, ORD-5.1)."""

    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # NULL while the person holds the post; set when they leave it (role ends at once).
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who appointed and who ended the appointment (person ids; NULL = system/CLI).
    appointed_by: Mapped[int | None] = mapped_column(Integer)
    ended_by: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index(
            "uq_appointments_one_holder",
            "post_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )


class RoleGrant(Base):
    """A role assigned directly (operator, police liaison ...), optionally scoped."""

    __tablename__ = "role_grants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    # One of DIRECT_ROLES; the officer roles come only from posts.
    role: Mapped[str] = mapped_column(String(32))
    # Only this department's cameras, or NULL for all.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    # Comma-separated camera ids this grant is limited to, or NULL for no camera limit.
    camera_ids: Mapped[str | None] = mapped_column(Text)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    granted_by: Mapped[int | None] = mapped_column(Integer)
    # Set when revoked; the role stops resolving at once.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (CheckConstraint(_in_list("role", DIRECT_ROLES), name="direct_role"),)


class Pledge(Base):
    """A signed security pledge (보안서약서, ORD-14.4)."""

    __tablename__ = "pledges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # End of validity (from AuthSettings.pledge_valid_days), or NULL: valid until replaced.
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where the signed paper/scan is filed, e.g. a document number.
    document_ref: Mapped[str] = mapped_column(String(128), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[int | None] = mapped_column(Integer)


class Training(Base):
    """A completed security / video-privacy training (보안교육, ORD-14.4, ORD-25)."""

    __tablename__ = "trainings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # completed_at + AuthSettings.training_valid_days.
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    # Course name as given, e.g. "2026 개인영상정보 보호교육".
    course: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[int | None] = mapped_column(Integer)


# The auth tables reference persons; importing them here keeps Base.metadata complete
# wherever the people models are imported (migrations check, tests).
import gwanje.auth.models  # noqa: E402, F401
