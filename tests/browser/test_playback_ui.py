"""Playback in Chromium (ORD-30.2): refused without a grant with the reason and the way to
get one; with a grant the stored video plays from the segment index, a click on the
timeline seeks to that time, and speed changes apply.

Real parts: camera simulator, recorder (spawned workers, 2 s segments), web server,
Chromium's MSE. The grant is made through the governance service as an approver would.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from live import LiveServer
from sqlalchemy import select
from test_foundation_flows import login

from gwanje.clock import SystemClock
from gwanje.context import Gwanje
from gwanje.db.engine import make_engine, make_session_factory
from gwanje.governance.requests import ItemInput, RequestInput, Requests
from gwanje.media.camsim.clips import load_or_generate
from gwanje.media.camsim.harness import run_in_thread
from gwanje.media.camsim.profile import TEST
from gwanje.media.camsim.server import ServerConfig
from gwanje.media.config import RecordingSettings
from gwanje.media.models import Segment
from gwanje.media.recorder.supervisor import Recorder
from gwanje.people.models import Person
from gwanje.registry.models import Camera
from gwanje.registry.service import system_principal
from gwanje.settings import Mode, Settings


@pytest.fixture(scope="module")
def recorded_server(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[dict[str, Any]]:
    from gwanje.cli.demo import seed_demo

    clips = load_or_generate(tmp_path_factory.mktemp("pb-clips"), TEST)
    sim = run_in_thread(clips, ServerConfig(cameras=4))
    data_dir = tmp_path_factory.mktemp("pb")
    shutil.copyfile(sqlite_template, data_dir / "gwanje.db")
    recording = RecordingSettings(segment_seconds=2, min_free_bytes=0, live=False)
    settings = Settings(mode=Mode.DEMO, data_dir=data_dir, recording=recording)
    engine = make_engine(settings.db_url)
    ctx = Gwanje(settings, engine, make_session_factory(engine), SystemClock())
    server = LiveServer(ctx, seed_demo(ctx, cameras=4, rtsp_port=sim.port))
    recorder = Recorder(ctx)
    recorder.start()
    with ctx.sessions() as session:
        granted, other, third = session.scalars(
            select(Camera).where(Camera.status == "linked").order_by(Camera.id)
        ).all()[:3]
    try:
        deadline = time.monotonic() + 90
        while (
            time.monotonic() < deadline
            and min(_segments(ctx, granted.id), _segments(ctx, third.id)) < 5
        ):
            time.sleep(0.3)
    finally:
        recorder.stop()
    with ctx.sessions() as session:
        spans = session.execute(
            select(Segment.start_at, Segment.end_at)
            .where(Segment.camera_id == granted.id)
            .order_by(Segment.start_at)
        ).all()
    start, end = spans[0][0], spans[-1][1]
    assert end is not None
    _grant_operator(ctx, granted.code, start, end)
    _grant_operator(ctx, third.code, start, end)
    server.start()
    yield {"server": server, "granted": granted, "other": other, "third": third,
           "start": start, "end": end}  # fmt: skip
    server.stop()
    sim.stop()
    ctx.close()


def _segments(ctx: Gwanje, camera_id: int) -> int:
    with ctx.sessions() as session:
        return len(session.scalars(select(Segment.id).where(Segment.camera_id == camera_id)).all())


def _grant_operator(ctx: Gwanje, code: str, start: datetime, end: datetime) -> None:
    """A police request for the camera, approved for the demo's operator."""
    data = RequestInput(
        requester_kind="police", requester_org="여수경찰서", requester_name="강경찰",
        kind="view", legal_basis="investigation", purpose="폭행 사건 확인",
        letter_no="형사-31", crime_type="폭행", items=(ItemInput(code, start, end),),
    )  # fmt: skip
    principal = system_principal("test")
    with ctx.transaction() as session:
        request_id = Requests(session, ctx.settings, ctx.clock, principal).submit(data).id
    with ctx.transaction() as session:
        approver = session.scalar(select(Person).where(Person.username == "approver"))
        assert approver is not None
    from dataclasses import replace

    as_approver = replace(principal, person_id=approver.id, username="approver")
    with ctx.transaction() as session:
        Requests(session, ctx.settings, ctx.clock, as_approver).approve(request_id, ["operator"])


def _open(page: Any, rec: dict[str, Any], *cameras: Camera) -> None:
    server = rec["server"]
    login(page, server, "operator")
    ids = ",".join(str(c.id) for c in cameras)
    q = (f"camera={ids}&start={quote(rec['start'].isoformat())}"
         f"&end={quote(rec['end'].isoformat())}")  # fmt: skip
    page.goto(f"{server.url}/playback?{q}")
    page.get_by_test_id("pb-show").click()


def test_playback_without_a_grant_says_why_and_how(
    page: Any, recorded_server: dict[str, Any]
) -> None:
    _open(page, recorded_server, recorded_server["other"])
    page.wait_for_selector("[data-testid=pb-recorded]")  # the timeline shows what exists
    page.get_by_test_id("pb-play").click()
    message = page.get_by_test_id("pb-message")
    message.wait_for(state="visible")
    page.wait_for_function("document.querySelector('[data-testid=pb-message]').textContent")
    assert "열람 요청" in message.inner_text()
    assert page.get_attribute("[data-testid=pb-video]", "data-state") == "refused"


def test_granted_playback_plays_and_a_timeline_click_seeks_there(
    page: Any, recorded_server: dict[str, Any]
) -> None:
    rec = recorded_server
    _open(page, rec, rec["granted"])
    page.wait_for_selector("[data-testid=pb-grant]")
    page.get_by_test_id("pb-play").click()
    page.wait_for_function(
        "document.querySelector('[data-testid=pb-video]').dataset.state === 'playing'"
        " && document.querySelector('[data-testid=pb-video]').currentTime > 0.5"
    )
    # Seek: click 75 % along the timeline; the position must land near that wall time.
    box = page.get_by_test_id("pb-timeline").bounding_box()
    page.mouse.click(box["x"] + 0.75 * box["width"], box["y"] + box["height"] / 2)
    target = rec["start"] + 0.75 * (rec["end"] - rec["start"])
    page.wait_for_function(
        "(t) => Math.abs(new Date(document.querySelector('[data-testid=pb-video]')"
        ".dataset.wall) - new Date(t)) < 1500",
        arg=target.isoformat(),
    )
    page.get_by_test_id("pb-speed-4").click()
    assert page.evaluate("document.querySelector('[data-testid=pb-video]').playbackRate") == 4
    wall = datetime.fromisoformat(
        page.get_attribute("[data-testid=pb-video]", "data-wall").replace("Z", "+00:00")
    )
    assert rec["start"] - timedelta(seconds=1) <= wall <= rec["end"] + timedelta(seconds=1)


def test_two_cameras_play_in_step_and_one_without_a_grant_says_why(
    page: Any, recorded_server: dict[str, Any]
) -> None:
    rec = recorded_server
    _open(page, rec, rec["granted"], rec["third"], rec["other"])
    page.wait_for_selector("[data-testid=pb-grant-1]")
    page.get_by_test_id("pb-play").click()
    both = (
        "['pb-video', 'pb-video-1'].every((id) => {"
        " const v = document.querySelector(`[data-testid=${id}]`);"
        " return v && v.dataset.state === 'playing' && v.currentTime > 1; })"
    )
    page.wait_for_function(both)
    page.wait_for_timeout(1000)
    walls = page.evaluate(
        "['pb-video', 'pb-video-1'].map((id) =>"
        " document.querySelector(`[data-testid=${id}]`).dataset.wall)"
    )
    first, second = (datetime.fromisoformat(w.replace("Z", "+00:00")) for w in walls)
    assert abs((first - second).total_seconds()) < 0.5  # in step: the same wall time
    refusal = page.get_by_test_id("pb-message-2")
    refusal.wait_for(state="visible")
    assert "열람 요청" in refusal.inner_text()
    if os.environ.get("GWANJE_UPDATE_SCREENSHOTS"):  # the README's picture, on request
        page.screenshot(path=str(Path(__file__).parents[2] / "docs" / "img" / "playback.png"))


def test_an_export_made_in_the_browser_verifies_and_fails_after_one_byte_changes(
    page: Any, recorded_server: dict[str, Any], tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from gwanje.cli.main import app as cli

    rec = recorded_server
    _open(page, rec, rec["granted"])
    page.wait_for_selector("[data-testid=pb-grant]")
    page.get_by_test_id("ex-make").click()
    link = page.get_by_test_id("ex-download")
    link.wait_for()
    with page.expect_download() as download:
        link.click()
    package = tmp_path / "evidence.zip"
    download.value.save_as(package)
    verified = CliRunner().invoke(cli, ["export", "verify", str(package)])
    assert verified.exit_code == 0, verified.output
    data = bytearray(package.read_bytes())
    data[len(data) // 3] ^= 0x01  # one byte in the middle of the video
    tampered = tmp_path / "tampered.zip"
    tampered.write_bytes(bytes(data))
    failed = CliRunner().invoke(cli, ["export", "verify", str(tampered)])
    assert failed.exit_code == 1
    assert "FAILED" in failed.output


def test_a_copy_is_delivered_reported_and_destroyed_and_its_holds_released(
    page: Any, recorded_server: dict[str, Any]
) -> None:
    """ORD-31.2, 33 in the browser: the package made on the playback page is handed over
    on the request page, the result reported, its destruction confirmed; then the
    request's legal holds are released and the ledger holds every step."""
    from gwanje.governance.models import EvidenceExport
    from gwanje.retention.models import LegalHold

    rec = recorded_server
    ctx = rec["server"].ctx
    _open(page, rec, rec["third"])
    page.wait_for_selector("[data-testid=pb-grant]")
    page.get_by_test_id("ex-make").click()
    page.get_by_test_id("ex-download").wait_for()
    with ctx.sessions() as session:
        export = session.scalars(
            select(EvidenceExport).where(EvidenceExport.camera_id == rec["third"].id)
        ).all()[-1]
    page.goto(f"{rec['server'].url}/requests/{export.request_id}")
    copy = page.get_by_test_id(f"copy-{export.id}")
    assert copy.get_by_test_id("copy-state").inner_text() == "인계 전"
    form = copy.get_by_test_id("deliver-form")
    form.locator("input[name=recipient]").fill("여수경찰서 형사과 강경찰")
    form.locator("select[name=method]").select_option("in_person")
    form.locator("input[name=receipt]").fill("수령증 2026-88")
    form.locator("input[name=recipient_rank]").fill("경위")
    form.get_by_test_id("recipient-pledge").check()
    form.get_by_test_id("deliver").click()
    copy = page.get_by_test_id(f"copy-{export.id}")
    assert "수령증 2026-88" in copy.get_by_test_id("copy-recipient").inner_text()
    copy.get_by_test_id("result-form").locator("input[name=result]").fill("피의자 검거")
    copy.get_by_test_id("arrest").select_option("yes")
    copy.get_by_test_id("report-result").click()
    copy = page.get_by_test_id(f"copy-{export.id}")
    assert copy.get_by_test_id("copy-result").inner_text() == "피의자 검거 · 검거 여부: 예"
    assert "보안서약서 징구: 예" in copy.get_by_test_id("copy-recipient").inner_text()
    with ctx.sessions() as session:
        held = session.scalars(select(LegalHold).where(LegalHold.camera_id == rec["third"].id))
        assert [h for h in held if h.released_at is None]  # not yet: no destruction
    copy.get_by_test_id("destroyed-form").locator("input[name=statement]").fill("파기 확인서 접수")
    copy.get_by_test_id("confirm-destroyed").click()
    copy = page.get_by_test_id(f"copy-{export.id}")
    assert copy.get_by_test_id("copy-state").inner_text() == "파기 확인"
    assert "파기 확인서 접수" in copy.get_by_test_id("copy-destroyed").inner_text()
    with ctx.sessions() as session:
        holds = session.scalars(
            select(LegalHold).where(LegalHold.camera_id == rec["third"].id)
        ).all()
    assert holds
    assert all(h.released_at is not None for h in holds)
    from registry.helpers import audit_rows

    for event in ("provision.delivered", "provision.result_reported", "provision.destroyed"):
        assert audit_rows(ctx, event), event
