"""What the recorder does at start, before any camera is pulled (crash recovery).

1. Finish interrupted deletions (rows left `deleting`).
2. Salvage every `.part` file, the segment in flight when the recorder died: its packets
   up to the last complete fragment are remuxed into a proper segment and indexed; a
   `.part` with no readable video is removed.
3. Index every finished `.mp4` that has no row (the recorder died between the rename and
   the row: the file is complete and durable, only its row is missing).
4. Open a `recorder_restart` gap for each recorded stream, from the end of its last
   segment, unless a gap is already open; the first new segment closes it.

Only the most recent day directories are scanned (segments in flight are always recent);
`gwanje check` scans everything.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av
import av.error
from sqlalchemy import func, select

from gwanje.context import Gwanje
from gwanje.fsutil import fsync_dir
from gwanje.media.models import Gap, GapCause, Segment
from gwanje.media.probe import probe, sha256_of
from gwanje.media.recorder.indexer import Indexer, open_gap
from gwanje.media.recorder.messages import SegmentCommitted, StreamKey
from gwanje.media.recorder.segment_files import WriteFailed
from gwanje.media.recorder.writer import SegmentWriter
from gwanje.media.storage import PART_SUFFIX, Store, finish_deletions

log = logging.getLogger(__name__)
NAME = re.compile(r"^(\d{8}T\d{6})(\d{3})Z-(\d{6})\.mp4$")
SALVAGE_SUFFIX = ".salvage"


@dataclass
class RecoveryReport:
    deletions_finished: int = 0
    salvaged: list[str] = field(default_factory=list)
    discarded: list[str] = field(default_factory=list)
    indexed: list[str] = field(default_factory=list)
    restart_gaps: int = 0


@dataclass(frozen=True)
class SegmentName:
    key: StreamKey
    start_at: datetime
    seq: int


def parse_relpath(relpath: str) -> SegmentName | None:
    """`<camera>/<stream>/<YYYYMMDD>/<stamp>-<seq>.mp4` back into its parts."""
    parts = relpath.split("/")
    match = NAME.match(parts[-1]) if len(parts) == 4 and parts[0].isdigit() else None
    if match is None or parts[1] not in ("main", "sub"):
        return None
    start = datetime.strptime(match[1], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    start += timedelta(milliseconds=int(match[2]))
    return SegmentName(StreamKey(int(parts[0]), parts[1]), start, int(match[3]))


def recent_files(
    root: Path, suffix: str, since: datetime, only: set[StreamKey] | None = None
) -> Iterator[Path]:
    """Files ending in `suffix` in day directories from `since` on (of `only` these streams)."""
    floor = f"{since.astimezone(UTC):%Y%m%d}"
    if only is None:
        stream_dirs = sorted(root.glob("*/*"))
    else:
        stream_dirs = [root / str(k.camera_id) / k.stream for k in sorted(only, key=str)]
    for stream_dir in stream_dirs:
        if not stream_dir.is_dir():
            continue
        for day in sorted(stream_dir.iterdir()):
            if day.is_dir() and day.name >= floor:
                yield from sorted(p for p in day.iterdir() if p.name.endswith(suffix))


def recover(
    ctx: Gwanje,
    store: Store,
    keys: Iterable[StreamKey],
    recent_days: int = 2,
    only_these: bool = False,
) -> RecoveryReport:
    """Recover the store; with `only_these`, just the given streams' files (a restarted
    worker's, while other workers keep writing theirs)."""
    keys = list(keys)
    only = set(keys) if only_these else None
    report = RecoveryReport(deletions_finished=0 if only_these else finish_deletions(ctx))
    since = ctx.clock.now() - timedelta(days=recent_days)
    indexer = Indexer(ctx, store.id)
    for part in list(recent_files(store.path, ".mp4" + PART_SUFFIX, since, only)):
        salvage(store, part, indexer, report)
    for leftover in list(recent_files(store.path, ".mp4" + SALVAGE_SUFFIX, since, only)):
        salvage(store, leftover, indexer, report)  # a crash during a salvage
    _index_orphans(ctx, store, since, indexer, report, only)
    report.restart_gaps = _open_restart_gaps(ctx, keys)
    return report


def salvage(store: Store, part: Path, indexer: Indexer, report: RecoveryReport) -> None:
    relpath = part.relative_to(store.path).as_posix().split(".mp4")[0] + ".mp4"
    name = parse_relpath(relpath)
    if name is None:
        log.warning("not a segment name, left alone: %s", part)
        return
    source = part.with_name(Path(relpath).name + SALVAGE_SUFFIX)
    if part != source:
        os.rename(part, source)
        fsync_dir(source.parent)
    done = _remux(store.path, source, name)
    source.unlink()
    fsync_dir(source.parent)
    if done is None:
        report.discarded.append(relpath)
        return
    indexer.apply([done])
    report.salvaged.append(done.relpath)


def _remux(root: Path, source: Path, name: SegmentName) -> SegmentCommitted | None:
    """Copy the readable packets of `source` (from its first keyframe) into a segment."""
    try:
        container: Any = av.open(str(source))
    except (av.error.FFmpegError, OSError):
        return None
    writer: SegmentWriter | None = None
    try:
        if not container.streams.video:
            return None
        stream = container.streams.video[0]
        try:
            for packet in container.demux(stream):
                if packet.pts is None or packet.dts is None or packet.size == 0:
                    continue
                if writer is None and not packet.is_keyframe:
                    continue
                if writer is None:
                    writer = SegmentWriter(root, name.key, name.start_at, stream, name.seq)
                writer.write(packet)
        except (av.error.FFmpegError, OSError):
            pass  # the torn tail of the file: everything before it is kept
        if writer is None or writer.frames == 0:
            return None
        rate = stream.average_rate or stream.guessed_rate or 25
        return writer.finish(frame_s=1.0 / float(rate))
    except WriteFailed as exc:
        log.error("salvage of %s failed: %s", source, exc)
        return None
    finally:
        container.close()


def _index_orphans(
    ctx: Gwanje,
    store: Store,
    since: datetime,
    indexer: Indexer,
    report: RecoveryReport,
    only: set[StreamKey] | None,
) -> None:
    files = list(recent_files(store.path, ".mp4", since, only))
    if not files:
        return
    relpaths = [f.relative_to(store.path).as_posix() for f in files]
    with ctx.sessions() as session:
        known = set(session.scalars(select(Segment.path).where(Segment.path.in_(relpaths))))
    for path, relpath in zip(files, relpaths, strict=True):
        if relpath in known:
            continue
        done = describe_file(path, relpath)
        if done is not None:
            indexer.apply([done])
            report.indexed.append(relpath)


def describe_file(path: Path, relpath: str) -> SegmentCommitted | None:
    """A finished segment file as the report the recorder would have sent for it."""
    name = parse_relpath(relpath)
    content = probe(path)
    if name is None or content is None:
        return None
    return SegmentCommitted(
        key=name.key, relpath=relpath, start_at=name.start_at,
        end_at=name.start_at + timedelta(seconds=content.duration_s),
        bytes=path.stat().st_size, frames=content.frames, keyframes_ms=content.keyframes_ms,
        codec=content.codec, width=content.width, height=content.height,
        sha256=sha256_of(path),
    )  # fmt: skip


def _open_restart_gaps(ctx: Gwanje, keys: Iterable[StreamKey]) -> int:
    opened = 0
    with ctx.transaction() as session:
        for key in keys:
            if open_gap(session, key) is not None:
                continue
            last_end = session.scalar(
                select(func.max(Segment.end_at)).where(
                    Segment.camera_id == key.camera_id, Segment.stream == key.stream
                )
            )
            if last_end is None:
                continue  # never recorded: nothing was interrupted
            session.add(
                Gap(
                    camera_id=key.camera_id,
                    stream=key.stream,
                    start_at=last_end,
                    end_at=None,
                    cause=GapCause.RECORDER_RESTART,
                    detail="recorder started",
                )
            )
            opened += 1
    return opened
