"""The share watermark transcoder on the simulator's own clip: one frame out per frame
in, keyframes on its GOP, and an IDR at once when a viewer joins (`force_keyframe`)."""

from __future__ import annotations

from pathlib import Path

from gwanje.media.camsim.clips import ClipSet, load_or_generate
from gwanje.media.camsim.profile import TEST
from gwanje.media.camsim.rtp import nal_type, split_annexb
from gwanje.media.live.wire import LiveUnit, StreamInit
from gwanje.sharing.transcode import WatermarkTranscoder


def _messages(clips: ClipSet, count: int) -> list[StreamInit | LiveUnit]:
    clip = clips.variants[0].sub
    out: list[StreamInit | LiveUnit] = [StreamInit(clip.width, clip.height, clip.sps, clip.pps)]
    for i in range(count):
        au = clip.aus[i % len(clip.aus)]
        data = b"".join(len(n).to_bytes(4, "big") + n for n in split_annexb(au)
                        if nal_type(n) not in (6, 7, 8, 9))  # fmt: skip
        out.append(LiveUnit(i * 3600, clip.keyframes[i % len(clip.keyframes)], False, data))
    return out


def test_a_forced_keyframe_comes_at_once_between_gop_keyframes(tmp_path: Path) -> None:
    clips = load_or_generate(tmp_path / "clips", TEST)
    transcoder = WatermarkTranscoder("YS-POLICE #1", lambda: "2026-11-26 10:00:00", gop=50)
    keys: list[bool] = []
    for n, message in enumerate(_messages(clips, 40)):
        if n == 21:  # unit 20 of the source: mid-GOP for an encoder keyed every 50
            transcoder.force_keyframe()
        keys += [u.keyframe for u in transcoder.feed(message) if isinstance(u, LiveUnit)]
    assert len(keys) == 40  # one out per frame in (zerolatency: no delay, no reordering)
    assert [i for i, key in enumerate(keys) if key] == [0, 20]
