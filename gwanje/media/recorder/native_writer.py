"""One segment in flight on the native path: access units → fragmented MP4, by hand.

The same write order and invariants as `writer.py` (O_EXCL `.part` → fsync → rename →
directory fsync → report), without a general-purpose muxer: the init segment is written
once from the stream's SPS/PPS, then one `moof`+`mdat` fragment per GOP (each fragment
starts with a keyframe, so a file torn by a crash is readable up to its last complete
fragment). A sample's duration is the distance to the next access unit's timestamp, so a
fragment is written when the next keyframe (or the cut) arrives.

Split for the event loop: `add()` and `close_fragments()` do page-cache writes only and run
on the loop; `make_durable()` fsyncs and renames, and runs on a thread.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timedelta
from pathlib import Path

from gwanje.media import fmp4
from gwanje.media.layout import PART_SUFFIX
from gwanje.media.recorder.messages import SegmentCommitted, StreamKey
from gwanje.media.recorder.segment_files import WriteFailed, cause_of, create_part, make_durable
from gwanje.media.rtsp import AccessUnit

CLOCK = 90_000  # RTP video clock (RFC 6184 §8.2.1): the track's timescale too


class NativeSegmentWriter:
    def __init__(self, root: Path, key: StreamKey, start_at: datetime, first: AccessUnit,
                 seq: int) -> None:  # fmt: skip
        self.key, self.start_at = key, start_at
        self.sps, self.pps = first.sps, first.pps
        self.width, self.height = first.width, first.height
        self.first_ts = self.last_ts = first.rtp_timestamp
        self.frames = 0
        self.keyframes_ms: list[int] = []
        self._pending: list[AccessUnit] = []
        self._fragment_no = 1
        self._digest = hashlib.sha256()
        self.size = 0
        self.relpath, self._fd = create_part(root, key, start_at, seq)
        self.final = root / self.relpath
        self._write(fmp4.init_segment(self.sps, self.pps, self.width, self.height, CLOCK))

    @property
    def part(self) -> Path:
        return self.final.with_name(self.final.name + PART_SUFFIX)

    def elapsed_s(self, ts: int) -> float:
        return (ts - self.first_ts) / CLOCK

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError as exc:
            raise WriteFailed(cause_of(exc), f"write failed: {exc}") from exc
        self._digest.update(data)
        self.size += len(data)

    def add(self, unit: AccessUnit) -> None:
        if unit.keyframe and self._pending:
            self._flush(unit.rtp_timestamp)  # the GOP before it is complete
        if unit.keyframe:
            self.keyframes_ms.append(round(self.elapsed_s(unit.rtp_timestamp) * 1000))
        self._pending.append(unit)
        self.frames += 1
        self.last_ts = unit.rtp_timestamp

    def _flush(self, next_ts: int) -> None:
        units = self._pending
        samples = [
            fmp4.Sample(
                unit.data,
                max(1, (units[i + 1].rtp_timestamp if i + 1 < len(units) else next_ts)
                    - unit.rtp_timestamp),
                unit.keyframe,
            )
            for i, unit in enumerate(units)
        ]  # fmt: skip
        base = units[0].rtp_timestamp - self.first_ts
        self._write(fmp4.fragment(self._fragment_no, base, samples))
        self._fragment_no += 1
        self._pending = []

    def close_fragments(self, end_ts: int) -> datetime:
        """Write the last fragment (its last sample lasts until `end_ts`); the segment's end."""
        end_ts = max(end_ts, self.last_ts + 1)
        if self._pending:
            self._flush(end_ts)
        return self.start_at + timedelta(seconds=self.elapsed_s(end_ts))

    def make_durable(self, end_at: datetime) -> SegmentCommitted:
        """fsync, rename, fsync the directory (blocking: run it off the event loop)."""
        fd, self._fd = self._fd, -1
        make_durable(self.part, self.final, fd)
        return SegmentCommitted(
            key=self.key, relpath=self.relpath, start_at=self.start_at,
            end_at=max(end_at, self.start_at), bytes=self.size, frames=self.frames,
            keyframes_ms=tuple(self.keyframes_ms), codec="h264", width=self.width,
            height=self.height, sha256=self._digest.hexdigest(),
        )  # fmt: skip

    def abort(self) -> None:
        """Abandon the file: never committed, so nothing refers to it."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self.part.unlink(missing_ok=True)
