"""RTSP/1.0 message text (RFC 2326 §4, §6, §7): requests out, responses in.

Owns: `format_request`, `parse_message` and `Response`.
Invariants: a response is parsed only when its headers and its whole body (Content-Length,
§12.14) are in the buffer; header names are compared case-insensitively; repeated
headers (two WWW-Authenticate challenges) are all kept; a message from the camera that is
a request (some send ANNOUNCE or GET_PARAMETER) is parsed the same way with status 0 so
the caller can skip it; anything else is a `ProtocolError`.
"""

from __future__ import annotations

from dataclasses import dataclass

from gwanje.media.rtsp.errors import ProtocolError

USER_AGENT = "Gwanje"
MAX_HEADER = 64 * 1024
MAX_BODY = 1024 * 1024


@dataclass(frozen=True)
class Response:
    status: int  # 0: the camera sent a request, not a response
    reason: str
    headers: tuple[tuple[str, str], ...]  # (lower-case name, value), in order
    body: bytes

    def get(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)

    def get_all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k == name]

    @property
    def cseq(self) -> int:
        raw = self.get("cseq") or ""
        return int(raw) if raw.strip().isdigit() else -1


def format_request(method: str, url: str, cseq: int, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {url} RTSP/1.0", f"CSeq: {cseq}", f"User-Agent: {USER_AGENT}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def parse_message(buf: bytearray, start: int, end: int) -> tuple[Response, int] | None:
    """The message at `buf[start:end]` and the offset after it; None if incomplete."""
    head_end = buf.find(b"\r\n\r\n", start, end)
    if head_end < 0:
        if end - start > MAX_HEADER:
            raise ProtocolError("RTSP header too long")
        if not _plausible(buf[start : min(end, start + 8)]):
            raise ProtocolError("neither an RTSP message nor interleaved data")
        return None
    text = buf[start:head_end].decode("utf-8", "replace")
    lines = text.split("\r\n")
    status, reason = _first_line(lines[0])
    headers = tuple(_header(line) for line in lines[1:] if line.strip())
    length = _content_length(headers)
    body_at = head_end + 4
    if body_at + length > end:
        return None
    return Response(status, reason, headers, bytes(buf[body_at : body_at + length])), (
        body_at + length
    )


def _plausible(prefix: bytes | bytearray) -> bool:
    """Whether a partial message could still become RTSP: 'RTSP/' or a METHOD token."""
    n = min(len(prefix), 5)
    if prefix[:n] == b"RTSP/"[:n]:
        return True
    word = bytes(prefix).split(b" ", 1)[0]
    return bool(word) and all(65 <= c <= 90 or c == 95 for c in word)


def _first_line(line: str) -> tuple[int, str]:
    parts = line.split(" ", 2)
    if parts[0].startswith("RTSP/") and len(parts) >= 2 and parts[1].isdigit():
        return int(parts[1]), parts[2] if len(parts) > 2 else ""
    if len(parts) == 3 and parts[2].startswith("RTSP/"):
        return 0, parts[0]  # a request from the camera
    raise ProtocolError(f"not an RTSP message: {line[:60]!r}")


def _header(line: str) -> tuple[str, str]:
    name, sep, value = line.partition(":")
    if not sep:
        raise ProtocolError(f"malformed RTSP header: {line[:60]!r}")
    return name.strip().lower(), value.strip()


def _content_length(headers: tuple[tuple[str, str], ...]) -> int:
    raw = next((v for k, v in headers if k == "content-length"), "0")
    if not raw.isdigit() or int(raw) > MAX_BODY:
        raise ProtocolError("bad Content-Length")
    return int(raw)
