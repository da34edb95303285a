"""Cameras of other agencies operated under delegated authority (ORD-24, 위탁 운영).

Owns: recording delegation terms (agency, document number, scope, period, purposes),
attaching registry cameras to them, and `check_terms`, which every use of a delegated
camera passes: the wall's live view, a share, an evidence export.

Invariants:
- a camera has at most one delegation; a camera without one is the city's own and
  `check_terms` lets it through;
- outside the period (Korea dates, inclusive) or for a purpose the terms do not list, the
  use is refused with `OutsideTerms`, whose audit event the caller records after the
  refused transaction rolled back (as the console does with its refusals).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from gwanje.audit import Outcome, record
from gwanje.audit.events import Actor
from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.clock import Clock
from gwanje.errors import Forbidden, InvalidInput
from gwanje.registry.models import Camera
from gwanje.registry.purposes import Purpose
from gwanje.sharing.events import DelegationRecorded, DelegationRefused
from gwanje.sharing.models import DelegatedCamera, Delegation

SEOUL = ZoneInfo("Asia/Seoul")


class OutsideTerms(Forbidden):
    """A delegated camera used outside its terms; `event` is the refusal's audit entry."""

    def __init__(self, event: DelegationRefused, camera: str, reason: str) -> None:
        super().__init__(f"sharing.error.delegation_{reason}", camera=camera)
        self.event = event


@dataclass(frozen=True)
class DelegationInput:
    agency: str
    document_no: str
    scope: str
    starts_on: date
    ends_on: date
    purposes: tuple[str, ...]
    camera_codes: tuple[str, ...]


def record_delegation(
    session: Session, clock: Clock, principal: Principal, data: DelegationInput,
    source_ip: str | None = None,
) -> Delegation:  # fmt: skip
    if not principal.can(Permission.DELEGATION_MANAGE):
        raise Forbidden("error.forbidden", permission=Permission.DELEGATION_MANAGE.value)
    _validate(data)
    cameras = list(session.scalars(select(Camera).where(Camera.code.in_(data.camera_codes))))
    missing = set(data.camera_codes) - {c.code for c in cameras}
    if missing:
        raise InvalidInput("sharing.error.unknown_camera", codes=", ".join(sorted(missing)))
    row = Delegation(
        agency=data.agency.strip(), document_no=data.document_no.strip(),
        scope=data.scope.strip(), starts_on=data.starts_on, ends_on=data.ends_on,
        purposes=",".join(data.purposes), created_by=principal.person_id,
        created_at=clock.now(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    for camera in cameras:  # re-attaching moves a camera to the new terms
        session.merge(DelegatedCamera(camera_id=camera.id, delegation_id=row.id))
    record(session, DelegationRecorded(
        actor=principal.actor, source_ip=source_ip, camera_ids=tuple(c.id for c in cameras),
        delegation_id=row.id, agency=row.agency, document_no=row.document_no,
        purposes=row.purposes, starts_on=row.starts_on, ends_on=row.ends_on,
    ), clock)  # fmt: skip
    return row


def _validate(data: DelegationInput) -> None:
    known = {p.value for p in Purpose}
    if not data.agency.strip() or not data.document_no.strip() or not data.scope.strip():
        raise InvalidInput("sharing.error.delegation_invalid", detail="agency/document/scope")
    if data.ends_on < data.starts_on:
        raise InvalidInput("sharing.error.delegation_invalid", detail="period")
    if not data.purposes or any(p not in known for p in data.purposes):
        raise InvalidInput("sharing.error.delegation_invalid", detail="purposes")
    if not data.camera_codes:
        raise InvalidInput("sharing.error.delegation_invalid", detail="cameras")


def delegations(session: Session) -> list[tuple[Delegation, list[str]]]:
    """Every delegation with the codes of its cameras, newest first."""
    rows = session.execute(
        select(Delegation, Camera.code)
        .outerjoin(DelegatedCamera, DelegatedCamera.delegation_id == Delegation.id)
        .outerjoin(Camera, Camera.id == DelegatedCamera.camera_id)
        .order_by(Delegation.id.desc(), Camera.code)
    ).all()
    grouped: dict[int, tuple[Delegation, list[str]]] = {}
    for delegation, code in rows:
        entry = grouped.setdefault(delegation.id, (delegation, []))
        if code:
            entry[1].append(code)
    return list(grouped.values())


def check_terms(
    session: Session, principal: Principal | None, camera_ids: Iterable[int],
    purposes: Iterable[str] | None, start: datetime, end: datetime, use: str,
    source_ip: str | None = None,
) -> None:  # fmt: skip
    """Refuse (OutsideTerms) a use of delegated cameras outside their terms: `purposes`
    (None: the camera's own registered purposes) must meet the allowed ones, and the
    use's [start, end] must lie within the period."""
    ids = list(camera_ids)
    if not ids:
        return
    rows = session.execute(
        select(Camera, Delegation)
        .join(DelegatedCamera, DelegatedCamera.camera_id == Camera.id)
        .join(Delegation, Delegation.id == DelegatedCamera.delegation_id)
        .where(Camera.id.in_(ids))
    ).all()
    for camera, delegation in rows:
        reason = _outside(camera, delegation, purposes, start, end)
        if reason is not None:
            event = DelegationRefused(
                actor=principal.actor if principal else Actor.system("sharing"),
                source_ip=source_ip, outcome=Outcome.DENIED, camera_ids=(camera.id,),
                range_start=start, range_end=end, delegation_id=delegation.id, use=use,
                reason=reason,
            )  # fmt: skip
            raise OutsideTerms(event, camera.code, reason)


def _outside(
    camera: Camera, delegation: Delegation, purposes: Iterable[str] | None,
    start: datetime, end: datetime,
) -> str | None:  # fmt: skip
    first, last = start.astimezone(SEOUL).date(), end.astimezone(SEOUL).date()
    if first < delegation.starts_on or last > delegation.ends_on:
        return "period"
    wanted = set(purposes) if purposes is not None else {str(p) for p in camera.purposes}
    if not wanted & set(delegation.purpose_list()):
        return "purpose"
    return None
