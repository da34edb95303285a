"""Just enough HTTP/1.1 for SOAP: POST with a Content-Length body, keep-alive.

Owns: `serve_http` (asyncio streams) and `HttpRequest`.
Invariants: a request is read whole (headers at most 16 KiB, body at most `MAX_BODY`)
before the handler sees it; anything malformed or too large gets a 400/413 and the
connection is closed; a handler's exception is a 500 with no detail, logged here; one
connection never blocks another (each has its own task).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

MAX_HEAD = 16 * 1024
MAX_BODY = 1024 * 1024
IDLE_SECONDS = 30.0
REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    500: "Internal Server Error",
}


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes
    content_type: str = "application/soap+xml; charset=utf-8"


Handler = Callable[[HttpRequest], Awaitable[HttpResponse]]


class HttpServer:
    """A listening socket and the connections it accepted. `close()` ends those too:
    Python 3.11's `Server.close()` leaves kept-alive connections and their handlers
    running, and a loop that then closes destroys them mid-read."""

    def __init__(self) -> None:
        self.connections: set[asyncio.Task[Any]] = set()
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in self.connections:
            task.cancel()
        await asyncio.gather(*self.connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()


async def serve_http(host: str, port: int, handler: Handler) -> HttpServer:
    served = HttpServer()

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            served.connections.add(task)
        try:
            while await _one(reader, writer, handler):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        finally:
            writer.close()
            served.connections.discard(task)  # type: ignore[arg-type]

    served._server = await asyncio.start_server(
        connection, host, port, reuse_address=True, limit=MAX_HEAD
    )
    return served


async def _one(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, handler: Handler
) -> bool:
    """Serve one request; False when the connection should close."""
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE_SECONDS)
    except asyncio.LimitOverrunError:
        await _send(writer, HttpResponse(413, b"", "text/plain"), close=True)
        return False
    request = _parse_head(head)
    if request is None:
        await _send(writer, HttpResponse(400, b"", "text/plain"), close=True)
        return False
    length = int(request.headers.get("content-length", "0") or 0)
    if length > MAX_BODY or length < 0:
        await _send(writer, HttpResponse(413, b"", "text/plain"), close=True)
        return False
    body = await asyncio.wait_for(reader.readexactly(length), IDLE_SECONDS)
    request = HttpRequest(request.method, request.path, request.headers, body)
    try:
        response = await handler(request)
    except Exception:
        log.exception("camsim onvif: %s %s failed", request.method, request.path)
        response = HttpResponse(500, b"", "text/plain")
    close = request.headers.get("connection", "").lower() == "close"
    await _send(writer, response, close)
    return not close


def _parse_head(head: bytes) -> HttpRequest | None:
    try:
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ")
    except ValueError:
        return None
    if not version.startswith("HTTP/1."):
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, sep, value = line.partition(":")
            if not sep:
                return None
            headers[name.strip().lower()] = value.strip()
    if "transfer-encoding" in headers:  # chunked bodies are not needed by SOAP clients
        return None
    if not headers.get("content-length", "0").strip().isdigit():
        return None
    return HttpRequest(method, target.split("?", 1)[0], headers, b"")


async def _send(writer: asyncio.StreamWriter, response: HttpResponse, close: bool) -> None:
    reason = REASONS.get(response.status, "Error")
    head = (
        f"HTTP/1.1 {response.status} {reason}\r\n"
        f"Content-Type: {response.content_type}\r\n"
        f"Content-Length: {len(response.body)}\r\n"
        f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n"
    )
    writer.write(head.encode("latin-1") + response.body)
    await writer.drain()
