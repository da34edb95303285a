"""Audit events of the operator console (ORD-16, 20.3, 30.1, PIPA-3).

Every live view is two entries sharing a `view_id`: `LiveViewStarted` when the stream is
granted (before a byte of video is sent) and `LiveViewEnded` when it closes, with the
frames sent. A view whose end entry is missing ended with the web process (crash, kill);
its start entry still says who watched which camera from when.
"""

from __future__ import annotations

from datetime import datetime

from gwanje.audit.events import AuditEvent


class LiveViewStarted(AuditEvent):
    """A person started watching a camera's live video (`stream`: main or sub) on the
    wall; `camera_ids` holds the camera, `range_start` the moment it was granted."""

    event_type = "video.live_started"
    description = "실시간 영상 시청 시작 / live view started"
    view_id: str
    code: str
    stream: str


class LiveViewEnded(AuditEvent):
    """A live view closed: `range_start`..`range_end` is how long it was watched and
    `frames` how many frames were sent; `reason` says who closed it."""

    event_type = "video.live_ended"
    description = "실시간 영상 시청 종료 / live view ended"
    view_id: str
    code: str
    stream: str
    frames: int
    reason: str


class WallLayoutSaved(AuditEvent):
    """An operator saved a wall layout (its name, grid and the cameras in it)."""

    event_type = "console.layout_saved"
    description = "영상 배치 저장 / wall layout saved"
    name: str
    grid: int


class WallLayoutDeleted(AuditEvent):
    """An operator deleted one of their wall layouts."""

    event_type = "console.layout_deleted"
    description = "영상 배치 삭제 / wall layout deleted"
    name: str


class PlaybackStarted(AuditEvent):
    """Stored video was served for replay (ORD-30.2) under a grant: `range_start` ..
    `range_end` is what was asked, `served_from` where the served video begins."""

    event_type = "video.playback"
    description = "저장 영상 재생 / stored video played back"
    code: str
    stream: str
    grant_id: int
    request_id: int
    served_from: datetime | None


class PlaybackRefused(AuditEvent):
    """Replay of stored video was refused: no active grant names this person for that
    camera and time range (ORD-30.2)."""

    event_type = "video.playback_refused"
    description = "저장 영상 재생 거부 (승인 없음) / playback refused (no grant)"
    code: str
    stream: str
