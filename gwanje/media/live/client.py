"""Reading a stream's live units from the capture worker that records it.

Owns: `open_live`, which connects to a stream's live socket and yields its messages.
Errors: `LiveUnavailable` when no worker serves the stream (not recorded, not linked,
recorder down); a malformed stream raises `WireError`; the end of the stream ends the
iteration. Nothing here blocks the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from pathlib import Path

from gwanje.media.live.paths import socket_path
from gwanje.media.live.wire import LiveUnit, StreamInit, read_message

READ_LIMIT = 1 << 20


class LiveUnavailable(Exception):
    """No capture worker serves this stream now."""


async def open_live(
    directory: Path, camera_id: int, stream: str
) -> AsyncGenerator[StreamInit | LiveUnit, None]:
    path = socket_path(directory, camera_id, stream)
    try:
        reader, writer = await asyncio.open_unix_connection(str(path), limit=READ_LIMIT)
    except (FileNotFoundError, ConnectionRefusedError) as exc:
        raise LiveUnavailable(f"camera {camera_id} {stream}: not being recorded now") from exc
    return _messages(reader, writer)


async def _messages(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> AsyncGenerator[StreamInit | LiveUnit, None]:
    try:
        while True:
            try:
                message = await read_message(reader)
            except asyncio.IncompleteReadError:
                return
            yield message
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
