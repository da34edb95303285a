"""The health monitor: supervises the image-check worker and turns faults into tickets.

Owns: `HealthMonitor` (runs beside the recorder, in `gwanje record` and `gwanje demo`),
`apply_image_reports` and `sweep_recorder_faults`.
- The worker (worker.py) is a process of its own, restarted when it dies and respawned
  when the set of linked cameras changes; its crash never reaches recording.
- Its reports are written to the same history as the recorder's (`camera_health`, channel
  `image`, only when the state changed), published on MQTT like the recorder's
  (`<prefix>/cameras/<id>/image/health`, retained), and every fault opens a ticket or
  appends an occurrence (`tickets.Maintenance.report_fault`), in one transaction.
- Every `health.sweep_interval_s` the recorder's own health is swept: a main stream
  offline, without video or without keyframes for `health.recorder_fault_after_s` opens
  a ticket the same way (ORD-12: failures tracked until fixed).
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from gwanje.camhealth.checks import Thresholds
from gwanje.camhealth.kinds import IMAGE_CHANNEL, FaultKind, ImageState
from gwanje.camhealth.metrics import RECORDER_FAULTS
from gwanje.camhealth.tickets import Maintenance, latest_state
from gwanje.camhealth.worker import WorkerPlan, worker_main
from gwanje.clock import as_utc
from gwanje.context import Gwanje
from gwanje.media.live.paths import live_dir
from gwanje.media.models import CameraHealthEvent
from gwanje.media.recorder.messages import HealthChanged
from gwanje.media.recorder.publish import EventPublisher
from gwanje.operations.incidents import open_from_health
from gwanje.registry.models import Camera, CameraStatus

log = logging.getLogger(__name__)


def apply_image_reports(ctx: Gwanje, reports: Sequence[HealthChanged]) -> list[HealthChanged]:
    """Write the changed image states and open tickets for faults; returns the changes."""
    changed: list[HealthChanged] = []
    with ctx.transaction() as session:
        service = Maintenance(session, ctx.settings, ctx.clock, None)
        for r in reports:
            if latest_state(session, r.key.camera_id, IMAGE_CHANNEL) == r.state:
                continue
            session.add(
                CameraHealthEvent(
                    camera_id=r.key.camera_id,
                    stream=IMAGE_CHANNEL,
                    at=r.at,
                    state=r.state,
                    detail=r.detail,
                )
            )
            session.flush()
            changed.append(r)
            if r.state != ImageState.OK:
                ticket = service.report_fault(
                    r.key.camera_id, FaultKind(r.state), "image", r.detail, r.at
                )
                if ticket.occurrences == 1:  # a new fault, not a repeat of an open one
                    open_from_health(session, ctx.settings, ctx.clock, r.key.camera_id,
                                     r.state, r.detail)  # fmt: skip
    return changed


def _newest_main_events(session: Session) -> list[CameraHealthEvent]:
    """Each linked camera's newest main-stream health event, in one query."""
    linked = select(Camera.id).where(Camera.status == CameraStatus.LINKED)
    newest_first = (CameraHealthEvent.at.desc(), CameraHealthEvent.id.desc())
    rank = func.row_number().over(partition_by=CameraHealthEvent.camera_id, order_by=newest_first)
    ranked = (
        select(CameraHealthEvent, rank.label("rank"))
        .where(CameraHealthEvent.stream == "main", CameraHealthEvent.camera_id.in_(linked))
        .subquery()
    )
    event = aliased(CameraHealthEvent, ranked)
    return list(session.scalars(select(event).where(ranked.c.rank == 1).order_by(event.camera_id)))


def sweep_recorder_faults(ctx: Gwanje) -> int:
    """Open (or add to) a ticket for each main stream in a recorder fault long enough."""
    cutoff = ctx.clock.now() - timedelta(seconds=ctx.settings.health.recorder_fault_after_s)
    opened = 0
    with ctx.transaction() as session:
        service = Maintenance(session, ctx.settings, ctx.clock, None)
        for row in _newest_main_events(session):
            if row.state not in RECORDER_FAULTS or as_utc(row.at) > cutoff:
                continue
            service.report_fault(
                row.camera_id, FaultKind(row.state), "recorder", row.detail, as_utc(row.at)
            )
            opened += 1
    return opened


def linked_camera_ids(ctx: Gwanje) -> tuple[int, ...]:
    with ctx.sessions() as session:
        query = select(Camera.id).where(Camera.status == CameraStatus.LINKED).order_by(Camera.id)
        return tuple(session.scalars(query))


@dataclass
class HealthMonitor:
    ctx: Gwanje
    # Fixed cameras (tests, benches); None: every linked camera, re-read while running.
    cameras: tuple[int, ...] | None = None
    restarts: int = 0
    _threads: list[threading.Thread] = field(default_factory=list)

    def plan(self, cameras: tuple[int, ...]) -> WorkerPlan:
        h = self.ctx.settings.health
        limits = Thresholds(
            fault_samples=h.fault_samples,
            clear_samples=h.clear_samples,
            defocus_ratio=h.defocus_ratio,
            scene_correlation=h.scene_correlation,
        )
        return WorkerPlan(
            live_dir(self.ctx.settings.data_dir),
            cameras,
            h.sample_stream,
            h.sample_interval_s,
            limits=limits,
        )

    def start(self) -> None:
        self._mp = multiprocessing.get_context("spawn")
        self._reports: Any = self._mp.Queue()
        self._stopping = threading.Event()
        rec = self.ctx.settings.recording
        self._publisher = EventPublisher(rec.mqtt_url, rec.mqtt_prefix) if rec.mqtt_url else None
        self._follow = self.cameras is None
        self._spawn(self.cameras if self.cameras is not None else linked_camera_ids(self.ctx))
        for target in (self._report_loop, self._watch_loop):
            thread = threading.Thread(target=target, name=f"health{target.__name__}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _spawn(self, cameras: tuple[int, ...]) -> None:
        from gwanje.media.recorder.supervisor import _main_module_hidden

        self._plan = self.plan(cameras)
        self._stop = self._mp.Event()
        self._process = self._mp.Process(
            target=worker_main,
            args=(self._plan, self._reports, self._stop),
            name="gwanje-image-checks",
            daemon=True,
        )
        with _main_module_hidden():
            self._process.start()

    def _end_worker(self) -> None:
        self._stop.set()
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()

    def _report_loop(self) -> None:
        while not self._stopping.is_set():
            batch: list[HealthChanged] = []
            try:
                batch.append(self._reports.get(timeout=0.2))
                while len(batch) < 200:
                    batch.append(self._reports.get_nowait())
            except queue.Empty:
                pass
            if batch:
                self._apply(batch)

    def _apply(self, batch: list[HealthChanged]) -> None:
        try:
            changed = apply_image_reports(self.ctx, batch)
        except Exception:  # the next change of the camera is reported again
            log.exception("writing %d image health reports failed", len(batch))
            return
        if self._publisher is not None:  # after the history is written, like the recorder
            self._publisher.publish(changed)

    def _watch_loop(self) -> None:
        interval = self.ctx.settings.health.sweep_interval_s
        waited = 0.0
        while not self._stopping.wait(1.0):
            if not self._process.is_alive() and not self._stop.is_set():
                log.error("image-check worker died (exit %s); restarting", self._process.exitcode)
                self.restarts += 1
                self._spawn(self._plan.cameras)
            waited += 1.0
            if waited >= interval:
                waited = 0.0
                self._sweep()

    def _sweep(self) -> None:
        try:
            sweep_recorder_faults(self.ctx)
            if self._follow and (wanted := linked_camera_ids(self.ctx)) != self._plan.cameras:
                self._end_worker()
                self._spawn(wanted)
        except Exception:  # the next sweep tries again
            log.exception("health sweep failed")

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join()
        self._end_worker()
        if self._publisher is not None:
            self._publisher.close()
        self._reports.close()
        self._reports.join_thread()


def start_if_enabled(ctx: Gwanje) -> HealthMonitor | None:
    """The monitor beside a recorder, unless `health.image_checks` is off."""
    if not ctx.settings.health.image_checks:
        return None
    monitor = HealthMonitor(ctx)
    monitor.start()
    return monitor
