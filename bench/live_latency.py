"""Benchmark: live latency of the video wall, camera to Chromium, with a baseline.

    .venv/bin/python bench/live_latency.py [--tiles 16] [--seconds 20] [--profile test]

Starts the whole chain as `gwanje demo` runs it, on this machine: the camera simulator
(logging when it sent each frame), the recorder (supervisor + capture workers with live
taps, recording main and sub streams), the web server, and Debian's Chromium (headless,
Playwright) showing a wall of N tiles of sub streams as an operator would.
- Latency of a frame: from the simulator sending it (its RTP timestamp, logged with the
  wall time) to Chromium presenting it (`requestVideoFrameCallback`: media time mapped
  back to the RTP timestamp with the stream's `base` message, presentation time mapped to
  the wall clock with `performance.timeOrigin`). Same machine, same clock.
- Time to first frame: a camera not yet on the playing wall is put on a tile; from the
  tile's player being created to its first presented frame (5 switches).
- Browser CPU: the CPU seconds of Chromium's processes per second while the wall plays.
- Baseline, same run: the same frames received by Gwanje's own RTSP client straight from
  the simulator (no recorder, no browser): the floor any live path starts from.
Printed: p50/p95 latency for both, time to first frame, browser CPU; the last line is one
JSON object with `tiles`, `p50_ms`, `p95_ms`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from gwanje.cli.demo import seed_demo
from gwanje.context import Gwanje
from gwanje.media.camsim.clips import load_or_generate
from gwanje.media.camsim.harness import CamsimHandle, run_in_thread
from gwanje.media.camsim.profile import PROFILES
from gwanje.media.camsim.server import ServerConfig
from gwanje.media.config import RecordingSettings
from gwanje.media.recorder.supervisor import Recorder
from gwanje.media.rtsp import open_stream
from gwanje.settings import Mode, Settings

CHROMIUM = "/usr/bin/chromium"
COLLECT_JS = """(seconds) => new Promise((resolve) => {
  const samples = [];
  const videos = [...document.querySelectorAll('[data-testid^=tile-video-]')];
  const until = performance.now() + seconds * 1000;
  for (const v of videos) {
    const tile = v.closest('.tile');
    const tick = (now, meta) => {
      samples.push({camera: tile.dataset.camera, base: Number(v.dataset.baseRtp),
                    media: meta.mediaTime,
                    wall: performance.timeOrigin + meta.presentationTime});
      if (performance.now() < until) v.requestVideoFrameCallback(tick);
    };
    v.requestVideoFrameCallback(tick);
  }
  setTimeout(() => resolve(samples), seconds * 1000 + 200);
})"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def start_center(work: Path, sim: CamsimHandle, cameras: int) -> tuple[Gwanje, Any, Any, str]:
    recording = RecordingSettings(streams=["main", "sub"], segment_seconds=60, min_free_bytes=0)
    settings = Settings(mode=Mode.DEMO, data_dir=work, recording=recording)
    ctx = Gwanje.open(settings)  # migrates the new database
    accounts = seed_demo(ctx, cameras=cameras, rtsp_port=sim.port)
    password = next(p for user, p, _ in accounts if user == "operator")
    recorder = Recorder(ctx)
    recorder.start()
    from gwanje.web.app import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(ctx), host="127.0.0.1", port=port,
                                           log_level="warning"))  # fmt: skip
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return ctx, recorder, server, f"http://127.0.0.1:{port}|{password}"


def camera_numbers(ctx: Gwanje) -> dict[str, int]:
    """Camera code -> simulator camera number (demo cameras use camN in their URL)."""
    from sqlalchemy import select

    from gwanje.registry.models import Camera

    with ctx.sessions() as session:
        rows = session.execute(select(Camera.code, Camera.sub_stream_url)).all()
    return {code: int(url.rsplit("/cam", 1)[1].split("/")[0]) for code, url in rows if url}


def latencies(
    samples: list[dict[str, Any]], sim: CamsimHandle, numbers: dict[str, int]
) -> list[float]:
    sent: dict[int, dict[int, float]] = {}
    out: list[float] = []
    for s in samples:
        number = numbers[s["camera"]]
        if number not in sent:
            sent[number] = dict(sim.send_times(number, "sub"))
        rtp = (int(s["base"]) + round(s["media"] * 90_000)) & 0xFFFFFFFF
        at = sent[number].get(rtp)
        if at is None:  # a rounding tick either side
            at = sent[number].get((rtp + 1) & 0xFFFFFFFF) or sent[number].get(
                (rtp - 1) & 0xFFFFFFFF
            )
        if at is not None:
            out.append((s["wall"] / 1000.0 - at) * 1000.0)
    return out


async def baseline(sim: CamsimHandle, numbers: list[int], seconds: float) -> list[float]:
    """Send-to-receipt latency of the same sub streams through Gwanje's RTSP client."""
    received: list[tuple[int, int, float]] = []

    async def one(number: int) -> None:
        stream = await open_stream(sim.url(number, "sub"), connect_timeout=10, read_timeout=10)
        async with stream:
            until = time.monotonic() + seconds
            async for unit in stream:
                received.append((number, unit.rtp_timestamp & 0xFFFFFFFF, time.time()))
                if time.monotonic() > until:
                    break

    await asyncio.gather(*(one(n) for n in numbers))
    logs = {n: dict(sim.send_times(n, "sub")) for n in numbers}
    return [(at - logs[n][ts]) * 1000.0 for n, ts, at in received if ts in logs[n]]


def browser_cpu(seconds: float) -> float:
    """CPU seconds per second of all Chromium processes over `seconds`."""

    def total() -> float:
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
                if "(chromium" not in text and "(chrome" not in text:
                    continue
                fields = text.rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])
            except OSError:
                continue
        return ticks / 100.0

    before = total()
    time.sleep(seconds)
    return (total() - before) / seconds


def switch_times(page: Any, spare: list[str], count: int) -> list[float]:
    """Time to first frame: put a camera not yet on the wall onto a playing wall's tile
    and wait for its first presented frame (the other tiles keep playing)."""
    times: list[float] = []
    for n, code in enumerate(spare[:count]):
        page.get_by_test_id(f"tile-{n}").click()
        page.get_by_test_id(f"tree-camera-{code}").click()
        video = f"[data-testid=tile-{n}][data-camera='{code}'] video"
        page.wait_for_function(
            f'Number(document.querySelector("{video}")?.dataset.firstFrameMs ?? -1) >= 0',
            timeout=30_000,
        )
        times.append(float(page.get_attribute(video, "data-first-frame-ms") or -1))
    return times


def run_wall(url: str, password: str, tiles: int, seconds: float) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(f"{url}/login")
        page.fill("input[name=username]", "operator")
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.goto(f"{url}/wall")
        page.wait_for_selector("[data-testid^=tree-camera-]")
        codes = [str(e.get_attribute("data-testid")).removeprefix("tree-camera-")
                 for e in page.query_selector_all("[data-testid^=tree-camera-]")]  # fmt: skip
        grid = next(g for g in (1, 4, 9, 16, 25, 36) if g >= tiles)
        page.get_by_test_id(f"grid-{grid}").click()
        for n, code in enumerate(codes[:tiles]):
            page.get_by_test_id(f"tile-{n}").click()
            page.get_by_test_id(f"tree-camera-{code}").click()
        page.wait_for_function(
            f"[...document.querySelectorAll('[data-testid^=tile-video-]')]"
            f".filter((v) => Number(v.dataset.frames||0) > 25).length >= {tiles}",
            timeout=120_000,
        )
        first = switch_times(page, codes[tiles:], min(5, tiles))
        cpu_thread: list[float] = []
        meter = threading.Thread(target=lambda: cpu_thread.append(browser_cpu(seconds / 2)))
        meter.start()
        samples = page.evaluate(COLLECT_JS, seconds)
        meter.join()
        browser.close()
    return {"samples": samples, "first_frame_ms": first, "browser_cpu": cpu_thread[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiles", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="test")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gwanje-bench-live-"))
    clips = load_or_generate(work / "clips", PROFILES[args.profile])
    cameras = args.tiles * 2  # the demo leaves about a third of its cameras unlinked
    sim = run_in_thread(clips, ServerConfig(cameras=cameras, log_send_times=True))
    ctx, recorder, server, where = start_center(work / "data", sim, cameras)
    url, password = where.split("|", 1)
    try:
        wall = run_wall(url, password, args.tiles, args.seconds)
        numbers = camera_numbers(ctx)
        lat = latencies(wall["samples"], sim, numbers)
        watched = sorted({numbers[s["camera"]] for s in wall["samples"]})
        base = asyncio.run(baseline(sim, watched, args.seconds / 2))
    finally:
        server.should_exit = True
        recorder.stop()
        sim.stop()
        ctx.close()
        shutil.rmtree(work, ignore_errors=True)
    first = [f for f in wall["first_frame_ms"] if f >= 0]
    summary = {
        "tiles": args.tiles, "profile": args.profile, "frames_measured": len(lat),
        "p50_ms": round(statistics.median(lat), 1), "p95_ms": round(percentile(lat, 0.95), 1),
        "first_frame_p50_ms": round(statistics.median(first), 1) if first else None,
        "first_frame_max_ms": round(max(first), 1) if first else None,
        "browser_cpu_cores": round(wall["browser_cpu"], 2),
        "baseline_p50_ms": round(statistics.median(base), 1),
        "baseline_p95_ms": round(percentile(base, 0.95), 1),
    }  # fmt: skip
    print(f"wall of {args.tiles} tiles ({args.profile} sub streams): {len(lat)} frames, "
          f"latency p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms; first frame p50 "
          f"{summary['first_frame_p50_ms']} ms, max {summary['first_frame_max_ms']} ms; "
          f"Chromium {summary['browser_cpu_cores']} CPU cores")  # fmt: skip
    print(
        f"baseline (Gwanje's RTSP client, straight from the simulator): {len(base)} frames, "
        f"p50 {summary['baseline_p50_ms']} ms, p95 {summary['baseline_p95_ms']} ms"
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
