"""Demo organisation: posts, people, appointments and grants of the sample city.

DEMO ONLY: every account gets the same fixed, printed password (`DEMO_PASSWORD`). Never
seed a production database with this (`gwanje demo` runs in demo mode only).

Invariant: idempotent. A second run creates nothing and returns the same accounts; it
fills in only what is missing (a post, a person, an appointment), never duplicates.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gwanje.audit.events import Actor
from gwanje.auth import service as auth_service
from gwanje.auth.config import AuthSettings
from gwanje.auth.permissions import Role
from gwanje.clock import Clock
from gwanje.people import service
from gwanje.people.models import Department, Person, Post
from gwanje.people.sample_city import ensure_departments

DEMO_PASSWORD = "gwanje-demo-1234"  # noqa: S105 - demo only, printed on purpose
WHO = service.Who(Actor.system("demo"))

# (code, Korean, English, department code or None, ex-officio role) — ORD-5.1
POSTS: tuple[tuple[str, str, str, str | None, Role | None], ...] = (
    ("BUREAU_DIRECTOR", "안전도시국장", "Director, Safe City Bureau", None, Role.PRIVACY_OFFICER),
    (
        "HEAD_SMARTCITY",
        "스마트도시과장",
        "Head, Smart City Division",
        "SMARTCITY",
        Role.GENERAL_MANAGER,
    ),
    (
        "HEAD_TRAFFIC",
        "교통과장",
        "Head, Transportation Division",
        "TRAFFIC",
        Role.OPERATIONS_MANAGER,
    ),
    (
        "HEAD_PARKING",
        "주차관리과장",
        "Head, Parking Management",
        "PARKING",
        Role.OPERATIONS_MANAGER,
    ),
    ("HEAD_SAFETY", "안전총괄과장", "Head, Safety Management", "SAFETY", Role.OPERATIONS_MANAGER),
)

# (username, name, organisation, kind, department, post code, direct role, trained?)
PEOPLE: tuple[tuple[str, str, str, str, str | None, str | None, Role | None, bool], ...] = (
    ("officer", "김보호", "여수시", "city", None, "BUREAU_DIRECTOR", None, True),
    ("manager", "이총괄", "여수시", "city", "SMARTCITY", "HEAD_SMARTCITY", None, True),
    ("traffic", "박운영", "여수시", "city", "TRAFFIC", "HEAD_TRAFFIC", None, True),
    ("operator", "최관제", "여수시", "city", "SMARTCITY", None, Role.OPERATOR, True),
    ("operator2", "정신입", "여수시", "city", "SMARTCITY", None, Role.OPERATOR, False),
    ("police", "강경찰", "여수경찰서", "police", "POLICE", None, Role.POLICE_LIAISON, True),
    ("approver", "윤승인", "여수시", "city", None, None, Role.APPROVER, True),
    ("auditor", "한감사", "여수시 감사관실", "city", None, None, Role.AUDITOR, True),
    ("contractor", "서정비", "한빛정보통신(주)", "contractor", None, None, Role.CONTRACTOR, True),
    ("admin", "관리자", "여수시", "city", "SMARTCITY", None, Role.SYSTEM_ADMIN, True),
)

ROLE_LABELS = {
    "officer": "privacy officer 보호책임자",
    "manager": "general manager 총괄책임자",
    "traffic": "operations manager (TRAFFIC) 운영책임자",
    "operator": "operator 관제요원",
    "operator2": "operator, no training yet: no video 교육 미이수",
    "police": "police liaison 경찰 연계",
    "approver": "approver (mayor's delegate) 승인권자",
    "auditor": "auditor 감사",
    "contractor": "contractor (no video) 유지보수",
    "admin": "system admin 시스템 관리자",
}


def _ensure_posts(
    session: Session, clock: Clock, departments: dict[str, Department]
) -> dict[str, Post]:
    posts = {p.code: p for p in session.scalars(select(Post))}
    for code, name_ko, name_en, dept, role in POSTS:
        if code not in posts:
            department_id = departments[dept].id if dept else None
            posts[code] = service.create_post(
                session,
                clock,
                WHO,
                code=code,
                name_ko=name_ko,
                name_en=name_en,
                department_id=department_id,
                ex_officio_role=role,
            )
    return posts


def _create_person(
    session: Session,
    clock: Clock,
    row: tuple[str, str, str, str, str | None, str | None, Role | None, bool],
    departments: dict[str, Department],
    settings: AuthSettings,
) -> Person:
    username, name, org, kind, dept, _, role, trained = row
    department_id = departments[dept].id if dept else None
    data = service.PersonInput(username, name, org, kind, department_id)
    person = service.create_person(session, clock, WHO, data)
    auth_service.set_password(session, clock, WHO, settings, person.id, DEMO_PASSWORD)
    if role is not None:
        service.grant_role(session, clock, WHO, person.id, role.value)
    earlier = clock.now() - timedelta(days=30)
    service.record_pledge(session, clock, WHO, settings, person.id, earlier, "DEMO-서약")
    if trained:
        service.record_training(
            session, clock, WHO, settings, person.id, "개인영상정보 보호교육 (데모)", earlier
        )
    return person


def seed(session: Session, clock: Clock) -> list[tuple[str, str, str]]:
    """Seed the demo organisation; returns (username, password, role label) rows."""
    settings = AuthSettings()
    departments = ensure_departments(session)
    posts = _ensure_posts(session, clock, departments)
    for row in PEOPLE:
        person = service.person_by_username(session, row[0])
        if person is None:
            person = _create_person(session, clock, row, departments, settings)
        post_code = row[5]
        if post_code and service.open_appointment(session, posts[post_code].id) is None:
            service.appoint(session, clock, WHO, person.id, posts[post_code].id)
    return [(row[0], DEMO_PASSWORD, ROLE_LABELS[row[0]]) for row in PEOPLE]
