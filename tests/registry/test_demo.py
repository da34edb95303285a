"""The demo seed: a plausible city, passing every registry check, idempotent."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from gwanje.context import Gwanje
from gwanje.registry import demo
from gwanje.registry.lifecycle import flags
from gwanje.registry.models import Camera, EmergencyBell


def test_seed_is_idempotent_and_varied(ctx: Gwanje) -> None:
    for _ in range(2):
        with ctx.transaction() as session:
            demo.seed(session, ctx.clock, cameras=48)
    with ctx.transaction() as session:
        cameras = list(session.scalars(select(Camera)))
        bells = session.scalar(select(func.count()).select_from(EmergencyBell))
        statuses = Counter(c.status for c in cameras)
        found = Counter(f for c in cameras for f in flags(c, ctx.clock.now().date()))
        urls = {c.main_stream_url for c in cameras}
        districts = {c.district for c in cameras}
    assert len(cameras) == 48
    assert bells == 6
    assert statuses["linked"] > 24
    assert statuses["planned"] >= 2
    assert statuses["installed"] >= 4
    assert found["no_signage"] >= 2
    assert found["unlinked"] >= 2
    assert found["end_of_life"] >= 2
    assert "rtsp://127.0.0.1:8554/cam1/main" in urls
    assert len(districts) >= 10
    assert all(
        34.5 < (c.latitude or 0) < 34.9 and 127.5 < (c.longitude or 0) < 127.8 for c in cameras
    )
