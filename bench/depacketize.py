"""Benchmark: the Python cost of reading one camera stream, without sockets or a loop.

    .venv/bin/python bench/depacketize.py [--seconds 60] [--profile default]

What the native capture engine does for every byte a camera sends, timed alone on the
simulator's own packets (the same RTP/interleaved bytes `gwanje camsim` puts on the wire,
1080p25 ~4 Mbit/s main stream by default): split the TCP byte stream into interleaved
frames (`ConnectionBuffer`), depacketize RTP into access units (`Depacketizer`), and
optionally write the fMP4 fragments (`NativeSegmentWriter` into /tmp). Reads are fed in
frame-sized chunks, as the recorder sees them from a socket.
Printed: CPU-seconds per stream-second for parsing alone and with writing, microseconds
per RTP packet and per access unit, for the packet path as compiled by mypyc (what the
recorder runs after `./dev setup`) beside the same modules run as Python, the baseline;
each is the best of `--rounds` alternating runs (this VM's CPU time varies by ~30 % from
one run to the next). A fixed workload, so runs compare across changes (the end-to-end
figure is bench/recording.py's). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gwanje.media.camsim.clips import load_or_generate
from gwanje.media.camsim.profile import PROFILES
from gwanje.media.camsim.rtp import render
from gwanje.media.camsim.timeline import compile_video
from gwanje.media.recorder.messages import StreamKey
from gwanje.media.recorder.native_writer import NativeSegmentWriter
from gwanje.media.rtsp import depacketize, interleave, native
from gwanje.media.rtsp.depacketize import AccessUnit
from gwanje.media.rtsp.message import Response

FPS = 25
TICKS = 90_000 // FPS


def wire(profile: str, seconds: float) -> tuple[list[bytes], int, bytes, bytes]:
    """`seconds` of one main stream as the bytes of each frame's send, and the packets."""
    cache = Path(os.environ.get("GWANJE_BENCH_CLIPS", Path.home() / ".cache/gwanje-camsim"))
    clips = load_or_generate(cache / profile, PROFILES[profile])
    clip = clips.variants[0].main
    track = compile_video(clip)
    sends, packets, seq = [], 0, 0
    for n in range(int(seconds * FPS)):
        tpl = track.templates[n % len(track.templates)]
        sends.append(bytes(render(tpl, 0, seq, n * TICKS, 0x1234)))
        seq += tpl.packets
        packets += tpl.packets
    return sends, packets, clip.sps, clip.pps


def implementations() -> dict[str, tuple[Any, Any]]:
    """name -> (depacketize module, interleave module): Python always, compiled if built."""
    found = {
        "python": (
            native.load_source("depacketize", "_bench_python_depacketize"),
            native.load_source("interleave", "_bench_python_interleave"),
        )
    }
    if native.status() == {"interleave": "compiled", "depacketize": "compiled"}:
        found["compiled"] = (depacketize, interleave)
    return found


def run(
    impl: tuple[Any, Any], sends: list[bytes], sps: bytes, pps: bytes, out: Path | None
) -> tuple[float, int]:
    depacketizer = impl[0].Depacketizer(96, sps, pps)
    units: list[AccessUnit] = []
    writer: NativeSegmentWriter | None = None

    def on_message(message: Response) -> None:
        raise AssertionError("no RTSP messages in this stream")

    buffer = impl[1].ConnectionBuffer(depacketizer.push, on_message, size=128 * 1024)
    buffer.rtp_channel = 0
    start = time.process_time()
    for data in sends:
        at = 0
        while at < len(data):  # a read takes what fits, as recv_into does
            view = buffer.get_buffer()
            n = min(len(view), len(data) - at)
            view[:n] = data[at : at + n]
            buffer.filled(n)
            at += n
        ready = depacketizer.ready
        while ready:
            unit = ready.popleft()
            if out is not None:
                if writer is None and unit.keyframe:
                    writer = NativeSegmentWriter(out, StreamKey(1, "main"), datetime.now(UTC),
                                                 unit, 1)  # fmt: skip
                if writer is not None:
                    writer.add(unit)
            units.append(unit)
    if writer is not None:
        writer.close_fragments(writer.last_ts + TICKS)
        writer.abort()
    return time.process_time() - start, len(units)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="default")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sends, packets, sps, pps = wire(args.profile, args.seconds)
    frames = len(sends)
    mbit = sum(map(len, sends)) / args.seconds * 8 / 1e6
    print(f"{args.seconds:g} s of one {args.profile} main stream: {frames} frames, "
          f"{packets} RTP packets, {mbit:.2f} Mbit/s")  # fmt: skip
    impls = implementations()
    if "compiled" not in impls:
        print("the packet path is not compiled here (tools/build_native.py): Python only")
    parse: dict[str, float] = {}
    write: dict[str, float] = {}
    out = Path(tempfile.mkdtemp(prefix="gwanje-bench-depack-"))
    try:
        for _ in range(args.rounds):
            for name, impl in impls.items():
                cpu, units = run(impl, sends, sps, pps, None)
                assert units == frames, f"{name}: {units} units from {frames} frames"
                parse[name] = min(parse.get(name, cpu), cpu)
                cpu, _ = run(impl, sends, sps, pps, out)
                write[name] = min(write.get(name, cpu), cpu)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    summary: dict[str, Any] = {
        "profile": args.profile, "seconds": args.seconds, "packets": packets, "frames": frames,
    }  # fmt: skip
    for name in impls:
        per_s = parse[name] / args.seconds
        print(f"{name:>8}: parse {per_s:.6f} CPU-s per stream-second "
              f"({parse[name] / packets * 1e6:.3f} us per packet, "
              f"{parse[name] / frames * 1e6:.2f} us per frame); parse + write "
              f"{write[name] / args.seconds:.6f}")  # fmt: skip
        summary[f"{name}_parse_cpu_per_stream_s"] = round(per_s, 6)
        summary[f"{name}_parse_write_cpu_per_stream_s"] = round(write[name] / args.seconds, 6)
        summary[f"{name}_us_per_packet"] = round(parse[name] / packets * 1e6, 3)
    if "compiled" in impls:
        summary["parse_ratio"] = round(parse["compiled"] / parse["python"], 3)
        summary["parse_write_ratio"] = round(write["compiled"] / write["python"], 3)
        print(f"compiled/python: parse {summary['parse_ratio']}, "
              f"parse + write {summary['parse_write_ratio']}")  # fmt: skip
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
