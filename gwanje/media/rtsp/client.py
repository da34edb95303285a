"""An asyncio RTSP/1.0 client (RFC 2326) that plays one camera's H.264 video over TCP.

Owns: `open_stream` and `RtspStream` (the connection, its session, keep-alive, read
timeout, TEARDOWN) on top of `interleave` (bytes), `message` (RTSP text), `auth`, `sdp`
and `depacketize` (RTP to access units).

Why our own client: PyAV's RTSP demuxer costs a thread per camera blocked in
`av_read_frame`, GIL handoffs and small reads; here one event loop serves many cameras,
each socket is read in large chunks into a preallocated buffer, and only Python code that
a packet needs runs per packet.

Invariants:
- Only the video track is ever SET UP, always `RTP/AVP/TCP;unicast;interleaved` (ORD-10.2:
  the camera's audio is never requested, so it is never received or stored).
- Every wait has a bound: connecting and each request `connect_timeout`, video
  `read_timeout` (measured from the last video RTP frame, so RTCP or keep-alive replies
  alone do not keep a dead stream "alive").
- The session is kept alive every session-timeout/2 (RFC 2326 §12.37) with GET_PARAMETER
  when the camera lists it in Public, OPTIONS otherwise.
- Errors surface as `RtspClientError` subclasses after every access unit that arrived
  before them has been handed out; credentials never appear in a message or log line.
- Access units wait in a queue; past `MAX_QUEUED` the socket stops being read (TCP
  back-pressure, the camera drops frames) instead of buffering without bound.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from types import TracebackType
from urllib.parse import urlsplit

from gwanje.media.rtsp.auth import Authenticator, split_userinfo
from gwanje.media.rtsp.depacketize import AccessUnit, Depacketizer, DepacketizerStats
from gwanje.media.rtsp.errors import (
    AuthFailed,
    ProtocolError,
    RtspClientError,
    RtspError,
    StreamEnded,
    StreamTimeout,
)
from gwanje.media.rtsp.interleave import ConnectionBuffer
from gwanje.media.rtsp.message import Response, format_request
from gwanje.media.rtsp.sdp import SessionInfo, parse_sdp

log = logging.getLogger(__name__)

TRANSPORT = "RTP/AVP/TCP;unicast;interleaved=0-1"
DEFAULT_SESSION_TIMEOUT = 60.0  # RFC 2326 §12.37
MAX_QUEUED = 256  # access units; about 10 s at 25 fps
RESUME_AT = 32
TEARDOWN_WAIT = 2.0


class ConnectFailed(RtspClientError):
    """The TCP connection could not be made (refused, unreachable, name not found)."""


async def open_stream(
    url: str,
    *,
    connect_timeout: float,
    read_timeout: float,
    user: str | None = None,
    password: str | None = None,
) -> RtspStream:
    """Connect, DESCRIBE, SETUP the video track over TCP and PLAY; credentials may be given
    here or, percent-encoded, in the URL's userinfo (the arguments win)."""
    clean, url_user, url_password = split_userinfo(url)
    parts = urlsplit(clean)
    if parts.scheme.lower() != "rtsp" or not parts.hostname:
        raise ValueError("an rtsp://host[:port]/path URL is required")
    auth = Authenticator(
        user if user is not None else url_user,
        password if password is not None else url_password,
    )
    stream = RtspStream(clean, auth, connect_timeout, read_timeout)
    await stream._connect(parts.hostname, parts.port or 554)
    try:
        await stream._start()
    except BaseException:
        stream.abort()
        raise
    return stream


class _Protocol(asyncio.BufferedProtocol):
    def __init__(self, stream: RtspStream) -> None:
        self.stream = stream

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.stream._buffer.get_buffer()

    def buffer_updated(self, nbytes: int) -> None:
        self.stream._received(nbytes)

    def connection_lost(self, exc: Exception | None) -> None:
        self.stream._lost(exc)


class RtspStream:
    """A playing RTSP session: `async for au in stream` yields `AccessUnit`s."""

    def __init__(
        self, url: str, auth: Authenticator, connect_timeout: float, read_timeout: float
    ) -> None:
        self.url = url  # without credentials
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.info: SessionInfo | None = None
        self.session_id: str | None = None
        self.session_timeout = DEFAULT_SESSION_TIMEOUT
        self._auth = auth
        self._loop = asyncio.get_running_loop()
        self._buffer = ConnectionBuffer(self._no_rtp, self._message)
        self._transport: asyncio.Transport | None = None
        self._depack: Depacketizer | None = None
        self._ready: deque[AccessUnit] = deque()
        self._pending: dict[int, asyncio.Future[Response]] = {}
        self._cseq = 0
        self._error: RtspClientError | None = None
        self._closed = False  # close() began (TEARDOWN sent or about to be)
        self._finished = False  # the connection is closed: nothing more will arrive
        self._paused = False
        self._waiter: asyncio.Future[None] | None = None
        self._last_video = 0.0
        self._timers: list[asyncio.TimerHandle] = []
        self._keepalive_method = "OPTIONS"

    # -- public ------------------------------------------------------------------------

    @property
    def stats(self) -> DepacketizerStats:
        return self._depack.stats if self._depack is not None else DepacketizerStats()

    def __aiter__(self) -> RtspStream:
        return self

    async def __anext__(self) -> AccessUnit:
        ready = self._ready
        while True:
            if ready:
                if self._paused and len(ready) <= RESUME_AT:
                    self._resume()
                return ready.popleft()
            if self._error is not None:
                raise self._error
            if self._finished:  # not merely closing: units sent before the TEARDOWN
                raise StopAsyncIteration  # answer are still received and yielded
            self._waiter = self._loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    async def close(self) -> None:
        """TEARDOWN (waiting briefly for the answer), then close the connection."""
        if self._closed:
            return
        self._closed = True
        self._cancel_timers()
        if self._paused:
            self._resume()  # or the TEARDOWN answer would never be read
        if self._transport is not None and self._error is None and self.session_id:
            control = self.info.control if self.info is not None else self.url
            try:
                await self._exchange(
                    "TEARDOWN", control, {}, min(self.connect_timeout, TEARDOWN_WAIT)
                )
            except RtspClientError as exc:
                log.debug("TEARDOWN of %s not answered: %s", self.url, exc)
        self.abort()

    def abort(self) -> None:
        """Close the connection now, without TEARDOWN."""
        self._closed = self._finished = True
        self._cancel_timers()
        if self._transport is not None:
            self._transport.close()
        self._wake()

    async def __aenter__(self) -> RtspStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- session setup -----------------------------------------------------------------

    async def _connect(self, host: str, port: int) -> None:
        connect = self._loop.create_connection(lambda: _Protocol(self), host, port)
        try:
            transport, _ = await asyncio.wait_for(connect, self.connect_timeout)
        except TimeoutError as exc:
            raise StreamTimeout(f"connect to {host}:{port} timed out") from exc
        except OSError as exc:
            raise ConnectFailed(f"connect to {host}:{port}: {exc.strerror or exc}") from exc
        self._transport = transport

    async def _start(self) -> None:
        try:
            options = await self._request("OPTIONS", self.url)
            if "GET_PARAMETER" in (options.get("public") or "").upper():
                self._keepalive_method = "GET_PARAMETER"
        except RtspError as exc:
            if isinstance(exc, AuthFailed):
                raise
            log.debug("OPTIONS refused (%s); going on", exc.status)  # only a hint
        described = await self._request("DESCRIBE", self.url, {"Accept": "application/sdp"})
        base = described.get("content-base") or described.get("content-location") or self.url
        self.info = info = parse_sdp(described.body.decode("utf-8", "replace"), base)
        self._depack = Depacketizer(info.video.payload_type, info.video.sps, info.video.pps)
        self._ready = self._depack.ready
        reply = await self._request("SETUP", info.video.control, {"Transport": TRANSPORT})
        self._take_session(reply)
        self._buffer.rtp_channel = _interleaved_channel(reply.get("transport") or "")
        self._buffer.on_rtp = self._depack.push
        await self._request("PLAY", info.control, {"Range": "npt=0.000-"})
        self._last_video = self._loop.time()
        self._timers = [
            self._loop.call_at(self._last_video + self.read_timeout, self._watchdog),
            self._loop.call_later(self._keepalive_interval(), self._keepalive),
        ]

    def _take_session(self, reply: Response) -> None:
        """Session: <id>[;timeout=<seconds>] (RFC 2326 §12.37)."""
        raw = reply.get("session")
        if not raw:
            raise ProtocolError("SETUP answered without a Session header")
        ident, _, params = raw.partition(";")
        self.session_id = ident.strip()
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.lower() == "timeout" and value.strip().isdigit() and int(value) > 0:
                self.session_timeout = float(value)

    def _keepalive_interval(self) -> float:
        return max(1.0, self.session_timeout / 2)

    # -- requests ----------------------------------------------------------------------

    async def _request(
        self, method: str, url: str, headers: dict[str, str] | None = None
    ) -> Response:
        """Send a request, answering up to two 401 challenges; non-2xx raises."""
        for _ in range(3):
            reply = await self._exchange(method, url, headers or {}, self.connect_timeout)
            if reply.status != 401:
                break
            if not self._auth.has_credentials:
                raise AuthFailed(401, "camera needs credentials", method)
            if not self._auth.challenged(reply.get_all("www-authenticate")):
                raise AuthFailed(401, "credentials refused", method)
        else:
            raise AuthFailed(401, "credentials refused", method)
        if not 200 <= reply.status < 300:
            raise RtspError(reply.status, reply.reason, method)
        return reply

    async def _exchange(
        self, method: str, url: str, headers: dict[str, str], timeout: float
    ) -> Response:
        future: asyncio.Future[Response] = self._loop.create_future()
        cseq = self._send(method, url, headers)
        self._pending[cseq] = future
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError as exc:
            raise StreamTimeout(f"no answer to {method} within {timeout:g} s") from exc
        finally:
            self._pending.pop(cseq, None)

    def _send(self, method: str, url: str, headers: dict[str, str]) -> int:
        if self._error is not None:
            raise self._error
        if self._transport is None or self._transport.is_closing():
            raise StreamEnded("connection closed")
        self._cseq += 1
        headers = dict(headers)
        authorization = self._auth.header(method, url)
        if authorization:
            headers["Authorization"] = authorization
        if self.session_id:
            headers["Session"] = self.session_id
        self._transport.write(format_request(method, url, self._cseq, headers))
        return self._cseq

    def _message(self, message: Response) -> None:
        future = self._pending.get(message.cseq)
        if future is not None and not future.done() and message.status:
            future.set_result(message)
        elif message.status and not 200 <= message.status < 300:
            log.debug("%s: unsolicited RTSP %s %s", self.url, message.status, message.reason)

    # -- timers ------------------------------------------------------------------------

    def _keepalive(self) -> None:
        if self._closed or self._error is not None:
            return
        try:
            url = self.info.control if self.info is not None else self.url
            self._send(self._keepalive_method, url, {})  # the answer is not awaited
        except RtspClientError:
            return
        self._timers[1] = self._loop.call_later(self._keepalive_interval(), self._keepalive)

    def _watchdog(self) -> None:
        if self._closed or self._error is not None:
            return
        now = self._loop.time()
        if self._ready or self._paused:
            due = now + self.read_timeout  # the consumer is behind, not the camera
        elif now - self._last_video >= self.read_timeout:
            self._fail(StreamTimeout(f"no video for {self.read_timeout:g} s"))
            return
        else:
            due = self._last_video + self.read_timeout
        self._timers[0] = self._loop.call_at(due, self._watchdog)

    def _cancel_timers(self) -> None:
        for timer in self._timers:
            timer.cancel()

    # -- the connection ----------------------------------------------------------------

    def _received(self, nbytes: int) -> None:
        buffer = self._buffer
        try:
            buffer.filled(nbytes)
        except ProtocolError as exc:
            self._fail(exc)
            return
        if buffer.frames:
            buffer.frames = 0
            self._last_video = self._loop.time()
        if self._ready:
            self._wake()
            if len(self._ready) >= MAX_QUEUED and not self._paused and self._transport:
                self._paused = True
                self._transport.pause_reading()

    def _resume(self) -> None:
        self._paused = False
        if self._transport is not None and not self._transport.is_closing():
            self._transport.resume_reading()

    def _lost(self, exc: Exception | None) -> None:
        if not self._closed:
            detail = f": {exc}" if exc else ""
            self._fail(StreamEnded(f"camera closed the connection{detail}"))
            return
        self._finished = True  # closing, and the camera hung up first: the end
        ended = StreamEnded("connection closed during TEARDOWN")
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ended)
        self._wake()

    def _fail(self, error: RtspClientError) -> None:
        if self._error is None:
            self._error = error
        self._cancel_timers()
        for future in self._pending.values():
            if not future.done():
                future.set_exception(error)
        if self._transport is not None:
            self._transport.abort()
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    @staticmethod
    def _no_rtp(frame: memoryview) -> None:
        """Interleaved data before SETUP answered: nothing can be on our channel yet."""


def _interleaved_channel(transport: str) -> int:
    """The RTP channel the camera chose (RFC 2326 §12.39 'interleaved=a-b')."""
    for param in transport.split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "interleaved":
            first = value.split("-")[0].strip()
            if first.isdigit() and int(first) < 256:
                return int(first)
            raise ProtocolError("bad interleaved channel in the Transport answer")
    if "TCP" not in transport.upper():
        raise ProtocolError("the camera did not accept RTP over the RTSP connection")
    return 0
