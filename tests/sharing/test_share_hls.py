"""HLS of a share, decoded by FFmpeg (PyAV) as an external player would: the token gate,
the burned-in watermark, revocation. Real parts: camsim, recorder, uvicorn."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import av
import httpx
import numpy as np
import pytest
from browser.live import LiveServer
from registry.helpers import audit_rows
from share_live_kit import camera_id, live_center, make_share, revoke

from gwanje.media.font import render_text

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def center(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[LiveServer]:
    yield from live_center(tmp_path_factory.mktemp("share-hls"), sqlite_template)


def _frames(url: str, count: int) -> list[np.ndarray]:
    frames: list[np.ndarray] = []
    with av.open(url, options={"rw_timeout": "30000000"}, timeout=30) as container:
        for frame in container.decode(video=0):
            frames.append(frame.to_ndarray(format="gray"))
            if len(frames) >= count:
                break
    return frames


def test_hls_with_the_token_decodes_with_the_watermark_burned_in(center: LiveServer) -> None:
    share_id, token = make_share(center.ctx)
    cam = camera_id(center.ctx)
    url = f"{center.url}/share/{share_id}/{cam}/index.m3u8?token={token}"
    frames = _frames(url, 30)
    assert len(frames) == 30
    assert frames[0].shape == (90, 160)  # the sub stream, re-encoded
    mask = render_text(f"YS-POLICE #{share_id}", 1)[:, : 160 - 3]
    h, w = mask.shape
    text = frames[-1][2 : 2 + h, 2 : 2 + w]
    shadow_only = np.zeros_like(mask)
    shadow_only[1:, 1:] = mask[:-1, :-1]
    shadow_only &= ~mask
    assert text[mask].mean() > 190, text[mask].mean()  # light ink (235 before x264)
    assert text[shadow_only].mean() < 80, text[shadow_only].mean()  # dark shadow (16)
    started = [json.loads(r.details) for r in audit_rows(center.ctx, "share.view_started")]
    assert any(d["share_id"] == share_id and d["channel"] == "hls" for d in started)


def test_hls_without_or_with_a_wrong_or_expired_token_is_refused(center: LiveServer) -> None:
    share_id, token = make_share(center.ctx)
    old_id, old_token = make_share(center.ctx, center.ctx.clock.now() - timedelta(hours=2))
    cam = camera_id(center.ctx)
    base = f"{center.url}/share/{{}}/{cam}/index.m3u8"
    with httpx.Client(timeout=30) as client:
        assert client.get(base.format(share_id)).status_code == 403
        assert client.get(base.format(share_id), params={"token": token + "x"}).status_code == 403
        assert client.get(base.format(old_id), params={"token": old_token}).status_code == 403
        assert client.get(base.format(share_id), params={"token": old_token}).status_code == 403
    refused = [json.loads(r.details) for r in audit_rows(center.ctx, "share.refused")]
    reasons = [(d["share_id"], d["reason"]) for d in refused]
    for expected in [(share_id, "not_recipient"), (share_id, "bad_token"), (old_id, "expired")]:
        assert expected in reasons


def test_revoking_stops_an_open_hls_session_at_once(center: LiveServer) -> None:
    share_id, token = make_share(center.ctx)
    cam = camera_id(center.ctx)
    url = f"{center.url}/share/{share_id}/{cam}/index.m3u8?token={token}"
    with httpx.Client(timeout=30) as client:
        playlist = client.get(url)
        assert playlist.status_code == 200
        segment = [line for line in playlist.text.splitlines() if line.endswith(".m4s")][-1]
        segment_url = url.rsplit("/", 1)[0] + "/" + segment
        assert client.get(segment_url).status_code == 200
        revoke(center.ctx, share_id)
        revoked_at = time.monotonic()
        while client.get(segment_url).status_code == 200:
            assert time.monotonic() - revoked_at < 3, "the session outlived its share"
            time.sleep(0.1)
        assert client.get(url).status_code == 403
    deadline = time.monotonic() + 10
    ended: list[dict[str, object]] = []
    while time.monotonic() < deadline and not ended:
        ended = [d for r in audit_rows(center.ctx, "share.view_ended")
                 if (d := json.loads(r.details))["share_id"] == share_id]  # fmt: skip
        time.sleep(0.2)
    assert ended[0]["reason"] == "revoked"
    assert int(str(ended[0]["frames"])) > 0
