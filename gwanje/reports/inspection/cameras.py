"""Inspection checks of the camera registry and its recordings (ORD-3, 6-9, 12, 15, 16.1;
PIPA-1). Each reads live rows and lists the cameras that fail as evidence."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gwanje.clock import Clock, as_utc
from gwanje.media.models import Gap, Segment
from gwanje.registry import lifecycle
from gwanje.registry.models import Camera, CameraStatus
from gwanje.reports.inspection.base import CheckResult, Status
from gwanje.settings import Settings

IN_SERVICE = (CameraStatus.INSTALLED, CameraStatus.LINKED)
CAMERA_COLUMNS = ("reports.col.camera", "reports.col.name", "reports.col.department",
                  "reports.col.status", "reports.col.missing")  # fmt: skip
GAP_WINDOW_DAYS = 30


def _cameras(session: Session, *statuses: CameraStatus) -> list[Camera]:
    query = select(Camera).order_by(Camera.code)
    if statuses:
        query = query.where(Camera.status.in_([s.value for s in statuses]))
    return list(session.scalars(query))


def _row(camera: Camera, missing: list[str]) -> tuple[str, ...]:
    short = ", ".join(m.removeprefix("registry.req.") for m in missing)
    return (camera.code, camera.name, camera.department.code, camera.status, short)


def _verdict(rows: list[tuple[str, ...]], checked: int, bad: Status = Status.FAIL) -> CheckResult:
    if checked == 0:
        return CheckResult(Status.NOT_APPLICABLE, "reports.summary.no_cameras")
    status = bad if rows else Status.PASS
    key = "reports.summary.cameras_bad" if rows else "reports.summary.cameras_ok"
    return CheckResult(status, key, {"bad": len(rows), "checked": checked}, CAMERA_COLUMNS, rows)


def camera_signage(session: Session, clock: Clock, settings: Settings) -> CheckResult:
    """ORD-9, PIPA-1: every installed or linked camera has a complete signage record."""
    cameras = _cameras(session, *IN_SERVICE)
    rows = []
    for camera in cameras:
        missing = [f for f in lifecycle.SIGNAGE_FIELDS if not getattr(camera, f)]
        if missing:
            rows.append(_row(camera, missing))
    return _verdict(rows, len(cameras))


def camera_consultation(session: Session, clock: Clock, settings: Settings) -> CheckResult:
    """ORD-8: cameras past planning have a consultation record or a named exemption."""
    cameras = _cameras(session, CameraStatus.CONSULTED, *IN_SERVICE)
    rows = []
    for camera in cameras:
        missing = lifecycle.missing_for(camera, CameraStatus.CONSULTED)
        if missing:
            rows.append(_row(camera, missing))
    return _verdict(rows, len(cameras))


def camera_standards(session: Session, clock: Clock, settings: Settings) -> CheckResult:
    """ORD-3, 6, 7: installer and reason, a lawful purpose, and (once installed) the
    installation standards and the registered contractor."""
    cameras = [c for c in _cameras(session) if c.status != CameraStatus.DECOMMISSIONED]
    rows = []
    for camera in cameras:
        missing = [] if camera.purpose_rows else ["registry.req.purpose"]
        if not (camera.installer_body or "").strip():
            missing.append("installer_body")
        if camera.status in IN_SERVICE:
            consulted = set(lifecycle.missing_for(camera, CameraStatus.CONSULTED))
            installed = lifecycle.missing_for(camera, CameraStatus.INSTALLED)
            missing += [m for m in installed if m not in consulted and m not in missing]
        if missing:
            rows.append(_row(camera, missing))
    return _verdict(rows, len(cameras))


def camera_linked(session: Session, clock: Clock, settings: Settings) -> CheckResult:
    """ORD-15: an installed camera not linked to the center has a recorded reason."""
    cameras = _cameras(session, *IN_SERVICE)
    rows = [
        _row(c, ["unlinked_reason"])
        for c in cameras
        if c.status == CameraStatus.INSTALLED and not c.unlinked_reason
    ]
    return _verdict(rows, len(cameras))


def camera_end_of_life(session: Session, clock: Clock, settings: Settings) -> CheckResult:
    """ORD-12: equipment past its planned end of life is flagged for replacement."""
    cameras = _cameras(session, *IN_SERVICE)
    today = clock.now().date()
    rows = [
        _row(c, [f"end_of_life {c.end_of_life_on}"])
        for c in cameras
        if c.end_of_life_on is not None and c.end_of_life_on < today
    ]
    return _verdict(rows, len(cameras), bad=Status.WARN)


def recording_gaps(session: Session, clock: Clock, settings: Settings) -> CheckResult:
    """ORD-12, ORD-16.1: per camera, the gaps in its recordings over the last 30 days
    (count, minutes, causes, still open). Open gaps warn; closed ones are summarised."""
    now = clock.now()
    since = now - timedelta(days=GAP_WINDOW_DAYS)
    recorded = session.scalar(select(Segment.id).limit(1))
    gaps = list(session.scalars(
        select(Gap).where((Gap.end_at.is_(None)) | (Gap.end_at >= since))
        .order_by(Gap.camera_id, Gap.start_at)
    ))  # fmt: skip
    if recorded is None and not gaps:
        return CheckResult(Status.NOT_APPLICABLE, "reports.summary.no_recordings")
    codes = {r[0]: r[1] for r in session.execute(select(Camera.id, Camera.code))}
    per: dict[int, list[Gap]] = defaultdict(list)
    for gap in gaps:
        per[gap.camera_id].append(gap)
    rows = [_gap_row(codes.get(cid, str(cid)), found, since, now) for cid, found in per.items()]
    open_count = sum(1 for g in gaps if g.end_at is None)
    status = Status.WARN if open_count else Status.PASS
    columns = ("reports.col.camera", "reports.col.gaps", "reports.col.minutes",
               "reports.col.causes", "reports.col.open")  # fmt: skip
    params = {"cameras": len(rows), "gaps": len(gaps), "open": open_count, "days": GAP_WINDOW_DAYS}
    return CheckResult(status, "reports.summary.gaps", params, columns, sorted(rows))


def _gap_row(code: str, gaps: list[Gap], since: datetime, now: datetime) -> tuple[object, ...]:
    minutes = 0.0
    for gap in gaps:
        start = max(as_utc(gap.start_at), since)
        end = as_utc(gap.end_at) if gap.end_at else now
        minutes += max(0.0, (end - start).total_seconds() / 60)
    causes = ", ".join(sorted({g.cause for g in gaps}))
    still_open = sum(1 for g in gaps if g.end_at is None)
    return (code, len(gaps), round(minutes, 1), causes, still_open)
