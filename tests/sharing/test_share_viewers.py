"""Several web viewers of one share's camera: one watermarked encode serves them all, a
viewer who joins late starts at once, and the encode stops with its last viewer.
Real parts: camsim, recorder, uvicorn, WebSocket clients."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser.live import LiveServer
from share_live_kit import camera_id, live_center, make_share
from websockets.sync.client import ClientConnection, connect

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def center(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[LiveServer]:
    yield from live_center(tmp_path_factory.mktemp("share-viewers"), sqlite_template)


def _fragments(ws: ClientConnection, count: int) -> dict[str, Any]:
    """Read until `count` media fragments came after an init; the init's JSON."""
    init: dict[str, Any] | None = None
    seen = 0
    while seen < count:
        message = ws.recv(timeout=30)
        if isinstance(message, str):
            data = json.loads(message)
            if data["type"] == "init":
                init, seen = data, -1  # the init segment's bytes come next
        elif init is not None:
            seen += 1
    assert init is not None
    return init


def _more_fragments(ws: ClientConnection, count: int) -> None:
    """Read `count` more media fragments of a stream already playing."""
    seen = 0
    while seen < count:
        seen += isinstance(ws.recv(timeout=30), bytes)


def _encodes(center: LiveServer) -> Any:
    return center.server.config.app.state.share_encodes


def test_one_encode_serves_every_viewer_of_a_share_camera(center: LiveServer) -> None:
    share_id, token = make_share(center.ctx)
    cam = camera_id(center.ctx)
    url = f"{center.url.replace('http', 'ws')}/share/{share_id}/live/{cam}?token={token}"
    with connect(url, open_timeout=30) as first:
        assert _fragments(first, 10)["width"] == 160
        with connect(url, open_timeout=30) as second:
            assert _fragments(second, 5)["width"] == 160  # it joins the running encode
            running = _encodes(center).running
            assert list(running) == [(share_id, cam, "sub")]
            assert len(running[(share_id, cam, "sub")].viewers) == 2
            _more_fragments(first, 10)  # the first viewer goes on meanwhile
    deadline = time.monotonic() + 10
    while _encodes(center).running and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _encodes(center).running == {}  # the last viewer left: the encode stopped
