"""Helpers for camera-simulator tests: a real PyAV client and a raw RTSP client."""

from __future__ import annotations

import re
import socket
import struct
from dataclasses import dataclass, field
from typing import Any

import av
from av.container import InputContainer

# Probe little: the SDP already says everything; keeps each open well under a second.
FAST = {"probesize": "32", "analyzeduration": "0"}


def open_rtsp(url: str, transport: str = "tcp", **options: str) -> InputContainer:
    opts = {"rtsp_transport": transport, **FAST, **options}
    return av.open(url, options=opts, timeout=(10.0, 10.0))


@dataclass
class VideoPacket:
    dts: int | None
    key: bool
    size: int


def read_video(container: InputContainer, count: int) -> list[VideoPacket]:
    """The next `count` non-empty video packets (timestamps in 1/90000 s)."""
    stream = container.streams.video[0]
    out: list[VideoPacket] = []
    for packet in container.demux(stream):
        if packet.size:
            out.append(VideoPacket(packet.dts, packet.is_keyframe, packet.size))
            if len(out) >= count:
                break
    return out


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class RawClient:
    """A minimal RTSP client on a plain socket, for what PyAV cannot send or show."""

    port: int
    sock: socket.socket = field(init=False)
    buffer: bytes = b""
    cseq: int = 0

    def __post_init__(self) -> None:
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def request(self, method: str, url: str, **headers: str) -> RawResponse:
        self.cseq += 1
        lines = [f"{method} {url} RTSP/1.0", f"CSeq: {self.cseq}"]
        lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode())
        return self.response()

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by server")
        self.buffer += chunk

    def response(self) -> RawResponse:
        while True:
            self._skip_interleaved()
            if b"\r\n\r\n" in self.buffer and not self.buffer.startswith(b"$"):
                break
            self._fill()
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])
        }
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            self._fill()
            head, _, rest = self.buffer.partition(b"\r\n\r\n")
        self.buffer = rest[length:]
        return RawResponse(int(lines[0].split(" ")[1]), headers, rest[:length])

    def _skip_interleaved(self) -> None:
        while self.buffer.startswith(b"$") and len(self.buffer) >= 4:
            (length,) = struct.unpack(">H", self.buffer[2:4])
            if len(self.buffer) < 4 + length:
                return
            self.buffer = self.buffer[4 + length :]

    def interleaved(self) -> tuple[int, bytes]:
        """The next `$`-framed packet (channel, data)."""
        while len(self.buffer) < 4:
            self._fill()
        assert self.buffer[:1] == b"$", self.buffer[:40]
        channel, length = struct.unpack(">BH", self.buffer[1:4])
        while len(self.buffer) < 4 + length:
            self._fill()
        data = self.buffer[4 : 4 + length]
        self.buffer = self.buffer[4 + length :]
        return channel, data

    def play_tcp(self, url: str, *tracks: int, **headers: str) -> str:
        """SETUP the given tracks over TCP and PLAY; returns the session id."""
        session = ""
        for track in tracks or (0,):
            extra = {"Session": session} if session else {}
            reply = self.request(
                "SETUP",
                f"{url}/trackID={track}",
                Transport=f"RTP/AVP/TCP;unicast;interleaved={2 * track}-{2 * track + 1}",
                **extra,
                **headers,
            )
            assert reply.status == 200, reply
            session = reply.headers["session"].split(";")[0]
        reply = self.request("PLAY", url, Session=session, **headers)
        assert reply.status == 200, reply
        return session


def rtp_header(data: bytes) -> dict[str, Any]:
    b0, b1, seq, ts, ssrc = struct.unpack(">BBHII", data[:12])
    return {
        "version": b0 >> 6,
        "marker": bool(b1 & 0x80),
        "pt": b1 & 0x7F,
        "seq": seq,
        "ts": ts,
        "ssrc": ssrc,
        "payload": data[12:],
    }


def sdp_attr(sdp: str, pattern: str) -> list[str]:
    return re.findall(pattern, sdp, flags=re.MULTILINE)
