"""A simulated PTZ head: where the camera points, its presets, its home, its moves.

Owns: `PtzHead` (position, continuous motion, presets, home position) and `Vector`.
Coordinates are ONVIF's generic spaces: pan and tilt -1..1, zoom 0..1. Absolute and
relative moves take effect at once (the picture is a digital crop, so there is nothing
to slew); a continuous move advances at `SPEED` generic units per second at velocity 1
and stops by itself after its timeout, as ONVIF ContinuousMove specifies.
Invariants: every position this head reports or shows is inside the generic spaces
(clamped); time is the server's loop time passed in by the caller, never read here, so
tests and the streamer see the same position for the same instant.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SPEED = (0.5, 0.5, 0.25)  # generic units per second at velocity 1: pan, tilt, zoom
DEFAULT_TIMEOUT = 10.0  # seconds a ContinuousMove without Timeout runs (device default)
MAX_PRESETS = 32


@dataclass(frozen=True)
class Vector:
    pan: float = 0.0
    tilt: float = 0.0
    zoom: float = 0.0

    def clamped(self) -> Vector:
        return Vector(_clip(self.pan, -1, 1), _clip(self.tilt, -1, 1), _clip(self.zoom, 0, 1))


def _clip(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


@dataclass
class _Motion:
    start: Vector
    velocity: Vector
    t0: float
    until: float


@dataclass
class PtzHead:
    position: Vector = field(default_factory=Vector)
    home: Vector = field(default_factory=Vector)
    presets: dict[str, tuple[str, Vector]] = field(default_factory=dict)  # token: (name, pos)
    _motion: _Motion | None = None
    _next_token: int = 1

    def at(self, now: float) -> Vector:
        """The position at loop time `now` (a continuous move in progress included)."""
        motion = self._motion
        if motion is None:
            return self.position
        t = min(now, motion.until) - motion.t0
        start, v = motion.start, motion.velocity
        return Vector(
            start.pan + v.pan * SPEED[0] * t,
            start.tilt + v.tilt * SPEED[1] * t,
            start.zoom + v.zoom * SPEED[2] * t,
        ).clamped()

    def moving(self, now: float) -> bool:
        return self._motion is not None and now < self._motion.until

    def absolute(self, now: float, target: Vector) -> None:
        self._motion = None
        self.position = target.clamped()

    def relative(self, now: float, delta: Vector) -> None:
        here = self.at(now)
        self.absolute(
            now, Vector(here.pan + delta.pan, here.tilt + delta.tilt, here.zoom + delta.zoom)
        )

    def continuous(self, now: float, velocity: Vector, timeout: float | None) -> None:
        start = self.at(now)
        self.position = start
        seconds = DEFAULT_TIMEOUT if timeout is None else max(0.0, timeout)
        v = Vector(
            _clip(velocity.pan, -1, 1), _clip(velocity.tilt, -1, 1), _clip(velocity.zoom, -1, 1)
        )
        self._motion = _Motion(start, v, now, now + seconds)

    def stop(self, now: float) -> None:
        self.position = self.at(now)
        self._motion = None

    # -- presets and home ------------------------------------------------------------------

    def set_preset(self, now: float, name: str, token: str | None) -> str:
        if token is None:
            if len(self.presets) >= MAX_PRESETS:
                raise ValueError("too many presets")
            token, self._next_token = f"preset{self._next_token}", self._next_token + 1
        elif token not in self.presets:
            raise KeyError(token)
        self.presets[token] = (name or token, self.at(now))
        return token

    def goto_preset(self, now: float, token: str) -> None:
        self.absolute(now, self.presets[token][1])

    def remove_preset(self, token: str) -> None:
        del self.presets[token]
