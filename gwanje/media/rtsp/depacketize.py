"""RTP H.264 depacketizer (RFC 6184): RTP packets in, whole access units out.

Owns: `Depacketizer` (RTP header parsing, sequence-number loss detection, single NAL unit
packets §5.6, STAP-A §5.7.1, FU-A §5.8, access-unit assembly, in-band parameter sets,
timestamp unwrapping), `AccessUnit` and `DepacketizerStats`.

Output format: each access unit's NAL units, 4-byte length-prefixed (the AVCC layout
ISO/IEC 14496-15 §5.3.2 wants in an MP4 sample, lengthSizeMinusOne = 3), with SPS, PPS,
access unit delimiters and filler data left out (the parameter sets travel in the
`AccessUnit` fields and the MP4 sample entry instead).

Invariants:
- An access unit ends at the RTP marker bit (§5.1) or when the timestamp changes.
- Every emitted unit is complete as far as RTP can tell: no sequence gap inside it, no
  unfinished FU-A, at least one slice whose header is possible for the known SPS/PPS,
  and it has an SPS and PPS. After any damage, nothing is emitted until an undamaged
  keyframe (an IDR slice); everything left out is counted, never silently lost.
- `rtp_timestamp` is the 32-bit RTP time extended to 64 bits by the signed difference to
  the previous unit: wraps are followed, real jumps (forwards or back) stay visible.
- Per packet: one struct unpack, memoryview slices and one copy of the payload into the
  unit being built; nothing else is allocated.
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass

from gwanje.media.rtsp import h264

_RTP = struct.Struct(">BBHII")  # V/P/X/CC, M/PT, sequence number, timestamp, SSRC
_LEN = struct.Struct(">I")
_STAP_A = 24
_FU_A = 28
# Left out of samples: parameter sets (kept aside), access unit delimiters and filler
# data (14496-15 §5.3.2 lets a writer drop them; players do not need them).
_NOT_IN_SAMPLE = frozenset({h264.NAL_SPS, h264.NAL_PPS, h264.NAL_AUD, h264.NAL_FILLER})
_SLICE_HEAD = 12  # bytes of a slice payload enough for the three fields checked


@dataclass(frozen=True, slots=True)
class AccessUnit:
    data: bytes  # NAL units, each with a 4-byte big-endian length; no SPS/PPS/AUD
    rtp_timestamp: int  # 90 kHz, extended to 64 bits (see module invariants)
    keyframe: bool  # contains an IDR slice
    sps: bytes  # the parameter sets in force for this unit
    pps: bytes
    width: int  # from the SPS, after cropping
    height: int
    discontinuity: bool  # units were lost or left out just before this one


@dataclass
class DepacketizerStats:
    packets: int = 0
    packets_lost: int = 0  # by sequence-number gaps
    loss_events: int = 0
    aus: int = 0  # emitted
    aus_damaged: int = 0  # dropped: loss inside, broken packetization, impossible slice
    aus_skipped: int = 0  # dropped while waiting for a keyframe (after damage, at start)
    other_payload_type: int = 0  # packets of a payload type that is not the video's


class Depacketizer:
    def __init__(self, payload_type: int, sps: bytes | None, pps: bytes | None) -> None:
        self.payload_type = payload_type
        self.stats = DepacketizerStats()
        self.ready: deque[AccessUnit] = deque()
        self._sps = b""
        self._pps = b""
        self._info: h264.SpsInfo | None = None
        self._pps_ids: set[int] = set()
        try:  # from the SDP; a broken sprop-parameter-sets waits for in-band ones
            if sps:
                self._adopt_sps(sps)
            if pps:
                self._adopt_pps(pps)
        except ValueError:
            self._sps = self._pps = b""
            self._info = None
        self._next_seq = -1
        self._ssrc = -1
        self._last_ts = -1
        self._ext_ts = 0
        # The unit being built.
        self._au = bytearray()
        self._au_ts = -1  # -1: no unit open
        self._au_ext = 0
        self._damaged = False
        self._key = False
        self._slices = 0
        self._slice_kind = -1  # the NAL type of the unit's first slice; -1: none yet
        self._new_sps: bytes | None = None
        self._new_info: h264.SpsInfo | None = None
        self._new_pps: bytes | None = None
        self._fu_at = -1  # offset of the open FU-A NAL's length field; -1: none open
        self._fu_side: bytearray | None = None  # an FU-A parameter set being collected
        self._need_key = True
        self._dropped = False

    # -- packets --------------------------------------------------------------------

    def push(self, pkt: memoryview) -> None:
        """One RTP packet (RFC 3550 §5.1), without its interleaved framing."""
        size = len(pkt)
        if size < 13:
            self._bad_packet()
            return
        b0, b1, seq, ts, ssrc = _RTP.unpack_from(pkt)
        if (  # most packets: a piece of an open FU-A, in order, no CSRC/extension/padding
            b0 == 0x80
            and seq == self._next_seq
            and ts == self._au_ts
            and b1 & 0x7F == self.payload_type
            and ssrc == self._ssrc
            and self._fu_at >= 0
            and pkt[12] & 0x9F == _FU_A
        ):
            fu = pkt[13] & 0xC0
            if not fu and b1 == self.payload_type:  # a middle piece, no marker
                self._next_seq = (seq + 1) & 0xFFFF
                self._au += pkt[14:]
                self.stats.packets += 1
                return
            if fu == 0x40:  # the end piece (one per slice: worth its own short path)
                self._next_seq = (seq + 1) & 0xFFFF
                au = self._au
                au += pkt[14:]
                self.stats.packets += 1
                at, self._fu_at = self._fu_at, -1
                _LEN.pack_into(au, at, len(au) - at - 4)
                if b1 & 0x80:
                    self._finish()
                return
        if b0 & 0xC0 != 0x80 or (b1 & 0x7F) != self.payload_type:
            if b0 & 0xC0 == 0x80:
                self.stats.other_payload_type += 1
                return
            self._bad_packet()
            return
        self.stats.packets += 1
        gap = seq != self._next_seq or ssrc != self._ssrc
        if gap and self._next_seq >= 0:
            self._lost(seq, ssrc)
        else:
            gap = False
        self._next_seq = (seq + 1) & 0xFFFF
        self._ssrc = ssrc
        pos = 12 + 4 * (b0 & 0x0F)
        if b0 & 0x10:  # header extension (§5.3.1): skip it
            if pos + 4 > size:
                self._bad_packet()
                return
            pos += 4 + 4 * ((pkt[pos + 2] << 8) | pkt[pos + 3])
        end = size - pkt[size - 1] if b0 & 0x20 else size  # padding (§5.1)
        if ts != self._au_ts:
            if self._au_ts >= 0:
                self._finish()
            self._open(ts, gap and not _opens_unit(pkt, pos, end))
        elif gap:
            self._damaged = True
        if pos >= end:
            self._damaged = True
        else:
            self._payload(pkt, pos, end)
        if b1 & 0x80:
            self._finish()

    def _bad_packet(self) -> None:
        self.stats.packets += 1
        self._damaged = True

    def _lost(self, seq: int, ssrc: int) -> None:
        self.stats.loss_events += 1
        if ssrc == self._ssrc:
            missing = (seq - self._next_seq) & 0xFFFF
            self.stats.packets_lost += missing if missing < 0x8000 else 1
        self._need_key = True

    def _payload(self, pkt: memoryview, pos: int, end: int) -> None:
        header = pkt[pos]
        kind = header & 0x1F
        if header & 0x80:  # forbidden_zero_bit (RFC 6184 §5.3): the NAL is broken
            self._damaged = True
        elif kind == _FU_A:
            self._fragment(pkt, pos, end)
        elif self._fu_at >= 0 or self._fu_side is not None:
            self._damaged = True  # a new NAL while a fragmented one is unfinished
        elif 0 < kind < _STAP_A:
            self._nal(pkt[pos:end], kind)
        elif kind == _STAP_A:
            self._aggregate(pkt, pos + 1, end)
        else:  # 0, STAP-B, MTAP, FU-B, reserved: not allowed in modes 0 and 1 (Table 3)
            self._damaged = True

    def _aggregate(self, pkt: memoryview, pos: int, end: int) -> None:
        """STAP-A (§5.7.1): 16-bit size, NAL unit, repeated."""
        while pos + 2 < end:
            size = (pkt[pos] << 8) | pkt[pos + 1]
            pos += 2
            if size == 0 or pos + size > end or pkt[pos] & 0x80:
                self._damaged = True
                return
            self._nal(pkt[pos : pos + size], pkt[pos] & 0x1F)
            pos += size
        if pos != end:
            self._damaged = True

    def _fragment(self, pkt: memoryview, pos: int, end: int) -> None:
        """FU-A (§5.8): indicator, FU header (S, E, type), then a piece of the NAL."""
        if pos + 2 > end:
            self._damaged = True
            return
        fu = pkt[pos + 1]
        if fu & 0x80:  # start
            if self._fu_at >= 0 or self._fu_side is not None or fu & 0x40:
                self._damaged = True  # the last one never ended, or start and end at once
                self._fu_at, self._fu_side = -1, None
            kind = fu & 0x1F
            head = (pkt[pos] & 0xE0) | kind
            if not self._check_nal(kind, pkt[pos + 2 : pos + 2 + _SLICE_HEAD]):
                return
            if kind in _NOT_IN_SAMPLE:
                self._fu_side = bytearray((head,))
                self._fu_side += pkt[pos + 2 : end]
            else:
                self._fu_at = len(self._au)
                self._au += b"\x00\x00\x00\x00"
                self._au.append(head)
                self._au += pkt[pos + 2 : end]
        elif self._fu_side is not None:
            self._fu_side += pkt[pos + 2 : end]
        elif self._fu_at >= 0:
            self._au += pkt[pos + 2 : end]
        else:
            self._damaged = True  # a middle or end piece without its start
            return
        if fu & 0x40:  # end
            self._end_fragment()

    def _end_fragment(self) -> None:
        if self._fu_side is not None:
            self._side_nal(bytes(self._fu_side))
            self._fu_side = None
            return
        at, self._fu_at = self._fu_at, -1
        _LEN.pack_into(self._au, at, len(self._au) - at - 4)

    def _nal(self, nal: memoryview, kind: int) -> None:
        if not self._check_nal(kind, nal[1 : 1 + _SLICE_HEAD]):
            return
        if kind in _NOT_IN_SAMPLE:
            self._side_nal(bytes(nal))
            return
        self._au += _LEN.pack(len(nal))
        self._au += nal

    def _check_nal(self, kind: int, head: memoryview) -> bool:
        """Validate a NAL's start; False (and the unit damaged) when it cannot be right.

        The first slice of a unit has its header checked against the parameter sets
        (`h264.slice_ok`); later slices of the same picture must be of the same kind (a
        picture is all IDR slices or none, §7.4.1.2.4). Noise fails one or the other, and
        checking every slice header cost ~8 % of the recorder's CPU (4 slices a frame).
        """
        if kind == h264.NAL_IDR or kind == h264.NAL_SLICE:
            idr = kind == h264.NAL_IDR
            if self._slice_kind >= 0:
                ok = kind == self._slice_kind
            else:
                info = self._new_info or self._info
                ok = info is not None and h264.slice_ok(
                    head, idr, info.pic_size_in_mbs, self._pps_ids
                )
                self._slice_kind = kind
            if not ok:
                self._damaged = True
                return False
            self._slices += 1
            self._key = self._key or idr
        elif 1 < kind < h264.NAL_IDR:
            self._slices += 1  # data partitions (Extended profile): passed through
        return True

    def _side_nal(self, nal: bytes) -> None:
        """An in-band parameter set: parsed at once (the slices after it in this unit are
        checked against it), adopted when the unit turns out undamaged."""
        kind = nal[0] & 0x1F
        try:
            if kind == h264.NAL_SPS and nal != self._sps:
                self._new_info, self._new_sps = h264.parse_sps(nal), nal
            elif kind == h264.NAL_PPS and nal != self._pps:
                self._pps_ids.add(h264.pps_id(nal))
                self._new_pps = nal
        except ValueError:
            self._damaged = True

    # -- access units ------------------------------------------------------------------

    def _open(self, ts: int, damaged: bool) -> None:
        if self._last_ts < 0:
            self._ext_ts = ts
        else:  # the signed 32-bit difference: a wrap is +small, a jump back is negative
            self._ext_ts += ((ts - self._last_ts + 0x80000000) & 0xFFFFFFFF) - 0x80000000
        self._last_ts = self._au_ts = ts
        self._au_ext = self._ext_ts
        self._damaged = damaged

    def _finish(self) -> None:
        """Close the open unit: emit it, or count why not."""
        if self._fu_at >= 0 or self._fu_side is not None:
            self._damaged = True  # the unit ended inside a fragmented NAL
        damaged, key, slices = self._damaged, self._key, self._slices
        self._au_ts, self._fu_at, self._fu_side = -1, -1, None
        self._damaged = self._key = False
        self._slices = 0
        self._slice_kind = -1
        new_sps, new_info, new_pps = self._new_sps, self._new_info, self._new_pps
        self._new_sps = self._new_pps = None
        self._new_info = None
        if damaged:
            self._drop(damaged=True)
            return
        if new_sps is not None and new_info is not None:
            self._sps, self._info = new_sps, new_info
        if new_pps is not None:
            self._pps = new_pps
        if not slices:  # parameter sets sent as a unit of their own: kept, nothing to emit
            self._au.clear()
            return
        if self._need_key and not (key and self._sps and self._pps):
            self._drop(damaged=False)
            return
        self._emit(key)

    def _adopt_sps(self, sps: bytes) -> None:
        self._info = h264.parse_sps(sps)
        self._sps = sps

    def _adopt_pps(self, pps: bytes) -> None:
        self._pps_ids.add(h264.pps_id(pps))
        self._pps = pps

    def _drop(self, *, damaged: bool) -> None:
        self._au.clear()
        self._dropped = True
        if damaged:
            self.stats.aus_damaged += 1
            self._need_key = True
        else:
            self.stats.aus_skipped += 1

    def _emit(self, key: bool) -> None:
        info = self._info
        assert info is not None
        data = bytes(self._au)
        self._au.clear()
        self._need_key = False
        discontinuity, self._dropped = self._dropped, False
        self.stats.aus += 1
        self.ready.append(
            AccessUnit(
                data, self._au_ext, key, self._sps, self._pps, info.width, info.height,
                discontinuity,
            )
        )  # fmt: skip


def _opens_unit(pkt: memoryview, pos: int, end: int) -> bool:
    """Whether the first NAL in this packet can begin an access unit (used after a gap,
    to tell a unit whose first packets were lost from one that starts cleanly)."""
    if pos + 2 > end:
        return False
    kind = pkt[pos] & 0x1F
    at = pos + 1
    if kind == _STAP_A:
        if pos + 5 > end:
            return False
        kind, at = pkt[pos + 3] & 0x1F, pos + 4
    elif kind == _FU_A:
        if not pkt[pos + 1] & 0x80 or pos + 3 > end:
            return False
        kind, at = pkt[pos + 1] & 0x1F, pos + 2
    return at < end and h264.starts_access_unit(kind, pkt[at])
