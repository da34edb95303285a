"""Pulls one camera stream and cuts it into segments; reports what happened.

One `StreamCapture` per camera stream, run on a thread of a capture worker. It never
touches the database: every outcome is a report (messages.py).

Behaviour (docs/design/recording.md, pitfalls measured in issue 3):
- Only the video track is set up (`allowed_media_types=video`): audio is never requested,
  let alone stored (ORD-10.2).
- Open and read timeouts are always set: a hung camera otherwise blocks a read forever.
- A dead camera ends PyAV's demux loop silently, without an exception; that is treated as
  the camera going offline, never as success.
- Packets without timestamps, and everything before the first keyframe, are skipped.
- Segments are cut at the first keyframe at or after the target length, with half a frame
  of tolerance (one-tick jitter must not push every cut a whole GOP later).
- The segment in flight is committed when the camera drops (its packets are good); only a
  killed recorder loses it, and recovery salvages the `.part` file at the next start.
- Reconnects back off exponentially between `reconnect_min_s` and `reconnect_max_s`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import av
import av.error

from gwanje.media.kinds import GapCause, HealthState
from gwanje.media.recorder.jobspec import CaptureJob as CaptureJob
from gwanje.media.recorder.jobspec import CaptureParams as CaptureParams
from gwanje.media.recorder.jobspec import utcnow as utcnow
from gwanje.media.recorder.messages import Report, SegmentCommitted
from gwanje.media.recorder.reporting import StreamReporter
from gwanje.media.recorder.segment_files import WriteFailed
from gwanje.media.recorder.timeline import Timeline
from gwanje.media.recorder.writer import SegmentWriter

log = logging.getLogger(__name__)


class _Down(Exception):
    def __init__(self, cause: GapCause, detail: str, health: HealthState) -> None:
        super().__init__(detail)
        self.cause, self.detail, self.health = cause, detail, health


class StreamCapture:
    def __init__(
        self,
        job: CaptureJob,
        params: CaptureParams,
        root: Path,
        report: Callable[[Report], None],
        stop: threading.Event | Any,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.job, self.params, self.root = job, params, root
        self.key = job.key
        self.out = StreamReporter(job.key, report, now)
        self._stop, self._now = stop, now
        self._seq = 0

    def run(self, start_delay_s: float = 0.0) -> None:
        """Record until stopped, reconnecting with backoff."""
        if start_delay_s and self._stop.wait(start_delay_s):
            return
        backoff = self.params.reconnect_min_s
        while not self._stop.is_set():
            got_video = self._session()
            if self._stop.is_set():
                break
            backoff = self.params.reconnect_min_s if got_video else backoff
            if self._stop.wait(backoff):
                break
            if not got_video:
                backoff = min(backoff * 2, self.params.reconnect_max_s)

    # -- one connection ---------------------------------------------------------------

    def _session(self) -> bool:
        """One connection; returns whether any video was recorded."""
        try:
            container = av.open(self.job.url, options=self._options())
        except Exception as exc:
            self.out.went_down(GapCause.CAMERA_OFFLINE, _describe(exc), HealthState.OFFLINE)
            return False
        self._recorded = False
        down: _Down | None = None
        try:
            self._pump(container)
            if not self._stop.is_set():  # demux ended silently: the camera dropped us
                down = _Down(GapCause.CAMERA_OFFLINE, "stream ended", HealthState.OFFLINE)
        except _Down as failed:
            down = failed
        finally:
            # Hang up first (TEARDOWN), then make the last segment durable: the camera
            # need not stream into a socket nobody reads while the file is fsynced.
            _close_quietly(container)
            self._abandon_or_commit(commit=True)
        if down is not None:  # after the commit: the gap starts where that segment ends
            self.out.went_down(down.cause, down.detail, down.health)
        return self._recorded

    def _options(self) -> dict[str, str]:
        """RTSP over TCP, the video track only (ORD-10.2), and a socket timeout.

        FFmpeg's own socket timeout (microseconds; it covers connect and every read) is
        used rather than PyAV's `timeout=`, whose Python interrupt callback was measured to
        double the CPU cost of a stream (0.85 vs 0.40 CPU-s for 8 streams over 10 s).
        """
        timeout_us = int(max(self.params.connect_timeout_s, self.params.read_timeout_s) * 1e6)
        if not self.job.url.startswith(("rtsp://", "rtsps://")):
            return {}
        return {
            "rtsp_transport": "tcp", "allowed_media_types": "video", "timeout": str(timeout_us),
        }  # fmt: skip

    def _pump(self, container: Any) -> None:
        if not container.streams.video:
            raise _Down(GapCause.CORRUPT_INPUT, "no video track", HealthState.VIDEO_LOSS)
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or 25
        self._frame_s = 1.0 / float(rate)
        self._timeline = Timeline(stream.time_base, self.params.max_jump_s)
        self._writer: SegmentWriter | None = None
        self._since_keyframe = self._now()
        try:
            for packet in container.demux(stream):
                if self._stop.is_set():
                    break
                if packet.dts is None or packet.pts is None or packet.size == 0:
                    continue
                try:
                    self._on_packet(packet, stream)
                except WriteFailed as exc:
                    self._write_failed(exc)
        except av.error.InvalidDataError as exc:
            self._abandon_or_commit(commit=True)
            raise _Down(GapCause.CORRUPT_INPUT, _describe(exc), HealthState.VIDEO_LOSS) from exc
        except (av.error.ExitError, av.error.FFmpegError, OSError) as exc:
            self._abandon_or_commit(commit=True)
            raise _Down(GapCause.NETWORK, _describe(exc), HealthState.VIDEO_LOSS) from exc

    def _on_packet(self, packet: Any, stream: Any) -> None:
        now = self._now()
        writer = self._writer
        if writer is not None and not self._timeline.accept(packet.dts):
            # Camera timestamps went backwards or jumped: close this run, start anew.
            self._commit(writer)
            self.out.down(GapCause.CORRUPT_INPUT, "camera timestamps discontinuous")
            self._timeline.reset()
            writer = self._writer = None
        if writer is None:
            if not packet.is_keyframe:
                self._check_keyframes(now)
                return
            # Never start before the previous segment's end: the index only runs forward.
            self._timeline.anchor(packet.pts, max(now, self.out.last_end or now))
            self._timeline.accept(packet.dts)
            writer = self._writer = self._open(self._timeline.wall(packet.pts), stream)
        elif packet.is_keyframe and self._due(writer, packet.pts):
            end_at = self._timeline.wall(packet.pts)
            self._commit(writer, end_at=end_at)
            if abs(self._timeline.drift_s(packet.pts, now)) > self.params.max_drift_s:
                # Follow our clock, not the camera's, but never run the index backwards.
                self._timeline.anchor(packet.pts, max(now, end_at))
            writer = self._writer = self._open(self._timeline.wall(packet.pts), stream)
        if packet.is_keyframe:
            self._since_keyframe = now
            self.out.set_health(HealthState.ONLINE)
        writer.write(packet)

    def _write_failed(self, exc: WriteFailed) -> None:
        """Abandon the file (never retried: fsyncgate), record the gap, stay connected: the
        next keyframe starts a new file, so recording resumes as soon as writes succeed."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.abort()
        log.error("segment of %s abandoned: %s", self.key, exc)
        self.out.down(GapCause(exc.cause), str(exc))
        self._timeline.reset()

    def _due(self, writer: SegmentWriter, pts: int) -> bool:
        return writer.elapsed_s(pts) >= self.params.segment_seconds - self._frame_s / 2

    def _check_keyframes(self, now: datetime) -> None:
        waited = (now - self._since_keyframe).total_seconds()
        if waited > self.params.no_keyframe_alarm_s:
            self.out.set_health(HealthState.NO_KEYFRAMES, f"no keyframe for {waited:.0f} s")

    # -- segments -----------------------------------------------------------------------

    def _open(self, start_at: datetime, stream: Any) -> SegmentWriter:
        self._seq += 1
        return SegmentWriter(self.root, self.key, start_at, stream, self._seq)

    def _commit(self, writer: SegmentWriter, end_at: datetime | None = None) -> None:
        done: SegmentCommitted = writer.finish(end_at, self._frame_s)
        self._writer = None
        self._recorded = True
        self.out.committed(done)

    def _abandon_or_commit(self, commit: bool) -> None:
        writer, self._writer = getattr(self, "_writer", None), None
        if writer is None:
            return
        if commit and writer.frames:
            try:
                self._commit(writer)
                return
            except WriteFailed as exc:
                log.warning("segment of %s lost: %s", self.key, exc)
        writer.abort()


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def _close_quietly(container: Any) -> None:
    try:
        container.close()
    except Exception as exc:
        log.debug("closing container failed: %s", exc)
