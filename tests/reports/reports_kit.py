"""Builders for report tests: people in departments, cameras, ledger entries written at
chosen times (the fake clock is moved for each), footage rows and provided copies."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from registry.helpers import departments, make_camera

from gwanje.audit import Actor, AuditEvent, Outcome, record
from gwanje.auth.events import PermissionDenied
from gwanje.clock import FakeClock
from gwanje.console.events import LiveViewStarted, PlaybackStarted
from gwanje.context import Gwanje
from gwanje.governance.events import EvidenceExported
from gwanje.governance.models import (
    AccessGrant,
    AccessRequest,
    EvidenceExport,
    Provision,
)
from gwanje.media.models import Segment, StorageDir
from gwanje.people import service as people
from gwanje.registry.models import CameraStatus

ADMIN = people.Who(Actor.system("test"))
# 2026-10: the month the review tests look at (Seoul is UTC+9).
MONTH = "2026-10"


def seoul(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in October 2026, Korea time, as aware UTC."""
    return datetime(2026, 10, day, hour, minute, tzinfo=UTC) - timedelta(hours=9)


def person(ctx: Gwanje, username: str, department: str | None, *roles: str) -> Actor:
    depts = departments(ctx)
    with ctx.transaction() as session:
        data = people.PersonInput(
            username,
            username.title(),
            "여수시",
            department_id=depts[department] if department else None,
        )
        created = people.create_person(session, ctx.clock, ADMIN, data)
        for role in roles:
            people.grant_role(session, ctx.clock, ADMIN, created.id, role)
        return Actor(person_id=created.id, username=username)


def camera(ctx: Gwanje, code: str, department: str, level: CameraStatus = CameraStatus.LINKED,
           **extra: Any) -> int:  # fmt: skip
    return make_camera(ctx, code, departments(ctx)[department], level, **extra)


def at(ctx: Gwanje, clock: FakeClock, when: datetime, event: AuditEvent) -> None:
    """Write `event` to the ledger as if it happened at `when`."""
    clock.set(when)
    with ctx.transaction() as session:
        record(session, event, clock)


def live(who: Actor, cam: int) -> LiveViewStarted:
    return LiveViewStarted(actor=who, source_ip="10.0.0.5", camera_ids=(cam,),
                           view_id="v1", code=f"cam{cam}", stream="main")  # fmt: skip


def playback(who: Actor, cam: int, start: datetime, minutes: int = 10) -> PlaybackStarted:
    return PlaybackStarted(
        actor=who, source_ip="10.0.0.5", camera_ids=(cam,), range_start=start,
        range_end=start + timedelta(minutes=minutes), code=f"cam{cam}", stream="main",
        grant_id=1, request_id=1, served_from=start,
    )  # fmt: skip


def export(who: Actor, cam: int, start: datetime, minutes: int = 30) -> EvidenceExported:
    return EvidenceExported(
        actor=who, source_ip="10.0.0.6", camera_ids=(cam,), range_start=start,
        range_end=start + timedelta(minutes=minutes), export_id=1, request_id=1, grant_id=1,
        package_sha256="0" * 64, encrypted=True, expires_at=start + timedelta(days=30),
        key_id="k",
    )  # fmt: skip


def denied(who: Actor, path: str = "/playback") -> PermissionDenied:
    return PermissionDenied(actor=who, source_ip="10.0.0.9", outcome=Outcome.DENIED,
                            permission="video.playback", path=path)  # fmt: skip


def footage(ctx: Gwanje, camera_id: int, start: datetime, seconds: int = 60) -> int:
    """A committed segment row (no file: the checks read the index only)."""
    with ctx.transaction() as session:
        storage = session.query(StorageDir).first()
        if storage is None:
            storage = StorageDir(path=str(ctx.settings.video_dir), storage_uuid="u-1",
                                 created_at=start)  # fmt: skip
            session.add(storage)
            session.flush()
        end = start + timedelta(seconds=seconds)
        row = Segment(
            camera_id=camera_id, stream="main", storage_dir_id=storage.id,
            path=f"{camera_id}/main/{start:%Y%m%d%H%M%S}.mp4", start_at=start, end_at=end,
            duration_ms=seconds * 1000, bytes=1000, frames=seconds * 15, keyframes_ms="0",
            codec="h264", width=1920, height=1080,
            sha256=hashlib.sha256(str(start).encode()).hexdigest(), state="committed",
            created_at=end,
        )  # fmt: skip
        session.add(row)
        session.flush()
        return row.id


def provided_copy(ctx: Gwanje, camera_id: int, delivered: datetime, destroy_by: datetime,
                  destroyed: bool = False) -> int:  # fmt: skip
    """A request, its grant, an export and its delivery (rows only), due for destruction
    at `destroy_by`; `destroyed` confirms it."""
    with ctx.transaction() as session:
        request = AccessRequest(
            requester_kind="police", requester_org="여수경찰서", requester_name="강경찰",
            kind="copy", legal_basis="investigation", purpose="수사", letter_no="형사-1",
            handler="center", state="approved", created_at=delivered, decided_at=delivered,
        )  # fmt: skip
        session.add(request)
        session.flush()
        grant = AccessGrant(request_id=request.id, state="active", created_at=delivered,
                            valid_until=destroy_by)  # fmt: skip
        session.add(grant)
        session.flush()
        package = EvidenceExport(
            grant_id=grant.id, request_id=request.id, camera_id=camera_id, stream="main",
            range_start=delivered - timedelta(days=2), range_end=delivered - timedelta(days=1),
            created_at=delivered, expires_at=destroy_by, package=f"p{request.id}.zip",
            package_sha256="1" * 64,
        )  # fmt: skip
        session.add(package)
        session.flush()
        row = Provision(
            export_id=package.id, request_id=request.id, recipient="여수경찰서 강경찰",
            method="in_person", receipt="수령증-1", delivered_at=delivered,
            destroy_by=destroy_by, destroyed_at=destroy_by if destroyed else None,
        )  # fmt: skip
        session.add(row)
        session.flush()
        return row.id
