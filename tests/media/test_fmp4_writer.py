"""The hand-written fragmented MP4 writer (gwanje.media.fmp4), checked by reading its files
back with PyAV/FFmpeg: streams, frame counts, keyframes, durations, decoding, remuxing."""

from __future__ import annotations

import itertools
from fractions import Fraction
from pathlib import Path

import av
import pytest
from rtsp_kit import collect, encode_h264, run

from gwanje.media import fmp4
from gwanje.media.camsim.harness import CamsimHandle
from gwanje.media.camsim.profile import TEST
from gwanje.media.rtsp import AccessUnit

FMP4_OPTIONS = {"movflags": "frag_keyframe+empty_moov+default_base_moof"}


def write(
    path: Path, sps: bytes, pps: bytes, size: tuple[int, int], runs: list[list[fmp4.Sample]]
) -> None:
    base = 0
    parts = [fmp4.init_segment(sps, pps, *size)]
    for seq, samples in enumerate(runs, start=1):
        parts.append(fmp4.fragment(seq, base, samples))
        base += sum(s.duration for s in samples)
    path.write_bytes(b"".join(parts))


def gops(samples: list[fmp4.Sample]) -> list[list[fmp4.Sample]]:
    """One fragment per GOP, as a recorder cuts them."""
    runs: list[list[fmp4.Sample]] = []
    for sample in samples:
        if sample.keyframe or not runs:
            runs.append([])
        runs[-1].append(sample)
    return runs


def read_packets(path: Path) -> list[tuple[bytes, int, int, int, bool]]:
    with av.open(str(path)) as container:
        assert [s.type for s in container.streams] == ["video"]
        stream = container.streams.video[0]
        return [
            (bytes(p), p.pts, p.dts, p.duration, p.is_keyframe)  # type: ignore[misc]
            for p in container.demux(stream)
            if p.size
        ]


def test_camera_access_units_read_back_and_decode(camsim: CamsimHandle, tmp_path: Path) -> None:
    aus: list[AccessUnit]
    aus, _ = run(collect(camsim.url(1, "main"), 3 * TEST.gop + 1))  # type: ignore[misc]
    samples = [
        fmp4.Sample(a.data, b.rtp_timestamp - a.rtp_timestamp, a.keyframe)
        for a, b in itertools.pairwise(aus)
    ]
    path = tmp_path / "cam.mp4"
    write(path, aus[0].sps, aus[0].pps, (aus[0].width, aus[0].height), gops(samples))

    packets = read_packets(path)
    assert [p[0] for p in packets] == [s.data for s in samples]  # byte for byte
    assert [p[4] for p in packets] == [s.keyframe for s in samples]
    assert [p[1] for p in packets] == [i * 3600 for i in range(len(samples))]
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (TEST.main.width, TEST.main.height)
        assert stream.time_base == Fraction(1, 90_000)
        assert stream.duration == sum(s.duration for s in samples)
        frames = list(container.decode(stream))
    assert len(frames) == len(samples)
    assert all((f.width, f.height) == (TEST.main.width, TEST.main.height) for f in frames)
    assert [f.key_frame for f in frames] == [s.keyframe for s in samples]


@pytest.mark.parametrize(("profile", "size"), [("high", (330, 186)), ("baseline", (64, 48))])
def test_encoded_samples_round_trip_through_a_remux(
    tmp_path: Path, profile: str, size: tuple[int, int]
) -> None:
    encoded, sps, pps = encode_h264(*size, 20, profile, gop=10)
    samples = [fmp4.Sample(data, 3000 + i % 2, key) for i, (data, key) in enumerate(encoded)]
    ours = tmp_path / "ours.mp4"
    write(ours, sps, pps, size, gops(samples))
    assert len(gops(samples)) == 2
    original = read_packets(ours)

    remuxed = tmp_path / "remuxed.mp4"  # FFmpeg's own fMP4 muxer, fed what it read from ours
    with av.open(str(ours)) as source, av.open(str(remuxed), "w", options=FMP4_OPTIONS) as sink:
        in_stream = source.streams.video[0]
        out_stream = sink.add_stream_from_template(in_stream)
        for packet in source.demux(in_stream):
            if packet.size:
                packet.stream = out_stream
                sink.mux(packet)
    assert read_packets(remuxed) == original
    assert [p[0] for p in original] == [s.data for s in samples]
    assert [p[3] for p in original] == [s.duration for s in samples]
    with av.open(str(ours)) as container:
        frames = list(container.decode(video=0))
    assert [(f.width, f.height) for f in frames] == [size] * len(samples)


def test_fragment_layout() -> None:
    """moof then mdat; the trun data offset points at the first sample byte."""
    samples = [
        fmp4.Sample(b"\x00\x00\x00\x02\x65\x88", 3600, True),
        fmp4.Sample(b"xyz", 3600, False),
    ]
    frag = fmp4.fragment(7, 123_456_789_012, samples)
    moof_size = int.from_bytes(frag[:4], "big")
    assert frag[4:8] == b"moof"
    assert frag[moof_size + 4 : moof_size + 8] == b"mdat"
    trun = frag.index(b"trun")
    count = int.from_bytes(frag[trun + 8 : trun + 12], "big")
    offset = int.from_bytes(frag[trun + 12 : trun + 16], "big")
    assert count == 2
    assert frag[offset : offset + 6] == samples[0].data
    assert frag.endswith(b"xyz")
    tfdt = frag.index(b"tfdt")
    assert frag[tfdt + 4] == 1  # version 1: 64-bit decode time
    assert int.from_bytes(frag[tfdt + 8 : tfdt + 16], "big") == 123_456_789_012
    with pytest.raises(ValueError, match="at least one sample"):
        fmp4.fragment(1, 0, [])
