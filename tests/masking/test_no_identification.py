"""ORD-27: no collection aimed at watching a specific person. The only face analysis in
Gwanje finds faces to blur them: a detection is a box, a score and a kind — never an
identity, an embedding or a match — and a mask plan stores tracks within one clip only.
These tests fail if either grows a field that could identify or follow a person (the
PTZ side, auto-tracking only for crime prevention, is tests/ptz/test_ptz_policy.py)."""

from __future__ import annotations

import dataclasses

from gwanje.analytics.detection import Detection, DetectionKind
from gwanje.media.masking import MaskPlan, Track


def test_a_detection_locates_a_face_and_names_nobody() -> None:
    fields = {f.name for f in dataclasses.fields(Detection)}
    assert fields == {"x", "y", "w", "h", "score", "kind"}
    assert {k.value for k in DetectionKind} <= {"face", "person", "vehicle", "plate"}


def test_a_mask_plan_keeps_boxes_of_one_clip_not_people() -> None:
    assert set(Track.model_fields) == {"id", "origin", "kind", "first", "last", "keys",
                                       "score", "removed"}  # fmt: skip
    assert set(MaskPlan.model_fields) == {"format", "source", "detector", "threshold",
                                          "padding", "detect_cpu_seconds", "tracks",
                                          "edits"}  # fmt: skip
