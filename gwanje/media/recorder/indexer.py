"""Turns capture reports into index rows: segments, gaps, health history.

Runs in the supervisor only, so one process writes the index. Reports are applied in
batches, one transaction per batch (group commit: one fsync for many rows).

Gap rule: a `StreamDown` opens a gap for its stream unless one is already open (a camera
that keeps failing to reconnect is one gap, not hundreds); the next committed segment of
the stream closes it at the segment's start.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gwanje.context import Gwanje
from gwanje.media.models import CameraHealthEvent, Gap, Segment, SegmentState
from gwanje.media.recorder.messages import (
    HealthChanged,
    Report,
    SegmentCommitted,
    StreamDown,
    StreamKey,
)


def open_gap(session: Session, key: StreamKey) -> Gap | None:
    return session.scalars(
        select(Gap).where(
            Gap.camera_id == key.camera_id, Gap.stream == key.stream, Gap.end_at.is_(None)
        )
    ).first()


class Indexer:
    def __init__(self, ctx: Gwanje, storage_dir_id: int) -> None:
        self.ctx, self.storage_dir_id = ctx, storage_dir_id

    def apply(self, reports: Sequence[Report]) -> None:
        if not reports:
            return
        with self.ctx.transaction() as session:
            for report in reports:
                if isinstance(report, SegmentCommitted):
                    self._segment(session, report)
                elif isinstance(report, StreamDown):
                    self._down(session, report)
                else:
                    self._health(session, report)
                session.flush()

    def _segment(self, session: Session, done: SegmentCommitted) -> None:
        if session.scalar(select(Segment.id).where(Segment.path == done.relpath)) is not None:
            return  # already indexed (by recovery after a worker restart): idempotent
        session.add(segment_row(done, self.storage_dir_id, self.ctx.clock.now()))
        gap = open_gap(session, done.key)
        if gap is not None:
            gap.end_at = max(gap.start_at, done.start_at)

    def _down(self, session: Session, down: StreamDown) -> None:
        if open_gap(session, down.key) is None:
            session.add(
                Gap(
                    camera_id=down.key.camera_id,
                    stream=down.key.stream,
                    start_at=down.at,
                    end_at=None,
                    cause=down.cause,
                    detail=down.detail,
                )
            )

    def _health(self, session: Session, change: HealthChanged) -> None:
        last = session.scalars(
            select(CameraHealthEvent.state)
            .where(
                CameraHealthEvent.camera_id == change.key.camera_id,
                CameraHealthEvent.stream == change.key.stream,
            )
            .order_by(CameraHealthEvent.at.desc(), CameraHealthEvent.id.desc())
        ).first()
        if last == change.state:
            return
        session.add(
            CameraHealthEvent(
                camera_id=change.key.camera_id,
                stream=change.key.stream,
                at=change.at,
                state=change.state,
                detail=change.detail,
            )
        )


def segment_row(done: SegmentCommitted, storage_dir_id: int, now: datetime) -> Segment:
    return Segment(
        camera_id=done.key.camera_id, stream=done.key.stream, storage_dir_id=storage_dir_id,
        path=done.relpath, start_at=done.start_at, end_at=done.end_at,
        duration_ms=round((done.end_at - done.start_at).total_seconds() * 1000),
        bytes=done.bytes, frames=done.frames,
        keyframes_ms=",".join(str(k) for k in done.keyframes_ms), codec=done.codec,
        width=done.width, height=done.height, sha256=done.sha256,
        state=SegmentState.COMMITTED, created_at=now,
    )  # fmt: skip
