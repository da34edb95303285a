"""Shared live video on the wire: the watermarked WebSocket relay and HLS sessions.

Owns: `watermarked` (a stream's live messages through a `WatermarkTranscoder`, the
encoding on a worker thread so the event loop never waits for x264), `ShareRelay` (fMP4
fragments to the share viewer page, as the wall's player expects them) and
`HlsSessions` (a rolling window of fMP4 segments per recipient and camera, for external
players).

Invariants:
- nothing here authorizes: the web layer calls `shares.authorize` first; both paths then
  re-check the share every `revocation_check_s` with `still_valid`, so a revoked or
  expired share stops its open streams within about a second (the WebSocket is closed
  with 1008, an HLS session is dropped and its segment URLs answer 404);
- the web viewers of one share's camera stream share one transcoder (`SharedEncode`:
  the mark names the share's recipient, the same for every viewer, so one x264 serves
  them all; a viewer who joins gets the last init and a forced IDR, and a viewer who
  falls behind skips to the next keyframe without holding the others up); the encode
  stops with its last viewer; each HLS session has its own transcoder (its GOP is the
  segment length);
- an HLS session nobody fetched for `hls_idle_s` stops; its segment URLs carry a random
  session key, not the share token, so the token is not repeated on every request.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import secrets
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import WebSocket

from gwanje.clock import Clock
from gwanje.media import fmp4
from gwanje.media.live.client import LiveUnavailable, open_live
from gwanje.media.live.mse import MseMuxer, forward
from gwanje.media.live.wire import LiveUnit, StreamInit, WireError
from gwanje.sharing.transcode import WatermarkTranscoder

log = logging.getLogger(__name__)
SEOUL = ZoneInfo("Asia/Seoul")
RETRY_SECONDS = 2.0
WINDOW = 6  # segments kept per HLS session

Validity = Callable[[], Awaitable[str | None]]  # None while the share may go on


def clock_text(clock: Clock) -> Callable[[], str]:
    return lambda: clock.now().astimezone(SEOUL).strftime("%Y-%m-%d %H:%M:%S KST")


def watermark_line(share_id: int, watermark: str) -> str:
    return f"{watermark} #{share_id}"


async def watermarked(
    directory: Path, camera_id: int, stream: str, transcoder: WatermarkTranscoder
) -> AsyncIterator[StreamInit | LiveUnit]:
    """The stream's messages re-encoded with the watermark; LiveUnavailable if no worker
    serves it, WireError on bad data; ends when the worker's stream ends."""
    messages = await open_live(directory, camera_id, stream)
    loop = asyncio.get_running_loop()
    try:
        async for message in messages:
            for out in await loop.run_in_executor(None, transcoder.feed, message):
                yield out
    finally:
        await messages.aclose()


async def watch(validity: Validity, every: float) -> str:
    """Return the reason once the share may no longer be used."""
    while True:
        await asyncio.sleep(every)
        reason = await validity()
        if reason is not None:
            return reason


OFFLINE = None  # in a viewer's queue: the recorder's stream ended or is not there
VIEWER_QUEUE = 50  # units (2 s at 25 fps) before a slow viewer skips to a keyframe
Message = StreamInit | LiveUnit | None


class Viewer:
    """One web viewer's place in a `SharedEncode`: a bounded queue of messages."""

    def __init__(self, init: StreamInit | None) -> None:
        self.queue: asyncio.Queue[Message] = asyncio.Queue(VIEWER_QUEUE)
        self.waiting_key = True  # units are passed on from the next keyframe
        if init is not None:
            self.queue.put_nowait(init)

    def offer(self, message: Message, init: StreamInit | None) -> None:
        if isinstance(message, LiveUnit):
            if self.waiting_key and not message.keyframe:
                return
            self.waiting_key = False
        elif message is OFFLINE:
            self.waiting_key = True
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:  # behind: start again from the init and a keyframe
            while not self.queue.empty():
                self.queue.get_nowait()
            if init is not None:
                self.queue.put_nowait(init)
            self.waiting_key = True

    async def until_offline(self) -> AsyncIterator[StreamInit | LiveUnit]:
        while (message := await self.queue.get()) is not OFFLINE:
            yield message


class SharedEncode:
    """One watermarked encode of a share's camera stream, fanned out to its web viewers."""

    def __init__(self, directory: Path, camera_id: int, stream: str,
                 transcoder: WatermarkTranscoder) -> None:  # fmt: skip
        self.directory, self.camera_id, self.stream = directory, camera_id, stream
        self.transcoder = transcoder
        self.viewers: set[Viewer] = set()
        self.init: StreamInit | None = None
        self._task: asyncio.Task[None] | None = None

    def join(self) -> Viewer:
        viewer = Viewer(self.init)
        self.viewers.add(viewer)
        self.transcoder.force_keyframe()  # so the newcomer starts at once
        if self._task is None:
            self._task = asyncio.ensure_future(self._produce())
        return viewer

    async def leave(self, viewer: Viewer) -> bool:
        """Drop a viewer; True when it was the last (the encode has stopped)."""
        self.viewers.discard(viewer)
        if self.viewers or self._task is None:
            return not self.viewers
        task, self._task = self._task, None
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return not self.viewers  # one may have joined meanwhile (and restarted the encode)

    async def _produce(self) -> None:
        while True:
            try:
                async for message in watermarked(self.directory, self.camera_id, self.stream,
                                                 self.transcoder):  # fmt: skip
                    if isinstance(message, StreamInit):
                        self.init = message
                    for viewer in list(self.viewers):
                        viewer.offer(message, self.init)
            except LiveUnavailable:
                pass
            except WireError:
                log.warning("share relay: bad data from the recorder (camera %s)", self.camera_id)
            self.init = None
            for viewer in list(self.viewers):
                viewer.offer(OFFLINE, None)
            await asyncio.sleep(RETRY_SECONDS)


class SharedEncodes:
    """The running `SharedEncode`s, by share, camera and stream (one per web process)."""

    def __init__(self) -> None:
        self.running: dict[tuple[int, int, str], SharedEncode] = {}

    def of(self, key: tuple[int, int, str], make: Callable[[], SharedEncode]) -> SharedEncode:
        encode = self.running.get(key)
        if encode is None:
            encode = self.running[key] = make()
        return encode

    async def leave(self, key: tuple[int, int, str], encode: SharedEncode, viewer: Viewer) -> None:
        if await encode.leave(viewer) and self.running.get(key) is encode:
            del self.running[key]


class ShareRelay:
    """Watermarked fMP4 to one share viewer page until it leaves or the share ends."""

    def __init__(self, websocket: WebSocket, viewer: Viewer) -> None:
        self.websocket = websocket
        self.viewer = viewer
        self.muxer = MseMuxer()

    async def run(self, validity: Validity, every: float) -> str:
        """Relay; the reason it ended: viewer closed, or the share's (revoked, expired)."""
        tasks: dict[asyncio.Future[Any], str] = {
            asyncio.ensure_future(self._until_closed()): "viewer closed",
            asyncio.ensure_future(self._relay_forever()): "relay ended",
        }
        watcher: asyncio.Future[Any] = asyncio.ensure_future(watch(validity, every))
        try:
            done, _ = await asyncio.wait({*tasks, watcher}, return_when=asyncio.FIRST_COMPLETED)
            if watcher in done:
                return str(watcher.result())
            finished = done.pop()
            finished.result()
            return tasks[finished]
        finally:
            for task in (*tasks, watcher):
                task.cancel()
            await asyncio.gather(*tasks, watcher, return_exceptions=True)

    async def _until_closed(self) -> None:
        while (await self.websocket.receive())["type"] != "websocket.disconnect":
            pass

    async def _relay_forever(self) -> None:
        while True:  # each run: from an init until the recorder's stream goes away
            await forward(self.websocket, self.viewer.until_offline(), self.muxer)
            await self._json({"type": "status", "state": "offline", "detail": ""})

    async def _json(self, message: dict[str, Any]) -> None:
        await self.websocket.send_text(json.dumps(message))


# ---- HLS ------------------------------------------------------------------------------------


@dataclass
class Segment:
    sequence: int
    duration: float
    data: bytes


@dataclass
class HlsSession:
    """One recipient's HLS view of one shared camera."""

    key: str
    share_id: int
    camera_id: int
    view_id: str
    started: Any  # datetime of the start entry
    grant: Any  # shares.Grant
    transcoder: WatermarkTranscoder
    last_fetch: float
    init: bytes | None = None
    segments: deque[Segment] = field(default_factory=lambda: deque(maxlen=WINDOW))
    ended: str | None = None
    task: asyncio.Task[None] | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    def playlist(self) -> str:
        segments = list(self.segments)
        target = max((math.ceil(s.duration) for s in segments), default=2)
        lines = ["#EXTM3U", "#EXT-X-VERSION:7", f"#EXT-X-TARGETDURATION:{target}",
                 f"#EXT-X-MEDIA-SEQUENCE:{segments[0].sequence if segments else 0}",
                 f'#EXT-X-MAP:URI="hls/{self.key}/init.mp4"']  # fmt: skip
        for segment in segments:
            lines += [f"#EXTINF:{segment.duration:.3f},", f"hls/{self.key}/{segment.sequence}.m4s"]
        return "\n".join(lines) + "\n"


class _Segmenter:
    """Cuts a stream's units into fMP4 segments at keyframes."""

    def __init__(self, target_s: float) -> None:
        self.target = target_s * 90_000
        self.base: int | None = None
        self.units: list[LiveUnit] = []
        self.sequence = 0

    def push(self, unit: LiveUnit) -> Segment | None:
        if self.base is None:
            if not unit.keyframe:
                return None
            self.base = unit.rtp_timestamp
        done = None
        if (
            unit.keyframe
            and self.units
            and unit.rtp_timestamp - self.units[0].rtp_timestamp >= self.target * 0.5
        ):
            done = self._cut(unit.rtp_timestamp)
        self.units.append(unit)
        return done

    def _cut(self, next_ts: int) -> Segment:
        assert self.base is not None
        units, self.units = self.units, []
        stamps = [u.rtp_timestamp for u in units] + [next_ts]
        samples = [fmp4.Sample(u.data, max(1, stamps[i + 1] - stamps[i]), u.keyframe)
                   for i, u in enumerate(units)]  # fmt: skip
        self.sequence += 1
        data = fmp4.fragment(self.sequence, max(0, units[0].rtp_timestamp - self.base), samples)
        return Segment(self.sequence, (next_ts - units[0].rtp_timestamp) / 90_000, data)


class HlsSessions:
    """Every open HLS session of this web process (kept in `app.state`)."""

    def __init__(self) -> None:
        self.by_key: dict[str, HlsSession] = {}

    def find(self, share_id: int, camera_id: int, owner: str) -> HlsSession | None:
        for session in self.by_key.values():
            if (session.share_id, session.camera_id, session.grant.recipient) == (
                share_id, camera_id, owner,
            ) and session.ended is None:  # fmt: skip
                return session
        return None

    def get(self, key: str) -> HlsSession | None:
        for known, session in self.by_key.items():
            if secrets.compare_digest(known, key):
                return session
        return None

    def start(self, session: HlsSession, produce: Callable[[HlsSession], Awaitable[None]]) -> None:
        self.by_key[session.key] = session
        session.task = asyncio.ensure_future(produce(session))

    def drop(self, session: HlsSession) -> None:
        self.by_key.pop(session.key, None)


async def produce(
    session: HlsSession, directory: Path, stream: str, segment_s: float, idle_s: float,
    validity: Validity, every: float, ended: Callable[[HlsSession, str], Awaitable[None]],
) -> None:  # fmt: skip
    """Fill the session's window until it idles out or the share ends; then `ended`."""
    loop = asyncio.get_running_loop()
    fill = asyncio.ensure_future(_fill(session, directory, stream, segment_s))

    async def idle() -> str:
        while loop.time() - session.last_fetch < idle_s:
            await asyncio.sleep(min(1.0, idle_s))
        return "idle"

    waits = {asyncio.ensure_future(watch(validity, every)), asyncio.ensure_future(idle())}
    reason = "error"
    try:
        done, _ = await asyncio.wait({*waits, fill}, return_when=asyncio.FIRST_COMPLETED)
        first = done.pop()
        reason = "stream ended" if first is fill else str(first.result())
    except Exception:  # the session ends; the web process and other views go on
        log.exception("hls session of share %s failed", session.share_id)
    finally:
        session.ended = reason
        session.ready.set()
        for task in (*waits, fill):
            task.cancel()
        await asyncio.gather(*waits, fill, return_exceptions=True)
        with contextlib.suppress(Exception):
            await ended(session, reason)


async def _fill(session: HlsSession, directory: Path, stream: str, segment_s: float) -> None:
    while True:
        segmenter = _Segmenter(segment_s)
        with contextlib.suppress(LiveUnavailable, WireError):
            async for message in watermarked(directory, session.camera_id, stream,
                                             session.transcoder):  # fmt: skip
                if isinstance(message, StreamInit):
                    if session.init is not None and segmenter.base is not None:
                        return  # the picture changed size mid-session: players start over
                    session.init = fmp4.init_segment(message.sps, message.pps, message.width,
                                                     message.height)  # fmt: skip
                    continue
                segment = segmenter.push(message)
                if segment is not None:
                    session.segments.append(segment)
                    if len(session.segments) >= 2:
                        session.ready.set()
        await asyncio.sleep(RETRY_SECONDS)
