"""Live access units as fragmented MP4 for a browser's Media Source Extensions.

Owns: `MseMuxer`, which turns the live wire's messages into what the wall's player
appends: an init segment (ftyp + moov) with its codec string, then one fragment per
access unit (moof + mdat), so a frame waits for nothing before it is sent (whole-GOP
fragments would hold a frame up to a GOP; measured with PyAV: ~2 s vs ~40 ms).
Invariants: decode times start at 0 for each init and follow the camera's RTP clock;
a sample's duration is the previous frame interval (the next frame is not known yet, and
waiting for it would add a frame of latency); after an init the first fragment is a
keyframe (the tap guarantees it); a unit that arrives before any init is refused.
`forward` sends them down a browser's WebSocket in the player's protocol.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from gwanje.media import fmp4
from gwanje.media.live.wire import LiveUnit, StreamInit

DEFAULT_FRAME_TICKS = 3600  # 25 fps at 90 kHz, until two frames tell better
MAX_FRAME_TICKS = 90_000  # a longer interval is a pause, not a frame rate


@dataclass(frozen=True)
class InitSegment:
    codec: str  # for MediaSource.isTypeSupported / addSourceBuffer, e.g. avc1.64002a
    width: int
    height: int
    data: bytes

    @property
    def mime(self) -> str:
        return f'video/mp4; codecs="{self.codec}"'


def codec_string(sps: bytes) -> str:
    """RFC 6381 avc1.PPCCLL from the SPS's profile, constraint flags and level."""
    if len(sps) < 4:
        raise ValueError("SPS too short for a codec string")
    return f"avc1.{sps[1]:02x}{sps[2]:02x}{sps[3]:02x}"


class MseMuxer:
    def __init__(self) -> None:
        self._base_ts: int | None = None  # RTP timestamp at decode time 0 (after an init)
        self._last_ts = 0
        self._frame_ticks = DEFAULT_FRAME_TICKS
        self._sequence = 0
        self.frames = 0

    @property
    def base_ts(self) -> int | None:
        """The RTP timestamp that decode time 0 stands for (None before the first unit):
        a player maps its media time back to the camera's clock with it."""
        return self._base_ts

    def init(self, message: StreamInit) -> InitSegment:
        self._base_ts = None
        self._sequence = 0
        data = fmp4.init_segment(message.sps, message.pps, message.width, message.height)
        return InitSegment(codec_string(message.sps), message.width, message.height, data)

    def fragment(self, unit: LiveUnit) -> bytes:
        if self._base_ts is None:
            if not unit.keyframe:
                raise ValueError("the first unit after an init must be a keyframe")
            self._base_ts = unit.rtp_timestamp
        else:
            delta = unit.rtp_timestamp - self._last_ts
            if 0 < delta <= MAX_FRAME_TICKS and not unit.skipped:
                self._frame_ticks = delta
        self._last_ts = unit.rtp_timestamp
        decode_time = max(0, unit.rtp_timestamp - self._base_ts)
        self._sequence += 1
        self.frames += 1
        sample = fmp4.Sample(unit.data, self._frame_ticks, unit.keyframe)
        return fmp4.fragment(self._sequence, decode_time, [sample])


class BrowserSocket(Protocol):
    """What `forward` needs of a WebSocket (Starlette's has both)."""

    async def send_text(self, data: str) -> None: ...

    async def send_bytes(self, data: bytes) -> None: ...


async def forward(
    socket: BrowserSocket, messages: AsyncIterator[StreamInit | LiveUnit], muxer: MseMuxer
) -> None:
    """The player's protocol (docs/design/live-view.md), for the wall and the share viewer:
    each init as a JSON `init` (MIME type, size) then its segment; before the first
    fragment a JSON `base` (the RTP timestamp of media time 0, for latency); then one
    fragment per unit. Units before the first init are dropped."""
    got_init = False
    async for message in messages:
        if isinstance(message, StreamInit):
            init = muxer.init(message)
            head = {"type": "init", "mime": init.mime, "width": init.width, "height": init.height}
            await socket.send_text(json.dumps(head))
            await socket.send_bytes(init.data)
            got_init = True
        elif got_init:
            first = muxer.base_ts is None
            fragment = muxer.fragment(message)
            if first:
                await socket.send_text(json.dumps({"type": "base", "rtp": muxer.base_ts}))
            await socket.send_bytes(fragment)
