"""Compiled tracks and each camera's RTP timeline.

Owns: `VideoTrack`/`AudioTrack` (a clip's packet templates, compiled once and shared by
every camera showing that variant) and `RtpClock` (one RTP stream's SSRC and bases).

The timeline is a pure function of the global frame tick `k` (the ticker's counter since
the server started): for a camera booted at tick `b` with clip phase `p`, frame
`n = k - b + p` shows access unit `n mod F`, carries RTP timestamp
`ts_base + n * 90000 / fps (+ fault offset)` and its first packet's sequence number is
`seq_base + (n div F) * P + packets_before(n mod F)`, where P is the packets per loop.
Invariants that follow: timestamps and sequence numbers keep increasing across clip loops
(modulo 2^32 / 2^16), idle cameras cost nothing per tick, every session of one camera sees
the same RTP stream (as with a real camera's encoder), and a PLAY response can state the
exact seq/rtptime of the first packet it will get (RTP-Info, RFC 2326 §12.33).
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field

from gwanje.media.camsim.clips import AudioClip, VideoClip
from gwanje.media.camsim.rtp import (
    PacketTemplate,
    aac_payload,
    build_template,
    h264_payloads,
    split_annexb,
)
from gwanje.media.camsim.sdp import AUDIO_PT, VIDEO_CLOCK, VIDEO_PT

AAC_FRAME = 1024


@dataclass(frozen=True)
class VideoTrack:
    clip: VideoClip
    templates: tuple[PacketTemplate, ...]
    cum_packets: tuple[int, ...]  # packets before access unit i within one loop
    loop_packets: int

    @property
    def frames(self) -> int:
        return len(self.templates)


@dataclass(frozen=True)
class AudioTrack:
    clip: AudioClip
    templates: tuple[PacketTemplate, ...]


def compile_video(clip: VideoClip) -> VideoTrack:
    templates = tuple(
        build_template(h264_payloads(split_annexb(au)), VIDEO_PT, 0) for au in clip.aus
    )
    counts = [t.packets for t in templates]
    cum = tuple(itertools.accumulate(counts, initial=0))
    return VideoTrack(clip, templates, cum[:-1], cum[-1])


def compile_audio(clip: AudioClip) -> AudioTrack:
    return AudioTrack(
        clip, tuple(build_template([aac_payload(au)], AUDIO_PT, 2) for au in clip.aus)
    )


@dataclass
class RtpClock:
    """One RTP stream of a camera. Bases are random as RFC 3550 §5.1 recommends."""

    ssrc: int = field(default_factory=lambda: secrets.randbits(32))
    seq_base: int = field(default_factory=lambda: secrets.randbits(16))
    ts_base: int = field(default_factory=lambda: secrets.randbits(32))
    ts_offset: int = 0  # added by the timestamp-jump faults, in clock units


def video_position(track: VideoTrack, clock: RtpClock, n: int, fps: int) -> tuple[int, int, int]:
    """(access unit index, first seq, timestamp) of camera frame n (n >= 0)."""
    loops, pos = divmod(n, track.frames)
    seq = clock.seq_base + loops * track.loop_packets + track.cum_packets[pos]
    ts = clock.ts_base + n * VIDEO_CLOCK // fps + clock.ts_offset
    return pos, seq & 0xFFFF, ts & 0xFFFFFFFF


def live_position(clock: RtpClock, first_packet: int, n: int, fps: int) -> tuple[int, int]:
    """(first seq, timestamp) of frame n of a live-encoded (PTZ) stream whose encoder had
    sent `first_packet` packets before it: its sequence numbers follow what it sent."""
    ts = clock.ts_base + n * VIDEO_CLOCK // fps + clock.ts_offset
    return (clock.seq_base + first_packet) & 0xFFFF, ts & 0xFFFFFFFF


def audio_due(n: int, rate: int, fps: int) -> range:
    """Audio access units whose capture time falls in frame n's interval (n-1, n]."""
    per = fps * AAC_FRAME
    return range((n - 1) * rate // per + 1, n * rate // per + 1) if n > 0 else range(0, 1)


def audio_position(track: AudioTrack, clock: RtpClock, j: int) -> tuple[int, int, int]:
    pos = j % len(track.templates)
    return (
        pos,
        (clock.seq_base + j) & 0xFFFF,
        (clock.ts_base + j * AAC_FRAME + clock.ts_offset) & 0xFFFFFFFF,
    )
