"""The native capture engine: one asyncio task per camera stream, all on one event loop.

Same behaviour and reports as `capture.py` (the PyAV engine), measured cheaper: Gwanje's
own RTSP client reads TCP-interleaved RTP in large chunks without a thread per camera, so
there are no GIL handoffs, and segments are written with a hand-built fMP4 writer.

- Only the video track is set up (the client never SETUPs audio: ORD-10.2).
- Segments start on a keyframe and are cut at the first keyframe at or after the target
  length (half a frame of tolerance); a resolution change (new SPS) also cuts.
- Lost packets (the client drops damaged units until the next keyframe) and timestamp
  jumps end the segment and open a `corrupt_input` gap until the next good keyframe.
- A drop, a stall, a refused connection: the segment in flight is committed, a gap opens,
  health changes, and the capture reconnects with exponential backoff.
- A write failure abandons that file only; the connection stays up and the next keyframe
  starts a new file.
- fsync and rename run on a thread pool, never on the loop; the reports of one stream keep
  their order (a segment's report always precedes the gap that follows it).
- A stream the client cannot record (H.265, packetization-mode 2) raises `Unsupported`; the
  worker then records that camera with the PyAV engine instead.
- With a live tap, every unit received is also handed to the tap before it is written
  (the same pull feeds the video wall; the tap never blocks, see `gwanje.media.live.tap`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

from gwanje.media.kinds import GapCause, HealthState
from gwanje.media.live.tap import LiveTap
from gwanje.media.recorder.jobspec import CaptureJob, CaptureParams, utcnow
from gwanje.media.recorder.messages import Report
from gwanje.media.recorder.native_writer import CLOCK, NativeSegmentWriter
from gwanje.media.recorder.reporting import StreamReporter
from gwanje.media.recorder.segment_files import WriteFailed
from gwanje.media.recorder.timeline import Timeline
from gwanje.media.rtsp import (
    AccessUnit,
    AuthFailed,
    ProtocolError,
    RtspClientError,
    RtspStream,
    StreamEnded,
    StreamTimeout,
    Unsupported,
    open_stream,
)

log = logging.getLogger(__name__)
CLOCK_BASE = Fraction(1, CLOCK)
FRAME_TICKS = CLOCK // 25  # nominal frame length when a stream gives no better estimate


class NativeCapture:
    def __init__(
        self,
        job: CaptureJob,
        params: CaptureParams,
        root: Path,
        report: Callable[[Report], None],
        pool: Executor,
        now: Callable[[], datetime] = utcnow,
        live: LiveTap | None = None,
    ) -> None:
        self.job, self.params, self.root, self.pool = job, params, root, pool
        self.live = live
        self.key = job.key
        self.out = StreamReporter(job.key, report, now)
        self._now = now
        self._stream: RtspStream | None = None
        self._writer: NativeSegmentWriter | None = None
        self._timeline = Timeline(CLOCK_BASE, params.max_jump_s)
        self._seq = 0
        self._frame_ticks = FRAME_TICKS
        self._since_keyframe = now()
        self._durable: asyncio.Future[Any] | None = None  # the last commit, in order

    # -- lifecycle ----------------------------------------------------------------------

    def interrupt(self) -> None:
        """Stop reading now (called on stop): the session ends and commits its segment."""
        stream = self._stream
        if stream is not None:
            self._closing = asyncio.ensure_future(stream.close())

    async def run(self, stop: asyncio.Event, start_delay_s: float = 0.0) -> None:
        """Record until `stop` is set, reconnecting with backoff. Raises Unsupported."""
        if start_delay_s and await _stopped(stop, start_delay_s):
            return
        live = self.live
        if live is not None:
            try:
                await live.start()
            except OSError as exc:  # recording matters more than the wall
                log.error("live view of %s unavailable: %s", self.key, exc)
                self.live = live = None
        try:
            await self._record(stop)
        finally:
            if live is not None:
                await live.close()

    async def _record(self, stop: asyncio.Event) -> None:
        backoff = self.params.reconnect_min_s
        while not stop.is_set():
            got_video = await self._session(stop)
            if stop.is_set():
                break
            backoff = self.params.reconnect_min_s if got_video else backoff
            if await _stopped(stop, backoff):
                break
            if not got_video:
                backoff = min(backoff * 2, self.params.reconnect_max_s)

    async def _session(self, stop: asyncio.Event) -> bool:
        self._recorded = False
        try:
            self._stream = await open_stream(
                self.job.url,
                connect_timeout=self.params.connect_timeout_s,
                read_timeout=self.params.read_timeout_s,
            )
        except Unsupported:
            raise
        except AuthFailed as exc:
            self.out.went_down(GapCause.CAMERA_OFFLINE, f"authentication refused: {exc}",
                               HealthState.OFFLINE)  # fmt: skip
            return False
        except (RtspClientError, OSError) as exc:
            self.out.went_down(GapCause.CAMERA_OFFLINE, _describe(exc), HealthState.OFFLINE)
            return False
        cause: tuple[GapCause, str, HealthState] | None = None
        try:
            await self._pump(self._stream, stop)
            if not stop.is_set():
                cause = (GapCause.CAMERA_OFFLINE, "stream ended", HealthState.OFFLINE)
        except StreamEnded as exc:
            cause = (GapCause.CAMERA_OFFLINE, _describe(exc), HealthState.OFFLINE)
        except StreamTimeout as exc:
            cause = (GapCause.NETWORK, _describe(exc), HealthState.VIDEO_LOSS)
        except (ProtocolError, RtspClientError, OSError) as exc:
            cause = (GapCause.CORRUPT_INPUT, _describe(exc), HealthState.VIDEO_LOSS)
        finally:
            stream, self._stream = self._stream, None
            if self.live is not None:
                self.live.reset()
            await stream.close()  # TEARDOWN first: nobody reads the socket any more
            await self._commit(self._timeline_end())
            await self._drain_commits()
        if cause is not None and not stop.is_set():
            self.out.went_down(*cause)
        return self._recorded

    async def _pump(self, stream: RtspStream, stop: asyncio.Event) -> None:
        """Record until the stream ends. On stop the stream is closed (TEARDOWN) and the
        units already received are still recorded: the iterator yields them, then ends."""
        closing = False
        live = self.live
        async for unit in stream:
            if stop.is_set() and not closing:
                self.interrupt()  # also covers a stop that came while we were connecting
                closing = True
            if live is not None:
                live.publish(unit)
            try:
                await self._on_unit(unit)
            except WriteFailed as exc:
                self._write_failed(exc)

    # -- per access unit ----------------------------------------------------------------

    async def _on_unit(self, unit: AccessUnit) -> None:
        now = self._now()
        writer, ts = self._writer, unit.rtp_timestamp
        if writer is not None:
            broken = unit.discontinuity or not self._timeline.accept(ts)
            if broken:  # frames lost, or camera timestamps jumped: close this run
                await self._commit(self._timeline_end())
                self._then(lambda: self.out.down(GapCause.CORRUPT_INPUT, "frames lost"))
                self._timeline.reset()
                writer = None
            elif unit.keyframe and (unit.sps != writer.sps or self._due(writer, ts)):
                await self._commit(ts)
                if abs(self._timeline.drift_s(ts, now)) > self.params.max_drift_s:
                    # Follow our clock, not the camera's, but never run the index backwards.
                    self._timeline.anchor(ts, max(now, self.out.last_end or now))
                writer = self._open(unit)
        if writer is None:
            if not unit.keyframe:
                self._check_keyframes(now)
                return
            self._timeline.anchor(ts, max(now, self.out.last_end or now))
            self._timeline.accept(ts)
            writer = self._open(unit)
        if unit.keyframe:
            self._since_keyframe = now
            self.out.set_health(HealthState.ONLINE)
        elif writer.frames == 1:
            self._frame_ticks = max(1, ts - writer.last_ts)  # learn the frame rate
        writer.add(unit)

    def _due(self, writer: NativeSegmentWriter, ts: int) -> bool:
        half_frame = self._frame_ticks / CLOCK / 2
        return writer.elapsed_s(ts) >= self.params.segment_seconds - half_frame

    def _check_keyframes(self, now: datetime) -> None:
        waited = (now - self._since_keyframe).total_seconds()
        if waited > self.params.no_keyframe_alarm_s:
            self.out.set_health(HealthState.NO_KEYFRAMES, f"no keyframe for {waited:.0f} s")

    def _open(self, unit: AccessUnit) -> NativeSegmentWriter:
        self._seq += 1
        start = self._timeline.wall(unit.rtp_timestamp)
        self._writer = NativeSegmentWriter(self.root, self.key, start, unit, self._seq)
        return self._writer

    def _timeline_end(self) -> int | None:
        writer = self._writer
        return None if writer is None else writer.last_ts + self._frame_ticks

    # -- commits ------------------------------------------------------------------------

    async def _commit(self, end_ts: int | None) -> None:
        """End the segment in flight at `end_ts`: last fragment now, fsync on a thread.

        The end time is known at once (the next segment starts there and a gap may start
        there); the durable step is chained after the previous one so reports stay ordered.
        """
        writer, self._writer = self._writer, None
        if writer is None or end_ts is None:
            return
        if writer.frames == 0:
            writer.abort()
            return
        try:
            end_at = writer.close_fragments(end_ts)
        except WriteFailed as exc:
            writer.abort()
            self._write_failed(exc)
            return
        self.out.last_end = end_at
        self._recorded = True
        previous = self._durable
        loop = asyncio.get_running_loop()

        async def durable() -> None:
            if previous is not None:
                await previous
            try:
                done = await loop.run_in_executor(self.pool, writer.make_durable, end_at)
            except WriteFailed as exc:  # in order already: report the lost span directly
                writer.abort()
                log.error("segment of %s abandoned at fsync: %s", self.key, exc)
                self.out.down(GapCause(exc.cause), str(exc), at=writer.start_at)
                return
            self.out.committed(done)

        self._durable = asyncio.ensure_future(durable())

    async def _drain_commits(self) -> None:
        if self._durable is not None:
            await self._durable
            self._durable = None

    def _write_failed(self, exc: WriteFailed) -> None:
        """Abandon the file (never retried), record the gap, stay connected."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.abort()
        log.error("segment of %s abandoned: %s", self.key, exc)
        self._then(lambda: self.out.down(GapCause(exc.cause), str(exc)))
        self._timeline.reset()

    def _then(self, report: Callable[[], None]) -> None:
        """Report after the commits already under way, so the order of reports holds."""
        previous = self._durable
        if previous is None or previous.done():
            report()
            return

        async def later() -> None:
            await previous
            report()

        self._durable = asyncio.ensure_future(later())


async def _stopped(stop: asyncio.Event, seconds: float) -> bool:
    """Wait up to `seconds`; True if `stop` was set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return False
    return True


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
