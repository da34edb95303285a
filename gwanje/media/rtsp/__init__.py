"""An asyncio RTSP client for cameras: H.264 video over TCP, as access units (RFC 2326,
RFC 6184). One event loop serves many cameras; see `client` for the invariants.

    stream = await open_stream(url, connect_timeout=10, read_timeout=5)
    async with stream:
        async for au in stream:   # AccessUnit: AVCC data, 90 kHz timestamp, keyframe, SPS...
            ...

The packet path (`interleave`, `depacketize`) runs compiled when `./dev setup` could build
it, and from source otherwise or when a source changed since: see `native`.
"""

from gwanje.media.rtsp import native

native.guard()  # before anything imports the compiled modules

# ruff: noqa: E402 (the imports below must follow the guard)
from gwanje.media.rtsp.client import ConnectFailed, RtspStream, open_stream
from gwanje.media.rtsp.depacketize import AccessUnit, DepacketizerStats
from gwanje.media.rtsp.errors import (
    AuthFailed,
    ProtocolError,
    RtspClientError,
    RtspError,
    StreamEnded,
    StreamTimeout,
)
from gwanje.media.rtsp.sdp import Unsupported

__all__ = [
    "AccessUnit",
    "AuthFailed",
    "ConnectFailed",
    "DepacketizerStats",
    "ProtocolError",
    "RtspClientError",
    "RtspError",
    "RtspStream",
    "StreamEnded",
    "StreamTimeout",
    "Unsupported",
    "open_stream",
]
