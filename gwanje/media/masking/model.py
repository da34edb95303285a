"""The mask plan (마스킹 계획): which boxes are masked on which frame of one clip, and why.

Owns: `Box`, `Track`, `SourceInfo`, `MaskPlan` and its JSON form (`gwanje-mask-plan/1`).
The plan is what the officer reviews and edits and what the audit trail records (its
SHA-256, `MaskPlan.digest`), so it is plain data: no frames, no model state.

A track is a run of frames [first, last] with key boxes; on a frame between two keys its
box is interpolated linearly, before the first key or after the last it is held. Automatic
tracks (origin `auto`) come from the detector and the tracker (`tracking.py`) and are
padded by `padding` of their size on each side; manual tracks (origin `manual`) are the
officer's boxes, masked exactly as drawn.

Invariants (checked when a plan is built or read, `BadPlan` otherwise): every box lies
inside the frame and has positive size; every track lies inside the clip and has keys in
increasing frame order within its range; track ids are unique. Removing a track marks it
`removed` (kept in the plan, so the review shows what was unmasked and by which edit);
`edits` lists every edit in order.
"""

from __future__ import annotations

import bisect
import hashlib
import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gwanje.media.masking.errors import BadPlan

FORMAT = "gwanje-mask-plan/1"
KeyRow = tuple[int, int, int, int, int]  # frame, x, y, w, h


class Box(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    x: int = Field(ge=0, description="left edge, pixels")
    y: int = Field(ge=0, description="top edge, pixels")
    w: int = Field(gt=0, description="width, pixels")
    h: int = Field(gt=0, description="height, pixels")

    def inside(self, width: int, height: int) -> bool:
        return self.x + self.w <= width and self.y + self.h <= height

    def padded(self, fraction: float, width: int, height: int) -> Box:
        """Grown by `fraction` of its size on every side, clipped to the frame."""
        dx, dy = round(self.w * fraction), round(self.h * fraction)
        left, top = max(0, self.x - dx), max(0, self.y - dy)
        right = min(width, self.x + self.w + dx)
        bottom = min(height, self.y + self.h + dy)
        return Box(x=left, y=top, w=right - left, h=bottom - top)


class Origin(StrEnum):
    AUTO = "auto"
    MANUAL = "manual"


class Track(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(description="'a<n>' for automatic tracks, 'm<n>' for manual ones")
    origin: Origin
    kind: str = Field(description="what the detector saw ('face'), or 'manual'")
    first: int = Field(ge=0, description="first frame masked (0-based, presentation order)")
    last: int = Field(ge=0, description="last frame masked, inclusive")
    keys: list[KeyRow] = Field(min_length=1, description="[frame, x, y, w, h], by frame")
    score: float | None = Field(default=None, description="best detector score (auto)")
    removed: bool = Field(default=False, description="the officer took this track out")

    def box_at(self, frame: int) -> Box | None:
        """The track's box on `frame` (interpolated between keys), None outside its range."""
        if not self.first <= frame <= self.last:
            return None
        # Keys are sorted by frame: a binary search, not a scan (apply asks for every frame).
        after = bisect.bisect_left(self.keys, frame, key=lambda key: key[0])
        count = len(self.keys)
        if after == count or self.keys[after][0] == frame or after == 0:
            return _box(self.keys[min(after, count - 1)])
        before, nxt = self.keys[after - 1], self.keys[after]
        t = (frame - before[0]) / (nxt[0] - before[0])
        x, y, w, h = (round(a + (b - a) * t) for a, b in zip(before[1:], nxt[1:], strict=True))
        return Box(x=x, y=y, w=w, h=h)


def _box(key: KeyRow) -> Box:
    return Box(x=key[1], y=key[2], w=key[3], h=key[4])


class SourceInfo(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(description="file name of the clip (no directories)")
    sha256: str = Field(description="SHA-256 of the clip's bytes; apply refuses another file")
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    frames: int = Field(gt=0, description="decoded frames")
    rate: str = Field(description="average frame rate as a fraction, e.g. '25/1'")


class Edit(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    action: Literal["add", "remove", "restore"]
    track: str


class MaskPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["gwanje-mask-plan/1"] = "gwanje-mask-plan/1"
    source: SourceInfo
    detector: str | None = Field(description="model and version that proposed the auto tracks")
    threshold: float | None = Field(description="detector score a face needed")
    padding: float = Field(ge=0, le=1, description="auto boxes grow by this on each side")
    detect_cpu_seconds: float = Field(ge=0, description="CPU time spent planning (charging)")
    tracks: list[Track] = Field(default_factory=list)
    edits: list[Edit] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        ids = [track.id for track in self.tracks]
        if len(set(ids)) != len(ids):
            raise ValueError("track ids repeat")
        for track in self.tracks:
            _check_track(track, self.source)
        return self

    def boxes_at(self, frame: int) -> list[Box]:
        """The boxes to mask on `frame`: every track not removed, auto ones padded."""
        boxes = []
        for track in self.tracks:
            box = None if track.removed else track.box_at(frame)
            if box is not None and track.origin is Origin.AUTO:
                box = box.padded(self.padding, self.source.width, self.source.height)
            if box is not None:
                boxes.append(box)
        return boxes

    def track(self, track_id: str) -> Track:
        for track in self.tracks:
            if track.id == track_id:
                return track
        raise BadPlan("masking.no_track", track=track_id)

    def add_manual(self, keys: Sequence[tuple[int, Box]], first: int, last: int) -> Track:
        """A manual track over frames [first, last] through the officer's key boxes
        (one box is held over the range; several are interpolated; `follow` makes them)."""
        rows = sorted((frame, b.x, b.y, b.w, b.h) for frame, b in keys)
        number = 1 + sum(1 for t in self.tracks if t.origin is Origin.MANUAL)
        try:
            track = Track(id=f"m{number}", origin=Origin.MANUAL, kind="manual", first=first,
                          last=last, keys=rows)  # fmt: skip
        except ValidationError as exc:
            raise BadPlan("masking.bad_plan", reason=str(exc.errors()[0]["msg"])) from exc
        _check_track(track, self.source)
        self.tracks.append(track)
        self.edits.append(Edit(action="add", track=track.id))
        return track

    def remove(self, track_id: str) -> None:
        """Unmask a track (a false detection, or the requesting subject's own face)."""
        self.track(track_id).removed = True
        self.edits.append(Edit(action="remove", track=track_id))

    def restore(self, track_id: str) -> None:
        self.track(track_id).removed = False
        self.edits.append(Edit(action="restore", track=track_id))

    def to_json(self) -> str:
        """Canonical JSON (sorted keys, no spaces): the bytes `digest` hashes."""
        data = self.model_dump(mode="json")
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    def digest(self) -> str:
        return hashlib.sha256(self.to_json().encode()).hexdigest()

    @classmethod
    def from_json(cls, text: str | bytes) -> MaskPlan:
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            reason = "; ".join(str(e["msg"]) for e in exc.errors()[:3])
            raise BadPlan("masking.bad_plan", reason=reason) from exc


def _check_track(track: Track, source: SourceInfo) -> None:
    """Raise BadPlan unless the track lies inside the clip and its frames."""
    last_frame = source.frames - 1
    for frame in (track.first, track.last):
        if frame > last_frame:
            raise BadPlan("masking.frame_outside", frame=frame, last=last_frame)
    if track.first > track.last:
        raise BadPlan("masking.bad_range", first=track.first, last=track.last)
    frames = [key[0] for key in track.keys]
    if frames != sorted(set(frames)) or frames[0] < track.first or frames[-1] > track.last:
        raise BadPlan("masking.bad_keys", track=track.id)
    for key in track.keys:
        try:
            box = _box(key)
        except ValidationError as exc:
            raise BadPlan("masking.bad_box", box=list(key[1:])) from exc
        if not box.inside(source.width, source.height):
            raise BadPlan("masking.box_outside", box=list(key[1:]),
                          width=source.width, height=source.height)  # fmt: skip
