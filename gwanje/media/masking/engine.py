"""The masking engine (제3자 마스킹): propose a plan for a clip, and apply a reviewed plan.

Owns: `plan` (decode, detect, track → `MaskPlan`), `apply` (decode, pixelate the plan's
boxes, encode H.264 → `MaskReport`), `MaskReport`.

Procedure of `apply`, in order:
1. refuse a destination that exists or is the source (never in place);
2. hash the source and refuse it unless it is the file the plan was made for;
3. decode every frame; on frames with boxes, pixelate them (`video.mosaic`); encode with
   libx264 into `<dest>.part`, video only, frame timing kept;
4. refuse (and delete the `.part`) if the frame count differs from the plan's;
5. fsync, rename to `dest`, fsync the directory; hash the output for the report.
The original footage is only ever read. CPU seconds are the process's (x264's threads
included), meant for the masking fee; run `apply` in a worker process for a clean figure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

from gwanje.analytics.detection import Detector
from gwanje.media.masking.errors import BadSource, PlanMismatch
from gwanje.media.masking.model import MaskPlan, SourceInfo
from gwanje.media.masking.tracking import Tracker
from gwanje.media.masking.video import (
    check_destination,
    decoded,
    mosaic,
    open_output,
    pixels,
    sha256_of,
)
from gwanje.media.reencode import H264Mp4


@dataclass(frozen=True)
class MaskReport:
    """What `apply` did: for the audit entry, the charge and the release record."""

    dest: Path
    frames: int
    masked_frames: int  # frames with at least one box
    boxes: int  # boxes pixelated, over all frames
    cpu_seconds: float  # decode + pixelate + encode, this process
    wall_seconds: float
    source_sha256: str
    plan_sha256: str  # MaskPlan.digest() of the plan applied
    output_sha256: str
    output_bytes: int
    codec: str = "h264"


def plan(
    source: Path, detector: Detector, *, stride: int = 1, padding: float = 0.25,
    max_gap: int = 5, hold: int = 3,
) -> MaskPlan:  # fmt: skip
    """Detect faces on every `stride`-th frame of `source` and track them into a plan.

    With `stride` > 1 the frames between detections are interpolated; keep `max_gap`
    at least `stride` so tracks survive between them.
    """
    cpu = time.process_time()
    digest = sha256_of(source)
    tracker = Tracker(max_gap=max(max_gap, stride), hold=hold)
    count = 0
    with decoded(source) as (stream, frames):
        width, height = stream.codec_context.width, stream.codec_context.height
        _check_size(source, width, height)
        for index, frame in enumerate(frames):
            count = index + 1
            if index % stride == 0:
                tracker.add(index, detector.detect(pixels(frame, "rgb24")))
        rate = stream.average_rate or Fraction(25)
    if count == 0:
        raise BadSource("masking.no_frames", name=source.name)
    info = SourceInfo(name=source.name, sha256=digest, width=width, height=height,
                      frames=count, rate=f"{rate.numerator}/{rate.denominator}")  # fmt: skip
    return MaskPlan(source=info, detector=detector.name, threshold=_threshold(detector),
                    padding=padding, detect_cpu_seconds=round(time.process_time() - cpu, 3),
                    tracks=tracker.tracks(count))  # fmt: skip


def _threshold(detector: Detector) -> float | None:
    value = getattr(detector, "threshold", None)
    return float(value) if isinstance(value, int | float) else None


def _check_size(source: Path, width: int, height: int) -> None:
    if width <= 0 or height <= 0 or width % 2 or height % 2:
        raise BadSource("masking.bad_source", name=source.name,
                        reason=f"frame size {width}x{height} (must be even)")  # fmt: skip


def apply(
    mask_plan: MaskPlan, source: Path, dest: Path, *, crf: int = 20, preset: str = "veryfast"
) -> MaskReport:
    """Write `source` with the plan's boxes pixelated to the new file `dest`."""
    started, cpu = time.monotonic(), time.process_time()
    check_destination(source, dest)
    source_sha = sha256_of(source)
    if source_sha != mask_plan.source.sha256:
        raise PlanMismatch("masking.plan_mismatch", expected=mask_plan.source.sha256,
                           actual=source_sha)  # fmt: skip
    with open_output(dest) as out:
        frames, masked, boxes = _transcode(mask_plan, source, out, crf, preset)
    output_sha = sha256_of(dest)
    return MaskReport(dest=dest, frames=frames, masked_frames=masked, boxes=boxes,
                      cpu_seconds=round(time.process_time() - cpu, 3),
                      wall_seconds=round(time.monotonic() - started, 3),
                      source_sha256=source_sha, plan_sha256=mask_plan.digest(),
                      output_sha256=output_sha, output_bytes=dest.stat().st_size)  # fmt: skip


def _transcode(
    mask_plan: MaskPlan, source: Path, out: BinaryIO, crf: int, preset: str
) -> tuple[int, int, int]:
    """Decode, pixelate, encode; (frames, masked frames, boxes)."""
    info = mask_plan.source
    frames = masked = boxes = 0
    size = info.width, info.height
    with (
        decoded(source) as (_, decoded_frames),
        H264Mp4(out, *size, Fraction(info.rate), preset=preset, crf=crf) as mp4,
    ):
        for index, frame in enumerate(decoded_frames):
            if (frame.width, frame.height) != size:
                raise PlanMismatch("masking.size_changed", frame=index)
            found = mask_plan.boxes_at(index)
            image = pixels(frame, "yuv420p")
            for box in found:
                mosaic(image, info.width, info.height, box)
            mp4.add(image, frame)
            frames, masked, boxes = index + 1, masked + bool(found), boxes + len(found)
    if frames != info.frames:
        raise PlanMismatch("masking.frame_count", planned=info.frames, decoded=frames)
    return frames, masked, boxes
