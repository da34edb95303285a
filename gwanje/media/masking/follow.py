"""The officer's manual box, followed through a range of frames of the clip.

Owns: `follow_box`, which decodes frames [frame, last] of the source and moves the box
with what it covers (`tracking.follow`), returning key boxes for `MaskPlan.add_manual`.
Invariant: read-only on the source; the box and the range are checked against the clip
(`BadPlan`) before anything is decoded past them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av

from gwanje.media.masking.errors import BadPlan
from gwanje.media.masking.model import Box
from gwanje.media.masking.tracking import Gray, follow
from gwanje.media.masking.video import decoded, pixels


def follow_box(source: Path, frame: int, box: Box, last: int) -> list[tuple[int, Box]]:
    """Key boxes on every frame from `frame` (where `box` was drawn) to `last`."""
    if not 0 <= frame <= last:
        raise BadPlan("masking.bad_range", first=frame, last=last)
    with decoded(source) as (stream, frames):
        width, height = stream.codec_context.width, stream.codec_context.height
        if not box.inside(width, height):
            raise BadPlan("masking.box_outside", box=[box.x, box.y, box.w, box.h],
                          width=width, height=height)  # fmt: skip
        grays = list(_lumas(frames, frame, last))
    if len(grays) != last - frame + 1:
        raise BadPlan("masking.frame_outside", frame=last, last=frame + len(grays) - 1)
    return list(zip(range(frame, last + 1), follow(grays, box), strict=True))


def _lumas(frames: Iterator[av.VideoFrame], first: int, last: int) -> Iterator[Gray]:
    for index, decoded_frame in enumerate(frames):
        if index > last:
            return
        if index >= first:
            yield pixels(decoded_frame, "gray")
