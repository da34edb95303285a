"""Fixtures of the camera-health tests: a recording center over the camera simulator
(real RTSP, real recorder with its live taps, real decoding)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from health_kit import Recording, center
from media.conftest import camsim_clips

from gwanje.context import Gwanje
from gwanje.media.camsim.clips import ClipSet
from gwanje.media.camsim.harness import run_in_thread
from gwanje.media.camsim.server import ServerConfig
from gwanje.media.recorder.supervisor import Recorder
from gwanje.settings import Mode, Settings

__all__ = ["camsim_clips", "recording"]


@pytest.fixture
def recording(tmp_path: Path, camsim_clips: ClipSet) -> Iterator[Recording]:
    """Six simulated cameras, linked and recorded (main and sub, live taps on), with a
    contractor company maintaining them; health sampled fast (tests run in seconds)."""
    sim = run_in_thread(camsim_clips, ServerConfig(cameras=6, udp=False))
    settings = Settings(
        mode=Mode.TEST,
        data_dir=tmp_path / "data",
        recording={
            "segment_seconds": 2.0,
            "streams": ["main", "sub"],
            "min_free_bytes": 0,
            "read_timeout_s": 3.0,
            "reconnect_min_s": 0.5,
        },
        health={
            "sample_interval_s": 0.4,
            "fault_samples": 3,
            "clear_samples": 2,
            "sweep_interval_s": 1.0,
            "metrics_token": "scrape-token-for-tests-0123456789",
        },
    )
    ctx = Gwanje.open(settings)
    url = f"rtsp://127.0.0.1:{sim.port}/cam{{n}}/{{s}}"
    kit = center(ctx, cameras=6, url=url)
    recorder = Recorder(ctx)
    recorder.start()
    try:
        yield Recording(ctx, sim, kit, recorder)
    finally:
        recorder.stop()
        sim.stop()
        ctx.close()
