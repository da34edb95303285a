"""Emergency bells (비상벨, ORD-2.7) pressed: the incident, the wall alarm and the call
session (ORD-10.2). docs/design/bells.md.

```
press ──▶ call ringing (alarm on the walls) ──answer──▶ connected ──end──▶ ended
                 └──────────────────────end (no answer / false alarm)──────▲
```

Invariants:
- a press is reported by a gateway account holding `bell.press` (HTTP with its API
  token, or MQTT with the same token in the payload); an unknown or removed bell is
  refused with a clear error and an audit entry naming the gateway;
- presses of one bell within `bells.dedupe_s` are one activation (the bell row is locked
  while deciding, so two presses at once never open two incidents);
- an activation opens one incident (source "bell", the bell's cameras, its location)
  through `Incidents.open`, so the routed notifications are queued in the same
  transaction (the outbox), and raises an alarm every wall of the audience sees until an
  operator acknowledges it;
- audio exists only inside a connected call session and is never written anywhere
  (ORD-10.2): this module stores the session's signalling (who answered, when, how
  long), never media; the recorder never requests audio (`gwanje.media.rtsp.client`);
- every action is a timeline line and an audit entry, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gwanje.audit import Outcome, record
from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.clock import Clock
from gwanje.context import Gwanje
from gwanje.errors import Conflict, Forbidden, InvalidInput, NotFound
from gwanje.i18n import translate
from gwanje.operations import bells_events as events
from gwanje.operations.bells_models import BellCall
from gwanje.operations.incidents import IncidentInput, Incidents
from gwanje.operations.kinds import CallState, EntryKind, IncidentSource
from gwanje.operations.notify import outbox
from gwanje.people.models import Person
from gwanje.registry.models import BellStatus, Camera, EmergencyBell
from gwanje.settings import Settings

NOTE_MAX = 500
# The incident is opened by the system on the gateway's behalf: the gateway account holds
# only `bell.press`, the press itself is audited under the gateway's name.
SYSTEM = Principal(
    person_id=None, username="bells", display_name="bells", roles=frozenset(),
    permissions=frozenset({Permission.INCIDENT_MANAGE}), kind="system",
)  # fmt: skip


@dataclass(frozen=True)
class Pressed:
    call_id: int
    incident_id: int
    duplicate: bool  # joined an activation of the last `dedupe_s` seconds


def press_bell(ctx: Gwanje, gateway: Principal, code: str, via: str,
               source_ip: str | None = None) -> Pressed:  # fmt: skip
    """One press reported by a gateway; a refusal is audited in its own transaction."""
    if not gateway.can(Permission.BELL_PRESS):
        raise Forbidden("error.forbidden", permission=Permission.BELL_PRESS.value)
    code = code.strip()
    try:
        with ctx.transaction() as session:
            return _press(session, ctx.settings, ctx.clock, gateway, code, via, source_ip)
    except NotFound as exc:
        with ctx.transaction() as session:
            record(session, events.BellPressRefused(
                actor=gateway.actor, source_ip=source_ip, outcome=Outcome.DENIED,
                bell_code=code[:64], via=via, reason=exc.key,
            ), ctx.clock)  # fmt: skip
        raise


def _press(session: Session, settings: Settings, clock: Clock, gateway: Principal, code: str,
           via: str, source_ip: str | None) -> Pressed:  # fmt: skip
    bell = session.scalar(select(EmergencyBell).where(EmergencyBell.code == code).with_for_update())
    if bell is None:
        raise NotFound("bells.error.unknown_bell", code=code[:64])
    if bell.status == BellStatus.REMOVED.value:
        raise NotFound("bells.error.removed_bell", code=code)
    now = clock.now()
    window = now - timedelta(seconds=settings.bells.dedupe_s)
    last = session.scalar(
        select(BellCall).where(BellCall.bell_id == bell.id, BellCall.last_press_at >= window)
        .order_by(BellCall.id.desc()).limit(1)
    )  # fmt: skip
    if last is not None:
        last.presses += 1
        last.last_press_at = max(last.last_press_at, now)
        return Pressed(last.id, last.incident_id, duplicate=True)
    return _activate(session, settings, clock, gateway, bell, via, source_ip)


def _activate(session: Session, settings: Settings, clock: Clock, gateway: Principal,
              bell: EmergencyBell, via: str, source_ip: str | None) -> Pressed:  # fmt: skip
    cameras = list(session.scalars(
        select(Camera).where(Camera.id.in_(bell.camera_ids)).order_by(Camera.id)))  # fmt: skip
    data = IncidentInput(
        type=settings.bells.incident_type.value, severity=settings.bells.severity.value,
        title=translate("bells.incident.title", "ko", code=bell.code)[:200],
        camera_codes=tuple(c.code for c in cameras), location=bell.location[:200],
        description=translate("bells.incident.description", "ko", gateway=gateway.username,
                              via=via),
        source=IncidentSource.BELL.value,
    )  # fmt: skip
    incident = Incidents(session, settings, clock, SYSTEM, source_ip).open(data)
    now = clock.now()
    call = BellCall(
        bell_id=bell.id, incident_id=incident.id, camera_id=cameras[0].id if cameras else None,
        via=via, gateway=gateway.username[:64], pressed_at=now, last_press_at=now, presses=1,
        state=CallState.RINGING.value, version=1,
    )  # fmt: skip
    session.add(call)
    session.flush()
    outbox.timeline(session, incident.id, EntryKind.ALARM, now, gateway.actor,
                    translate("bells.timeline.pressed", "ko", code=bell.code))  # fmt: skip
    record(session, events.BellPressed(
        actor=gateway.actor, source_ip=source_ip, camera_ids=tuple(c.id for c in cameras),
        bell_code=bell.code, call_id=call.id, incident_id=incident.id, via=via,
    ), clock)  # fmt: skip
    return Pressed(call.id, incident.id, duplicate=False)


class HungUp(Protocol):
    """A voice leg's figures once hung up (`bells_voice.MediaFacts`)."""

    def audit(self) -> dict[str, Any]: ...


@dataclass
class BellCalls:
    """What an operator does with a bell call: acknowledge the alarm, answer, end."""

    session: Session
    clock: Clock
    principal: Principal
    source_ip: str | None = None
    # ORD-10.2: ending the session hangs up its voice leg at once (bells_voice.py).
    hang_up: Callable[[int], HungUp | None] | None = None

    def acknowledge(self, call_id: int) -> BellCall:
        call, bell = self._call(call_id)
        now = self.clock.now()
        won = self._update(call, BellCall.alarm_acked_at.is_(None),
                           alarm_acked_at=now, alarm_acked_by=self.principal.person_id)  # fmt: skip
        if not won:
            raise Conflict("bells.error.already_acknowledged")
        self._log(call, EntryKind.ALARM, "bells.timeline.acknowledged",
                  events.BellAlarmAcknowledged, bell_code=bell.code,
                  waited_s=_between(call.pressed_at, now))  # fmt: skip
        return call

    def answer(self, call_id: int) -> BellCall:
        """Connect the call session (ringing → connected); acknowledges the alarm too."""
        call, bell = self._call(call_id)
        now = self.clock.now()
        if call.alarm_acked_at is None:
            self.acknowledge(call_id)
            self.session.refresh(call)
        won = self._update(call, BellCall.state == CallState.RINGING.value,
                           state=CallState.CONNECTED.value, answered_at=now,
                           answered_by=self.principal.person_id)  # fmt: skip
        if not won:
            raise Conflict("bells.error.call_state", state=call.state)
        self._log(call, EntryKind.CALL, "bells.timeline.answered", events.BellCallAnswered,
                  bell_code=bell.code, rang_s=_between(call.pressed_at, now))  # fmt: skip
        return call

    def end(self, call_id: int, note: str) -> BellCall:
        """End the call session (from ringing: not answered); logs its durations."""
        call, bell = self._call(call_id)
        note = note.strip()
        if len(note) > NOTE_MAX:
            raise InvalidInput("bells.error.note_too_long")
        now = self.clock.now()
        live = BellCall.state.in_((CallState.RINGING.value, CallState.CONNECTED.value))
        won = self._update(call, live, state=CallState.ENDED.value, ended_at=now,
                           ended_by=self.principal.person_id, end_note=note)  # fmt: skip
        if not won:
            raise Conflict("bells.error.call_state", state=call.state)
        talk = _between(call.answered_at, now) if call.answered_at else 0.0
        media = self.hang_up(call.id) if self.hang_up and call.answered_at else None
        self._log(call, EntryKind.CALL, "bells.timeline.ended", events.BellCallEnded,
                  bell_code=bell.code, answered=call.answered_at is not None,
                  duration_s=_between(call.pressed_at, now), talk_s=talk, note=note,
                  **(media.audit() if media else {}))  # fmt: skip
        return call

    def _call(self, call_id: int) -> tuple[BellCall, EmergencyBell]:
        if not self.principal.can(Permission.INCIDENT_MANAGE):
            raise Forbidden("error.forbidden", permission=Permission.INCIDENT_MANAGE.value)
        call = self.session.get(BellCall, call_id)
        if call is None or not may_see(self.session, self.principal, call):
            raise NotFound("bells.error.no_call", call_id=call_id)
        bell = self.session.get(EmergencyBell, call.bell_id)
        assert bell is not None
        return call, bell

    def _update(self, call: BellCall, condition: Any, **values: Any) -> bool:
        done: int = self.session.execute(
            update(BellCall).where(BellCall.id == call.id, BellCall.version == call.version,
                                   condition)
            .values(version=call.version + 1, **values)
        ).rowcount  # type: ignore[attr-defined]  # fmt: skip
        self.session.refresh(call)
        return done == 1

    def _log(self, call: BellCall, kind: EntryKind, text_key: str, event: type[Any],
             **details: Any) -> None:  # fmt: skip
        now = self.clock.now()
        text = translate(text_key, "ko", name=self.principal.display_name, **details)
        outbox.timeline(self.session, call.incident_id, kind, now, self.principal.actor, text)
        record(self.session, event(
            actor=self.principal.actor, source_ip=self.source_ip, call_id=call.id,
            incident_id=call.incident_id,
            camera_ids=(call.camera_id,) if call.camera_id else (), **details,
        ), self.clock)  # fmt: skip


def _between(start: datetime | None, end: datetime) -> float:
    return round((end - start).total_seconds(), 3) if start else 0.0


def may_see(session: Session, principal: Principal, call: BellCall) -> bool:
    """Scope (ORD-30.1): a scoped operator handles only bells of their cameras."""
    department = None
    if call.camera_id is not None:
        query = select(Camera.department_id).where(Camera.id == call.camera_id)
        department = session.scalar(query)
    return _allowed(principal, Permission.INCIDENT_MANAGE, call, department)


def _allowed(principal: Principal, permission: Permission, call: BellCall,
             department: int | None) -> bool:  # fmt: skip
    """The one scope rule (ORD-30.1); a bell without a camera is in everyone's scope."""
    return call.camera_id is None or principal.may_use_on_camera(
        permission, call.camera_id, department
    )


def alarms(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """The bell calls a wall shows: unacknowledged alarms and calls not yet ended."""
    rows = session.scalars(
        select(BellCall)
        .where((BellCall.alarm_acked_at.is_(None)) | (BellCall.state != CallState.ENDED.value))
        .order_by(BellCall.id.desc()).limit(50)
    )  # fmt: skip
    return _listed(session, principal, list(rows), Permission.INCIDENT_MANAGE)


def describe(session: Session, call: BellCall) -> dict[str, Any]:
    bell = session.get(EmergencyBell, call.bell_id)
    camera = session.get(Camera, call.camera_id) if call.camera_id else None
    answered = session.get(Person, call.answered_by) if call.answered_by else None
    return _call_json(call, bell, camera, answered)


def _listed(session: Session, principal: Principal, calls: list[BellCall],
            permission: Permission) -> list[dict[str, Any]]:  # fmt: skip
    """The calls `principal` may see with `permission` on their camera (ORD-30.1), described;
    cameras, bells and people read in one query each (every open wall polls the alarms
    each second: it used to cost four queries per call)."""
    camera_ids = {c.camera_id for c in calls if c.camera_id}
    cameras = {c.id: c for c in session.scalars(select(Camera).where(Camera.id.in_(camera_ids)))}
    calls = [
        c
        for c in calls
        if _allowed(principal, permission, c, _department(cameras.get(c.camera_id or 0)))
    ]
    bell_ids = {c.bell_id for c in calls}
    query = select(EmergencyBell).where(EmergencyBell.id.in_(bell_ids))
    bells = {b.id: b for b in session.scalars(query)}
    person_ids = {c.answered_by for c in calls if c.answered_by}
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(person_ids)))}
    return [
        _call_json(c, bells.get(c.bell_id), cameras.get(c.camera_id or 0),
                   people.get(c.answered_by or 0))
        for c in calls
    ]  # fmt: skip


def _department(camera: Camera | None) -> int | None:
    return camera.department_id if camera is not None else None


def _call_json(call: BellCall, bell: EmergencyBell | None, camera: Camera | None,
               answered: Person | None) -> dict[str, Any]:  # fmt: skip
    return {
        "id": call.id, "bell_code": bell.code if bell else "", "incident_id": call.incident_id,
        "location": bell.location if bell else "", "via": call.via, "gateway": call.gateway,
        "camera": {"id": camera.id, "code": camera.code, "name": camera.name} if camera else None,
        "pressed_at": call.pressed_at.isoformat(), "presses": call.presses,
        "alarm": call.alarm_acked_at is None, "state": call.state,
        "answered_at": _iso(call.answered_at), "ended_at": _iso(call.ended_at),
        "answered_by": answered.display_name if answered else None, "end_note": call.end_note,
        "duration_s": _between(call.pressed_at, call.ended_at) if call.ended_at else None,
        "talk_s": _between(call.answered_at, call.ended_at)
        if call.ended_at and call.answered_at else None,
    }  # fmt: skip


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def call_log(session: Session, principal: Principal, limit: int = 200) -> list[dict[str, Any]]:
    """Every call session, newest first (ORD-10.2: each use is logged)."""
    rows = session.scalars(select(BellCall).order_by(BellCall.id.desc()).limit(limit))
    return _listed(session, principal, list(rows), Permission.INCIDENT_READ)


def end_overdue_calls(ctx: Gwanje) -> list[int]:
    """End every call session still ringing or connected `bells.max_call_s` after its
    press (nobody ended it: an operator left, a browser closed); its voice is hung up and
    the end is logged like an operator's, by the system, with the reason."""
    from gwanje.operations.bells_voice import voice_of
    from gwanje.registry.service import system_principal

    cutoff = ctx.clock.now() - timedelta(seconds=ctx.settings.bells.max_call_s)
    live = (CallState.RINGING.value, CallState.CONNECTED.value)
    with ctx.sessions() as session:
        ids = list(session.scalars(select(BellCall.id).where(
            BellCall.state.in_(live), BellCall.pressed_at <= cutoff)))  # fmt: skip
    voice = voice_of(ctx)
    ended = []
    for call_id in ids:
        with ctx.transaction() as session:
            calls = BellCalls(session, ctx.clock, system_principal("bells.timeout"), None,
                              voice.hang_up if voice else None)  # fmt: skip
            try:
                calls.end(call_id, translate("bells.timeout_note", "ko"))
            except Conflict:  # an operator ended it meanwhile
                continue
        ended.append(call_id)
    return ended


async def end_overdue_forever(ctx: Gwanje, every_s: float = 15.0) -> None:
    """The web process ends overdue call sessions (`end_overdue_calls`) every `every_s`."""
    import asyncio
    import logging

    from starlette.concurrency import run_in_threadpool

    while True:
        try:
            await run_in_threadpool(end_overdue_calls, ctx)
        except Exception:  # the next round tries again; the web process goes on
            logging.getLogger(__name__).exception("ending overdue bell calls failed")
        await asyncio.sleep(every_s)
