"""Audit events of retention and legal holds (ORD-31.1, PIPA-5).

Invariants:
- every destruction (파기) of footage is one `FootageDestroyed` entry per camera, written
  in the same transaction that marks the segments for deletion, so no segment is ever
  deleted without its record, and a rolled-back purge leaves no record;
- a disk-full alarm is written once per episode: the next one only after a
  `DiskSpaceRecovered` entry for the same storage directory.
"""

from __future__ import annotations

from datetime import datetime

from gwanje.audit.events import AuditEvent


class CameraRetentionSet(AuditEvent):
    """A camera's retention period was changed; `None` means the center's default."""

    event_type = "retention.camera_set"
    description = "영상 보관기간 변경 / camera retention period changed"
    code: str
    old_days: int | None
    new_days: int | None
    effective_days: int


class LegalHoldPlaced(AuditEvent):
    """A legal hold (법적 보존) was placed on a camera's footage over `range_start`..`range_end`
    on an ORD-31.1 ground; that footage is kept past retention until released."""

    event_type = "legal_hold.placed"
    description = "법적 보존 설정 / legal hold placed"
    hold_id: int
    code: str
    ground: str
    reason: str
    owner_id: int
    owner: str
    review_at: datetime
    source: str


class LegalHoldReleased(AuditEvent):
    """A legal hold was released with a reason; its footage falls back under retention."""

    event_type = "legal_hold.released"
    description = "법적 보존 해제 / legal hold released"
    hold_id: int
    code: str
    ground: str
    reason: str


class FootageDestroyed(AuditEvent):
    """Recorded footage of one camera was destroyed (파기, PIPA-5): `segments` files of
    `bytes` bytes covering `range_start`..`range_end`, by `rule` (retention: older than
    `retention_days` before `cutoff`; disk_pressure: free space below the threshold)."""

    event_type = "retention.destroyed"
    description = "영상 파기 / footage destroyed"
    code: str
    rule: str
    segments: int
    bytes: int
    streams: list[str]
    first_file: str
    last_file: str
    retention_days: int | None = None
    cutoff: datetime | None = None
    free_bytes: int | None = None
    min_free_bytes: int | None = None


class DiskFullAlarm(AuditEvent):
    """Free space of a storage directory stayed below the threshold and only footage
    under a legal hold remains: nothing held is deleted; recording continues into
    the space left. Written once per episode."""

    event_type = "retention.disk_full"
    description = "저장공간 부족 경보 / disk full alarm"
    storage_uuid: str
    path: str
    free_bytes: int
    min_free_bytes: int
    held_segments: int
    held_bytes: int


class DiskSpaceRecovered(AuditEvent):
    """Free space of a storage directory is back above the threshold; ends a disk-full
    episode (the next shortage raises a new alarm)."""

    event_type = "retention.disk_recovered"
    description = "저장공간 부족 해소 / disk space recovered"
    storage_uuid: str
    path: str
    free_bytes: int
    min_free_bytes: int
