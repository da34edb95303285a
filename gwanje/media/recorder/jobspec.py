"""What a capture is told to do: which stream, from which URL, with which timings.

Picklable and free of heavy imports (capture workers are spawned processes; PyAV is loaded
only by a worker that runs the PyAV engine).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from gwanje.media.recorder.messages import StreamKey
from gwanje.urls import scrub_url


@dataclass(frozen=True)
class CaptureJob:
    key: StreamKey
    # May hold credentials: never logged or reported (see scrub_url).
    url: str

    def __repr__(self) -> str:
        return f"CaptureJob({self.key}, {scrub_url(self.url)})"


@dataclass(frozen=True)
class CaptureParams:
    segment_seconds: float = 60.0
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 5.0
    reconnect_min_s: float = 1.0
    reconnect_max_s: float = 30.0
    no_keyframe_alarm_s: float = 10.0
    max_jump_s: float = 5.0
    max_drift_s: float = 2.0
    # "native": Gwanje's RTSP client on an event loop; "pyav": FFmpeg's, a thread each.
    engine: str = "native"


def utcnow() -> datetime:
    return datetime.now(UTC)
