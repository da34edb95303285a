"""Helpers of the masking tests: decode a clip's frames, compare regions, match boxes."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

Rect = tuple[int, int, int, int]  # x, y, w, h


def frames(path: Path, pix_fmt: str = "rgb24") -> list[npt.NDArray[np.uint8]]:
    with av.open(str(path)) as container:
        return [np.asarray(f.to_ndarray(format=pix_fmt)) for f in container.decode(video=0)]


def region_diff(a: npt.NDArray[np.uint8], b: npt.NDArray[np.uint8], rect: Rect) -> float:
    """Mean absolute difference of two frames over `rect`."""
    x, y, w, h = rect
    ra, rb = a[y : y + h, x : x + w].astype(np.int16), b[y : y + h, x : x + w].astype(np.int16)
    return float(np.abs(ra - rb).mean())


def overlap(a: Rect, b: Rect) -> float:
    """Intersection over the smaller box's area (1.0: one lies inside the other)."""
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy / min(a[2] * a[3], b[2] * b[3])
