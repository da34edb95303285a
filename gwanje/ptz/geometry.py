"""Positions and the allowed area, in ONVIF's generic spaces (pan, tilt -1..1; zoom 0..1).

Owns: `Position`, `Area` and `continuous_budget` (how long a continuous move may run
before it would leave the area).
Invariants: an `Area` is a box inside the generic spaces with min <= max on each axis;
`inside` treats the edges as inside, with `EPSILON` of slack for float noise from the
device; `continuous_budget` never returns more time than the slowest-to-reach edge in the
direction of travel allows, so a bounded continuous move stops on the edge at the latest.
"""

from __future__ import annotations

from dataclasses import dataclass

EPSILON = 1e-4
PAN_TILT = (-1.0, 1.0)
ZOOM = (0.0, 1.0)


@dataclass(frozen=True)
class Position:
    pan: float
    tilt: float
    zoom: float

    def as_json(self) -> dict[str, float]:
        return {"pan": round(self.pan, 4), "tilt": round(self.tilt, 4), "zoom": round(self.zoom, 4)}

    def plus(self, delta: Position) -> Position:
        return Position(self.pan + delta.pan, self.tilt + delta.tilt, self.zoom + delta.zoom)

    def clamped(self) -> Position:
        """Inside the generic spaces (what any device would do with it)."""
        return Position(
            _clip(self.pan, *PAN_TILT), _clip(self.tilt, *PAN_TILT), _clip(self.zoom, *ZOOM)
        )


def _clip(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


@dataclass(frozen=True)
class Area:
    """The purpose area (목적 범위): the box of positions the camera may take freely."""

    pan_min: float
    pan_max: float
    tilt_min: float
    tilt_max: float
    zoom_min: float
    zoom_max: float

    def __post_init__(self) -> None:
        for low, high, bounds in (
            (self.pan_min, self.pan_max, PAN_TILT),
            (self.tilt_min, self.tilt_max, PAN_TILT),
            (self.zoom_min, self.zoom_max, ZOOM),
        ):
            if not bounds[0] <= low <= high <= bounds[1]:
                raise ValueError("area bounds must be ordered and inside the generic spaces")

    def inside(self, at: Position) -> bool:
        e = EPSILON
        return (
            self.pan_min - e <= at.pan <= self.pan_max + e
            and self.tilt_min - e <= at.tilt <= self.tilt_max + e
            and self.zoom_min - e <= at.zoom <= self.zoom_max + e
        )

    def as_json(self) -> dict[str, float]:
        return {
            "pan_min": self.pan_min,
            "pan_max": self.pan_max,
            "tilt_min": self.tilt_min,
            "tilt_max": self.tilt_max,
            "zoom_min": self.zoom_min,
            "zoom_max": self.zoom_max,
        }


def continuous_budget(area: Area, at: Position, velocity: Position, speed: Position) -> float:
    """Seconds a continuous move at `velocity` (-1..1 per axis) from `at` stays inside
    `area`, with the device moving `speed` generic units per second at velocity 1."""
    budget = float("inf")
    axes = (
        (at.pan, velocity.pan, speed.pan, area.pan_min, area.pan_max),
        (at.tilt, velocity.tilt, speed.tilt, area.tilt_min, area.tilt_max),
        (at.zoom, velocity.zoom, speed.zoom, area.zoom_min, area.zoom_max),
    )
    for here, v, units, low, high in axes:
        rate = v * units
        if rate > 0:
            budget = min(budget, max(0.0, high - here) / rate)
        elif rate < 0:
            budget = min(budget, max(0.0, here - low) / -rate)
    return budget
