"""One RTSP control connection (RFC 2326): framing in, replies and interleaved media out.

Owns: `RtspConnection` (an asyncio Protocol), its sessions and its interleaved channels.
Invariants: a request is answered in order, one at a time; a request for a stalled camera
is held (reading paused) and answered when the stall ends, as a hung camera would; a
request for a camera that is "rebooting" gets the connection reset; a framing error gets
a 400 and the connection closed; an exception while handling one request becomes a 500
for that request only. Nothing a client sends can raise out of this class, so one
client cannot disturb another.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, cast

from gwanje.media.camsim.methods import Hold, Refuse, handle
from gwanje.media.camsim.protocol import Interleaved, Request, RequestParser, RtspError, response
from gwanje.media.camsim.state import Session

if TYPE_CHECKING:
    from gwanje.media.camsim.server import CamsimServer

log = logging.getLogger(__name__)


class RtspConnection(asyncio.Protocol):
    def __init__(self, server: CamsimServer) -> None:
        self.server = server
        self.parser = RequestParser()
        self.transport: asyncio.Transport | None = None
        self.peer_host = ""
        self.sessions: dict[str, Session] = {}
        self.cameras: set[int] = set()  # cameras this connection asked about (for drops)
        self.held: Request | None = None
        self.closed = False

    # -- asyncio.Protocol ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self.peer_host = str(peer[0]) if peer else ""
        self.server.connections.add(self)

    def data_received(self, data: bytes) -> None:
        if self.closed:
            return
        self.parser.buffer += data
        if self.held is None:
            self._process()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.server.connection_gone(self)

    # -- used by the streamer ------------------------------------------------------------

    def backlog(self) -> int:
        return self.transport.get_write_buffer_size() if self.transport else 0

    def write(self, data: bytes | bytearray) -> bool:
        """Queue `data`; False when the connection is closing and nothing was sent."""
        # After a failed send the transport is closing but connection_lost() comes only on
        # the next loop turn; writing meanwhile makes asyncio log one warning per write.
        if self.closed or self.transport is None or self.transport.is_closing():
            return False
        self.transport.write(data)
        return True

    def abort(self) -> None:
        """Reset the connection at once (no FIN, unsent data discarded)."""
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    def close(self) -> None:
        """Close after what is queued has been sent."""
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    # -- request processing --------------------------------------------------------------

    def _process(self) -> None:
        while not self.closed and self.held is None:
            try:
                item = self.parser.next()
            except RtspError as exc:
                self._reply_error(exc, "0")
                return
            if item is None:
                return
            if isinstance(item, Interleaved):
                self._touch_all()  # RTCP receiver reports count as liveness (RFC 2326 §A.4)
                continue
            self._handle(item)

    def _handle(self, request: Request) -> None:
        try:
            reply = handle(self.server, self, request)
        except Hold as hold:
            self._hold(request, hold.until)
            return
        except Refuse:
            self.abort()
            return
        except RtspError as exc:
            self._reply_error(exc, request.cseq)
            return
        except Exception:
            log.exception("camsim: %s %s failed", request.method, request.url[:200])
            self.write(response(500, request.cseq))
            return
        self.write(response(reply.status, request.cseq, reply.headers, reply.body))

    def _reply_error(self, exc: RtspError, cseq: str) -> None:
        self.write(response(exc.status, cseq, exc.headers))
        if exc.close:
            self.close()

    def _hold(self, request: Request, until: float) -> None:
        self.held = request
        if self.transport is not None:
            self.transport.pause_reading()
        asyncio.get_running_loop().call_at(until, self._release)

    def _release(self) -> None:
        request, self.held = self.held, None
        if self.closed or request is None:
            return
        if self.transport is not None:
            self.transport.resume_reading()
        self._handle(request)
        if self.held is None:
            self._process()

    def _touch_all(self) -> None:
        for session in self.sessions.values():
            session.touch()
