"""HTTP API of data-subject requests (ORD-29, PIPA-4). JSON in and out; every route needs
`subject_request.manage` (the public form and status page are in `pages.py`).

- `POST /api/subjects`: staff intake; 201 with the request, its receipt number and the
  verification secret (shown once: hand it to the subject).
- `GET /api/subjects` (`?overdue=true`), `GET /api/subjects/overdue`, `GET /api/subjects/{id}`.
- `POST /api/subjects/{id}/identity|cameras|grant|postpone|refuse|release|close`: the
  steps; a body may carry the `version` the caller saw (409 if it changed since).
- `GET /api/subjects/{id}/form1.pdf`, `/notice.pdf`: form 1 and the result notice.

Times are ISO 8601 with an offset; a request the principal may not see is "not found".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from gwanje.auth.permissions import Permission as P
from gwanje.auth.principal import Principal
from gwanje.clock import parse_aware
from gwanje.context import Gwanje
from gwanje.errors import InvalidInput, NotFound
from gwanje.governance.requests import ItemInput
from gwanje.governance.subjects import forms, rules
from gwanje.governance.subjects.models import SubjectRequest, SubjectRequestStep
from gwanje.governance.subjects.service import (
    PlaceInput,
    ReleaseInput,
    SubjectInput,
    Subjects,
    may_see,
    overdue,
)
from gwanje.people.models import Person
from gwanje.registry.models import Camera
from gwanje.web.deps import Ctx
from gwanje.web.jsonbody import json_object
from gwanje.web.security import client_ip, requires

router = APIRouter()
Manager = Annotated[Principal, requires(P.SUBJECT_REQUEST_MANAGE)]
T = TypeVar("T")
LIST_LIMIT = 500


def work(ctx: Gwanje, request: Request, principal: Principal | None,
         job: Callable[[Subjects], T]) -> T:  # fmt: skip
    """Run `job` in one transaction as `principal` (None: the public form)."""
    with ctx.transaction() as session:
        return job(Subjects(session, ctx.settings, ctx.clock, principal, client_ip(request)))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _cameras(session: Session, rows: list[SubjectRequest]) -> dict[int, Camera]:
    ids = {i.camera_id for r in rows for i in r.items}
    return {c.id: c for c in session.scalars(select(Camera).where(Camera.id.in_(ids)))}


def describe(settings: Any, row: SubjectRequest, cameras: dict[int, Camera],
             steps: list[SubjectRequestStep], now: datetime) -> dict[str, Any]:  # fmt: skip
    """The staff view of a request (everything but the secret's hash); `steps` is its
    timeline."""
    tz = settings.registry.timezone
    return {
        "id": row.id, "receipt_no": row.receipt_no, "kind": row.kind, "channel": row.channel,
        "state": row.state, "version": row.version, "route": row.route,
        "applicant_name": row.applicant_name, "applicant_birth": row.applicant_birth,
        "applicant_contact": row.applicant_contact, "applicant_address": row.applicant_address,
        "agent": row.agent, "subject_name": row.subject_name, "vehicle_no": row.vehicle_no,
        "purpose": row.purpose, "details": row.details,
        "received_at": _iso(row.received_at), "due_at": _iso(row.due_at),
        "due_date": rules.last_day(row.due_at, tz).isoformat(),
        "overdue": row.state in ("received", "verified", "postponed") and now >= row.due_at,
        "identity_docs": [d for d in row.identity_docs.split(",") if d],
        "identity_note": row.identity_note, "identity_verified_at": _iso(row.identity_verified_at),
        "decided_at": _iso(row.decided_at), "grant_mode": row.grant_mode,
        "decision_note": row.decision_note, "refusal_ground": row.refusal_ground,
        "appeal": row.appeal, "notice_method": row.notice_method,
        "released_at": _iso(row.released_at), "release_package": row.release_package,
        "release_sha256": row.release_sha256, "masking_cost_won": row.masking_cost_won,
        "closed_at": _iso(row.closed_at), "close_reason": row.close_reason,
        "places": [{"place": p.place, "start_at": p.start_at.isoformat(),
                    "end_at": p.end_at.isoformat()} for p in row.places],
        "items": [{"id": i.id, "camera_id": i.camera_id, "camera_code": cameras[i.camera_id].code
                   if i.camera_id in cameras else None, "start_at": i.start_at.isoformat(),
                   "end_at": i.end_at.isoformat()} for i in row.items],
        "timeline": [{"at": s.at.isoformat(), "step": s.step, "actor": s.actor, "note": s.note}
                     for s in steps],
    }  # fmt: skip


def _steps(session: Session, request_ids: list[int]) -> dict[int, list[SubjectRequestStep]]:
    """Each request's timeline, in order, in one query (was one query per listed request)."""
    found: dict[int, list[SubjectRequestStep]] = {}
    if request_ids:
        query = select(SubjectRequestStep).where(SubjectRequestStep.request_id.in_(request_ids))
        for step in session.scalars(query.order_by(SubjectRequestStep.id)):
            found.setdefault(step.request_id, []).append(step)
    return found


def visible(ctx: Gwanje, principal: Principal, overdue_only: bool = False,
            limit: int = LIST_LIMIT) -> list[dict[str, Any]]:  # fmt: skip
    """The newest requests this principal may see (overdue ones only, most late first)."""
    now = ctx.clock.now()
    with ctx.sessions() as session:
        if overdue_only:
            rows = overdue(session, now)[:limit]
        else:
            query = select(SubjectRequest).order_by(SubjectRequest.id.desc()).limit(limit)
            rows = list(session.scalars(query))
        cameras = _cameras(session, rows)
        rows = [r for r in rows if may_see(principal, r, cameras)]
        steps = _steps(session, [r.id for r in rows])
        return [describe(ctx.settings, r, cameras, steps.get(r.id, []), now) for r in rows]


def one(ctx: Gwanje, principal: Principal, request_id: int) -> dict[str, Any]:
    with ctx.sessions() as session:
        row = session.get(SubjectRequest, request_id)
        cameras = _cameras(session, [row]) if row else {}
        if row is None or not may_see(principal, row, cameras):  # existence not disclosed
            raise NotFound("subjects.error.not_found", request_id=request_id)
        steps = _steps(session, [row.id]).get(row.id, [])
        return describe(ctx.settings, row, cameras, steps, ctx.clock.now())


def public_view(settings: Any, row: SubjectRequest) -> dict[str, Any]:
    """What the subject sees with their receipt and secret: the decision, not staff notes."""
    tz = settings.registry.timezone
    return {
        "receipt_no": row.receipt_no, "kind": row.kind, "state": row.state,
        "received_at": _iso(row.received_at),
        "due_date": rules.last_day(row.due_at, tz).isoformat(),
        "decided_at": _iso(row.decided_at), "grant_mode": row.grant_mode,
        "decision_note": row.decision_note if row.decided_at else "",
        "refusal_ground": row.refusal_ground, "appeal": row.appeal,
        "released_at": _iso(row.released_at), "masking_cost_won": row.masking_cost_won,
    }  # fmt: skip


# ---- input ------------------------------------------------------------------------------


async def _body(request: Request) -> dict[str, Any]:
    return await json_object(request, "subjects.error.invalid")


def _str(data: dict[str, Any], name: str, default: str = "") -> str:
    value = data.get(name, default)
    if not isinstance(value, str):
        raise InvalidInput("subjects.error.invalid", detail=f"{name}: text required")
    return value


def _list(data: dict[str, Any], name: str) -> list[Any]:
    value = data.get(name)
    if not isinstance(value, list):
        raise InvalidInput("subjects.error.invalid", detail=f"{name}: a list")
    return value


def _int(data: dict[str, Any], name: str) -> int | None:
    value = data.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _time(value: object, name: str) -> datetime:
    return parse_aware(value, name, "subjects.error.invalid")


def subject_input(data: dict[str, Any]) -> SubjectInput:
    places = [p for p in _list(data, "places") if isinstance(p, dict)]
    return SubjectInput(
        kind=_str(data, "kind"), applicant_name=_str(data, "applicant_name"),
        applicant_contact=_str(data, "applicant_contact"), purpose=_str(data, "purpose"),
        places=tuple(PlaceInput(_str(p, "place"), _time(p.get("start_at"), "start_at"),
                                _time(p.get("end_at"), "end_at")) for p in places),
        applicant_birth=_str(data, "applicant_birth"),
        applicant_address=_str(data, "applicant_address"), agent=data.get("agent") is True,
        subject_name=_str(data, "subject_name"), vehicle_no=_str(data, "vehicle_no"),
        details=_str(data, "details"),
    )  # fmt: skip


def _items(data: dict[str, Any]) -> tuple[ItemInput, ...]:
    rows = [i for i in _list(data, "items") if isinstance(i, dict)]
    return tuple(ItemInput(_str(i, "camera_code"), _time(i.get("start_at"), "start_at"),
                           _time(i.get("end_at"), "end_at")) for i in rows)  # fmt: skip


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput("subjects.error.invalid", detail="until: YYYY-MM-DD") from None


# ---- routes -------------------------------------------------------------------------------


@router.post("/api/subjects")
async def receive(request: Request, ctx: Ctx, principal: Manager) -> JSONResponse:
    data = subject_input(await _body(request))
    receipt = await run_in_threadpool(work, ctx, request, principal, lambda s: s.receive(data))
    found = await run_in_threadpool(one, ctx, principal, receipt.request_id)
    return JSONResponse({**found, "secret": receipt.secret}, status_code=201)


@router.get("/api/subjects")
def list_subjects(ctx: Ctx, principal: Manager, overdue: bool = False) -> JSONResponse:
    return JSONResponse({"requests": visible(ctx, principal, overdue)})


@router.get("/api/subjects/overdue")
def overdue_subjects(ctx: Ctx, principal: Manager) -> JSONResponse:
    """Undecided requests past their due date (PIPA-4), most late first."""
    return JSONResponse({"overdue": visible(ctx, principal, overdue_only=True)})


@router.get("/api/subjects/{request_id}")
def get_subject(ctx: Ctx, principal: Manager, request_id: int) -> JSONResponse:
    return JSONResponse(one(ctx, principal, request_id))


Step = Callable[[Subjects, dict[str, Any]], object]


async def _step(request: Request, ctx: Gwanje, principal: Principal, request_id: int,
                step: Step) -> JSONResponse:  # fmt: skip
    data = await _body(request)
    await run_in_threadpool(work, ctx, request, principal, lambda s: step(s, data))
    return JSONResponse(await run_in_threadpool(one, ctx, principal, request_id))


@router.post("/api/subjects/{request_id}/identity")
async def verify(request: Request, ctx: Ctx, principal: Manager, request_id: int) -> JSONResponse:
    def step(s: Subjects, d: dict[str, Any]) -> object:
        documents = [str(x) for x in _list(d, "documents")]
        return s.verify_identity(request_id, documents, _str(d, "note"), _int(d, "version"))

    return await _step(request, ctx, principal, request_id, step)


@router.post("/api/subjects/{request_id}/cameras")
async def resolve(request: Request, ctx: Ctx, principal: Manager, request_id: int) -> JSONResponse:
    def step(s: Subjects, d: dict[str, Any]) -> object:
        return s.resolve(request_id, _items(d), _int(d, "version"))

    return await _step(request, ctx, principal, request_id, step)


@router.post("/api/subjects/{request_id}/grant")
async def grant(request: Request, ctx: Ctx, principal: Manager, request_id: int) -> JSONResponse:
    return await _step(request, ctx, principal, request_id, lambda s, d: s.grant(
        request_id, d.get("mode") if isinstance(d.get("mode"), str) else None,
        _str(d, "note"), _str(d, "notice_method"), _int(d, "version")))  # fmt: skip


@router.post("/api/subjects/{request_id}/postpone")
async def postpone(request: Request, ctx: Ctx, principal: Manager, request_id: int) -> JSONResponse:
    return await _step(request, ctx, principal, request_id, lambda s, d: s.postpone(
        request_id, _str(d, "reason"), _day(_str(d, "until")), _str(d, "notice_method"),
        _int(d, "version")))  # fmt: skip


@router.post("/api/subjects/{request_id}/refuse")
async def refuse(request: Request, ctx: Ctx, principal: Manager, request_id: int) -> JSONResponse:
    return await _step(request, ctx, principal, request_id, lambda s, d: s.refuse(
        request_id, str(d.get("ground", "")), _str(d, "reason"), _str(d, "appeal"),
        _str(d, "notice_method"), _int(d, "version")))  # fmt: skip


@router.post("/api/subjects/{request_id}/release")
async def release(request: Request, ctx: Ctx, principal: Manager, request_id: int) -> JSONResponse:
    """The masked clip's release (the masking engine calls this once its package is out)."""

    def step(s: Subjects, d: dict[str, Any]) -> object:
        cost = _int(d, "masking_cost_won")
        data = ReleaseInput(_str(d, "package_id"), _str(d, "sha256"), -1 if cost is None else cost)
        return s.release(request_id, data, _int(d, "version"))

    return await _step(request, ctx, principal, request_id, step)


@router.post("/api/subjects/{request_id}/close")
async def close(request: Request, ctx: Ctx, principal: Manager, request_id: int) -> JSONResponse:
    def step(s: Subjects, d: dict[str, Any]) -> object:
        return s.close(request_id, _str(d, "reason"), _int(d, "version"))

    return await _step(request, ctx, principal, request_id, step)


def document(ctx: Gwanje, request: Request, principal: Principal, request_id: int,
             which: str) -> Response:  # fmt: skip
    """Form 1 or the result notice, its printing audited in the same transaction."""
    with ctx.transaction() as session:
        service = Subjects(session, ctx.settings, ctx.clock, principal, client_ip(request))
        row = service.issue_document(request_id, which)
        names = forms.Names(
            cameras={c.id: c.code for c in _cameras(session, [row]).values()},
            verified_by=_person(session, row.identity_verified_by),
            decided_by=_person(session, row.decided_by),
        )
        build = forms.form1 if which == "form1" else forms.notice
        content = build(ctx.settings, row, names, ctx.clock.now())
        name = f"{row.receipt_no}-{which}.pdf"
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


def _person(session: Session, person_id: int | None) -> str:
    person = session.get(Person, person_id) if person_id else None
    return person.display_name if person else "—"


@router.get("/api/subjects/{request_id}/form1.pdf")
def form1_pdf(request: Request, ctx: Ctx, principal: Manager, request_id: int) -> Response:
    """Form 1 (별지 제1호서식; ORD-29.4): the request with identity and purpose."""
    return document(ctx, request, principal, request_id, "form1")


@router.get("/api/subjects/{request_id}/notice.pdf")
def notice_pdf(request: Request, ctx: Ctx, principal: Manager, request_id: int) -> Response:
    """The result notice (결과 통지서): decision, reason, and how to appeal a refusal."""
    return document(ctx, request, principal, request_id, "notice")
