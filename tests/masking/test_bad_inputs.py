"""Bad input gives a clear error and no output file, never a crash or half a file."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import pytest
from seeded_clip import Clip

from gwanje.analytics.faces import YuFaceDetector
from gwanje.media.masking import (
    BadPlan,
    BadSource,
    Box,
    MaskPlan,
    PlanMismatch,
    UnsafeDestination,
    apply,
    follow_box,
    plan,
)
from gwanje.media.masking.video import sha256_of


def _no_output(directory: Path) -> None:
    assert sorted(p.name for p in directory.iterdir()) == []


def test_garbage_bytes(tmp_path: Path, detector: YuFaceDetector) -> None:
    bad = tmp_path / "in" / "garbage.mp4"
    bad.parent.mkdir()
    bad.write_bytes(bytes(range(256)) * 400)
    with pytest.raises(BadSource, match=r"garbage\.mp4 cannot be read"):
        plan(bad, detector)


def test_truncated_clip(clip: Clip, tmp_path: Path, detector: YuFaceDetector) -> None:
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(clip.path.read_bytes()[: clip.path.stat().st_size // 2])  # moov at the end
    with pytest.raises(BadSource, match=r"cut\.mp4 cannot be read"):
        plan(cut, detector)


def test_missing_file(tmp_path: Path, detector: YuFaceDetector) -> None:
    with pytest.raises(BadSource, match=r"nowhere\.mp4 cannot be read"):
        plan(tmp_path / "nowhere.mp4", detector)


@pytest.mark.parametrize(
    ("movflags", "message"),
    [
        ("", r"empty\.mp4 cannot be read: no video stream"),  # FFmpeg drops an empty track
        ("frag_keyframe+empty_moov", r"empty\.mp4 has no frames"),  # a recorder's init only
    ],
)
def test_zero_frames(tmp_path: Path, detector: YuFaceDetector, movflags: str, message: str) -> None:
    empty = tmp_path / "empty.mp4"
    options = {"movflags": movflags} if movflags else {}
    with av.open(str(empty), "w", format="mp4", options=options) as out:
        stream = out.add_stream("libx264", rate=Fraction(25))
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        out.start_encoding()  # header (and trailer) written, no frame
    with pytest.raises(BadSource, match=message):
        plan(empty, detector)


def test_a_plan_for_another_file_is_refused(
    clip: Clip, auto_plan: MaskPlan, tmp_path: Path
) -> None:
    other = tmp_path / "in" / "other.mp4"
    other.parent.mkdir()
    other.write_bytes(clip.path.read_bytes() + b"\0")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(PlanMismatch, match="made for another video"):
        apply(auto_plan, other, out / "masked.mp4")
    _no_output(out)


def test_never_in_place_nor_over_a_file(clip: Clip, auto_plan: MaskPlan, tmp_path: Path) -> None:
    before = sha256_of(clip.path)
    with pytest.raises(UnsafeDestination, match="Refusing to write over"):
        apply(auto_plan, clip.path, clip.path)
    existing = tmp_path / "done.mp4"
    existing.write_bytes(b"keep me")
    with pytest.raises(UnsafeDestination):
        apply(auto_plan, clip.path, existing)
    with pytest.raises(UnsafeDestination, match="does not exist"):
        apply(auto_plan, clip.path, tmp_path / "no" / "such" / "dir.mp4")
    assert existing.read_bytes() == b"keep me"
    assert sha256_of(clip.path) == before


def test_a_failure_while_writing_leaves_no_file(
    clip: Clip, auto_plan: MaskPlan, tmp_path: Path
) -> None:
    data = json.loads(auto_plan.to_json())
    data["source"]["frames"] += 10  # the plan expects frames the clip does not have
    wrong = MaskPlan.from_json(json.dumps(data))
    with pytest.raises(PlanMismatch, match="decoded to 75 frames but the plan covers 85"):
        apply(wrong, clip.path, tmp_path / "masked.mp4")
    _no_output(tmp_path)


def test_follow_refuses_boxes_and_ranges_outside_the_clip(clip: Clip) -> None:
    with pytest.raises(BadPlan, match="outside the 640×360 frame"):
        follow_box(clip.path, 0, Box(x=630, y=0, w=20, h=20), 10)
    with pytest.raises(BadPlan, match="outside the clip"):
        follow_box(clip.path, 70, Box(x=0, y=0, w=20, h=20), 90)
    with pytest.raises(BadPlan, match="not valid"):
        follow_box(clip.path, 9, Box(x=0, y=0, w=20, h=20), 3)
