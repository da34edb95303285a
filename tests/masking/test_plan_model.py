"""The mask plan as data: interpolation, padding, officer edits, JSON and its checks."""

from __future__ import annotations

import json

import pytest

from gwanje.media.masking import BadPlan, Box, MaskPlan, Origin, SourceInfo

SOURCE = SourceInfo(name="c.mp4", sha256="0" * 64, width=640, height=360, frames=100, rate="25/1")


def _plan() -> MaskPlan:
    return MaskPlan(source=SOURCE, detector=None, threshold=None, padding=0.25,
                    detect_cpu_seconds=0.0)  # fmt: skip


def test_manual_keys_are_interpolated_and_held() -> None:
    plan = _plan()
    track = plan.add_manual(
        [(20, Box(x=0, y=0, w=40, h=40)), (30, Box(x=100, y=50, w=60, h=40))], first=10, last=40
    )
    assert track.box_at(9) is None
    assert track.box_at(41) is None
    assert track.box_at(10) == Box(x=0, y=0, w=40, h=40)  # held before the first key
    assert track.box_at(25) == Box(x=50, y=25, w=50, h=40)
    assert track.box_at(40) == Box(x=100, y=50, w=60, h=40)  # held after the last
    assert plan.boxes_at(25) == [Box(x=50, y=25, w=50, h=40)]  # manual boxes: not padded


def test_auto_boxes_are_padded_and_clipped_to_the_frame() -> None:
    plan = _plan()
    plan.add_manual([(0, Box(x=600, y=0, w=40, h=40))], first=0, last=0)
    plan.tracks[0].origin = Origin.AUTO
    assert plan.boxes_at(0) == [Box(x=590, y=0, w=50, h=50)]


def test_remove_and_restore_are_recorded_in_order() -> None:
    plan = _plan()
    track = plan.add_manual([(0, Box(x=1, y=1, w=9, h=9))], first=0, last=5)
    plan.remove(track.id)
    assert plan.boxes_at(3) == []
    plan.restore(track.id)
    assert plan.boxes_at(3) == [Box(x=1, y=1, w=9, h=9)]
    assert [(e.action, e.track) for e in plan.edits] == [("add", "m1"), ("remove", "m1"),
                                                        ("restore", "m1")]  # fmt: skip


def test_json_round_trip_keeps_the_digest() -> None:
    plan = _plan()
    plan.add_manual([(3, Box(x=1, y=2, w=3, h=4))], first=0, last=9)
    again = MaskPlan.from_json(plan.to_json())
    assert again == plan
    assert again.digest() == plan.digest()
    data = json.loads(plan.to_json())
    assert data["format"] == "gwanje-mask-plan/1"
    assert data["tracks"][0]["keys"] == [[3, 1, 2, 3, 4]]


@pytest.mark.parametrize(
    ("keys", "first", "last", "key"),
    [
        ([(0, Box(x=620, y=0, w=40, h=40))], 0, 5, "masking.box_outside"),
        ([(0, Box(x=0, y=0, w=4, h=4))], 0, 100, "masking.frame_outside"),
        ([(7, Box(x=0, y=0, w=4, h=4))], 0, 5, "masking.bad_keys"),
        ([(0, Box(x=0, y=0, w=4, h=4))], 6, 5, "masking.bad_range"),
        ([(0, Box(x=0, y=0, w=4, h=4))], -1, 5, "masking.bad_plan"),
    ],
)
def test_edits_outside_the_clip_are_refused(
    keys: list[tuple[int, Box]], first: int, last: int, key: str
) -> None:
    plan = _plan()
    with pytest.raises(BadPlan) as caught:
        plan.add_manual(keys, first=first, last=last)
    assert caught.value.key == key
    assert plan.tracks == []
    assert plan.edits == []


def test_unknown_track_and_tampered_json_are_refused() -> None:
    plan = _plan()
    with pytest.raises(BadPlan, match="no track a9"):
        plan.remove("a9")
    plan.add_manual([(0, Box(x=0, y=0, w=4, h=4))], first=0, last=5)
    data = json.loads(plan.to_json())
    data["tracks"][0]["keys"][0][1] = 639  # now it pokes out of the frame
    with pytest.raises(BadPlan, match="outside the 640×360 frame"):
        MaskPlan.from_json(json.dumps(data))
    with pytest.raises(BadPlan, match="not valid"):
        MaskPlan.from_json('{"format": "something else"}')
    with pytest.raises(BadPlan, match="not valid"):
        MaskPlan.from_json("not json")
