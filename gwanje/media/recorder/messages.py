"""What capture workers report to the supervisor (picklable, one queue for all workers).

Order per stream is meaningful: a `SegmentCommitted` always precedes the `StreamDown`
that ends the run it belongs to, so the indexer can open the gap where the video ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class StreamKey:
    camera_id: int
    stream: str


@dataclass(frozen=True)
class SegmentCommitted:
    """A segment file is complete, fsynced and renamed into place (invariant 1)."""

    key: StreamKey
    relpath: str
    start_at: datetime
    end_at: datetime
    bytes: int
    frames: int
    keyframes_ms: tuple[int, ...]
    codec: str
    width: int
    height: int
    sha256: str


@dataclass(frozen=True)
class StreamDown:
    """Recording of a stream stopped at `at` for `cause` (a GapCause value)."""

    key: StreamKey
    at: datetime
    cause: str
    detail: str


@dataclass(frozen=True)
class HealthChanged:
    key: StreamKey
    at: datetime
    state: str  # a HealthState value
    detail: str


Report = SegmentCommitted | StreamDown | HealthChanged
