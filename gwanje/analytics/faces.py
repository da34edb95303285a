"""Face detection with libfacedetection (the `yuface` wheel): CPU only, model compiled in.

Owns: `YuFaceDetector`. Why this model: `docs/design/masking.md` ("Detector choice"):
a 1 MB wheel with the weights inside its shared library and no other dependency, about
twice as fast as CenterFace (which needs onnxruntime, onnx and OpenCV) and it found every
seeded test face down to 24 px of head height at 640×360.

Threads: the wheel runs its network on a private OpenMP runtime (libgomp) whose idle
threads spin; on the shared 2-core machine that burned 2.5× the CPU per frame (72 against
29 ms) while others ran. So `detect` uses `threads` OpenMP threads (1 unless asked),
set on that private runtime alone through its `omp_set_num_threads` before each call
(the setting is per calling thread); masking is batch work, where CPU matters more than
one frame's latency, and the recorder shares the machine.

Invariants: the frame is never modified; frames wider or taller than `max_side` are
scaled down (FFmpeg's swscale, through PyAV) before detection, because the model loses
accuracy above 960 px (its wrapper warns), and boxes are scaled back to the frame.
"""

from __future__ import annotations

import ctypes
from importlib import metadata
from pathlib import Path
from typing import Any

import av
import numpy as np

from gwanje.analytics.detection import (
    Detection,
    DetectionKind,
    DetectorUnavailable,
    RGBFrame,
    clipped,
)


def _load() -> Any:
    try:
        from yuface import yuface as native
    except ImportError as exc:  # wheels exist for CPython 3.11 on x86_64 Linux only
        raise DetectorUnavailable(f"the yuface face detector is not installed: {exc}") from exc
    return native


def _omp_setter() -> Any:
    """`omp_set_num_threads` of the wheel's own libgomp (already loaded), or None."""
    import yuface

    libs = sorted((Path(yuface.__file__).parent.parent / "yuface.libs").glob("libgomp*.so*"))
    try:
        return ctypes.CDLL(str(libs[0])).omp_set_num_threads if libs else None
    except (OSError, AttributeError):
        return None


class YuFaceDetector:
    """libfacedetection's CNN; `threshold` is the confidence (0..1) a face needs."""

    def __init__(self, threshold: float = 0.5, max_side: int = 960, threads: int = 1) -> None:
        if not 0.0 < threshold < 1.0:
            raise ValueError("threshold must lie between 0 and 1")
        self.threshold = threshold
        self.max_side = max_side
        self.threads = threads
        self._native = _load()
        self._set_threads = _omp_setter()

    @property
    def name(self) -> str:
        return f"yuface-{metadata.version('yuface')}"

    def detect(self, frame: RGBFrame) -> list[Detection]:
        height, width = frame.shape[:2]
        small, scale = _fit(frame, self.max_side)
        if self._set_threads is not None:
            self._set_threads(self.threads)
        rows = self._native.detect(np.ascontiguousarray(small[:, :, ::-1]))  # BGR wanted
        found = []
        for row in rows:
            score = float(row[0]) / 100.0  # the library scores 0..100
            if score < self.threshold:
                continue
            x, y, w, h = (float(v) / scale for v in row[1:5])
            left, top, box_w, box_h = clipped(x, y, w, h, width, height)
            if box_w > 0 and box_h > 0:
                found.append(Detection(left, top, box_w, box_h, score, DetectionKind.FACE))
        return found


def _fit(frame: RGBFrame, max_side: int) -> tuple[RGBFrame, float]:
    """The frame scaled so neither side exceeds `max_side`, and the factor used."""
    height, width = frame.shape[:2]
    scale = min(1.0, max_side / max(height, width))
    if scale == 1.0:
        return frame, 1.0
    small_w, small_h = max(2, round(width * scale)), max(2, round(height * scale))
    image = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
    small = image.reformat(width=small_w, height=small_h).to_ndarray(format="rgb24")
    return np.asarray(small, dtype=np.uint8), small_w / width
