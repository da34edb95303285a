"""Maintenance tickets (장애 처리) as seen by one principal, in the caller's transaction.

Owns: `Maintenance` (report a fault, open, acknowledge, start, resolve, close, list,
assign a maintainer), the SLA clock and the health verification before closing.

Invariants:
- one unclosed ticket per camera and fault kind: a fault seen again appends an occurrence
  (a resolved ticket re-opens), never a second ticket (also a partial unique index);
- transitions are compare-and-set on (id, state, version): of two concurrent ones exactly
  one wins, the other gets `Conflict` ("changed meanwhile") and changes nothing;
- the SLA deadline is fixed when the ticket opens (`health.sla_hours[severity]`); a ticket
  not resolved by then is overdue;
- resolving writes the camera's `MaintenanceRecord` (유지보수 이력) in the same transaction;
  closing needs `maintenance.manage` and the health check passing again (image state
  `image_ok` for image faults, `online` for recorder faults);
- a contractor account sees and moves only its own company's tickets, with the camera's
  metadata and never its video (ORD-11); staff see the tickets of cameras in their scope;
- every change writes a history row and a typed audit event in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gwanje.audit import AuditEvent, record
from gwanje.audit.events import Actor
from gwanje.auth.permissions import Permission as P
from gwanje.auth.principal import Principal
from gwanje.camhealth import events
from gwanje.camhealth.kinds import (
    ACTIVE_STATES,
    DEFAULT_SEVERITY,
    IMAGE_CHANNEL,
    FaultKind,
    ImageState,
    TicketState,
)
from gwanje.camhealth.models import (
    CameraMaintainer,
    ContractorMember,
    MaintenanceTicket,
    TicketEvent,
)
from gwanje.clock import Clock, as_utc
from gwanje.errors import Conflict, Forbidden, InvalidInput, NotFound
from gwanje.media.models import CameraHealthEvent
from gwanje.registry.models import Camera, Contractor, MaintenanceRecord
from gwanje.settings import Settings

S = TicketState
IMAGE_KINDS = frozenset(FaultKind(s.value) for s in ImageState if s is not ImageState.OK)
RECORDER_KINDS = frozenset({FaultKind.OFFLINE, FaultKind.VIDEO_LOSS, FaultKind.NO_KEYFRAMES})
NOTE_MAX = 2000
# state -> the states it may move to, and the timestamp column the move sets
MOVES: dict[TicketState, tuple[frozenset[TicketState], str]] = {
    S.ACKNOWLEDGED: (frozenset({S.OPEN}), "acknowledged_at"),
    S.IN_PROGRESS: (frozenset({S.OPEN, S.ACKNOWLEDGED}), "started_at"),
    S.RESOLVED: (frozenset({S.OPEN, S.ACKNOWLEDGED, S.IN_PROGRESS}), "resolved_at"),
    S.CLOSED: (frozenset({S.RESOLVED}), "closed_at"),
}


@dataclass(frozen=True)
class TicketView:
    """A ticket with what a list shows: the camera's metadata (never its video) and SLA."""

    ticket: MaintenanceTicket
    camera_code: str
    camera_name: str
    camera_address: str
    contractor: str | None
    overdue: bool
    hours_left: float


def sla_due(settings: Settings, opened_at: datetime, severity: str) -> datetime:
    hours = settings.health.sla_hours.get(severity, settings.health.sla_hours.get("minor", 72))
    return opened_at + timedelta(hours=hours)


def is_overdue(ticket: MaintenanceTicket, now: datetime) -> bool:
    if ticket.state in ACTIVE_STATES:
        return now > as_utc(ticket.due_at)
    return ticket.resolved_at is not None and as_utc(ticket.resolved_at) > as_utc(ticket.due_at)


def latest_state(session: Session, camera_id: int, channel: str) -> str | None:
    return session.scalars(
        select(CameraHealthEvent.state)
        .where(CameraHealthEvent.camera_id == camera_id, CameraHealthEvent.stream == channel)
        .order_by(CameraHealthEvent.at.desc(), CameraHealthEvent.id.desc())
        .limit(1)
    ).first()


def health_passes(session: Session, ticket: MaintenanceTicket) -> tuple[bool, str]:
    """Whether the check that raised the fault passes now, and the state it reports."""
    kind = FaultKind(ticket.kind)
    if kind in IMAGE_KINDS:
        state = latest_state(session, ticket.camera_id, IMAGE_CHANNEL) or "unknown"
        return state == ImageState.OK, state
    if kind in RECORDER_KINDS:
        state = latest_state(session, ticket.camera_id, "main") or "unknown"
        return state == "online", state
    return True, "n/a"


class Maintenance:
    def __init__(
        self,
        session: Session,
        settings: Settings,
        clock: Clock,
        principal: Principal | None,
        source_ip: str | None = None,
    ) -> None:
        """`principal` None: the health monitor itself (system actor, no scope)."""
        self.session, self.settings, self.clock = session, settings, clock
        self.principal, self.source_ip = principal, source_ip

    # ---- who may see what ------------------------------------------------------------
    @property
    def actor(self) -> Actor:
        return self.principal.actor if self.principal else Actor.system("health-monitor")

    def _company(self) -> int | None:
        if self.principal is None or self.principal.person_id is None:
            return None
        member = self.session.get(ContractorMember, self.principal.person_id)
        return member.contractor_id if member else None

    def _manages(self, camera: Camera) -> bool:
        p = self.principal
        return p is None or p.may_use_on_camera(
            P.MAINTENANCE_MANAGE, camera.id, camera.department_id
        )

    def _may_see(self, ticket: MaintenanceTicket, camera: Camera) -> bool:
        if self._manages(camera):
            return True
        assert self.principal is not None
        company = self._company()
        return (
            self.principal.can(P.MAINTENANCE_TICKET)
            and company is not None
            and ticket.contractor_id == company
        )

    def ticket(self, ticket_id: int) -> tuple[MaintenanceTicket, Camera]:
        """The ticket and its camera; an invisible ticket is "not found" (no probing)."""
        ticket = self.session.get(MaintenanceTicket, ticket_id)
        camera = self.session.get(Camera, ticket.camera_id) if ticket else None
        if ticket is None or camera is None or not self._may_see(ticket, camera):
            raise NotFound("maintenance.error.no_ticket", ticket_id=ticket_id)
        return ticket, camera

    def visible(self, include_closed: bool = False) -> list[TicketView]:
        query = select(MaintenanceTicket, Camera).join(
            Camera, Camera.id == MaintenanceTicket.camera_id
        )
        if not include_closed:
            query = query.where(MaintenanceTicket.state != S.CLOSED)
        company = self._company()
        if self.principal is not None and not self.principal.can(P.MAINTENANCE_MANAGE):
            query = query.where(MaintenanceTicket.contractor_id == (company or -1))
        rows = self.session.execute(query.order_by(MaintenanceTicket.due_at)).all()
        return [self.view(t, c) for t, c in rows if self._may_see(t, c)]

    def view(self, ticket: MaintenanceTicket, camera: Camera) -> TicketView:
        now = self.clock.now()
        contractor = (
            self.session.get(Contractor, ticket.contractor_id) if ticket.contractor_id else None
        )
        left = (as_utc(ticket.due_at) - now).total_seconds() / 3600
        return TicketView(
            ticket,
            camera.code,
            camera.name,
            camera.address,
            contractor.name if contractor else None,
            is_overdue(ticket, now),
            round(left, 1),
        )

    def history(self, ticket_id: int) -> list[TicketEvent]:
        self.ticket(ticket_id)
        query = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
        return list(self.session.scalars(query.order_by(TicketEvent.at, TicketEvent.id)))

    # ---- opening ---------------------------------------------------------------------
    def report_fault(
        self, camera_id: int, kind: FaultKind, source: str, detail: str, at: datetime
    ) -> MaintenanceTicket:
        """A persisting fault seen by the monitor: a new ticket, or an occurrence appended
        to the unclosed one (counted once per time the fault was seen to start)."""
        ticket = self.session.scalars(
            select(MaintenanceTicket)
            .where(MaintenanceTicket.camera_id == camera_id, MaintenanceTicket.kind == kind)
            .where(MaintenanceTicket.state != S.CLOSED)
        ).first()
        if ticket is None:
            return self._open(camera_id, kind, source, detail, at)
        if at > as_utc(ticket.last_occurred_at):
            self._recur(ticket, detail, at)
        return ticket

    def open_ticket(self, camera_id: int, kind: FaultKind, detail: str) -> MaintenanceTicket:
        """Staff open a ticket by hand (a broken housing, a fault the checks cannot see)."""
        camera = self.session.get(Camera, camera_id)
        if camera is None or not self._manages(camera) or self.principal is None:
            raise NotFound("maintenance.error.no_camera", camera_id=camera_id)
        if not detail.strip() or len(detail) > NOTE_MAX:
            raise InvalidInput("maintenance.error.detail_required")
        return self.report_fault(camera_id, kind, "staff", detail.strip(), self.clock.now())

    def _open(
        self, camera_id: int, kind: FaultKind, source: str, detail: str, at: datetime
    ) -> MaintenanceTicket:
        maintainer = self.session.get(CameraMaintainer, camera_id)
        severity = DEFAULT_SEVERITY[kind]
        ticket = MaintenanceTicket(
            camera_id=camera_id,
            kind=kind,
            severity=severity,
            state=S.OPEN,
            source=source,
            contractor_id=maintainer.contractor_id if maintainer else None,
            detail=detail,
            opened_at=at,
            due_at=sla_due(self.settings, at, severity),
            last_occurred_at=at,
            occurrences=1,
            resolution="",
            version=1,
        )
        self.session.add(ticket)
        self.session.flush()
        self._history(ticket, None, S.OPEN, detail, at)
        self._audit(
            events.TicketOpened,
            ticket,
            kind=kind,
            severity=severity,
            source=source,
            contractor_id=ticket.contractor_id,
            due_at=ticket.due_at,
        )
        return ticket

    def _recur(self, ticket: MaintenanceTicket, detail: str, at: datetime) -> None:
        reopened = ticket.state == S.RESOLVED
        before = ticket.state
        ticket.occurrences += 1
        ticket.last_occurred_at = at
        ticket.version += 1
        if reopened:
            ticket.state, ticket.resolved_at = S.OPEN, None
        self.session.flush()
        self._history(ticket, before, ticket.state, f"recurred: {detail}", at)
        self._audit(
            events.TicketRecurred,
            ticket,
            kind=ticket.kind,
            occurrences=ticket.occurrences,
            reopened=reopened,
        )

    # ---- transitions -----------------------------------------------------------------
    def acknowledge(self, ticket_id: int, note: str = "") -> MaintenanceTicket:
        ticket = self._move(ticket_id, S.ACKNOWLEDGED, note)
        self._audit(events.TicketAcknowledged, ticket)
        return ticket

    def start(self, ticket_id: int, note: str = "") -> MaintenanceTicket:
        ticket = self._move(ticket_id, S.IN_PROGRESS, note)
        self._audit(events.TicketStarted, ticket)
        return ticket

    def resolve(self, ticket_id: int, resolution: str, work: str = "repair") -> MaintenanceTicket:
        if not resolution.strip() or len(resolution) > NOTE_MAX:
            raise InvalidInput("maintenance.error.resolution_required")
        found, _ = self.ticket(ticket_id)
        if found.contractor_id is None:
            raise Conflict("maintenance.error.no_contractor")
        ticket = self._move(ticket_id, S.RESOLVED, resolution.strip())
        ticket.resolution = resolution.strip()
        item = self._maintenance_record(ticket, work)
        ticket.maintenance_record_id = item.id
        self._audit(
            events.TicketResolved,
            ticket,
            maintenance_record_id=item.id,
            overdue=is_overdue(ticket, self.clock.now()),
        )
        return ticket

    def close(self, ticket_id: int, note: str = "") -> MaintenanceTicket:
        found, camera = self.ticket(ticket_id)
        if not self._manages(camera):
            raise Forbidden("maintenance.error.close_needs_staff")
        passes, state = health_passes(self.session, found)
        if not passes:
            raise Conflict("maintenance.error.still_failing", state=state)
        ticket = self._move(ticket_id, S.CLOSED, note)
        self._audit(events.TicketClosed, ticket, health_state=state)
        return ticket

    def _move(self, ticket_id: int, target: TicketState, note: str) -> MaintenanceTicket:
        ticket, _ = self.ticket(ticket_id)
        sources, stamp = MOVES[target]
        before, version = TicketState(ticket.state), ticket.version
        if before not in sources:
            raise Conflict("maintenance.error.bad_transition", state=before, target=target)
        now = self.clock.now()
        changed = self.session.execute(
            update(MaintenanceTicket)
            .where(MaintenanceTicket.id == ticket_id, MaintenanceTicket.state == before)
            .where(MaintenanceTicket.version == version)
            .values(state=target, version=version + 1, **{stamp: now})
            .execution_options(synchronize_session=False)
        )
        if getattr(changed, "rowcount", 0) != 1:  # another transition won: one winner
            raise Conflict("maintenance.error.changed")
        self.session.refresh(ticket)
        self._history(ticket, before, target, note[:NOTE_MAX], now)
        return ticket

    # ---- records ---------------------------------------------------------------------
    def _maintenance_record(self, ticket: MaintenanceTicket, work: str) -> MaintenanceRecord:
        assert ticket.contractor_id is not None
        now = self.clock.now()
        local = now.astimezone(ZoneInfo(self.settings.registry.timezone)).date()
        item = MaintenanceRecord(
            camera_id=ticket.camera_id,
            performed_on=local,
            contractor_id=ticket.contractor_id,
            kind=work,
            notes=f"#{ticket.id} {ticket.kind}: {ticket.resolution}",
            created_at=now,
        )
        self.session.add(item)
        self.session.flush()
        return item

    def _history(
        self, ticket: MaintenanceTicket, before: str | None, after: str, note: str, at: datetime
    ) -> None:
        self.session.add(
            TicketEvent(
                ticket_id=ticket.id,
                at=at,
                from_state=before,
                to_state=after,
                actor=self.actor.username,
                note=note,
            )
        )

    def _audit(
        self, event_class: type[AuditEvent], ticket: MaintenanceTicket, **fields: object
    ) -> None:
        base: dict[str, Any] = {
            "actor": self.actor,
            "source_ip": self.source_ip,
            "camera_ids": (ticket.camera_id,),
            "ticket_id": ticket.id,
        }
        event = event_class(**base, **fields)
        record(self.session, event, self.clock)

    # ---- maintainers -----------------------------------------------------------------
    def assign_maintainer(self, camera_id: int, contractor_id: int) -> None:
        camera = self.session.get(Camera, camera_id)
        if camera is None or not self._manages(camera):
            raise NotFound("maintenance.error.no_camera", camera_id=camera_id)
        if self.session.get(Contractor, contractor_id) is None:
            raise NotFound("maintenance.error.no_contractor_id", contractor_id=contractor_id)
        row = self.session.get(CameraMaintainer, camera_id)
        if row is None:
            self.session.add(
                CameraMaintainer(
                    camera_id=camera_id, contractor_id=contractor_id, assigned_at=self.clock.now()
                )
            )
        else:
            row.contractor_id, row.assigned_at = contractor_id, self.clock.now()
        record(
            self.session,
            events.MaintainerAssigned(
                actor=self.actor,
                source_ip=self.source_ip,
                camera_ids=(camera_id,),
                contractor_id=contractor_id,
            ),
            self.clock,
        )
