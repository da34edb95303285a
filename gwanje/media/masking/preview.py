"""Review thumbnails: chosen frames of a clip as JPEG, with the plan's boxes drawn.

Owns: `preview`. For the officer's review page (the officer may see the footage; these
thumbnails are never released). Automatic boxes are drawn red, manual ones yellow,
removed tracks grey; with `masked=True` the boxes are pixelated as `apply` would, so the
officer sees what the subject will see.
Invariant: read-only on the source; frames outside the clip are refused (`BadPlan`).
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

from gwanje.media.masking.errors import BadPlan
from gwanje.media.masking.model import Box, MaskPlan, Origin
from gwanje.media.masking.video import decoded, mosaic, pixels

_RED, _YELLOW, _GREY = (230, 40, 40), (250, 210, 0), (150, 150, 150)


def preview(
    mask_plan: MaskPlan, source: Path, frames: Iterable[int], *, max_width: int = 640,
    masked: bool = False,
) -> dict[int, bytes]:  # fmt: skip
    """JPEG bytes for each frame index asked, boxes drawn (scaled to `max_width`)."""
    wanted = sorted(set(frames))
    last = mask_plan.source.frames - 1
    for index in wanted:
        if not 0 <= index <= last:
            raise BadPlan("masking.frame_outside", frame=index, last=last)
    out: dict[int, bytes] = {}
    with decoded(source) as (_, decoded_frames):
        for index, frame in enumerate(decoded_frames):
            if index in wanted:
                out[index] = _thumbnail(mask_plan, index, frame, max_width, masked)
            if len(out) == len(wanted):
                break
    return out


def _thumbnail(
    mask_plan: MaskPlan, index: int, frame: av.VideoFrame, max_width: int, masked: bool
) -> bytes:
    width, height = mask_plan.source.width, mask_plan.source.height
    if masked:
        image = pixels(frame, "yuv420p")
        for box in mask_plan.boxes_at(index):
            mosaic(image, width, height, box)
        frame = av.VideoFrame.from_ndarray(image, format="yuv420p")
    rgb = pixels(frame, "rgb24")
    thick = max(2, width // 320)
    for track in mask_plan.tracks:
        found = track.box_at(index)
        if found is None:
            continue
        auto = track.origin is Origin.AUTO
        box = found.padded(mask_plan.padding, width, height) if auto else found
        colour = _GREY if track.removed else _RED if track.origin is Origin.AUTO else _YELLOW
        _outline(rgb, box, colour, thick)
    return _jpeg(rgb, max_width)


def _outline(rgb: npt.NDArray[np.uint8], box: Box, colour: tuple[int, int, int], t: int) -> None:
    x0, y0, x1, y1 = box.x, box.y, box.x + box.w, box.y + box.h
    rgb[y0 : y0 + t, x0:x1] = colour
    rgb[max(y0, y1 - t) : y1, x0:x1] = colour
    rgb[y0:y1, x0 : x0 + t] = colour
    rgb[y0:y1, max(x0, x1 - t) : x1] = colour


def _jpeg(rgb: npt.NDArray[np.uint8], max_width: int) -> bytes:
    height, width = rgb.shape[:2]
    scale = min(1.0, max_width / width)
    out_w, out_h = 2 * max(1, round(width * scale / 2)), 2 * max(1, round(height * scale / 2))
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
    frame = frame.reformat(width=out_w, height=out_h, format="yuvj420p")
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height, codec.pix_fmt = out_w, out_h, "yuvj420p"
    codec.time_base = Fraction(1, 25)
    codec.options = {"qmin": "3", "qmax": "6"}
    packets = [*codec.encode(frame), *codec.encode(None)]
    return b"".join(bytes(packet) for packet in packets)
