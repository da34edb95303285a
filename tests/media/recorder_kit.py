"""Builders for recorder tests: a source clip with audio, linked cameras, a capture run."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from registry.helpers import departments, make_camera

from gwanje.context import Gwanje
from gwanje.media.recorder.capture import CaptureJob, CaptureParams, StreamCapture
from gwanje.media.recorder.messages import HealthChanged, Report, StreamKey
from gwanje.registry.models import CameraStatus


def make_clip(path: Path, seconds: int = 10, gop: int = 25, audio: bool = True) -> Path:
    """An H.264 (+ AAC) MP4: a bar moving across 320x180 at 25 fps, keyframe every `gop`."""
    out = av.open(str(path), "w")
    video = out.add_stream(
        "libx264", rate=25,
        options={"g": str(gop), "keyint_min": str(gop), "sc_threshold": "0", "preset": "ultrafast"},
    )  # fmt: skip
    video.width, video.height, video.pix_fmt = 320, 180, "yuv420p"
    sound = out.add_stream("aac", rate=48000) if audio else None
    samples = 1024
    for i in range(seconds * 25):
        image = np.zeros((180, 320, 3), np.uint8)
        image[:, (i * 3) % 300 : (i * 3) % 300 + 20] = 255
        for packet in video.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
            out.mux(packet)
    if sound is not None:
        tone = (np.sin(np.arange(48000 * seconds) / 20) * 0.2).astype(np.float32)
        for n in range(0, len(tone) - samples, samples):
            chunk = tone[None, n : n + samples]
            frame = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = 48000, n, Fraction(1, 48000)
            for packet in sound.encode(frame):
                out.mux(packet)
        for packet in sound.encode():
            out.mux(packet)
    for packet in video.encode():
        out.mux(packet)
    out.close()
    return path


def linked_cameras(ctx: Gwanje, count: int, url: Callable[[int], str]) -> list[int]:
    dept = departments(ctx)
    first = next(iter(dept.values()))
    return [
        make_camera(ctx, f"REC-{n:03d}", first, CameraStatus.LINKED, main_stream_url=url(n))
        for n in range(1, count + 1)
    ]


def capture_file(
    source: Path, root: Path, params: CaptureParams, camera_id: int = 1
) -> list[Report]:
    """Run one capture over a file (read as fast as it demuxes) until the session is over
    (the health leaves "online": end of file, unreadable input), and collect its reports.
    A mid-stream gap (timestamps jumping) is not the end: the capture goes on after it."""
    reports: list[Report] = []
    stop = threading.Event()
    job = CaptureJob(StreamKey(camera_id, "main"), str(source))
    capture = StreamCapture(job, params, root, reports.append, stop)
    thread = threading.Thread(target=capture.run)
    thread.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(_session_over(r) for r in reports):
        time.sleep(0.05)
    stop.set()
    thread.join(30)
    assert not thread.is_alive()
    return reports


def _session_over(report: Report) -> bool:
    return isinstance(report, HealthChanged) and report.state != "online"
