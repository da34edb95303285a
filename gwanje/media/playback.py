"""Playback from the segment index: one fragmented-MP4 stream built on the fly.

Owns: `PlaybackPlan` (which segments and fragments serve a time range) and `stream_plan`
(the bytes: each segment's init segment, then its fragments with their decode times
rebased onto one timeline). Nothing is copied to a new file and nothing is re-encoded.

How: every recorded segment is a fragmented MP4 (init segment, then one moof+mdat per
GOP; `docs/design/recording.md`). For a range, the plan takes the committed segments that
overlap it, in order, and within them the fragments (GOPs) that lie inside the clip
window. Each fragment's `tfdt` is rewritten to (segment start − origin) + (its time in
the segment), so media time 0 is `origin` (the start of the first fragment served) and
a player maps media time to wall time as origin + media time. Gaps between segments stay
gaps in the media timeline.

Invariants:
- the served video never starts before `clip_start` nor ends after `clip_end` (a grant's
  range): a fragment that begins before the window or ends after it is left out, so the
  precision is one GOP, always on the inside;
- a file that is missing, truncated or not what the index says ends the stream early
  (logged), never serves foreign bytes;
- only the video track exists in a segment (ORD-10.2), so nothing else can be served.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from gwanje.media.kinds import SegmentState
from gwanje.media.models import Segment, StorageDir

log = logging.getLogger(__name__)


class MalformedSegment(Exception):
    """A segment file is not the fragmented MP4 the recorder writes."""


@dataclass(frozen=True)
class Fragment:
    start: int  # offset of the moof in the file
    end: int  # offset after its mdat
    decode_time: int  # tfdt, in the track's timescale
    tfdt_at: int  # offset of the tfdt value in the file
    tfdt_size: int  # 4 or 8 bytes


@dataclass(frozen=True)
class SegmentLayout:
    init: bytes  # ftyp + moov
    timescale: int
    fragments: tuple[Fragment, ...]

    @property
    def codec(self) -> str:
        """RFC 6381 codec string from the avcC record (what MSE's addSourceBuffer needs)."""
        at = self.init.find(b"avcC")
        if at < 0 or at + 8 > len(self.init):
            raise MalformedSegment("no avcC record")
        profile, compat, level = self.init[at + 5], self.init[at + 6], self.init[at + 7]
        return f"avc1.{profile:02x}{compat:02x}{level:02x}"


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int, int]]:
    """(type, box start, payload start, box end) of the boxes in data[start:end]."""
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        head = 8
        if size == 1:
            if pos + 16 > end:
                raise MalformedSegment("truncated large box header")
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            head = 16
        elif size == 0:
            size = end - pos
        if size < head or pos + size > end:
            raise MalformedSegment(f"box {kind!r} at {pos} overruns the file")
        yield kind, pos, pos + head, pos + size
        pos += size


def _child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int]:
    for found, _, payload, box_end in _boxes(data, start, end):
        if found == kind:
            return payload, box_end
    raise MalformedSegment(f"no {kind!r} box")


def _timescale(data: bytes, moov: tuple[int, int]) -> int:
    trak = _child(data, *moov, b"trak")
    mdia = _child(data, *trak, b"mdia")
    mdhd, _ = _child(data, *mdia, b"mdhd")
    version = data[mdhd]
    at = mdhd + (20 if version == 1 else 12)
    (timescale,) = struct.unpack_from(">I", data, at)
    if timescale <= 0:
        raise MalformedSegment("timescale 0")
    return int(timescale)


def parse_segment(data: bytes) -> SegmentLayout:
    init_end = 0
    moov: tuple[int, int] | None = None
    fragments: list[Fragment] = []
    pending: tuple[int, int, int, int] | None = None  # moof start, tfdt value, at, size
    for kind, start, payload, end in _boxes(data, 0, len(data)):
        if kind in (b"ftyp", b"moov"):
            init_end = end
            if kind == b"moov":
                moov = (payload, end)
        elif kind == b"moof":
            traf = _child(data, payload, end, b"traf")
            tfdt, _ = _child(data, *traf, b"tfdt")
            size = 8 if data[tfdt] == 1 else 4
            (value,) = struct.unpack_from(">Q" if size == 8 else ">I", data, tfdt + 4)
            pending = (start, int(value), tfdt + 4, size)
        elif kind == b"mdat" and pending is not None:
            fragments.append(Fragment(pending[0], end, pending[1], pending[2], pending[3]))
            pending = None
    if moov is None:
        raise MalformedSegment("no moov box")
    return SegmentLayout(data[:init_end], _timescale(data, moov), tuple(fragments))


@dataclass(frozen=True)
class SegmentRef:
    """A committed segment as the index knows it."""

    path: Path
    start_at: datetime
    end_at: datetime


@dataclass(frozen=True)
class Piece:
    """What one segment contributes: its init segment and its fragments in the window."""

    ref: SegmentRef
    layout: SegmentLayout
    fragments: tuple[Fragment, ...]
    data: bytes


def plan_segment(
    ref: SegmentRef, data: bytes, clip_start: datetime, clip_end: datetime,
    want_start: datetime | None = None,
) -> Piece:  # fmt: skip
    """The fragments of one segment that lie wholly inside [clip_start, clip_end] and do
    not end before `want_start` (a seek starts at the GOP that contains it)."""
    layout = parse_segment(data)
    scale = layout.timescale
    frags = layout.fragments
    if not frags:
        return Piece(ref, layout, (), data)
    first = frags[0].decode_time
    segment_s = (ref.end_at - ref.start_at).total_seconds()
    lo = (clip_start - ref.start_at).total_seconds()
    hi = (clip_end - ref.start_at).total_seconds()
    want = (want_start - ref.start_at).total_seconds() if want_start else lo
    chosen = []
    for i, frag in enumerate(frags):
        begin = (frag.decode_time - first) / scale
        finish = (frags[i + 1].decode_time - first) / scale if i + 1 < len(frags) else segment_s
        if begin >= lo - 1e-6 and finish <= hi + 1e-6 and finish > want + 1e-6:
            chosen.append(frag)
    return Piece(ref, layout, tuple(chosen), data)


def origin_of(piece: Piece) -> datetime:
    """Wall time of the first fragment served from this piece (media time 0)."""
    first = piece.layout.fragments[0].decode_time
    offset = (piece.fragments[0].decode_time - first) / piece.layout.timescale
    return piece.ref.start_at + timedelta(seconds=offset)


def _render(piece: Piece, origin: datetime) -> Iterator[bytes]:
    """The piece's init segment, then its fragments with decode times rebased."""
    scale = piece.layout.timescale
    first = piece.layout.fragments[0].decode_time
    base = round((piece.ref.start_at - origin).total_seconds() * scale)
    yield piece.layout.init
    for frag in piece.fragments:
        chunk = bytearray(piece.data[frag.start : frag.end])
        value = max(0, base + frag.decode_time - first)
        at = frag.tfdt_at - frag.start
        if frag.tfdt_size == 8:
            struct.pack_into(">Q", chunk, at, value)
        elif value <= 0xFFFFFFFF:
            struct.pack_into(">I", chunk, at, value)
        else:
            raise MalformedSegment("rebased time does not fit a version-0 tfdt")
        yield bytes(chunk)


def _read(
    ref: SegmentRef, clip_start: datetime, clip_end: datetime, want_start: datetime | None
) -> Piece | None:
    """The planned segment, or None when its file cannot be served (logged)."""
    try:
        return plan_segment(ref, ref.path.read_bytes(), clip_start, clip_end, want_start)
    except (OSError, MalformedSegment) as exc:
        log.error("playback stops before %s: %s", ref.path, exc)
        return None


@dataclass(frozen=True)
class Playback:
    origin: datetime  # wall time of media time 0
    codec: str  # of the first segment (a later one with other parameters brings its init)
    chunks: Iterator[bytes]


def open_playback(
    refs: list[SegmentRef], clip_start: datetime, clip_end: datetime,
    want_start: datetime | None = None,
) -> Playback | None:  # fmt: skip
    """What to serve; None when nothing in range can be served.
    Segments are read one at a time as the stream is consumed (an hour of 1080p is
    gigabytes: it is never held in memory at once)."""
    refs = list(refs)
    while refs:
        first = _read(refs.pop(0), clip_start, clip_end, want_start)
        if first is None:
            return None
        if first.fragments:
            break
    else:
        return None
    origin = origin_of(first)

    def chunks() -> Iterator[bytes]:
        yield from _render(first, origin)
        for ref in refs:
            piece = _read(ref, clip_start, clip_end, want_start)
            if piece is None:
                return
            if piece.fragments:
                yield from _render(piece, origin)

    return Playback(origin, first.layout.codec, chunks())


def segments_for(
    session: Session, camera_id: int, stream: str, start: datetime, end: datetime
) -> list[SegmentRef]:
    rows = session.execute(
        select(Segment.path, Segment.start_at, Segment.end_at, StorageDir.path)
        .join(StorageDir, StorageDir.id == Segment.storage_dir_id)
        .where(Segment.camera_id == camera_id, Segment.stream == stream,
               Segment.state == SegmentState.COMMITTED, Segment.end_at > start,
               Segment.start_at < end)
        .order_by(Segment.start_at)
    ).all()  # fmt: skip
    return [SegmentRef(Path(base) / rel, s, e) for rel, s, e, base in rows]
