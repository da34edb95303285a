"""RTP packetizers (H.264, AAC) and RTCP sender reports, built for cheap fan-out.

Owns: splitting Annex-B access units into NAL units, RFC 6184 packetization, RFC 3640
AAC-hbr packetization, `PacketTemplate` (an access unit's packets laid out once, in the
RTSP interleaved framing of RFC 2326 §10.12) and RFC 3550 sender reports.

Why templates: packetizing is done once per clip access unit and shared by every camera
that shows that clip; sending a frame to a session is then one `bytearray` copy plus one
`struct.pack_into` per packet (sequence number, timestamp, SSRC) and one socket write.
Invariants: every packet in a template has a 16-byte prefix (4 bytes of interleaved
framing, 12 bytes of RTP header, no CSRCs or extensions); the marker bit is set on the last
packet of each access unit (RFC 6184 §5.1); no RTP payload exceeds `MAX_PAYLOAD`.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass

MAX_PAYLOAD = 1400  # keeps UDP datagrams under a 1500-byte Ethernet MTU with headers
PREFIX = 16  # '$' channel length(2) + RTP header(12)
NTP_EPOCH_OFFSET = 2_208_988_800  # seconds from 1900-01-01 to 1970-01-01 (RFC 868)

_SEQ_TS_SSRC = struct.Struct(">HII")
_FRAME_AND_HEADER = struct.Struct(">cBHBBHII")
_AU_HEADER = struct.Struct(">HH")

NAL_SPS = 7
NAL_PPS = 8
NAL_IDR = 5
_FU_A = 28


def split_annexb(au: bytes) -> list[bytes]:
    """NAL units of an Annex-B byte stream (start codes 00 00 01 / 00 00 00 01 removed)."""
    nals: list[bytes] = []
    start = au.find(b"\x00\x00\x01")
    while start >= 0:
        begin = start + 3
        nxt = au.find(b"\x00\x00\x01", begin)
        end = len(au) if nxt < 0 else nxt
        nal = au[begin:end].rstrip(b"\x00")  # trailing zeros belong to the next start code
        if nal:
            nals.append(nal)
        start = nxt
    return nals


def nal_type(nal: bytes) -> int:
    return nal[0] & 0x1F


def h264_payloads(nals: Sequence[bytes], limit: int = MAX_PAYLOAD) -> list[bytes]:
    """RTP payloads for one access unit: single NAL unit packets (RFC 6184 §5.6) when a NAL
    fits, FU-A fragments (§5.8) when it does not. STAP-A is never needed for mode 1."""
    out: list[bytes] = []
    for nal in nals:
        if len(nal) <= limit:
            out.append(nal)
            continue
        indicator = (nal[0] & 0xE0) | _FU_A  # F and NRI of the original, type 28
        kind = nal[0] & 0x1F
        body = nal[1:]
        step = limit - 2
        for pos in range(0, len(body), step):
            start = 0x80 if pos == 0 else 0
            end = 0x40 if pos + step >= len(body) else 0
            out.append(bytes((indicator, start | end | kind)) + body[pos : pos + step])
    return out


def aac_payload(au: bytes) -> bytes:
    """One AAC access unit in RFC 3640 AAC-hbr mode (§3.3.6): a 16-bit AU-headers-length
    (in bits) and one AU-header of 13-bit AU-size and 3-bit AU-Index (0)."""
    if len(au) >= 1 << 13:
        raise ValueError("AAC access unit too large for sizelength=13")
    return _AU_HEADER.pack(16, len(au) << 3) + au


@dataclass(frozen=True)
class PacketTemplate:
    """An access unit's RTP packets, interleaved-framed, with zero seq/ts/SSRC."""

    wire: bytes
    seq_offsets: tuple[int, ...]  # offset of each packet's sequence-number field
    spans: tuple[tuple[int, int], ...]  # (start, end) of each RTP packet, for UDP
    payload_bytes: int
    channel: int

    @property
    def packets(self) -> int:
        return len(self.seq_offsets)


def build_template(payloads: Sequence[bytes], payload_type: int, channel: int) -> PacketTemplate:
    parts: list[bytes] = []
    seq_offsets: list[int] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    for i, payload in enumerate(payloads):
        marker = 0x80 if i == len(payloads) - 1 else 0
        head = _FRAME_AND_HEADER.pack(
            b"$", channel, 12 + len(payload), 0x80, marker | payload_type, 0, 0, 0
        )
        parts += (head, payload)
        seq_offsets.append(pos + 6)
        spans.append((pos + 4, pos + PREFIX + len(payload)))
        pos += PREFIX + len(payload)
    return PacketTemplate(
        b"".join(parts), tuple(seq_offsets), tuple(spans), sum(map(len, payloads)), channel
    )


def render(tpl: PacketTemplate, channel: int, seq: int, ts: int, ssrc: int) -> bytearray:
    """A fresh copy of the template with headers filled in; never mutated after return,
    because asyncio transports may keep a reference to unsent data."""
    buf = bytearray(tpl.wire)
    pack = _SEQ_TS_SSRC.pack_into
    ts &= 0xFFFFFFFF
    for off in tpl.seq_offsets:
        pack(buf, off, seq & 0xFFFF, ts, ssrc)
        seq += 1
    if channel != tpl.channel:
        for off in tpl.seq_offsets:
            buf[off - 5] = channel
    return buf


def garble(buf: bytearray, tpl: PacketTemplate, noise: bytes, salt: int) -> None:
    """Overwrite every payload with noise, keeping RTP headers valid (a corrupt encoder).

    Each packet takes its noise from a different place (by `salt` and its index): were every
    packet to start with the same bytes, one unlucky draw could look like a valid NAL unit
    in every packet of the window, and a client's damage detection would never be tested.
    """
    room = len(noise) - MAX_PAYLOAD
    for i, (start, end) in enumerate(tpl.spans):
        n = end - start - 12
        offset = (salt * 7919 + i * 104_729) % room
        buf[start + 12 : end] = noise[offset : offset + n]


def interleave(channel: int, data: bytes) -> bytes:
    """RFC 2326 §10.12 framing for a packet sent on the RTSP connection."""
    return struct.pack(">cBH", b"$", channel, len(data)) + data


def sender_report(
    ssrc: int, wall: float, rtp_ts: int, packets: int, octets: int, cname: bytes
) -> bytes:
    """A compound RTCP packet: SR (RFC 3550 §6.4.1) then SDES with CNAME (§6.5), as §6.1
    requires every compound packet to carry a CNAME."""
    ntp = wall + NTP_EPOCH_OFFSET
    sec = int(ntp)
    frac = int((ntp - sec) * (1 << 32)) & 0xFFFFFFFF
    sr = struct.pack(
        ">BBHIIIIII",
        0x80,
        200,
        6,
        ssrc,
        sec & 0xFFFFFFFF,
        frac,
        rtp_ts & 0xFFFFFFFF,
        packets & 0xFFFFFFFF,
        octets & 0xFFFFFFFF,
    )
    item = bytes((1, len(cname))) + cname
    chunk = struct.pack(">I", ssrc) + item + b"\x00"  # item list ends with a null octet
    chunk += b"\x00" * (-len(chunk) % 4)  # pad the chunk to 32 bits
    sdes = struct.pack(">BBH", 0x81, 202, len(chunk) // 4) + chunk
    return sr + sdes


def wall_clock() -> float:
    return time.time()
