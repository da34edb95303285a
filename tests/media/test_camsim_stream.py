"""The simulator seen by a real client (PyAV/FFmpeg): both streams, both transports,
the right picture size and rate, keyframes as configured, continuity across clip loops."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

from camsim_kit import open_rtsp, read_video

from gwanje.media.camsim.clips import ClipSet
from gwanje.media.camsim.harness import CamsimHandle

TICKS = 90_000 // 25  # one frame at 25 fps in 90 kHz RTP units


def _decode(url: str, transport: str) -> tuple[set[str], set[tuple[int, int]], object]:
    with open_rtsp(url, transport) as container:
        kinds = {f"{s.type}:{s.codec_context.name}" for s in container.streams}
        video = container.streams.video[0]
        frames = []
        for packet in container.demux(video):
            frames += packet.decode()
            if len(frames) >= 10:
                break
        return kinds, {(f.width, f.height) for f in frames}, video.average_rate


def test_pyav_decodes_main_and_sub_over_tcp_and_udp(
    camsim: CamsimHandle, camsim_clips: ClipSet
) -> None:
    combos = [
        (c, s, t)
        for c, (s, t) in enumerate(
            [("main", "tcp"), ("sub", "tcp"), ("main", "udp"), ("sub", "udp")], start=1
        )
    ]
    with ThreadPoolExecutor(len(combos)) as pool:  # PyAV waits on sockets without the GIL
        results = list(pool.map(lambda c: _decode(camsim.url(c[0], c[1]), c[2]), combos))
    for (_, stream, _), (kinds, sizes, rate) in zip(combos, results, strict=True):
        spec = camsim_clips.profile.stream("main" if stream == "main" else "sub")
        assert kinds == {"video:h264", "audio:aac"}
        assert sizes == {(spec.width, spec.height)}
        assert rate == 25


def test_keyframes_every_gop_and_continuous_timestamps_across_loops(
    camsim: CamsimHandle, camsim_clips: ClipSet
) -> None:
    gop, frames = camsim_clips.profile.gop, camsim_clips.profile.frames
    assert frames % gop == 0
    assert frames >= 2 * gop
    with open_rtsp(camsim.url(3, "sub"), allowed_media_types="video") as container:
        packets = read_video(container, frames + 2)  # crosses the clip's loop point
    assert packets[0].key, "a session starts at an IDR"
    assert [i for i, p in enumerate(packets) if p.key] == list(range(0, frames + 1, gop))
    dts = [p.dts for p in packets if p.dts is not None]
    assert len(dts) >= frames
    assert [b - a for a, b in itertools.pairwise(dts)] == [TICKS] * (len(dts) - 1)
    assert camsim.stats(3).frames_sent["sub"] >= frames + 2


def test_video_only_setup_is_all_the_server_sends(camsim: CamsimHandle) -> None:
    with open_rtsp(camsim.url(4), allowed_media_types="video") as container:
        assert [s.type for s in container.streams] == ["video"]
        read_video(container, 5)
        (session,) = camsim.stats(4).sessions
    assert session.transports == {"video": "tcp"}
    assert session.playing
    assert session.frames_sent >= 5


def test_stats_count_sessions_per_camera(camsim: CamsimHandle) -> None:
    with open_rtsp(camsim.url(1, "main")) as a, open_rtsp(camsim.url(1, "sub"), "udp") as b:
        read_video(a, 2)
        read_video(b, 2)
        stats = camsim.stats(1)
        assert sorted((s.stream, s.transports["video"]) for s in stats.sessions) == [
            ("main", "tcp"),
            ("sub", "udp"),
        ]
        assert camsim.stats(2).sessions == ()
    assert stats.frames_sent["main"] >= 2
    assert stats.frames_sent["sub"] >= 2
