"""RTSP method handlers (RFC 2326 §10): what the simulated camera answers.

Owns: `handle` and one function per method; `Reply`, `Hold` and `Refuse`.
Status codes: 400 malformed (from the parser), 401 no or wrong Digest credentials
(§11.3.x via RFC 2617), 404 unknown camera or stream, 454 unknown session, 455 a SETUP
on a playing session, 459 an operation naming a different presentation than the
session's (SETUP of another camera's track into a session, PLAY of another URL),
461 unsupported transport, 501 any other method, 503 too many sessions on a connection.
Invariants: every method but OPTIONS needs credentials when the server has them; the
Session header is checked against this connection's sessions only; a handler either
returns a Reply or raises, and leaves no half-made session behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gwanje.media.camsim.auth import Verdict
from gwanje.media.camsim.profile import StreamName
from gwanje.media.camsim.protocol import Request, RtspError, url_path
from gwanje.media.camsim.sdp import VIDEO_TRACK
from gwanje.media.camsim.state import Camera, Session, TrackSetup
from gwanje.media.camsim.timeline import (
    audio_due,
    audio_position,
    live_position,
    video_position,
)
from gwanje.media.camsim.transport import TransportChoice, parse_transport

if TYPE_CHECKING:
    from gwanje.media.camsim.rtsp import RtspConnection
    from gwanje.media.camsim.server import CamsimServer

PUBLIC = "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER"
MAX_SESSIONS_PER_CONNECTION = 8


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class Hold(Exception):
    """The camera is stalled: answer this request at loop time `until`."""

    def __init__(self, until: float) -> None:
        super().__init__(until)
        self.until = until


class Refuse(Exception):
    """The camera is rebooting: reset the connection instead of answering."""


@dataclass(frozen=True)
class Target:
    camera: Camera
    stream: StreamName
    track: int | None  # None: the aggregate (presentation) URL
    base_url: str  # the presentation URL as the client wrote it, without a trailing '/'


Handler = Callable[["CamsimServer", "RtspConnection", Request], Reply]


def handle(server: CamsimServer, conn: RtspConnection, req: Request) -> Reply:
    if req.version != "RTSP/1.0":
        raise RtspError(505, req.version)
    handler = HANDLERS.get(req.method)
    if handler is None:
        raise RtspError(501, req.method[:32], headers={"Public": PUBLIC})
    return handler(server, conn, req)


# -- shared steps -----------------------------------------------------------------------


def _resolve(server: CamsimServer, conn: RtspConnection, req: Request) -> Target | None:
    """The camera stream a URL names, or None; applies the stall and reboot faults."""
    if req.url == "*":
        return None
    parts = url_path(req.url).strip("/").split("/")
    target = _lookup(server, parts, req.url)
    if target is None:
        return None
    now = server.now()
    if now < target.camera.down_until:
        raise Refuse
    if now < target.camera.stalled_until:
        raise Hold(target.camera.stalled_until)
    conn.cameras.add(target.camera.index)
    return target


def _lookup(server: CamsimServer, parts: list[str], url: str) -> Target | None:
    if len(parts) not in (2, 3) or parts[1] not in ("main", "sub"):
        return None
    camera = server.camera_by_name(parts[0])
    if camera is None:
        return None
    track: int | None = None
    base = url.rstrip("/")
    if len(parts) == 3:
        key, _, value = parts[2].partition("=")
        if key.lower() != "trackid" or value not in ("0", "1"):
            return None
        track = int(value)
        base = base[: base.rstrip("/").rfind("/")]
    stream: StreamName = "main" if parts[1] == "main" else "sub"
    return Target(camera, stream, track, base)


def _authorize(server: CamsimServer, target: Target | None, req: Request) -> None:
    refuse = target is not None and target.camera.refuse_auth
    auth = server.auth
    if auth is None and not refuse:
        return
    challenger = auth or server.refusing_auth
    verdict = Verdict.BAD if refuse else challenger.check(req.method, req.header("authorization"))
    if verdict is Verdict.OK:
        return
    header = challenger.challenge(stale=verdict is Verdict.STALE)
    raise RtspError(401, "", headers={"WWW-Authenticate": header})


def _require_target(server: CamsimServer, conn: RtspConnection, req: Request) -> Target:
    target = _resolve(server, conn, req)
    _authorize(server, target, req)
    if target is None:
        raise RtspError(404, "no such camera stream")
    return target


def _session(conn: RtspConnection, req: Request, *, required: bool = True) -> Session | None:
    raw = req.header("session")
    if raw is None:
        if required:
            raise RtspError(454, "no Session header")
        return None
    session = conn.sessions.get(raw.split(";", 1)[0].strip())
    if session is None:
        raise RtspError(454, "unknown session")
    session.touch()
    return session


def _session_header(server: CamsimServer, session: Session) -> str:
    return f"{session.id};timeout={server.config.session_timeout}"


# -- methods ----------------------------------------------------------------------------


def options(server: CamsimServer, conn: RtspConnection, req: Request) -> Reply:
    _resolve(server, conn, req)  # a stalled or rebooting camera does not answer either
    if req.header("session"):
        session = conn.sessions.get(req.header("session") or "")
        if session is not None:
            session.touch()
    return Reply(headers={"Public": PUBLIC})


def describe(server: CamsimServer, conn: RtspConnection, req: Request) -> Reply:
    target = _require_target(server, conn, req)
    if target.track is not None:
        raise RtspError(404, "DESCRIBE names a presentation, not a track")
    body = server.sdp(target.camera, target.stream).encode()
    headers = {"Content-Type": "application/sdp", "Content-Base": target.base_url + "/"}
    return Reply(headers=headers, body=body)


def setup(server: CamsimServer, conn: RtspConnection, req: Request) -> Reply:
    target = _require_target(server, conn, req)
    track = VIDEO_TRACK if target.track is None else target.track
    choice = parse_transport(req.header("transport"))
    session = _session(conn, req, required=False)
    if session is not None:
        if session.camera is not target.camera or session.stream != target.stream:
            raise RtspError(459, "session belongs to another presentation")
        if session.playing:
            raise RtspError(455, "cannot change transport while playing")
    elif len(conn.sessions) >= MAX_SESSIONS_PER_CONNECTION:
        raise RtspError(503, "too many sessions on this connection")
    setup_ = _track_setup(server, conn, choice, track, session)
    if session is None:
        session = Session(target.camera, target.stream, conn)
        conn.sessions[session.id] = session
        target.camera.sessions.add(session)
    session.tracks[track] = setup_
    clock = target.camera.clocks[target.stream if track == VIDEO_TRACK else "audio"]
    headers = {
        "Transport": _transport_reply(server, setup_, clock.ssrc),
        "Session": _session_header(server, session),
    }
    return Reply(headers=headers)


def _track_setup(
    server: CamsimServer,
    conn: RtspConnection,
    choice: TransportChoice,
    track: int,
    session: Session | None,
) -> TrackSetup:
    if choice.tcp:
        used = {
            ch
            for s in conn.sessions.values()
            for t, ts in s.tracks.items()
            if ts.tcp and not (s is session and t == track)
            for ch in (ts.channel, ts.channel + 1)
        }
        wanted = choice.channels[0] if choice.channels else None
        if wanted is None or wanted in used or wanted + 1 in used or wanted > 254:
            wanted = next(c for c in range(0, 256, 2) if c not in used and c + 1 not in used)
        return TrackSetup(track, True, channel=wanted)
    if server.udp_ports is None or choice.client_ports is None:
        raise RtspError(461, "UDP transport not available")
    rtp_port, rtcp_port = choice.client_ports
    return TrackSetup(
        track, False, client_rtp=(conn.peer_host, rtp_port), client_rtcp=(conn.peer_host, rtcp_port)
    )


def _transport_reply(server: CamsimServer, setup_: TrackSetup, ssrc: int) -> str:
    if setup_.tcp:
        ch = setup_.channel
        return f"RTP/AVP/TCP;unicast;interleaved={ch}-{ch + 1};ssrc={ssrc:08X};mode=play"
    assert setup_.client_rtp is not None
    assert setup_.client_rtcp is not None
    assert server.udp_ports is not None
    sp, sq = server.udp_ports
    return (
        f"RTP/AVP;unicast;client_port={setup_.client_rtp[1]}-{setup_.client_rtcp[1]};"
        f"server_port={sp}-{sq};ssrc={ssrc:08X};mode=play"
    )


def play(server: CamsimServer, conn: RtspConnection, req: Request) -> Reply:
    target = _require_target(server, conn, req)
    session = _session(conn, req)
    assert session is not None
    if session.camera is not target.camera or session.stream != target.stream:
        raise RtspError(459, "PLAY names another presentation")
    headers = {"Session": _session_header(server, session), "Range": "npt=now-"}
    if session.playing:
        return Reply(headers=headers)
    start = _first_tick(server, session)
    session.start_tick = start
    session.need_key = VIDEO_TRACK in session.tracks  # also covers ticks skipped under load
    session.next_report_tick = start
    session.playing = True
    server.streamer.add(session)
    headers["RTP-Info"] = _rtp_info(server, session, target.base_url, start)
    return Reply(headers=headers)


def _first_tick(server: CamsimServer, session: Session) -> int:
    """The next tick whose frame is an IDR (the first frame this session will get)."""
    tick = server.streamer.tick + 1
    if VIDEO_TRACK not in session.tracks:
        return tick
    camera = session.camera
    if camera.ptz is not None:  # a live encoder makes an IDR whenever asked
        camera.ptz.encoders[session.stream].force_key = True
        return tick
    track = camera.current_video(session.stream)
    for t in range(tick, tick + track.frames + 1):
        if track.clip.keyframes[camera.frame_number(t) % track.frames]:
            return t
    return tick  # unreachable: every clip starts with an IDR


def _rtp_info(server: CamsimServer, session: Session, base: str, tick: int) -> str:
    camera = session.camera
    n = camera.frame_number(tick)
    items = []
    for track_id in sorted(session.tracks):
        if track_id == VIDEO_TRACK and camera.ptz is not None:
            sent = camera.ptz.encoders[session.stream].packets_sent
            seq, ts = live_position(camera.clocks[session.stream], sent, n, server.fps)
        elif track_id == VIDEO_TRACK:  # numbered like what the streamer sends now
            track = camera.current_video(session.stream)
            _, seq, ts = video_position(track, camera.clocks[session.stream], n, server.fps)
        else:
            audio = camera.media.audio
            first = audio_due(n, audio.clip.rate, server.fps).start
            _, seq, ts = audio_position(audio, camera.clocks["audio"], first)
        items.append(f"url={base}/trackID={track_id};seq={seq};rtptime={ts}")
    return ",".join(items)


def pause(server: CamsimServer, conn: RtspConnection, req: Request) -> Reply:
    _require_target(server, conn, req)
    session = _session(conn, req)
    assert session is not None
    session.playing = False
    server.streamer.remove(session)
    return Reply(headers={"Session": _session_header(server, session)})


def teardown(server: CamsimServer, conn: RtspConnection, req: Request) -> Reply:
    _require_target(server, conn, req)
    session = _session(conn, req)
    assert session is not None
    server.end_session(session)
    return Reply()


def get_parameter(server: CamsimServer, conn: RtspConnection, req: Request) -> Reply:
    _authorize(server, _resolve(server, conn, req), req)
    session = _session(conn, req, required=False)
    headers = {"Session": _session_header(server, session)} if session else {}
    return Reply(headers=headers)


def set_parameter(server: CamsimServer, conn: RtspConnection, req: Request) -> Reply:
    reply = get_parameter(server, conn, req)
    if req.body.strip():
        raise RtspError(451, "no settable parameters")
    return reply


HANDLERS: dict[str, Handler] = {
    "OPTIONS": options,
    "DESCRIBE": describe,
    "SETUP": setup,
    "PLAY": play,
    "PAUSE": pause,
    "TEARDOWN": teardown,
    "GET_PARAMETER": get_parameter,
    "SET_PARAMETER": set_parameter,
}

__all__ = ["HANDLERS", "Hold", "Refuse", "Reply", "handle"]
