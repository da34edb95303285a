"""The closed vocabularies of operations: what an incident is, how bad, where it came
from, and the states of a notification. Stored as their string values."""

from __future__ import annotations

from enum import StrEnum


class IncidentType(StrEnum):
    CRIME = "crime"  # 범죄
    TRAFFIC_ACCIDENT = "traffic_accident"  # 교통사고
    FIRE = "fire"  # 화재
    DISASTER = "disaster"  # 재난
    MISSING_PERSON = "missing_person"  # 실종
    OTHER = "other"  # 기타


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class IncidentSource(StrEnum):
    OPERATOR = "operator"  # opened by staff, e.g. from the wall
    BELL = "bell"  # an emergency bell press
    HEALTH = "health"  # a camera health event
    ANALYTICS = "analytics"  # smart selective monitoring


class IncidentState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class EntryKind(StrEnum):
    """Kinds of lines on an incident's timeline."""

    OPENED = "opened"
    NOTE = "note"
    CAMERA_ADDED = "camera_added"
    QUEUED = "queued"
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    CLOSED = "closed"
    ALARM = "alarm"  # a bell's alarm raised / acknowledged on the wall
    CALL = "call"  # a bell call session answered / ended (ORD-10.2)
    CHECKLIST = "checklist"  # a response-manual step ticked (ORD-18.2)
    SNAPSHOT = "snapshot"  # a still of a camera taken, or why it could not be


class ChannelKind(StrEnum):
    WEBHOOK = "webhook"
    MQTT = "mqtt"
    EMAIL = "email"
    SMS = "sms"


class NotificationState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    FAILED = "failed"
    ESCALATED = "escalated"


class AckVia(StrEnum):
    TOKEN = "token"  # noqa: S105 - the receiver's system called back with the token
    MQTT = "mqtt"  # the receiver published the token on the ack topic
    STAFF = "staff"  # a staff member recorded a confirmation received by phone


class CallState(StrEnum):
    """A bell call session (ORD-10.2): audio exists only while it is connected."""

    RINGING = "ringing"
    CONNECTED = "connected"
    ENDED = "ended"


class PressVia(StrEnum):
    """How a bell press reached the center."""

    HTTP = "http"  # POST /api/bells/{code}/press with the gateway's API token
    MQTT = "mqtt"  # <prefix>/bells/<code>/press with the gateway's API token in the payload


class SnapshotSource(StrEnum):
    """Where an incident snapshot's frame came from."""

    LIVE = "live"  # the newest keyframe on the camera's live tap
    RECORDED = "recorded"  # the last keyframe of the newest recorded segment
