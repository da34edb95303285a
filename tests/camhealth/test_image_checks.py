"""Image checks on real decoded frames: simulated cameras faulted (covered, black, frozen,
blurred, turned) are recorded by the real recorder; the checks sample its live taps and
decode the sub streams. A normal camera sampled over the same time raises nothing, and
switching fault clips in and out never breaks the recording (no gap)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from health_kit import Recording
from sqlalchemy import select

from gwanje.camhealth.kinds import ImageState
from gwanje.camhealth.monitor import HealthMonitor
from gwanje.camhealth.worker import Counters, sample_forever
from gwanje.media.models import Gap
from gwanje.media.recorder.messages import HealthChanged

pytestmark = pytest.mark.slow

FAULTS = {2: "cover", 3: "black", 4: "freeze", 5: "blur", 6: "move"}
EXPECTED = {
    2: ImageState.COVERED,
    3: ImageState.BLACK,
    4: ImageState.FROZEN,
    5: ImageState.DEFOCUSED,
    6: ImageState.SCENE_CHANGED,
}


def _wait_for(condition, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_each_fault_is_detected_and_the_normal_camera_stays_ok(recording: Recording) -> None:
    ctx, sim, cameras = recording.ctx, recording.sim, recording.center.cameras
    plan = HealthMonitor(ctx).plan(tuple(cameras))
    reports: list[HealthChanged] = []
    stop = threading.Event()
    counters = Counters()
    worker = threading.Thread(
        target=lambda: asyncio.run(sample_forever(plan, reports.append, stop.is_set, counters))
    )
    worker.start()
    try:
        # Learn each camera's normal picture first (baseline sharpness, reference view).
        assert _wait_for(lambda: len({r.key.camera_id for r in reports}) == 6, 30), reports
        assert {r.state for r in reports} == {ImageState.OK}
        time.sleep(2 * plan.interval_s * plan.limits.learn_samples)
        for index, kind in FAULTS.items():
            sim.image_fault(index, kind)  # type: ignore[arg-type]
        seen = lambda: {r.key.camera_id: r.state for r in reports}  # noqa: E731
        wanted = {cameras[i - 1]: state for i, state in EXPECTED.items()}
        assert _wait_for(lambda: all(seen().get(c) == s for c, s in wanted.items()), 40), seen()
        sim.clear_image_fault(2)  # uncovered: back to OK after the clear samples
        assert _wait_for(lambda: seen()[cameras[1]] == ImageState.OK, 20), seen()
    finally:
        stop.set()
        worker.join(30)
    normal = [r.state for r in reports if r.key.camera_id == cameras[0]]
    assert normal == [ImageState.OK], "no false alarm on the normal camera"
    assert counters.samples > 60
    assert counters.missed <= counters.samples // 10
    with ctx.sessions() as session:
        gaps = session.scalars(select(Gap).where(Gap.camera_id.in_(cameras))).all()
        assert [(g.camera_id, g.stream, g.cause) for g in gaps] == []
