"""RTSP/1.0 message framing (RFC 2326 §6-7, §10.12): parsing requests, writing responses.

Owns: `RequestParser` (bytes in, `Request`s and interleaved frames out), `Request`,
`RtspError`, `response`, URL splitting.
Invariants: the parser never buffers more than `MAX_HEAD` bytes of header or `MAX_BODY`
bytes of body and never raises anything but `RtspError`; anything it cannot frame is a
400, after which the connection is closed because the byte stream has lost its framing.
Header names are case-insensitive (§4.2), so they are stored lower-cased.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

MAX_HEAD = 8192
MAX_BODY = 16384
MAX_HEADERS = 64
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,31}")  # a method (GET_PARAMETER has '_')
SERVER = "Gwanje-camsim/1.0"

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Request Entity Too Large",
    451: "Parameter Not Understood",
    454: "Session Not Found",
    455: "Method Not Valid in This State",
    459: "Aggregate Operation Not Allowed",
    461: "Unsupported Transport",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    505: "RTSP Version Not Supported",
}


class RtspError(Exception):
    """A request that gets an error status; `close` when the connection cannot go on."""

    def __init__(
        self,
        status: int,
        detail: str = "",
        *,
        close: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {detail}")
        self.status = status
        self.detail = detail
        self.close = close
        self.headers = headers or {}


@dataclass
class Request:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes = b""
    cseq: str = "0"
    version: str = "RTSP/1.0"

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Interleaved:
    """A `$`-framed binary packet sent by the client (usually an RTCP receiver report)."""

    channel: int
    data: bytes


@dataclass
class RequestParser:
    buffer: bytearray = field(default_factory=bytearray)

    def next(self) -> Request | Interleaved | None:
        """The next complete message in the buffer, or None until more bytes arrive."""
        buf = self.buffer
        while buf[:2] == b"\r\n" or buf[:1] == b"\n":  # stray line ends between messages
            del buf[: 2 if buf[:1] == b"\r" else 1]
        if not buf:
            return None
        if buf[0] == 0x24:  # '$'
            if len(buf) < 4:
                return None
            channel, length = struct.unpack_from(">BH", buf, 1)
            if len(buf) < 4 + length:
                return None
            frame = Interleaved(channel, bytes(buf[4 : 4 + length]))
            del buf[: 4 + length]
            return frame
        end, sep = _find_head_end(buf)
        if end < 0:
            if len(buf) > MAX_HEAD:
                raise RtspError(400, "header too large", close=True)
            return None
        if end > MAX_HEAD:
            raise RtspError(400, "header too large", close=True)
        request = parse_head(bytes(buf[:end]))
        length = _content_length(request)
        total = end + sep + length
        if len(buf) < total:
            return None
        request.body = bytes(buf[end + sep : total])
        del buf[:total]
        return request


def _find_head_end(buf: bytearray) -> tuple[int, int]:
    crlf = buf.find(b"\r\n\r\n")
    lf = buf.find(b"\n\n")
    if lf >= 0 and (crlf < 0 or lf < crlf):
        return lf, 2
    return crlf, 4


def _content_length(request: Request) -> int:
    raw = request.header("content-length")
    if raw is None:
        return 0
    if not raw.strip().isdigit():
        raise RtspError(400, "bad Content-Length", close=True)
    length = int(raw)
    if length > MAX_BODY:
        raise RtspError(413, "body too large", close=True)
    return length


def parse_head(head: bytes) -> Request:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RtspError(400, "not UTF-8", close=True) from exc
    lines = text.replace("\r\n", "\n").split("\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]) or not parts[2].startswith("RTSP/"):
        raise RtspError(400, "malformed request line", close=True)
    method, url, version = parts
    headers: dict[str, str] = {}
    if len(lines) - 1 > MAX_HEADERS:
        raise RtspError(400, "too many headers", close=True)
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not name.strip() or " " in name.strip():
            raise RtspError(400, "malformed header line", close=True)
        headers[name.strip().lower()] = value.strip()
    cseq = headers.get("cseq", "")
    if not cseq.isdigit() or len(cseq) > 10:
        raise RtspError(400, "missing or bad CSeq", close=True)
    # A wrong version is answered (505) by the dispatcher: the message is framed fine.
    return Request(method.upper(), url, headers, cseq=cseq, version=version[:16])


def response(
    status: int, cseq: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> bytes:
    lines = [
        f"RTSP/1.0 {status} {REASONS.get(status, 'Error')}",
        f"CSeq: {cseq}",
        f"Server: {SERVER}",
        f"Date: {formatdate(usegmt=True)}",
    ]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body or status != 200:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def url_path(url: str) -> str:
    """The decoded path of an rtsp:// URL (or of a bare path), without a trailing slash."""
    if url.startswith("/"):
        path = url
    else:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("rtsp", "rtspu", "rtsps"):
            raise RtspError(400, "not an rtsp URL")
        path = parts.path
    return unquote(path.split("?", 1)[0]).rstrip("/")
