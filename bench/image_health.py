"""Benchmark: CPU of the image checks per camera-minute, keyframe sampling vs decoding
every frame, in one run.

    .venv/bin/python bench/image_health.py --cameras 16 64 --seconds 60
    .venv/bin/python bench/image_health.py --profile default --cameras 16 --seconds 60

The simulator runs in a process of its own; the real recorder records each camera's sub
stream with its live taps. Then, for each camera count, two consumers of the same live
taps run for the same time, one after the other, each on its own thread and event loop
(CPU is that thread's `thread_time`, so the recorder's threads are not counted):
- gwanje: `camhealth.worker.sample_forever`, what the image-check worker runs: every
  `--interval` seconds per camera, connect, decode the keyframe and two frames after it,
  judge;
- baseline: one persistent connection per camera decoding every frame (what a detector
  that follows the live stream does), judging one frame per interval.
Printed: CPU-seconds per camera-minute for each, and their ratio; the last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import av

from gwanje.camhealth.checks import ImageJudge, Sample
from gwanje.camhealth.sampler import annexb
from gwanje.camhealth.worker import Counters, WorkerPlan, sample_forever
from gwanje.context import Gwanje
from gwanje.media.camsim.process import run_in_process
from gwanje.media.camsim.server import ServerConfig
from gwanje.media.live.client import open_live
from gwanje.media.live.paths import live_dir
from gwanje.media.live.wire import StreamInit
from gwanje.media.recorder.jobspec import CaptureJob
from gwanje.media.recorder.messages import StreamKey
from gwanje.media.recorder.supervisor import Recorder
from gwanje.people.sample_city import ensure_departments
from gwanje.registry.models import Camera, CameraStatus
from gwanje.settings import Mode, Settings


def _cameras(ctx: Gwanje, count: int) -> list[int]:
    now = datetime.now(UTC)
    with ctx.transaction() as session:
        dept = next(iter(ensure_departments(session).values()))
        rows = [
            Camera(
                code=f"BENCH-{n:03d}",
                name=f"bench {n}",
                district="중앙동",
                address="-",
                department_id=dept.id,
                installer_body="bench",
                status=CameraStatus.LINKED,
                status_changed_at=now,
                created_at=now,
                updated_at=now,
            )
            for n in range(1, count + 1)
        ]
        session.add_all(rows)
        session.flush()
        return [c.id for c in rows]


def _measure(run: Any, seconds: float) -> tuple[float, Any]:
    """Run `run(stop)` (a coroutine factory) on a thread of its own; its CPU seconds."""
    result: dict[str, Any] = {}
    stop = threading.Event()

    def body() -> None:
        started = time.thread_time()
        result["value"] = asyncio.run(run(stop.is_set))
        result["cpu"] = time.thread_time() - started

    thread = threading.Thread(target=body)
    thread.start()
    time.sleep(seconds)
    stop.set()
    thread.join(120)
    return result["cpu"], result.get("value")


async def _every_frame(plan: WorkerPlan, stop: Any) -> int:
    async def one(camera_id: int) -> int:
        messages = await open_live(plan.live_dir, camera_id, plan.stream)
        codec, judge = av.CodecContext.create("h264", "r"), ImageJudge(plan.limits)
        codec.thread_count = 1
        init: StreamInit | None = None
        frames, due = 0, time.monotonic()
        async for message in messages:
            if stop():
                break
            if isinstance(message, StreamInit):
                init = message
                continue
            if init is None:
                continue
            for frame in codec.decode(av.Packet(annexb(init, message))):
                frames += 1
                if time.monotonic() >= due:
                    due += plan.interval_s
                    y = frame.to_ndarray()[: frame.height]
                    judge.judge(Sample(y, None, message.rtp_timestamp, None))
        await messages.aclose()
        return frames

    return sum(await asyncio.gather(*(one(c) for c in plan.cameras)))


def run(profile: str, counts: list[int], seconds: float, interval: float) -> dict[str, Any]:
    top = max(counts)
    data = Path(tempfile.mkdtemp(prefix="gwanje-bench-health-"))
    config = ServerConfig(cameras=top, udp=False)
    results: dict[str, Any] = {"profile": profile, "interval_s": interval, "seconds": seconds}
    with run_in_process(data / "clips", profile, config) as sim:
        settings = Settings(
            mode=Mode.TEST,
            data_dir=data / "center",
            recording={"streams": ["sub"], "min_free_bytes": 0},
        )
        ctx = Gwanje.open(settings)
        ids = _cameras(ctx, top)
        jobs = [
            CaptureJob(StreamKey(cid, "sub"), sim.url(n, "sub")) for n, cid in enumerate(ids, 1)
        ]
        recorder = Recorder(ctx, jobs=jobs)
        recorder.start()
        time.sleep(5)
        try:
            for count in counts:
                plan = WorkerPlan(live_dir(settings.data_dir), tuple(ids[:count]), "sub", interval)
                counters = Counters()
                ours, _ = _measure(
                    lambda stop, p=plan, c=counters: sample_forever(p, lambda r: None, stop, c),
                    seconds,
                )
                base, frames = _measure(lambda stop, p=plan: _every_frame(p, stop), seconds)
                minutes = count * seconds / 60
                row = {
                    "cameras": count,
                    "gwanje_cpu_s_per_camera_minute": round(ours / minutes, 4),
                    "baseline_cpu_s_per_camera_minute": round(base / minutes, 4),
                    "ratio": round(ours / base, 3) if base else None,
                    "samples": counters.samples,
                    "missed": counters.missed,
                    "baseline_frames_decoded": frames,
                }
                results[str(count)] = row
                print(
                    f"{count} cameras: gwanje {row['gwanje_cpu_s_per_camera_minute']} "
                    f"CPU-s/camera-minute ({counters.samples} samples, {counters.missed} "
                    f"missed); every-frame baseline {row['baseline_cpu_s_per_camera_minute']} "
                    f"({frames} frames); ratio {row['ratio']}",
                    flush=True,
                )
        finally:
            recorder.stop()
            ctx.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="test", choices=["test", "default"])
    parser.add_argument("--cameras", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--interval", type=float, default=5.0)
    args = parser.parse_args()
    print(json.dumps(run(args.profile, args.cameras, args.seconds, args.interval)))


if __name__ == "__main__":
    main()
