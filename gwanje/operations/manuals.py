"""Response manuals (업무매뉴얼, ORD-18.2) and the checklist an operator follows.

A manual belongs to an incident type and is a list of steps. Every edit is a new
version (author, time, change note); old versions are kept and can be read. An incident
is bound, when it is opened, to the version current at that moment (`bind`), and the
operator ticks that version's steps; each tick is a timeline line and an audit entry.

Invariants:
- versions are never updated or deleted; the version number is max+1 of its type, and a
  revision names the version it was based on: an editor who did not see the latest
  version is refused (two editors, one wins), the unique constraint backs this up;
- revising needs `manual.manage`; ticking needs `incident.manage` on an open incident,
  once per step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gwanje.audit import record
from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.clock import Clock
from gwanje.errors import Conflict, Forbidden, InvalidInput, NotFound
from gwanje.operations import bells_events as events
from gwanje.operations.bells_models import ChecklistTick, IncidentManual, ManualVersion
from gwanje.operations.kinds import EntryKind, IncidentState, IncidentType
from gwanje.operations.models import Incident
from gwanje.operations.notify import outbox

STEP_MAX, STEPS_MAX, NOTE_MAX = 300, 50, 2000


@dataclass(frozen=True)
class ManualInput:
    incident_type: str
    title: str
    steps: tuple[str, ...]
    change_note: str
    based_on: int  # the version the editor saw (0: there was none)


def steps_of(version: ManualVersion) -> list[str]:
    value = json.loads(version.steps)
    return [str(s) for s in value] if isinstance(value, list) else []


def current(session: Session, incident_type: str) -> ManualVersion | None:
    return session.scalar(
        select(ManualVersion).where(ManualVersion.incident_type == incident_type)
        .order_by(ManualVersion.version.desc()).limit(1)
    )  # fmt: skip


def versions(session: Session, incident_type: str) -> list[ManualVersion]:
    """Every version of a type's manual, newest first."""
    return list(session.scalars(
        select(ManualVersion).where(ManualVersion.incident_type == incident_type)
        .order_by(ManualVersion.version.desc())
    ))  # fmt: skip


def bind(session: Session, incident: Incident) -> ManualVersion | None:
    """Tie a just-opened incident to its type's current manual version (if any)."""
    version = current(session, incident.type)
    if version is not None:
        session.add(IncidentManual(incident_id=incident.id, manual_version_id=version.id))
    return version


def revise(session: Session, clock: Clock, principal: Principal, data: ManualInput,
           source_ip: str | None = None) -> ManualVersion:  # fmt: skip
    """A new version of a type's manual (ORD-18.2: continuously improved)."""
    if not principal.can(Permission.MANUAL_MANAGE):
        raise Forbidden("error.forbidden", permission=Permission.MANUAL_MANAGE.value)
    steps, title, note = _validated(data)
    latest = session.scalar(
        select(func.max(ManualVersion.version))
        .where(ManualVersion.incident_type == data.incident_type)
    ) or 0  # fmt: skip
    if data.based_on != latest:
        raise Conflict("bells.error.manual_changed", version=latest)
    row = ManualVersion(
        incident_type=data.incident_type, version=latest + 1, title=title,
        steps=json.dumps(steps, ensure_ascii=False), change_note=note,
        author_id=principal.person_id, author=principal.username, created_at=clock.now(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    record(session, events.ManualRevised(
        actor=principal.actor, source_ip=source_ip, incident_type=row.incident_type,
        manual_version_id=row.id, version=row.version, steps=len(steps), change_note=note,
    ), clock)  # fmt: skip
    return row


def _validated(data: ManualInput) -> tuple[list[str], str, str]:
    if data.incident_type not in {t.value for t in IncidentType}:
        raise InvalidInput("bells.error.manual_invalid", detail="incident_type")
    steps = [s.strip() for s in data.steps if s.strip()]
    if not steps or len(steps) > STEPS_MAX or any(len(s) > STEP_MAX for s in steps):
        raise InvalidInput("bells.error.manual_invalid", detail="steps")
    title, note = data.title.strip(), data.change_note.strip()
    if not title or len(title) > 200:
        raise InvalidInput("bells.error.manual_invalid", detail="title")
    if not note or len(note) > NOTE_MAX:
        raise InvalidInput("bells.error.manual_invalid", detail="change_note")
    return steps, title, note


def checklist(session: Session, incident_id: int) -> dict[str, Any] | None:
    """The incident's manual version and its steps with their ticks (None: no manual)."""
    bound = session.get(IncidentManual, incident_id)
    if bound is None:
        return None
    version = session.get(ManualVersion, bound.manual_version_id)
    assert version is not None
    ticks = {t.step: t for t in session.scalars(
        select(ChecklistTick).where(ChecklistTick.incident_id == incident_id))}  # fmt: skip
    latest = current(session, version.incident_type)
    return {
        "manual_version_id": version.id, "incident_type": version.incident_type,
        "version": version.version, "title": version.title,
        "latest_version": latest.version if latest else version.version,
        "steps": [{"index": n, "text": text, "ticked_at": _iso(ticks.get(n)),
                   "ticked_by": ticks[n].actor if n in ticks else None}
                  for n, text in enumerate(steps_of(version))],
    }  # fmt: skip


def _iso(tick: ChecklistTick | None) -> str | None:
    return tick.ticked_at.isoformat() if tick is not None else None


def tick(session: Session, clock: Clock, principal: Principal, incident_id: int, step: int,
         source_ip: str | None = None) -> ChecklistTick:  # fmt: skip
    """Record that the operator did step `step` of the incident's manual."""
    if not principal.can(Permission.INCIDENT_MANAGE):
        raise Forbidden("error.forbidden", permission=Permission.INCIDENT_MANAGE.value)
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("operations.error.incident_not_found", incident_id=incident_id)
    if incident.state != IncidentState.OPEN.value:
        raise Conflict("operations.error.closed", incident_id=incident_id)
    bound = session.get(IncidentManual, incident_id)
    version = session.get(ManualVersion, bound.manual_version_id) if bound else None
    if version is None:
        raise NotFound("bells.error.no_manual")
    steps = steps_of(version)
    if not 0 <= step < len(steps):
        raise InvalidInput("bells.error.manual_invalid", detail="step")
    done = session.scalar(select(ChecklistTick.id).where(
        ChecklistTick.incident_id == incident_id, ChecklistTick.step == step))  # fmt: skip
    if done is not None:
        raise Conflict("bells.error.step_done", step=step + 1)
    now = clock.now()
    row = ChecklistTick(incident_id=incident_id, manual_version_id=version.id, step=step,
                        ticked_at=now, ticked_by=principal.person_id,
                        actor=principal.username)  # fmt: skip
    session.add(row)
    text = f"{step + 1}. {steps[step]}"
    outbox.timeline(session, incident_id, EntryKind.CHECKLIST, now, principal.actor, text)
    record(session, events.ChecklistTicked(
        actor=principal.actor, source_ip=source_ip, incident_id=incident_id,
        manual_version_id=version.id, step=step, text=text,
        camera_ids=tuple(c.camera_id for c in incident.cameras),
    ), clock)  # fmt: skip
    return row
