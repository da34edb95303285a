"""The CPU work of masking, run in a spawned worker process (`masking.MaskingRunner`):
detect faces and write the plan; apply a reviewed plan. Plain arguments in, plain dicts
out, no database: a crash here (a codec, the detector) fails the job, not the web
process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gwanje.fsutil import replace_durably
from gwanje.media.masking import MaskPlan, apply, plan


def make_plan(source: str, plan_path: str, stride: int) -> dict[str, Any]:
    """Detect and track faces in `source`; write the plan whole; describe it."""
    from gwanje.analytics.faces import YuFaceDetector

    mask_plan = plan(Path(source), YuFaceDetector(), stride=stride)
    replace_durably(Path(plan_path), mask_plan.to_json().encode())
    return {
        "digest": mask_plan.digest(), "source_sha256": mask_plan.source.sha256,
        "frames": mask_plan.source.frames, "rate": mask_plan.source.rate,
        "auto_tracks": len(mask_plan.tracks), "cpu_seconds": mask_plan.detect_cpu_seconds,
    }  # fmt: skip


class PlanChanged(Exception):
    """The plan on disk is not the one the officer approved."""


def apply_plan(source: str, plan_path: str, dest: str, digest: str) -> dict[str, Any]:
    """Apply exactly the approved plan (by digest) to `source`, writing `dest`."""
    mask_plan = MaskPlan.from_json(Path(plan_path).read_bytes())
    if mask_plan.digest() != digest:
        raise PlanChanged(f"plan digest {mask_plan.digest()} is not the approved {digest}")
    report = apply(mask_plan, Path(source), Path(dest))
    return {
        "output_sha256": report.output_sha256, "output_bytes": report.output_bytes,
        "frames": report.frames, "masked_frames": report.masked_frames,
        "boxes": report.boxes, "cpu_seconds": report.cpu_seconds,
    }  # fmt: skip
