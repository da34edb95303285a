"""The RTSP Transport header (RFC 2326 §12.39): choosing what a SETUP asked for.

Owns: `parse_transport`, which picks the first acceptable alternative of a Transport
header, and `TransportChoice`.
Invariants: only unicast RTP/AVP is accepted, over TCP (interleaved, §10.12) or UDP
(client_port); anything else is 461 Unsupported Transport. A client-supplied
`destination` is ignored: UDP goes only to the address the RTSP connection came from,
so the simulator cannot be used to flood a third party (§12.39 allows refusing it).
"""

from __future__ import annotations

from dataclasses import dataclass

from gwanje.media.camsim.protocol import RtspError


@dataclass(frozen=True)
class TransportChoice:
    tcp: bool
    channels: tuple[int, int] | None = None  # interleaved=a-b, when the client chose
    client_ports: tuple[int, int] | None = None


def _pair(value: str, limit: int) -> tuple[int, int]:
    first, _, second = value.partition("-")
    if not first.isdigit() or (second and not second.isdigit()):
        raise ValueError(value)
    a = int(first)
    b = int(second) if second else a + 1
    if not (0 <= a <= limit and 0 <= b <= limit) or a == b:
        raise ValueError(value)
    return a, b


def _one(spec: str) -> TransportChoice | None:
    parts = [p.strip() for p in spec.split(";") if p.strip()]
    if not parts:
        return None
    proto = parts[0].upper()
    params = {k.lower(): v for k, _, v in (p.partition("=") for p in parts[1:])}
    if "multicast" in params or proto not in ("RTP/AVP", "RTP/AVP/UDP", "RTP/AVP/TCP"):
        return None
    mode = params.get("mode", "play").strip('"').lower()
    if mode != "play":
        return None
    try:
        if proto == "RTP/AVP/TCP":
            raw = params.get("interleaved")
            return TransportChoice(True, channels=_pair(raw, 255) if raw else None)
        raw = params.get("client_port")
        if not raw:
            return None
        ports = _pair(raw, 65535)
        if 0 in ports:
            return None
        return TransportChoice(False, client_ports=ports)
    except ValueError:
        return None


def parse_transport(header: str | None) -> TransportChoice:
    if not header:
        raise RtspError(461, "no Transport header")
    for spec in header.split(","):
        choice = _one(spec)
        if choice is not None:
            return choice
    raise RtspError(461, "no acceptable transport")
