"""Incidents in Chromium (ORD-20.4): an operator sees something on a wall tile, presses its
red "!", opens the incident in Korean with the camera filled in; the police 112 room's
system receives the signed notification (a real webhook receiver), a person there opens
the acknowledgement link without logging in and confirms; the incident page shows the
delivery and the acknowledgement on its timeline.

Real parts: uvicorn with its notification dispatcher, the webhook receiver on loopback,
Chromium. No video is needed: the tile's "!" is there whether or not it plays."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live import LiveServer
from operations.receivers import HttpReceiver, http_receiver
from test_foundation_flows import login

from gwanje.clock import SystemClock
from gwanje.context import Gwanje
from gwanje.db.engine import make_engine, make_session_factory
from gwanje.operations.config import OperationsSettings
from gwanje.settings import Mode, Settings

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def center(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[LiveServer, HttpReceiver]]:
    from gwanje.cli.demo import seed_demo

    with http_receiver() as hook:
        data_dir = tmp_path_factory.mktemp("incidents-ui")
        shutil.copyfile(sqlite_template, data_dir / "gwanje.db")
        ops = OperationsSettings.model_validate({
            "recipients": [{"name": "police_112", "label": "여수경찰서 112 종합상황실",
                            "channels": [{"kind": "webhook", "url": hook.url,
                                          "secret": "ui-hook-secret"}]}],
            "routes": {"crime": ["police_112"]}, "dispatch_interval_s": 0.2,
        })  # fmt: skip
        settings = Settings(mode=Mode.DEMO, data_dir=data_dir, operations=ops)
        engine = make_engine(settings.db_url)
        ctx = Gwanje(settings, engine, make_session_factory(engine), SystemClock())
        server = LiveServer(ctx, seed_demo(ctx, cameras=4))
        server.start()
        yield server, hook
        server.stop()
        ctx.close()


def test_an_incident_from_a_wall_tile_reaches_police_and_is_acknowledged(
    page: Any, center: tuple[LiveServer, HttpReceiver]
) -> None:
    server, hook = center
    login(page, server, "operator")
    page.goto(f"{server.url}/wall")
    page.wait_for_selector("[data-testid^=tree-camera-]")
    code = str(page.query_selector("[data-testid^=tree-camera-]").get_attribute("data-testid"))
    code = code.removeprefix("tree-camera-")
    page.get_by_test_id("tile-0").click()
    page.get_by_test_id(f"tree-camera-{code}").click()
    with page.context.expect_page() as opened:
        page.get_by_test_id("tile-incident-0").click()
    form_page = opened.value
    form_page.wait_for_load_state()
    form = form_page.get_by_test_id("incident-form")
    assert form.locator("input[name=cameras]").input_value() == code  # from the tile
    form.locator("select[name=type]").select_option("crime")
    form.locator("input[name=title]").fill("시장 입구 폭행")
    form.locator("input[name=location]").fill("중앙시장 입구")
    form_page.get_by_test_id("incident-submit").click()
    form_page.wait_for_selector("[data-testid=notifications]")
    assert form_page.get_by_test_id("incident-state").inner_text() == "진행 중"
    deadline = time.monotonic() + 30
    while not hook.received and time.monotonic() < deadline:
        time.sleep(0.1)
    sent = hook.bodies()[0]
    assert sent["incident"]["title"] == "시장 입구 폭행"
    assert sent["incident"]["cameras"][0]["code"] == code
    # Someone in the 112 room opens the link from the message; no Gwanje account needed.
    police_room = page.context.browser.new_context(locale="ko-KR")
    room = police_room.new_page()
    room.goto(f"{server.url}/ack/{sent['id']}?token={sent['ack']['token']}")
    room.get_by_test_id("ack").click()
    assert "수신 확인이 기록되었습니다" in room.get_by_test_id("acked").inner_text()
    police_room.close()
    form_page.reload()
    state = form_page.get_by_test_id(f"notification-{sent['id']}").get_by_test_id(
        "notification-state")  # fmt: skip
    assert state.inner_text() == "수신 확인"
    timeline = form_page.get_by_test_id("timeline").inner_text()
    for step in ("등록", "통보 대기", "전송", "수신 확인"):
        assert step in timeline, step
