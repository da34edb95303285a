"""Stream profiles: what each simulated camera's main and sub streams look like.

Owns: `StreamSpec`, `Profile` and the named profiles (`default`, `test`).
Invariants (checked in `Profile.__post_init__`): the frame rate is a whole number shared by
main and sub (one ticker paces every stream), the clip length is a whole number of GOPs
(so the loop point is an IDR and the looped stream keeps a regular keyframe cadence), and
frame sizes are even (4:2:0 chroma).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from typing import Literal

StreamName = Literal["main", "sub"]
STREAMS: tuple[StreamName, ...] = ("main", "sub")


@dataclass(frozen=True)
class StreamSpec:
    width: int
    height: int
    bitrate: int  # bits per second, the x264 target (VBV-capped)


@dataclass(frozen=True)
class Profile:
    name: str
    main: StreamSpec
    sub: StreamSpec
    fps: int = 25
    gop: int = 25  # frames between IDRs; 25 at 25 fps = one keyframe per second
    clip_seconds: int = 8
    variants: int = 4  # scene variants, assigned to cameras round-robin
    audio_rate: int = 16000
    audio_bitrate: int = 32000
    x264_preset: str = "superfast"
    noise: int = 5  # amplitude of the per-frame luma noise that gives the encoder work
    faces: int = 0  # people (a real face photo) walking through every scene: masking tests

    def __post_init__(self) -> None:
        if self.fps <= 0 or self.gop <= 0 or self.variants <= 0 or self.clip_seconds <= 0:
            raise ValueError("fps, gop, variants and clip_seconds must be positive")
        if (self.fps * self.clip_seconds) % self.gop:
            raise ValueError("the clip must be a whole number of GOPs (fps*clip_seconds % gop)")
        for spec in (self.main, self.sub):
            if spec.width % 2 or spec.height % 2 or spec.width < 32 or spec.height < 32:
                raise ValueError("frame sizes must be even and at least 32x32")

    @property
    def frames(self) -> int:
        return self.fps * self.clip_seconds

    def stream(self, name: StreamName) -> StreamSpec:
        return self.main if name == "main" else self.sub

    def fingerprint(self) -> str:
        """Stable hash of everything that shapes the generated clips (manifest key)."""
        blob = json.dumps(asdict(self), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def with_gop(self, gop: int) -> Profile:
        return replace(self, gop=gop)


DEFAULT = Profile(
    name="default",
    main=StreamSpec(1920, 1080, 4_000_000),
    sub=StreamSpec(640, 360, 500_000),
)

# Small enough that a test session generates its clips in a few seconds and PyAV decodes
# them in milliseconds; 2-second clips so a loop is crossed quickly.
TEST = Profile(
    name="test",
    main=StreamSpec(320, 180, 300_000),
    sub=StreamSpec(160, 90, 100_000),
    clip_seconds=2,
    variants=2,
    x264_preset="ultrafast",
)

# The test size with two people walking through every scene (a real face photograph):
# footage to mask for data-subject requests (tests, and `gwanje camsim --profile faces`).
FACES = replace(TEST, name="faces", faces=2)

PROFILES: dict[str, Profile] = {"default": DEFAULT, "test": TEST, "faces": FACES}
