"""The recorder's supervisor: recovery, worker processes, the indexer, restarts.

Start order: recover the storage (recovery.py) → spawn capture workers (staggered) →
index their reports. A worker that dies is restarted; since a killed worker cannot report,
the supervisor opens `recorder_restart` gaps for its streams (its segments in flight are
`.part` files, salvaged by the next recovery).
Stop order: set the shared stop flag → workers commit their segments in flight and exit →
the remaining reports are indexed.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import threading
from dataclasses import dataclass, field
from typing import Any

from gwanje.context import Gwanje
from gwanje.media.recorder.capture import CaptureJob, CaptureParams
from gwanje.media.recorder.indexer import Indexer
from gwanje.media.recorder.jobs import linked_jobs
from gwanje.media.recorder.messages import Report
from gwanje.media.recorder.recovery import RecoveryReport, recover
from gwanje.media.recorder.worker import WorkerSpec, worker_main
from gwanje.media.storage import Store, lock_store, open_store

log = logging.getLogger(__name__)


def params_from(ctx: Gwanje) -> CaptureParams:
    rec = ctx.settings.recording
    return CaptureParams(
        segment_seconds=rec.segment_seconds, connect_timeout_s=rec.connect_timeout_s,
        read_timeout_s=rec.read_timeout_s, reconnect_min_s=rec.reconnect_min_s,
        reconnect_max_s=rec.reconnect_max_s, no_keyframe_alarm_s=rec.no_keyframe_alarm_s,
    )  # fmt: skip


@dataclass
class _Worker:
    spec: WorkerSpec
    process: Any
    restarts: int = 0


@dataclass
class Recorder:
    ctx: Gwanje
    jobs: list[CaptureJob] | None = None
    store: Store | None = None
    params: CaptureParams | None = None
    recovery: RecoveryReport | None = None
    _workers: list[_Worker] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        mp = multiprocessing.get_context("spawn")  # no fork of a threaded process
        self._stop, self._reports = mp.Event(), mp.Queue()
        self._halt = threading.Event()
        self.store = self.store or open_store(self.ctx)
        self._lock = lock_store(self.store)  # one recorder per storage directory
        self.jobs = self.jobs if self.jobs is not None else linked_jobs(self.ctx)
        self.params = self.params or params_from(self.ctx)
        self.recovery = recover(self.ctx, self.store, [j.key for j in self.jobs])
        self._indexer = Indexer(self.ctx, self.store.id)
        for spec in self._specs():
            self._workers.append(_Worker(spec, self._spawn(mp, spec)))
        self._mp = mp
        for target in (self._index_loop, self._watch_loop, self._retention_loop):
            thread = threading.Thread(target=target, name=target.__name__, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _specs(self) -> list[WorkerSpec]:
        assert self.jobs is not None
        assert self.params is not None
        assert self.store is not None
        size = self.ctx.settings.recording.cameras_per_worker
        stagger = self.ctx.settings.recording.start_stagger_s
        groups = [tuple(self.jobs[i : i + size]) for i in range(0, len(self.jobs), size)]
        return [
            WorkerSpec(n, group, self.params, self.store.path, n * size * stagger, stagger)
            for n, group in enumerate(groups)
        ]

    def _spawn(self, mp: Any, spec: WorkerSpec) -> Any:
        process = mp.Process(
            target=worker_main, args=(spec, self._reports, self._stop),
            name=f"gwanje-capture-{spec.index}", daemon=True,
        )  # fmt: skip
        process.start()
        return process

    @property
    def worker_pids(self) -> list[int]:
        return [w.process.pid for w in self._workers]

    # -- loops --------------------------------------------------------------------------

    def _drain(self, wait_s: float) -> list[Report]:
        batch: list[Report] = []
        try:
            batch.append(self._reports.get(timeout=wait_s))
            while len(batch) < 500:
                batch.append(self._reports.get_nowait())
        except queue.Empty:
            pass
        return batch

    def _index_loop(self) -> None:
        while not self._halt.is_set():
            batch = self._drain(0.2)
            try:
                self._indexer.apply(batch)
            except Exception:  # the reports stay on disk as files: recovery re-indexes them
                log.exception("indexing %d reports failed", len(batch))

    def _watch_loop(self) -> None:
        while not self._halt.wait(1.0):
            if self._stop.is_set():
                return
            for worker in self._workers:
                if not worker.process.is_alive():
                    self._restart(worker)

    def _retention_loop(self) -> None:
        """ORD-31.1: purge expired unheld footage, and guard free space, at an interval."""
        from gwanje.retention.guard import guard_disk
        from gwanje.retention.purge import purge_expired

        interval = self.ctx.settings.recording.purge_interval_s
        while not self._halt.wait(interval):
            assert self.store is not None
            try:
                purge_expired(self.ctx)
                guard_disk(self.ctx, self.store)
            except Exception:  # the next round tries again; recording goes on regardless
                log.exception("retention round failed")

    def _restart(self, worker: _Worker) -> None:
        """A worker died (crash, OOM kill): its streams get a gap, then a new worker."""
        code = worker.process.exitcode
        log.error("capture worker %d died (exit %s); restarting", worker.spec.index, code)
        assert self.store is not None
        try:  # salvage its segments in flight and open restart gaps, for its streams only
            recover(self.ctx, self.store, [j.key for j in worker.spec.jobs], only_these=True)
        except Exception:
            log.exception("recovery after worker %d died failed", worker.spec.index)
        worker.restarts += 1
        worker.process = self._spawn(self._mp, worker.spec)

    # -- stop ---------------------------------------------------------------------------

    def stop(self, timeout_s: float = 20.0) -> None:
        """Graceful: workers commit their segments in flight; every report is indexed."""
        self._stop.set()
        for worker in self._workers:
            worker.process.join(timeout_s)
            if worker.process.is_alive():
                log.error("worker %d did not stop; terminating", worker.spec.index)
                worker.process.kill()
                worker.process.join()
        self._halt.set()
        for thread in self._threads:
            thread.join()
        self._indexer.apply(self._drain(0.5))
        while batch := self._drain(0.1):
            self._indexer.apply(batch)
        self._lock.close()  # releases the flock
        self._reports.close()
        self._reports.join_thread()
