"""Frames drawn on in Python, encoded again as H.264 in an MP4 (x264, which PyAV's FFmpeg
carries): the one re-encoding path of evidence watermarks and of masked clips.

Owns: `H264Mp4`. Invariants: video only (ORD-10.2); the output's timestamps are the
source frames' own, moved so the first frame is at 0 (so frame timing is kept and a clip
cut from the middle of a recording starts at 0); every frame given is encoded, in order.
"""

from __future__ import annotations

from fractions import Fraction
from types import TracebackType
from typing import IO, Any

import av
import numpy as np


class H264Mp4:
    """`with H264Mp4(out, width, height, rate, preset=..., crf=...) as mp4: mp4.add(image,
    frame)` — `image` yuv420p pixels (planes stacked, as `to_ndarray(format="yuv420p")`
    gives them), `frame` the decoded source frame it was drawn from (its timestamp)."""

    def __init__(self, out: IO[bytes], width: int, height: int, rate: Fraction, *,
                 preset: str, crf: int) -> None:  # fmt: skip
        self._writer: Any = av.open(out, "w", format="mp4")
        self._encoder = self._writer.add_stream("libx264", rate=rate)
        self._encoder.width, self._encoder.height = width, height
        self._encoder.pix_fmt = "yuv420p"
        self._encoder.options = {"preset": preset, "crf": str(crf)}
        self._first_pts: int | None = None

    def add(self, image: np.ndarray, source: av.VideoFrame) -> None:
        frame = av.VideoFrame.from_ndarray(image, format="yuv420p")
        if source.pts is not None:
            self._first_pts = source.pts if self._first_pts is None else self._first_pts
            frame.pts, frame.time_base = source.pts - self._first_pts, source.time_base
        self._writer.mux(self._encoder.encode(frame))

    def __enter__(self) -> H264Mp4:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:  # fmt: skip
        try:
            if kind is None:  # flush the encoder only for a clip that is complete
                self._writer.mux(self._encoder.encode(None))
        finally:
            self._writer.close()
