"""The bell side of an emergency call's voice (비상벨 통화 음성, ORD-10.2), simulated: a
WebRTC peer (aiortc) per call, behind a tiny HTTP signalling endpoint Gwanje talks to.

```
POST   /calls/<call_id>  {"sdp", "type": "offer", "bell"}  → {"sdp", "type": "answer"}
GET    /calls/<call_id>                                   → the leg's figures
DELETE /calls/<call_id>                                   → hang up; the final figures
```

Each leg sends a synthetic voice-like sound (a 150 Hz buzz with harmonics, its loudness
rising and falling four times a second like syllables) and counts what it receives
(packets, decoded frames, the loudest sample). Invariants: audio lives only in memory,
frame by frame; nothing here opens a file (no recorder, no temp file); a new offer for a
call replaces its leg; hanging up closes the peer connection at once and keeps only the
figures. Owns no Gwanje state: Gwanje decides who may talk (docs/design/bells.md).
"""

from __future__ import annotations

import asyncio
import fractions
import hmac
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import av
import numpy as np
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

RATE = 48_000
FRAME = 960  # 20 ms
PATH = re.compile(r"^/calls/(\d+)$")


class VoiceLikeTone(MediaStreamTrack):
    """Mono 48 kHz s16, paced in real time: what a citizen at the pole would say."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._pts = 0
        self._start: float | None = None

    async def recv(self) -> av.AudioFrame:
        if self._start is None:
            self._start = time.monotonic()
        wait = self._start + self._pts / RATE - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        t = (self._pts + np.arange(FRAME)) / RATE
        voiced = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in (1, 2, 3, 4))
        syllables = 0.55 + 0.45 * np.sin(2 * np.pi * 4 * t)
        samples = (voiced * syllables * 6000).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RATE)
        self._pts += FRAME
        return frame


@dataclass
class Leg:
    """One call's peer connection and what it has measured."""

    pc: RTCPeerConnection
    bell: str
    codec: str = ""
    started: float = field(default_factory=time.monotonic)
    frames_received: int = 0
    peak_received: int = 0
    final: dict[str, Any] | None = None  # set when hung up
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def consume(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if not isinstance(frame, av.AudioFrame):
                continue
            self.frames_received += 1
            peak = int(np.abs(frame.to_ndarray().astype(np.int32)).max(initial=0))
            self.peak_received = max(self.peak_received, peak)

    async def figures(self) -> dict[str, Any]:
        if self.final is not None:
            return self.final
        out: dict[str, Any] = {"live": True, "bell": self.bell, "codec": self.codec,
                               "frames_received": self.frames_received,
                               "peak_received": self.peak_received,
                               "seconds": round(time.monotonic() - self.started, 3)}  # fmt: skip
        counts = {"packets_received": 0, "bytes_received": 0, "packets_sent": 0, "bytes_sent": 0}
        for stat in (await self.pc.getStats()).values():
            if stat.type == "inbound-rtp":
                counts["packets_received"] += stat.packetsReceived
            elif stat.type == "outbound-rtp":
                counts["packets_sent"] += stat.packetsSent
                counts["bytes_sent"] += stat.bytesSent
            elif stat.type == "transport":
                counts["bytes_received"] += stat.bytesReceived  # DTLS/SRTP bytes in
        return out | counts

    async def hang_up(self) -> dict[str, Any]:
        if self.final is None:
            self.final = await self.figures() | {"live": False}
            await self.pc.close()
        return self.final


async def _drain() -> None:
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def codec_of(sdp: str) -> str:
    """The first payload type of the audio m-line, as `name/rate/channels`."""
    m = re.search(r"^m=audio \S+ \S+ (\d+)", sdp, re.M)
    if m is None:
        return ""
    found = re.search(rf"^a=rtpmap:{m.group(1)} (\S+)", sdp, re.M)
    return found.group(1) if found else ""


class BellVoice:
    """The simulated gateway's voice side: an asyncio loop thread plus an HTTP server."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 token: str | None = None) -> None:  # fmt: skip
        self.token = token  # like a real gateway: signalling needs the shared secret
        self.refused = 0
        self.loop = asyncio.new_event_loop()
        self.legs: dict[int, Leg] = {}
        self._loop_thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.http = ThreadingHTTPServer((host, port), _handler(self))
        self._http_thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.http.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> BellVoice:
        self._loop_thread.start()
        self._http_thread.start()
        return self

    def stop(self) -> None:
        for call_id in list(self.legs):
            self.run(self.hang_up(call_id))
        self.http.shutdown()
        self.http.server_close()
        self.close_loop()

    def close_loop(self) -> None:
        """Cancel what still runs on the loop (aiortc's own tasks too), then stop it."""
        self.run(_drain())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._loop_thread.join(timeout=5)
        self.loop.close()

    def run(self, job: Any, timeout: float = 20.0) -> Any:
        return asyncio.run_coroutine_threadsafe(job, self.loop).result(timeout)

    async def answer(self, call_id: int, bell: str, offer: str) -> str:
        old = self.legs.get(call_id)
        if old is not None:
            await old.hang_up()
        pc = RTCPeerConnection()
        leg = Leg(pc, bell)
        self.legs[call_id] = leg

        @pc.on("track")
        def _on_track(track: MediaStreamTrack) -> None:
            if track.kind == "audio":
                task = asyncio.ensure_future(leg.consume(track))
                leg.tasks.add(task)
                task.add_done_callback(leg.tasks.discard)

        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        for transceiver in pc.getTransceivers():
            if transceiver.kind == "audio":
                transceiver.sender.replaceTrack(VoiceLikeTone())
                transceiver.direction = "sendrecv"
        await pc.setLocalDescription(await pc.createAnswer())
        leg.codec = codec_of(pc.localDescription.sdp)
        return str(pc.localDescription.sdp)

    async def figures(self, call_id: int) -> dict[str, Any] | None:
        leg = self.legs.get(call_id)
        return None if leg is None else await leg.figures()

    async def hang_up(self, call_id: int) -> dict[str, Any] | None:
        leg = self.legs.get(call_id)
        return None if leg is None else await leg.hang_up()


def _handler(voice: BellVoice) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _reply(self, status: int, body: dict[str, Any] | None) -> None:
            data = json.dumps(body or {}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _call(self) -> int | None:
            m = PATH.match(self.path)
            return int(m.group(1)) if m else None

        def _allowed(self) -> bool:
            if voice.token is None:
                return True
            offered = self.headers.get("Authorization", "")
            if hmac.compare_digest(offered, f"Bearer {voice.token}"):
                return True
            voice.refused += 1
            self._reply(401, {"error": "a bearer token is required"})
            return False

        def do_POST(self) -> None:
            if not self._allowed():
                return
            call_id = self._call()
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if call_id is None or body.get("type") != "offer" or not body.get("sdp"):
                return self._reply(400, {"error": "an offer for /calls/<id> expected"})
            sdp = voice.run(voice.answer(call_id, str(body.get("bell", "")), body["sdp"]))
            self._reply(200, {"type": "answer", "sdp": sdp})

        def do_GET(self) -> None:
            if not self._allowed():
                return
            call_id = self._call()
            found = None if call_id is None else voice.run(voice.figures(call_id))
            self._reply(200 if found else 404, found)

        def do_DELETE(self) -> None:
            if not self._allowed():
                return
            call_id = self._call()
            found = None if call_id is None else voice.run(voice.hang_up(call_id))
            self._reply(200 if found else 404, found)

    return Handler
