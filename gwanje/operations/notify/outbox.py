"""The notification outbox: queue, claim, record outcomes, escalate, acknowledge.

Every function works inside the caller's transaction and changes a notification's state
only by a conditional UPDATE on (id, state[, version]), so a row is sent by one
dispatcher at a time and acknowledged once (docs/design/incidents.md, invariants 1-6).

Invariants:
- queueing happens in the transaction of the incident change that causes it (outbox);
- a claimed row carries everything needed to send it (`Claim`), so sending needs no
  database session and the network never runs inside a transaction;
- a row stuck in `sending` past `claim_timeout_s` goes back to `pending` (at-least-once);
- escalation queues the recipients' `escalate_to` once per row, up to
  `max_escalation_level`; each step is on the timeline and in the audit ledger.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from gwanje.audit import record
from gwanje.audit.events import Actor
from gwanje.clock import Clock
from gwanje.operations import events
from gwanje.operations.config import OperationsSettings, Recipient
from gwanje.operations.kinds import AckVia, EntryKind, NotificationState
from gwanje.operations.models import Incident, IncidentEntry, Notification
from gwanje.registry.models import Camera

S = NotificationState
DISPATCHER = Actor.system("operations.dispatcher")


def ack_token(secret: bytes, notification_id: int) -> str:
    """The token a receiver sends back to acknowledge (never stored)."""
    message = f"notification-ack:{notification_id}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def token_matches(secret: bytes, notification_id: int, token: str) -> bool:
    return hmac.compare_digest(ack_token(secret, notification_id), token.strip().lower())


def timeline(session: Session, incident_id: int | None, kind: EntryKind, at: datetime,
             actor: Actor, text: str = "", notification_id: int | None = None) -> None:  # fmt: skip
    """A line on the incident's timeline (a notice has no incident: nothing to add)."""
    if incident_id is None:
        return
    session.add(IncidentEntry(
        incident_id=incident_id, at=at, kind=kind.value, person_id=actor.person_id,
        actor=actor.username, text=text, notification_id=notification_id,
    ))  # fmt: skip


def incident_payload(session: Session, incident: Incident) -> dict[str, Any]:
    """What every recipient is told about an incident (frozen into each row)."""
    ids = [c.camera_id for c in incident.cameras]
    cameras = session.scalars(select(Camera).where(Camera.id.in_(ids)).order_by(Camera.code))
    return {
        "id": incident.id, "type": incident.type, "severity": incident.severity,
        "title": incident.title, "location": incident.location,
        "description": incident.description, "opened_at": incident.opened_at.isoformat(),
        "cameras": [{"code": c.code, "name": c.name, "address": c.address,
                     "latitude": c.latitude, "longitude": c.longitude} for c in cameras],
    }  # fmt: skip


def queue(session: Session, ops: OperationsSettings, clock: Clock, incident: Incident,
          recipient: Recipient, actor: Actor, level: int = 0,
          escalated_from: int | None = None) -> list[Notification]:  # fmt: skip
    """One pending row per channel of `recipient`, due now; a timeline line each."""
    about = {"incident": incident_payload(session, incident)}
    return _queue(session, clock, recipient, actor, about, level, escalated_from,
                  incident_id=incident.id)  # fmt: skip


def queue_notice(session: Session, clock: Clock, recipient: Recipient, actor: Actor,
                 topic: str, ref_id: int, notice: dict[str, Any], level: int = 0,
                 escalated_from: int | None = None) -> list[Notification]:  # fmt: skip
    """A notice of another workflow (e.g. copies recalled, a destruction overdue): the same
    outbox, channels, retries, acknowledgement and escalation as an incident's, without
    an incident. `notice["text"]` is what people read (email, SMS)."""
    return _queue(session, clock, recipient, actor, {"notice": {"topic": topic, **notice}},
                  level, escalated_from, topic=topic, ref_id=ref_id)  # fmt: skip


def _queue(session: Session, clock: Clock, recipient: Recipient, actor: Actor,
           about: dict[str, Any], level: int, escalated_from: int | None,
           incident_id: int | None = None, topic: str = "incident",
           ref_id: int | None = None) -> list[Notification]:  # fmt: skip
    now = clock.now()
    body = {**about, "recipient": recipient.name, "recipient_label": recipient.label,
            "level": level}  # fmt: skip
    rows = []
    for index, channel in enumerate(recipient.channels):
        row = Notification(
            incident_id=incident_id, topic=topic, ref_id=ref_id, recipient=recipient.name,
            channel=channel.kind.value, channel_index=index,
            address=channel.describe()[:256], state=S.PENDING.value, created_at=now,
            next_attempt_at=now, level=level, escalated_from=escalated_from,
            payload=json.dumps(body, ensure_ascii=False),
        )  # fmt: skip
        session.add(row)
        session.flush()
        text = f"{recipient.label} · {channel.kind.value} · {row.address}"
        timeline(session, incident_id, EntryKind.QUEUED, now, actor, text, row.id)
        rows.append(row)
    return rows


@dataclass(frozen=True)
class Claim:
    """A row this dispatcher holds: all it needs to send without the database."""

    id: int
    incident_id: int | None
    recipient: str
    channel: str
    channel_index: int
    payload: dict[str, Any]
    attempts: int
    level: int


def reclaim_stale(session: Session, ops: OperationsSettings, clock: Clock) -> int:
    """Rows whose sender died mid-send go back to pending (at-least-once delivery)."""
    cutoff = clock.now() - timedelta(seconds=ops.claim_timeout_s)
    result = session.execute(
        update(Notification)
        .where(Notification.state == S.SENDING.value, Notification.claimed_at <= cutoff)
        .values(
            state=S.PENDING.value,
            claimed_at=None,
            version=Notification.version + 1,
            last_error="sender lost (claim timed out); retried",
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def claim_due(session: Session, clock: Clock, limit: int) -> list[Claim]:
    """Claim up to `limit` due rows; a row another dispatcher claimed first is skipped."""
    now = clock.now()
    due = session.execute(
        select(Notification.id, Notification.version)
        .where(Notification.state == S.PENDING.value, Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at, Notification.id).limit(limit)
    ).all()  # fmt: skip
    claims = []
    for row_id, version in due:
        won = session.execute(
            update(Notification)
            .where(Notification.id == row_id, Notification.state == S.PENDING.value,
                   Notification.version == version)
            .values(state=S.SENDING.value, claimed_at=now, version=version + 1,
                    attempts=Notification.attempts + 1)
        ).rowcount  # type: ignore[attr-defined]  # fmt: skip
        if won == 1:
            row = session.get(Notification, row_id)
            assert row is not None
            session.refresh(row)
            claims.append(Claim(row.id, row.incident_id, row.recipient, row.channel,
                                row.channel_index, json.loads(row.payload), row.attempts,
                                row.level))  # fmt: skip
    return claims


def _finish(session: Session, claim: Claim, **values: Any) -> bool:
    """Move a claimed row out of `sending`; False if it was reclaimed meanwhile."""
    result = session.execute(
        update(Notification)
        .where(Notification.id == claim.id, Notification.state == S.SENDING.value)
        .values(claimed_at=None, version=Notification.version + 1, **values)
    )
    return int(result.rowcount or 0) == 1  # type: ignore[attr-defined]


def record_sent(session: Session, ops: OperationsSettings, clock: Clock, claim: Claim) -> None:
    recipient = ops.recipient(claim.recipient)
    timeout = recipient.ack_timeout_s if recipient else 300.0
    now = clock.now()
    if _finish(session, claim, state=S.SENT.value, sent_at=now, last_error="",
               ack_due_at=now + timedelta(seconds=timeout)):  # fmt: skip
        text = f"{claim.recipient} · {claim.channel} · #{claim.attempts}"
        timeline(session, claim.incident_id, EntryKind.SENT, now, DISPATCHER, text, claim.id)


def record_failure(session: Session, ops: OperationsSettings, clock: Clock, claim: Claim,
                   error: str) -> None:  # fmt: skip
    """Retry later with exponential backoff, or fail for good after max_attempts."""
    now, error = clock.now(), error[:500]
    if claim.attempts >= ops.max_attempts:
        if _finish(session, claim, state=S.FAILED.value, last_error=error):
            timeline(session, claim.incident_id, EntryKind.FAILED, now, DISPATCHER,
                     f"{claim.recipient} · {claim.channel}: {error}", claim.id)  # fmt: skip
            record(session, events.NotificationFailed(
                actor=DISPATCHER, notification_id=claim.id, incident_id=claim.incident_id,
                recipient=claim.recipient, channel=claim.channel, attempts=claim.attempts,
                error=error), clock)  # fmt: skip
        return
    delay = min(ops.retry_max_s, ops.retry_base_s * 2 ** (claim.attempts - 1))
    retry_at = now + timedelta(seconds=delay)
    if _finish(session, claim, state=S.PENDING.value, last_error=error, next_attempt_at=retry_at):
        timeline(session, claim.incident_id, EntryKind.RETRY, now, DISPATCHER,
                 f"{claim.recipient} · {claim.channel}: {error}", claim.id)  # fmt: skip


def escalate_overdue(session: Session, ops: OperationsSettings, clock: Clock) -> list[int]:
    """Unacknowledged past their window, or failed: queue the next recipients once."""
    now = clock.now()
    rows = session.scalars(
        select(Notification).where(or_(
            (Notification.state == S.SENT.value) & (Notification.ack_due_at <= now),
            Notification.state == S.FAILED.value,
        )).order_by(Notification.id)
    ).all()  # fmt: skip
    escalated = []
    for row in rows:
        reason = "failed" if row.state == S.FAILED.value else "not acknowledged in time"
        won = session.execute(
            update(Notification)
            .where(Notification.id == row.id, Notification.state == row.state,
                   Notification.version == row.version)
            .values(state=S.ESCALATED.value, version=row.version + 1)
        ).rowcount  # type: ignore[attr-defined]  # fmt: skip
        if won == 1:
            _escalate(session, ops, clock, row, reason)
            escalated.append(row.id)
    return escalated


def _escalate(session: Session, ops: OperationsSettings, clock: Clock, row: Notification,
              reason: str) -> None:  # fmt: skip
    """Queue the next recipients: for an open incident, or for a notice (which stays
    relevant until acknowledged); a closed incident's notification escalates to nobody."""
    incident = session.get(Incident, row.incident_id) if row.incident_id is not None else None
    recipient = ops.recipient(row.recipient)
    targets = [] if recipient is None or row.level >= ops.max_escalation_level else [
        t for name in recipient.escalate_to if (t := ops.recipient(name)) is not None
    ]  # fmt: skip
    if incident is not None and incident.state != "open":
        targets = []
    for target in targets:
        if incident is not None:
            queue(session, ops, clock, incident, target, DISPATCHER, row.level + 1, row.id)
        else:
            notice = json.loads(row.payload)["notice"]
            queue_notice(session, clock, target, DISPATCHER, row.topic, row.ref_id or 0,
                         notice, row.level + 1, row.id)  # fmt: skip
    names = [t.name for t in targets]
    text = f"{row.recipient} · {reason} → {', '.join(names) or '—'}"
    timeline(session, row.incident_id, EntryKind.ESCALATED, clock.now(), DISPATCHER, text,
             row.id)  # fmt: skip
    record(session, events.NotificationEscalated(
        actor=DISPATCHER, notification_id=row.id, incident_id=row.incident_id,
        recipient=row.recipient, to=names, level=row.level + 1, reason=reason,
    ), clock)  # fmt: skip


def acknowledge(session: Session, clock: Clock, notification_id: int, via: AckVia,
                actor: Actor, note: str = "") -> Notification | None:  # fmt: skip
    """Accept the first acknowledgement of a delivered (or escalated) row; None if the row
    is unknown, not yet delivered, or already acknowledged."""
    now = clock.now()
    won = session.execute(
        update(Notification)
        .where(Notification.id == notification_id,
               Notification.state.in_([S.SENT.value, S.ESCALATED.value]),
               Notification.acked_at.is_(None))
        .values(state=S.ACKNOWLEDGED.value, acked_at=now, acked_via=via.value,
                acked_by=actor.person_id, ack_note=note[:500],
                version=Notification.version + 1)
    ).rowcount  # type: ignore[attr-defined]  # fmt: skip
    if won != 1:
        return None
    row = session.get(Notification, notification_id)
    assert row is not None
    session.refresh(row)
    text = f"{row.recipient} · {via.value}" + (f" · {note}" if note else "")
    timeline(session, row.incident_id, EntryKind.ACKNOWLEDGED, now, actor, text, row.id)
    record(session, events.NotificationAcknowledged(
        actor=actor, notification_id=row.id, incident_id=row.incident_id,
        recipient=row.recipient, via=via.value, note=note[:500],
    ), clock)  # fmt: skip
    return row


def acknowledge_by_token(session: Session, secret: bytes, clock: Clock, notification_id: int,
                         token: str, via: AckVia) -> Notification | None:  # fmt: skip
    """A receiver's acknowledgement: accepted only with the row's token, once."""
    row = session.get(Notification, notification_id)
    if row is None or not token_matches(secret, notification_id, token):
        return None
    actor = Actor(person_id=None, username=f"recipient:{row.recipient}"[:64], kind="token")
    return acknowledge(session, clock, notification_id, via, actor)
