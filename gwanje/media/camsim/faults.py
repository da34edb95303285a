"""Fault injection and observation, per camera, as a misbehaving real camera would show it.

Owns: the fault operations (run on the server's loop thread; `harness.CamsimHandle`
marshals calls from other threads) and the `CameraStats` snapshot.

Faults:
- drop: reset every connection that asked about the camera (the client sees a reset).
- stall: keep sockets open, send nothing (no media, no RTSP replies) for S seconds; then
  the stream resumes at the next IDR with the time that passed (timestamps and sequence
  numbers jump, as from an encoder that kept running while the network hung).
- restart: drop, then reset every new connection naming the camera for S seconds; the
  camera comes back with a new RTP timeline (new SSRCs, random bases), as after a reboot.
- corrupt: for S seconds every video RTP payload is noise (headers stay valid).
- jump_timestamps: add S seconds (negative: go back) to the RTP timestamps from now on.
- refuse_auth: answer 401 to every authenticated request, right credentials or not.
- image_fault (cover, black, freeze, blur, move; `fault_clips.py`): from the next IDR the
  camera sends a pre-encoded fault clip instead of its scene, for S seconds (None: until
  `clear_image_fault`); timestamps and sequence numbers run on unbroken.
Invariant: a fault touches one camera; other cameras and their sessions never notice.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from gwanje.media.camsim.fault_clips import FaultTracks
from gwanje.media.camsim.sdp import AUDIO_TRACK, VIDEO_CLOCK, VIDEO_TRACK
from gwanje.media.camsim.server import CamsimServer

TRACK_NAMES = {VIDEO_TRACK: "video", AUDIO_TRACK: "audio"}


@dataclass(frozen=True)
class SessionStats:
    id: str
    stream: str  # "main" | "sub"
    transports: dict[str, str]  # track ("video"/"audio") -> "tcp" | "udp"
    playing: bool
    frames_sent: int
    frames_skipped: int


@dataclass(frozen=True)
class CameraStats:
    camera: str
    sessions: tuple[SessionStats, ...]
    frames_sent: dict[str, int]  # stream -> video frames sent, over all sessions ever

    @property
    def session_count(self) -> int:
        return len(self.sessions)


@dataclass(frozen=True)
class ServerStats:
    ticks: int
    ticks_lagged: int  # frame ticks skipped because the server fell behind
    lag_events: int
    playing: dict[str, int]  # stream -> cameras with at least one playing session
    frames_sent: dict[str, int]  # stream -> video frames sent over all cameras
    # time.monotonic() in the simulator when these totals were taken (CLOCK_MONOTONIC is
    # one clock for every process of the machine): a bench divides frame counts by the
    # simulator's own interval, not by when a busy machine delivered the answer.
    at: float = 0.0


def drop(server: CamsimServer, index: int) -> int:
    camera = server.camera(index)
    victims = [c for c in server.connections if camera.index in c.cameras]
    for conn in victims:
        conn.abort()
    return len(victims)


def stall(server: CamsimServer, index: int, seconds: float) -> None:
    camera = server.camera(index)
    camera.stalled_until = server.now() + seconds
    for session in camera.sessions:
        session.need_key = True


def restart(server: CamsimServer, index: int, seconds: float) -> None:
    camera = server.camera(index)
    drop(server, index)
    camera.down_until = server.now() + seconds
    camera.reboot(server.streamer.tick + math.ceil(seconds * server.fps))


def corrupt(server: CamsimServer, index: int, seconds: float) -> None:
    server.camera(index).corrupt_until = server.now() + seconds


def jump_timestamps(server: CamsimServer, index: int, seconds: float) -> None:
    camera = server.camera(index)
    for name, clock in camera.clocks.items():
        rate = camera.media.audio.clip.rate if name == "audio" else VIDEO_CLOCK
        clock.ts_offset += round(seconds * rate)


def refuse_auth(server: CamsimServer, index: int, refuse: bool) -> None:
    server.camera(index).refuse_auth = refuse


def image_fault(
    server: CamsimServer, index: int, tracks: FaultTracks, seconds: float | None
) -> None:
    camera = server.camera(index)
    camera.image_fault = tracks
    camera.image_fault_until = math.inf if seconds is None else server.now() + seconds


def clear_image_fault(server: CamsimServer, index: int) -> None:
    server.camera(index).image_fault_until = 0.0


def stats(server: CamsimServer, index: int) -> CameraStats:
    camera = server.camera(index)
    sessions = tuple(
        SessionStats(
            s.id,
            s.stream,
            {TRACK_NAMES[t]: setup.transport_name for t, setup in sorted(s.tracks.items())},
            s.playing,
            s.frames_sent,
            s.frames_skipped,
        )
        for s in sorted(camera.sessions, key=lambda s: s.id)
    )
    return CameraStats(camera.name, sessions, dict(camera.frames_sent))


def server_stats(server: CamsimServer) -> ServerStats:
    """Totals over every camera, in one call (benches poll this with hundreds of cameras)."""
    playing: dict[str, int] = {}
    sent: dict[str, int] = {}
    for i in range(1, server.config.cameras + 1):
        camera = server.camera(i)
        for name in {s.stream for s in camera.sessions if s.playing}:
            playing[name] = playing.get(name, 0) + 1
        for key, count in camera.frames_sent.items():
            sent[key] = sent.get(key, 0) + count
    streamer = server.streamer
    return ServerStats(
        streamer.tick, streamer.ticks_lagged, streamer.lag_events, playing, sent, time.monotonic()
    )


def send_times(server: CamsimServer, index: int, stream: str) -> list[tuple[int, float]]:
    """Recent (RTP timestamp, wall time) of the video frames sent for a camera stream; the
    server must run with `log_send_times`."""
    log = server.streamer.send_times
    if log is None:
        raise RuntimeError("camsim was started without log_send_times")
    return list(log.get((server.camera(index).index, stream), ()))


def ptz_position(server: CamsimServer, index: int) -> tuple[float, float, float]:
    """Where a PTZ camera points now (not a fault: an observation for tests)."""
    camera = server.camera(index)
    if camera.ptz is None:
        raise ValueError(f"cam{index} is not a PTZ camera")
    at = camera.ptz.head.at(server.now())
    return (at.pan, at.tilt, at.zoom)
