"""The pacer: one ticker per frame time fans every playing session out.

Owns: the global frame tick, the play groups (camera stream -> playing sessions) and
the sending of RTP and RTCP to TCP-interleaved and UDP sessions.
Why one ticker: a task or timer per packet (or per session) costs more in event loop
overhead than the sends themselves; one wake-up per 40 ms walks only the camera streams
that have a playing session, renders each access unit once per camera (and per
interleaved channel in use) and writes it to each session with one call.
Invariants: a session receives video only from an IDR on (after PLAY and after any
interruption), so every frame it gets is decodable; a TCP client that stops reading is
not buffered without bound (frames are skipped past `MAX_BACKLOG` queued bytes and the
session resumes at the next IDR); a send error on one session never reaches another.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import time
from collections import deque
from collections.abc import Callable

from gwanje.media.camsim import rtp
from gwanje.media.camsim.profile import StreamName
from gwanje.media.camsim.sdp import AUDIO_TRACK, VIDEO_CLOCK, VIDEO_TRACK
from gwanje.media.camsim.state import Camera, Session, TrackSetup
from gwanje.media.camsim.timeline import (
    VideoTrack,
    audio_due,
    audio_position,
    live_position,
    video_position,
)

log = logging.getLogger(__name__)

MAX_BACKLOG = 2 * 1024 * 1024  # bytes queued on a TCP session before frames are skipped
REPORT_SECONDS = 5  # RTCP SR interval (RFC 3550 §6.2 suggests 5 s as the minimum)
SEND_LOG = 1500  # frames of send times kept per camera stream (60 s at 25 fps)
MAX_LAG_SECONDS = 1.0  # further behind than this, skip ticks instead of bursting

GroupKey = tuple[Camera, StreamName]


class Streamer:
    def __init__(
        self, fps: int, rtp_sock: socket.socket | None, rtcp_sock: socket.socket | None
    ) -> None:
        self.fps = fps
        self.tick = 0
        self.groups: dict[GroupKey, list[Session]] = {}
        self.rtp_sock = rtp_sock
        self.rtcp_sock = rtcp_sock
        self.loop_t0 = 0.0
        self.wall_t0 = 0.0
        # Seeded: a corrupt-stream test sees the same noise every run.
        self.noise = random.Random(20261125).randbytes(4 * rtp.MAX_PAYLOAD)  # noqa: S311
        self.housekeeping: Callable[[int], None] | None = None
        # (camera index, stream) -> (RTP timestamp, wall time sent) of recent frames.
        self.send_times: dict[tuple[int, str], deque[tuple[int, float]]] | None = None
        self.ticks_lagged = 0  # ticks skipped because the loop fell behind (bench figure)
        self.lag_events = 0

    # -- play groups -------------------------------------------------------------------

    def add(self, session: Session) -> None:
        group = self.groups.setdefault((session.camera, session.stream), [])
        if session not in group:
            group.append(session)

    def remove(self, session: Session) -> None:
        key = (session.camera, session.stream)
        group = self.groups.get(key)
        if group and session in group:
            group.remove(session)
            if not group:
                del self.groups[key]

    def wall_time(self, tick: int) -> float:
        return self.wall_t0 + tick / self.fps

    # -- the ticker --------------------------------------------------------------------

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self.loop_t0, self.wall_t0 = loop.time(), time.time()
        while True:
            target = self.loop_t0 + (self.tick + 1) / self.fps
            delay = target - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
                self.tick += 1
            elif -delay > MAX_LAG_SECONDS:  # overloaded: drop frames, as a camera would
                behind = int((loop.time() - self.loop_t0) * self.fps)
                self.ticks_lagged += behind - self.tick
                self.lag_events += 1
                log.warning("camsim fell %.1f s behind; skipping %d ticks",
                            -delay, behind - self.tick)  # fmt: skip
                self.tick = behind
            else:
                self.tick += 1
            self._run_tick(loop.time())

    def _run_tick(self, now: float) -> None:
        tick = self.tick
        for (camera, stream), sessions in list(self.groups.items()):
            if camera.silent(now):
                continue
            try:
                self._frame(camera, stream, sessions, tick, now)
            except Exception:  # a bug here must not stop every other camera
                log.exception("camsim: sending %s/%s failed", camera.name, stream)
        if self.housekeeping is not None and tick % self.fps == 0:
            self.housekeeping(tick)

    def _frame(
        self, camera: Camera, stream: StreamName, sessions: list[Session], tick: int, now: float
    ) -> None:
        n = camera.frame_number(tick)
        clock = camera.clocks[stream]
        tpl, key, seq, ts = self._video_unit(camera, stream, tick, n, now)
        corrupt = now < camera.corrupt_until
        cache: dict[int, bytearray] = {}
        if self.send_times is not None:
            ring = self.send_times.setdefault((camera.index, stream), deque(maxlen=SEND_LOG))
            ring.append((ts & 0xFFFFFFFF, time.time()))
        for session in list(sessions):
            if tick < session.start_tick:
                continue
            setup = session.tracks.get(VIDEO_TRACK)
            if setup is not None and not self._video_ok(session, setup, key):
                continue
            if tick >= session.next_report_tick:  # first SR before the first packet, so a
                session.next_report_tick = tick + REPORT_SECONDS * self.fps  # client can
                self._reports(camera, session, n, tick)  # map RTP time to wall time at once
            if setup is not None and self._send(
                session, setup, tpl, seq, ts, clock.ssrc, cache, corrupt
            ):  # counted only when handed to a live connection
                session.frames_sent += 1
                camera.frames_sent[stream] += 1
            audio = session.tracks.get(AUDIO_TRACK)
            if audio is not None:
                self._audio(camera, session, audio, n)

    def _video_unit(
        self, camera: Camera, stream: StreamName, tick: int, n: int, now: float
    ) -> tuple[rtp.PacketTemplate, bool, int, int]:
        """(template, keyframe, first seq, timestamp) of frame n: from the clip (or an
        image fault's clip), or for a PTZ camera rendered at the head's position and
        encoded now (once per tick)."""
        clock = camera.clocks[stream]
        if camera.ptz is not None:
            live = camera.ptz.encoders[stream].frame_for_tick(tick, camera.ptz.head.at(now), n)
            seq, ts = live_position(clock, live.first_packet, n, self.fps)
            return live.template, live.key, seq, ts
        track = self._track(camera, stream, n, now)
        pos, seq, ts = video_position(track, clock, n, self.fps)
        return track.templates[pos], track.clip.keyframes[pos], seq, ts

    def _track(self, camera: Camera, stream: StreamName, n: int, now: float) -> VideoTrack:
        """The clip this camera stream shows at frame n: its scene, or an image fault's clip
        (fault_clips.py). A switch happens only at an IDR, so every frame stays decodable,
        and moves the sequence base so the RTP sequence numbers stay continuous."""
        base = camera.media.video(stream)
        wanted = camera.wanted_fault(now)
        if wanted is camera.playing_fault[stream] or not base.clip.keyframes[n % base.frames]:
            return camera.current_video(stream)
        old = camera.current_video(stream)
        new = base if wanted is None else wanted.video(stream)
        clock = camera.clocks[stream]
        _, old_seq, _ = video_position(old, clock, n, self.fps)
        _, new_seq, _ = video_position(new, clock, n, self.fps)
        clock.seq_base = (clock.seq_base + old_seq - new_seq) & 0xFFFF
        camera.playing_fault[stream] = wanted
        return new

    def _video_ok(self, session: Session, setup: TrackSetup, key: bool) -> bool:
        if setup.tcp and session.conn.backlog() > MAX_BACKLOG:
            session.need_key = True
            session.frames_skipped += 1
            return False
        if session.need_key:
            if not key:
                session.frames_skipped += 1
                return False
            session.need_key = False
        return True

    def _audio(self, camera: Camera, session: Session, setup: TrackSetup, n: int) -> None:
        track = camera.media.audio
        clock = camera.clocks["audio"]
        if session.need_key and VIDEO_TRACK in session.tracks:
            return  # audio follows video: nothing while the video waits for an IDR
        for j in audio_due(n, track.clip.rate, self.fps):
            pos, seq, ts = audio_position(track, clock, j)
            self._send(session, setup, track.templates[pos], seq, ts, clock.ssrc, {}, False)

    def _send(
        self,
        session: Session,
        setup: TrackSetup,
        tpl: rtp.PacketTemplate,
        seq: int,
        ts: int,
        ssrc: int,
        cache: dict[int, bytearray],
        corrupt: bool,
    ) -> bool:
        """Send one frame's packets; False when the connection is already closing."""
        channel = setup.channel if setup.tcp else tpl.channel
        buf = cache.get(channel)
        if buf is None:
            buf = rtp.render(tpl, channel, seq, ts, ssrc)
            if corrupt:
                rtp.garble(buf, tpl, self.noise, seq)
            cache[channel] = buf
        setup.packets += tpl.packets
        setup.octets += tpl.payload_bytes
        if setup.tcp:
            return session.conn.write(buf)
        if self.rtp_sock is not None and setup.client_rtp is not None:
            view = memoryview(buf)
            for start, end in tpl.spans:
                _sendto(self.rtp_sock, view[start:end], setup.client_rtp)
            return True
        return False

    def _reports(self, camera: Camera, session: Session, n: int, tick: int) -> None:
        wall = self.wall_time(tick)
        for track_id, setup in session.tracks.items():
            if track_id == VIDEO_TRACK:
                clock = camera.clocks[session.stream]
                rtp_ts = clock.ts_base + n * VIDEO_CLOCK // self.fps + clock.ts_offset
            else:
                clock = camera.clocks["audio"]
                rate = camera.media.audio.clip.rate
                rtp_ts = clock.ts_base + n * rate // self.fps + clock.ts_offset
            report = rtp.sender_report(
                clock.ssrc, wall, rtp_ts, setup.packets, setup.octets, camera.name.encode()
            )
            if setup.tcp:
                session.conn.write(rtp.interleave(setup.channel + 1, report))
            elif self.rtcp_sock is not None and setup.client_rtcp is not None:
                _sendto(self.rtcp_sock, report, setup.client_rtcp)


def _sendto(sock: socket.socket, data: bytes | memoryview, addr: tuple[str, int]) -> None:
    try:  # noqa: SIM105 - per-packet hot path; suppress() costs a context manager
        sock.sendto(data, addr)
    except OSError:
        pass  # UDP is lossy by contract: a full buffer or an unreachable port loses a packet
