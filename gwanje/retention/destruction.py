"""Destruction (파기) of recorded footage: the one place that marks segments for deletion.

Both the retention purge and the disk guard come through here, so both keep the same
invariants (docs/design/recording.md, invariant 3 and "Delete"):
- only `committed` segments that no ACTIVE legal hold of the same camera overlaps are
  ever selected (`unheld`); the overlap test is inclusive at both ends, so a segment
  that merely touches a held range is kept;
- marking (`storage.mark_for_deletion`) and one `FootageDestroyed` audit entry per camera
  happen in the caller's ONE transaction, after `lock_holds`, so a hold placed
  concurrently is either seen or ordered after the destruction — never lost between
  the check and the mark;
- the counts, bytes and time range in the audit entry are of the rows actually marked.
Unlinking and dropping the rows is `storage.finish_deletions`, after the commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from gwanje.audit import Actor, record
from gwanje.clock import Clock, as_utc
from gwanje.media.models import Segment, SegmentState
from gwanje.media.storage import mark_for_deletion
from gwanje.registry.models import Camera
from gwanje.retention.events import FootageDestroyed
from gwanje.retention.models import LegalHold


class Rule(StrEnum):
    """Why footage was destroyed."""

    RETENTION = "retention"  # ORD-31.1: older than the camera's retention period
    DISK_PRESSURE = "disk_pressure"  # free space below recording.min_free_bytes


@dataclass(frozen=True)
class CameraDestruction:
    """What one destruction removed of one camera (the content of its 파기 entry)."""

    camera_id: int
    code: str
    rule: str
    segments: int
    bytes: int
    start_at: datetime
    end_at: datetime

    def as_json(self) -> dict[str, Any]:
        values: dict[str, Any] = dict(self.__dict__)
        values["start_at"] = self.start_at.isoformat()
        values["end_at"] = self.end_at.isoformat()
        return values


def held() -> ColumnElement[bool]:
    """True for a segment that an active hold of its camera overlaps (even at one instant)."""
    return exists().where(
        LegalHold.camera_id == Segment.camera_id,
        LegalHold.released_at.is_(None),
        LegalHold.start_at <= Segment.end_at,
        LegalHold.end_at >= Segment.start_at,
    )


def unheld() -> ColumnElement[bool]:
    """Committed and overlapped by no active hold of its camera: the only deletable rows."""
    return (Segment.state == SegmentState.COMMITTED) & ~held()


def destroy(
    session: Session,
    clock: Clock,
    actor: Actor,
    segment_ids: Sequence[int],
    rule: Rule,
    **details: Any,
) -> list[CameraDestruction]:
    """Mark the segments `deleting` and write one 파기 entry per camera, in `session`'s
    transaction. `details` go into every entry (e.g. retention_days, cutoff)."""
    rows = mark_for_deletion(session, segment_ids)
    by_camera: dict[int, list[Segment]] = defaultdict(list)
    for row in rows:
        by_camera[row.camera_id].append(row)
    codes = dict(
        session.execute(select(Camera.id, Camera.code).where(Camera.id.in_(list(by_camera)))).all()
    )
    done: list[CameraDestruction] = []
    for camera_id in sorted(by_camera):
        done.append(
            _record_camera(
                session, clock, actor, codes[camera_id], by_camera[camera_id], rule, details
            )
        )
    return done


def _record_camera(
    session: Session,
    clock: Clock,
    actor: Actor,
    code: str,
    rows: list[Segment],
    rule: Rule,
    details: dict[str, Any],
) -> CameraDestruction:
    rows = sorted(rows, key=lambda r: (as_utc(r.start_at), r.id))
    summary = CameraDestruction(
        camera_id=rows[0].camera_id,
        code=code,
        rule=rule.value,
        segments=len(rows),
        bytes=sum(r.bytes for r in rows),
        start_at=as_utc(rows[0].start_at),
        end_at=max(as_utc(r.end_at) for r in rows),
    )
    event = FootageDestroyed(
        actor=actor,
        camera_ids=(summary.camera_id,),
        range_start=summary.start_at,
        range_end=summary.end_at,
        code=code,
        rule=rule.value,
        segments=summary.segments,
        bytes=summary.bytes,
        streams=sorted({r.stream for r in rows}),
        first_file=rows[0].path,
        last_file=rows[-1].path,
        **details,
    )
    record(session, event, clock)
    return summary
