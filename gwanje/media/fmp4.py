"""Fragmented MP4 for H.264 video, written by hand (ISO/IEC 14496-12, 14496-15).

Owns: `init_segment` (ftyp + moov with one avc1 track and mvex/trex) and `fragment`
(moof + mdat for a run of samples), and `Sample`.

The boxes and their order follow what FFmpeg writes with
`frag_keyframe+empty_moov+default_base_moof` (the layout browsers' Media Source
Extensions are known to accept): an init segment with empty sample tables,
then self-contained fragments whose `tfhd` sets default-base-is-moof (§8.8.7), whose
`tfdt` (version 1, §8.8.12) gives the decode time of the first sample, and whose `trun`
(§8.8.8) carries data-offset and per-sample duration, size and flags.

Invariants:
- Video only: one track, id 1, handler 'vide' (ORD-10.2: there is no way to add audio).
- Samples are AVCC (4-byte NAL lengths, lengthSizeMinusOne = 3 in avcC) as
  `gwanje.media.rtsp` delivers them; parameter sets live only in avcC.
- Decode time == presentation time (no composition offsets): cameras' RTP timestamps
  are presentation times and we accept only streams without B-frame reordering.
- Each fragment is independent of the previous ones, so a file cut short after any
  fragment is readable up to it; `sequence_number` is the caller's, starting at 1.
- Boxes are built from `struct` packs and one join; sample data is copied once.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from gwanje.media.rtsp.h264 import parse_sps

TRACK_ID = 1
_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)  # unity
_SYNC = 0x02000000  # sample_depends_on=2 (does not depend on others), is_non_sync=0
_NON_SYNC = 0x01010000  # sample_depends_on=1, sample_is_non_sync_sample=1 (§8.8.3.1)
_TRUN_FLAGS = 0x000001 | 0x000100 | 0x000200 | 0x000400  # offset, duration, size, flags
_ENTRY = struct.Struct(">III")
_HIGH_PROFILES = (100, 110, 122, 144)  # avcC carries chroma and bit depth (14496-15 §5.3.3)


@dataclass(frozen=True, slots=True)
class Sample:
    data: bytes  # AVCC: NAL units with 4-byte big-endian lengths
    duration: int  # in the track timescale (90 kHz for RTP video)
    keyframe: bool


def box(kind: bytes, *payload: bytes | bytearray) -> bytes:
    body = b"".join(payload)
    return struct.pack(">I4s", 8 + len(body), kind) + body


def full_box(kind: bytes, version: int, flags: int, *payload: bytes | bytearray) -> bytes:
    return box(kind, struct.pack(">I", (version << 24) | flags), *payload)


def init_segment(sps: bytes, pps: bytes, width: int, height: int, timescale: int = 90_000) -> bytes:
    """ftyp + moov for one H.264 track with no samples (they come in fragments)."""
    ftyp = box(b"ftyp", b"iso6", struct.pack(">I", 0), b"iso6isomavc1mp41")
    mvhd = full_box(
        b"mvhd", 0, 0,
        struct.pack(">IIII", 0, 0, 1000, 0),  # created, modified, timescale, duration 0
        struct.pack(">IH10x", 0x10000, 0x0100),  # rate 1.0, volume 1.0, reserved
        _MATRIX, bytes(24), struct.pack(">I", TRACK_ID + 1),  # pre_defined, next_track_ID
    )  # fmt: skip
    trak = box(b"trak", _tkhd(width, height), _mdia(sps, pps, width, height, timescale))
    trex = full_box(b"trex", 0, 0, struct.pack(">5I", TRACK_ID, 1, 0, 0, 0))
    return ftyp + box(b"moov", mvhd, trak, box(b"mvex", trex))


def _tkhd(width: int, height: int) -> bytes:
    return full_box(
        b"tkhd", 0, 0x3,  # enabled, in movie
        struct.pack(">IIIII", 0, 0, TRACK_ID, 0, 0),  # created, modified, id, reserved, dur
        struct.pack(">8xhhhH", 0, 0, 0, 0),  # reserved, layer, alternate_group, volume, res
        _MATRIX, struct.pack(">II", width << 16, height << 16),
    )  # fmt: skip


def _mdia(sps: bytes, pps: bytes, width: int, height: int, timescale: int) -> bytes:
    mdhd = full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, timescale, 0, 0x55C4, 0))
    hdlr = full_box(b"hdlr", 0, 0, struct.pack(">I4s12x", 0, b"vide"), b"VideoHandler\x00")
    vmhd = full_box(b"vmhd", 0, 1, bytes(8))  # graphicsmode copy, opcolor 0
    dref = full_box(b"dref", 0, 0, struct.pack(">I", 1), full_box(b"url ", 0, 1))
    stbl = box(
        b"stbl",
        full_box(b"stsd", 0, 0, struct.pack(">I", 1), _avc1(sps, pps, width, height)),
        full_box(b"stts", 0, 0, bytes(4)),
        full_box(b"stsc", 0, 0, bytes(4)),
        full_box(b"stsz", 0, 0, bytes(8)),
        full_box(b"stco", 0, 0, bytes(4)),
    )
    minf = box(b"minf", vmhd, box(b"dinf", dref), stbl)
    return box(b"mdia", mdhd, hdlr, minf)


def _avc1(sps: bytes, pps: bytes, width: int, height: int) -> bytes:
    """VisualSampleEntry 'avc1' (14496-12 §12.1.3) with its avcC (14496-15 §5.4.2)."""
    entry = struct.pack(
        ">6xH16xHHIIIH32sHh",
        1,  # data_reference_index
        width, height, 0x00480000, 0x00480000,  # 72 dpi
        0, 1, b"",  # reserved, frame_count, compressorname
        0x0018, -1,  # depth, pre_defined
    )  # fmt: skip
    return box(b"avc1", entry, avcc(sps, pps))


def avcc(sps: bytes, pps: bytes) -> bytes:
    """AVCDecoderConfigurationRecord (14496-15 §5.3.3.1), 4-byte NAL lengths."""
    record = bytearray((1, sps[1], sps[2], sps[3], 0xFC | 3, 0xE0 | 1))
    record += struct.pack(">H", len(sps)) + sps + b"\x01" + struct.pack(">H", len(pps)) + pps
    if sps[1] in _HIGH_PROFILES:
        info = parse_sps(sps)
        record += bytes(
            (0xFC | info.chroma_format_idc, 0xF8 | (info.bit_depth_luma - 8),
             0xF8 | (info.bit_depth_chroma - 8), 0)  # no SPS extensions
        )  # fmt: skip
    return box(b"avcC", bytes(record))


def fragment(sequence_number: int, base_decode_time: int, samples: Sequence[Sample]) -> bytes:
    """moof + mdat holding `samples`, the first decoded at `base_decode_time`."""
    if not samples:
        raise ValueError("a fragment needs at least one sample")
    entries = bytearray(_ENTRY.size * len(samples))
    for i, sample in enumerate(samples):
        flags = _SYNC if sample.keyframe else _NON_SYNC
        _ENTRY.pack_into(entries, i * _ENTRY.size, sample.duration, len(sample.data), flags)
    mfhd = full_box(b"mfhd", 0, 0, struct.pack(">I", sequence_number))
    tfhd = full_box(b"tfhd", 0, 0x020000, struct.pack(">I", TRACK_ID))  # default-base-is-moof
    tfdt = full_box(b"tfdt", 1, 0, struct.pack(">Q", base_decode_time))
    trun_size = 8 + 4 + 8 + len(entries)
    moof_size = 8 + len(mfhd) + 8 + len(tfhd) + len(tfdt) + trun_size
    data_size = sum(len(s.data) for s in samples)
    # data_offset counts from the start of the moof (default-base-is-moof) to the first
    # sample byte, just past the mdat header.
    trun = full_box(
        b"trun", 0, _TRUN_FLAGS, struct.pack(">Ii", len(samples), moof_size + 8), entries
    )
    moof = box(b"moof", mfhd, box(b"traf", tfhd, tfdt, trun))
    assert len(moof) == moof_size
    if 8 + data_size > 0xFFFFFFFF:
        raise ValueError("fragment too large for a 32-bit mdat")
    mdat_header = struct.pack(">I4s", 8 + data_size, b"mdat")
    return b"".join((moof, mdat_header, *(s.data for s in samples)))
