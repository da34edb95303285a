"""The disk guard: keep free space above `recording.min_free_bytes` without ever
deleting held footage.

Below the threshold it destroys the OLDEST unheld committed segments of the storage
directory first (the same mark → 파기 entry → unlink procedure as the purge, rule
`disk_pressure`), re-measuring after each batch, and stops as soon as free space is back
at the threshold. If only held footage is left, it deletes nothing more, raises a
disk-full alarm (one `retention.disk_full` audit entry per episode: a new one only after
`retention.disk_recovered`) and says so in its result.

Frigate's emergency purge deletes footage marked to keep; here the only rows it may
select are `destruction.unheld()` ones, exactly as for the purge (invariant 3).

Free space is an interface (`FreeSpace`), so tests simulate a full disk without
filling one (STYLE: pass the filesystem in).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gwanje.audit import Actor, record
from gwanje.audit.models import AuditEntry
from gwanje.context import Gwanje
from gwanje.media.models import Segment, SegmentState
from gwanje.media.storage import Store, finish_deletions
from gwanje.retention.destruction import CameraDestruction, Rule, destroy, held, unheld
from gwanje.retention.events import DiskFullAlarm, DiskSpaceRecovered
from gwanje.retention.service import lock_holds

FreeSpace = Callable[[Path], int]
BATCH = 500  # most segments marked per round before free space is measured again


def disk_free(path: Path) -> int:
    """Bytes available on the filesystem holding `path`."""
    return shutil.disk_usage(path).free


@dataclass
class GuardResult:
    """What the guard found and did."""

    min_free_bytes: int
    free_before: int
    free_after: int
    cameras: list[CameraDestruction] = field(default_factory=list)
    # Still below the threshold with nothing unheld left to delete.
    disk_full: bool = False
    # This run wrote the alarm entry (the first of its episode).
    alarm_raised: bool = False
    # This run wrote the recovery entry (ended an episode).
    recovered: bool = False

    @property
    def segments(self) -> int:
        return sum(c.segments for c in self.cameras)

    def as_json(self) -> dict[str, Any]:
        values: dict[str, Any] = {k: v for k, v in self.__dict__.items() if k != "cameras"}
        values["segments"] = self.segments
        values["cameras"] = [c.as_json() for c in self.cameras]
        return values


def guard_disk(
    ctx: Gwanje,
    store: Store,
    free_bytes: FreeSpace = disk_free,
    *,
    actor: Actor | None = None,
) -> GuardResult:
    """Free space on `store` down to the oldest unheld footage; alarm if only held is left."""
    actor = actor or Actor.system("disk_guard")
    threshold = ctx.settings.recording.min_free_bytes
    finish_deletions(ctx)  # a crash may have left rows `deleting`
    free = free_bytes(store.path)
    result = GuardResult(min_free_bytes=threshold, free_before=free, free_after=free)
    while free < threshold:
        batch = _destroy_oldest(ctx, store, threshold - free, free, threshold, actor)
        if not batch:
            break
        result.cameras += batch
        finish_deletions(ctx)
        free = free_bytes(store.path)
    result.free_after = free
    result.disk_full = free < threshold
    _alarm_episode(ctx, store, result, actor)
    return result


def _destroy_oldest(
    ctx: Gwanje, store: Store, needed: int, free: int, threshold: int, actor: Actor
) -> list[CameraDestruction]:
    """One round: the oldest unheld segments of `store` adding up to `needed` bytes."""
    with ctx.transaction() as session:
        lock_holds(session)
        rows = session.execute(
            select(Segment.id, Segment.bytes)
            .where(Segment.storage_dir_id == store.id, unheld())
            .order_by(Segment.start_at, Segment.id)
            .limit(BATCH)
        ).all()
        chosen: list[int] = []
        total = 0
        for segment_id, size in rows:
            if total >= needed:
                break
            chosen.append(segment_id)
            total += size
        details = {"free_bytes": free, "min_free_bytes": threshold}
        return destroy(session, ctx.clock, actor, chosen, Rule.DISK_PRESSURE, **details)


def _episode_open(session: Session, store: Store) -> bool:
    """Whether the newest alarm/recovery entry of this storage directory is an alarm."""
    entries = session.execute(
        select(AuditEntry.event_type, AuditEntry.details)
        .where(AuditEntry.event_type.in_([DiskFullAlarm.event_type, DiskSpaceRecovered.event_type]))
        .order_by(AuditEntry.seq.desc())
    ).all()
    for event_type, details in entries:
        if json.loads(details).get("storage_uuid") == store.uuid:
            return event_type == DiskFullAlarm.event_type
    return False


def _held_totals(session: Session, store: Store) -> tuple[int, int]:
    count, size = session.execute(
        select(func.count(), func.coalesce(func.sum(Segment.bytes), 0)).where(
            Segment.storage_dir_id == store.id,
            Segment.state == SegmentState.COMMITTED,
            held(),
        )
    ).one()
    return int(count), int(size)


def _alarm_episode(ctx: Gwanje, store: Store, result: GuardResult, actor: Actor) -> None:
    """Write the alarm once per episode, and the recovery that ends it."""
    with ctx.sessions() as session:
        if _episode_open(session, store) == result.disk_full:
            return  # nothing changes: the usual case, without taking the write lock
    with ctx.transaction() as session:
        lock_holds(session)  # also orders two guards deciding on the same episode
        is_open = _episode_open(session, store)
        common = {
            "storage_uuid": store.uuid,
            "path": str(store.path),
            "free_bytes": result.free_after,
            "min_free_bytes": result.min_free_bytes,
        }
        if result.disk_full and not is_open:
            count, size = _held_totals(session, store)
            alarm = DiskFullAlarm(actor=actor, held_segments=count, held_bytes=size, **common)
            record(session, alarm, ctx.clock)
            result.alarm_raised = True
        elif not result.disk_full and is_open:
            record(session, DiskSpaceRecovered(actor=actor, **common), ctx.clock)
            result.recovered = True
