"""The live tap: a capture worker's fan-out of one stream to local consumers.

Owns: `LiveTap` (the Unix socket server of one camera stream, on the worker's event loop)
and its consumers' send state.
Why: the camera is pulled once; the same access units the recorder writes go, unchanged
and without transcoding, to whoever watches (the web process for the video wall).
Invariants:
- Recording never waits for a viewer: `publish` only queues bytes on non-blocking
  transports; a consumer more than `MAX_BACKLOG` behind is skipped until the next
  keyframe (it sees the `skipped` flag), exactly as a camera treats a slow client.
- With no consumer and no GOP cache, `publish` costs one attribute test (256 cameras are
  recorded with nobody watching most of them).
- Each consumer receives INIT before its first unit and again when the parameter sets
  change, and its first unit after an INIT is a keyframe.
- The GOP cache (units since the last keyframe) lets a new viewer start at once instead of
  waiting up to a GOP; it is kept for sub streams (small; wall tiles use them) and for a
  main stream while someone watches it and for `WARM_SECONDS` after, so unwatched main
  streams cost no memory.
- `close()` removes the socket only if it is still ours (a restarted worker may have
  bound the same path since).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from pathlib import Path

from gwanje.media.live.wire import StreamInit, encode_init, unit_header
from gwanje.media.rtsp import AccessUnit

log = logging.getLogger(__name__)

MAX_BACKLOG = 4 * 1024 * 1024  # bytes queued for one consumer before it is skipped
MAX_GOP_UNITS = 600  # a stream without keyframes must not grow the cache without bound
WARM_SECONDS = 300.0


class _Consumer(asyncio.Protocol):
    def __init__(self, tap: LiveTap) -> None:
        self.tap = tap
        self.transport: asyncio.WriteTransport | None = None
        self.need_key = True
        self.skipped = False
        self.params: tuple[bytes, bytes] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        self.transport = transport
        self.tap.attach(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.tap.detach(self)
        self.transport = None

    def data_received(self, data: bytes) -> None:
        """Consumers have nothing to say; whatever they send is ignored."""

    def send(self, unit: AccessUnit) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if transport.get_write_buffer_size() > MAX_BACKLOG:
            self.need_key = self.skipped = True
            return
        if self.need_key:
            if not unit.keyframe:
                return
            self.need_key = False
        if self.params != (unit.sps, unit.pps):
            self.params = (unit.sps, unit.pps)
            init = StreamInit(unit.width, unit.height, unit.sps, unit.pps)
            transport.write(encode_init(init))
        skipped = self.skipped or unit.discontinuity
        self.skipped = False
        header = unit_header(unit.rtp_timestamp, unit.keyframe, skipped, len(unit.data))
        transport.writelines((header, unit.data))


class LiveTap:
    def __init__(self, path: Path, *, always_cache: bool) -> None:
        self.path = path
        self.always_cache = always_cache
        self._consumers: list[_Consumer] = []
        self._server: asyncio.AbstractServer | None = None
        self._inode: int | None = None
        self._gop: list[AccessUnit] = []
        self._caching = always_cache
        self._warm_until = 0.0

    @property
    def consumers(self) -> int:
        return len(self._consumers)

    async def start(self) -> None:
        """Bind the socket (replacing a stale one left by a killed worker)."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        loop = asyncio.get_running_loop()
        self._server = await loop.create_unix_server(lambda: _Consumer(self), str(self.path))
        self.path.chmod(0o600)
        self._inode = self.path.stat().st_ino

    async def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for consumer in list(self._consumers):
            if consumer.transport is not None:
                consumer.transport.close()
        self._consumers.clear()
        self._gop.clear()
        with contextlib.suppress(FileNotFoundError):
            if self._inode is not None and os.stat(self.path).st_ino == self._inode:
                self.path.unlink()
        if server is not None:
            await server.wait_closed()

    def attach(self, consumer: _Consumer) -> None:
        self._consumers.append(consumer)
        self._caching = True
        gop = self._gop
        if gop and gop[0].keyframe:
            for unit in gop:  # the viewer starts at once, from the last keyframe
                consumer.send(unit)

    def detach(self, consumer: _Consumer) -> None:
        with contextlib.suppress(ValueError):
            self._consumers.remove(consumer)
        if not self._consumers:
            self._warm_until = time.monotonic() + WARM_SECONDS

    def reset(self) -> None:
        """The stream broke (reconnect, lost units): cached units must not be replayed."""
        self._gop.clear()

    def publish(self, unit: AccessUnit) -> None:
        if self._caching:
            self._cache(unit)
        for consumer in self._consumers:
            consumer.send(unit)

    def _cache(self, unit: AccessUnit) -> None:
        gop = self._gop
        if unit.keyframe:
            gop.clear()
            if not (self.always_cache or self._consumers) and time.monotonic() > self._warm_until:
                self._caching = False  # nobody watched for a while: free the memory
                return
        elif unit.discontinuity or not gop or len(gop) >= MAX_GOP_UNITS:
            gop.clear()
            return
        gop.append(unit)
