"""Taking one picture sample of a camera from the recorder's live tap, and decoding it.

Owns: `take_sample` (connect to a stream's live socket, read its INIT and the first
keyframe with the few units after it, disconnect) and `decode` (H.264 to luma with a
fresh single-threaded PyAV decoder).
Why this way: the camera is pulled once, by the recorder (cameras allow few sessions);
the tap keeps each sub stream's current GOP, so a new consumer gets a keyframe at once
and the sampler holds the socket for a fraction of a second every few seconds instead of
reading 25 frames a second from every camera. Only the keyframe and `later_units` units
after it are decoded (the frozen check compares them), so the CPU per camera is a few
decodes per sample interval, whatever the frame rate.
Invariants: a sample never waits longer than its timeout; a stream not being recorded,
or anything malformed, yields None (the camera is skipped this round), never an
exception out of the sampling loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from dataclasses import dataclass
from pathlib import Path

import av
import av.error
import numpy as np

from gwanje.camhealth.checks import U8, Sample
from gwanje.media.live.client import LiveUnavailable, open_live
from gwanje.media.live.wire import LiveUnit, StreamInit, WireError

log = logging.getLogger(__name__)
START = b"\x00\x00\x00\x01"


@dataclass(frozen=True)
class RawSample:
    init: StreamInit
    units: tuple[LiveUnit, ...]  # a keyframe first, then the units that followed it


async def take_sample(
    directory: Path, camera_id: int, stream: str, later_units: int, timeout_s: float
) -> RawSample | None:
    try:
        return await asyncio.wait_for(_read(directory, camera_id, stream, later_units), timeout_s)
    except (LiveUnavailable, WireError, TimeoutError, OSError) as exc:
        log.debug("camera %s %s: no sample (%s)", camera_id, stream, exc)
        return None


async def _read(directory: Path, camera_id: int, stream: str, later: int) -> RawSample | None:
    messages = await open_live(directory, camera_id, stream)
    init: StreamInit | None = None
    units: list[LiveUnit] = []
    try:
        async for message in messages:
            if isinstance(message, StreamInit):
                init, units = message, []
                continue
            if not units and not message.keyframe:
                continue
            if message.skipped and units:
                units = [message] if message.keyframe else []
                continue
            units.append(message)
            if len(units) > later:
                break
    finally:
        with contextlib.suppress(Exception):
            await messages.aclose()
    if init is None or not units:
        return None
    return RawSample(init, tuple(units))


def annexb(init: StreamInit, unit: LiveUnit) -> bytes:
    """An AVCC access unit (4-byte lengths) as Annex B, with SPS/PPS before a keyframe."""
    parts: list[bytes] = [START, init.sps, START, init.pps] if unit.keyframe else []
    data, pos = unit.data, 0
    while pos + 4 <= len(data):
        (size,) = struct.unpack_from(">I", data, pos)
        parts += [START, data[pos + 4 : pos + 4 + size]]
        pos += 4 + size
    return b"".join(parts)


def decode(raw: RawSample) -> Sample | None:
    """The keyframe's luma and the last unit's (None where a frame would not decode)."""
    codec = av.CodecContext.create("h264", "r")
    codec.thread_count = 1  # hundreds of cameras: no thread pool per sample
    lumas: list[tuple[U8, int]] = []
    try:
        for unit in raw.units:
            packet = av.Packet(annexb(raw.init, unit))
            packet.pts = packet.dts = unit.rtp_timestamp
            lumas += [(_luma(f), f.pts or 0) for f in codec.decode(packet)]
        lumas += [(_luma(f), f.pts or 0) for f in codec.decode(None)]
    except (av.error.FFmpegError, ValueError) as exc:
        log.debug("sample would not decode: %s", exc)
    if not lumas:
        return None
    key, key_ts = lumas[0]
    later, later_ts = lumas[-1] if len(lumas) > 1 else (None, None)
    return Sample(key, later, key_ts, later_ts)


def _luma(frame: av.VideoFrame) -> U8:
    plane = frame.planes[0]
    rows = np.frombuffer(memoryview(plane), dtype=np.uint8)
    luma: U8 = rows.reshape(frame.height, plane.line_size)[:, : frame.width].copy()
    return luma
