"""Incidents (상황): open, note, notify, acknowledge by phone, close (ORD-18.2, 20.4).

```
open ──note / add camera / notify / acknowledge──▶ open ──close──▶ closed
```

Invariants:
- opening an incident queues the notifications its type is routed to in the same
  transaction (the outbox: docs/design/incidents.md), so an incident never exists
  without its notifications;
- every change needs `incident.manage`; cameras must exist and be in the staff member's
  scope; closing is a conditional UPDATE on (state, version): two staff closing at once,
  one wins;
- every action is one timeline line and one audit entry in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gwanje.audit import record
from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.clock import Clock
from gwanje.errors import Conflict, Forbidden, InvalidInput, NotFound
from gwanje.operations import events, manuals
from gwanje.operations.kinds import (
    AckVia,
    EntryKind,
    IncidentSource,
    IncidentState,
    IncidentType,
    Severity,
)
from gwanje.operations.models import Incident, IncidentCamera, Notification
from gwanje.operations.notify import outbox
from gwanje.registry.models import Camera
from gwanje.settings import Settings
from gwanje.sharing.federation import publish_incident

TITLE_MAX, TEXT_MAX = 200, 4000


@dataclass(frozen=True)
class IncidentInput:
    type: str
    severity: str
    title: str
    camera_codes: tuple[str, ...] = ()
    location: str = ""
    description: str = ""
    source: str = IncidentSource.OPERATOR.value


@dataclass
class Incidents:
    session: Session
    settings: Settings
    clock: Clock
    principal: Principal
    source_ip: str | None = None

    def _require(self) -> None:
        if not self.principal.can(Permission.INCIDENT_MANAGE):
            raise Forbidden("error.forbidden", permission=Permission.INCIDENT_MANAGE.value)

    def open(self, data: IncidentInput) -> Incident:
        self._require()
        _validate(data)
        cameras = self._cameras(data.camera_codes)
        now = self.clock.now()
        incident = Incident(
            type=data.type, severity=data.severity, title=data.title.strip(),
            location=data.location.strip(), description=data.description.strip(),
            source=data.source, state=IncidentState.OPEN.value, opened_at=now,
            opened_by=self.principal.person_id,
            cameras=[IncidentCamera(camera_id=c.id) for c in cameras],
        )  # fmt: skip
        self.session.add(incident)
        self.session.flush()
        outbox.timeline(self.session, incident.id, EntryKind.OPENED, now, self.principal.actor,
                        incident.title)  # fmt: skip
        manuals.bind(self.session, incident)  # ORD-18.2: the manual version current now
        notified = self._route(incident)
        self._audit(incident, events.IncidentOpened, type=incident.type,
                    severity=incident.severity, source=incident.source, title=incident.title,
                    location=incident.location, notified=notified)  # fmt: skip
        publish_incident(self.session, self.clock, incident, "incident.opened")  # ORD-21
        return incident

    def note(self, incident_id: int, text: str) -> Incident:
        self._require()
        incident = self._open_incident(incident_id)
        text = _text(text, "text", TEXT_MAX)
        outbox.timeline(self.session, incident.id, EntryKind.NOTE, self.clock.now(),
                        self.principal.actor, text)  # fmt: skip
        self._audit(incident, events.IncidentNoted, text=text)
        return incident

    def notify(self, incident_id: int, recipient_name: str) -> list[Notification]:
        """Queue a notification to one more recipient (e.g. the department concerned)."""
        self._require()
        incident = self._open_incident(incident_id)
        recipient = self.settings.operations.recipient(recipient_name)
        if recipient is None:
            raise InvalidInput("operations.error.unknown_recipient", name=recipient_name)
        rows = outbox.queue(self.session, self.settings.operations, self.clock, incident,
                            recipient, self.principal.actor)  # fmt: skip
        self._audit(incident, events.IncidentNotifiedManually, recipient=recipient.name)
        return rows

    def acknowledge_by_phone(self, notification_id: int, note: str) -> Notification:
        """Staff record a confirmation the recipient gave by phone (names the person)."""
        self._require()
        row = outbox.acknowledge(self.session, self.clock, notification_id, AckVia.STAFF,
                                 self.principal.actor, _text(note, "note", 500))  # fmt: skip
        if row is None:
            raise Conflict("operations.error.not_acknowledgeable", notification_id=notification_id)
        return row

    def check_snapshot(self, incident_id: int) -> None:
        """Staff may take snapshots of an open incident (the picture itself: snapshots.py)."""
        self._require()
        self._open_incident(incident_id)

    def close(self, incident_id: int, note: str, version: int | None = None) -> Incident:
        self._require()
        incident = self._open_incident(incident_id)
        note = _text(note, "note", TEXT_MAX)
        seen = version or incident.version
        now = self.clock.now()
        won = self.session.execute(
            update(Incident)
            .where(Incident.id == incident_id, Incident.state == IncidentState.OPEN.value,
                   Incident.version == seen)
            .values(state=IncidentState.CLOSED.value, version=seen + 1, closed_at=now,
                    closed_by=self.principal.person_id, closing_note=note)
        ).rowcount  # type: ignore[attr-defined]  # fmt: skip
        if won != 1:
            raise Conflict("operations.error.changed", incident_id=incident_id)
        self.session.refresh(incident)
        outbox.timeline(self.session, incident.id, EntryKind.CLOSED, now, self.principal.actor,
                        note)  # fmt: skip
        self._audit(incident, events.IncidentClosed, note=note,
                    unacknowledged=self._unacknowledged(incident_id))  # fmt: skip
        publish_incident(self.session, self.clock, incident, "incident.closed")  # ORD-21
        return incident

    def _unacknowledged(self, incident_id: int) -> int:
        rows = self.session.scalars(
            select(Notification.state).where(Notification.incident_id == incident_id)
        )
        return sum(1 for state in rows if state != "acknowledged")

    def _route(self, incident: Incident) -> list[str]:
        """Queue the recipients routed for the incident's type (ORD-20.4)."""
        ops = self.settings.operations
        names = ops.routes.get(IncidentType(incident.type), [])
        for name in names:
            recipient = ops.recipient(name)
            assert recipient is not None  # settings validate route targets
            outbox.queue(self.session, ops, self.clock, incident, recipient,
                         self.principal.actor)  # fmt: skip
        return list(names)

    def _cameras(self, codes: tuple[str, ...]) -> list[Camera]:
        wanted = sorted({c.strip() for c in codes if c.strip()})
        found = list(self.session.scalars(select(Camera).where(Camera.code.in_(wanted))))
        missing = set(wanted) - {c.code for c in found}
        if missing:
            raise InvalidInput("operations.error.unknown_camera", codes=", ".join(sorted(missing)))
        scope = self.principal.scope_for(Permission.INCIDENT_MANAGE)
        outside = [c.code for c in found if scope is not None and c.department_id not in scope]
        if outside:
            raise Forbidden("operations.error.camera_out_of_scope", codes=", ".join(outside))
        return found

    def _open_incident(self, incident_id: int) -> Incident:
        incident = self.session.get(Incident, incident_id)
        if incident is None:
            raise NotFound("operations.error.incident_not_found", incident_id=incident_id)
        if incident.state != IncidentState.OPEN.value:
            raise Conflict("operations.error.closed", incident_id=incident_id)
        return incident

    def _audit(self, incident: Incident, event_type: type[Any], **details: object) -> None:
        event = event_type(
            actor=self.principal.actor, source_ip=self.source_ip, incident_id=incident.id,
            camera_ids=tuple(c.camera_id for c in incident.cameras), **details,
        )  # fmt: skip
        record(self.session, event, self.clock)


def _validate(data: IncidentInput) -> None:
    for value, kinds, name in ((data.type, IncidentType, "type"),
                               (data.severity, Severity, "severity"),
                               (data.source, IncidentSource, "source")):  # fmt: skip
        if value not in {k.value for k in kinds}:  # type: ignore[attr-defined]
            raise InvalidInput("operations.error.invalid", detail=name)
    _text(data.title, "title", TITLE_MAX)
    if len(data.location) > TITLE_MAX or len(data.description) > TEXT_MAX:
        raise InvalidInput("operations.error.invalid", detail="location/description too long")


def _text(value: str, name: str, limit: int) -> str:
    value = value.strip()
    if not value or len(value) > limit:
        raise InvalidInput("operations.error.invalid", detail=name)
    return value


def open_from_health(session: Session, settings: Settings, clock: Clock, camera_id: int,
                     fault: str, detail: str) -> Incident | None:  # fmt: skip
    """A new image fault that may be tampering (`operations.incident_on_faults`: a covered
    or turned camera) opens an incident for the operators, beside its maintenance ticket;
    None for other faults."""
    camera = session.get(Camera, camera_id)
    if fault not in settings.operations.incident_on_faults or camera is None:
        return None
    from gwanje.i18n import translate
    from gwanje.registry.service import system_principal

    title = translate(
        "operations.health_title",
        settings.default_language,
        code=camera.code,
        fault=translate(f"operations.fault.{fault}", settings.default_language),
    )
    data = IncidentInput(
        type=IncidentType.OTHER.value, severity=Severity.MEDIUM.value, title=title[:TITLE_MAX],
        camera_codes=(camera.code,), location=camera.address[:TITLE_MAX],
        description=detail[:TEXT_MAX], source=IncidentSource.HEALTH.value,
    )  # fmt: skip
    return Incidents(session, settings, clock, system_principal("camhealth")).open(data)
