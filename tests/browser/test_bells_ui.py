"""Emergency bells and response manuals in Chromium, with real parts end to end: the
camera simulator (RTSP, whose streams carry an AAC audio track), the recorder, uvicorn,
a simulated bell gateway pressing over HTTP with its API token.

An operator's open wall pops the bell's camera up in a red alarm tile playing live video,
acknowledges it, answers and ends the call; the call log shows it; the operator ticks the
incident's manual steps; the general manager revises a manual (old versions kept). Answering
opens the call's voice: WebRTC between Chromium (its fake microphone) and the simulated
bell's aiortc peer, both ways, torn down by the end. After the call no file under the
data directory holds audio (ORD-10.2)."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live import CHROMIUM, CHROMIUM_ARGS, LiveServer
from test_foundation_flows import login

from gwanje.clock import SystemClock
from gwanje.context import Gwanje
from gwanje.db.engine import make_engine, make_session_factory
from gwanje.media.camsim.bell_voice import BellVoice
from gwanje.media.camsim.bells import BellGateway
from gwanje.media.camsim.clips import load_or_generate
from gwanje.media.camsim.harness import run_in_thread
from gwanje.media.camsim.profile import TEST
from gwanje.media.camsim.server import ServerConfig
from gwanje.media.config import RecordingSettings
from gwanje.media.probe import probe
from gwanje.media.recorder.supervisor import Recorder
from gwanje.operations.bells_config import BellSettings
from gwanje.settings import Mode, Settings

pytestmark = pytest.mark.browser
CAMERAS = 8  # the demo links bell YS-BELL-001 to the first camera
# Only this module's Chromium gets a fake microphone, granted without a prompt.
FAKE_MEDIA = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS + FAKE_MEDIA
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def bell_peer() -> Iterator[BellVoice]:
    peer = BellVoice().start()
    yield peer
    peer.stop()


@pytest.fixture(scope="module")
def bell_server(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, bell_peer: BellVoice
) -> Iterator[tuple[LiveServer, BellGateway]]:
    from operations.bell_kit import gateway

    from gwanje.cli.demo import seed_demo

    clips = load_or_generate(tmp_path_factory.mktemp("bell-clips"), TEST)
    sim = run_in_thread(clips, ServerConfig(cameras=CAMERAS))
    data_dir = tmp_path_factory.mktemp("bells")
    shutil.copyfile(sqlite_template, data_dir / "gwanje.db")
    recording = RecordingSettings(streams=["main", "sub"], segment_seconds=10,
                                  min_free_bytes=0)  # fmt: skip
    settings = Settings(mode=Mode.DEMO, data_dir=data_dir, recording=recording,
                        bells=BellSettings(mqtt=False, voice_url=bell_peer.url))  # fmt: skip
    engine = make_engine(settings.db_url)
    ctx = Gwanje(settings, engine, make_session_factory(engine), SystemClock())
    server = LiveServer(ctx, seed_demo(ctx, cameras=CAMERAS, rtsp_port=sim.port))
    _, token = gateway(ctx, "bell-gw-01")
    recorder = Recorder(ctx)
    recorder.start()
    server.start()
    yield server, BellGateway(token, base_url=server.url)
    server.stop()
    recorder.stop()
    sim.stop()
    ctx.close()


def test_the_general_manager_revises_a_manual_and_old_versions_stay(
    page: Any, bell_server: tuple[LiveServer, BellGateway]
) -> None:
    server, _ = bell_server
    login(page, server, "manager")
    page.goto(f"{server.url}/manuals/fire")
    page.get_by_test_id("manual-title").fill("비상벨·범죄 대응")
    page.get_by_test_id("manual-steps-field").fill("영상 확인\n112 신고\n순찰차 도착 확인")
    page.get_by_test_id("manual-note").fill("최초 제정")
    page.get_by_test_id("manual-save").click()
    page.get_by_test_id("manual-version-1").wait_for()
    page.get_by_test_id("manual-steps-field").fill(
        "영상 확인\n비상벨 통화\n112 신고\n순찰차 도착 확인"
    )
    page.get_by_test_id("manual-note").fill("비상벨 통화 단계 추가")
    page.get_by_test_id("manual-save").click()
    page.get_by_test_id("manual-version-2").wait_for()
    assert page.get_by_test_id("manual-steps").locator("li").count() == 4
    page.get_by_test_id("manual-version-1").click()
    assert page.get_by_test_id("manual-old").is_visible()
    assert page.get_by_test_id("manual-steps").locator("li").count() == 3


def _no_audio_under(data_dir: Path) -> int:
    """Every recorded file is video only and no file carries an AAC track; the count of
    MP4 files checked."""
    checked = 0
    for path in data_dir.rglob("*"):
        if not path.is_file():
            continue
        content = path.read_bytes()
        assert b"mp4a" not in content, path  # no AAC sample entry
        assert b"soun" not in content, path  # no sound handler
        if path.suffix == ".mp4":
            described = probe(path)
            assert described is None or set(described.stream_types) == {"video"}, path
            checked += 1
    return checked


def _crime_manual(server: LiveServer) -> None:
    """The manual a bell incident (type crime) is opened under, written as the general
    manager would (its own browser test revises the fire manual, independently)."""
    from webclient import principal_for

    from gwanje.auth.permissions import Role
    from gwanje.operations.manuals import ManualInput, current, revise

    ctx = server.ctx
    with ctx.transaction() as session:
        if current(session, "crime") is None:
            steps = ("영상 확인", "112 신고")
            data = ManualInput("crime", "비상벨·범죄 대응", steps, "최초 제정", 0)
            revise(session, ctx.clock, principal_for(Role.GENERAL_MANAGER, username="m"), data)


def test_a_bell_pops_its_camera_up_on_the_operators_wall(
    page: Any, bell_server: tuple[LiveServer, BellGateway]
) -> None:
    server, gw = bell_server
    _crime_manual(server)
    login(page, server, "operator")
    page.goto(f"{server.url}/wall")
    page.wait_for_selector("[data-testid^=tree-camera-]")
    page.wait_for_function("document.getElementById('alarm-stack').dataset.channel === 'open'")
    pressed = gw.press_http("YS-BELL-001")
    assert pressed.status_code == 202, pressed.text
    call_id, incident_id = pressed.json()["call_id"], pressed.json()["incident_id"]
    tile = page.get_by_test_id(f"alarm-{call_id}")
    tile.wait_for()
    assert "alarming" in str(tile.get_attribute("class"))
    assert tile.get_attribute("data-camera") == "YS-CAM-0001"
    page.wait_for_function(
        f"Number(document.querySelector('[data-testid=alarm-video-{call_id}]')"
        "?.dataset.frames || 0) > 10",
        timeout=90_000,
    )
    page.screenshot(path=str(Path(__file__).parents[2] / "test-artifacts" / "bell-alarm.png"))
    page.get_by_test_id(f"alarm-acknowledge-{call_id}").click()
    page.wait_for_function(
        f"!document.querySelector('[data-testid=alarm-{call_id}]').classList.contains('alarming')"
    )
    page.get_by_test_id(f"alarm-answer-{call_id}").click()
    page.wait_for_function(
        f"document.querySelector('[data-testid=alarm-{call_id}]').dataset.state === 'connected'"
    )
    page.get_by_test_id(f"alarm-end-{call_id}").click()
    tile.wait_for(state="detached")  # acknowledged and ended: the wall lets it go
    page.goto(f"{server.url}/bells/calls")
    row = page.get_by_test_id(f"bell-call-{call_id}")
    assert row.get_by_test_id("bell-call-state").inner_text() == "종료"
    assert "최관제" in row.inner_text()
    # The incident keeps the manual current when it was opened; the operator ticks a step.
    page.goto(f"{server.url}/incidents/{incident_id}/checklist")
    page.get_by_test_id("tick-1").click()
    page.get_by_test_id("step-1-done").wait_for()
    page.goto(f"{server.url}/incidents/{incident_id}")
    timeline = page.get_by_test_id("timeline").inner_text()
    assert "비상벨 알람" in timeline
    assert "비상벨 통화" in timeline
    # ORD-10.2: after a whole call session, nothing under the data directory holds audio
    # (the recorder has been recording every camera, audio track offered, all along).
    data_dir = server.ctx.settings.data_dir
    deadline = time.monotonic() + 60
    while not any(data_dir.glob("video/*/main/*/*.mp4")) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _no_audio_under(data_dir) > 0


INBOUND_BYTES = """async (id) => {
  const voice = document.querySelector(`[data-testid=alarm-${id}]`).voice;
  let bytes = 0;
  (await voice.pc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "audio") bytes += s.bytesReceived;
  });
  return bytes;
}"""
SECOND_OFFER = """async (id) => {
  const pc = new RTCPeerConnection();
  pc.addTransceiver("audio");
  await pc.setLocalDescription(await pc.createOffer());
  const csrf = document.querySelector(".wall-app").dataset.csrf;
  const response = await fetch(`/api/bell-calls/${id}/voice`, {method: "POST",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
    body: JSON.stringify({type: "offer", sdp: pc.localDescription.sdp})});
  pc.close();
  return response.status;
}"""


def test_an_operator_talks_with_the_bell_both_ways_until_the_end(
    page: Any, bell_server: tuple[LiveServer, BellGateway], bell_peer: BellVoice
) -> None:
    server, gw = bell_server
    login(page, server, "operator")
    page.goto(f"{server.url}/wall")
    page.wait_for_function("document.getElementById('alarm-stack').dataset.channel === 'open'")
    call_id = gw.press_http("YS-BELL-001").json()["call_id"]
    page.get_by_test_id(f"alarm-answer-{call_id}").click()
    voice = page.get_by_test_id(f"alarm-voice-{call_id}")
    page.wait_for_function(
        f"document.querySelector('[data-testid=alarm-voice-{call_id}]').dataset.voice"
        " === 'connected'", timeout=20_000,
    )  # fmt: skip
    assert "녹음" in voice.inner_text()  # the indicator says: live, not recorded
    first = page.evaluate(INBOUND_BYTES, call_id)
    time.sleep(2)
    second = page.evaluate(INBOUND_BYTES, call_id)
    assert second > first  # the bell's voice reaches the operator
    heard = bell_peer.run(bell_peer.figures(call_id))
    assert heard["packets_received"] > 50  # the operator's microphone reaches the bell
    assert heard["frames_received"] > 50
    page.get_by_test_id(f"alarm-end-{call_id}").click()
    started = time.monotonic()
    page.wait_for_function(
        f"document.querySelector('[data-testid=alarm-{call_id}]')?.voice?.pc"
        "?.connectionState !== 'connected'", timeout=2_000,
    )  # fmt: skip
    while bell_peer.run(bell_peer.figures(call_id))["live"]:
        assert time.monotonic() - started < 2, "the bell's leg outlived the end"
        time.sleep(0.05)
    final = bell_peer.run(bell_peer.figures(call_id))
    time.sleep(1.5)
    assert bell_peer.run(bell_peer.figures(call_id)) == final  # nothing more arrives
    page.get_by_test_id(f"alarm-{call_id}").wait_for(state="detached")
    # A second connection attempt after the end is refused (and audited).
    page.goto(f"{server.url}/wall")
    assert page.evaluate(SECOND_OFFER, call_id) == 409
    _media_facts_logged(server, call_id)
    data_dir = server.ctx.settings.data_dir
    deadline = time.monotonic() + 60
    while not any(data_dir.glob("video/*/main/*/*.mp4")) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _no_audio_under(data_dir) > 0


def _media_facts_logged(server: LiveServer, call_id: int) -> None:
    from registry.helpers import audit_rows

    ended = [json.loads(r.details) for r in audit_rows(server.ctx, "bell.call_ended")]
    (facts,) = [f for f in ended if f["call_id"] == call_id]
    assert facts["voice"] is True
    assert facts["codec"].startswith("opus/48000")
    assert facts["to_bell_packets"] > 50
    assert facts["from_bell_packets"] > 50
    refused = [json.loads(r.details) for r in audit_rows(server.ctx, "bell.voice_refused")]
    assert {"call_id": call_id, "reason": "bells.error.call_state"}.items() <= refused[-1].items()
