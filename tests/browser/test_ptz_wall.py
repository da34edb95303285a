"""PTZ on the wall in Chromium (ORD-10.1, PIPA-7): an operator enlarges the PTZ camera,
pans inside its purpose area, tries to leave it, is asked for a lawful reason, and with
one the camera moves and the audit entry carries it.

Real parts end to end: the camera simulator's PTZ camera and ONVIF device, the recorder
pulling its live-encoded stream, the web server (uvicorn) and its ONVIF client, Chromium.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live import LiveServer
from sqlalchemy import select
from test_foundation_flows import login

from gwanje.audit.models import AuditEntry
from gwanje.clock import SystemClock
from gwanje.context import Gwanje
from gwanje.db.engine import make_engine, make_session_factory
from gwanje.media.camsim.clips import load_or_generate
from gwanje.media.camsim.harness import CamsimHandle, run_in_thread
from gwanje.media.camsim.profile import TEST
from gwanje.media.camsim.server import ServerConfig
from gwanje.media.config import RecordingSettings
from gwanje.media.recorder.supervisor import Recorder
from gwanje.ptz.inputs import ConfigInput, PresetInput
from gwanje.ptz.setup import PtzSetup
from gwanje.registry.models import Camera
from gwanje.registry.service import system_principal
from gwanje.settings import Mode, Settings

pytestmark = pytest.mark.browser
CODE = "YS-CAM-0001"  # the demo's camera 1, pointed at the simulator's PTZ camera 1
AREA = {
    "pan_min": -0.25,
    "pan_max": 0.25,
    "tilt_min": -0.3,
    "tilt_max": 0.3,
    "zoom_min": 0.0,
    "zoom_max": 0.6,
}


@pytest.fixture(scope="module")
def ptz_server(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[LiveServer, CamsimHandle]]:
    from gwanje.cli.demo import seed_demo

    clips = load_or_generate(tmp_path_factory.mktemp("ptz-wall-clips"), TEST)
    sim = run_in_thread(clips, ServerConfig(cameras=2, ptz_cameras=1))
    data_dir = tmp_path_factory.mktemp("ptz-wall")
    shutil.copyfile(sqlite_template, data_dir / "gwanje.db")
    recording = RecordingSettings(streams=["main"], segment_seconds=10, min_free_bytes=0)
    settings = Settings(mode=Mode.DEMO, data_dir=data_dir, recording=recording)
    engine = make_engine(settings.db_url)
    ctx = Gwanje(settings, engine, make_session_factory(engine), SystemClock())
    accounts = seed_demo(ctx, cameras=2, rtsp_port=sim.port)
    with ctx.transaction() as session:
        camera = session.scalars(select(Camera).where(Camera.code == CODE)).one()
        camera.onvif_url = sim.onvif_url(1)
        setup = PtzSetup(session, settings, ctx.clock, system_principal("test"))
        setup.configure(camera.id, ConfigInput.parse({"profile_token": "main", "area": AREA}))
        setup.save_preset(
            camera.id,
            PresetInput.parse(
                {
                    "name": "중심",
                    "purpose": camera.purposes[0].value,
                    "pan": 0,
                    "tilt": 0,
                    "zoom": 0,
                    "is_home": True,
                }
            ),
        )
    server = LiveServer(ctx, accounts)
    recorder = Recorder(ctx)
    recorder.start()
    server.start()
    yield server, sim
    server.stop()
    recorder.stop()
    sim.stop()
    ctx.close()


def _wait_pan(sim: CamsimHandle, pan: float) -> None:
    deadline = time.monotonic() + 15
    while abs(sim.ptz_position(1)[0] - pan) > 1e-3:
        assert time.monotonic() < deadline, f"pan stayed at {sim.ptz_position(1)[0]}, not {pan}"
        time.sleep(0.05)


def test_operator_pans_inside_and_needs_a_reason_outside(
    page: Any, ptz_server: tuple[LiveServer, CamsimHandle]
) -> None:
    server, sim = ptz_server
    login(page, server, "operator")
    page.goto(f"{server.url}/wall")
    page.get_by_test_id("grid-4").click()
    page.get_by_test_id("tile-0").click()
    page.get_by_test_id(f"tree-camera-{CODE}").click()
    page.get_by_test_id("tile-0").dblclick()
    panel = page.get_by_test_id("ptz-panel")
    panel.wait_for()
    page.wait_for_function("document.querySelector('[data-testid=ptz-presets]').options.length > 0")
    for step in (1, 2):  # 0.1, 0.2: inside the area (pan -0.25..0.25)
        page.get_by_test_id("ptz-right").click()
        _wait_pan(sim, 0.1 * step)
    page.wait_for_function(
        "document.querySelector('[data-testid=ptz-state]').dataset.inside === 'true'"
    )
    page.get_by_test_id("ptz-right").click()  # 0.3: outside
    dialog = page.get_by_test_id("ptz-reason-dialog")
    dialog.wait_for(state="visible")
    assert "범위 밖" in page.get_by_test_id("ptz-reason-message").inner_text()
    assert sim.ptz_position(1)[0] == pytest.approx(0.2)  # nothing moved yet
    page.get_by_test_id("ptz-reason-kind").select_option("crime_prevention")
    page.get_by_test_id("ptz-reason-text").fill("112 신고: 차량 절도 용의자 도주 방향 확인")
    page.get_by_test_id("ptz-reason-submit").click()
    _wait_pan(sim, 0.3)
    page.wait_for_function(
        "document.querySelector('[data-testid=ptz-state]').dataset.inside === 'false'"
    )
    # Back to the purpose view through its preset: no reason needed.
    page.get_by_test_id("ptz-preset-go").click()
    _wait_pan(sim, 0.0)
    with server.ctx.sessions() as session:
        rows = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.event_type.in_(["ptz.moved", "ptz.refused"]))
            .order_by(AuditEntry.seq)
        ).all()
        seen = [(r.event_type, json.loads(r.details)) for r in rows]
    assert [(kind, d.get("inside"), d.get("why")) for kind, d in seen] == [
        ("ptz.moved", True, None),
        ("ptz.moved", True, None),
        ("ptz.refused", None, "outside_area"),
        ("ptz.moved", False, None),
        ("ptz.moved", True, None),
    ]
    assert seen[3][1]["reason"] == "crime_prevention"
    assert seen[3][1]["reason_text"] == "112 신고: 차량 절도 용의자 도주 방향 확인"
    assert seen[4][1]["preset"] == "중심"
