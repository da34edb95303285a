"""The recorder's supervisor: recovery, worker processes, the indexer, restarts, retention.

Start order: recover the storage (recovery.py) → spawn capture workers (staggered) →
index their reports. A worker that dies is restarted; since a killed worker cannot report,
the supervisor first salvages its streams' segments in flight and opens `recorder_restart`
gaps for them. Every `recording.registry_poll_s` the linked cameras are read again
(ORD-15: new and replaced cameras are recorded without restarting the center): a worker
whose cameras changed is stopped gracefully (its segments in flight are committed) and
respawned with its new set; new cameras get new workers.
Stop order: set every worker's stop flag → workers commit their segments in flight and
exit → the remaining reports are indexed.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import update

from gwanje.context import Gwanje
from gwanje.media.live.paths import ensure_live_dir, live_dir
from gwanje.media.models import Gap
from gwanje.media.recorder.indexer import Indexer
from gwanje.media.recorder.jobs import linked_jobs
from gwanje.media.recorder.jobspec import CaptureJob, CaptureParams
from gwanje.media.recorder.messages import Report, StreamKey
from gwanje.media.recorder.publish import EventPublisher
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
        engine=rec.engine,
    )  # fmt: skip


@contextmanager
def _main_module_hidden() -> Iterator[None]:
    """A spawned process first imports its parent's `__main__` (for `gwanje record` or
    `gwanje demo`: the whole CLI with the web app, the database layer and PyAV). A capture
    worker needs none of it, so the parent's main module is hidden while a worker starts;
    the worker then loads only what it imports itself."""
    main = sys.modules["__main__"]
    names = ("__spec__", "__file__")
    saved: dict[str, Any] = {name: main.__dict__[name] for name in names if name in main.__dict__}
    main.__dict__["__spec__"] = None
    main.__dict__.pop("__file__", None)
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


@dataclass
class _Worker:
    spec: WorkerSpec
    process: Any
    stop: Any  # multiprocessing.Event: this worker's own stop flag
    restarts: int = 0


@dataclass
class Recorder:
    ctx: Gwanje
    # Fixed jobs (tests, benches); None: every linked camera, re-read while running.
    jobs: list[CaptureJob] | None = None
    store: Store | None = None
    params: CaptureParams | None = None
    recovery: RecoveryReport | None = None
    _workers: list[_Worker] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)
    _next_index: int = 0

    def start(self) -> None:
        self._mp = multiprocessing.get_context("spawn")  # no fork of a threaded process
        self._reports: Any = self._mp.Queue()
        self._stopping = threading.Event()  # no more restarts, reconciling or purges
        self._halt = threading.Event()  # the indexer's last drain
        self.store = self.store or open_store(self.ctx)
        self._lock = lock_store(self.store)  # one recorder per storage directory
        self._follow_registry = self.jobs is None
        self.jobs = self.jobs if self.jobs is not None else linked_jobs(self.ctx)
        self.params = self.params or params_from(self.ctx)
        self.recovery = recover(self.ctx, self.store, [j.key for j in self.jobs])
        self._indexer = Indexer(self.ctx, self.store.id)
        rec = self.ctx.settings.recording
        self._publisher = EventPublisher(rec.mqtt_url, rec.mqtt_prefix) if rec.mqtt_url else None
        self._live_dir = self._open_live_dir()
        self._add_workers(self.jobs, first_delay_s=0.0)
        for target in (self._index_loop, self._watch_loop, self._retention_loop):
            thread = threading.Thread(target=target, name=target.__name__, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _open_live_dir(self) -> Path | None:
        if not self.ctx.settings.recording.live:
            return None
        try:
            return ensure_live_dir(live_dir(self.ctx.settings.data_dir))
        except OSError as exc:  # recording goes on without the wall
            log.error("live view disabled: %s", exc)
            return None

    # -- workers ------------------------------------------------------------------------

    def _add_workers(self, jobs: list[CaptureJob], first_delay_s: float) -> None:
        """Spawn workers for `jobs`, `cameras_per_worker` each, their starts staggered."""
        assert self.params is not None
        assert self.store is not None
        size = self.ctx.settings.recording.cameras_per_worker
        stagger = self.ctx.settings.recording.start_stagger_s
        for n, i in enumerate(range(0, len(jobs), size)):
            group = tuple(jobs[i : i + size])
            delay = first_delay_s + n * size * stagger
            spec = WorkerSpec(
                self._next_index, group, self.params, self.store.path, delay, stagger,
                self._live_dir,
            )  # fmt: skip
            self._next_index += 1
            stop = self._mp.Event()
            self._workers.append(_Worker(spec, self._spawn(spec, stop), stop))

    def _spawn(self, spec: WorkerSpec, stop: Any) -> Any:
        process = self._mp.Process(
            target=worker_main, args=(spec, self._reports, stop),
            name=f"gwanje-capture-{spec.index}", daemon=True,
        )  # fmt: skip
        with _main_module_hidden():
            process.start()
        return process

    @property
    def worker_pids(self) -> list[int]:
        return [w.process.pid for w in self._workers]

    def _stop_worker(self, worker: _Worker, timeout_s: float) -> None:
        worker.stop.set()
        worker.process.join(timeout_s)
        if worker.process.is_alive():
            log.error("worker %d did not stop; killing it", worker.spec.index)
            worker.process.kill()
            worker.process.join()

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
            self._index(self._drain(0.2))

    def _index(self, batch: list[Report]) -> None:
        try:
            self._indexer.apply(batch)
        except Exception:  # the reports stay on disk as files: recovery re-indexes them
            log.exception("indexing %d reports failed", len(batch))
        if self._publisher is not None:  # after the history is written
            self._publisher.publish(batch)

    def _watch_loop(self) -> None:
        poll = self.ctx.settings.recording.registry_poll_s
        waited = 0.0
        while not self._stopping.wait(1.0):
            for worker in list(self._workers):
                if not worker.process.is_alive() and not worker.stop.is_set():
                    self._restart(worker)
            waited += 1.0
            if self._follow_registry and waited >= poll:
                waited = 0.0
                try:
                    self.reconcile(linked_jobs(self.ctx))
                except Exception:
                    log.exception("re-reading the linked cameras failed")

    def reconcile(self, desired: list[CaptureJob]) -> None:
        """Make the running captures match `desired` (same key and URL), touching only the
        workers whose cameras changed."""
        wanted = {job.key: job for job in desired}
        running: set[StreamKey] = set()
        for worker in list(self._workers):
            keep = [j for j in worker.spec.jobs if wanted.get(j.key) == j]
            running.update(j.key for j in keep)
            if len(keep) == len(worker.spec.jobs):
                continue
            gone = [j.key for j in worker.spec.jobs if j not in keep]
            log.info("cameras changed in worker %d: %s", worker.spec.index, gone)
            self._stop_worker(worker, 20.0)
            self._workers.remove(worker)
            self._close_gaps(gone)
            self._add_workers(keep, first_delay_s=0.0)
        new = [job for key, job in wanted.items() if key not in running]
        if new:
            log.info("recording %d newly linked streams", len(new))
            self._add_workers(new, first_delay_s=0.0)
        self.jobs = list(desired)

    def _close_gaps(self, keys: list[StreamKey]) -> None:
        """A camera no longer recorded by decision (unlinked, ORD-15) has no open gap."""
        now = self.ctx.clock.now()
        with self.ctx.transaction() as session:
            for key in keys:
                session.execute(
                    update(Gap)
                    .where(Gap.camera_id == key.camera_id, Gap.stream == key.stream)
                    .where(Gap.end_at.is_(None))
                    .values(end_at=now)
                )

    def _retention_loop(self) -> None:
        """ORD-31.1: purge expired unheld footage, and guard free space, at an interval."""
        from gwanje.retention.guard import guard_disk
        from gwanje.retention.purge import purge_expired

        interval = self.ctx.settings.recording.purge_interval_s
        while not self._stopping.wait(interval):
            assert self.store is not None
            try:
                purge_expired(self.ctx)
                guard_disk(self.ctx, self.store)
            except Exception:  # the next round tries again; recording goes on regardless
                log.exception("retention round failed")

    def _restart(self, worker: _Worker) -> None:
        """A worker died (crash, OOM kill): salvage its streams, then a new worker."""
        code = worker.process.exitcode
        log.error("capture worker %d died (exit %s); restarting", worker.spec.index, code)
        assert self.store is not None
        try:  # salvage its segments in flight and open restart gaps, for its streams only
            recover(self.ctx, self.store, [j.key for j in worker.spec.jobs], only_these=True)
        except Exception:
            log.exception("recovery after worker %d died failed", worker.spec.index)
        worker.restarts += 1
        worker.process = self._spawn(worker.spec, worker.stop)

    # -- stop ---------------------------------------------------------------------------

    def stop(self, timeout_s: float = 60.0) -> None:
        """Graceful: workers commit their segments in flight; every report is indexed.

        The indexer keeps draining the report queue until every worker has exited: a
        worker's last reports (hundreds of segments at once when many cameras stop) can
        exceed the pipe's buffer, and a worker cannot exit before they are read.
        """
        self._stopping.set()
        for thread in self._threads:
            if thread.name != "_index_loop":
                thread.join()
        for worker in self._workers:
            worker.stop.set()
        deadline = time.monotonic() + timeout_s
        for worker in self._workers:
            self._stop_worker(worker, max(0.1, deadline - time.monotonic()))
        self._halt.set()
        for thread in self._threads:
            thread.join()
        while batch := self._drain(0.3):
            self._index(batch)
        if self._publisher is not None:
            self._publisher.close()
        self._lock.close()  # releases the flock
        self._reports.close()
        self._reports.join_thread()
