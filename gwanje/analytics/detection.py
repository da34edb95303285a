"""The detector interface: a decoded RGB frame in, boxes with a score and a kind out.

Owns: `Detection`, `DetectionKind`, `Detector` (a Protocol, so a new model is a class with
`name` and `detect`, no registration), `DetectorUnavailable`.
Invariants: boxes are in the pixel coordinates of the frame that was passed in, clipped
to it, with positive width and height; `detect` never keeps state between frames (tracking
is the caller's business), so one detector may serve frames of any source in any order.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import numpy as np
import numpy.typing as npt

RGBFrame = npt.NDArray[np.uint8]  # shape (height, width, 3), RGB, C order


class DetectionKind(StrEnum):
    FACE = "face"


class DetectorUnavailable(RuntimeError):
    """The detector's model or runtime is not installed (a deployment error, not input)."""


@dataclass(frozen=True)
class Detection:
    x: int  # left edge, pixels from the frame's left
    y: int  # top edge
    w: int
    h: int
    score: float  # 0..1, the model's confidence
    kind: DetectionKind


class Detector(Protocol):
    """Anything that finds objects in one frame."""

    @property
    def name(self) -> str:
        """Model and version, recorded in every mask plan made with it."""
        ...

    def detect(self, frame: RGBFrame) -> list[Detection]: ...


def clipped(
    x: float, y: float, w: float, h: float, width: int, height: int
) -> tuple[int, int, int, int]:
    """(x, y, w, h) rounded outward and clipped to a width×height frame; w or h may be 0."""
    left, top = max(0, int(np.floor(x))), max(0, int(np.floor(y)))
    right, bottom = min(width, int(np.ceil(x + w))), min(height, int(np.ceil(y + h)))
    return left, top, max(0, right - left), max(0, bottom - top)
