"""Image checks on decoded luma: black, covered, frozen, defocused, scene changed.

Owns: `measure` (the numbers of one sample), `ImageJudge` (one camera's learned baseline
and reference, and the hysteresis that turns samples into a state) and `Thresholds`.
Pure numpy, no I/O: the sampler (`sampler.py`) feeds it decoded frames.

Why blocks and medians: a camera burns its on-screen text (name, clock) into the picture
after the lens, so a covered or defocused camera still shows sharp text in a strip or
two; every statistic is taken per block of a grid and the median over blocks is used,
which the text cannot move.

Invariants:
- one odd sample never changes the state: a fault needs `fault_samples` agreeing samples
  in a row, and clearing it needs `clear_samples` good ones (hysteresis, no flapping);
  the first settled state is always reported (a restarted worker re-states what it sees);
- the baseline sharpness and the reference scene are learned only from samples judged
  good, so a fault is never learned as normal;
- precedence when several hold: black > covered > frozen > scene_changed > defocused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from gwanje.camhealth.kinds import ImageState

F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]
GRID = (6, 8)  # block rows, columns
CELLS = (4, 4)  # spatial cells of the scene descriptor
BINS = 9  # gradient orientation bins over 180 degrees
MAX_WIDTH = 320  # luma is averaged down to at most this width before measuring
EDGE_MAGNITUDE = 16.0  # a pixel whose gradient exceeds this is an edge


@dataclass(frozen=True)
class Thresholds:
    black_luma: float = 28.0  # median block mean at or below: black
    flat_std: float = 6.0  # median block standard deviation below: a flat picture
    covered_edges: float = 0.02  # median block edge density below (with flat): covered
    frozen_diff: float = 0.35  # median block mean |difference| below: the same picture
    defocus_ratio: float = 0.4  # sharpness below this share of the baseline: defocused
    scene_correlation: float = 0.6  # descriptor correlation with the reference below
    learn_samples: int = 5  # good samples before baseline and reference are trusted
    fault_samples: int = 3  # agreeing samples in a row to declare a fault
    clear_samples: int = 2  # good samples in a row to clear it


@dataclass(frozen=True)
class Measure:
    """The numbers of one sample (all medians over the block grid)."""

    luma: float
    spread: float  # standard deviation
    edges: float  # share of edge pixels
    sharpness: float  # variance of the Laplacian
    descriptor: F32  # gradient orientation histograms per cell
    thumb: F32  # block means, for comparing pictures


def downscale(y: U8) -> F32:
    """Average integer blocks so the width is at most MAX_WIDTH (cheap, no resampling)."""
    factor = max(1, -(-y.shape[1] // MAX_WIDTH))
    h, w = (y.shape[0] // factor) * factor, (y.shape[1] // factor) * factor
    small = y[:h, :w].astype(np.float32)
    if factor > 1:
        small = small.reshape(h // factor, factor, w // factor, factor).mean(axis=(1, 3))
    return small


def _blocks(values: F32, grid: tuple[int, int]) -> F32:
    """(rows, cols, bh, bw) view of `values` cut into the grid (edges trimmed)."""
    rows, cols = grid
    bh, bw = values.shape[0] // rows, values.shape[1] // cols
    cut = values[: rows * bh, : cols * bw]
    return cut.reshape(rows, bh, cols, bw).transpose(0, 2, 1, 3)


def thumb(y: U8) -> F32:
    """The block means of the downscaled luma: what `same_picture` compares."""
    means: F32 = _blocks(downscale(y), GRID).mean(axis=(2, 3)).astype(np.float32)
    return means


def measure(y: U8) -> Measure:
    small = downscale(y)
    gy, gx = (np.asarray(g, dtype=np.float32) for g in np.gradient(small))
    magnitude = np.hypot(gx, gy)
    lap = np.zeros_like(small)
    lap[1:-1, 1:-1] = (
        small[:-2, 1:-1] + small[2:, 1:-1] + small[1:-1, :-2] + small[1:-1, 2:]
        - 4 * small[1:-1, 1:-1]
    )  # fmt: skip
    blocks = _blocks(small, GRID)
    return Measure(
        luma=float(np.median(blocks.mean(axis=(2, 3)))),
        spread=float(np.median(blocks.std(axis=(2, 3)))),
        edges=float(np.median((_blocks(magnitude, GRID) > EDGE_MAGNITUDE).mean(axis=(2, 3)))),
        sharpness=float(np.median(_blocks(lap, GRID).var(axis=(2, 3)))),
        descriptor=_descriptor(gx, gy, magnitude),
        thumb=blocks.mean(axis=(2, 3)).astype(np.float32),
    )


def _descriptor(gx: F32, gy: F32, magnitude: F32) -> F32:
    """Per cell, a histogram of gradient orientations weighted by magnitude (HOG-like),
    shape (cells, BINS): the layout of a view's edges, indifferent to light level and to
    things moving through it, changed when the camera is turned."""
    angle = np.mod(np.arctan2(gy, gx), np.pi)
    bins = np.minimum((angle / np.pi * BINS).astype(np.int64), BINS - 1)
    rows, cols = CELLS
    ch, cw = magnitude.shape[0] // rows, magnitude.shape[1] // cols
    out = np.zeros((rows * cols, BINS), dtype=np.float32)
    for r in range(rows):
        for c in range(cols):
            window = (slice(r * ch, (r + 1) * ch), slice(c * cw, (c + 1) * cw))
            out[r * cols + c] = np.bincount(bins[window].ravel(), magnitude[window].ravel(), BINS)
    return out


def same_picture(a: F32, b: F32, limit: float) -> bool:
    """Whether two thumbs show the same picture (median block difference below limit)."""
    return a.shape == b.shape and float(np.median(np.abs(a - b))) < limit


def correlation(a: F32, b: F32) -> float:
    """Median over cells of the Pearson correlation of their orientation histograms (the
    on-screen text fills a few cells and cannot decide it)."""
    if a.shape != b.shape:
        return 0.0
    da = a - a.mean(axis=1, keepdims=True)
    db = b - b.mean(axis=1, keepdims=True)
    denom = np.linalg.norm(da, axis=1) * np.linalg.norm(db, axis=1)
    cells = np.where(denom > 0, (da * db).sum(axis=1) / np.maximum(denom, 1e-9), 0.0)
    return float(np.median(cells))


@dataclass
class Sample:
    """A decoded keyframe, the frame a few units after it, and their RTP timestamps."""

    key: U8
    later: U8 | None
    key_ts: int
    later_ts: int | None


@dataclass
class ImageJudge:
    """One camera's learned normal and its current image state."""

    limits: Thresholds = field(default_factory=Thresholds)
    state: ImageState = ImageState.OK
    sharpness: float | None = None  # learned baseline
    reference: F32 | None = None  # learned scene descriptor
    learned: int = 0
    _previous: Measure | None = None
    _previous_ts: int | None = None
    _candidate: ImageState = ImageState.OK
    _streak: int = 0
    _fresh: bool = True  # nothing reported yet: the first settled state is reported, OK too
    last: dict[str, float] = field(default_factory=dict)  # the last sample's numbers

    def judge(self, sample: Sample) -> ImageState | None:
        """Feed one sample; returns the new state when it changed, else None. A sample
        whose keyframe is the one already judged (the stream stalled) is ignored."""
        if sample.key_ts == self._previous_ts:
            return None
        m = measure(sample.key)
        verdict = self._verdict(m, sample)
        self._previous, self._previous_ts = m, sample.key_ts
        if verdict is ImageState.OK:
            self._learn(m)
        return self._settle(verdict)

    def _verdict(self, m: Measure, sample: Sample) -> ImageState:
        lim = self.limits
        corr = correlation(m.descriptor, self.reference) if self.reference is not None else 1.0
        self.last = {"luma": m.luma, "spread": m.spread, "edges": m.edges,
                     "sharpness": m.sharpness, "correlation": corr}  # fmt: skip
        if m.luma <= lim.black_luma and m.spread < lim.flat_std:
            return ImageState.BLACK
        if m.spread < lim.flat_std and m.edges < lim.covered_edges:
            return ImageState.COVERED
        if self._frozen(m, sample):
            return ImageState.FROZEN
        if self.learned < lim.learn_samples:
            return ImageState.OK
        if corr < lim.scene_correlation:
            return ImageState.SCENE_CHANGED
        if self.sharpness is not None and m.sharpness < lim.defocus_ratio * self.sharpness:
            return ImageState.DEFOCUSED
        return ImageState.OK

    def _frozen(self, m: Measure, sample: Sample) -> bool:
        """The same picture a few frames later *and* at the previous sample seconds ago,
        while the timestamps advanced (a live scene always moves or has sensor noise)."""
        if sample.later is None or sample.later_ts is None or sample.later_ts <= sample.key_ts:
            return False
        if self._previous is None:
            return False
        limit = self.limits.frozen_diff
        if not same_picture(m.thumb, thumb(sample.later), limit):  # only the thumbnail needed
            return False
        return same_picture(m.thumb, self._previous.thumb, limit)

    def _learn(self, m: Measure) -> None:
        self.learned += 1
        if self.sharpness is None or self.reference is None:
            self.sharpness, self.reference = m.sharpness, m.descriptor
            return
        rate = 1.0 / self.learned if self.learned <= self.limits.learn_samples else 0.05
        self.sharpness += rate * (m.sharpness - self.sharpness)
        self.reference = (self.reference + rate * (m.descriptor - self.reference)).astype(
            np.float32
        )

    def _settle(self, verdict: ImageState) -> ImageState | None:
        if verdict is self.state and not self._fresh:
            self._candidate, self._streak = verdict, 0
            return None
        if verdict is self._candidate:
            self._streak += 1
        else:
            self._candidate, self._streak = verdict, 1
        needed = (
            self.limits.clear_samples if verdict is ImageState.OK else self.limits.fault_samples
        )
        if self._streak < needed:
            return None
        self.state, self._streak, self._fresh = verdict, 0, False
        return verdict
