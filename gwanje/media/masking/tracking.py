"""Tracks from detections, and the officer's box followed through the frames.

Owns: `Tracker` (per-frame detections → automatic tracks) and `follow` (one manual box →
key boxes on later frames, by template matching).

Why a tracker at all: a detector misses a face now and then (motion blur, a turned
head); a frame where the face shows unmasked is a disclosure. So a detection continues
the track whose last box it overlaps; a track survives up to `max_gap` frames without a
detection (its box interpolated over the gap) and is held `hold` frames before its first
and after its last detection, where a face entering or leaving is usually missed.
Invariant: the tracker only adds coverage; it never drops or shrinks a detection.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from gwanje.analytics.detection import Detection
from gwanje.media.masking.model import Box, KeyRow, Origin, Track


def iou(a: Box, b: Box) -> float:
    ix = max(0, min(a.x + a.w, b.x + b.w) - max(a.x, b.x))
    iy = max(0, min(a.y + a.h, b.y + b.h) - max(a.y, b.y))
    inter = ix * iy
    return inter / (a.w * a.h + b.w * b.h - inter)


def _near(a: Box, b: Box) -> bool:
    """Centres within one box size of each other (a fast face barely overlaps itself)."""
    ax, ay, bx, by = a.x + a.w / 2, a.y + a.h / 2, b.x + b.w / 2, b.y + b.h / 2
    return abs(ax - bx) <= max(a.w, b.w) and abs(ay - by) <= max(a.h, b.h)


@dataclass
class _Open:
    kind: str
    keys: list[KeyRow] = field(default_factory=list)
    score: float = 0.0

    @property
    def last_box(self) -> Box:
        _, x, y, w, h = self.keys[-1]
        return Box(x=x, y=y, w=w, h=h)


@dataclass
class Tracker:
    """Feed `add(frame, detections)` in frame order, then `tracks(frames)`."""

    max_gap: int = 5
    hold: int = 3
    _open: list[_Open] = field(default_factory=list)
    _closed: list[_Open] = field(default_factory=list)

    def add(self, frame: int, detections: Iterable[Detection]) -> None:
        self._close_stale(frame)
        taken: set[int] = set()
        for det in sorted(detections, key=lambda d: -d.score):
            box = Box(x=det.x, y=det.y, w=det.w, h=det.h)
            track = self._match(box, det.kind.value, taken)
            if track is None:
                track = _Open(kind=det.kind.value)
                self._open.append(track)
            taken.add(id(track))
            track.keys.append((frame, box.x, box.y, box.w, box.h))
            track.score = max(track.score, det.score)

    def _match(self, box: Box, kind: str, taken: set[int]) -> _Open | None:
        best, best_iou = None, 0.0
        for track in self._open:
            if id(track) in taken or track.kind != kind:
                continue
            overlap = iou(box, track.last_box)
            close = overlap >= 0.2 or _near(box, track.last_box)
            if close and (best is None or overlap > best_iou):
                best, best_iou = track, overlap
        return best

    def _close_stale(self, frame: int) -> None:
        stale = [t for t in self._open if frame - t.keys[-1][0] > self.max_gap]
        self._open = [t for t in self._open if t not in stale]
        self._closed.extend(stale)

    def tracks(self, frames: int) -> list[Track]:
        """The automatic tracks of a clip of `frames` frames, ordered by first frame."""
        done = sorted(self._closed + self._open, key=lambda t: (t.keys[0][0], t.keys[0][1]))
        return [self._track(i, t, frames) for i, t in enumerate(done, start=1)]

    def _track(self, number: int, run: _Open, frames: int) -> Track:
        first = max(0, run.keys[0][0] - self.hold)
        last = min(frames - 1, run.keys[-1][0] + self.hold)
        return Track(id=f"a{number}", origin=Origin.AUTO, kind=run.kind, first=first,
                     last=last, keys=run.keys, score=round(run.score, 3))  # fmt: skip


Gray = npt.NDArray[np.uint8]


def follow(frames: Iterable[Gray], box: Box, radius: int = 24) -> list[Box]:
    """The box moved along with what it covers, one box per frame given.

    The first frame is where the officer drew `box`; its content is the template, and
    each later frame is searched within `radius` pixels of the previous position for the
    placement with the least absolute difference (coarse search every 2 px, then the
    neighbours). Fixed template, fixed size: the officer checks the preview and adds
    keys where it drifts.
    """
    found: list[Box] = []
    template: npt.NDArray[np.int16] | None = None
    for gray in frames:
        if template is None:
            template = gray[box.y : box.y + box.h, box.x : box.x + box.w].astype(np.int16)
            found.append(box)
            continue
        found.append(_best_match(gray, template, found[-1], radius))
    return found


def _best_match(gray: Gray, template: npt.NDArray[np.int16], prev: Box, radius: int) -> Box:
    height, width = gray.shape
    x0, y0 = max(0, prev.x - radius), max(0, prev.y - radius)
    x1, y1 = min(width, prev.x + prev.w + radius), min(height, prev.y + prev.h + radius)
    windows = sliding_window_view(gray[y0:y1, x0:x1].astype(np.int16), template.shape)
    # Compare every `sub`-th pixel only: a 300 px box costs what a 40 px one does.
    sub = max(1, max(template.shape) // 40)
    small = template[::sub, ::sub]

    def costs(rows: slice, cols: slice) -> npt.NDArray[np.int64]:
        diff = np.abs(windows[rows, cols, ::sub, ::sub] - small)
        total: npt.NDArray[np.int64] = diff.sum(axis=(2, 3), dtype=np.int64)
        return total

    coarse = costs(slice(None, None, 2), slice(None, None, 2))
    cy, cx = (2 * int(v) for v in np.unravel_index(int(np.argmin(coarse)), coarse.shape))
    ly, lx = max(0, cy - 1), max(0, cx - 1)
    fine = costs(slice(ly, cy + 2), slice(lx, cx + 2))
    fy, fx = np.unravel_index(int(np.argmin(fine)), fine.shape)
    return Box(x=x0 + lx + int(fx), y=y0 + ly + int(fy), w=prev.w, h=prev.h)
