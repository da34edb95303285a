"""A privacy officer answers a data subject's viewing with a masked clip, in Chromium
(PIPA-4, issue 5): start the masking from the request, wait for the faces to be found,
leave the subject's own face visible, review, wait for the masked clip, release it; the
request is then released, and the detector finds at most the one face left visible.

Real parts: camera simulator with two people walking (a real face photograph), the
recorder, the web server with its masking worker process, Chromium."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from governance.masking_kit import faces_per_frame, granted_viewing
from live import LiveServer
from sqlalchemy import select
from test_foundation_flows import login

from gwanje.clock import SystemClock
from gwanje.context import Gwanje
from gwanje.db.engine import make_engine, make_session_factory
from gwanje.governance.subjects.masking import job_dir
from gwanje.governance.subjects.models import MaskingJob, SubjectRequest
from gwanje.media.camsim.clips import load_or_generate
from gwanje.media.camsim.harness import run_in_thread
from gwanje.media.camsim.profile import FACES
from gwanje.media.camsim.server import ServerConfig
from gwanje.media.models import Segment
from gwanje.media.recorder.supervisor import Recorder
from gwanje.people.models import Person
from gwanje.registry.models import Camera
from gwanje.settings import Mode, Settings


@pytest.fixture(scope="module")
def center(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Any]:
    from webclient import principal_for

    from gwanje.auth.permissions import Role
    from gwanje.cli.demo import seed_demo

    clips = load_or_generate(tmp_path_factory.mktemp("faces-clips"), FACES)
    sim = run_in_thread(clips, ServerConfig(cameras=1))
    data_dir = tmp_path_factory.mktemp("masking-ui")
    shutil.copyfile(sqlite_template, data_dir / "gwanje.db")
    recording = {"segment_seconds": 2.0, "min_free_bytes": 0, "live": False}
    settings = Settings(mode=Mode.DEMO, data_dir=data_dir, recording=recording)
    engine = make_engine(settings.db_url)
    ctx = Gwanje(settings, engine, make_session_factory(engine), SystemClock())
    server = LiveServer(ctx, seed_demo(ctx, cameras=1, rtsp_port=sim.port))
    recorder = Recorder(ctx)
    recorder.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _count(ctx, Segment.id) < 3:
            time.sleep(0.2)
    finally:
        recorder.stop()
        sim.stop()
    with ctx.sessions() as session:
        spans = session.execute(select(Segment.start_at, Segment.end_at)
                                .order_by(Segment.start_at)).all()  # fmt: skip
        code = session.scalars(select(Camera.code).where(Camera.status == "linked")).first()
        officer_id = session.scalars(select(Person.id).where(Person.username == "officer")).one()
    officer = principal_for(Role.PRIVACY_OFFICER, person_id=officer_id, username="officer")
    request_id = granted_viewing(ctx, officer, str(code), spans[0][0], spans[-1][1])
    server.start()
    yield {"server": server, "ctx": ctx, "request_id": request_id}
    server.stop()
    ctx.close()


def _count(ctx: Gwanje, column: Any) -> int:
    with ctx.sessions() as session:
        return len(session.scalars(select(column)).all())


def _wait_state(page: Any, state: str) -> None:
    page.wait_for_selector(f"[data-testid=masking-state][data-state={state}]", timeout=180_000)


def test_an_officer_masks_reviews_and_releases_a_clip(page: Any, center: dict[str, Any]) -> None:
    server, ctx, request_id = center["server"], center["ctx"], center["request_id"]
    login(page, server, "officer")
    page.goto(f"{server.url}/subjects/{request_id}")
    page.locator("[data-testid^=masking-start-]").first.click()
    _wait_state(page, "planned")
    assert int(page.get_by_test_id("auto-tracks").inner_text()) >= 2
    assert page.locator("[data-testid^=frame-]").count() >= 2
    page.get_by_test_id("remove-a1").click()  # the subject's own face stays visible
    page.wait_for_selector("[data-testid=restore-a1]")
    page.get_by_test_id("review").click()
    _wait_state(page, "applied")
    sha = page.get_by_test_id("output-sha").inner_text()
    assert page.get_by_test_id("masking-cost").inner_text().startswith("0원")  # no fee set
    page.get_by_test_id("release-masked").click()
    _wait_state(page, "released")
    with ctx.sessions() as session:
        row = session.get(SubjectRequest, request_id)
        job = session.scalars(select(MaskingJob).where(MaskingJob.request_id == request_id)).one()
        assert row is not None
        assert (row.state, row.release_sha256) == ("released", sha)
    masked = faces_per_frame(job_dir(ctx.settings, job.id) / "masked.mp4")
    assert max(masked) <= 1  # only the face left visible on purpose can be found
    assert any(masked)  # ... and it is found: the removal took effect
    page.goto(f"{server.url}/subjects/{request_id}")
    assert page.get_by_test_id(f"masking-job-{job.item_id}").inner_text().endswith("제공됨")
