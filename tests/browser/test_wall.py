"""The video wall in Chromium: live video from the recorder's own camera pull.

Real parts end to end: the camera simulator (RTSP), `gwanje record`'s supervisor and
capture workers (spawned processes) recording main and sub streams with their live taps,
the web server (uvicorn) relaying fMP4 over WebSockets, Chromium's Media Source
Extensions decoding H.264. Nothing is mocked.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live import ARTIFACTS, LiveServer
from test_foundation_flows import login

from gwanje.clock import SystemClock
from gwanje.context import Gwanje
from gwanje.db.engine import make_engine, make_session_factory
from gwanje.media.camsim.clips import load_or_generate
from gwanje.media.camsim.harness import run_in_thread
from gwanje.media.camsim.profile import TEST
from gwanje.media.camsim.server import ServerConfig
from gwanje.media.config import RecordingSettings
from gwanje.media.recorder.supervisor import Recorder
from gwanje.settings import Mode, Settings

CAMERAS = 24
DOCS_IMG = Path(__file__).parents[2] / "docs" / "img"


@pytest.fixture(scope="module")
def wall_server(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[LiveServer]:
    from gwanje.cli.demo import seed_demo

    clips = load_or_generate(tmp_path_factory.mktemp("wall-clips"), TEST)
    sim = run_in_thread(clips, ServerConfig(cameras=CAMERAS))
    data_dir = tmp_path_factory.mktemp("wall")
    shutil.copyfile(sqlite_template, data_dir / "gwanje.db")
    recording = RecordingSettings(streams=["main", "sub"], segment_seconds=10,
                                  min_free_bytes=0)  # fmt: skip
    settings = Settings(mode=Mode.DEMO, data_dir=data_dir, recording=recording)
    engine = make_engine(settings.db_url)
    ctx = Gwanje(settings, engine, make_session_factory(engine), SystemClock())
    server = LiveServer(ctx, seed_demo(ctx, cameras=CAMERAS, rtsp_port=sim.port))
    recorder = Recorder(ctx)
    recorder.start()
    server.start()
    yield server
    server.stop()
    recorder.stop()
    sim.stop()
    ctx.close()


def _open_wall(page: Any, server: LiveServer, username: str = "operator") -> list[str]:
    login(page, server, username)
    page.goto(f"{server.url}/wall")
    page.wait_for_selector("[data-testid^=tree-camera-]")
    return [
        str(el.get_attribute("data-testid")).removeprefix("tree-camera-")
        for el in page.query_selector_all("[data-testid^=tree-camera-]")
    ]


def _frames(page: Any, tile: int) -> int:
    value = page.get_attribute(f"[data-testid=tile-video-{tile}]", "data-frames")
    return int(value or 0)


def _wait_playing(page: Any, tiles: range) -> None:
    """Every tile's video presents frames, and keeps presenting them."""
    condition = " && ".join(
        f"Number(document.querySelector('[data-testid=tile-video-{i}]')?.dataset.frames||0) > 10"
        for i in tiles
    )
    page.wait_for_function(condition, timeout=90_000)


def test_sixteen_tiles_play_live_video(page: Any, wall_server: LiveServer) -> None:
    codes = _open_wall(page, wall_server)
    assert len(codes) >= 16
    page.get_by_test_id("grid-16").click()
    for n, code in enumerate(codes[:16]):
        page.get_by_test_id(f"tile-{n}").click()
        page.get_by_test_id(f"tree-camera-{code}").click()
    _wait_playing(page, range(16))
    before = [_frames(page, i) for i in range(16)]
    page.wait_for_timeout(2000)
    after = [_frames(page, i) for i in range(16)]
    assert all(b > a for a, b in zip(before, after, strict=True)), (before, after)
    assert page.get_attribute("[data-testid=tile-video-0]", "data-stream") == "sub"
    assert page.get_attribute("[data-testid=tile-video-0]", "data-width") == "160"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "wall-16.png"))
    if os.environ.get("GWANJE_UPDATE_SCREENSHOTS"):  # the README's picture, on request
        shutil.copyfile(ARTIFACTS / "wall-16.png", DOCS_IMG / "wall-16.png")


def test_an_enlarged_tile_switches_to_the_main_stream(page: Any, wall_server: LiveServer) -> None:
    codes = _open_wall(page, wall_server)
    page.get_by_test_id("grid-4").click()
    page.get_by_test_id("tile-0").click()
    page.get_by_test_id(f"tree-camera-{codes[0]}").click()
    _wait_playing(page, range(1))
    page.get_by_test_id("tile-0").dblclick()
    video = "[data-testid=tile-video-0]"
    page.wait_for_function(
        f"document.querySelector('{video}').dataset.stream === 'main'"
        f" && Number(document.querySelector('{video}').dataset.frames||0) > 10"
    )
    assert page.get_attribute(video, "data-width") == "320"  # the main stream's size
    page.get_by_test_id("tile-0").dblclick()
    page.wait_for_function(f"document.querySelector('{video}').dataset.stream === 'sub'")


def test_a_scoped_manager_sees_only_their_cameras_and_is_refused_others(
    page: Any, wall_server: LiveServer
) -> None:
    everyone = _open_wall(page, wall_server, "operator")
    page.context.clear_cookies()
    mine = _open_wall(page, wall_server, "traffic")  # operations manager of TRAFFIC only
    assert mine
    assert set(mine) < set(everyone)
    with wall_server.ctx.sessions() as session:
        from sqlalchemy import select

        from gwanje.registry.models import Camera

        other = sorted(set(everyone) - set(mine))[0]
        hidden = session.scalar(select(Camera.id).where(Camera.code == other))
    code = page.evaluate(
        """(id) => new Promise((resolve) => {
            const ws = new WebSocket(`ws://${location.host}/live/${id}/sub`);
            ws.onclose = (ev) => resolve(ev.code);
        })""",
        hidden,
    )
    assert code in (1006, 1008)  # refused at the handshake (Chromium may report 1006)
    assert page.get_by_test_id(f"tree-camera-{other}").count() == 0


def test_layouts_load_and_privacy_masks_cover_the_tile(page: Any, wall_server: LiveServer) -> None:
    _open_wall(page, wall_server)
    masked_code = page.evaluate(
        """async () => (await (await fetch('/api/wall/cameras')).json())
            .cameras.find((c) => c.masks.length).code"""
    )
    page.get_by_test_id("grid-9").click()
    page.get_by_test_id("tile-4").click()
    page.get_by_test_id(f"tree-camera-{masked_code}").click()
    page.get_by_test_id("layout-name").fill("아침 점검")
    page.get_by_test_id("layout-save").click()
    page.wait_for_function(
        "document.querySelector('[data-testid=layout-select]').options.length > 0"
    )
    page.get_by_test_id("grid-1").click()
    assert page.locator(".wall .tile").count() == 1
    page.get_by_test_id("layout-load").click()
    assert page.locator(".wall .tile").count() == 9
    tile = page.get_by_test_id("tile-4")
    assert tile.get_attribute("data-camera") == masked_code
    # The registry's mask (ORD-26.1) is drawn over the live picture of that camera.
    assert tile.locator("svg[data-testid=privacy-masks] polygon").count() >= 1
    _wait_playing(page, range(4, 5))


def test_the_map_leads_to_the_camera_and_its_live_view(page: Any, wall_server: LiveServer) -> None:
    codes = _open_wall(page, wall_server)
    page.goto(f"{wall_server.url}/cameras/map")
    page.get_by_test_id(f"map-camera-{codes[1]}").click()  # the map opens the camera …
    page.get_by_test_id("camera-live").click()  # … and its page opens it on the wall
    page.wait_for_selector(f".tile[data-camera='{codes[1]}'] video")
    tile = page.locator(f".tile[data-camera='{codes[1]}']").get_attribute("data-testid")
    _wait_playing(
        page, range(int(str(tile).removeprefix("tile-")), int(str(tile).removeprefix("tile-")) + 1)
    )
