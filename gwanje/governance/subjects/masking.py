"""Masked clips for granted data-subject viewings (제3자 마스킹; PIPA-4, ORD-29).

```
start ─▶ preparing ─(worker: cut the clip, detect faces)─▶ planned ─edit*─▶ planned
                                                              └─review─▶ applying
applying ─(worker: pixelate, re-encode)─▶ applied ─release─▶ released
preparing / applying ─(error, restart)─▶ failed            (start again)
```

Invariants:
- the recording is only read: the clip is cut from the segment index into the job's own
  folder (`<data>/masking/<job id>/source.mp4`), like playback (no re-encoding);
- detection and re-encoding run in a separate worker process (a crash in a codec or the
  detector fails the job, never the web process) and outside any transaction; every
  state change is a conditional UPDATE on (id, state, version), so two officers acting
  at once cannot both succeed;
- the officer approves a plan by its digest: review fails if the plan changed since the
  page was shown, and apply checks the file still has that digest;
- every step is an audit entry and a step on the request's timeline; the released
  package id is `masking-<job id>` with the masked file's SHA-256;
- cost for charging (PIPA-4): started minutes of masked video × the configured fee; the
  CPU time of detection and re-encoding is recorded beside it.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import shutil
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from gwanje.auth.principal import Principal
from gwanje.clock import Clock
from gwanje.context import Gwanje
from gwanje.errors import Conflict, InvalidInput, NotFound
from gwanje.fsutil import replace_durably
from gwanje.governance.subjects import events
from gwanje.governance.subjects.kinds import MaskingState
from gwanje.governance.subjects.masking_worker import apply_plan, make_plan
from gwanje.governance.subjects.models import MaskingJob, SubjectRequest, SubjectRequestItem
from gwanje.governance.subjects.service import ReleaseInput, Subjects
from gwanje.media.masking import Box, MaskPlan, follow_box
from gwanje.media.playback import open_playback, segments_for
from gwanje.registry.service import system_principal
from gwanje.settings import Settings

log = logging.getLogger(__name__)
M = MaskingState
ACTIVE = (M.PREPARING, M.PLANNED, M.APPLYING, M.APPLIED)


def job_dir(settings: Settings, job_id: int) -> Path:
    return settings.data_dir / "masking" / str(job_id)


def load_plan(settings: Settings, job: MaskingJob) -> MaskPlan:
    return MaskPlan.from_json((job_dir(settings, job.id) / "plan.json").read_bytes())


def write_plan(settings: Settings, job_id: int, plan: MaskPlan) -> str:
    """Replace plan.json whole (fsutil.replace_durably); returns its digest."""
    replace_durably(job_dir(settings, job_id) / "plan.json", plan.to_json().encode())
    return plan.digest()


@dataclass(frozen=True)
class ManualBox:
    """An officer's box: on `frame`, followed (or held) through `last`."""

    frame: int
    box: Box
    last: int
    follow: bool = True


@dataclass
class MaskingJobs:
    session: Session
    settings: Settings
    clock: Clock
    principal: Principal
    source_ip: str | None = None

    def _subjects(self) -> Subjects:
        return Subjects(self.session, self.settings, self.clock, self.principal, self.source_ip)

    def start(self, request_id: int, item_id: int) -> MaskingJob:
        row = self._subjects().granted_viewing(request_id)
        item = self.session.get(SubjectRequestItem, item_id)
        if item is None or item.request_id != row.id:
            raise NotFound("subjects.error.masking_item", item_id=item_id)
        busy = self.session.query(MaskingJob).filter(
            MaskingJob.item_id == item_id, MaskingJob.state.in_([s.value for s in ACTIVE])
        ).first()  # fmt: skip
        if busy is not None:
            raise Conflict("subjects.error.masking_busy", job_id=busy.id)
        now = self.clock.now()
        job = MaskingJob(
            request_id=row.id, item_id=item.id, camera_id=item.camera_id, state=M.PREPARING,
            stream=self.settings.governance.subjects.masking_stream, created_at=now,
            updated_at=now, created_by=self.principal.person_id,
        )  # fmt: skip
        self.session.add(job)
        self.session.flush()
        self._subjects().audit(row, events.SubjectMaskingStarted, f"#{job.id}", job_id=job.id,
                               camera_id=item.camera_id, stream=job.stream)  # fmt: skip
        return job

    def edit_remove(self, job_id: int, track: str, restore: bool = False) -> str:
        job, row, plan = self._planned(job_id)
        (plan.restore if restore else plan.remove)(track)  # unknown track: BadPlan
        return self._save(job, row, plan, "restore" if restore else "remove", track)

    def edit_add(self, job_id: int, manual: ManualBox) -> str:
        job, row, plan = self._planned(job_id)
        source = job_dir(self.settings, job.id) / "source.mp4"
        frames = plan.source.frames
        if not 0 <= manual.frame <= manual.last < frames:
            raise InvalidInput("subjects.error.masking_box", detail=f"frames 0..{frames - 1}")
        if not manual.box.inside(plan.source.width, plan.source.height):
            raise InvalidInput("subjects.error.masking_box", detail="box outside the picture")
        keys = (follow_box(source, manual.frame, manual.box, manual.last) if manual.follow
                else [(manual.frame, manual.box)])  # fmt: skip
        track = plan.add_manual(keys, manual.frame, manual.last)
        return self._save(job, row, plan, "add", track.id)

    def review(self, job_id: int, digest: str) -> MaskingJob:
        """The officer approves the plan they saw (its digest): it is applied as is."""
        job, row, plan = self._planned(job_id)
        if plan.digest() != digest or job.plan_digest != digest:
            raise Conflict("subjects.error.masking_changed", job_id=job_id)
        self._move(job, M.PLANNED, M.APPLYING, reviewed_by=self.principal.person_id)
        self._subjects().audit(row, events.SubjectMaskingReviewed, f"#{job.id}", job_id=job.id,
                               plan_digest=digest)  # fmt: skip
        return job

    def release(self, job_id: int) -> MaskingJob:
        """Hand the masked clip over: the request becomes `released` with its hash."""
        job = self._job(job_id)
        self._move(job, M.APPLIED, M.RELEASED)
        data = ReleaseInput(f"masking-{job.id}", job.output_sha256, job.cost_won)
        self._subjects().release(job.request_id, data)
        return job

    def clip(self, job_id: int) -> Path:
        """The masked file, for staff to hand over or show (each download audited)."""
        job = self._job(job_id)
        if job.state not in (M.APPLIED, M.RELEASED):
            raise Conflict("subjects.error.masking_not_ready", job_id=job_id)
        row = self._subjects().granted_or_released(job.request_id)
        self._subjects().audit(row, events.SubjectMaskedClipDownloaded, f"#{job.id}",
                               job_id=job.id, sha256=job.output_sha256)  # fmt: skip
        return job_dir(self.settings, job.id) / "masked.mp4"

    def get(self, job_id: int) -> MaskingJob:
        return self._job(job_id)

    def _job(self, job_id: int) -> MaskingJob:
        job = self.session.get(MaskingJob, job_id)
        if job is None:
            raise NotFound("subjects.error.masking_job", job_id=job_id)
        self._subjects().visible_request(job.request_id)  # scope: same as the request
        return job

    def _planned(self, job_id: int) -> tuple[MaskingJob, SubjectRequest, MaskPlan]:
        job = self._job(job_id)
        if job.state != M.PLANNED:
            raise Conflict("subjects.error.masking_state", job_id=job_id, state=job.state)
        row = self._subjects().granted_viewing(job.request_id)
        return job, row, load_plan(self.settings, job)

    def _save(self, job: MaskingJob, row: SubjectRequest, plan: MaskPlan, action: str,
              track: str) -> str:  # fmt: skip
        self._move(job, M.PLANNED, M.PLANNED)  # one editor at a time wins the version
        digest = write_plan(self.settings, job.id, plan)
        job.plan_digest = digest
        self._subjects().audit(row, events.SubjectMaskingEdited, f"#{job.id} {action} {track}",
                               job_id=job.id, action=action, track=track,
                               plan_digest=digest)  # fmt: skip
        return digest

    def _move(self, job: MaskingJob, old: MaskingState, new: MaskingState,
              **values: Any) -> None:  # fmt: skip
        move(self.session, self.clock, job, old, new, **values)


def move(session: Session, clock: Clock, job: MaskingJob, old: MaskingState, new: MaskingState,
         **values: Any) -> None:  # fmt: skip
    """Conditional state change: another officer or the worker acted first → Conflict."""
    won = session.execute(
        update(MaskingJob)
        .where(MaskingJob.id == job.id, MaskingJob.state == old.value,
               MaskingJob.version == job.version)
        .values(state=new.value, version=job.version + 1, updated_at=clock.now(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]  # fmt: skip
    session.refresh(job)
    if won != 1:
        raise Conflict("subjects.error.masking_state", job_id=job.id, state=job.state)


def jobs_of_request(ctx: Gwanje, request_id: int) -> dict[int, dict[str, Any]]:
    """The newest job of each item of a request (for the request's page)."""
    with ctx.sessions() as session:
        rows = session.query(MaskingJob).filter(MaskingJob.request_id == request_id)
        newest: dict[int, dict[str, Any]] = {}
        for job in rows.order_by(MaskingJob.id):
            newest[job.item_id] = {"id": job.id, "state": job.state}
        return newest


# ---- the background work ---------------------------------------------------------------


class MaskingRunner:
    """Runs jobs one at a time: a thread drives each job (database, files) and hands the
    CPU work to a single spawned worker process."""

    def __init__(self, ctx: Gwanje) -> None:
        self.ctx = ctx
        self._threads = ThreadPoolExecutor(1, thread_name_prefix="masking")
        self._workers = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))

    def prepare(self, job_id: int) -> Future[None]:
        return self._threads.submit(self._guarded, job_id, self._prepare)

    def apply(self, job_id: int) -> Future[None]:
        return self._threads.submit(self._guarded, job_id, self._apply)

    def close(self) -> None:
        self._threads.shutdown(wait=True)
        self._workers.shutdown(wait=True, cancel_futures=True)

    def _guarded(self, job_id: int, step: Any) -> None:
        try:
            step(job_id)
        except Exception as exc:  # the job fails with the reason; the web process goes on
            log.exception("masking job %s failed", job_id)
            fail(self.ctx, job_id, f"{type(exc).__name__}: {exc}"[:500])

    def _prepare(self, job_id: int) -> None:
        folder = job_dir(self.ctx.settings, job_id)
        if folder.exists():
            shutil.rmtree(folder)  # a previous, interrupted attempt
        folder.mkdir(parents=True)
        source = folder / "source.mp4"
        cut_clip(self.ctx, job_id, source)
        stride = self.ctx.settings.governance.subjects.masking_stride
        planned = self._workers.submit(make_plan, str(source), str(folder / "plan.json"), stride)
        result = planned.result()
        with self.ctx.transaction() as session:
            job, row, subjects = _system_view(self.ctx, session, job_id)
            seconds = float(result["frames"] / Fraction(str(result["rate"])))
            move(session, self.ctx.clock, job, M.PREPARING, M.PLANNED,
                 source_sha256=result["source_sha256"], frames=result["frames"],
                 seconds=seconds, auto_tracks=result["auto_tracks"],
                 plan_digest=result["digest"], cpu_seconds=result["cpu_seconds"])  # fmt: skip
            subjects.audit(row, events.SubjectMaskingPlanned, f"#{job_id}", job_id=job_id,
                           source_sha256=result["source_sha256"], plan_digest=result["digest"],
                           frames=result["frames"], auto_tracks=result["auto_tracks"],
                           cpu_seconds=result["cpu_seconds"])  # fmt: skip

    def _apply(self, job_id: int) -> None:
        folder = job_dir(self.ctx.settings, job_id)
        with self.ctx.sessions() as session:
            job = session.get(MaskingJob, job_id)
            assert job is not None
            digest = job.plan_digest
        report = self._workers.submit(
            apply_plan, str(folder / "source.mp4"), str(folder / "plan.json"),
            str(folder / "masked.mp4"), digest,
        ).result()  # fmt: skip
        fee = self.ctx.settings.governance.subjects.masking_fee_won_per_minute
        with self.ctx.transaction() as session:
            job, row, subjects = _system_view(self.ctx, session, job_id)
            cost = math.ceil(job.seconds / 60) * fee
            cpu = job.cpu_seconds + report["cpu_seconds"]
            move(session, self.ctx.clock, job, M.APPLYING, M.APPLIED, cost_won=cost,
                 output_sha256=report["output_sha256"], output_bytes=report["output_bytes"],
                 masked_frames=report["masked_frames"], boxes=report["boxes"],
                 cpu_seconds=cpu)  # fmt: skip
            subjects.audit(row, events.SubjectMaskingApplied, f"#{job_id}", job_id=job_id,
                           plan_digest=digest, output_sha256=report["output_sha256"],
                           frames=report["frames"], masked_frames=report["masked_frames"],
                           boxes=report["boxes"], cpu_seconds=cpu, cost_won=cost)  # fmt: skip


def cut_clip(ctx: Gwanje, job_id: int, dest: Path) -> None:
    """The job's camera and range, from the recording as made (no re-encoding)."""
    with ctx.sessions() as session:
        job = session.get(MaskingJob, job_id)
        assert job is not None
        item = session.get(SubjectRequestItem, job.item_id)
        assert item is not None
        refs = segments_for(session, job.camera_id, job.stream, item.start_at, item.end_at)
    opened = open_playback(refs, item.start_at, item.end_at, want_start=item.start_at)
    if opened is None:
        raise InvalidInput("console.error.no_video")
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        for chunk in opened.chunks:
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())


def _system_view(ctx: Gwanje, session: Session,
                 job_id: int) -> tuple[MaskingJob, SubjectRequest, Subjects]:  # fmt: skip
    job = session.get(MaskingJob, job_id)
    assert job is not None
    row = session.get(SubjectRequest, job.request_id)
    assert row is not None
    return job, row, Subjects(session, ctx.settings, ctx.clock, system_principal("masking"))


def fail(ctx: Gwanje, job_id: int, error: str) -> None:
    """Mark a job failed (from whatever running state it is in) with the reason."""
    with ctx.transaction() as session:
        job, row, subjects = _system_view(ctx, session, job_id)
        if job.state not in (M.PREPARING, M.APPLYING):
            return
        move(session, ctx.clock, job, MaskingState(job.state), M.FAILED, error=error)
        subjects.audit(row, events.SubjectMaskingFailed, f"#{job_id}", job_id=job_id,
                       error=error)  # fmt: skip


def fail_interrupted(ctx: Gwanje) -> list[int]:
    """At start: jobs a previous process left running can never finish; fail them so
    staff can start again."""
    with ctx.sessions() as session:
        ids = [j.id for j in session.query(MaskingJob).filter(
            MaskingJob.state.in_([M.PREPARING.value, M.APPLYING.value]))]  # fmt: skip
    for job_id in ids:
        fail(ctx, job_id, "interrupted: the web process stopped while it ran")
    return ids
