"""Who may replay which stored video, what the timeline shows, and the audit of both.

Invariants:
- replaying stored video needs `video.playback` AND an active grant naming the person for
  that camera and the whole requested range (ORD-30.2, `governance.active_grant`); the
  served video is clipped to the grant's item (never before its start, never after its
  end; see `gwanje.media.playback`);
- a refusal says why and how to get a grant (an access request), and is audited
  (`video.playback_refused`) in its own transaction; every replay is audited before the
  first byte (`video.playback`, with the grant and request it used);
- the timeline (recorded spans, gaps with causes, holds, events, my grants) shows no video and
  needs `video.playback` over the camera's department (so the operator sees what exists
  and what to ask for).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gwanje.audit import Outcome
from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.clock import Clock
from gwanje.console.events import PlaybackRefused, PlaybackStarted
from gwanje.console.service import Refused
from gwanje.errors import InvalidInput, NotFound
from gwanje.governance.kinds import GrantState
from gwanje.governance.models import AccessGrant, AccessGrantPerson, AccessRequestItem
from gwanje.governance.requests import active_grant, covering_item
from gwanje.media.kinds import SegmentState
from gwanje.media.models import CameraHealthEvent, Gap, Segment
from gwanje.registry.models import Camera
from gwanje.retention.models import LegalHold

MAX_TIMELINE_DAYS = 31


@dataclass(frozen=True)
class PlaybackGrant:
    camera: Camera
    grant_id: int
    request_id: int
    clip_start: datetime  # the grant item's range: nothing outside it is served
    clip_end: datetime


def _camera(session: Session, principal: Principal, camera_id: int) -> Camera:
    camera = session.get(Camera, camera_id)
    if camera is None or not principal.may_use_on_camera(
        Permission.VIDEO_PLAYBACK, camera.id, camera.department_id
    ):
        raise NotFound("console.error.camera_unknown", camera=str(camera_id))
    return camera


def check_range(start: datetime, end: datetime, days: int = MAX_TIMELINE_DAYS) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("console.error.range_invalid", detail="times need an offset")
    if end <= start:
        raise InvalidInput("console.error.range_invalid", detail="end must follow start")
    if (end - start).days > days:
        raise InvalidInput("console.error.range_invalid", detail=f"at most {days} days")


def timeline(
    session: Session, principal: Principal, camera_id: int, stream: str,
    start: datetime, end: datetime, now: datetime,
) -> dict[str, Any]:  # fmt: skip
    check_range(start, end)
    camera = _camera(session, principal, camera_id)
    segments = session.execute(
        select(Segment.start_at, Segment.end_at)
        .where(Segment.camera_id == camera.id, Segment.stream == stream,
               Segment.state == SegmentState.COMMITTED, Segment.end_at > start,
               Segment.start_at < end)
        .order_by(Segment.start_at)
    ).all()  # fmt: skip
    gaps = session.scalars(
        select(Gap).where(Gap.camera_id == camera.id, Gap.stream == stream,
                          Gap.start_at < end, (Gap.end_at.is_(None)) | (Gap.end_at > start))
        .order_by(Gap.start_at)
    ).all()  # fmt: skip
    holds = session.scalars(
        select(LegalHold).where(LegalHold.camera_id == camera.id, LegalHold.start_at < end,
                                LegalHold.end_at > start, LegalHold.released_at.is_(None))
    ).all()  # fmt: skip
    grants = session.execute(
        select(AccessGrant.id, AccessGrant.valid_until, AccessRequestItem.start_at,
               AccessRequestItem.end_at)
        .join(AccessGrantPerson, AccessGrantPerson.grant_id == AccessGrant.id)
        .join(AccessRequestItem, AccessRequestItem.request_id == AccessGrant.request_id)
        .where(AccessGrantPerson.person_id == principal.person_id,
               AccessGrant.state == GrantState.ACTIVE, AccessGrant.valid_until > now,
               AccessRequestItem.camera_id == camera.id)
    ).all()  # fmt: skip
    health = session.scalars(
        select(CameraHealthEvent).where(
            CameraHealthEvent.camera_id == camera.id, CameraHealthEvent.stream == stream,
            CameraHealthEvent.at >= start, CameraHealthEvent.at < end,
        ).order_by(CameraHealthEvent.at).limit(1000)
    ).all()  # fmt: skip
    return {
        "camera": {"id": camera.id, "code": camera.code, "name": camera.name},
        # Camera health changes (online, offline, video loss, no keyframes); incidents
        # and analytics events join them when those exist (issue 6).
        "events": [{"at": h.at.isoformat(), "kind": "health", "state": h.state,
                    "detail": h.detail} for h in health],
        "stream": stream, "start": start.isoformat(), "end": end.isoformat(),
        "recorded": _merge([(s.start_at, s.end_at) for s in segments]),
        "gaps": [{"start": g.start_at.isoformat(),
                  "end": g.end_at.isoformat() if g.end_at else None, "cause": g.cause}
                 for g in gaps],
        "holds": [{"start": h.start_at.isoformat(), "end": h.end_at.isoformat(),
                   "ground": h.ground} for h in holds],
        "grants": [{"id": g.id, "start": g.start_at.isoformat(), "end": g.end_at.isoformat(),
                    "valid_until": g.valid_until.isoformat()} for g in grants],
    }  # fmt: skip


def _merge(spans: list[tuple[datetime, datetime]]) -> list[dict[str, str]]:
    """Contiguous segments as one recorded span (segments of a run touch end to start)."""
    merged: list[list[datetime]] = []
    for start, end in spans:
        if merged and (start - merged[-1][1]).total_seconds() <= 0.5:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [{"start": s.isoformat(), "end": e.isoformat()} for s, e in merged]


def authorize_playback(
    session: Session, clock: Clock, principal: Principal, camera_id: int, stream: str,
    start: datetime, end: datetime, source_ip: str | None,
) -> PlaybackGrant:  # fmt: skip
    """The grant this replay uses, or a `Refused` carrying its audit entry."""
    check_range(start, end)
    camera = _camera(session, principal, camera_id)
    grant = active_grant(session, principal.person_id, camera.id, start, end, clock.now())
    if grant is None:
        refusal = PlaybackRefused(
            actor=principal.actor, source_ip=source_ip, outcome=Outcome.DENIED,
            camera_ids=(camera.id,), range_start=start, range_end=end, code=camera.code,
            stream=stream,
        )  # fmt: skip
        raise Refused(refusal, camera.code, key="console.error.no_grant")
    item = covering_item(session, grant, camera.id, start, end)
    return PlaybackGrant(camera, grant.id, grant.request_id, item.start_at, item.end_at)


def playback_started(
    session: Session, clock: Clock, principal: Principal, grant: PlaybackGrant, stream: str,
    start: datetime, end: datetime, served_from: datetime | None, source_ip: str | None,
) -> None:  # fmt: skip
    from gwanje.audit import record

    record(session, PlaybackStarted(
        actor=principal.actor, source_ip=source_ip, camera_ids=(grant.camera.id,),
        range_start=start, range_end=end, code=grant.camera.code, stream=stream,
        grant_id=grant.grant_id, request_id=grant.request_id, served_from=served_from,
    ), clock)  # fmt: skip
