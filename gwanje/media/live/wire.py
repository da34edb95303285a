"""The live wire: how a capture worker hands a stream's access units to a local consumer.

Owns: the framing of the messages on a live socket (`encode_init`, `encode_unit`,
`read_message`) and their types (`StreamInit`, `LiveUnit`).
Why a wire of our own: the camera is pulled once (cameras allow few sessions); the
capture worker that records it also fans the same access units out, unchanged, to the
web process (live wall) and later analytics, over a Unix socket each consumer opens.
Framing: 1 byte type, 4 bytes big-endian payload length, payload.
- INIT (1): width u16, height u16, SPS length u16, SPS, PPS length u16, PPS. Sent first,
  and again whenever the parameter sets change (a resolution change).
- UNIT (2): RTP timestamp u64 (90 kHz, extended), flags u8 (1: keyframe, 2: units were
  skipped just before this one), then the access unit (AVCC, as `gwanje.media.rtsp`
  delivers it). A consumer's first unit after any INIT is a keyframe.
Invariants: a reader never trusts a length beyond `MAX_PAYLOAD`; a malformed message is a
`WireError`, never a crash of the reader's process.
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass

INIT, UNIT = 1, 2
KEY, SKIPPED = 1, 2
MAX_PAYLOAD = 8 * 1024 * 1024  # far above any H.264 access unit of a camera
_HEAD = struct.Struct(">BI")
_UNIT = struct.Struct(">QB")
_SIZE = struct.Struct(">HH")


class WireError(Exception):
    """The other side sent something that is not a live message."""


@dataclass(frozen=True, slots=True)
class StreamInit:
    width: int
    height: int
    sps: bytes
    pps: bytes


@dataclass(frozen=True, slots=True)
class LiveUnit:
    rtp_timestamp: int
    keyframe: bool
    skipped: bool  # the consumer missed units just before this one (it was too slow)
    data: bytes


def encode_init(init: StreamInit) -> bytes:
    payload = b"".join(
        (
            _SIZE.pack(init.width, init.height),
            struct.pack(">H", len(init.sps)), init.sps,
            struct.pack(">H", len(init.pps)), init.pps,
        )
    )  # fmt: skip
    return _HEAD.pack(INIT, len(payload)) + payload


def unit_header(rtp_timestamp: int, keyframe: bool, skipped: bool, size: int) -> bytes:
    """The bytes before an access unit's data (sent with writelines: no copy of the data)."""
    flags = (KEY if keyframe else 0) | (SKIPPED if skipped else 0)
    return _HEAD.pack(UNIT, _UNIT.size + size) + _UNIT.pack(rtp_timestamp, flags)


def _decode_init(payload: bytes) -> StreamInit:
    try:
        width, height = _SIZE.unpack_from(payload, 0)
        pos = _SIZE.size
        (n,) = struct.unpack_from(">H", payload, pos)
        sps = payload[pos + 2 : pos + 2 + n]
        pos += 2 + n
        (m,) = struct.unpack_from(">H", payload, pos)
        pps = payload[pos + 2 : pos + 2 + m]
    except struct.error as exc:
        raise WireError(f"short INIT message: {exc}") from None
    if len(sps) != n or len(pps) != m or pos + 2 + m != len(payload) or not n or not m:
        raise WireError("malformed INIT message")
    return StreamInit(width, height, bytes(sps), bytes(pps))


def _decode_unit(payload: bytes) -> LiveUnit:
    if len(payload) <= _UNIT.size:
        raise WireError("short UNIT message")
    ts, flags = _UNIT.unpack_from(payload, 0)
    return LiveUnit(ts, bool(flags & KEY), bool(flags & SKIPPED), payload[_UNIT.size :])


async def read_message(reader: asyncio.StreamReader) -> StreamInit | LiveUnit:
    """The next message; IncompleteReadError at the end of the stream."""
    kind, size = _HEAD.unpack(await reader.readexactly(_HEAD.size))
    if size > MAX_PAYLOAD:
        raise WireError(f"message of {size} bytes is too large")
    payload = await reader.readexactly(size)
    if kind == INIT:
        return _decode_init(payload)
    if kind == UNIT:
        return _decode_unit(payload)
    raise WireError(f"unknown message type {kind}")
