"""The bytes of an RTSP connection: RTSP messages and `$`-framed data (RFC 2326 §10.12).

Owns: `ConnectionBuffer`, the receive buffer (filled in place by the socket, large reads)
and the loop that splits it into interleaved frames and RTSP messages.
Invariants: the buffer is one preallocated bytearray the kernel writes into
(`asyncio.BufferedProtocol`), so no bytes object is made per read or per frame; frames
on the video RTP channel are handed over as memoryview slices valid only during the call;
other channels (RTCP, other tracks) are skipped without being looked at; an RTSP message
may arrive between any two frames (keep-alive replies) and is handed over whole;
anything that is neither is a `ProtocolError`.
"""

from __future__ import annotations

from collections.abc import Callable

from gwanje.media.rtsp.errors import ProtocolError
from gwanje.media.rtsp.message import MAX_BODY, MAX_HEADER, Response, parse_message

INITIAL_SIZE = 128 * 1024  # a read takes what the socket holds, up to this
MAX_SIZE = MAX_HEADER + MAX_BODY + 65_540  # the largest message plus one frame


class ConnectionBuffer:
    def __init__(
        self,
        on_rtp: Callable[[memoryview], None],
        on_message: Callable[[Response], None],
        size: int = INITIAL_SIZE,
    ) -> None:
        self.on_rtp = on_rtp
        self.on_message = on_message
        self.rtp_channel = -1  # set once SETUP has answered
        self.frames = 0  # frames on the RTP channel since the caller last reset it
        self._buf = bytearray(size)
        self._view = memoryview(self._buf)
        self._end = 0

    def get_buffer(self) -> memoryview:
        """Free space for the socket to fill (never empty: `filled` keeps room)."""
        return self._view[self._end :]

    def _resize(self, size: int) -> None:
        old = bytes(self._view[: self._end])
        self._view.release()
        self._buf = bytearray(size)
        self._buf[: len(old)] = old
        self._view = memoryview(self._buf)

    def filled(self, count: int) -> None:
        """The socket wrote `count` bytes: hand over every complete item, keep the rest."""
        self._end += count
        used = self._split(self._end)
        left = self._end - used
        if used and left:
            self._buf[:left] = self._view[used : self._end].tobytes()
        self._end = left
        if left == len(self._buf):  # one message or frame fills the buffer: grow it
            if len(self._buf) >= MAX_SIZE:
                raise ProtocolError("RTSP message too large")
            self._resize(min(2 * len(self._buf), MAX_SIZE))

    def _split(self, end: int) -> int:
        buf, view, pos = self._buf, self._view, 0
        channel, on_rtp = self.rtp_channel, self.on_rtp
        while end - pos >= 4:
            if buf[pos] == 0x24:  # '$'
                stop = pos + 4 + ((buf[pos + 2] << 8) | buf[pos + 3])
                if stop > end:
                    break
                if buf[pos + 1] == channel:
                    self.frames += 1
                    on_rtp(view[pos + 4 : stop])
                pos = stop
                continue
            parsed = parse_message(buf, pos, end)
            if parsed is None:
                break
            message, pos = parsed
            self.on_message(message)
        return pos
