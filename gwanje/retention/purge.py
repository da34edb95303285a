"""The retention purge (ORD-31.1): destroy footage older than its camera's retention.

`purge_expired` deletes exactly the committed segments whose end is older than
`now - retention` of their camera (the camera's `retention_days`, or the center default
`registry.retention_days`; never more than 30) and that no active legal hold of the same
camera overlaps — nothing else.

Procedure (docs/design/recording.md, "Delete"), per batch:
1. one transaction: lock the holds, select the expired unheld segments, mark them
   `deleting` and write one 파기 entry per camera (rule `retention`);
2. `storage.finish_deletions`: unlink, fsync the directories, drop the rows.
Rows left `deleting` by a crash are finished first, so the job heals itself.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gwanje.audit import Actor
from gwanje.clock import as_utc
from gwanje.context import Gwanje
from gwanje.media.models import Segment
from gwanje.media.storage import finish_deletions
from gwanje.registry.models import Camera
from gwanje.retention.destruction import CameraDestruction, Rule, destroy, unheld
from gwanje.retention.service import MAX_RETENTION_DAYS, lock_holds

BATCH = 2000  # segments marked per transaction (bounded statement size and lock time)


@dataclass
class PurgeSummary:
    """What one purge destroyed (or, for a dry run, would destroy)."""

    at: datetime
    dry_run: bool
    cameras: list[CameraDestruction] = field(default_factory=list)
    # Files unlinked and rows dropped, including rows a crash had left `deleting`.
    finished: int = 0

    @property
    def segments(self) -> int:
        return sum(c.segments for c in self.cameras)

    @property
    def bytes(self) -> int:
        return sum(c.bytes for c in self.cameras)

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "dry_run": self.dry_run,
            "segments": self.segments,
            "bytes": self.bytes,
            "finished": self.finished,
            "cameras": [c.as_json() for c in self.cameras],
        }


def cutoffs(session: Session, default_days: int) -> dict[int, list[int]]:
    """Camera ids grouped by retention days (≤ 30, ORD-31.1), for cameras with footage."""
    with_footage = select(Segment.camera_id).distinct()
    rows = session.execute(
        select(Camera.id, Camera.retention_days).where(Camera.id.in_(with_footage))
    ).all()
    groups: dict[int, list[int]] = defaultdict(list)
    for camera_id, days in rows:
        groups[min(days or default_days, MAX_RETENTION_DAYS)].append(camera_id)
    return dict(groups)


def expired(
    session: Session, default_days: int, now: datetime, limit: int | None
) -> list[tuple[Segment, int]]:
    """Committed, unheld segments whose end is older than now − their camera's retention,
    each with that retention in days."""
    found: list[tuple[Segment, int]] = []
    for days, camera_ids in sorted(cutoffs(session, default_days).items()):
        query = (
            select(Segment)
            .where(Segment.camera_id.in_(camera_ids))
            .where(Segment.end_at < now - timedelta(days=days))
            .where(unheld())
            .order_by(Segment.camera_id, Segment.start_at, Segment.id)
        )
        if limit is not None:
            query = query.limit(limit - len(found))
        found += [(segment, days) for segment in session.scalars(query)]
        if limit is not None and len(found) >= limit:
            break
    return found


def _dry_run(ctx: Gwanje, now: datetime, default_days: int) -> PurgeSummary:
    summary = PurgeSummary(at=now, dry_run=True)
    with ctx.sessions() as session:
        rows = expired(session, default_days, now, None)
        codes = dict(session.execute(select(Camera.id, Camera.code)).all())
    by_camera: dict[int, list[Segment]] = defaultdict(list)
    for row, _ in rows:
        by_camera[row.camera_id].append(row)
    for camera_id, segs in sorted(by_camera.items()):
        summary.cameras.append(
            CameraDestruction(
                camera_id=camera_id,
                code=codes[camera_id],
                rule=Rule.RETENTION.value,
                segments=len(segs),
                bytes=sum(s.bytes for s in segs),
                start_at=min(as_utc(s.start_at) for s in segs),
                end_at=max(as_utc(s.end_at) for s in segs),
            )
        )
    return summary


def _purge_batch(
    ctx: Gwanje, now: datetime, default_days: int, actor: Actor
) -> list[CameraDestruction]:
    """Step 1 for one batch: select, mark and record in one transaction."""
    with ctx.transaction() as session:
        lock_holds(session)
        rows = expired(session, default_days, now, BATCH)
        done: list[CameraDestruction] = []
        for days in sorted({d for _, d in rows}):
            ids = [segment.id for segment, d in rows if d == days]
            done += destroy(
                session,
                ctx.clock,
                actor,
                ids,
                Rule.RETENTION,
                retention_days=days,
                cutoff=now - timedelta(days=days),
            )
        return done


def purge_expired(
    ctx: Gwanje,
    now: datetime | None = None,
    *,
    dry_run: bool = False,
    actor: Actor | None = None,
) -> PurgeSummary:
    """Destroy every expired, unheld committed segment (ORD-31.1) and return a summary.

    `now` defaults to the context's clock; `dry_run` only reports what would go.
    """
    now = now or ctx.clock.now()
    default_days = ctx.settings.registry.retention_days
    if dry_run:
        return _dry_run(ctx, now, default_days)
    actor = actor or Actor.system("retention")
    summary = PurgeSummary(at=now, dry_run=False)
    summary.finished += finish_deletions(ctx)  # a crash may have left rows `deleting`
    while batch := _purge_batch(ctx, now, default_days, actor):
        summary.cameras += batch
        summary.finished += finish_deletions(ctx)
    return summary
