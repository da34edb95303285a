"""Helpers for the RTSP client and fMP4 writer tests: collecting access units from a live
camsim, turning them back into Annex-B for PyAV's decoder, encoding H.264 with PyAV, and
tiny real TCP servers that misbehave in ways camsim does not (silence, garbage)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction

import av
import numpy as np

from gwanje.media.rtsp import AccessUnit, RtspStream, open_stream

START = b"\x00\x00\x00\x01"


def nal_units(avcc: bytes) -> list[bytes]:
    """Split 4-byte length-prefixed NAL units; fails if the lengths do not tile the data."""
    out, pos = [], 0
    while pos < len(avcc):
        size = int.from_bytes(avcc[pos : pos + 4], "big")
        assert size > 0
        assert pos + 4 + size <= len(avcc)
        out.append(avcc[pos + 4 : pos + 4 + size])
        pos += 4 + size
    assert pos == len(avcc)
    return out


def to_avcc(annexb: bytes) -> bytes:
    parts = [
        p.rstrip(b"\x00") for p in annexb.replace(START, b"\x00\x00\x01").split(b"\x00\x00\x01")
    ]
    return b"".join(len(p).to_bytes(4, "big") + p for p in parts if p)


def annexb(au: AccessUnit) -> bytes:
    """The unit as an Annex-B byte stream, parameter sets first on keyframes."""
    head = START + au.sps + START + au.pps if au.keyframe else b""
    return head + b"".join(START + nal for nal in nal_units(au.data))


def decode(aus: list[AccessUnit]) -> list[av.VideoFrame]:
    """Decode with FFmpeg's H.264 decoder; raises on any decoding error."""
    codec = av.CodecContext.create("h264", "r")
    frames: list[av.VideoFrame] = []
    for au in aus:
        for packet in codec.parse(annexb(au)):
            frames += codec.decode(packet)  # type: ignore[arg-type]
    for packet in codec.parse(None):  # type: ignore[arg-type]
        frames += codec.decode(packet)  # type: ignore[arg-type]
    frames += codec.decode(None)  # type: ignore[arg-type]
    return frames


async def collect(
    url: str,
    count: int,
    *,
    read_timeout: float = 5.0,
    connect_timeout: float = 5.0,
    **kwargs: str,
) -> tuple[list[AccessUnit], RtspStream]:
    """The first `count` access units of a stream (closed afterwards)."""
    stream = await open_stream(
        url, connect_timeout=connect_timeout, read_timeout=read_timeout, **kwargs
    )
    aus: list[AccessUnit] = []
    async with stream:
        async for au in stream:
            aus.append(au)
            if len(aus) >= count:
                break
    return aus, stream


def run(coro: object, timeout: float = 30.0) -> object:
    """Run a coroutine with an overall bound, so a missing timeout fails instead of hanging."""
    # On a thread of its own: Playwright's sync API (browser tests, session-scoped) keeps an
    # event loop running on the main thread for the rest of the session.
    result: list[object] = []
    errors: list[BaseException] = []

    def main() -> None:
        try:
            result.append(asyncio.run(asyncio.wait_for(coro, timeout)))  # type: ignore[arg-type]
        except BaseException as exc:  # handed to the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=main)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


def encode_h264(
    width: int, height: int, frames: int, profile: str, gop: int = 10
) -> tuple[list[tuple[bytes, bool]], bytes, bytes]:
    """Encode noise frames with libx264: (AVCC sample, keyframe) pairs, SPS, PPS."""
    codec = av.CodecContext.create("libx264", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
    codec.time_base = Fraction(1, 25)
    params = f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0:repeat-headers=1"
    # veryfast, not ultrafast: ultrafast turns CABAC and 8x8 transforms off (baseline only).
    codec.options = {"preset": "veryfast", "profile": profile, "x264-params": params}
    rng = np.random.default_rng(7)
    packets = []
    for i in range(frames):
        image = rng.integers(0, 255, (height * 3 // 2, width), dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="yuv420p")
        frame.pts = i
        packets += codec.encode(frame)
    packets += codec.encode(None)
    sps = pps = b""
    samples: list[tuple[bytes, bool]] = []
    for packet in packets:
        nals = nal_units(to_avcc(bytes(packet)))
        sps = next((n for n in nals if n[0] & 0x1F == 7), sps)
        pps = next((n for n in nals if n[0] & 0x1F == 8), pps)
        kept = [n for n in nals if n[0] & 0x1F not in (7, 8, 9)]
        samples.append((b"".join(len(n).to_bytes(4, "big") + n for n in kept), packet.is_keyframe))
    return samples, sps, pps


@contextmanager
def raw_server(reply: bytes | None) -> Iterator[int]:
    """A TCP server on 127.0.0.1 that accepts, reads, and sends `reply` once (None: never
    answers). Yields its port."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()
    conns: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conns.append(conn)
            if reply is not None:
                conn.recv(4096)
                conn.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        for conn in conns:
            conn.close()
        listener.close()
