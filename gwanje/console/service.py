"""What the operator console may show to whom, and its audit trail.

Invariants:
- a camera appears on a principal's wall only if it is linked to the center and the
  principal holds `video.live` over it (role, department and camera scope: ORD-30.1);
  `authorize_live` applies the same rule to every stream request, so a camera id typed
  by hand is refused (and the refusal audited) exactly like one never listed;
- live view of a camera for its own purpose needs no grant (ORD-30.2 concerns stored
  video only); every view is still an audit entry (who, which camera, from when to when);
- privacy masks (ORD-26.1) travel with the camera to every view that shows it;
- a layout belongs to one person; another person's layout is "not found", not "forbidden"
  (its existence is not disclosed).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gwanje.audit import Outcome, record
from gwanje.audit.events import AuditEvent
from gwanje.auth.events import PermissionDenied
from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.clock import Clock
from gwanje.console.events import (
    LiveViewEnded,
    LiveViewStarted,
    WallLayoutDeleted,
    WallLayoutSaved,
)
from gwanje.console.models import GRIDS, WallLayout
from gwanje.context import Gwanje
from gwanje.errors import Forbidden, InvalidInput, NotFound
from gwanje.media.models import CameraHealthEvent
from gwanje.registry.models import Camera, CameraStatus
from gwanje.sharing.delegations import OutsideTerms, check_terms

STREAMS = ("main", "sub")
MAX_LAYOUTS = 50


class Refused(Forbidden):
    """A camera the principal may not watch; `event` is its audit entry, written by
    `console_transaction` after the refused transaction rolled back."""

    def __init__(
        self, event: AuditEvent, camera: str, key: str = "console.error.camera_not_allowed"
    ) -> None:
        super().__init__(key, camera=camera)
        self.event = event


@contextmanager
def console_transaction(ctx: Gwanje) -> Iterator[Session]:
    """`ctx.transaction()`, plus: a refusal's audit entry is recorded in a fresh
    transaction once the refused one rolled back (denials are never lost)."""
    try:
        with ctx.transaction() as session:
            yield session
    except Refused as exc:
        with ctx.transaction() as session:
            record(session, exc.event, ctx.clock)
        raise


@dataclass(frozen=True)
class WallCamera:
    id: int
    code: str
    name: str
    district: str
    address: str
    department: str
    department_en: str
    purposes: tuple[str, ...]
    latitude: float | None
    longitude: float | None
    masks: list[list[list[float]]]
    has_sub: bool
    health: str  # newest health state of the main stream; "unknown" before any
    health_at: datetime | None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id, "code": self.code, "name": self.name, "district": self.district,
            "address": self.address, "department": self.department,
            "department_en": self.department_en, "purposes": list(self.purposes),
            "latitude": self.latitude, "longitude": self.longitude, "masks": self.masks,
            "has_sub": self.has_sub, "health": self.health,
            "health_at": self.health_at.isoformat() if self.health_at else None,
        }  # fmt: skip


def _visible(principal: Principal, camera: Camera) -> bool:
    return camera.status == CameraStatus.LINKED and principal.may_use_on_camera(
        Permission.VIDEO_LIVE, camera.id, camera.department_id
    )


def _health(session: Session, camera_ids: list[int]) -> dict[int, tuple[str, datetime]]:
    """Newest main-stream health row per camera."""
    if not camera_ids:
        return {}
    newest = (
        select(CameraHealthEvent.camera_id, func.max(CameraHealthEvent.id).label("id"))
        .where(CameraHealthEvent.camera_id.in_(camera_ids), CameraHealthEvent.stream == "main")
        .group_by(CameraHealthEvent.camera_id)
        .subquery()
    )
    rows = session.execute(
        select(CameraHealthEvent.camera_id, CameraHealthEvent.state, CameraHealthEvent.at).join(
            newest, CameraHealthEvent.id == newest.c.id
        )
    ).all()
    return {row.camera_id: (row.state, row.at) for row in rows}


def wall_cameras(
    session: Session, principal: Principal, sub_recorded: bool = False
) -> list[WallCamera]:
    """The cameras this principal may watch live, by district then code. `sub_recorded`:
    the recorder pulls sub streams (`recording.streams`), so small tiles can use them;
    otherwise every tile plays the main stream (the only one pulled)."""
    if not principal.can(Permission.VIDEO_LIVE):
        return []
    query = select(Camera).where(Camera.status == CameraStatus.LINKED)
    scope = principal.scope_for(Permission.VIDEO_LIVE)
    if scope is not None:
        query = query.where(Camera.department_id.in_(scope))
    cameras = [c for c in session.scalars(query.order_by(Camera.district, Camera.code))
               if _visible(principal, c)]  # fmt: skip
    health = _health(session, [c.id for c in cameras])
    return [_wall_camera(c, health.get(c.id), sub_recorded) for c in cameras]


def _wall_camera(
    camera: Camera, health: tuple[str, datetime] | None, sub_recorded: bool = False
) -> WallCamera:
    return WallCamera(
        camera.id, camera.code, camera.name, camera.district, camera.address,
        camera.department.name_ko, camera.department.name_en,
        tuple(p.value for p in camera.purposes), camera.latitude, camera.longitude,
        camera.privacy_masks, sub_recorded and bool(camera.sub_stream_url),
        health[0] if health else "unknown", health[1] if health else None,
    )  # fmt: skip


def authorize_live(
    session: Session,
    clock: Clock,
    principal: Principal,
    camera_id: int,
    stream: str,
    source_ip: str | None,
    view_id: str,
    *,
    enforce_assignments: bool = False,
) -> WallCamera:
    """Allow one live view or raise (the refusal audited); the start entry is written.
    With `enforce_assignments` (setting shifts.enforce_assignments, ORD-20.3) a person
    who has purpose assignments on their current shift watches only those cameras."""
    camera = session.get(Camera, camera_id)
    if stream not in STREAMS:
        raise InvalidInput("console.error.stream_unknown", stream=stream)
    if camera is None or not _visible(principal, camera):
        raise Refused(
            PermissionDenied(
                actor=principal.actor, source_ip=source_ip, outcome=Outcome.DENIED,
                permission=Permission.VIDEO_LIVE.value, path=f"/live/{camera_id}/{stream}",
                camera_ids=(camera_id,) if camera is not None else (),
            ),
            camera=str(camera_id),
        )  # fmt: skip
    try:  # ORD-24: a delegated camera only within its terms' period and purposes
        check_terms(session, principal, [camera.id], None, clock.now(), clock.now(), "live",
                    source_ip)  # fmt: skip
    except OutsideTerms as exc:
        raise Refused(exc.event, camera=camera.code, key=exc.key) from None
    if enforce_assignments and not _assigned(session, clock, principal, camera.id):
        raise Refused(PermissionDenied(
            actor=principal.actor, source_ip=source_ip, outcome=Outcome.DENIED,
            permission="shift.assignment", path=f"/live/{camera_id}/{stream}",
            camera_ids=(camera.id,),
        ), camera=camera.code, key="shifts.error.not_assigned")  # fmt: skip
    health = _health(session, [camera.id]).get(camera.id)
    record(session, LiveViewStarted(
        actor=principal.actor, source_ip=source_ip, camera_ids=(camera.id,),
        range_start=clock.now(), view_id=view_id, code=camera.code, stream=stream,
    ), clock)  # fmt: skip
    return _wall_camera(camera, health)


def _assigned(session: Session, clock: Clock, principal: Principal, camera_id: int) -> bool:
    """ORD-20.3: without assignments on the current shift anyone in scope may watch; with
    them, only the cameras they cover."""
    from gwanje.shifts import assignments

    if principal.person_id is None:
        return True
    mine = assignments.current(session, principal.person_id, clock.now())
    return not mine or camera_id in {c.id for c in assignments.cameras_for(session, mine)}


def live_view_ended(
    session: Session,
    clock: Clock,
    principal: Principal,
    camera: WallCamera,
    stream: str,
    view_id: str,
    started: datetime,
    frames: int,
    reason: str,
    source_ip: str | None,
) -> None:
    record(session, LiveViewEnded(
        actor=principal.actor, source_ip=source_ip, camera_ids=(camera.id,),
        range_start=started, range_end=clock.now(), view_id=view_id, code=camera.code,
        stream=stream, frames=frames, reason=reason,
    ), clock)  # fmt: skip


# ---- layouts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LayoutInput:
    name: str
    grid: int
    tiles: list[int | None]

    @classmethod
    def parse(cls, data: object) -> LayoutInput:
        if not isinstance(data, dict):
            raise InvalidInput("console.error.layout_invalid", detail="not an object")
        name = str(data.get("name", "")).strip()
        grid, tiles = data.get("grid"), data.get("tiles")
        if not name or len(name) > 64:
            raise InvalidInput("console.error.layout_invalid", detail="name: 1-64 characters")
        if grid not in GRIDS:
            raise InvalidInput("console.error.layout_invalid", detail=f"grid: one of {GRIDS}")
        if not isinstance(tiles, list) or len(tiles) > grid:
            raise InvalidInput("console.error.layout_invalid", detail="tiles: at most grid")
        clean: list[int | None] = []
        for tile in tiles:
            if tile is not None and (not isinstance(tile, int) or isinstance(tile, bool)):
                raise InvalidInput("console.error.layout_invalid", detail="tiles: ids or null")
            clean.append(tile)
        return cls(name, int(grid), clean)


def layouts(session: Session, principal: Principal) -> list[WallLayout]:
    return list(
        session.scalars(
            select(WallLayout)
            .where(WallLayout.person_id == principal.person_id)
            .order_by(WallLayout.name)
        )
    )


def save_layout(
    session: Session, clock: Clock, principal: Principal, data: LayoutInput, source_ip: str | None
) -> WallLayout:
    """Create or replace the principal's layout of that name. Cameras the principal may
    not watch are refused (a layout cannot smuggle a camera onto a wall)."""
    if principal.person_id is None:
        raise Forbidden("console.error.layout_person_only")
    allowed = {c.id for c in wall_cameras(session, principal)}
    foreign = [t for t in data.tiles if t is not None and t not in allowed]
    if foreign:
        raise Refused(
            PermissionDenied(
                actor=principal.actor, source_ip=source_ip, outcome=Outcome.DENIED,
                permission=Permission.VIDEO_LIVE.value, path="/api/wall/layouts",
                camera_ids=tuple(foreign),
            ),
            camera=str(foreign[0]),
        )  # fmt: skip
    row = session.scalar(
        select(WallLayout).where(
            WallLayout.person_id == principal.person_id, WallLayout.name == data.name
        )
    )
    if row is None:
        if len(layouts(session, principal)) >= MAX_LAYOUTS:
            raise InvalidInput("console.error.layout_invalid", detail=f"at most {MAX_LAYOUTS}")
        row = WallLayout(person_id=principal.person_id, name=data.name)
        session.add(row)
    row.grid, row.tiles_json, row.updated_at = data.grid, json.dumps(data.tiles), clock.now()
    session.flush()
    _audit(session, clock, WallLayoutSaved(
        actor=principal.actor, source_ip=source_ip,
        camera_ids=tuple(sorted({t for t in data.tiles if t is not None})),
        name=data.name, grid=data.grid,
    ))  # fmt: skip
    return row


def delete_layout(
    session: Session, clock: Clock, principal: Principal, layout_id: int, source_ip: str | None
) -> None:
    row = session.get(WallLayout, layout_id)
    if row is None or row.person_id != principal.person_id:
        raise NotFound("console.error.layout_not_found")
    session.delete(row)
    _audit(session, clock, WallLayoutDeleted(
        actor=principal.actor, source_ip=source_ip, name=row.name
    ))  # fmt: skip


def _audit(session: Session, clock: Clock, event: AuditEvent) -> None:
    record(session, event, clock)
