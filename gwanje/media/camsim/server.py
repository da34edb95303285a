"""The camera simulator server: N cameras, each with a main and a sub stream, on one port.

Owns: `ServerConfig`, `CamsimServer` (the listening socket, the shared UDP socket pair,
the cameras, the streamer task, session bookkeeping) and the per-camera fault switches
and counters (`faults.py` drives them).
Invariants: everything here runs on one event loop thread (the thread-safe surface is
`harness.CamsimHandle`); cameras are numbered from 1 and get scene variants round-robin
(camera i shows variant (i-1) mod V); clips are compiled to packet templates once and
shared; `close()` leaves no socket, task or timer behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from dataclasses import dataclass

from gwanje.media.camsim import sdp
from gwanje.media.camsim.auth import DigestAuth
from gwanje.media.camsim.clips import ClipSet
from gwanje.media.camsim.onvif.server import OnvifServer
from gwanje.media.camsim.profile import STREAMS, StreamName
from gwanje.media.camsim.ptzvideo import PtzRig
from gwanje.media.camsim.rtsp import RtspConnection
from gwanje.media.camsim.state import Camera, CameraMedia, Session
from gwanje.media.camsim.streamer import Streamer
from gwanje.media.camsim.timeline import compile_audio, compile_video

log = logging.getLogger(__name__)

UDP_SNDBUF = 4 * 1024 * 1024  # room for IDR bursts to many UDP sessions


@dataclass(frozen=True)
class ServerConfig:
    cameras: int = 4
    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port (tests); the CLI defaults to 8554
    user: str | None = None
    password: str | None = None
    session_timeout: int = 60  # seconds without a request or RTCP before a session ends
    udp: bool = True
    # Keep when each video frame was sent (RTP timestamp -> wall time), for latency
    # benchmarks; off by default (a small ring per camera stream).
    log_send_times: bool = False
    # Cameras 1..ptz_cameras are PTZ cameras: their picture is a digital pan/tilt/zoom,
    # encoded live, steered through an ONVIF device on `onvif_port` (0: any free port).
    ptz_cameras: int = 0
    onvif_port: int = 0


class CamsimServer:
    def __init__(self, config: ServerConfig, clips: ClipSet) -> None:
        if config.cameras < 1:
            raise ValueError("at least one camera")
        if not 0 <= config.ptz_cameras <= config.cameras:
            raise ValueError("ptz_cameras must be between 0 and cameras")
        self.config = config
        self.clips = clips
        self.fps = clips.profile.fps
        media = [
            CameraMedia(
                v.label, compile_video(v.main), compile_video(v.sub), compile_audio(v.audio)
            )
            for v in clips.variants
        ]
        frames = clips.profile.frames
        count = len(media)
        self.cameras = [
            Camera(i + 1, media[i % count], phase=(i // count) * 13 % frames)
            for i in range(config.cameras)
        ]
        for camera in self.cameras[: config.ptz_cameras]:
            _make_ptz(camera, clips)
        self.onvif: OnvifServer | None = (
            OnvifServer(self, config.host, config.onvif_port) if config.ptz_cameras else None
        )
        self.auth = (
            DigestAuth(config.user, config.password or "") if config.user is not None else None
        )
        # Used only to challenge clients of a camera whose auth fault is on.
        self.refusing_auth = DigestAuth("", "")
        self.connections: set[RtspConnection] = set()
        self.udp_ports: tuple[int, int] | None = None
        self._udp: list[socket.socket] = []
        self.streamer = Streamer(self.fps, None, None)
        if config.log_send_times:
            self.streamer.send_times = {}
        self.streamer.housekeeping = self._housekeeping
        self._server: asyncio.Server | None = None
        self._ticker: asyncio.Task[None] | None = None
        self.port = 0

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self.config.udp:
            self._open_udp(loop)
        self._server = await loop.create_server(
            lambda: RtspConnection(self),
            self.config.host,
            self.config.port,
            reuse_address=True,
            backlog=1024,
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        if self.onvif is not None:
            await self.onvif.start()
        self._ticker = asyncio.create_task(self.streamer.run(), name="camsim-ticker")

    def _open_udp(self, loop: asyncio.AbstractEventLoop) -> None:
        """An RTP/RTCP socket pair (even, odd port) shared by every UDP session."""
        for _ in range(64):
            rtp_sock = _udp_socket(self.config.host, 0)
            port = rtp_sock.getsockname()[1]
            if port % 2 == 0 and port < 65535:
                try:
                    rtcp_sock = _udp_socket(self.config.host, port + 1)
                except OSError:
                    rtp_sock.close()
                    continue
                break
            rtp_sock.close()
        else:
            log.warning("camsim: no UDP port pair found; UDP transport disabled")
            return
        self._udp = [rtp_sock, rtcp_sock]
        self.udp_ports = (port, port + 1)
        self.streamer.rtp_sock, self.streamer.rtcp_sock = rtp_sock, rtcp_sock
        for sock in self._udp:  # drain receiver reports and NAT probes; they carry nothing
            loop.add_reader(sock.fileno(), _drain, sock)

    async def close(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        if self._server is not None:
            self._server.close()
        if self.onvif is not None:
            await self.onvif.close()
        for conn in list(self.connections):
            conn.abort()
        loop = asyncio.get_running_loop()
        for sock in self._udp:
            loop.remove_reader(sock.fileno())
            sock.close()
        self._udp = []
        if self._server is not None:
            await self._server.wait_closed()

    # -- lookups used by the method handlers -------------------------------------------------

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    def camera(self, index: int) -> Camera:
        if not 1 <= index <= len(self.cameras):
            raise ValueError(f"no camera {index} (have 1..{len(self.cameras)})")
        return self.cameras[index - 1]

    def camera_by_name(self, name: str) -> Camera | None:
        if not name.startswith("cam") or not name[3:].isdigit() or len(name) > 10:
            return None
        index = int(name[3:])
        return self.cameras[index - 1] if 1 <= index <= len(self.cameras) else None

    def sdp(self, camera: Camera, stream: StreamName) -> str:
        track = camera.media.video(stream)
        profile = self.clips.profile
        name = f"{camera.name} {stream} (Gwanje camsim, variant {camera.media.label})"
        return sdp.describe(
            name,
            1000 + camera.index,
            self.config.host,
            track.clip,
            camera.media.audio.clip,
            self.fps,
            profile.stream(stream).bitrate,
            profile.audio_bitrate,
        )

    def url(self, index: int, stream: StreamName = "main") -> str:
        self.camera(index)
        host = self.config.host
        host = f"[{host}]" if ":" in host else host
        return f"rtsp://{host}:{self.port}/cam{index}/{stream}"

    # -- sessions -------------------------------------------------------------------------

    def end_session(self, session: Session) -> None:
        session.playing = False
        self.streamer.remove(session)
        session.conn.sessions.pop(session.id, None)
        session.camera.sessions.discard(session)

    def connection_gone(self, conn: RtspConnection) -> None:
        self.connections.discard(conn)
        for session in list(conn.sessions.values()):
            self.end_session(session)

    def _housekeeping(self, tick: int) -> None:
        """Once a second: end sessions whose client went quiet (RFC 2326 §12.37)."""
        deadline = self.now() - self.config.session_timeout
        for camera in self.cameras:
            for session in [s for s in camera.sessions if s.last_seen < deadline]:
                log.info("camsim: session %s on %s timed out", session.id, camera.name)
                self.end_session(session)


def _make_ptz(camera: Camera, clips: ClipSet) -> None:
    """Give a camera a PTZ rig; its SDP describes the live encoders' streams."""
    rig = PtzRig.build(clips.profile)
    main, sub = (compile_video(rig.encoders[s].describe(rig.head.position)) for s in STREAMS)
    camera.media = CameraMedia(f"{camera.media.label}-ptz", main, sub, camera.media.audio)
    camera.ptz = rig


def _udp_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, UDP_SNDBUF)
        sock.setblocking(False)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _drain(sock: socket.socket) -> None:
    for _ in range(64):
        try:
            sock.recv(2048)
        except OSError:
            return
