"""Incident snapshots end to end: simulated cameras recorded by the real recorder with
live taps; an incident opened through the API gets a JPEG of its camera with the privacy
mask burned in (ORD-26.1); the picture is shown only to those who may watch the camera
live (ORD-30.1) and each view is audited (PIPA-3); the recorded fallback; /metrics."""

from __future__ import annotations

import hashlib
import io
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from camhealth.health_kit import Recording, center
from media.conftest import camsim_clips
from PIL import Image
from sqlalchemy import func, select
from webclient import client_as, principal_for

from gwanje.audit.models import AuditEntry
from gwanje.auth.permissions import Role
from gwanje.context import Gwanje
from gwanje.media.camsim.clips import ClipSet
from gwanje.media.camsim.harness import run_in_thread
from gwanje.media.camsim.server import ServerConfig
from gwanje.media.models import Segment
from gwanje.media.recorder.supervisor import Recorder
from gwanje.operations import snapshots
from gwanje.people.access import resolve_principal
from gwanje.registry.models import Camera
from gwanje.settings import Mode, Settings
from gwanje.web.app import create_app

__all__ = ["camsim_clips"]
pytestmark = pytest.mark.slow
TOKEN = "scrape-token-for-tests-0123456789"
MASK = [[[0.0, 0.0], [0.5, 0.0], [0.5, 0.5], [0.0, 0.5]]]  # the top-left quarter


@pytest.fixture
def rec(tmp_path: Path, camsim_clips: ClipSet) -> Iterator[Recording]:
    sim = run_in_thread(camsim_clips, ServerConfig(cameras=2, udp=False))
    settings = Settings(
        mode=Mode.TEST, data_dir=tmp_path / "data",
        recording={"segment_seconds": 2.0, "streams": ["main", "sub"], "min_free_bytes": 0,
                   "read_timeout_s": 3.0, "reconnect_min_s": 0.5},
        health={"metrics_token": TOKEN},
    )  # fmt: skip
    ctx = Gwanje.open(settings)
    kit = center(ctx, cameras=2, url=f"rtsp://127.0.0.1:{sim.port}/cam{{n}}/{{s}}")
    with ctx.transaction() as session:
        camera = session.get(Camera, kit.cameras[0])
        assert camera is not None
        camera.privacy_masks_json = json.dumps(MASK)
    recorder = Recorder(ctx)
    recorder.start()
    try:
        yield Recording(ctx, sim, kit, recorder)
    finally:
        if not recorder._stopping.is_set():  # the fallback test stops it itself
            recorder.stop()
        sim.stop()
        ctx.close()


def _wait(condition: Callable[[], Any], seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.3)
    return condition()


def _masked_quarter_is_uniform(jpeg: bytes) -> None:
    image = np.asarray(Image.open(io.BytesIO(jpeg)).convert("L"), dtype=float)
    h, w = image.shape
    inside = image[8 : h // 2 - 8, 8 : w // 2 - 8]
    assert inside.std() < 2.0, inside.std()  # burned in: one flat colour
    assert inside.mean() < 8
    assert image[h // 2 :, w // 2 :].std() > 5  # the unmasked rest shows the scene


def _views(ctx: Gwanje) -> int:
    with ctx.sessions() as session:
        query = select(func.count()).where(AuditEntry.event_type == "incident.snapshot_viewed")
        return int(session.scalar(query) or 0)


def test_an_incident_gets_a_masked_snapshot_only_video_viewers_see(rec: Recording) -> None:
    ctx, kit = rec.ctx, rec.center
    with ctx.sessions() as session:
        manager = resolve_principal(session, kit.manager, ctx.clock)
        contractor = resolve_principal(session, kit.contractor, ctx.clock)
    app = create_app(ctx)
    with client_as(app, manager) as staff:  # the lifespan runs the snapshot sweep
        assert _wait(lambda: Path(ctx.settings.data_dir, "run", "live").exists()
                     and any(Path(ctx.settings.data_dir, "run", "live").iterdir()), 20)  # fmt: skip
        time.sleep(1.5)  # a first keyframe reaches the taps
        made = staff.post(
            "/api/incidents",
            json={
                "type": "crime",
                "severity": "high",
                "title": "시장 앞 폭행",
                "cameras": ["HC-001"],
            },
        )
        assert made.status_code == 201, made.text
        incident_id = made.json()["id"]
        seen = _wait(lambda: staff.get(f"/api/incidents/{incident_id}").json()["snapshots"], 20)
        assert len(seen) == 1, staff.get(f"/api/incidents/{incident_id}").json()["timeline"]
        shot = seen[0]
        assert (shot["camera"], shot["source"], shot["stream"], shot["masks"]) == (
            "HC-001", "live", "sub", 1)  # fmt: skip
        picture = staff.get(shot["url"])
        assert picture.status_code == 200
        assert picture.headers["content-type"] == "image/jpeg"
        assert hashlib.sha256(picture.content).hexdigest() == shot["sha256"]
        stored = Path(ctx.settings.data_dir, "incidents", str(incident_id), "1.jpg")
        assert stored.read_bytes() == picture.content
        _masked_quarter_is_uniform(picture.content)
        assert _views(ctx) == 1

        # on demand, from the page's button
        page = staff.get(f"/incidents/{incident_id}")
        assert 'data-testid="snapshot-img-1"' in page.text
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        pressed = staff.post(f"/incidents/{incident_id}/act", follow_redirects=False,
                             data={"action": "snapshot", "csrf_token": token})  # fmt: skip
        assert pressed.status_code == 303, pressed.text
        shots = staff.get(f"/api/incidents/{incident_id}").json()["snapshots"]
        assert [s["n"] for s in shots] == [1, 2]
        assert shots[1]["taken_by"] == manager.username

        # who may see the picture
        outsider = principal_for(Role.OPERATOR, person_id=kit.manager, username="other",
                                 camera_scope=frozenset({kit.cameras[1]}))  # fmt: skip
        assert client_as(app, outsider).get(shot["url"]).status_code == 403
        assert client_as(app, contractor).get(shot["url"]).status_code == 403
        auditor = client_as(app, principal_for(Role.AUDITOR, person_id=kit.manager,
                                               username="audit"))  # fmt: skip
        listed = auditor.get(f"/api/incidents/{incident_id}").json()["snapshots"]
        assert [s["sha256"] for s in listed] == [s["sha256"] for s in shots]
        assert auditor.get(shot["url"]).status_code == 403
        auditor_page = auditor.get(f"/incidents/{incident_id}").text
        assert 'data-testid="snapshot-1"' in auditor_page
        assert "snapshot-img-1" not in auditor_page
        assert 'data-testid="snapshots-hidden"' in auditor_page
        assert _views(ctx) == 1  # refusals are not views
        with ctx.sessions() as session:
            denied = select(func.count()).where(AuditEntry.event_type == "auth.permission_denied")
            assert (session.scalar(denied) or 0) >= 2

        # /metrics shows the open incident and drops it when closed
        scrape = client_as(app, None)
        auth = {"Authorization": f"Bearer {TOKEN}"}
        line = 'gwanje_incidents_open{type="crime",severity="high"}'
        assert f"{line} 1\n" in scrape.get("/metrics", headers=auth).text
        closed = staff.post(f"/api/incidents/{incident_id}/close", json={"note": "종료"})
        assert closed.status_code == 200, closed.text
        assert f"{line} 0\n" in scrape.get("/metrics", headers=auth).text
        assert staff.post(f"/api/incidents/{incident_id}/snapshots").status_code == 409


def test_without_a_live_tap_the_newest_recording_gives_the_still(rec: Recording) -> None:
    ctx = rec.ctx

    def recorded() -> bool:
        with ctx.sessions() as session:
            query = select(func.count()).where(Segment.camera_id == rec.center.cameras[0])
            return bool(session.scalar(query))

    assert _wait(recorded, 20)
    rec.recorder.stop()  # the taps close with their workers
    with ctx.transaction() as session:
        from gwanje.operations.incidents import IncidentInput, Incidents
        from gwanje.registry.service import system_principal

        data = IncidentInput(type="fire", severity="low", title="연기", camera_codes=("HC-001",))
        incident = Incidents(session, ctx.settings, ctx.clock, system_principal("t")).open(data)
        incident_id = incident.id
    actor = principal_for(Role.OPERATOR, person_id=rec.center.manager).actor
    assert snapshots.take(ctx, incident_id, actor) == 1
    with ctx.sessions() as session:
        from gwanje.operations.models import IncidentSnapshot

        row = session.scalars(select(IncidentSnapshot)).one()
        assert row.source == "recorded"
        assert row.stream == "main"
    jpeg = (snapshots.folder_of(ctx.settings, incident_id) / "1.jpg").read_bytes()
    _masked_quarter_is_uniform(jpeg)
