"""The image-check worker process: samples every camera's live tap and judges the pictures.

Owns: `WorkerPlan` (picklable: which cameras, which stream, how often, the thresholds),
`worker_main` (the spawned process's entry) and `sample_forever` (the sampling loop,
also run in-process by the benchmark).
Failure domain (Frigate's split): this process decodes video and may crash in a codec; it
never touches the database or a camera, only the recorder's live sockets, so its death
costs only the image checks until the monitor restarts it. Recording never notices.
Invariants: cameras are sampled at most `concurrency` at a time and their first samples
are spread over one interval (hundreds of cameras do not connect at once); only changes
of a camera's judged state are reported (`HealthChanged` on channel `image`), plus the
first settled state after a start; a camera whose sample fails is skipped this round.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gwanje.camhealth.checks import ImageJudge, Thresholds
from gwanje.camhealth.kinds import IMAGE_CHANNEL
from gwanje.camhealth.sampler import decode, take_sample
from gwanje.media.recorder.jobspec import utcnow
from gwanje.media.recorder.messages import HealthChanged, StreamKey

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerPlan:
    live_dir: Path
    cameras: tuple[int, ...]
    stream: str = "sub"
    interval_s: float = 5.0
    later_units: int = 2
    timeout_s: float = 3.0
    concurrency: int = 8
    limits: Thresholds = field(default_factory=Thresholds)


@dataclass
class Counters:
    samples: int = 0
    missed: int = 0  # no socket, timeout, or the frames would not decode


async def sample_forever(
    plan: WorkerPlan,
    report: Callable[[HealthChanged], None],
    stop: Callable[[], bool],
    counters: Counters | None = None,
) -> None:
    gate = asyncio.Semaphore(plan.concurrency)
    count = max(1, len(plan.cameras))
    tasks = [
        asyncio.create_task(_camera(plan, cid, n * plan.interval_s / count, gate, report, stop,
                                    counters or Counters()))
        for n, cid in enumerate(plan.cameras)
    ]  # fmt: skip
    await asyncio.gather(*tasks)


async def _camera(
    plan: WorkerPlan,
    camera_id: int,
    offset: float,
    gate: asyncio.Semaphore,
    report: Callable[[HealthChanged], None],
    stop: Callable[[], bool],
    counters: Counters,
) -> None:
    judge = ImageJudge(plan.limits)
    await asyncio.sleep(offset)
    while not stop():
        async with gate:
            raw = await take_sample(
                plan.live_dir, camera_id, plan.stream, plan.later_units, plan.timeout_s
            )
            sample = decode(raw) if raw is not None else None
        counters.samples += 1
        if sample is None:
            counters.missed += 1
        else:
            changed = judge.judge(sample)
            if changed is not None:
                detail = json.dumps({k: round(v, 3) for k, v in judge.last.items()})
                report(
                    HealthChanged(StreamKey(camera_id, IMAGE_CHANNEL), utcnow(), changed, detail)
                )
        await asyncio.sleep(plan.interval_s)


def _stop_when_orphaned(stop: Any) -> None:
    parent = os.getppid()
    while not stop.wait(1.0):
        if os.getppid() != parent:
            stop.set()


def worker_main(plan: WorkerPlan, reports: Any, stop: Any) -> None:
    """Process entry point (spawned); runs until `stop` is set or the parent is gone."""
    logging.basicConfig(level=logging.WARNING, format="image checks: %(message)s")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the monitor decides when to stop
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=_stop_when_orphaned, args=(stop,), daemon=True).start()
    asyncio.run(sample_forever(plan, reports.put, stop.is_set))
