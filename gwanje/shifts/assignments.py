"""Purpose assignments (목적별 관제 배정, ORD-20.3): which cameras an operator on a shift
watches, by purpose and optionally district or owning department.

Invariants: only a person with an active duty on the slot can be assigned (an operator
is assigned for their own shift); assigning needs `shift.manage` and is audited; "my
cameras" fills the wall. By default assignments never grant or narrow permissions (what a
person may watch is decided by `video.live` and its scope, views outside the shift are
flagged); with `shifts.enforce_assignments` an assigned operator's live views are
limited to the assigned cameras (gwanje/console/service.py `_assigned`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gwanje.audit import record
from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.clock import Clock
from gwanje.errors import Forbidden, InvalidInput, NotFound
from gwanje.registry.models import Camera, CameraPurpose, CameraStatus
from gwanje.registry.purposes import Purpose
from gwanje.shifts import events
from gwanje.shifts.models import PurposeAssignment, ShiftDuty, ShiftSlot


@dataclass(frozen=True)
class AssignmentInput:
    slot_id: int
    person_id: int
    purpose: str
    district: str | None = None
    department_id: int | None = None


def assign(
    session: Session,
    clock: Clock,
    principal: Principal,
    data: AssignmentInput,
    source_ip: str | None = None,
) -> PurposeAssignment:
    if not principal.can(Permission.SHIFT_MANAGE):
        raise Forbidden("error.forbidden", permission=Permission.SHIFT_MANAGE.value)
    if data.purpose not in {p.value for p in Purpose}:
        raise InvalidInput("shifts.error.invalid", detail="purpose")
    if session.get(ShiftSlot, data.slot_id) is None:
        raise NotFound("shifts.error.slot_not_found", slot=data.slot_id)
    on_slot = session.scalar(
        select(ShiftDuty.id).where(
            ShiftDuty.slot_id == data.slot_id,
            ShiftDuty.person_id == data.person_id,
            ShiftDuty.active.is_(True),
        )
    )
    if on_slot is None:
        raise InvalidInput("shifts.error.not_on_shift", person=data.person_id)
    district = (data.district or "").strip()[:64] or None
    row = PurposeAssignment(
        slot_id=data.slot_id,
        person_id=data.person_id,
        purpose=data.purpose,
        district=district,
        department_id=data.department_id,
        assigned_by=principal.person_id,
        assigned_at=clock.now(),
    )
    session.add(row)
    session.flush()
    record(
        session,
        events.PurposeAssigned(
            actor=principal.actor,
            source_ip=source_ip,
            slot_id=row.slot_id,
            person_id=row.person_id,
            purpose=row.purpose,
            district=district,
            department_id=row.department_id,
        ),
        clock,
    )
    return row


def current(session: Session, person_id: int, at: datetime) -> list[PurposeAssignment]:
    """The person's assignments on the slots they work at `at`."""
    return list(
        session.scalars(
            select(PurposeAssignment)
            .join(ShiftSlot, ShiftSlot.id == PurposeAssignment.slot_id)
            .join(
                ShiftDuty,
                (ShiftDuty.slot_id == ShiftSlot.id)
                & (ShiftDuty.person_id == PurposeAssignment.person_id),
            )
            .where(
                PurposeAssignment.person_id == person_id,
                ShiftDuty.active.is_(True),
                ShiftSlot.start_at <= at,
                ShiftSlot.end_at > at,
            )
            .order_by(PurposeAssignment.id)
        )
    )


def cameras_for(session: Session, rows: list[PurposeAssignment]) -> list[Camera]:
    """The linked cameras the assignments cover, by district then code."""
    found: dict[int, Camera] = {}
    for row in rows:
        query = (
            select(Camera)
            .join(CameraPurpose, CameraPurpose.camera_id == Camera.id)
            .where(CameraPurpose.purpose == row.purpose, Camera.status == CameraStatus.LINKED)
        )
        if row.district:
            query = query.where(Camera.district == row.district)
        if row.department_id is not None:
            query = query.where(Camera.department_id == row.department_id)
        found.update({c.id: c for c in session.scalars(query)})
    return sorted(found.values(), key=lambda c: (c.district, c.code))
