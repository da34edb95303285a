"""HTTP routes of the people subsystem: people, posts, appointments, roles, pledges and
training (HTML pages and /api/ JSON). Each route names the permission it needs; the
work itself is in `service.py`, so HTML and JSON behave the same.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from gwanje.auth import service as auth_service
from gwanje.auth.config import effective_auth
from gwanje.auth.permissions import Permission, Role
from gwanje.auth.principal import Principal
from gwanje.clock import Clock
from gwanje.errors import InvalidInput, NotFound
from gwanje.people import service
from gwanje.people.access import has_valid_pledge, has_valid_training, resolve_principal
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
from gwanje.web.deps import Ctx, DbSession
from gwanje.web.render import render
from gwanje.web.security import client_ip, requires

router = APIRouter()
SEOUL = ZoneInfo("Asia/Seoul")
P = Permission

Reader = Annotated[Principal, requires(P.PERSON_READ)]
Manager = Annotated[Principal, requires(P.PERSON_MANAGE)]
Appointer = Annotated[Principal, requires(P.POST_APPOINT)]
PledgeRecorder = Annotated[Principal, requires(P.PLEDGE_RECORD)]
TrainingRecorder = Annotated[Principal, requires(P.TRAINING_RECORD)]
DeptManager = Annotated[Principal, requires(P.DEPARTMENT_MANAGE)]


def _who(request: Request, principal: Principal) -> service.Who:
    return service.Who(principal.actor, client_ip(request))


def _local_day(value: date | None) -> datetime | None:
    """A calendar day as entered (Korea time) to its start in UTC."""
    return None if value is None else datetime.combine(value, time(0), tzinfo=SEOUL)


# --- read models ----------------------------------------------------------------------


def person_summary(db: Session, clock: Clock, ctx_settings: Any, person: Person) -> dict[str, Any]:
    now = clock.now()
    principal = resolve_principal(db, person.id, clock, ctx_settings)
    return {
        "id": person.id,
        "username": person.username,
        "display_name": person.display_name,
        "organisation": person.organisation,
        "organisation_kind": person.organisation_kind,
        "department_id": person.department_id,
        "email": person.email,
        "phone": person.phone,
        "language": person.language,
        "active": person.active,
        "roles": sorted(principal.roles),
        "pledge_valid": has_valid_pledge(db, person.id, now),
        "training_valid": has_valid_training(db, person.id, now),
        "video_blocked": list(principal.video_blocked),
        "permissions": sorted(principal.permissions),
        "department_scope": None
        if principal.department_scope is None
        else sorted(principal.department_scope),
    }


def person_detail(db: Session, clock: Clock, auth: Any, person: Person) -> dict[str, Any]:
    summary = person_summary(db, clock, auth, person)

    def rows(model: Any, order: Any) -> list[Any]:
        return list(db.scalars(select(model).where(model.person_id == person.id).order_by(order)))

    summary["appointments"] = [
        {
            "id": a.id,
            "post_id": a.post_id,
            "post_code": db.get(Post, a.post_id).code,  # type: ignore[union-attr]
            "started_at": a.started_at.isoformat(),
            "ended_at": a.ended_at.isoformat() if a.ended_at else None,
        }
        for a in rows(Appointment, Appointment.id)
    ]
    summary["grants"] = [
        {
            "id": g.id,
            "role": g.role,
            "department_id": g.department_id,
            "camera_ids": g.camera_ids,
            "granted_at": g.granted_at.isoformat(),
            "revoked_at": g.revoked_at.isoformat() if g.revoked_at else None,
        }
        for g in rows(RoleGrant, RoleGrant.id)
    ]
    summary["pledges"] = [
        {
            "id": p.id,
            "signed_at": p.signed_at.isoformat(),
            "valid_until": p.valid_until.isoformat() if p.valid_until else None,
            "document_ref": p.document_ref,
        }
        for p in rows(Pledge, Pledge.id)
    ]
    summary["trainings"] = [
        {
            "id": t.id,
            "course": t.course,
            "completed_at": t.completed_at.isoformat(),
            "valid_until": t.valid_until.isoformat(),
        }
        for t in rows(Training, Training.id)
    ]
    return summary


def _all_people(db: Session) -> list[Person]:
    return list(db.scalars(select(Person).order_by(Person.username)))


def _lookups(db: Session) -> dict[str, Any]:
    return {
        "departments": list(db.scalars(select(Department).order_by(Department.code))),
        "posts": list(db.scalars(select(Post).order_by(Post.code))),
        "direct_roles": DIRECT_ROLES,
        "kinds": [k.value for k in OrganisationKind],
    }


def _owned(db: Session, model: Any, row_id: int, person_id: int) -> None:
    row = db.get(model, row_id)
    if row is None or row.person_id != person_id:
        raise NotFound("people.error.not_of_person", id=row_id)


# --- HTML ---------------------------------------------------------------------------


@router.get("/people", response_class=HTMLResponse)
def people_page(request: Request, ctx: Ctx, db: DbSession, me: Reader) -> Response:
    people = [
        person_summary(db, ctx.clock, effective_auth(ctx.settings), p) for p in _all_people(db)
    ]
    return render(request, "people/list.html", people=people, **_lookups(db))


@router.get("/people/new", response_class=HTMLResponse)
def new_person_page(request: Request, db: DbSession, me: Manager) -> Response:
    return render(request, "people/new.html", **_lookups(db))


@router.get("/people/{person_id}", response_class=HTMLResponse)
def person_page(request: Request, ctx: Ctx, db: DbSession, me: Reader, person_id: int) -> Response:
    person = service.get_person(db, person_id)
    detail = person_detail(db, ctx.clock, effective_auth(ctx.settings), person)
    return render(request, "people/detail.html", person=detail, **_lookups(db))


def _back(person_id: int) -> Response:
    return RedirectResponse(f"/people/{person_id}", status_code=303)


@router.post("/people")
def create_person_form(
    request: Request,
    ctx: Ctx,
    db: DbSession,
    me: Manager,
    username: Annotated[str, Form(max_length=64)],
    display_name: Annotated[str, Form(max_length=128)],
    organisation: Annotated[str, Form(max_length=128)],
    organisation_kind: Annotated[str, Form(max_length=16)] = "city",
    department_id: Annotated[int | None, Form()] = None,
    email: Annotated[str, Form(max_length=254)] = "",
    phone: Annotated[str, Form(max_length=32)] = "",
    language: Annotated[str, Form(max_length=2)] = "ko",
    password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    data = service.PersonInput(
        username,
        display_name,
        organisation,
        organisation_kind,
        department_id,
        email,
        phone,
        language,
    )
    person = _create(db, ctx, _who(request, me), data, password)
    return _back(person.id)


def _create(
    db: Session, ctx: Any, who: service.Who, data: service.PersonInput, password: str
) -> Person:
    if password:  # check before writing anything, so a weak password leaves no person
        auth_service.check_password_policy(password, data.username, effective_auth(ctx.settings))
    person = service.create_person(db, ctx.clock, who, data)
    if password:
        auth_service.set_password(
            db, ctx.clock, who, effective_auth(ctx.settings), person.id, password
        )
    return person


@router.post("/people/{person_id}/appointments")
def appoint_form(
    request: Request,
    ctx: Ctx,
    db: DbSession,
    me: Appointer,
    person_id: int,
    post_id: Annotated[int, Form()],
) -> Response:
    service.appoint(db, ctx.clock, _who(request, me), person_id, post_id)
    return _back(person_id)


@router.post("/people/{person_id}/appointments/{appointment_id}/end")
def end_appointment_form(
    request: Request, ctx: Ctx, db: DbSession, me: Appointer, person_id: int, appointment_id: int
) -> Response:
    _owned(db, Appointment, appointment_id, person_id)
    service.end_appointment(db, ctx.clock, _who(request, me), appointment_id)
    return _back(person_id)


@router.post("/people/{person_id}/roles")
def grant_form(
    request: Request,
    ctx: Ctx,
    db: DbSession,
    me: Manager,
    person_id: int,
    role: Annotated[str, Form(max_length=32)],
    department_id: Annotated[int | None, Form()] = None,
    camera_ids: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    cameras = service.parse_camera_list(camera_ids)
    service.grant_role(db, ctx.clock, _who(request, me), person_id, role, department_id, cameras)
    return _back(person_id)


@router.post("/people/{person_id}/roles/{grant_id}/revoke")
def revoke_form(
    request: Request, ctx: Ctx, db: DbSession, me: Manager, person_id: int, grant_id: int
) -> Response:
    _owned(db, RoleGrant, grant_id, person_id)
    service.revoke_role(db, ctx.clock, _who(request, me), grant_id)
    return _back(person_id)


@router.post("/people/{person_id}/pledges")
def pledge_form(
    request: Request,
    ctx: Ctx,
    db: DbSession,
    me: PledgeRecorder,
    person_id: int,
    signed_on: Annotated[date | None, Form()] = None,
    document_ref: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    service.record_pledge(
        db,
        ctx.clock,
        _who(request, me),
        effective_auth(ctx.settings),
        person_id,
        _local_day(signed_on),
        document_ref,
    )
    return _back(person_id)


@router.post("/people/{person_id}/trainings")
def training_form(
    request: Request,
    ctx: Ctx,
    db: DbSession,
    me: TrainingRecorder,
    person_id: int,
    course: Annotated[str, Form(max_length=128)],
    completed_on: Annotated[date | None, Form()] = None,
) -> Response:
    service.record_training(
        db,
        ctx.clock,
        _who(request, me),
        effective_auth(ctx.settings),
        person_id,
        course,
        _local_day(completed_on),
    )
    return _back(person_id)


@router.post("/people/{person_id}/disable")
def disable_form(
    request: Request, ctx: Ctx, db: DbSession, me: Manager, person_id: int
) -> Response:
    service.disable_person(db, ctx.clock, _who(request, me), person_id)
    return _back(person_id)


@router.post("/people/{person_id}/password")
def password_form(
    request: Request,
    ctx: Ctx,
    db: DbSession,
    me: Manager,
    person_id: int,
    password: Annotated[str, Form(max_length=256)],
) -> Response:
    auth_service.set_password(
        db, ctx.clock, _who(request, me), effective_auth(ctx.settings), person_id, password
    )
    return _back(person_id)


# --- JSON API -------------------------------------------------------------------------


class PersonCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(max_length=64)
    display_name: str = Field(max_length=128)
    organisation: str = Field(max_length=128)
    organisation_kind: OrganisationKind = OrganisationKind.CITY
    department_id: int | None = None
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=32)
    language: str = Field("ko", pattern="^(ko|en)$")
    password: str | None = Field(None, max_length=256)


class AppointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    post_id: int


class GrantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    department_id: int | None = None
    camera_ids: list[int] | None = None


class PledgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    signed_at: datetime | None = None
    document_ref: str = Field("", max_length=128)


class TrainingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    course: str = Field(min_length=1, max_length=128)
    completed_at: datetime | None = None


class PostCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(max_length=32)
    name_ko: str = Field(max_length=128)
    name_en: str = Field("", max_length=128)
    department_id: int | None = None
    ex_officio_role: Role | None = None


@router.get("/api/people")
def api_people(ctx: Ctx, db: DbSession, me: Reader) -> list[dict[str, Any]]:
    return [person_summary(db, ctx.clock, effective_auth(ctx.settings), p) for p in _all_people(db)]


@router.get("/api/people/{person_id}")
def api_person(ctx: Ctx, db: DbSession, me: Reader, person_id: int) -> dict[str, Any]:
    return person_detail(
        db, ctx.clock, effective_auth(ctx.settings), service.get_person(db, person_id)
    )


@router.post("/api/people", status_code=201)
def api_create_person(
    request: Request, ctx: Ctx, db: DbSession, me: Manager, body: PersonCreate
) -> dict[str, Any]:
    data = service.PersonInput(
        body.username,
        body.display_name,
        body.organisation,
        body.organisation_kind.value,
        body.department_id,
        body.email,
        body.phone,
        body.language,
    )
    person = _create(db, ctx, _who(request, me), data, body.password or "")
    return person_summary(db, ctx.clock, effective_auth(ctx.settings), person)


@router.post("/api/people/{person_id}/appointments", status_code=201)
def api_appoint(
    request: Request, ctx: Ctx, db: DbSession, me: Appointer, person_id: int, body: AppointIn
) -> dict[str, Any]:
    appointment = service.appoint(db, ctx.clock, _who(request, me), person_id, body.post_id)
    return {"id": appointment.id, "person_id": person_id, "post_id": body.post_id}


@router.post("/api/appointments/{appointment_id}/end")
def api_end_appointment(
    request: Request, ctx: Ctx, db: DbSession, me: Appointer, appointment_id: int
) -> dict[str, Any]:
    appointment = service.end_appointment(db, ctx.clock, _who(request, me), appointment_id)
    return {"id": appointment.id, "ended_at": appointment.ended_at.isoformat()}  # type: ignore[union-attr]


@router.post("/api/people/{person_id}/roles", status_code=201)
def api_grant(
    request: Request, ctx: Ctx, db: DbSession, me: Manager, person_id: int, body: GrantIn
) -> dict[str, Any]:
    if body.camera_ids is not None and any(c <= 0 for c in body.camera_ids):
        raise InvalidInput("people.error.bad_cameras")
    grant = service.grant_role(
        db,
        ctx.clock,
        _who(request, me),
        person_id,
        body.role.value,
        body.department_id,
        sorted(set(body.camera_ids)) if body.camera_ids else None,
    )
    return {"id": grant.id, "role": grant.role, "person_id": person_id}


@router.post("/api/role-grants/{grant_id}/revoke")
def api_revoke(
    request: Request, ctx: Ctx, db: DbSession, me: Manager, grant_id: int
) -> dict[str, Any]:
    grant = service.revoke_role(db, ctx.clock, _who(request, me), grant_id)
    return {"id": grant.id, "revoked": True}


@router.post("/api/people/{person_id}/pledges", status_code=201)
def api_pledge(
    request: Request, ctx: Ctx, db: DbSession, me: PledgeRecorder, person_id: int, body: PledgeIn
) -> dict[str, Any]:
    pledge = service.record_pledge(
        db,
        ctx.clock,
        _who(request, me),
        effective_auth(ctx.settings),
        person_id,
        body.signed_at,
        body.document_ref,
    )
    return {"id": pledge.id, "person_id": person_id}


@router.post("/api/people/{person_id}/trainings", status_code=201)
def api_training(
    request: Request,
    ctx: Ctx,
    db: DbSession,
    me: TrainingRecorder,
    person_id: int,
    body: TrainingIn,
) -> dict[str, Any]:
    training = service.record_training(
        db,
        ctx.clock,
        _who(request, me),
        effective_auth(ctx.settings),
        person_id,
        body.course,
        body.completed_at,
    )
    return {"id": training.id, "valid_until": training.valid_until.isoformat()}


@router.post("/api/people/{person_id}/disable")
def api_disable(
    request: Request, ctx: Ctx, db: DbSession, me: Manager, person_id: int
) -> dict[str, Any]:
    person = service.disable_person(db, ctx.clock, _who(request, me), person_id)
    return {"id": person.id, "active": person.active}


@router.get("/api/posts")
def api_posts(db: DbSession, me: Reader) -> list[dict[str, Any]]:
    return [
        {
            "id": p.id,
            "code": p.code,
            "name_ko": p.name_ko,
            "name_en": p.name_en,
            "department_id": p.department_id,
            "ex_officio_role": p.ex_officio_role,
        }
        for p in db.scalars(select(Post).order_by(Post.code))
    ]


@router.post("/api/posts", status_code=201)
def api_create_post(
    request: Request, ctx: Ctx, db: DbSession, me: DeptManager, body: PostCreate
) -> dict[str, Any]:
    post = service.create_post(
        db,
        ctx.clock,
        _who(request, me),
        code=body.code,
        name_ko=body.name_ko,
        name_en=body.name_en,
        department_id=body.department_id,
        ex_officio_role=body.ex_officio_role,
    )
    return {"id": post.id, "code": post.code}
