"""Clip generation and cache, packetizers and request framing, without a server."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from gwanje.media.camsim.clips import ClipSet, load_or_generate
from gwanje.media.camsim.profile import TEST, Profile, StreamSpec
from gwanje.media.camsim.protocol import Interleaved, Request, RequestParser, RtspError
from gwanje.media.camsim.rtp import (
    MAX_PAYLOAD,
    NAL_IDR,
    NAL_PPS,
    NAL_SPS,
    aac_payload,
    build_template,
    h264_payloads,
    render,
    split_annexb,
)
from gwanje.media.camsim.timeline import compile_video, video_position

TINY = replace(
    TEST,
    name="tiny",
    variants=1,
    gop=10,
    main=StreamSpec(64, 36, 80_000),
    sub=StreamSpec(32, 32, 40_000),
)


def test_clips_start_with_idr_and_repeat_it_every_gop(camsim_clips: ClipSet) -> None:
    profile = camsim_clips.profile
    assert len(camsim_clips.variants) == profile.variants
    for variant in camsim_clips.variants:
        for clip in (variant.main, variant.sub):
            assert len(clip.aus) == profile.frames
            assert [i for i, k in enumerate(clip.keyframes) if k] == list(
                range(0, profile.frames, profile.gop)
            )
            for au, key in zip(clip.aus, clip.keyframes, strict=True):
                types = [n[0] & 0x1F for n in split_annexb(au)]
                if key:  # SPS and PPS in-band before every IDR, as cameras send them
                    assert types.index(NAL_SPS) < types.index(NAL_PPS) < types.index(NAL_IDR)
                else:
                    assert NAL_IDR not in types
        assert len(variant.audio.aus) >= profile.clip_seconds * profile.audio_rate // 1024


def test_cache_is_reused_regenerated_on_change_and_deterministic(tmp_path: Path) -> None:
    first = load_or_generate(tmp_path / "a", TINY)
    assert first.generated
    again = load_or_generate(tmp_path / "a", TINY)
    assert not again.generated
    assert again.variants == first.variants
    other = load_or_generate(tmp_path / "b", TINY)
    assert other.variants == first.variants, "same profile, same bytes"
    changed = load_or_generate(tmp_path / "a", replace(TINY, gop=5))
    assert changed.generated
    assert sum(changed.variants[0].main.keyframes) == 2 * sum(first.variants[0].main.keyframes)
    manifest = tmp_path / "a" / "tiny" / "manifest.json"
    assert json.loads(manifest.read_text())["profile"]["gop"] == 5
    (tmp_path / "a" / "tiny" / "A-main.h264").write_bytes(b"tampered")
    assert load_or_generate(tmp_path / "a", replace(TINY, gop=5)).generated


def test_profile_invariants() -> None:
    with pytest.raises(ValueError, match="whole number of GOPs"):
        replace(TEST, gop=7)
    with pytest.raises(ValueError, match="even"):
        Profile("odd", StreamSpec(321, 180, 1), StreamSpec(160, 90, 1))


def test_fu_a_fragments_reassemble_and_marker_ends_the_access_unit() -> None:
    big = bytes([0x65]) + bytes(range(256)) * 20
    small = bytes([0x67, 1, 2, 3])
    payloads = h264_payloads([small, big])
    assert payloads[0] == small
    frags = payloads[1:]
    assert len(frags) > 1
    assert all(len(p) <= MAX_PAYLOAD for p in payloads)
    assert all(p[0] == (0x65 & 0xE0) | 28 for p in frags)
    assert frags[0][1] & 0x80
    assert not frags[0][1] & 0x40
    assert frags[-1][1] & 0x40
    assert not frags[-1][1] & 0x80
    assert bytes([0x65]) + b"".join(p[2:] for p in frags) == big
    tpl = build_template(payloads, 96, 0)
    wire = render(tpl, 4, 65534, 123456, 0xCAFEBABE)
    headers = [wire[a : a + 12] for a, _ in tpl.spans]
    assert [h[1] & 0x80 for h in headers] == [0] * (len(headers) - 1) + [0x80]
    assert [int.from_bytes(h[2:4], "big") for h in headers][:3] == [65534, 65535, 0]
    assert {wire[a - 3] for a, _ in tpl.spans} == {4}, "interleaved channel patched"


def test_aac_payload_has_rfc3640_au_header() -> None:
    payload = aac_payload(b"\x21" * 300)
    assert payload[:2] == b"\x00\x10"  # 16 bits of AU headers
    assert int.from_bytes(payload[2:4], "big") == 300 << 3
    with pytest.raises(ValueError, match="too large"):
        aac_payload(b"x" * 9000)


def test_sequence_numbers_continue_across_the_loop(camsim_clips: ClipSet) -> None:
    track = compile_video(camsim_clips.variants[0].main)
    from gwanje.media.camsim.timeline import RtpClock

    clock = RtpClock(ssrc=1, seq_base=65000, ts_base=0xFFFFF000)
    last = track.frames - 1
    _, seq_end, ts_end = video_position(track, clock, last, 25)
    _, seq_loop, ts_loop = video_position(track, clock, last + 1, 25)
    assert seq_loop == (seq_end + track.templates[last].packets) % 65536
    assert ts_loop == (ts_end + 3600) % 2**32


def test_parser_frames_pipelined_requests_and_interleaved_data() -> None:
    parser = RequestParser()
    parser.buffer += (
        b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n$\x01\x00\x03abc"
        b"SET_PARAMETER rtsp://h/cam1/main RTSP/1.0\r\nCSeq: 2\r\n"
        b"Content-Length: 4\r\n\r\nab"
    )
    first = parser.next()
    assert isinstance(first, Request)
    assert first.method == "OPTIONS"
    assert parser.next() == Interleaved(1, b"abc")
    assert parser.next() is None, "body incomplete"
    parser.buffer += b"cd"
    last = parser.next()
    assert isinstance(last, Request)
    assert last.body == b"abcd"
    assert last.cseq == "2"
    parser.buffer += b"X" * 9000
    with pytest.raises(RtspError) as raised:
        parser.next()
    assert raised.value.status == 400
    assert raised.value.close
