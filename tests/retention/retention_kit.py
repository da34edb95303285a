"""Builders for retention tests: a real storage directory with real files and committed
segment rows, people to own holds, and a fake filesystem for the disk guard."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from registry.helpers import departments, make_camera
from sqlalchemy import select

from gwanje.audit.events import Actor
from gwanje.context import Gwanje
from gwanje.fsutil import make_dirs_durably
from gwanje.media.models import Segment
from gwanje.media.storage import Store, open_store, segment_relpath
from gwanje.people import service as people
from gwanje.registry.models import CameraStatus
from gwanje.registry.service import system_principal
from gwanje.retention.service import HoldInput, Retention

ADMIN = people.Who(Actor.system("test"))


@dataclass(frozen=True)
class Recorded:
    """A segment written for a test: its row id, file and the file's SHA-256."""

    id: int
    camera_id: int
    path: Path
    sha256: str
    size: int
    start: datetime
    end: datetime


def store(ctx: Gwanje) -> Store:
    return open_store(ctx)


def camera(ctx: Gwanje, code: str, department: str = "SAFETY", **extra: object) -> int:
    return make_camera(ctx, code, departments(ctx)[department], CameraStatus.LINKED, **extra)


def segment(
    ctx: Gwanje,
    where: Store,
    camera_id: int,
    start: datetime,
    seconds: int = 60,
    size: int = 1000,
    stream: str = "main",
) -> Recorded:
    """Write a file (arbitrary bytes standing for fMP4) and commit its row."""
    relative = segment_relpath(camera_id, stream, start, 0)
    path = where.absolute(relative)
    make_dirs_durably(path.parent)
    body = os.urandom(size)
    path.write_bytes(body)
    digest = hashlib.sha256(body).hexdigest()
    end = start + timedelta(seconds=seconds)
    row = Segment(
        camera_id=camera_id,
        stream=stream,
        storage_dir_id=where.id,
        path=relative,
        start_at=start,
        end_at=end,
        duration_ms=seconds * 1000,
        bytes=size,
        frames=seconds * 15,
        keyframes_ms="0",
        codec="h264",
        width=1920,
        height=1080,
        sha256=digest,
        state="committed",
        created_at=end,
    )
    with ctx.transaction() as session:
        session.add(row)
        session.flush()
        return Recorded(row.id, camera_id, path, digest, size, start, end)


def intact(recorded: Recorded) -> bool:
    """The file is there with exactly the bytes that were written."""
    if not recorded.path.exists():
        return False
    return hashlib.sha256(recorded.path.read_bytes()).hexdigest() == recorded.sha256


def gone(ctx: Gwanje, recorded: Recorded) -> bool:
    """Both the file and its row are gone."""
    with ctx.sessions() as session:
        row = session.get(Segment, recorded.id)
    return row is None and not recorded.path.exists()


def segment_states(ctx: Gwanje) -> dict[int, str]:
    with ctx.sessions() as session:
        return {s.id: s.state for s in session.scalars(select(Segment))}


def person(ctx: Gwanje, username: str, active: bool = True) -> int:
    with ctx.transaction() as session:
        data = people.PersonInput(username, username.title(), "여수시")
        created = people.create_person(session, ctx.clock, ADMIN, data)
        if not active:
            people.disable_person(session, ctx.clock, ADMIN, created.id)
        return created.id


def hold_input(
    code: str, start: datetime, end: datetime, review: datetime, **extra: str
) -> HoldInput:
    values: dict[str, object] = {
        "camera_code": code,
        "start_at": start,
        "end_at": end,
        "ground": "investigation_material",
        "reason": "여수경찰서 수사협조 2026-123",
        "owner_username": "owner1",
        "review_at": review,
    }
    values.update(extra)
    return HoldInput(**values)  # type: ignore[arg-type]


def place(ctx: Gwanje, data: HoldInput) -> int:
    with ctx.transaction() as session:
        service = Retention(session, ctx.settings, ctx.clock, system_principal("test"))
        return service.place_hold(data).id


def release(ctx: Gwanje, hold_id: int, reason: str = "수사 종결") -> None:
    with ctx.transaction() as session:
        service = Retention(session, ctx.settings, ctx.clock, system_principal("test"))
        service.release_hold(hold_id, reason)


class FakeDisk:
    """A filesystem of `capacity` bytes whose only content is the store's files, so
    deleting a segment really frees space (the disk guard's `free_bytes` interface)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.calls = 0

    def __call__(self, path: Path) -> int:
        self.calls += 1
        used = sum(p.stat().st_size for p in path.rglob("*.mp4") if p.is_file())
        return self.capacity - used
