"""Benchmark: Gwanje's asyncio RTSP client against PyAV's demuxer, same cameras, same run.

    .venv/bin/python bench/rtsp_client.py --streams 16 64 --seconds 30
    .venv/bin/python bench/rtsp_client.py --streams 64 --seconds 30 --fmp4   # also write files

For each stream count N, the simulator (`camsim`, 1080p25 ~4 Mbit/s main streams by
default, clips from ~/.cache/gwanje-camsim) runs in its own process, and each reader runs
in a fresh child process of its own, so neither the simulator nor the other reader is in
its figures:
- client: `gwanje.media.rtsp.open_stream` for every camera on ONE asyncio loop (with
  --fmp4 it also writes one fragment per GOP with `gwanje.media.fmp4` to /tmp files);
- pyav: `av.open(url).demux()` on one thread per camera, with the recorder's options
  (TCP, video only, socket timeout), counting packets.
Printed for each: CPU-seconds per stream-second (getrusage of the reader process over the
measured window, after a warm-up), PSS per stream, access units per stream-second
(25 expected). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

CACHE = Path(os.environ.get("GWANJE_BENCH_CLIPS", Path.home() / ".cache/gwanje-camsim"))


def cpu_now() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def pss_bytes() -> int:
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- child: the simulator -------------------------------------------------------------------


def serve(cameras: int, port: int, profile: str) -> None:
    from gwanje.media.camsim.clips import load_or_generate
    from gwanje.media.camsim.harness import run_in_thread
    from gwanje.media.camsim.profile import PROFILES
    from gwanje.media.camsim.server import ServerConfig

    clips = load_or_generate(CACHE / profile, PROFILES[profile])
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with run_in_thread(clips, ServerConfig(cameras=cameras, port=port, udp=False)):
        print("ready", flush=True)
        stop.wait()


# -- children: the readers --------------------------------------------------------------------


def measure(counts: list[int], warmup: float, seconds: float) -> dict[str, Any]:
    """Sleep through the warm-up, then sample CPU and frame counts over the window."""
    time.sleep(warmup)
    cpu0, frames0, t0 = cpu_now(), sum(counts), time.monotonic()
    time.sleep(seconds)
    cpu1, frames1, t1 = cpu_now(), sum(counts), time.monotonic()
    return {"cpu_s": cpu1 - cpu0, "window_s": t1 - t0, "aus": frames1 - frames0, "pss": pss_bytes()}


def read_with_client(
    urls: list[str], warmup: float, seconds: float, fmp4_dir: str | None
) -> dict[str, Any]:
    from gwanje.media import fmp4
    from gwanje.media.rtsp import open_stream

    counts = [0] * len(urls)
    errors: list[str] = []

    async def one(i: int, url: str) -> None:
        await asyncio.sleep(i * 0.01)  # a camera-friendly stagger, as the recorder does
        stream = await open_stream(url, connect_timeout=10, read_timeout=5)
        out = open(f"{fmp4_dir}/cam{i}.mp4", "wb") if fmp4_dir else None  # noqa: SIM115
        pending: list[Any] = []
        last = None
        seq = base = 0
        async for au in stream:
            counts[i] += 1
            if out is None:
                continue
            if last is not None:
                pending.append(
                    fmp4.Sample(last.data, au.rtp_timestamp - last.rtp_timestamp, last.keyframe)
                )
            if au.keyframe and pending:
                seq += 1
                out.write(fmp4.fragment(seq, base, pending))
                base += sum(s.duration for s in pending)
                pending = []
            elif last is None:
                out.write(fmp4.init_segment(au.sps, au.pps, au.width, au.height))
            last = au

    async def main() -> None:
        tasks = [asyncio.create_task(one(i, u)) for i, u in enumerate(urls)]
        for task in tasks:
            task.add_done_callback(
                lambda t: t.cancelled() or not t.exception() or errors.append(repr(t.exception()))
            )
        await asyncio.sleep(3600)

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    result = measure(counts, warmup, seconds)
    result["errors"] = errors[:3]
    return result


def read_with_pyav(urls: list[str], warmup: float, seconds: float) -> dict[str, Any]:
    import av

    counts = [0] * len(urls)
    options = {"rtsp_transport": "tcp", "allowed_media_types": "video", "timeout": "5000000"}

    def one(i: int, url: str) -> None:
        time.sleep(i * 0.01)
        with av.open(url, options=options) as container:
            for packet in container.demux(container.streams.video[0]):
                if packet.size:
                    counts[i] += 1

    for i, url in enumerate(urls):
        threading.Thread(target=one, args=(i, url), daemon=True).start()
    return measure(counts, warmup, seconds)


def worker(args: argparse.Namespace) -> None:
    urls = [f"rtsp://127.0.0.1:{args.port}/cam{i}/main" for i in range(1, args.streams + 1)]
    if args.worker == "client":
        fmp4_dir = tempfile.mkdtemp(prefix="gwanje-bench-fmp4-") if args.fmp4 else None
        result = read_with_client(urls, args.warmup, args.seconds, fmp4_dir)
        if fmp4_dir:
            shutil.rmtree(fmp4_dir, ignore_errors=True)
    else:
        result = read_with_pyav(urls, args.warmup, args.seconds)
    print(json.dumps(result), flush=True)
    os._exit(0)  # reader threads are blocked in reads; do not wait for them


# -- parent ------------------------------------------------------------------------------------


def run_reader(kind: str, n: int, port: int, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", kind, "--port", str(port), "--streams", str(n)]
    cmd += ["--seconds", str(args.seconds), "--warmup", str(args.warmup)]
    cmd += ["--fmp4"] if args.fmp4 and kind == "client" else []
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    window = n * result["window_s"]
    result |= {
        "cpu_per_stream_s": round(result["cpu_s"] / window, 6),
        "aus_per_stream_s": round(result["aus"] / window, 2),
        "pss_per_stream_mb": round(result["pss"] / n / 1e6, 2),
    }
    name = kind + ("+fmp4" if args.fmp4 and kind == "client" else "")
    print(
        f"{n:4d} streams  {name:12s} CPU {result['cpu_per_stream_s']:.5f} s per stream-second, "
        f"PSS {result['pss_per_stream_mb']:.2f} MB per stream, "
        f"{result['aus_per_stream_s']:.2f} AUs per stream-second {result.get('errors') or ''}",
        flush=True,
    )
    return result


def bench(n: int, args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    cmd = [
        sys.executable,
        __file__,
        "--serve",
        str(n),
        "--port",
        str(port),
        "--profile",
        args.profile,
    ]
    sim = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert sim.stdout is not None
        if sim.stdout.readline().strip() != "ready":
            raise SystemExit("camsim did not start")
        ours = run_reader("client", n, port, args)
        theirs = run_reader("pyav", n, port, args)
    finally:
        sim.send_signal(signal.SIGTERM)
        sim.wait(10)
    return {
        "streams": n,
        "client_cpu_per_stream_s": ours["cpu_per_stream_s"],
        "pyav_cpu_per_stream_s": theirs["cpu_per_stream_s"],
        "cpu_ratio": round(ours["cpu_per_stream_s"] / theirs["cpu_per_stream_s"], 3),
        "client_pss_per_stream_mb": ours["pss_per_stream_mb"],
        "pyav_pss_per_stream_mb": theirs["pss_per_stream_mb"],
        "client_aus_per_stream_s": ours["aus_per_stream_s"],
        "pyav_aus_per_stream_s": theirs["aus_per_stream_s"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--profile", default="default")
    parser.add_argument("--fmp4", action="store_true", help="the client also writes fMP4 files")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=["client", "pyav"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.profile)
        return
    if args.worker:
        args.streams = args.streams[0]
        worker(args)
        return
    summary = {"seconds": args.seconds, "profile": args.profile, "fmp4": args.fmp4}
    summary["runs"] = [bench(n, args) for n in args.streams]  # type: ignore[assignment]
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
