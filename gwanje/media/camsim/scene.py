"""Synthetic scenes: the pictures and the tone that the clips are encoded from.

Owns: `SceneRenderer` (one per variant and resolution) and `tone`.
Invariants: output depends only on (variant, width, height, frame index, profile), never
on time or global random state, so generation is deterministic; motion is periodic over
the clip, so the loop point shows no jump in the picture.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import numpy.typing as npt

from gwanje.media.camsim.profile import Profile
from gwanje.media.font import GLYPH_H, render_text

U8 = npt.NDArray[np.uint8]
# A real face photograph (public domain, faces/LICENSE.md): profiles with `faces` walk
# people with this face through the scene, so masking can be tested on recorded video.
FACE_PHOTO = Path(__file__).parent / "faces" / "astronaut.jpg"
_INK = 235
_PAPER = 16
_LINE = 20


def variant_label(index: int) -> str:
    return chr(ord("A") + index % 26) + ("" if index < 26 else str(index // 26))


class SceneRenderer:
    """Draws frame i of a variant as a planar YUV 4:2:0 array of shape (h*3/2, w)."""

    def __init__(self, profile: Profile, variant: int, width: int, height: int, stream: str):
        self.w, self.h, self.frames = width, height, profile.frames
        self.fps, self.variant = profile.fps, variant
        rng = np.random.default_rng(1000 + variant * 7 + width)
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        angle = 0.4 + 0.55 * variant
        period = max(16.0, width / (6 + 2 * variant))
        phase = (xx * np.cos(angle) + yy * np.sin(angle)) / period
        tri = np.abs((phase % 2.0) - 1.0)  # triangle wave, 0..1
        self.base: U8 = (40 + 150 * tri).astype(np.uint8)
        # Thin dark lines along the stripes: the sharp edges of a real view (poles, kerbs,
        # façades), which a defocused lens loses and an image check can miss.
        self.base[(phase % 1.0) < 1.6 / period] = _LINE
        # A small pool of noise fields cycled per frame: gives x264 real residual to code,
        # so the bitrate is camera-like, at the cost of one add per pixel.
        amp = max(1, profile.noise)
        self.noise: list[U8] = [
            rng.integers(0, amp, (height, width), dtype=np.uint8) for _ in range(7)
        ]
        tint = ((variant * 53) % 60 - 30, (variant * 97) % 60 - 30)
        self.chroma = self._planar_chroma(128 + tint[0], 128 + tint[1])
        self.scale = max(1, height // 180)
        label = f"GWANJE CAMSIM VARIANT {variant_label(variant)} {stream.upper()} {width}x{height}"
        self.label = render_text(label, self.scale)
        self.faces = [_face_luma(round(height * 0.45), mirror=n % 2 == 1)
                      for n in range(profile.faces)]  # fmt: skip

    def _planar_chroma(self, u: int, v: int) -> U8:
        # PyAV's yuv420p ndarray is the flat planes Y, U, V reshaped to (h*3/2, w): the U
        # plane fills the first h*w/4 values after Y, whatever the row boundaries.
        quarter = self.h * self.w // 4
        flat = np.full(2 * quarter, v, dtype=np.uint8)
        flat[:quarter] = u
        return flat.reshape(self.h // 2, self.w)

    def frame(self, i: int) -> U8:
        y = self.scene(i)
        self.osd(y, i)
        return np.concatenate([y, self.chroma])

    def scene(self, i: int) -> U8:
        """The luma the lens sees in frame i, before the on-screen text is burnt in."""
        shift = (i * self.w) // self.frames  # one full scroll per clip: seamless loop
        y = np.roll(self.base, shift, axis=1)
        y += self.noise[i % len(self.noise)]
        self._box(y, i)
        self._walk_faces(y, i)
        return y

    def osd(self, y: U8, i: int) -> None:
        """Burn in the label and the time code (as a camera's on-screen display)."""
        self._stamp(y, self.label, 2 * self.scale, 2 * self.scale)
        self._stamp(
            y,
            render_text(self.time_code(i), self.scale),
            2 * self.scale,
            self.h - (GLYPH_H + 4) * self.scale,
        )

    def neutral_chroma(self) -> U8:
        """Chroma planes of a grey picture (a covered lens shows no colour)."""
        return self._planar_chroma(128, 128)

    def time_code(self, i: int) -> str:
        secs, ff = divmod(i, self.fps)
        return f"T {secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}.{ff:02d} F{i:05d}"

    def _box(self, y: U8, i: int) -> None:
        size = max(8, self.h // 6)
        t = 2 * np.pi * i / self.frames
        cx = int((self.w - size) * (0.5 + 0.45 * np.sin(t * (1 + self.variant % 3))))
        cy = int((self.h - size) * (0.5 + 0.45 * np.cos(t)))
        y[cy : cy + size, cx : cx + size] = 230 - 20 * (self.variant % 4)

    def _walk_faces(self, y: U8, i: int) -> None:
        """Each face crosses the picture once per clip (off-screen at the loop point, so
        the loop shows no jump); odd faces walk the other way, lower down."""
        for n, face in enumerate(self.faces):
            fh, fw = face.shape
            progress = (i / self.frames + n / max(1, len(self.faces))) % 1.0
            x = round(-fw + (self.w + fw) * (progress if n % 2 == 0 else 1 - progress))
            top = (self.h - fh) * (1 + 2 * (n % 2)) // 4
            left, right = max(0, x), min(self.w, x + fw)
            if right > left:
                y[top : top + fh, left:right] = face[:, left - x : right - x]

    def _stamp(self, y: U8, mask: npt.NDArray[np.bool_], x: int, top: int) -> None:
        mh = min(mask.shape[0], self.h - top)
        mw = min(mask.shape[1], self.w - x)
        if mh <= 0 or mw <= 0:
            return
        region = y[top : top + mh, x : x + mw]
        region.fill(_PAPER)
        region[mask[:mh, :mw]] = _INK


def _face_luma(height: int, mirror: bool) -> U8:
    """The face photograph as luma (the scene's chroma is flat), `height` pixels tall."""
    gray = _face_gray(height)
    return np.ascontiguousarray(gray[:, ::-1] if mirror else gray)


@functools.cache
def _face_gray(height: int) -> U8:
    """Decoded once per size (every renderer of a profile asks for the same ones)."""
    import av

    with av.open(str(FACE_PHOTO)) as container:
        frame = next(container.decode(video=0))
    width = max(2, round(height * frame.width / frame.height))
    gray = np.asarray(frame.reformat(width=width, height=height, format="gray").to_ndarray())
    face: U8 = gray.astype(np.uint8)
    face.setflags(write=False)  # shared between renderers
    return face


def tone(variant: int, rate: int, start: int, count: int) -> npt.NDArray[np.float32]:
    """`count` mono samples from sample `start`: a variant-pitched tone, beeping each second."""
    n = np.arange(start, start + count, dtype=np.float64)
    pitch = 440.0 * (1 + variant / 4)
    gate = ((n % rate) < rate // 10).astype(np.float64)  # 100 ms beep per second
    return (0.25 * gate * np.sin(2 * np.pi * pitch * n / rate)).astype(np.float32)
