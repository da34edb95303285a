"""A capture worker process: a group of camera streams, one thread each.

Cameras are split over processes (8-32 streams each) because PyAV work per packet holds the
GIL: measured 1.6 cores at 64 streams in one process and frames lost at 128. A worker
never touches the database; it reports through the supervisor's queue. A crash of one
worker loses only its own cameras' segments in flight; the supervisor restarts it.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gwanje.media.recorder.capture import CaptureJob, CaptureParams, StreamCapture


@dataclass(frozen=True)
class WorkerSpec:
    index: int
    jobs: tuple[CaptureJob, ...]
    params: CaptureParams
    root: Path
    # Delay before this worker's first camera; its cameras then start `stagger_s` apart.
    first_delay_s: float
    stagger_s: float


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
    threads = []
    for n, job in enumerate(spec.jobs):
        capture = StreamCapture(job, spec.params, spec.root, reports.put, stop)
        delay = spec.first_delay_s + n * spec.stagger_s
        thread = threading.Thread(
            target=capture.run, args=(delay,), name=f"capture-{job.key.camera_id}-{job.key.stream}"
        )
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
