"""Maps a camera's packet timestamps onto the recorder's UTC clock.

Cameras' timestamps are input, not truth (invariant 5): they may run backwards, jump, or
drift from real time. The timeline anchors one (pts, wall time) pair when a run starts,
places every later packet relative to it, and declares a discontinuity when the camera's
decode timestamps go backwards or jump further than `max_jump_s`; the capture then ends
the segment and starts a new one at the next keyframe with a fresh anchor.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction


class Timeline:
    def __init__(self, time_base: Fraction, max_jump_s: float = 5.0) -> None:
        self.time_base = time_base
        self._tick_s = float(time_base)  # per unit: float math, Fraction is 20x slower
        self.max_jump_s = max_jump_s
        self._anchor_pts: int | None = None
        self._anchor_wall: datetime | None = None
        self._last_dts: int | None = None

    @property
    def anchored(self) -> bool:
        return self._anchor_pts is not None

    def anchor(self, pts: int, wall: datetime) -> None:
        self._anchor_pts, self._anchor_wall, self._last_dts = pts, wall, None

    def reset(self) -> None:
        self._anchor_pts = self._anchor_wall = self._last_dts = None

    def seconds(self, ticks: int) -> float:
        return ticks * self._tick_s

    def wall(self, pts: int) -> datetime:
        """UTC on the recorder's clock for a camera timestamp of this run."""
        assert self._anchor_pts is not None
        assert self._anchor_wall is not None
        return self._anchor_wall + timedelta(seconds=self.seconds(pts - self._anchor_pts))

    def drift_s(self, pts: int, now: datetime) -> float:
        """How far the camera's clock has run from ours since the anchor (seconds)."""
        return (self.wall(pts) - now).total_seconds()

    def accept(self, dts: int) -> bool:
        """Record `dts`; False when it breaks continuity (backwards, repeated or a jump)."""
        last, self._last_dts = self._last_dts, dts
        if last is None:
            return True
        step = self.seconds(dts - last)
        return 0 < step <= self.max_jump_s
