"""The closed vocabularies of camera health and maintenance, free of database imports
(the image-check worker process uses them cheaply)."""

from __future__ import annotations

from enum import StrEnum

# The image checks keep their history in `camera_health` beside the recorder's `main` and
# `sub` rows, under this channel name, so each keeps its own "current state".
IMAGE_CHANNEL = "image"


class ImageState(StrEnum):
    """What the image checks see (also `HealthState` values, for the shared history)."""

    OK = "image_ok"
    BLACK = "black"  # 영상 검정: no light, lost sensor
    COVERED = "covered"  # 가림: flat picture without edges (cap, bag, paint)
    FROZEN = "frozen"  # 정지: the same picture while time advances
    DEFOCUSED = "defocused"  # 초점 이탈: far less sharp than its own baseline
    SCENE_CHANGED = "scene_changed"  # 화각 변경: camera turned or moved


class FaultKind(StrEnum):
    """What a maintenance ticket is about: an image or recorder fault, or staff's report."""

    BLACK = "black"
    COVERED = "covered"
    FROZEN = "frozen"
    DEFOCUSED = "defocused"
    SCENE_CHANGED = "scene_changed"
    OFFLINE = "offline"  # recorder: no connection
    VIDEO_LOSS = "video_loss"  # recorder: connected, no frames
    NO_KEYFRAMES = "no_keyframes"  # recorder
    OTHER = "other"  # opened by staff (broken housing, cable, sign, ...)


class Severity(StrEnum):
    """Decides the SLA (hours to resolve, `health.sla_hours`)."""

    CRITICAL = "critical"  # no usable video
    MAJOR = "major"  # video, but degraded
    MINOR = "minor"


class TicketState(StrEnum):
    """open → acknowledged → in_progress → resolved → closed (staff verify)."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"


ACTIVE_STATES = (TicketState.OPEN, TicketState.ACKNOWLEDGED, TicketState.IN_PROGRESS)
UNCLOSED_STATES = (*ACTIVE_STATES, TicketState.RESOLVED)

DEFAULT_SEVERITY: dict[FaultKind, Severity] = {
    FaultKind.BLACK: Severity.CRITICAL,
    FaultKind.COVERED: Severity.CRITICAL,
    FaultKind.FROZEN: Severity.CRITICAL,
    FaultKind.OFFLINE: Severity.CRITICAL,
    FaultKind.VIDEO_LOSS: Severity.CRITICAL,
    FaultKind.NO_KEYFRAMES: Severity.MAJOR,
    FaultKind.SCENE_CHANGED: Severity.MAJOR,
    FaultKind.DEFOCUSED: Severity.MAJOR,
    FaultKind.OTHER: Severity.MINOR,
}
