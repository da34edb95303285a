"""Describe a stored segment file by reading its packets (no decoding).

Used by recovery (index a file whose row was never written, salvage a `.part`) and by
`gwanje check`. Reading stops at the first unreadable byte: a fragmented MP4 cut short is
valid up to its last complete fragment.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import av.error


@dataclass(frozen=True)
class Probe:
    frames: int
    duration_s: float
    keyframes_ms: tuple[int, ...]
    codec: str
    width: int
    height: int
    stream_types: tuple[str, ...]  # every stream in the file: proof there is no audio


def probe(path: Path) -> Probe | None:
    """The segment's content, or None when it holds no readable video packet."""
    try:
        container: Any = av.open(str(path))
    except (av.error.FFmpegError, OSError):
        return None
    try:
        return _read(container)
    finally:
        container.close()


def _read(container: Any) -> Probe | None:
    if not container.streams.video:
        return None
    stream = container.streams.video[0]
    tb = float(stream.time_base)
    first: int | None = None
    last = frames = 0
    keyframes: list[int] = []
    try:
        for packet in container.demux(stream):
            if packet.pts is None or packet.size == 0:
                continue
            first = packet.pts if first is None else first
            last = max(last, packet.pts)
            frames += 1
            if packet.is_keyframe:
                keyframes.append(round((packet.pts - first) * tb * 1000))
    except (av.error.FFmpegError, OSError):
        pass  # truncated: what was read so far is the salvageable part
    if first is None:
        return None
    rate = stream.average_rate or stream.guessed_rate or 25
    return Probe(
        frames=frames, duration_s=(last - first) * tb + 1.0 / float(rate),
        keyframes_ms=tuple(keyframes), codec=stream.codec_context.name,
        width=stream.width, height=stream.height,
        stream_types=tuple(s.type for s in container.streams),
    )  # fmt: skip


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
