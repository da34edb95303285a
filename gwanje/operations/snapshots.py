"""Incident snapshots (상황 스냅샷): a still of each camera of an incident, kept with it.

Owns: taking a still (`grab`: the newest keyframe on the camera's live tap, else the last
keyframe of its newest recorded segment), burning the camera's privacy masks into it and
encoding it as JPEG (`render`), storing it (`store`), the rows and timeline lines
(`take`), the sweep that snapshots newly opened incidents (`sweep_once`,
`sweep_forever`), and who may see the picture (`authorize_view`).

Invariants (docs/design/incidents.md, "Snapshots"):
- opening an incident never waits for, nor fails because of, a snapshot: the sweep runs
  after the commit, in the web process's background jobs, and records a failure as a
  timeline line;
- ORD-26.1: the masks are burned into the pixels before encoding; no unmasked still is
  ever written to disk;
- write order: `<n>.jpg.part` (O_EXCL) → fsync → link to `<n>.jpg` (never replaces a
  file) → unlink the part → fsync the directory → commit the row with its SHA-256;
- viewing the picture is viewing video (ORD-30.1): `incident.read` and `video.live` over
  that camera (the wall's rule), each view and each refusal audited (PIPA-3).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import os
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import av
import av.error
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from gwanje.audit import Outcome, record
from gwanje.audit.events import Actor
from gwanje.auth.events import PermissionDenied
from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.camhealth.sampler import annexb, take_sample
from gwanje.clock import Clock, as_utc
from gwanje.console.service import Refused
from gwanje.context import Gwanje
from gwanje.errors import NotFound
from gwanje.fsutil import fsync_dir
from gwanje.i18n import translate
from gwanje.media.live.paths import live_dir
from gwanje.media.models import Segment, SegmentState, StorageDir
from gwanje.operations import events
from gwanje.operations.kinds import EntryKind, IncidentState, SnapshotSource
from gwanje.operations.models import Incident, IncidentCamera, IncidentEntry, IncidentSnapshot
from gwanje.operations.notify import outbox
from gwanje.registry.models import Camera, CameraStatus
from gwanje.settings import Settings
from gwanje.sharing.delegations import OutsideTerms, check_terms

log = logging.getLogger(__name__)
T = TypeVar("T")
RGB = npt.NDArray[np.uint8]
MASK_FILL = (0, 0, 0)  # what a privacy mask becomes in a still
SWEEP_WINDOW = timedelta(minutes=10)  # older incidents found unsnapped are left alone


@dataclass(frozen=True)
class Still:
    rgb: RGB
    frame_at: datetime
    source: SnapshotSource
    stream: str


# ---- taking a still --------------------------------------------------------------------
def grab(session: Session, settings: Settings, clock: Clock, camera: Camera) -> Still | None:
    """The camera's newest keyframe, decoded: live tap first, else the newest segment."""
    stream = settings.operations.snapshot_stream
    if stream == "sub" and not camera.sub_stream_url:
        stream = "main"
    rgb = _live(settings, camera.id, stream)
    if rgb is not None:  # the tap's cached GOP starts at most one GOP before now
        return Still(rgb, clock.now(), SnapshotSource.LIVE, stream)
    return _recorded(session, camera.id)


def _blocking(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from synchronous code. Callers are worker threads
    (no event loop: `asyncio.run` directly); a thread whose loop is running (a caller
    inside async code) gets it run on a helper thread instead of a RuntimeError."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(1, thread_name_prefix="snapshot") as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def _live(settings: Settings, camera_id: int, stream: str) -> RGB | None:
    timeout = settings.operations.snapshot_timeout_s
    directory = live_dir(settings.data_dir)
    raw = _blocking(lambda: take_sample(directory, camera_id, stream, 0, timeout))
    if raw is None:
        return None
    codec = av.CodecContext.create("h264", "r")
    codec.thread_count = 1
    try:
        frames = [*codec.decode(av.Packet(annexb(raw.init, raw.units[0]))), *codec.decode(None)]
    except (av.error.FFmpegError, ValueError) as exc:
        log.warning("camera %s %s: keyframe would not decode: %s", camera_id, stream, exc)
        return None
    return _rgb(frames[0]) if frames else None


def _rgb(frame: av.VideoFrame) -> RGB:
    rgb: RGB = np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)
    return rgb


def _recorded(session: Session, camera_id: int) -> Still | None:
    row = session.execute(
        select(Segment.path, Segment.start_at, Segment.end_at, Segment.stream, StorageDir.path)
        .join(StorageDir, StorageDir.id == Segment.storage_dir_id)
        .where(Segment.camera_id == camera_id, Segment.state == SegmentState.COMMITTED)
        .order_by((Segment.stream == "main").desc(), Segment.end_at.desc())
        .limit(1)
    ).first()  # fmt: skip
    if row is None:
        return None
    rel, start, end, stream, base = row
    try:
        rgb, offset = _last_keyframe(Path(base) / rel)
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        log.warning("camera %s: newest segment %s unreadable: %s", camera_id, rel, exc)
        return None
    at = min(as_utc(start) + timedelta(seconds=offset), as_utc(end))
    return Still(rgb, at, SnapshotSource.RECORDED, stream)


def _last_keyframe(path: Path) -> tuple[RGB, float]:
    """The segment's last keyframe as RGB and its offset in seconds from the first."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        video.thread_count = 1
        first, last = None, None
        for packet in container.demux(video):
            if packet.pts is not None and first is None:
                first = packet.pts
            if packet.is_keyframe and packet.size:
                last = packet
        if last is None or first is None or last.pts is None:
            raise ValueError("no keyframe")
        frames = [*video.codec_context.decode(last), *video.codec_context.decode(None)]
        if not frames:
            raise ValueError("keyframe would not decode")
        offset = float((last.pts - first) * (video.time_base or 0))
        return _rgb(frames[0]), offset


def render(rgb: RGB, masks: list[list[list[float]]], quality: int) -> bytes:
    """ORD-26.1: the masks (normalized polygons) are painted into the pixels, then JPEG."""
    image = Image.fromarray(rgb, "RGB")
    draw = ImageDraw.Draw(image)
    w, h = image.size
    for polygon in masks:
        draw.polygon([(x * w, y * h) for x, y in polygon], fill=MASK_FILL)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


# ---- storing ---------------------------------------------------------------------------
def folder_of(settings: Settings, incident_id: int) -> Path:
    return settings.data_dir / "incidents" / str(int(incident_id))


def store(folder: Path, first_n: int, data: bytes) -> int:
    """Write `<n>.jpg` durably with the lowest free n ≥ first_n; never replaces a file."""
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f".{os.getpid()}-{first_n}.jpg.part"
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        n = first_n
        while True:
            try:
                os.link(part, folder / f"{n}.jpg")
                break
            except FileExistsError:
                n += 1
    finally:
        with contextlib.suppress(FileNotFoundError):
            part.unlink()
    fsync_dir(folder)
    return n


# ---- the snapshot of an incident -------------------------------------------------------
def take(ctx: Gwanje, incident_id: int, actor: Actor, source_ip: str | None = None) -> int:
    """A still of each camera of the incident; returns how many were stored. A camera
    that yields none gets a timeline line saying so (never an exception)."""
    with ctx.sessions() as session:
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise NotFound("operations.error.incident_not_found", incident_id=incident_id)
        ids = [c.camera_id for c in incident.cameras]
    return sum(_one(ctx, incident_id, camera_id, actor, source_ip) for camera_id in ids)


def _one(ctx: Gwanje, incident_id: int, camera_id: int, actor: Actor, ip: str | None) -> int:
    settings, lang = ctx.settings, ctx.settings.default_language
    with ctx.sessions() as session:
        camera = session.get(Camera, camera_id)
        assert camera is not None  # incident cameras are foreign keys
        code, masks = camera.code, camera.privacy_masks
        try:
            still = grab(session, settings, ctx.clock, camera)
        except Exception:  # a decoder or socket surprise must not end the sweep
            log.exception("camera %s: snapshot failed", code)
            still = None
    if still is None:
        _failed(ctx, incident_id, code, actor, translate("operations.snapshot.no_video", lang))
        return 0
    data = render(still.rgb, masks, settings.operations.snapshot_jpeg_quality)
    try:
        n = store(folder_of(settings, incident_id), _next_n(ctx, incident_id), data)
    except OSError as exc:
        log.error("incident %s camera %s: snapshot not stored: %s", incident_id, code, exc)
        _failed(ctx, incident_id, code, actor, translate("operations.snapshot.not_stored", lang))
        return 0
    height, width = still.rgb.shape[:2]
    row = IncidentSnapshot(
        incident_id=incident_id, n=n, camera_id=camera_id, stream=still.stream,
        source=still.source.value, frame_at=still.frame_at, taken_at=ctx.clock.now(),
        taken_by=actor.person_id, actor=actor.username, width=width, height=height,
        size=len(data), sha256=hashlib.sha256(data).hexdigest(), masks=len(masks),
    )  # fmt: skip
    with ctx.transaction() as session:
        session.add(row)
        where = translate(f"operations.snapshot.source.{still.source}", lang)
        text = translate("operations.snapshot.taken", lang, code=code, n=n, source=where)
        outbox.timeline(session, incident_id, EntryKind.SNAPSHOT, ctx.clock.now(), actor, text)
        record(session, events.IncidentSnapshotTaken(
            actor=actor, source_ip=ip, camera_ids=(camera_id,), range_start=still.frame_at,
            incident_id=incident_id, n=n, source=still.source.value, stream=still.stream,
            sha256=row.sha256, masks=len(masks),
        ), ctx.clock)  # fmt: skip
    return 1


def _next_n(ctx: Gwanje, incident_id: int) -> int:
    with ctx.sessions() as session:
        top = session.scalar(
            select(func.max(IncidentSnapshot.n)).where(IncidentSnapshot.incident_id == incident_id)
        )
    return (top or 0) + 1


def _failed(ctx: Gwanje, incident_id: int, code: str, actor: Actor, why: str) -> None:
    lang = ctx.settings.default_language
    text = translate("operations.snapshot.failed", lang, code=code, reason=why)
    with ctx.transaction() as session:
        outbox.timeline(session, incident_id, EntryKind.SNAPSHOT, ctx.clock.now(), actor, text)


# ---- the sweep: newly opened incidents -------------------------------------------------
def due(session: Session, now: datetime) -> list[tuple[int, int | None, str]]:
    """Open incidents of the last `SWEEP_WINDOW` with cameras and no snapshot line yet:
    (id, opener's person id, opener's actor name)."""
    tried = exists().where(
        IncidentEntry.incident_id == Incident.id, IncidentEntry.kind == EntryKind.SNAPSHOT.value
    )
    has_camera = exists().where(IncidentCamera.incident_id == Incident.id)
    opened = select(IncidentEntry.actor).where(
        IncidentEntry.incident_id == Incident.id, IncidentEntry.kind == EntryKind.OPENED.value
    ).limit(1).scalar_subquery()  # fmt: skip
    rows = session.execute(
        select(Incident.id, Incident.opened_by, opened)
        .where(Incident.state == IncidentState.OPEN.value,
               Incident.opened_at >= now - SWEEP_WINDOW, has_camera, ~tried)
        .order_by(Incident.id)
    ).all()  # fmt: skip
    return [(i, person, name or "system") for i, person, name in rows]


def sweep_once(ctx: Gwanje) -> int:
    """Snapshot each newly opened incident once, as the person who opened it."""
    with ctx.sessions() as session:
        todo = due(session, ctx.clock.now())
    taken = 0
    for incident_id, person_id, name in todo:
        actor = Actor(person_id=person_id, username=name, kind="person" if person_id else "system")
        taken += take(ctx, incident_id, actor)
    return taken


async def sweep_forever(ctx: Gwanje, interval_s: float = 1.0) -> None:
    while True:
        try:
            await asyncio.to_thread(sweep_once, ctx)
        except Exception:
            log.exception("incident snapshot sweep failed; next round in %ss", interval_s)
        await asyncio.sleep(interval_s)


# ---- viewing ---------------------------------------------------------------------------
def may_view(principal: Principal, camera: Camera | None) -> bool:
    """The wall's rule (`gwanje.console.service`): linked, and video.live over it."""
    return (
        camera is not None
        and camera.status == CameraStatus.LINKED
        and principal.may_use_on_camera(Permission.VIDEO_LIVE, camera.id, camera.department_id)
    )


def authorize_view(session: Session, settings: Settings, clock: Clock, principal: Principal,
                   incident_id: int, n: int, source_ip: str | None) -> Path:  # fmt: skip
    """The picture's path, with the view audited (PIPA-3); `Refused` (audited by
    `console_transaction`) for a principal who may not watch that camera live."""
    row = session.scalar(
        select(IncidentSnapshot).where(
            IncidentSnapshot.incident_id == incident_id, IncidentSnapshot.n == n
        )
    )
    if row is None:
        raise NotFound("operations.error.snapshot_not_found", incident_id=incident_id, n=n)
    path = f"/api/incidents/{incident_id}/snapshots/{n}"
    if not may_view(principal, session.get(Camera, row.camera_id)):
        raise Refused(PermissionDenied(
            actor=principal.actor, source_ip=source_ip, outcome=Outcome.DENIED,
            permission=Permission.VIDEO_LIVE.value, path=path, camera_ids=(row.camera_id,),
        ), camera=str(row.camera_id))  # fmt: skip
    try:  # ORD-24: a delegated camera only within its terms, as on the wall
        check_terms(session, principal, [row.camera_id], None, clock.now(), clock.now(), "live",
                    source_ip)  # fmt: skip
    except OutsideTerms as exc:
        raise Refused(exc.event, camera=str(row.camera_id), key=exc.key) from None
    record(session, events.IncidentSnapshotViewed(
        actor=principal.actor, source_ip=source_ip, camera_ids=(row.camera_id,),
        range_start=row.frame_at, incident_id=incident_id, n=n, sha256=row.sha256,
    ), clock)  # fmt: skip
    return folder_of(settings, incident_id) / f"{n}.jpg"
