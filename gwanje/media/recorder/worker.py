"""A capture worker process: a group of camera streams, one thread each.

Cameras are split over processes (8-32 streams each) because PyAV work per packet holds the
GIL: measured 1.6 cores at 64 streams in one process and frames lost at 128. A worker
never touches the database; it reports through the supervisor's queue. A crash of one
worker loses only its own cameras' segments in flight; the supervisor restarts it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gwanje.media.live.paths import socket_path
from gwanje.media.live.tap import LiveTap
from gwanje.media.recorder.jobspec import CaptureJob, CaptureParams
from gwanje.media.recorder.native_capture import NativeCapture
from gwanje.media.rtsp import Unsupported


@dataclass(frozen=True)
class WorkerSpec:
    index: int
    jobs: tuple[CaptureJob, ...]
    params: CaptureParams
    root: Path
    # Delay before this worker's first camera; its cameras then start `stagger_s` apart.
    first_delay_s: float
    stagger_s: float
    # Where each stream's live socket goes (gwanje.media.live); None: no live fan-out.
    live_dir: Path | None = None


def _stop_when_orphaned(stop: Any) -> None:
    """A supervisor killed with SIGKILL cannot stop its workers: they notice and stop
    themselves (committing their segments in flight; the next recovery indexes them)."""
    parent = os.getppid()
    while not stop.wait(1.0):
        if os.getppid() != parent:
            stop.set()


def worker_main(spec: WorkerSpec, reports: Any, stop: Any) -> None:
    """Process entry point (spawned). Runs until `stop` is set, SIGTERM arrives, or the
    supervisor is gone."""
    logging.basicConfig(level=logging.WARNING, format=f"worker {spec.index}: %(message)s")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides when to stop
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=_stop_when_orphaned, args=(stop,), daemon=True).start()
    if spec.params.engine == "native":
        asyncio.run(_native_main(spec, reports, stop))
        return
    threads = [
        _pyav_thread(spec, job, reports, stop, spec.first_delay_s + n * spec.stagger_s)
        for n, job in enumerate(spec.jobs)
    ]
    for thread in threads:
        thread.join()


def _pyav_thread(
    spec: WorkerSpec, job: CaptureJob, reports: Any, stop: Any, delay: float
) -> threading.Thread:
    from gwanje.media.recorder.capture import StreamCapture  # loads PyAV: only when used

    capture = StreamCapture(job, spec.params, spec.root, reports.put, stop)
    name = f"capture-{job.key.camera_id}-{job.key.stream}"
    thread = threading.Thread(target=capture.run, args=(delay,), name=name)
    thread.start()
    return thread


def _tap(spec: WorkerSpec, job: CaptureJob) -> LiveTap | None:
    if spec.live_dir is None:
        return None
    path = socket_path(spec.live_dir, job.key.camera_id, job.key.stream)
    return LiveTap(path, always_cache=job.key.stream != "main")


async def _native_main(spec: WorkerSpec, reports: Any, stop: Any) -> None:
    """All of this worker's cameras on one event loop; fsync on a small thread pool."""
    halt = asyncio.Event()
    pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="fsync")
    fallbacks: list[threading.Thread] = []
    captures = [
        NativeCapture(j, spec.params, spec.root, reports.put, pool, live=_tap(spec, j))
        for j in spec.jobs
    ]

    async def record(n: int, capture: NativeCapture) -> None:
        try:
            await capture.run(halt, spec.first_delay_s + n * spec.stagger_s)
        except Unsupported as exc:  # e.g. H.265: FFmpeg's client records it instead
            logging.getLogger(__name__).warning("%s: %s; recording it with PyAV", capture.key, exc)
            fallbacks.append(_pyav_thread(spec, capture.job, reports, stop, 0.0))

    async def watch() -> None:
        while not stop.is_set():
            await asyncio.sleep(0.2)
        halt.set()
        for capture in captures:
            capture.interrupt()

    watcher = asyncio.create_task(watch())
    await asyncio.gather(*(record(n, c) for n, c in enumerate(captures)))
    await watcher
    pool.shutdown(wait=True)
    for thread in fallbacks:
        thread.join()
