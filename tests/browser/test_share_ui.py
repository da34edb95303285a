"""A share in Chromium: the viewer page plays the watermarked live video (frames
advance) until the share is revoked; then the stream stops and a reload is refused.
Real parts: camsim, recorder, uvicorn, Chromium (MSE). Done-when of issue 6 (sharing)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser.live import LiveServer
from registry.helpers import audit_rows
from sharing.share_live_kit import live_center, make_share, revoke

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def center(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[LiveServer]:
    yield from live_center(tmp_path_factory.mktemp("share-browser"), sqlite_template)


def _frames(page: Any, code: str) -> int:
    return int(page.get_attribute(f"[data-testid=share-video-{code}]", "data-frames") or 0)


def test_a_share_url_plays_until_revoked_then_fails(page: Any, center: LiveServer) -> None:
    share_id, token = make_share(center.ctx, codes=("YS-CAM-0001", "YS-CAM-0002"))
    url = f"{center.url}/share/{share_id}?token={token}"
    response = page.goto(url)
    assert response.status == 200
    video = "[data-testid=share-video-YS-CAM-0001]"
    page.wait_for_function(
        f"Number(document.querySelector('{video}').dataset.frames||0) > 10", timeout=60_000
    )
    before = _frames(page, "YS-CAM-0001")
    page.wait_for_timeout(1500)
    assert _frames(page, "YS-CAM-0001") > before  # frames advance
    assert page.get_attribute(video, "data-width") == "160"
    revoke(center.ctx, share_id)
    revoked = time.monotonic()
    page.wait_for_function(f"document.querySelector('{video}').dataset.state === 'denied'",
                           timeout=10_000)  # fmt: skip
    assert time.monotonic() - revoked < 3.5  # closed within a second or two (+ polling)
    stopped = _frames(page, "YS-CAM-0001")
    page.wait_for_timeout(2000)
    # What was buffered (≤ 0.5 s at the live edge) may still play out; 2 s of live video
    # would be ~50 frames.
    assert _frames(page, "YS-CAM-0001") <= stopped + 15
    again = page.goto(url)
    assert again.status == 403
    ended = [json.loads(r.details) for r in audit_rows(center.ctx, "share.view_ended")]
    mine = [d for d in ended if d["share_id"] == share_id]
    assert {d["reason"] for d in mine} == {"revoked"}
    assert len(mine) == 2  # both cameras' views ended, each audited
    refused = [json.loads(r.details) for r in audit_rows(center.ctx, "share.refused")]
    assert any(d["share_id"] == share_id and d["reason"] == "revoked" for d in refused)
