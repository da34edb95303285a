"""Cameras and sessions: the server's mutable state, touched only on the event loop thread.

Owns: `Camera` (its RTP clocks, clip phase, fault flags and counters), `Session` (one
RTSP session: its tracks, their transports, play state) and `TrackSetup`.
Invariants: a session belongs to exactly one connection and one camera stream; it is in
its camera's `sessions` set from SETUP until teardown, and in the streamer's play group
only while playing; counters only grow (`frames_sent` survives the session it counted).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gwanje.media.camsim.profile import STREAMS, StreamName
from gwanje.media.camsim.timeline import AudioTrack, RtpClock, VideoTrack

if TYPE_CHECKING:
    from gwanje.media.camsim.fault_clips import FaultTracks
    from gwanje.media.camsim.ptzvideo import PtzRig
    from gwanje.media.camsim.rtsp import RtspConnection


@dataclass
class CameraMedia:
    """A variant's compiled tracks (shared by every camera that shows the variant)."""

    label: str
    main: VideoTrack
    sub: VideoTrack
    audio: AudioTrack

    def video(self, stream: StreamName) -> VideoTrack:
        return self.main if stream == "main" else self.sub


@dataclass(eq=False)  # identity semantics: cameras key the play groups
class Camera:
    index: int  # 1-based, as in the URL camN
    media: CameraMedia
    phase: int  # frame offset into the clip, so cameras of one variant are not in step
    boot_tick: int = 0
    clocks: dict[str, RtpClock] = field(default_factory=dict)
    sessions: set[Session] = field(default_factory=set)
    frames_sent: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STREAMS, 0))
    stalled_until: float = 0.0  # loop time; faults
    down_until: float = 0.0
    corrupt_until: float = 0.0
    refuse_auth: bool = False
    ptz: PtzRig | None = None  # a PTZ camera: its picture is rendered and encoded live
    # Image faults (fault_clips.py): the fault wanted until `image_fault_until` (loop time)
    # and, per stream, the fault clip now playing (switched at an IDR; None: the scene).
    image_fault: FaultTracks | None = None
    image_fault_until: float = 0.0
    playing_fault: dict[str, FaultTracks | None] = field(
        default_factory=lambda: dict.fromkeys(STREAMS)
    )

    def __post_init__(self) -> None:
        self.reboot(self.boot_tick)

    @property
    def name(self) -> str:
        return f"cam{self.index}"

    def reboot(self, tick: int) -> None:
        """A fresh timeline (new SSRCs, bases) starting at `tick`, as after a power cycle."""
        self.boot_tick = tick
        self.clocks = {"main": RtpClock(), "sub": RtpClock(), "audio": RtpClock()}

    def frame_number(self, tick: int) -> int:
        return tick - self.boot_tick + self.phase

    def silent(self, now: float) -> bool:
        return now < self.stalled_until or now < self.down_until

    def wanted_fault(self, now: float) -> FaultTracks | None:
        return self.image_fault if now < self.image_fault_until else None

    def current_video(self, stream: StreamName) -> VideoTrack:
        """The clip this stream shows now: the image fault's while one plays, else the
        scene. The streamer sends from it and PLAY's RTP-Info numbers from it."""
        playing = self.playing_fault[stream]
        return self.media.video(stream) if playing is None else playing.video(stream)


@dataclass
class TrackSetup:
    track: int  # sdp.VIDEO_TRACK or sdp.AUDIO_TRACK
    tcp: bool
    channel: int = 0  # interleaved RTP channel (RTCP is channel + 1)
    client_rtp: tuple[str, int] | None = None  # UDP destinations
    client_rtcp: tuple[str, int] | None = None
    packets: int = 0
    octets: int = 0

    @property
    def transport_name(self) -> str:
        return "tcp" if self.tcp else "udp"


@dataclass(eq=False)
class Session:
    camera: Camera
    stream: StreamName
    conn: RtspConnection
    id: str = field(default_factory=lambda: secrets.token_hex(8).upper())
    tracks: dict[int, TrackSetup] = field(default_factory=dict)
    playing: bool = False
    start_tick: int = 0  # first tick this session may receive (the next IDR after PLAY)
    need_key: bool = False  # set after an interruption: wait for the next IDR
    next_report_tick: int = 0
    frames_sent: int = 0
    frames_skipped: int = 0  # frames not sent because the client was not reading
    last_seen: float = field(default_factory=lambda: asyncio.get_running_loop().time())

    def touch(self) -> None:
        self.last_seen = asyncio.get_running_loop().time()
