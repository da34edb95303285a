"""Issue 6's "done when" for camera health, end to end: a covered and a frozen simulated
camera, recorded by the real recorder and checked by the real image-check worker process,
open tickets for the camera's contractor; the contractor sees the tickets and the camera's
metadata but no video (ORD-11); /metrics reports the faulted camera; the repair writes the
maintenance record and the ticket closes once the check passes again."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from health_kit import Recording
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect
from webclient import client_as

from gwanje.camhealth.models import MaintenanceTicket
from gwanje.camhealth.monitor import HealthMonitor
from gwanje.people.access import resolve_principal
from gwanje.registry.models import MaintenanceRecord
from gwanje.web.app import create_app

pytestmark = pytest.mark.slow

TOKEN = "scrape-token-for-tests-0123456789"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
SAMPLE = re.compile(
    rf"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{{(?P<labels>{LABEL}(?:,{LABEL})*)?\}})?"
    r" (?P<value>-?[0-9.eE+-]+|NaN|[+-]Inf)$"
)


def parse_prometheus(text: str) -> dict[str, dict[str, float]]:
    """Strict reader of the text format: HELP/TYPE before each family's samples, every
    sample line well formed; returns {family: {label string: value}}."""
    families: dict[str, dict[str, float]] = {}
    typed: set[str] = set()
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            parts = line.split(" ", 3)
            if parts[1] == "TYPE":
                assert parts[3] == "gauge", line
                typed.add(parts[2])
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name, labels, value = match["name"], match["labels"] or "", match["value"]
        assert name in typed, f"{name} has no TYPE line before it"
        families.setdefault(name, {})[labels] = float(value)
    return families


def _wait(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return condition()


def _tickets(rec: Recording) -> dict[tuple[int, str], MaintenanceTicket]:
    with rec.ctx.sessions() as session:
        rows = session.scalars(select(MaintenanceTicket)).all()
        return {(t.camera_id, t.kind): t for t in rows}


def _client(rec: Recording, person_id: int) -> TestClient:
    with rec.ctx.sessions() as session:
        principal = resolve_principal(session, person_id, rec.ctx.clock)
    return client_as(create_app(rec.ctx), principal)


def test_covered_and_frozen_cameras_open_tickets_the_contractor_sees_without_video(
    recording: Recording,
) -> None:
    rec, cams = recording, recording.center.cameras
    monitor = HealthMonitor(rec.ctx)
    monitor.start()
    try:
        assert _wait(lambda: _image_states(rec).get(cams[0]) == "image_ok", 30)
        time.sleep(3)  # the checks learn each camera's normal view
        rec.sim.image_fault(2, "cover")
        rec.sim.image_fault(3, "freeze")
        wanted = {(cams[1], "covered"), (cams[2], "frozen")}
        assert _wait(lambda: wanted <= set(_tickets(rec)), 45), _tickets(rec)
        _contractor_sees_tickets_and_no_video(rec)
        _metrics_report_the_faulted_camera(rec)
        covered = _tickets(rec)[(cams[1], "covered")]
        fixer = _client(rec, rec.center.contractor)
        note = {"note": "removed the bag over the dome"}
        done = fixer.post(f"/maintenance/tickets/{covered.id}/resolve", data=note)
        assert done.status_code == 200
        assert "maintenance-errors" not in done.text
        boss = _client(rec, rec.center.manager)
        refused = boss.post(f"/maintenance/tickets/{covered.id}/close", data={})
        assert refused.status_code == 409  # the camera is still covered
        rec.sim.clear_image_fault(2)
        assert _wait(lambda: _image_states(rec).get(cams[1]) == "image_ok", 30)
        closing = boss.post(f"/maintenance/tickets/{covered.id}/close", data={})
        assert closing.status_code == 200
        assert "maintenance-errors" not in closing.text
    finally:
        monitor.stop()
    closed = _tickets(rec)[(cams[1], "covered")]
    assert closed.state == "closed"
    assert closed.maintenance_record_id is not None
    with rec.ctx.sessions() as session:
        item = session.get(MaintenanceRecord, closed.maintenance_record_id)
        assert item is not None
        assert item.contractor_id == rec.center.company
    assert set(_tickets(rec)) == {(cams[1], "covered"), (cams[2], "frozen")}, "no false alarm"


def _image_states(rec: Recording) -> dict[int, str]:
    from gwanje.camhealth.metrics import current_states

    with rec.ctx.sessions() as session:
        return {cid: s for (cid, ch), s in current_states(session).items() if ch == "image"}


def _contractor_sees_tickets_and_no_video(rec: Recording) -> None:
    cams = rec.center.cameras
    fixer = _client(rec, rec.center.contractor)
    listed = fixer.get("/api/maintenance/tickets").json()
    assert {(t["camera"], t["kind"]) for t in listed} == {
        ("HC-002", "covered"),
        ("HC-003", "frozen"),
    }
    page = fixer.get(f"/maintenance/tickets/{listed[0]['id']}")
    assert page.status_code == 200
    assert "HC-00" in page.text
    for banned in ("<video", "<img", "rtsp://", "/live/", "/api/playback"):
        assert banned not in page.text  # metadata only: no picture, no stream address
    for path in (
        "/wall",
        "/playback",
        "/api/wall/cameras",
        f"/api/playback/{cams[1]}/timeline",
        f"/api/playback/{cams[1]}/sub/video",
        f"/cameras/{cams[1]}",
    ):
        assert fixer.get(path).status_code == 403, path
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        fixer.websocket_connect(f"/live/{cams[1]}/sub") as ws,
    ):
        ws.receive()
    assert refused.value.code == 1008
    outsider = _client(rec, rec.center.outsider)
    assert outsider.get("/api/maintenance/tickets").json() == []
    assert outsider.get(f"/maintenance/tickets/{listed[0]['id']}").status_code == 404


def _metrics_report_the_faulted_camera(rec: Recording) -> None:
    anonymous = client_as(create_app(rec.ctx), None)
    assert anonymous.get("/metrics").status_code == 401
    assert anonymous.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert _client(rec, rec.center.contractor).get("/metrics").status_code == 403
    scraped = anonymous.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain; version=0.0.4")
    metrics = parse_prometheus(scraped.text)
    assert metrics["gwanje_camera_fault"]['camera="HC-002",kind="covered"'] == 1
    assert metrics["gwanje_camera_fault"]['camera="HC-003",kind="frozen"'] == 1
    assert metrics["gwanje_health_faults"]['kind="covered"'] == 1
    assert metrics["gwanje_cameras"]['state="online"'] == 6
    assert metrics["gwanje_maintenance_tickets"]['state="open"'] == 2
    assert 0 <= metrics["gwanje_recorder_lag_seconds"]['camera="HC-001",stream="main"'] < 30
    assert next(iter(metrics["gwanje_disk_free_bytes"].values())) > 0
