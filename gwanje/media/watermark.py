"""A burned-in watermark for exported evidence: the only export path that re-encodes.

Owns: `watermark_mp4`, which decodes an exported clip, draws a text line (who exported
it, for which request, when) on every frame and encodes it again with x264 (the encoder
PyAV's FFmpeg carries). The manifest of such a package says `re_encoded: true` and the
text, so nobody takes it for the original recording; the recording itself is untouched.

Invariants: video only in and out (ORD-10.2); the text uses the bundled 5x7 font (ASCII;
other characters render blank, never fail); frame count and timing are kept.
Bounded: the clip is held in memory, so `MAX_SECONDS` limits a watermarked export.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from fractions import Fraction

import av
import numpy as np

from gwanje.media.font import GLYPH_H, render_text
from gwanje.media.reencode import H264Mp4

MAX_SECONDS = 600
_WHITE, _SHADOW = 235, 16


def burn_text(luma: np.ndarray, text: str, line: int = 0) -> None:
    """Draw `text` on text line `line` from the top left of a Y plane, in place (light
    text, dark shadow); what does not fit the picture is cut off. Also used by live
    shares (`gwanje.sharing.transcode`), which burn the recipient and the time."""
    height, width = luma.shape
    scale = max(1, height // 240)
    top, left = 2 * scale + line * (GLYPH_H + 3) * scale, 2 * scale
    mask = render_text(text, scale)
    mask = mask[: max(0, height - top - scale), : max(0, width - left - scale)]
    h, w = mask.shape
    luma[top + scale : top + h + scale, left + scale : left + w + scale][mask] = _SHADOW
    luma[top : top + h, left : left + w][mask] = _WHITE


def watermark_mp4(chunks: Iterable[bytes], text: str) -> Iterator[bytes]:
    """The clip re-encoded with `text` burned into every frame, as MP4 bytes."""
    source = io.BytesIO(b"".join(chunks))
    out = io.BytesIO()
    with av.open(source, "r", format="mp4") as reader:
        video = reader.streams.video[0]
        rate = video.average_rate or Fraction(25)
        size = video.codec_context.width, video.codec_context.height
        with H264Mp4(out, *size, Fraction(rate), preset="veryfast", crf=20) as mp4:
            for frame in reader.decode(video=0):
                if frame.time is not None and frame.time > MAX_SECONDS:
                    raise ValueError(f"a watermarked export is limited to {MAX_SECONDS} s")
                image = frame.to_ndarray(format="yuv420p")
                burn_text(image[: frame.height], text)
                mp4.add(image, frame)
    yield out.getvalue()
