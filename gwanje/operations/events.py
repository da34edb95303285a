"""Audit events of incidents and notifications (ORD-18.2, 20.4; PIPA-3).

Staff actions (open, note, close, acknowledge by phone) name the person; the dispatcher's
outcomes that a reviewer must be able to find later (a delivery that failed for good, an
escalation, an acknowledgement by a receiver) are entries of the system. Recipients and
channels are named by their setting name and address, never by a secret or token.
"""

from __future__ import annotations

from gwanje.audit.events import AuditEvent


class IncidentOpened(AuditEvent):
    """An incident was opened (상황 등록): type, severity, where; the recipients routed for
    its type were queued for notification (ORD-20.4)."""

    event_type = "incident.opened"
    description = "상황 등록 / incident opened"
    incident_id: int
    type: str
    severity: str
    source: str
    title: str
    location: str
    notified: list[str]


class IncidentNoted(AuditEvent):
    """A note was added to an incident's timeline."""

    event_type = "incident.noted"
    description = "상황 경과 기록 / incident note"
    incident_id: int
    text: str


class IncidentNotifiedManually(AuditEvent):
    """Staff queued a notification of an open incident to another recipient."""

    event_type = "incident.notified"
    description = "상황 추가 통보 / incident notified"
    incident_id: int
    recipient: str


class IncidentClosed(AuditEvent):
    """An incident was closed with its closing note."""

    event_type = "incident.closed"
    description = "상황 종료 / incident closed"
    incident_id: int
    note: str
    unacknowledged: int


class NotificationAcknowledged(AuditEvent):
    """A recipient confirmed a notification: by its token (callback or MQTT) or, recorded
    by staff, by phone."""

    event_type = "notification.acknowledged"
    description = "통보 수신 확인 / notification acknowledged"
    notification_id: int
    incident_id: int | None
    recipient: str
    via: str
    note: str


class NotificationFailed(AuditEvent):
    """A notification could not be delivered after every attempt."""

    event_type = "notification.failed"
    description = "통보 실패 / notification failed"
    notification_id: int
    incident_id: int | None
    recipient: str
    channel: str
    attempts: int
    error: str


class NotificationEscalated(AuditEvent):
    """A notification was not acknowledged in time (or failed): the recipients it
    escalates to were queued."""

    event_type = "notification.escalated"
    description = "통보 상향 (미확인) / notification escalated"
    notification_id: int
    incident_id: int | None
    recipient: str
    to: list[str]
    level: int
    reason: str


class IncidentSnapshotTaken(AuditEvent):
    """A still of a camera was stored with an incident (masks burned in, ORD-26.1): where
    the frame came from (live tap or recorded segment), its file's SHA-256."""

    event_type = "incident.snapshot_taken"
    description = "상황 스냅샷 저장 / incident snapshot taken"
    incident_id: int
    n: int
    source: str
    stream: str
    sha256: str
    masks: int


class IncidentSnapshotViewed(AuditEvent):
    """Someone viewed an incident snapshot's picture (video information, PIPA-3)."""

    event_type = "incident.snapshot_viewed"
    description = "상황 스냅샷 열람 / incident snapshot viewed"
    incident_id: int
    n: int
    sha256: str
