"""A data subject's granted viewing answered with a masked clip (PIPA-4; issue 5): the
clip is cut from real recorded footage of a simulated camera in which two people walk
(a real face photograph), faces are detected and tracked, the officer reviews the plan,
the masked clip is made in a worker process and released; the detector, run on the
released file, finds no face. Officers' edits, a stale review, the state machine and
who may act are checked on the way."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from masking_kit import FEE_PER_MINUTE, faces_per_frame, recorded_people
from registry.helpers import audit_rows
from webclient import client_as, principal_for

from gwanje.auth.permissions import Role
from gwanje.governance.subjects.masking import job_dir
from gwanje.governance.subjects.masking_web import close_runner
from gwanje.governance.subjects.models import SubjectRequest
from gwanje.web.app import create_app


@pytest.fixture(scope="module")
def center(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    yield from recorded_people(tmp_path_factory.mktemp("masking-center"))


@pytest.fixture(scope="module")
def site(center: dict[str, Any]) -> Iterator[dict[str, Any]]:
    app = create_app(center["ctx"])
    yield {**center, "app": app, "client": client_as(app, center["officer"])}
    close_runner(app)


def wait_state(client: TestClient, url: str, *states: str, timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(url).json()
        if job["state"] in (*states, "failed"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"masking job at {url} did not reach {states}")


def start(site: dict[str, Any]) -> tuple[str, str, int]:
    client, request_id = site["client"], site["request_id"]
    item = client.get(f"/api/subjects/{request_id}").json()["items"][0]["id"]
    made = client.post(f"/subjects/{request_id}/masking", data={"item_id": str(item)},
                       follow_redirects=False)  # fmt: skip
    assert made.status_code == 303, made.text
    page = made.headers["location"]
    return page, page.replace("/subjects/", "/api/subjects/", 1), item


def test_a_granted_viewing_is_answered_with_a_clip_in_which_no_face_is_found(
    site: dict[str, Any],
) -> None:
    client, ctx, request_id = site["client"], site["ctx"], site["request_id"]
    page, api, item = start(site)
    again = client.post(f"/subjects/{request_id}/masking", data={"item_id": str(item)})
    assert again.status_code == 409  # one job per item at a time
    assert "마스킹 작업이 이미 있습니다" in again.text
    job = wait_state(client, api, "planned")
    assert job["state"] == "planned", job["error"]
    assert job["auto_tracks"] >= 2  # two people walk through the scene
    folder = job_dir(ctx.settings, job["id"])
    source_faces = faces_per_frame(folder / "source.mp4")
    assert sum(1 for n in source_faces if n) > len(source_faces) // 2  # faces are there
    assert client.get(f"{page}/frame/0.jpg").headers["content-type"] == "image/jpeg"
    stale = client.post(f"{page}/act", data={"action": "review", "digest": "0" * 64})
    assert stale.status_code == 409  # approving a plan other than the one on disk
    assert client.post(f"{page}/act", data={"action": "review", "digest": job["plan_digest"]},
                       follow_redirects=False).status_code == 303  # fmt: skip
    job = wait_state(client, api, "applied")
    assert job["state"] == "applied", job["error"]
    clip = client.get(f"{page}/clip.mp4")
    assert clip.status_code == 200
    released_file = folder / "released.mp4"
    released_file.write_bytes(clip.content)
    masked_faces = faces_per_frame(released_file, threshold=0.5)
    assert len(masked_faces) == len(source_faces)
    assert sum(masked_faces) == 0, masked_faces  # the acceptance check of issue 5
    assert hashlib.sha256(clip.content).hexdigest() == job["output_sha256"]
    assert job["cost_won"] == FEE_PER_MINUTE  # under a minute of video: one started minute
    assert client.post(f"{page}/act", data={"action": "release"},
                       follow_redirects=False).status_code == 303  # fmt: skip
    with ctx.sessions() as session:
        row = session.get(SubjectRequest, request_id)
        assert row is not None
        assert (row.state, row.release_package, row.release_sha256, row.masking_cost_won) == (
            "released", f"masking-{job['id']}", job["output_sha256"], FEE_PER_MINUTE)  # fmt: skip
    steps = [e.event_type for e in audit_rows(ctx) if e.event_type.startswith("subject_request.")]
    for step in ("masking_started", "masking_planned", "masking_reviewed", "masking_applied",
                 "masked_clip_downloaded", "released"):  # fmt: skip
        assert f"subject_request.{step}" in steps, step
    applied = json.loads(audit_rows(ctx, "subject_request.masking_applied")[-1].details)
    assert applied["plan_digest"] == job["plan_digest"]
    assert applied["output_sha256"] == job["output_sha256"]
    ledger = client.get("/ledgers/management").text  # ORD-33: a provision to the subject
    assert f"masking-{job['id']}" in ledger
    assert "정보주체 본인 요청" in ledger
    assert "마스킹 사본 교부" in ledger


def test_edits_are_checked_and_only_staff_in_scope_act(site: dict[str, Any]) -> None:
    from gwanje.governance.subjects.masking import MaskingJobs

    ctx, officer = site["ctx"], site["officer"]
    with ctx.sessions() as session:
        from sqlalchemy import select

        from gwanje.governance.subjects.models import MaskingJob

        job = session.scalars(select(MaskingJob).order_by(MaskingJob.id.desc())).first()
        assert job is not None
        job_id, request_id = job.id, job.request_id
    page = f"/subjects/{request_id}/masking/{job_id}"
    client = site["client"]
    released = client.post(f"{page}/act", data={"action": "remove", "track": "a1"})
    assert released.status_code == 409  # a released clip's plan cannot change
    operator = client_as(site["app"], principal_for(Role.OPERATOR, username="op"))
    assert operator.get(page).status_code == 403
    assert operator.get(f"{page}/clip.mp4").status_code == 403
    contractor = client_as(site["app"], principal_for(Role.CONTRACTOR, username="fix"))
    assert contractor.get(f"{page}/frame/0.jpg").status_code == 403
    with ctx.transaction() as session:
        jobs = MaskingJobs(session, ctx.settings, ctx.clock, officer)
        assert jobs.get(job_id).state == "released"
    bad = client.post(f"{page}/act", data={"action": "add", "frame": "x"})
    assert bad.status_code == 422
    assert "상자가 올바르지 않습니다" in bad.text
