"""The operator console's API and live WebSocket (ORD-16, 26.1, 30.1; PIPA-3).

The live stream test runs a real recorder capture of the camera simulator with a live
tap, in a background thread, and reads the WebSocket through the ASGI app.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from registry.helpers import audit_rows, departments, make_camera
from retention.retention_kit import person
from starlette.websockets import WebSocketDisconnect
from webclient import client_as, principal_for

from gwanje.auth.permissions import Role
from gwanje.context import Gwanje
from gwanje.media.camsim.harness import CamsimHandle
from gwanje.media.live.paths import ensure_live_dir, live_dir, socket_path
from gwanje.media.live.tap import LiveTap
from gwanje.media.recorder.jobspec import CaptureJob, CaptureParams
from gwanje.media.recorder.messages import StreamKey
from gwanje.media.recorder.native_capture import NativeCapture
from gwanje.registry.models import CameraStatus
from gwanje.web.app import create_app

MASK = [[[0.1, 0.1], [0.4, 0.1], [0.4, 0.3]]]


@pytest.fixture
def web(ctx: Gwanje) -> FastAPI:
    return create_app(ctx)


@pytest.fixture
def city(ctx: Gwanje) -> dict[str, int]:
    """Two linked cameras of SAFETY (one masked), one of TRAFFIC, one SAFETY planned."""
    d = departments(ctx)
    return {
        "safe1": make_camera(ctx, "YS-S1", d["SAFETY"], CameraStatus.LINKED,
                             privacy_masks=MASK),
        "safe2": make_camera(ctx, "YS-S2", d["SAFETY"], CameraStatus.LINKED),
        "traffic": make_camera(ctx, "YS-T1", d["TRAFFIC"], CameraStatus.LINKED),
        "planned": make_camera(ctx, "YS-P1", d["SAFETY"], CameraStatus.PLANNED),
        "safety_dept": d["SAFETY"],
    }  # fmt: skip


def _operator(ctx: Gwanje, username: str = "op1", scope: frozenset[int] | None = None) -> object:
    return principal_for(
        Role.OPERATOR, person_id=person(ctx, username), username=username, department_scope=scope
    )


def _refused(client: TestClient, path: str, headers: dict[str, str] | None = None) -> int:
    """The close code of a WebSocket handshake the server refuses."""
    with pytest.raises(WebSocketDisconnect) as refused:  # noqa: SIM117 (the error is the point)
        with client.websocket_connect(path, headers=headers or {}) as ws:
            ws.receive_text()
    return refused.value.code


def test_the_wall_lists_only_linked_cameras_in_the_viewers_scope_with_masks(
    web: FastAPI, ctx: Gwanje, city: dict[str, int]
) -> None:
    everyone = client_as(web, _operator(ctx)).get("/api/wall/cameras").json()["cameras"]
    assert [c["code"] for c in everyone] == ["YS-S1", "YS-S2", "YS-T1"]  # not the planned one
    masked = next(c for c in everyone if c["code"] == "YS-S1")
    assert masked["masks"] == MASK
    assert masked["health"] == "unknown"
    scoped = _operator(ctx, "op2", frozenset({city["safety_dept"]}))
    mine = client_as(web, scoped).get("/api/wall/cameras").json()["cameras"]  # type: ignore[arg-type]
    assert [c["code"] for c in mine] == ["YS-S1", "YS-S2"]


def test_roles_without_live_view_are_refused_the_wall(web: FastAPI, ctx: Gwanje) -> None:
    auditor = principal_for(Role.AUDITOR)
    assert client_as(web, auditor).get("/api/wall/cameras").status_code == 403
    assert client_as(web, auditor).get("/wall").status_code == 403
    page = client_as(web, principal_for(Role.OPERATOR)).get("/wall")
    assert page.status_code == 200
    assert 'data-testid="wall"' in page.text


def test_a_stream_without_a_recording_worker_reports_offline(
    web: FastAPI, ctx: Gwanje, city: dict[str, int]
) -> None:
    client = client_as(web, _operator(ctx))  # type: ignore[arg-type]
    with client.websocket_connect(f"/live/{city['safe2']}/sub") as ws:
        status = json.loads(ws.receive_text())
    assert status == {"type": "status", "state": "offline", "detail": ""}


def test_live_view_outside_the_viewers_scope_is_refused_and_audited(
    web: FastAPI, ctx: Gwanje, city: dict[str, int]
) -> None:
    scoped = _operator(ctx, "op3", frozenset({city["safety_dept"]}))
    assert _refused(client_as(web, scoped), f"/live/{city['traffic']}/main") == 1008  # type: ignore[arg-type]
    denied = audit_rows(ctx, "auth.permission_denied")
    assert denied
    assert json.loads(denied[-1].details)["path"] == f"/live/{city['traffic']}/main"
    assert not audit_rows(ctx, "video.live_started")


def test_a_handshake_from_another_site_is_refused(
    web: FastAPI, ctx: Gwanje, city: dict[str, int]
) -> None:
    client = client_as(web, _operator(ctx))  # type: ignore[arg-type]
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect(
            f"/live/{city['safe1']}/main", headers={"Origin": "http://evil.example"}
        ) as ws,
    ):
        ws.receive_text()
    assert refused.value.code == 1008


def test_an_unknown_stream_name_is_refused(web: FastAPI, ctx: Gwanje, city: dict[str, int]) -> None:
    client = client_as(web, _operator(ctx))  # type: ignore[arg-type]
    assert _refused(client, f"/live/{city['safe1']}/audio") == 1008


class _BackgroundCapture:
    """A native capture with a live tap on its own thread and loop (the test's thread is
    busy being the browser side)."""

    def __init__(self, data_dir: Path, camera_id: int, url: str) -> None:
        directory = ensure_live_dir(live_dir(data_dir))
        self.path = socket_path(directory, camera_id, "sub")
        self.root = data_dir / "video-test"
        self.root.mkdir(exist_ok=True)
        self.tap = LiveTap(self.path, always_cache=True)
        self.job = CaptureJob(StreamKey(camera_id, "sub"), url)
        self.loop = asyncio.new_event_loop()
        self.stop_event: asyncio.Event | None = None
        self.thread = threading.Thread(target=self._main, daemon=True)

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        pool = ThreadPoolExecutor(2)
        capture = NativeCapture(self.job, CaptureParams(segment_seconds=5), self.root,
                                lambda _r: None, pool, live=self.tap)  # fmt: skip
        self.stop_event = asyncio.Event()
        self.loop.run_until_complete(capture.run(self.stop_event))
        pool.shutdown()

    def __enter__(self) -> _BackgroundCapture:
        self.thread.start()
        for _ in range(400):
            if self.path.exists():
                return self
            threading.Event().wait(0.05)
        raise AssertionError("the capture's live socket never appeared")

    def __exit__(self, *exc: object) -> None:
        if self.stop_event is not None:
            self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(30)


@pytest.fixture
def live_capture(
    ctx: Gwanje, city: dict[str, int], camsim: CamsimHandle
) -> Iterator[_BackgroundCapture]:
    with _BackgroundCapture(ctx.settings.data_dir, city["safe1"], camsim.url(1, "sub")) as cap:
        yield cap


def test_live_view_streams_mse_fragments_and_is_audited_start_and_end(
    web: FastAPI, ctx: Gwanje, city: dict[str, int], live_capture: _BackgroundCapture
) -> None:
    client = client_as(web, _operator(ctx))  # type: ignore[arg-type]
    fragments: list[bytes] = []
    with client.websocket_connect(f"/live/{city['safe1']}/sub") as ws:
        texts = []
        while True:
            message = ws.receive()
            if message.get("text") is not None:
                texts.append(json.loads(message["text"]))
                continue
            init_segment = message["bytes"]
            break
        base = json.loads(ws.receive_text())
        while len(fragments) < 30:
            fragments.append(ws.receive_bytes())
    assert texts[-1]["type"] == "init"
    assert texts[-1]["mime"].startswith('video/mp4; codecs="avc1.')
    assert (texts[-1]["width"], texts[-1]["height"]) == (160, 90)
    assert init_segment[4:8] == b"ftyp"
    assert b"moov" in init_segment
    assert all(f[4:8] == b"moof" for f in fragments)
    assert base["type"] == "base"
    assert isinstance(base["rtp"], int)  # media time 0 maps back to the camera's clock
    started = audit_rows(ctx, "video.live_started")
    assert len(started) == 1
    assert started[0].camera_ids == str(city["safe1"])
    for _ in range(100):  # the end entry is written as the socket closes
        ended = audit_rows(ctx, "video.live_ended")
        if ended:
            break
        threading.Event().wait(0.05)
    assert len(ended) == 1
    assert json.loads(ended[0].details)["view_id"] == json.loads(started[0].details)["view_id"]
    assert json.loads(ended[0].details)["frames"] >= 30
    assert ended[0].range_start is not None
    assert ended[0].range_end is not None


# ---- layouts ------------------------------------------------------------------------------


def test_layouts_are_saved_replaced_listed_and_deleted_per_operator(
    web: FastAPI, ctx: Gwanje, city: dict[str, int]
) -> None:
    me = client_as(web, _operator(ctx, "lay1"))  # type: ignore[arg-type]
    other = client_as(web, _operator(ctx, "lay2"))  # type: ignore[arg-type]
    body = {"name": "야간 순찰", "grid": 4, "tiles": [city["safe1"], None, city["traffic"]]}
    saved = me.post("/api/wall/layouts", json=body)
    assert saved.status_code == 200, saved.text
    again = me.post("/api/wall/layouts", json={**body, "grid": 9, "tiles": [city["safe2"]]})
    assert again.json()["id"] == saved.json()["id"]  # same name: replaced, not duplicated
    listed = me.get("/api/wall/layouts").json()["layouts"]
    assert listed == [{"id": saved.json()["id"], "name": "야간 순찰", "grid": 9,
                       "tiles": [city["safe2"]]}]  # fmt: skip
    assert other.get("/api/wall/layouts").json()["layouts"] == []
    assert other.delete(f"/api/wall/layouts/{saved.json()['id']}").status_code == 404
    assert me.delete(f"/api/wall/layouts/{saved.json()['id']}").status_code == 204
    assert me.get("/api/wall/layouts").json()["layouts"] == []
    assert [json.loads(r.details)["name"] for r in audit_rows(ctx, "console.layout_saved")] == [
        "야간 순찰", "야간 순찰",
    ]  # fmt: skip
    assert len(audit_rows(ctx, "console.layout_deleted")) == 1


def test_a_layout_cannot_carry_a_camera_the_operator_may_not_watch(
    web: FastAPI, ctx: Gwanje, city: dict[str, int]
) -> None:
    scoped = client_as(web, _operator(ctx, "lay3", frozenset({city["safety_dept"]})))  # type: ignore[arg-type]
    refused = scoped.post(
        "/api/wall/layouts", json={"name": "x", "grid": 4, "tiles": [city["traffic"]]}
    )
    assert refused.status_code == 403
    assert scoped.get("/api/wall/layouts").json()["layouts"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"name": "", "grid": 4, "tiles": []},
        {"name": "x", "grid": 5, "tiles": []},
        {"name": "x", "grid": 1, "tiles": [None, None]},
        {"name": "x", "grid": 4, "tiles": ["a"]},
        {"name": "x", "grid": 4, "tiles": [True]},
        ["not", "an", "object"],
    ],
)
def test_bad_layouts_get_a_clear_error(
    web: FastAPI, ctx: Gwanje, city: dict[str, int], body: object
) -> None:
    client = client_as(web, _operator(ctx))  # type: ignore[arg-type]
    response = client.post("/api/wall/layouts", json=body)
    assert response.status_code == 422
    assert response.json()["error"] == "console.error.layout_invalid"


def test_a_body_that_is_not_json_gets_a_clear_error(
    web: FastAPI, ctx: Gwanje, city: dict[str, int]
) -> None:
    client = client_as(web, _operator(ctx))  # type: ignore[arg-type]
    response = client.post(
        "/api/wall/layouts", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422


def test_tiles_use_sub_streams_only_when_the_recorder_pulls_them(
    ctx: Gwanje, city: dict[str, int]
) -> None:
    make_camera(ctx, "YS-SUB", departments(ctx)["SAFETY"], CameraStatus.LINKED,
                sub_stream_url="rtsp://127.0.0.1:8554/cam9/sub")  # fmt: skip
    operator = _operator(ctx, "subs")

    def has_sub() -> bool:
        cameras = client_as(create_app(ctx), operator).get("/api/wall/cameras").json()  # type: ignore[arg-type]
        return next(c["has_sub"] for c in cameras["cameras"] if c["code"] == "YS-SUB")

    assert ctx.settings.recording.streams == ["main"]
    assert has_sub() is False  # a sub stream nobody pulls would leave the tile offline
    ctx.settings.recording.streams = ["main", "sub"]
    assert has_sub() is True
