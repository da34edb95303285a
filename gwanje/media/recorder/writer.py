"""One segment file in flight: fragmented MP4, video only, hashed while it is written.

Write order (invariant 1, STYLE.md): `<name>.mp4.part` created with O_EXCL → packets muxed
(fragmented MP4: every fragment is self-contained, so a file cut short by a crash is
readable up to its last complete fragment) → file fsynced → renamed to `<name>.mp4` →
directory fsynced. Only then is the segment reported for its index row. A failed write
or fsync abandons the file (it is never retried: the "fsyncgate" lesson).

The SHA-256 is computed from the bytes as they are written, so no file is read back.
"""

from __future__ import annotations

import hashlib
import io
import os
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
from av.packet import Packet
from av.video.stream import VideoStream

from gwanje.fsutil import fsync_dir
from gwanje.media.layout import PART_SUFFIX
from gwanje.media.recorder.messages import SegmentCommitted, StreamKey
from gwanje.media.recorder.segment_files import WriteFailed, cause_of, create_part

FMP4_OPTIONS = {"movflags": "frag_keyframe+empty_moov+default_base_moof"}


class HashingSink(io.RawIOBase):
    """A write-only, non-seekable file for the muxer: counts and hashes what passes."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd = fd
        self.digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data)
        written = 0
        while written < len(view):
            written += os.write(self.fd, view[written:])
        self.digest.update(view)
        self.size += written
        return written


class SegmentWriter:
    """Writes one segment; `finish()` makes it durable and describes it."""

    def __init__(
        self, root: Path, key: StreamKey, start_at: datetime, template: VideoStream, seq: int
    ) -> None:
        self.key, self.start_at = key, start_at
        self.time_base: Fraction = template.time_base or Fraction(1, 90000)
        self.codec = template.codec_context.name
        self.width, self.height = template.width, template.height
        self.frames = 0
        self.first_pts: int | None = None
        self.last_pts = 0
        self.keyframes_ms: list[int] = []
        self._base_dts = 0
        self.relpath, self._fd = create_part(root, key, start_at, seq)
        self.final = root / self.relpath
        self._sink = HashingSink(self._fd)
        self._out: Any = None
        try:
            self._out = av.open(self._sink, "w", format="mp4", options=FMP4_OPTIONS)
            self._stream = self._out.add_stream_from_template(template)
        except Exception as exc:
            self.abort()
            raise WriteFailed(cause_of(exc), f"cannot start segment: {exc}") from exc

    @property
    def part(self) -> Path:
        return self.final.with_name(self.final.name + PART_SUFFIX)

    def elapsed_s(self, pts: int) -> float:
        return 0.0 if self.first_pts is None else float((pts - self.first_pts) * self.time_base)

    def write(self, packet: Packet[Any]) -> None:
        """Mux `packet` (consumed: the muxer rewrites its timestamps in place)."""
        assert packet.pts is not None
        assert packet.dts is not None
        if self.first_pts is None:
            self.first_pts, self._base_dts = packet.pts, packet.dts
        self.last_pts = max(self.last_pts, packet.pts)
        if packet.is_keyframe:
            self.keyframes_ms.append(round(self.elapsed_s(packet.pts) * 1000))
        self.frames += 1
        packet.pts -= self._base_dts
        packet.dts -= self._base_dts
        packet.stream = self._stream
        try:
            self._out.mux(packet)
        except Exception as exc:
            raise WriteFailed(cause_of(exc), f"write failed: {exc}") from exc

    def finish(self, end_at: datetime | None = None, frame_s: float = 0.04) -> SegmentCommitted:
        """Close, fsync, rename, fsync the directory; the segment is then durable."""
        try:
            self._out.close()
            os.fsync(self._fd)
        except Exception as exc:
            self.abort()
            raise WriteFailed(cause_of(exc), f"finishing failed: {exc}") from exc
        finally:
            self._close_fd()
        os.rename(self.part, self.final)
        fsync_dir(self.final.parent)
        if end_at is None:
            end_at = self.start_at + timedelta(seconds=self.elapsed_s(self.last_pts) + frame_s)
        return SegmentCommitted(
            key=self.key, relpath=self.relpath, start_at=self.start_at,
            end_at=max(end_at, self.start_at), bytes=self._sink.size, frames=self.frames,
            keyframes_ms=tuple(self.keyframes_ms), codec=self.codec, width=self.width,
            height=self.height, sha256=self._sink.digest.hexdigest(),
        )  # fmt: skip

    def _close_fd(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def abort(self) -> None:
        """Abandon the file: it was never committed, so nothing refers to it."""
        try:
            if self._out is not None:
                self._out.close()
        except Exception:  # noqa: S110 - the file is being thrown away anyway
            pass
        self._close_fd()
        self.part.unlink(missing_ok=True)
