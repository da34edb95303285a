"""Benchmark: CPU cost of a watermarked shared stream, with a baseline in the same run.

    .venv/bin/python bench/share_watermark.py [--profile test|default] [--seconds 20]

A share re-encodes the camera's sub stream to burn the recipient and the time into every
frame (`gwanje.sharing.transcode.WatermarkTranscoder`: H.264 decode, two text lines on
the Y plane, x264 `veryfast`/`zerolatency`). Measured here on the simulator's own clips
(the bytes a capture worker's live tap hands the web process), one stream at a time:
- baseline: what the wall's relay does per frame for the same stream: MSE muxing only
  (`MseMuxer.fragment`), no decode, no encode;
- shared: transcode + MSE muxing.
Printed per variant: CPU seconds per second of video (= cores one stream needs in real
time), frames per CPU second, and the last line one JSON object.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from gwanje.media.camsim.clips import load_or_generate
from gwanje.media.camsim.profile import PROFILES
from gwanje.media.camsim.rtp import nal_type, split_annexb
from gwanje.media.live.mse import MseMuxer
from gwanje.media.live.wire import LiveUnit, StreamInit
from gwanje.sharing.transcode import WatermarkTranscoder

FPS = 25


def _messages(profile: str, seconds: float) -> tuple[list[StreamInit | LiveUnit], str]:
    clips = load_or_generate(Path(tempfile.gettempdir()) / "gwanje-bench-clips", PROFILES[profile])
    clip = clips.variants[0].sub
    units: list[StreamInit | LiveUnit] = [StreamInit(clip.width, clip.height, clip.sps, clip.pps)]
    count = int(seconds * FPS)
    for i in range(count):
        au = clip.aus[i % len(clip.aus)]
        data = b"".join(len(n).to_bytes(4, "big") + n for n in split_annexb(au)
                        if nal_type(n) not in (6, 7, 8, 9))  # fmt: skip
        units.append(LiveUnit(i * 3600, clip.keyframes[i % len(clip.keyframes)], False, data))
    return units, f"{clip.width}x{clip.height}"


def _baseline(messages: list[StreamInit | LiveUnit]) -> float:
    muxer = MseMuxer()
    started = time.process_time()
    for message in messages:
        if isinstance(message, StreamInit):
            muxer.init(message)
        else:
            muxer.fragment(message)
    return time.process_time() - started


def _shared(messages: list[StreamInit | LiveUnit]) -> tuple[float, int]:
    muxer = MseMuxer()
    transcoder = WatermarkTranscoder("YS-POLICE #12", lambda: time.strftime("%Y-%m-%d %H:%M:%S"))
    started = time.process_time()
    for message in messages:
        for out in transcoder.feed(message):
            if isinstance(out, StreamInit):
                muxer.init(out)
            else:
                muxer.fragment(out)
    return time.process_time() - started, transcoder.frames


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", default="test", choices=sorted(PROFILES))
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    messages, size = _messages(args.profile, args.seconds)
    frames = len(messages) - 1
    base = _baseline(messages)
    shared, encoded = _shared(messages)
    assert encoded == frames, (encoded, frames)
    result = {
        "profile": args.profile, "sub": size, "video_s": args.seconds, "frames": frames,
        "baseline_cores": round(base / args.seconds, 4),
        "shared_cores": round(shared / args.seconds, 4),
        "shared_fps_per_core": round(frames / shared, 1),
    }  # fmt: skip
    print(f"sub stream {size}, {frames} frames ({args.seconds:.0f} s of video at {FPS} fps)")
    print(f"baseline (MSE mux only): {result['baseline_cores']:.4f} cores per stream")
    print(f"shared (decode + watermark + x264 + mux): {result['shared_cores']:.4f} cores per "
          f"stream, {result['shared_fps_per_core']} frames per CPU second")  # fmt: skip
    print(json.dumps(result))


if __name__ == "__main__":
    main()
