"""Reading the management ledger (`ManagementLedger` — 개인영상정보 관리대장; ORD-33, PIPA-5).

Rows come from the projection (`gwanje.ledgers.projection`), brought up to date first;
the workflow facts that can change after the event (a provision's destruction, its
result report) and those that never do (the request's letter number, crime type,
purpose) are joined on read, so a row always shows the current state of its copy.

Invariants: read-only apart from the projection's catch-up; filters are parsed into
typed values or refused with an i18n error; calendar dates are local (the city's time
zone) turned into UTC bounds; every row carries the references an auditor needs to check
it against the audit ledger and the workflows (`sources`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from gwanje.errors import InvalidInput
from gwanje.governance.models import AccessGrant, AccessRequest, EvidenceExport, Provision
from gwanje.governance.subjects.models import SubjectRequest
from gwanje.ledgers.models import LedgerKind, ManagementRow
from gwanje.people.models import Department, Pledge
from gwanje.registry.models import Camera

MAX_ROWS = 100_000  # a download; the page shows the newest PAGE_ROWS
PAGE_ROWS = 500

# Column keys in the order of the official form (PIPA-5, then the city's extensions).
COLUMNS = (
    "kind", "at", "file", "officer", "purpose", "requester", "recipient", "basis", "form",
    "period", "destroy_due", "destroyed_at", "destroyed_by", "letter_no", "crime_type",
    "pledge", "result", "sources",
)  # fmt: skip


@dataclass(frozen=True)
class ManagementFilter:
    date_from: date | None = None  # inclusive, local
    date_to: date | None = None  # inclusive, local
    kind: LedgerKind | None = None
    camera: str | None = None  # camera code
    department: str | None = None  # department code
    requester_org: str | None = None  # part of the requesting body's name

    def as_params(self) -> dict[str, str]:
        values = {"date_from": self.date_from, "date_to": self.date_to, "kind": self.kind,
                  "camera": self.camera, "department": self.department,
                  "requester_org": self.requester_org}  # fmt: skip
        return {k: str(v) for k, v in values.items() if v is not None}


def _param(params: Mapping[str, str], name: str, parse: Callable[[str], Any]) -> Any:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        return parse(raw)
    except ValueError as exc:
        raise InvalidInput("ledgers.error.bad_filter", field=name, value=raw[:40]) from exc


def parse_filter(params: Mapping[str, str]) -> ManagementFilter:
    found = ManagementFilter(
        date_from=_param(params, "date_from", date.fromisoformat),
        date_to=_param(params, "date_to", date.fromisoformat),
        kind=_param(params, "kind", LedgerKind),
        camera=_param(params, "camera", str), department=_param(params, "department", str),
        requester_org=_param(params, "requester_org", str),
    )  # fmt: skip
    if found.date_from and found.date_to and found.date_from > found.date_to:
        raise InvalidInput("ledgers.error.bad_range")
    return found


def _conditions(f: ManagementFilter, zone: ZoneInfo) -> list[ColumnElement[bool]]:
    m = ManagementRow
    where: list[ColumnElement[bool]] = []
    if f.date_from:
        where.append(m.occurred_at >= datetime.combine(f.date_from, time(0), tzinfo=zone))
    if f.date_to:
        end = datetime.combine(f.date_to + timedelta(days=1), time(0), tzinfo=zone)
        where.append(m.occurred_at < end)
    if f.kind:
        where.append(m.kind == f.kind.value)
    if f.camera:
        where.append(m.camera_id.in_(select(Camera.id).where(Camera.code == f.camera)))
    if f.department:
        in_department = select(Camera.id).join(Department, Department.id == Camera.department_id)
        where.append(m.camera_id.in_(in_department.where(Department.code == f.department)))
    if f.requester_org:
        orgs = select(AccessRequest.id).where(
            AccessRequest.requester_org.contains(f.requester_org, autoescape=True)
        )
        where.append(m.request_id.in_(orgs))
    return where


def select_rows(session: Session, f: ManagementFilter, zone: ZoneInfo,
                limit: int = MAX_ROWS) -> list[ManagementRow]:  # fmt: skip
    """Matching rows, newest first."""
    query = select(ManagementRow).where(*_conditions(f, zone))
    query = query.order_by(ManagementRow.occurred_at.desc(), ManagementRow.id.desc())
    return list(session.scalars(query.limit(limit)))


@dataclass
class _Facts:
    """The workflow rows the ledger rows refer to, loaded once per read."""

    requests: dict[int, AccessRequest]
    grants: dict[int, AccessGrant]
    exports: dict[int, EvidenceExport]
    provisions: dict[int, Provision]
    cameras: dict[int, str]
    destroyers: dict[int, ManagementRow]  # provision id -> its 파기 row
    pledges: list[Pledge]
    subjects: dict[int, SubjectRequest]


def _by_id(session: Session, model: Any, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {r.id: r for r in session.scalars(select(model).where(model.id.in_(ids)))}


def _facts(session: Session, rows: list[ManagementRow]) -> _Facts:
    def ids(name: str) -> set[int]:
        return {v for r in rows if (v := getattr(r, name)) is not None}

    provisions = _by_id(session, Provision, ids("provision_id"))
    destroyed = session.scalars(select(ManagementRow).where(
        ManagementRow.source == "provision.destroyed",
        ManagementRow.provision_id.in_(set(provisions)),
    )).all() if provisions else []  # fmt: skip
    actors = ids("actor_id")
    pledges = session.scalars(select(Pledge).where(Pledge.person_id.in_(actors))).all()
    return _Facts(
        requests=_by_id(session, AccessRequest, ids("request_id")),
        grants=_by_id(session, AccessGrant, ids("grant_id")),
        exports=_by_id(session, EvidenceExport, ids("export_id")), provisions=provisions,
        cameras=dict(session.execute(select(Camera.id, Camera.code)
                                     .where(Camera.id.in_(ids("camera_id")))).all()),
        destroyers={r.provision_id: r for r in destroyed if r.provision_id},
        pledges=list(pledges), subjects=_by_id(session, SubjectRequest, ids("subject_request_id")),
    )  # fmt: skip


def read_ledger(session: Session, f: ManagementFilter, zone: ZoneInfo,
                t: Callable[..., str], limit: int = MAX_ROWS) -> list[dict[str, str]]:  # fmt: skip
    """The ledger's rows as display text keyed by `COLUMNS`, plus `links` data."""
    rows = select_rows(session, f, zone, limit)
    facts = _facts(session, rows)
    return [_line(row, facts, zone, t) for row in rows]


def _local(value: datetime | None, zone: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "" if value is None else value.astimezone(zone).strftime(fmt)


def _line(row: ManagementRow, facts: _Facts, zone: ZoneInfo,
          t: Callable[..., str]) -> dict[str, str]:  # fmt: skip
    request = facts.requests.get(row.request_id or 0)
    export = facts.exports.get(row.export_id or 0)
    provision = facts.provisions.get(row.provision_id or 0)
    camera = facts.cameras.get(row.camera_id or 0, "")
    line = {
        "kind": t(f"ledgers.kind.{row.kind}"),
        "at": _local(row.occurred_at, zone),
        "file": _file(row, export, camera, zone, t),
        "officer": row.actor_name,
        "purpose": request.purpose if request else t(f"ledgers.rule.{row.rule or 'none'}"),
        "requester": _requester(request),
        "recipient": _recipient(provision),
        "basis": t(f"governance.basis.{request.legal_basis}") if request
        else t("ledgers.basis.retention"),
        "form": _form(row, export, provision, t),
        "period": _period(row, facts, export, provision, zone),
        **_destruction(row, facts, provision, zone),
        "letter_no": (request.letter_no or "") if request else "",
        "crime_type": (request.crime_type or "") if request else "",
        "pledge": _pledge(row, facts, provision, t),
        "result": _result(provision, t),
        "sources": _sources(row),
    }  # fmt: skip
    subject = facts.subjects.get(row.subject_request_id or 0)
    if subject is not None:
        line.update(_subject_line(subject, zone, t))
    line["request_id"] = str(row.request_id or "")
    line["audit_seq"] = str(row.first_seq)
    line["day"] = row.day
    line["event_type"] = row.source
    return line


def _subject_line(subject: SubjectRequest, zone: ZoneInfo,
                  t: Callable[..., str]) -> dict[str, str]:  # fmt: skip
    """A masked clip given to the data subject (PIPA-4): to whom, on what basis, which file."""
    who = subject.subject_name or subject.applicant_name
    applicant = f"{subject.applicant_name}, {subject.applicant_contact}"
    return {
        "purpose": subject.purpose, "requester": applicant, "recipient": who,
        "basis": t("ledgers.basis.subject"),
        "file": t("ledgers.file.masked", package=subject.release_package or "",
                  sha=(subject.release_sha256 or "")[:12]),
        "form": t("ledgers.form.masked_copy" if subject.grant_mode == "copy"
                  else "ledgers.form.masked_view"),
        "period": _local(subject.released_at, zone), "letter_no": "", "crime_type": "",
        "result": "", "destroy_due": "", "destroyed_at": "", "destroyed_by": "",
    }  # fmt: skip


def _requester(request: AccessRequest | None) -> str:
    if request is None:
        return ""
    contact = f", {request.requester_contact}" if request.requester_contact else ""
    rank = f" {request.requester_rank}" if request.requester_rank else ""
    return f"{request.requester_org}{rank} {request.requester_name}{contact}"


def _recipient(provision: Provision | None) -> str:
    """To whom (PIPA-5 city extensions: rank and contact), with the receipt."""
    if provision is None:
        return ""
    rank = f" {provision.recipient_rank}" if provision.recipient_rank else ""
    contact = f", {provision.recipient_contact}" if provision.recipient_contact else ""
    return f"{provision.recipient}{rank}{contact} ({provision.receipt})"


def _result(provision: Provision | None, t: Callable[..., str]) -> str:
    if provision is None:
        return ""
    if provision.arrest is None:
        return provision.result_report
    arrest = t("ledgers.arrest.yes" if provision.arrest else "ledgers.arrest.no")
    return f"{arrest} · {provision.result_report}" if provision.result_report else arrest


def _file(row: ManagementRow, export: EvidenceExport | None, camera: str, zone: ZoneInfo,
          t: Callable[..., str]) -> str:  # fmt: skip
    if export is not None:
        form = t("ledgers.file.package_encrypted" if export.encrypted else "ledgers.file.package")
        return f"{export.package} ({form})"
    if row.rule:
        size = f"{row.bytes / 1_000_000:.1f} MB"
        return t("ledgers.file.segments", camera=camera, first=row.first_file,
                 last=row.last_file, count=row.segments, size=size)  # fmt: skip
    span = f"{_local(row.range_start, zone)} ~ {_local(row.range_end, zone, '%H:%M:%S')}"
    return t("ledgers.file.stream", camera=camera, stream=row.stream, span=span)


def _form(row: ManagementRow, export: EvidenceExport | None, provision: Provision | None,
          t: Callable[..., str]) -> str:  # fmt: skip
    if row.kind == LedgerKind.PROVIDE and provision is not None:
        return t(f"ledgers.method.{provision.method}")
    if row.kind == LedgerKind.DESTROY:
        if provision is not None:
            return t("ledgers.form.copy_destroyed", statement=provision.destruction_statement)
        return t("ledgers.form.recalled" if export is not None else "ledgers.form.deleted")
    return t("ledgers.form.copy" if export is not None else "ledgers.form.playback")


def _period(row: ManagementRow, facts: _Facts, export: EvidenceExport | None,
            provision: Provision | None, zone: ZoneInfo) -> str:  # fmt: skip
    if provision is not None:
        return f"{_local(provision.delivered_at, zone)} ~ {_local(provision.destroy_by, zone)}"
    grant = facts.grants.get(row.grant_id or 0)
    if export is not None and row.kind == LedgerKind.USE:
        return f"{_local(export.created_at, zone)} ~ {_local(export.expires_at, zone)}"
    if grant is not None:
        return f"~ {_local(grant.valid_until, zone)}"
    return f"{_local(row.range_start, zone)} ~ {_local(row.range_end, zone)}"


def _destruction(row: ManagementRow, facts: _Facts, provision: Provision | None,
                 zone: ZoneInfo) -> dict[str, str]:  # fmt: skip
    if row.kind == LedgerKind.DESTROY:
        due = _local(provision.destroy_by, zone) if provision else ""
        return {"destroy_due": due, "destroyed_at": _local(row.occurred_at, zone),
                "destroyed_by": row.actor_name}  # fmt: skip
    if provision is not None:
        done = facts.destroyers.get(provision.id)
        return {"destroy_due": _local(provision.destroy_by, zone),
                "destroyed_at": _local(provision.destroyed_at, zone),
                "destroyed_by": done.actor_name if done else ""}  # fmt: skip
    export = facts.exports.get(row.export_id or 0)
    due = _local(export.expires_at, zone) if export else ""
    return {"destroy_due": due, "destroyed_at": "", "destroyed_by": ""}


def _pledge(row: ManagementRow, facts: _Facts, provision: Provision | None,
            t: Callable[..., str]) -> str:  # fmt: skip
    """Whether the officer had a valid security pledge (ORD-14.4) when acting; for a copy
    provided, also whether the recipient signed one (PIPA-5 city extension)."""
    officer = _officer_pledge(row, facts, t)
    if provision is None or row.kind != LedgerKind.PROVIDE:
        return officer
    signed = t("ledgers.yes" if provision.recipient_pledge else "ledgers.no")
    return t("ledgers.pledge.both", officer=officer or "—", recipient=signed)


def _officer_pledge(row: ManagementRow, facts: _Facts, t: Callable[..., str]) -> str:
    if row.actor_id is None:
        return ""
    signed = any(
        p.person_id == row.actor_id and p.signed_at <= row.occurred_at
        and (p.valid_until is None or p.valid_until > row.occurred_at)
        for p in facts.pledges
    )  # fmt: skip
    return t("ledgers.yes" if signed else "ledgers.no")


def _sources(row: ManagementRow) -> str:
    seqs = f"#{row.first_seq}" if row.entries == 1 else (
        f"#{row.first_seq}–#{row.last_seq} ({row.entries})")  # fmt: skip
    parts = [f"audit {seqs}"]
    for name, label in (("request_id", "req"), ("grant_id", "grant"), ("export_id", "export"),
                        ("provision_id", "prov"), ("subject_request_id", "subject")):  # fmt: skip
        value = getattr(row, name)
        if value is not None:
            parts.append(f"{label} #{value}")
    return " · ".join(parts)
