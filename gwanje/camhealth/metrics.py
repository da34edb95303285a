"""Prometheus metrics (text exposition format 0.0.4) read from the index and tickets.

Owns: `render_metrics`. Every figure is read from the database and the disk at scrape
time (no in-process counters: the web process may be one of several, and restarts).
Names (all gauges):
- gwanje_cameras{state}: linked cameras by their main stream's recorder state
  (online, offline, video_loss, no_keyframes, unknown);
- gwanje_recorder_lag_seconds{camera,stream}: now minus the end of the newest committed
  segment (a segment is indexed when cut, so this runs up to the segment length, and far
  beyond it when recording stopped);
- gwanje_disk_free_bytes{path}, gwanje_disk_used_percent{path}: the video storage;
- gwanje_maintenance_tickets{state}: unclosed tickets by state;
  gwanje_maintenance_tickets_overdue: those past their SLA;
- gwanje_health_faults{kind}: cameras in each image or recorder fault now;
  gwanje_camera_fault{camera,kind}: 1 for each camera and fault it is in now;
- gwanje_incidents_open{type,severity}: open incidents (every pair, zeros included, so a
  closed incident's series drops to 0 instead of vanishing);
- gwanje_notifications_unacknowledged{state}: notifications of open incidents still
  waiting for a receiver's confirmation (pending, sending, sent, failed; an escalated
  row is counted through the rows it escalated to).
Camera labels are management codes (관리번호), never names, addresses or stream URLs.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gwanje.camhealth.kinds import IMAGE_CHANNEL, UNCLOSED_STATES, ImageState
from gwanje.camhealth.models import MaintenanceTicket
from gwanje.camhealth.tickets import is_overdue
from gwanje.clock import as_utc
from gwanje.media.models import CameraHealthEvent, Segment, SegmentState
from gwanje.registry.models import Camera, CameraStatus
from gwanje.settings import Settings

RECORDER_FAULTS = ("offline", "video_loss", "no_keyframes")
Sample = tuple[dict[str, str], float]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _family(name: str, help_text: str, samples: Iterable[Sample]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    for labels, value in samples:
        label = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
        lines.append(f"{name}{{{label}}} {value:g}" if label else f"{name} {value:g}")
    return lines


def current_states(session: Session) -> dict[tuple[int, str], str]:
    """(camera id, channel) -> newest health state (channels: main, sub, image)."""
    newest = (
        select(func.max(CameraHealthEvent.id))
        .group_by(CameraHealthEvent.camera_id, CameraHealthEvent.stream)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            CameraHealthEvent.camera_id, CameraHealthEvent.stream, CameraHealthEvent.state
        ).where(CameraHealthEvent.id.in_(newest))
    )
    return {(cid, stream): state for cid, stream, state in rows}


def render_metrics(session: Session, settings: Settings, now: datetime) -> str:
    cameras = {
        c.id: c.code
        for c in session.scalars(select(Camera).where(Camera.status == CameraStatus.LINKED))
    }
    states = current_states(session)
    lines: list[str] = []
    lines += _cameras(cameras, states)
    lines += _lag(session, cameras, now)
    lines += _disk(settings)
    lines += _tickets(session, now)
    lines += _faults(cameras, states)
    lines += _incidents(session)
    return "\n".join(lines) + "\n"


def _cameras(cameras: dict[int, str], states: dict[tuple[int, str], str]) -> list[str]:
    counts = Counter(states.get((cid, "main"), "unknown") for cid in cameras)
    for state in ("online", "offline", "video_loss", "no_keyframes", "unknown"):
        counts.setdefault(state, 0)
    return _family(
        "gwanje_cameras",
        "Linked cameras by the recorder state of their main stream.",
        (({"state": s}, float(n)) for s, n in sorted(counts.items())),
    )


def _lag(session: Session, cameras: dict[int, str], now: datetime) -> list[str]:
    rows = session.execute(
        select(Segment.camera_id, Segment.stream, func.max(Segment.end_at))
        .where(Segment.state == SegmentState.COMMITTED)
        .group_by(Segment.camera_id, Segment.stream)
    )
    samples = [
        ({"camera": cameras[cid], "stream": stream}, (now - as_utc(end)).total_seconds())
        for cid, stream, end in rows
        if cid in cameras and end is not None
    ]
    return _family(
        "gwanje_recorder_lag_seconds",
        "Seconds since the end of the newest committed segment of a camera stream.",
        sorted(samples, key=_key),
    )


def _key(sample: Sample) -> tuple[str, ...]:
    return tuple(sample[0].values())


def _disk(settings: Settings) -> list[str]:
    path = settings.video_dir
    try:
        usage = shutil.disk_usage(path if path.exists() else settings.data_dir)
    except OSError:
        return []
    label = {"path": str(path)}
    used = 100.0 * (usage.total - usage.free) / usage.total if usage.total else 0.0
    return _family(
        "gwanje_disk_free_bytes", "Free bytes on the video storage.", [(label, float(usage.free))]
    ) + _family(
        "gwanje_disk_used_percent",
        "Used share of the video storage, percent.",
        [(label, round(used, 2))],
    )


def _tickets(session: Session, now: datetime) -> list[str]:
    tickets = list(
        session.scalars(
            select(MaintenanceTicket).where(MaintenanceTicket.state.in_(UNCLOSED_STATES))
        )
    )
    counts = Counter(t.state for t in tickets)
    overdue = sum(1 for t in tickets if is_overdue(t, now))
    samples = [({"state": str(s)}, float(counts.get(s, 0))) for s in UNCLOSED_STATES]
    return _family(
        "gwanje_maintenance_tickets", "Unclosed maintenance tickets by state.", samples
    ) + _family(
        "gwanje_maintenance_tickets_overdue",
        "Unresolved tickets past their SLA.",
        [({}, float(overdue))],
    )


def _faults(cameras: dict[int, str], states: dict[tuple[int, str], str]) -> list[str]:
    image_faults = [s.value for s in ImageState if s is not ImageState.OK]
    per_camera: list[Sample] = []
    for (cid, channel), state in sorted(states.items()):
        if cid not in cameras:
            continue
        if (channel == IMAGE_CHANNEL and state in image_faults) or (
            channel == "main" and state in RECORDER_FAULTS
        ):
            per_camera.append(({"camera": cameras[cid], "kind": state}, 1.0))
    counts = Counter(labels["kind"] for labels, _ in per_camera)
    totals = [({"kind": k}, float(counts.get(k, 0))) for k in (*image_faults, *RECORDER_FAULTS)]
    return _family("gwanje_health_faults", "Cameras in each fault now.", totals) + _family(
        "gwanje_camera_fault", "1 for each camera and the fault it is in now.", per_camera
    )


def _incidents(session: Session) -> list[str]:
    """Issue 6 (operations): open incidents and their unconfirmed notifications."""
    from gwanje.operations.kinds import IncidentState, IncidentType, NotificationState, Severity
    from gwanje.operations.models import Incident, Notification

    opened = Counter(
        (kind, severity)
        for kind, severity in session.execute(
            select(Incident.type, Incident.severity).where(
                Incident.state == IncidentState.OPEN.value
            )
        )
    )
    samples = [
        ({"type": t.value, "severity": s.value}, float(opened.get((t.value, s.value), 0)))
        for t in IncidentType
        for s in Severity
    ]
    waiting = [NotificationState.PENDING, NotificationState.SENDING, NotificationState.SENT,
               NotificationState.FAILED]  # fmt: skip
    rows = session.execute(
        select(Notification.state, func.count())
        .join(Incident, Incident.id == Notification.incident_id)
        .where(Incident.state == IncidentState.OPEN.value,
               Notification.state.in_([w.value for w in waiting]))
        .group_by(Notification.state)
    )  # fmt: skip
    counts = {state: n for state, n in rows}
    unacked = [({"state": w.value}, float(counts.get(w.value, 0))) for w in waiting]
    return _family("gwanje_incidents_open", "Open incidents by type and severity.", samples) + (
        _family(
            "gwanje_notifications_unacknowledged",
            "Notifications of open incidents not yet acknowledged, by delivery state.",
            unacked,
        )
    )
