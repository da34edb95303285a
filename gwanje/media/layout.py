"""Names inside a storage directory (no heavy imports: capture workers use them).

`<video_dir>/meta.json`, `<video_dir>/recorder.lock`,
`<video_dir>/<camera>/<stream>/<YYYYMMDD>/<start UTC ms>Z-<seq>.mp4` (`.part` while written).
"""

from __future__ import annotations

from datetime import UTC, datetime

META_FILE = "meta.json"
PART_SUFFIX = ".part"
# Held (flock) by the one recorder writing to a directory; `check --repair` respects it.
LOCK_FILE = "recorder.lock"


def segment_relpath(camera_id: int, stream: str, start: datetime, seq: int) -> str:
    """`<camera>/<stream>/<YYYYMMDD>/<start UTC>-<seq>.mp4`; the name sorts by time."""
    utc = start.astimezone(UTC)
    stamp = utc.strftime("%Y%m%dT%H%M%S") + f"{utc.microsecond // 1000:03d}Z"
    return f"{camera_id}/{stream}/{utc:%Y%m%d}/{stamp}-{seq:06d}.mp4"
