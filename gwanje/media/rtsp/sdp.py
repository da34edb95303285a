"""The part of a DESCRIBE answer (RFC 4566 SDP) a recorder needs: the H.264 video track.

Owns: `parse_sdp`, `resolve_control`, `SessionInfo` and `VideoTrack`.
Invariants: exactly one video track is chosen (the first `m=video` with an H264/90000
rtpmap, RFC 6184 §8.2.1); audio and other media are never returned, so they cannot be set
up (ORD-10.2); a video track in another codec raises `Unsupported`, a description with
no video at all `ProtocolError`; parameter sets from `sprop-parameter-sets` are sorted by
NAL type, never by position.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from gwanje.media.rtsp.errors import ProtocolError, RtspClientError


class Unsupported(RtspClientError):
    """The camera's video is not something this client handles (e.g. H.265)."""


@dataclass(frozen=True)
class VideoTrack:
    control: str  # absolute URL for SETUP
    payload_type: int
    clock_rate: int
    sps: bytes | None
    pps: bytes | None
    packetization_mode: int


@dataclass(frozen=True)
class SessionInfo:
    control: str  # aggregate URL for PLAY/TEARDOWN (RFC 2326 §C.1.1)
    video: VideoTrack


def resolve_control(base: str, control: str | None) -> str:
    """A control attribute made absolute (RFC 2326 §C.1.1).

    A relative control is appended to the base with one '/' between them, as live555 and
    FFmpeg do, rather than RFC 3986 resolution: cameras that send a Content-Base without a
    trailing slash expect exactly that.
    """
    if not control or control == "*":
        return base
    if "://" in control:
        return control
    return base.rstrip("/") + "/" + control.lstrip("/")


def parse_sdp(text: str, base: str) -> SessionInfo:
    session_control: str | None = None
    sections: list[list[str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("m="):
            sections.append([line])
        elif sections:
            sections[-1].append(line)
        elif line.startswith("a=control:"):
            session_control = line[len("a=control:") :].strip()
    video = [s for s in sections if s[0].startswith("m=video")]
    if not video:
        raise ProtocolError("the SDP has no video track")
    for section in video:
        track = _h264_track(section, base)
        if track is not None:
            return SessionInfo(resolve_control(base, session_control), track)
    raise Unsupported("the camera's video is not H.264")


def _h264_track(lines: list[str], base: str) -> VideoTrack | None:
    formats = lines[0].split()[3:]
    attrs = [ln[2:] for ln in lines if ln.startswith("a=")]
    control = next((a[8:].strip() for a in attrs if a.startswith("control:")), None)
    for fmt in formats:
        rtpmap = next((a for a in attrs if a.startswith(f"rtpmap:{fmt} ")), None)
        if rtpmap is None:
            continue
        encoding, _, rest = rtpmap.split(" ", 1)[1].partition("/")
        if encoding.upper() != "H264":
            continue
        clock = int(rest.split("/")[0]) if rest.split("/")[0].isdigit() else 90_000
        params = _fmtp(attrs, fmt)
        mode = int(params.get("packetization-mode", "0") or 0)
        if mode not in (0, 1):
            raise Unsupported(f"H.264 packetization-mode {mode} (interleaved) not supported")
        sps, pps = _parameter_sets(params.get("sprop-parameter-sets", ""))
        return VideoTrack(resolve_control(base, control), int(fmt), clock, sps, pps, mode)
    return None


def _fmtp(attrs: list[str], fmt: str) -> dict[str, str]:
    line = next((a for a in attrs if a.startswith(f"fmtp:{fmt} ")), None)
    if line is None:
        return {}
    pairs = (p.strip().partition("=") for p in line.split(" ", 1)[1].split(";"))
    return {k.strip().lower(): v.strip() for k, _, v in pairs if k.strip()}


def _parameter_sets(sprop: str) -> tuple[bytes | None, bytes | None]:
    """RFC 6184 §8.1: comma-separated base64 NAL units."""
    sps = pps = None
    for item in sprop.split(","):
        try:
            nal = base64.b64decode(item.strip(), validate=True)
        except (binascii.Error, ValueError):
            continue  # a broken sprop is common; in-band parameter sets will follow
        if nal and nal[0] & 0x1F == 7:
            sps = nal
        elif nal and nal[0] & 0x1F == 8:
            pps = nal
    return sps, pps
