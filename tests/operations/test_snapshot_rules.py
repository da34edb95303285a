"""Incident snapshots where the database matters (SQLite and PostgreSQL): which incidents
the sweep still owes a snapshot, the incidents metric, and the durable write."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
from PIL import Image
from registry.helpers import departments, make_camera

from gwanje.audit.events import Actor
from gwanje.camhealth.metrics import render_metrics
from gwanje.context import Gwanje
from gwanje.operations import snapshots
from gwanje.operations.incidents import IncidentInput, Incidents
from gwanje.operations.kinds import EntryKind
from gwanje.operations.notify import outbox
from gwanje.registry.models import CameraStatus
from gwanje.registry.service import system_principal


def _open(ctx: Gwanje, cameras: tuple[str, ...], severity: str = "high") -> int:
    with ctx.transaction() as session:
        service = Incidents(session, ctx.settings, ctx.clock, system_principal("test"))
        data = IncidentInput(type="crime", severity=severity, title="t", camera_codes=cameras)
        return service.open(data).id


def test_the_sweep_owes_a_snapshot_once_per_new_incident_with_cameras(any_ctx: Gwanje) -> None:
    make_camera(any_ctx, "SN-1", departments(any_ctx)["SAFETY"], CameraStatus.LINKED)
    with_camera, without = _open(any_ctx, ("SN-1",)), _open(any_ctx, ())
    with any_ctx.sessions() as session:
        assert [i for i, _, _ in snapshots.due(session, any_ctx.clock.now())] == [with_camera]
        later = any_ctx.clock.now() + snapshots.SWEEP_WINDOW + timedelta(seconds=1)
        assert snapshots.due(session, later) == []  # too old to show the moment
    assert without
    with any_ctx.transaction() as session:
        outbox.timeline(session, with_camera, EntryKind.SNAPSHOT, any_ctx.clock.now(),
                        Actor.system("t"), "SN-1: failed")  # fmt: skip
    with any_ctx.sessions() as session:
        assert snapshots.due(session, any_ctx.clock.now()) == []


def test_a_camera_without_video_gets_a_failure_line_not_an_exception(any_ctx: Gwanje) -> None:
    make_camera(any_ctx, "SN-2", departments(any_ctx)["SAFETY"], CameraStatus.LINKED)
    incident = _open(any_ctx, ("SN-2",))
    assert snapshots.sweep_once(any_ctx) == 0
    with any_ctx.sessions() as session:
        assert snapshots.due(session, any_ctx.clock.now()) == []
        from gwanje.operations.web import _timeline

        lines = [e for e in _timeline(session, incident) if e["kind"] == "snapshot"]
    assert len(lines) == 1
    assert "SN-2" in lines[0]["text"]


def test_metrics_count_open_incidents_by_type_and_severity(any_ctx: Gwanje) -> None:
    first, _ = _open(any_ctx, ()), _open(any_ctx, (), severity="low")
    with any_ctx.sessions() as session:
        text = render_metrics(session, any_ctx.settings, any_ctx.clock.now())
    assert 'gwanje_incidents_open{type="crime",severity="high"} 1\n' in text
    assert 'gwanje_incidents_open{type="fire",severity="high"} 0\n' in text
    assert 'gwanje_notifications_unacknowledged{state="pending"} 0\n' in text
    with any_ctx.transaction() as session:
        Incidents(session, any_ctx.settings, any_ctx.clock, system_principal("test")).close(
            first, "done"
        )
    with any_ctx.sessions() as session:
        text = render_metrics(session, any_ctx.settings, any_ctx.clock.now())
    assert 'gwanje_incidents_open{type="crime",severity="high"} 0\n' in text
    assert 'gwanje_incidents_open{type="crime",severity="low"} 1\n' in text


def test_masks_are_burned_in_and_files_are_never_replaced(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    data = snapshots.render(rgb, [[[0.0, 0.0], [0.5, 0.0], [0.5, 0.5], [0.0, 0.5]]], 90)
    assert snapshots.store(tmp_path, 1, data) == 1
    assert snapshots.store(tmp_path, 1, b"other") == 2  # 1.jpg exists: the next free n
    assert (tmp_path / "1.jpg").read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1.jpg", "2.jpg"]
    image = np.asarray(Image.open(tmp_path / "1.jpg").convert("L"), dtype=float)
    assert image[4:52, 4:72].std() < 2.0
    assert image[4:52, 4:72].mean() < 8
    assert image[70:, 90:].std() > 20  # the rest is the picture
