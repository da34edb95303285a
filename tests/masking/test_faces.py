"""The offline face detector on real face pixels (the seeded clip's public-domain photo)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from frames_kit import frames, overlap
from seeded_clip import Clip, make_clip

from gwanje.analytics.detection import DetectionKind
from gwanje.analytics.faces import YuFaceDetector


def test_detector_finds_every_seeded_face_in_the_input(
    clip: Clip, detector: YuFaceDetector
) -> None:
    decoded = frames(clip.path)
    for index in range(0, clip.frames, 5):
        found = [(d.x, d.y, d.w, d.h) for d in detector.detect(decoded[index])]
        for person in clip.people:
            assert any(overlap(person.boxes[index], box) > 0.6 for box in found), (
                f"{person.name} not found on frame {index}: {found}"
            )


def test_detections_are_faces_with_scores_inside_the_frame(
    clip: Clip, detector: YuFaceDetector
) -> None:
    for d in detector.detect(frames(clip.path)[0]):
        assert d.kind is DetectionKind.FACE
        assert detector.threshold <= d.score <= 1.0
        assert d.x >= 0
        assert d.x + d.w <= clip.width
        assert d.y >= 0
        assert d.y + d.h <= clip.height


def test_a_frame_without_people_has_no_faces(detector: YuFaceDetector) -> None:
    rng = np.random.default_rng(3)
    noise = rng.integers(0, 256, (360, 640, 3), dtype=np.uint8)
    assert detector.detect(noise) == []
    assert detector.detect(np.full((360, 640, 3), 128, np.uint8)) == []


def test_large_frames_are_scaled_down_and_boxes_scaled_back(
    tmp_path: Path, detector: YuFaceDetector
) -> None:
    big = make_clip(tmp_path / "big.mp4", width=1920, height=1080, seconds=0.2)
    found = [(d.x, d.y, d.w, d.h) for d in detector.detect(frames(big.path)[0])]
    for person in big.people:
        assert any(overlap(person.boxes[0], box) > 0.6 for box in found), person.name
