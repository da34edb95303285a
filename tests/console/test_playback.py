"""Playback of stored video (ORD-30.2): refused without a grant, served under one from the
segment index (no copies, no re-encoding), clipped to the grant, seeking to the GOP that
holds the asked time, every replay audited.

Real parts: the camera simulator, the recorder (spawned capture workers) writing real
segments, the web app, FFmpeg (PyAV) decoding what was served.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import av
import pytest
from playback_kit import grant
from registry.helpers import audit_rows
from webclient import client_as, principal_for

from gwanje.auth.permissions import Role
from gwanje.web.app import create_app


def _q(value: datetime) -> str:
    return value.isoformat().replace("+", "%2B")


def _decode(data: bytes) -> list[float]:
    """Presentation times (s) of every frame FFmpeg decodes from the served stream."""
    with av.open(io.BytesIO(data), format="mp4") as container:
        assert [s.type for s in container.streams] == ["video"]  # ORD-10.2
        return [float(f.time) for f in container.decode(video=0) if f.time is not None]


def test_playback_is_refused_without_a_grant_and_served_clipped_with_one(
    recorded: dict[str, Any],
) -> None:
    ctx, camera = recorded["ctx"], recorded["camera"]
    web = create_app(ctx)
    operator = client_as(web, principal_for(Role.OPERATOR, person_id=recorded["choi"],
                                            username="choi"))  # fmt: skip
    start, end = recorded["start"], recorded["end"]
    url = f"/api/playback/{camera}/main/video?start={_q(start)}&end={_q(end)}"
    refused = operator.get(url)
    assert refused.status_code == 403
    assert refused.json()["error"] == "console.error.no_grant"
    assert "열람 요청" in refused.json()["message"]  # says how to get one
    assert audit_rows(ctx, "video.playback_refused")[-1].camera_ids == str(camera)
    # A grant for the middle of the recording, naming the operator.
    g_start, g_end = start + timedelta(seconds=2), end - timedelta(seconds=2)
    grant(recorded, g_start, g_end, "choi")
    assert operator.get(url).status_code == 403  # asks beyond the grant: still refused
    inside = f"/api/playback/{camera}/main/video?start={_q(g_start)}&end={_q(g_end)}"
    served = operator.get(inside)
    assert served.status_code == 200, served.text
    assert served.headers["content-type"] == "video/mp4"
    assert served.headers["x-gwanje-codec"].startswith("avc1.")
    origin = datetime.fromisoformat(served.headers["x-gwanje-origin"])
    assert g_start <= origin < g_start + timedelta(seconds=2)  # never before the grant
    times = _decode(served.content)
    assert len(times) > 25
    assert times == sorted(times)  # one timeline across the segments served
    assert max(times) <= (g_end - origin).total_seconds() + 0.001  # never after it
    entry = audit_rows(ctx, "video.playback")[-1]
    details = json.loads(entry.details)
    assert details["grant_id"] == int(served.headers["x-gwanje-grant"])
    assert entry.range_start == g_start
    # Another person is not named by the grant.
    other = client_as(web, principal_for(Role.OPERATOR, person_id=recorded["kang"],
                                         username="kang"))  # fmt: skip
    assert other.get(inside).status_code == 403


def test_a_seek_starts_at_the_gop_holding_the_asked_time_and_the_timeline_shows_it(
    recorded: dict[str, Any],
) -> None:
    ctx, camera = recorded["ctx"], recorded["camera"]
    start, end = recorded["start"], recorded["end"]
    grant(recorded, start, end, "choi")
    web = create_app(ctx)
    operator = client_as(web, principal_for(Role.OPERATOR, person_id=recorded["choi"],
                                            username="choi"))  # fmt: skip
    seek = start + (end - start) / 2
    served = operator.get(f"/api/playback/{camera}/main/video?start={_q(seek)}&end={_q(end)}")
    assert served.status_code == 200
    origin = datetime.fromisoformat(served.headers["x-gwanje-origin"])
    assert origin <= seek < origin + timedelta(seconds=1.01)  # the clip's GOP is 1 s
    times = _decode(served.content)
    assert times[0] == pytest.approx(0.0, abs=0.05)  # media time 0 is the origin
    timeline = operator.get(
        f"/api/playback/{camera}/timeline?start={_q(start - timedelta(minutes=1))}"
        f"&end={_q(end + timedelta(minutes=1))}"
    ).json()
    (span,) = timeline["recorded"]  # contiguous segments merge into one span
    assert datetime.fromisoformat(span["start"]) == start
    assert datetime.fromisoformat(span["end"]) == end
    assert [g["id"] for g in timeline["grants"]]
    assert "online" in [e["state"] for e in timeline["events"]]  # the camera came up
    assert timeline["holds"][0]["ground"] == "investigation_material"


def test_bad_playback_parameters_get_clear_errors(recorded: dict[str, Any]) -> None:
    ctx, camera = recorded["ctx"], recorded["camera"]
    operator = client_as(create_app(ctx), principal_for(Role.OPERATOR, person_id=recorded["choi"],
                                                        username="choi"))  # fmt: skip
    now = datetime.now(UTC)
    naive = operator.get(f"/api/playback/{camera}/main/video?start=2026-11-20T10:00:00&end=x")
    assert naive.status_code == 422
    backwards = operator.get(
        f"/api/playback/{camera}/main/video?start={_q(now)}&end={_q(now - timedelta(hours=1))}"
    )
    assert backwards.status_code == 422
    assert operator.get(f"/api/playback/{camera}/audio/video?start={_q(now)}"
                        f"&end={_q(now)}").status_code == 422  # fmt: skip
    assert client_as(create_app(ctx), principal_for(Role.AUDITOR)).get(
        f"/api/playback/{camera}/timeline?start={_q(now)}&end={_q(now)}"
    ).status_code == 403  # fmt: skip
