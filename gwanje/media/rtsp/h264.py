"""H.264 bitstream facts the client needs: NAL types, SPS dimensions, slice-header sanity.

Owns: `parse_sps` (ITU-T H.264 §7.3.2.1.1, with frame cropping, for every profile whose SPS
carries the chroma/bit-depth extension), `pps_id` (§7.3.2.2), `slice_ok` (§7.3.3: the
first three fields of a slice header checked against the active SPS/PPS) and
`starts_access_unit` (§7.4.1.2.3: which NAL units may open an access unit).
Invariants: parsers work on the RBSP (emulation-prevention bytes removed, §7.4.1) and
raise `ValueError` on anything truncated or out of range, never return a guess; nothing
here allocates per RTP packet (callers pass at most a few bytes of a slice).
"""

from __future__ import annotations

from dataclasses import dataclass

NAL_SLICE = 1
NAL_IDR = 5
NAL_SEI = 6
NAL_SPS = 7
NAL_PPS = 8
NAL_AUD = 9
NAL_FILLER = 12

# §7.3.2.1.1: these profiles carry chroma_format_idc, bit depths and scaling matrices.
_HIGH_PROFILES = frozenset({100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135})
# §7.4.1.2.3: NAL types that may precede the first slice of an access unit.
_AU_OPENERS = frozenset({NAL_SEI, NAL_SPS, NAL_PPS, NAL_AUD, 13, 14, 15, 16, 17, 18})


def unescape(data: bytes | memoryview) -> bytes:
    """RBSP from a NAL payload: drop each 0x03 of a 00 00 03 sequence (§7.4.1)."""
    raw = bytes(data)
    if b"\x00\x00\x03" not in raw:
        return raw
    out = bytearray()
    zeros = 0
    for byte in raw:
        if zeros >= 2 and byte == 3:
            zeros = 0
            continue
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


class BitReader:
    """MSB-first bits of an RBSP, with Exp-Golomb codes (§9.1)."""

    def __init__(self, rbsp: bytes) -> None:
        self._value = int.from_bytes(rbsp, "big")
        self._left = len(rbsp) * 8

    def u(self, bits: int) -> int:
        if bits > self._left:
            raise ValueError("truncated")
        self._left -= bits
        return (self._value >> self._left) & ((1 << bits) - 1)

    def ue(self) -> int:
        rest = self._value & ((1 << self._left) - 1)
        if rest == 0:
            raise ValueError("truncated Exp-Golomb code")
        zeros = self._left - rest.bit_length()
        if zeros > 31:
            raise ValueError("Exp-Golomb code too long")
        self._left -= zeros
        return self.u(zeros + 1) - 1

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k & 1 else -(k // 2)


@dataclass(frozen=True)
class SpsInfo:
    profile_idc: int
    constraint_flags: int
    level_idc: int
    sps_id: int
    chroma_format_idc: int
    bit_depth_luma: int
    bit_depth_chroma: int
    width: int  # displayed size, after frame cropping
    height: int
    pic_size_in_mbs: int  # upper bound for first_mb_in_slice


def parse_sps(nal: bytes) -> SpsInfo:
    """Parse an SPS NAL unit (with its one-byte header). Raises ValueError if malformed."""
    if len(nal) < 4 or nal[0] & 0x9F != NAL_SPS:
        raise ValueError("not an SPS NAL unit")
    r = BitReader(unescape(nal[1:]))
    profile, flags, level, sps_id = r.u(8), r.u(8), r.u(8), r.ue()
    chroma, depth_y, depth_c, separate = 1, 8, 8, 0
    if profile in _HIGH_PROFILES:
        chroma = r.ue()
        if chroma > 3:
            raise ValueError("chroma_format_idc out of range")
        separate = r.u(1) if chroma == 3 else 0
        depth_y, depth_c = r.ue() + 8, r.ue() + 8
        r.u(1)  # qpprime_y_zero_transform_bypass_flag
        if r.u(1):  # seq_scaling_matrix_present_flag
            _skip_scaling_lists(r, 8 if chroma != 3 else 12)
    if sps_id > 31 or depth_y > 14 or depth_c > 14:
        raise ValueError("SPS field out of range")
    _skip_frame_num_and_poc(r)
    r.ue()  # max_num_ref_frames
    r.u(1)  # gaps_in_frame_num_value_allowed_flag
    width_mbs, height_units = r.ue() + 1, r.ue() + 1
    frame_mbs_only = r.u(1)
    if not frame_mbs_only:
        r.u(1)  # mb_adaptive_frame_field_flag
    r.u(1)  # direct_8x8_inference_flag
    crop = (r.ue(), r.ue(), r.ue(), r.ue()) if r.u(1) else (0, 0, 0, 0)
    width, height = _cropped(width_mbs, height_units, frame_mbs_only, chroma, separate, crop)
    if width <= 0 or height <= 0:
        raise ValueError("cropping leaves no picture")
    mbs = width_mbs * height_units * (2 - frame_mbs_only)
    return SpsInfo(profile, flags, level, sps_id, chroma, depth_y, depth_c, width, height, mbs)


def _skip_scaling_lists(r: BitReader, count: int) -> None:
    for i in range(count):
        if not r.u(1):
            continue
        last = following = 8
        for _ in range(16 if i < 6 else 64):  # §7.3.2.1.1.1
            if following:
                following = (last + r.se() + 256) % 256
            last = following or last


def _skip_frame_num_and_poc(r: BitReader) -> None:
    r.ue()  # log2_max_frame_num_minus4
    poc_type = r.ue()
    if poc_type == 0:
        r.ue()  # log2_max_pic_order_cnt_lsb_minus4
    elif poc_type == 1:
        r.u(1)  # delta_pic_order_always_zero_flag
        r.se()  # offset_for_non_ref_pic
        r.se()  # offset_for_top_to_bottom_field
        for _ in range(r.ue()):  # num_ref_frames_in_pic_order_cnt_cycle
            r.se()
    elif poc_type != 2:
        raise ValueError("pic_order_cnt_type out of range")


def _cropped(
    width_mbs: int,
    height_units: int,
    frame_mbs_only: int,
    chroma: int,
    separate: int,
    crop: tuple[int, int, int, int],
) -> tuple[int, int]:
    """Displayed size (§7.4.2.1.1, equations 7-19 to 7-22)."""
    if chroma == 0 or separate:  # ChromaArrayType 0: crop in luma samples
        unit_x, unit_y = 1, 2 - frame_mbs_only
    else:
        sub_w = 1 if chroma == 3 else 2
        sub_h = 2 if chroma == 1 else 1
        unit_x, unit_y = sub_w, sub_h * (2 - frame_mbs_only)
    left, right, top, bottom = crop
    width = width_mbs * 16 - unit_x * (left + right)
    height = (2 - frame_mbs_only) * height_units * 16 - unit_y * (top + bottom)
    return width, height


def pps_id(nal: bytes) -> int:
    """pic_parameter_set_id of a PPS NAL unit (§7.3.2.2)."""
    if len(nal) < 2 or nal[0] & 0x9F != NAL_PPS:
        raise ValueError("not a PPS NAL unit")
    value = BitReader(unescape(nal[1:9])).ue()
    if value > 255:
        raise ValueError("pic_parameter_set_id out of range")
    return value


def slice_ok(head: bytes | memoryview, idr: bool, pic_size_in_mbs: int, pps_ids: set[int]) -> bool:
    """Whether a slice header's first fields are possible for the active parameter sets.

    `head` is the start of the slice NAL payload after its header byte (12 bytes suffice).
    Checked (§7.4.3): first_mb_in_slice inside the picture, slice_type 0..9 (an IDR slice
    only I or SI), pic_parameter_set_id one we know. Noise passes all three rarely, which
    is what lets a corrupted payload be told from a slice. Runs for every slice, so the
    three Exp-Golomb codes are read with integer operations, not a BitReader.
    """
    raw = bytes(head)
    if b"\x00\x00\x03" in raw:
        raw = unescape(raw)
    value, left = int.from_bytes(raw, "big"), len(raw) * 8
    fields = []
    for _ in range(3):
        rest = value & ((1 << left) - 1)
        width = 2 * (left - rest.bit_length()) + 1  # leading zeros, the 1, as many bits
        if rest == 0 or width > left:
            return False
        left -= width
        fields.append((rest >> left) - 1)
    first_mb, slice_type, pps = fields
    if first_mb >= pic_size_in_mbs or slice_type > 9 or pps not in pps_ids:
        return False
    return not idr or slice_type % 5 in (2, 4)


def starts_access_unit(nal_type: int, first_payload_byte: int) -> bool:
    """Whether a NAL unit can be the first of an access unit (§7.4.1.2.3).

    A slice opens one only when first_mb_in_slice is 0, i.e. its ue(v) code is the single
    bit '1', the top bit of the first payload byte.
    """
    if nal_type in (NAL_SLICE, NAL_IDR):
        return bool(first_payload_byte & 0x80)
    return nal_type in _AU_OPENERS
