"""HTTP API of access requests and grants (ORD-28, 30.2). JSON in and out.

- `POST /api/requests` (request.create): submit; 201 with the request.
- `GET /api/requests` (authenticated): the requests this principal may see (approvers
  and ledger readers: all; emergency approvers: their department's; others: their own).
- `GET /api/requests/{id}` (authenticated): one request, its items and grant.
- `POST /api/requests/{id}/approve|reject|confirm|refuse` (request.approve) and
  `/emergency-approve` (request.approve_emergency): decisions. A body may carry the
  `version` the decider saw: if the request changed since, 409 says how it stands now.

Times are ISO 8601 with an offset (`2026-11-20T21:00:00+09:00`); naive times are refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from gwanje.auth.permissions import Permission as P
from gwanje.auth.principal import Principal
from gwanje.clock import parse_aware
from gwanje.context import Gwanje
from gwanje.errors import Forbidden, InvalidInput, NotFound
from gwanje.governance import attachments, exports
from gwanje.governance.attachments import attachments_of
from gwanje.governance.exports import ExportInput
from gwanje.governance.models import (
    AccessGrant,
    AccessGrantPerson,
    AccessRequest,
    Provision,
    RequestAttachment,
)
from gwanje.governance.provision import Provisions, Recipient, overdue
from gwanje.governance.requests import ItemInput, RequestInput, Requests
from gwanje.people.models import Person
from gwanje.registry.models import Camera
from gwanje.web.deps import Ctx
from gwanje.web.jsonbody import json_object
from gwanje.web.security import authenticated, client_ip, requires

router = APIRouter()
Requester = Annotated[Principal, requires(P.REQUEST_CREATE)]
Approver = Annotated[Principal, requires(P.REQUEST_APPROVE)]
EmergencyApprover = Annotated[Principal, requires(P.REQUEST_APPROVE_EMERGENCY)]
Anyone = Annotated[Principal, authenticated()]
T = TypeVar("T")


async def _body(request: Request) -> dict[str, Any]:
    return await json_object(request, "governance.error.request_invalid")


def _time(value: object, name: str) -> datetime:
    return parse_aware(value, name, "governance.error.request_invalid")


def _text(data: dict[str, Any], name: str, default: str | None = None) -> str:
    value = data.get(name, default)
    if value is None or not isinstance(value, str):
        raise InvalidInput("governance.error.request_invalid", detail=f"{name}: text required")
    return value


def _request_input(data: dict[str, Any]) -> RequestInput:
    items = data.get("items")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise InvalidInput("governance.error.request_invalid", detail="items: a list of objects")
    return RequestInput(
        requester_kind=_text(data, "requester_kind"), requester_org=_text(data, "requester_org"),
        requester_name=_text(data, "requester_name"), kind=_text(data, "kind"),
        legal_basis=_text(data, "legal_basis"), purpose=_text(data, "purpose"),
        requester_contact=_text(data, "requester_contact", ""),
        requester_rank=_text(data, "requester_rank", ""),
        letter_no=data.get("letter_no") if isinstance(data.get("letter_no"), str) else None,
        crime_type=data.get("crime_type") if isinstance(data.get("crime_type"), str) else None,
        items=tuple(ItemInput(_text(i, "camera_code"), _time(i.get("start_at"), "start_at"),
                              _time(i.get("end_at"), "end_at")) for i in items),
    )  # fmt: skip


def _names(data: dict[str, Any]) -> list[str]:
    grantees = data.get("grantees")
    if not isinstance(grantees, list) or not all(isinstance(g, str) for g in grantees):
        raise InvalidInput("governance.error.grantees_required")
    return grantees


def _version(data: dict[str, Any]) -> int | None:
    version = data.get("version")
    return version if isinstance(version, int) and not isinstance(version, bool) else None


def _work(ctx: Gwanje, request: Request, principal: Principal,
          job: Callable[[Requests], T]) -> T:  # fmt: skip
    with ctx.transaction() as session:
        return job(Requests(session, ctx.settings, ctx.clock, principal, client_ip(request)))


def visible_request(ctx: Gwanje, principal: Principal, request_id: int) -> dict[str, Any]:
    """One request described, if this principal may see it; otherwise NotFound, so
    existence is not disclosed."""
    with ctx.sessions() as session:
        row = session.get(AccessRequest, request_id)
        data = None if row is None else _as_json(session, row)
        if row is None or data is None or not _may_see(principal, row, data):
            raise NotFound("governance.error.request_not_found", request_id=request_id)
        return data


def visible_requests(ctx: Gwanje, principal: Principal, limit: int) -> list[dict[str, Any]]:
    """The newest requests this principal may see, described in one session."""
    with ctx.sessions() as session:
        rows = list(
            session.scalars(select(AccessRequest).order_by(AccessRequest.id.desc()).limit(limit))
        )
        described = zip(rows, _described(session, rows), strict=True)
        return [data for r, data in described if _may_see(principal, r, data)]


def _as_json(session: Session, row: AccessRequest) -> dict[str, Any]:
    return _described(session, [row])[0]


def _described(session: Session, rows: list[AccessRequest]) -> list[dict[str, Any]]:
    """Requests as JSON; what they refer to (camera codes, grants, grantees, attachments)
    is read in one query each, however many requests there are (a list of 500 took ~2,000
    queries when each request read its own)."""
    ids = [r.id for r in rows]
    camera_ids = {i.camera_id for r in rows for i in r.items}
    codes: dict[int, str] = {}
    if camera_ids:
        query = select(Camera.id, Camera.code).where(Camera.id.in_(camera_ids))
        codes = {camera_id: code for camera_id, code in session.execute(query)}
    grants: dict[int, AccessGrant] = {}
    if ids:
        query_grants = select(AccessGrant).where(AccessGrant.request_id.in_(ids))
        grants = {g.request_id: g for g in session.scalars(query_grants)}
    grantees = _grantees(session, [g.id for g in grants.values()])
    files = attachments_of(session, ids)
    return [
        _request_json(row, codes, grants.get(row.id), grantees, files.get(row.id, []))
        for row in rows
    ]


def _request_json(row: AccessRequest, codes: dict[int, str], grant: AccessGrant | None,
                  grantees: dict[int, list[str]],
                  files: list[RequestAttachment]) -> dict[str, Any]:  # fmt: skip
    return {
        "id": row.id, "state": row.state, "version": row.version, "handler": row.handler,
        "department_id": row.department_id, "requester_kind": row.requester_kind,
        "requester_org": row.requester_org, "requester_name": row.requester_name,
        "requester_rank": row.requester_rank,
        "kind": row.kind, "legal_basis": row.legal_basis, "purpose": row.purpose,
        "letter_no": row.letter_no, "crime_type": row.crime_type,
        "created_at": row.created_at.isoformat(), "created_by": row.created_by,
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        "decision_reason": row.decision_reason,
        "followup_due_at": row.followup_due_at.isoformat() if row.followup_due_at else None,
        "items": [{"camera_code": codes.get(i.camera_id), "camera_id": i.camera_id,
                   "start_at": i.start_at.isoformat(), "end_at": i.end_at.isoformat()}
                  for i in row.items],
        "attachments": [{"id": a.id, "filename": a.filename, "sha256": a.sha256,
                         "bytes": a.bytes} for a in files],
        "grant": None if grant is None else {
            "id": grant.id, "state": grant.state, "valid_until": grant.valid_until.isoformat(),
            "grantees": grantees.get(grant.id, []), "recall_reason": grant.recall_reason,
        },
    }  # fmt: skip


def _grantees(session: Session, grant_ids: list[int]) -> dict[int, list[str]]:
    """Each grant's grantees' usernames, sorted, in one query."""
    found: dict[int, list[str]] = {}
    if grant_ids:
        query = (
            select(AccessGrantPerson.grant_id, Person.username)
            .join(Person, AccessGrantPerson.person_id == Person.id)
            .where(AccessGrantPerson.grant_id.in_(grant_ids))
            .order_by(Person.username)
        )
        for grant_id, username in session.execute(query):
            found.setdefault(grant_id, []).append(username)
    return found


def _may_see(principal: Principal, row: AccessRequest, data: dict[str, Any]) -> bool:
    """Approvers and ledger readers see all; emergency approvers their scope; the
    requester their own; the people a grant names the request behind it."""
    if principal.can(P.REQUEST_APPROVE) or principal.can(P.LEDGER_READ):
        return True
    if principal.can(P.REQUEST_APPROVE_EMERGENCY):
        scope = principal.scope_for(P.REQUEST_APPROVE_EMERGENCY)
        if scope is None or row.handler == "center" or row.department_id in scope:
            return True
    if row.created_by is not None and row.created_by == principal.person_id:
        return True
    return data["grant"] is not None and principal.username in data["grant"]["grantees"]


@router.post("/api/requests")
async def submit_request(request: Request, ctx: Ctx, principal: Requester) -> JSONResponse:
    data = _request_input(await _body(request))
    created = await run_in_threadpool(_work, ctx, request, principal, lambda r: r.submit(data).id)
    described = await run_in_threadpool(visible_request, ctx, principal, created)
    return JSONResponse(described, status_code=201)


@router.get("/api/requests")
def list_requests(ctx: Ctx, principal: Anyone) -> JSONResponse:
    return JSONResponse({"requests": visible_requests(ctx, principal, 500)})


@router.get("/api/requests/{request_id}")
def get_request(ctx: Ctx, principal: Anyone, request_id: int) -> JSONResponse:
    return JSONResponse(visible_request(ctx, principal, request_id))


async def _decide(request: Request, ctx: Gwanje, principal: Principal, request_id: int,
                  job: Callable[[Requests, dict[str, Any]], object]) -> JSONResponse:  # fmt: skip
    data = await _body(request)
    await run_in_threadpool(_work, ctx, request, principal, lambda r: job(r, data))
    return JSONResponse(await run_in_threadpool(visible_request, ctx, principal, request_id))


@router.post("/api/requests/{request_id}/approve")
async def approve(request: Request, ctx: Ctx, principal: Approver, request_id: int) -> JSONResponse:
    def job(r: Requests, d: dict[str, Any]) -> object:
        days = d.get("valid_days")
        days = days if isinstance(days, int) and not isinstance(days, bool) else None
        return r.approve(request_id, _names(d), days, _version(d))

    return await _decide(request, ctx, principal, request_id, job)


@router.post("/api/requests/{request_id}/reject")
async def reject(request: Request, ctx: Ctx, principal: Approver, request_id: int) -> JSONResponse:
    def job(r: Requests, d: dict[str, Any]) -> object:
        return r.reject(request_id, _text(d, "reason", ""), _version(d))

    return await _decide(request, ctx, principal, request_id, job)


@router.post("/api/requests/{request_id}/emergency-approve")
async def approve_emergency(
    request: Request, ctx: Ctx, principal: EmergencyApprover, request_id: int
) -> JSONResponse:
    def job(r: Requests, d: dict[str, Any]) -> object:
        return r.approve_emergency(request_id, _names(d), version=_version(d))

    return await _decide(request, ctx, principal, request_id, job)


@router.post("/api/requests/{request_id}/confirm")
async def confirm(request: Request, ctx: Ctx, principal: Approver, request_id: int) -> JSONResponse:
    def job(r: Requests, d: dict[str, Any]) -> object:
        return r.confirm_emergency(request_id, _version(d))

    return await _decide(request, ctx, principal, request_id, job)


@router.post("/api/requests/{request_id}/refuse")
async def refuse(request: Request, ctx: Ctx, principal: Approver, request_id: int) -> JSONResponse:
    def job(r: Requests, d: dict[str, Any]) -> object:
        return r.refuse_emergency(request_id, _text(d, "reason", ""), _version(d))

    return await _decide(request, ctx, principal, request_id, job)


# ---- evidence export ---------------------------------------------------------------------

Exporter = Annotated[Principal, requires(P.VIDEO_EXPORT)]


@router.post("/api/exports")
async def create_export(request: Request, ctx: Ctx, principal: Exporter) -> JSONResponse:
    data = await _body(request)
    camera_id, keep = data.get("camera_id"), data.get("keep_days", 30)
    password = data.get("password")
    if not isinstance(camera_id, int) or not isinstance(keep, int):
        raise InvalidInput("governance.error.export_invalid", detail="camera_id, keep_days")
    wanted = ExportInput(
        camera_id, _text(data, "stream", "main"), _time(data.get("start"), "start"),
        _time(data.get("end"), "end"), keep, password if isinstance(password, str) else None,
        watermark=data.get("watermark") is True,
    )  # fmt: skip

    def make() -> dict[str, Any] | None:
        with ctx.transaction() as session:
            row = exports.create_export(
                session, ctx.settings, ctx.clock, principal, wanted, client_ip(request)
            )
            if row is None:
                return None
            return {"id": row.id, "package": row.package, "sha256": row.package_sha256,
                    "encrypted": row.encrypted, "expires_at": row.expires_at.isoformat(),
                    "download": f"/api/exports/{row.id}/download"}  # fmt: skip

    made = await run_in_threadpool(make)
    if made is None:  # the refusal is in the ledger already (its transaction committed)
        raise Forbidden("governance.error.export_no_grant")
    return JSONResponse(made, status_code=201)


@router.get("/api/exports/{export_id}/download")
def download_export(
    request: Request, ctx: Ctx, principal: Exporter, export_id: int
) -> FileResponse:
    with ctx.transaction() as session:
        path = exports.download_path(
            session, ctx.settings, ctx.clock, principal, export_id, client_ip(request)
        )
    return FileResponse(path, media_type="application/zip", filename=path.name)


# ---- provision: delivery, result, destruction (ORD-31.2, 33) -------------------------------


def _provision_json(row: Provision) -> dict[str, Any]:
    return {
        "id": row.id, "export_id": row.export_id, "request_id": row.request_id,
        "recipient": row.recipient, "method": row.method, "receipt": row.receipt,
        "recipient_rank": row.recipient_rank, "recipient_contact": row.recipient_contact,
        "recipient_pledge": row.recipient_pledge, "arrest": row.arrest,
        "delivered_at": row.delivered_at.isoformat(), "destroy_by": row.destroy_by.isoformat(),
        "result_report": row.result_report,
        "destroyed_at": row.destroyed_at.isoformat() if row.destroyed_at else None,
    }  # fmt: skip


def _provisions(ctx: Gwanje, request: Request, principal: Principal,
                job: Callable[[Provisions], Provision]) -> dict[str, Any]:  # fmt: skip
    with ctx.transaction() as session:
        service = Provisions(session, ctx.settings, ctx.clock, principal, client_ip(request))
        return _provision_json(job(service))


@router.post("/api/exports/{export_id}/deliver")
async def deliver(request: Request, ctx: Ctx, principal: Exporter, export_id: int) -> JSONResponse:
    d = await _body(request)
    due = _time(d["destroy_by"], "destroy_by") if d.get("destroy_by") else None

    def job(p: Provisions) -> Provision:
        who = Recipient(
            _text(d, "recipient", ""),
            _text(d, "recipient_rank", ""),
            _text(d, "recipient_contact", ""),
            d.get("recipient_pledge") is True,
        )
        return p.deliver(export_id, who, _text(d, "method", ""),
                         _text(d, "receipt", ""), due)  # fmt: skip

    made = await run_in_threadpool(_provisions, ctx, request, principal, job)
    return JSONResponse(made, status_code=201)


Step = Callable[[Provisions, dict[str, Any]], Provision]


async def _step(request: Request, ctx: Gwanje, principal: Principal, step: Step) -> JSONResponse:
    data = await _body(request)
    made = await run_in_threadpool(_provisions, ctx, request, principal, lambda p: step(p, data))
    return JSONResponse(made)


@router.post("/api/provisions/{provision_id}/result")
async def report_result(
    request: Request, ctx: Ctx, principal: Exporter, provision_id: int
) -> JSONResponse:
    return await _step(request, ctx, principal, lambda p, d: p.report_result(
        provision_id, _text(d, "result", ""), _arrest(d.get("arrest"))))  # fmt: skip


def _arrest(value: object) -> bool | None:
    """Whether an arrest resulted: true, false, or not said (null/absent)."""
    if value is None or isinstance(value, bool):
        return value
    raise InvalidInput("governance.error.provision_invalid", detail="arrest: true, false or null")


@router.post("/api/provisions/{provision_id}/destroyed")
async def confirm_destroyed(
    request: Request, ctx: Ctx, principal: Exporter, provision_id: int
) -> JSONResponse:
    return await _step(request, ctx, principal, lambda p, d: p.confirm_destroyed(
        provision_id, _text(d, "statement", "")))  # fmt: skip


@router.get("/api/provisions/overdue")
def overdue_provisions(ctx: Ctx, principal: Exporter) -> JSONResponse:
    """Copies past their destruction date without a confirmation: the reminders."""
    with ctx.sessions() as session:
        rows = overdue(session, ctx.clock.now())
        return JSONResponse({"overdue": [_provision_json(r) for r in rows]})


# ---- attachments: the official letter and other documents (ORD-28.1) ---------------------


def store_attachment(ctx: Gwanje, request: Request, principal: Principal, request_id: int,
                     filename: str, data: bytes) -> dict[str, Any]:  # fmt: skip
    visible_request(ctx, principal, request_id)
    with ctx.transaction() as session:
        row = attachments.attach(session, ctx.settings, ctx.clock, principal, request_id,
                                 filename, data, client_ip(request))  # fmt: skip
        return {"id": row.id, "filename": row.filename, "sha256": row.sha256, "bytes": row.bytes}


async def read_upload(request: Request) -> tuple[str, bytes]:
    """The uploaded file (multipart field `file`), read at most one byte past the limit."""
    form = await request.form(max_part_size=attachments.MAX_BYTES + 1)
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise InvalidInput("governance.attachment.missing")
    data = await upload.read(attachments.MAX_BYTES + 1)
    return upload.filename or "document.pdf", data


@router.post("/api/requests/{request_id}/attachments")
async def add_attachment(request: Request, ctx: Ctx, principal: Anyone,
                         request_id: int) -> JSONResponse:  # fmt: skip
    filename, data = await read_upload(request)
    made = await run_in_threadpool(store_attachment, ctx, request, principal, request_id,
                                   filename, data)  # fmt: skip
    return JSONResponse(made, status_code=201)


@router.get("/requests/{request_id}/attachments/{attachment_id}")
def download_attachment(request: Request, ctx: Ctx, principal: Anyone, request_id: int,
                        attachment_id: int) -> FileResponse:  # fmt: skip
    visible_request(ctx, principal, request_id)
    with ctx.transaction() as session:
        row = session.get(RequestAttachment, attachment_id)
        if row is None or row.request_id != request_id:
            raise NotFound("governance.attachment.not_found", attachment_id=attachment_id)
        path = attachments.opened(session, ctx.settings, ctx.clock, principal, row,
                                  client_ip(request))  # fmt: skip
        name = row.filename
    return FileResponse(path, media_type="application/pdf", filename=name)
