"""A clip with seeded third-party faces, for the masking tests and bench/masking.py.

`make_clip(path, width, height, seconds)` writes an H.264 MP4 (libx264, through PyAV) of
a textured street-like scene in which three copies of a real face photograph
(`gwanje/media/camsim/faces/astronaut.jpg`, public domain, see its `LICENSE.md`) move
across the frame at different sizes, one mirrored, and returns where each face is on every
frame (the face's own box inside the pasted photo, from the photo's detection, not the
photo's edges). Deterministic: the same arguments give the same pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

from gwanje.media.camsim.scene import FACE_PHOTO

# The face inside astronaut.jpg (132x144): libfacedetection's box on the photo itself.
FACE_IN_PHOTO = (31, 27, 66, 85)
RATE = 25

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Seeded:
    """One third party: its face box (x, y, w, h) on each frame."""

    name: str
    boxes: tuple[tuple[int, int, int, int], ...]


@dataclass(frozen=True)
class Clip:
    path: Path
    width: int
    height: int
    frames: int
    people: tuple[Seeded, ...]
    texture: tuple[int, int, int, int]  # a busy, still patch with no face (x, y, w, h)


def _photo(height: int, mirror: bool) -> Image:
    with av.open(str(FACE_PHOTO)) as container:
        frame = next(container.decode(video=0))
    width = round(height * frame.width / frame.height)
    rgb = np.asarray(frame.reformat(width=width, height=height).to_ndarray(format="rgb24"))
    return np.ascontiguousarray(rgb[:, ::-1] if mirror else rgb)


def _scene(width: int, height: int) -> tuple[Image, tuple[int, int, int, int]]:
    """Sky gradient, grey 'buildings', a road, and a noisy textured patch."""
    rng = np.random.default_rng(7)
    img = np.zeros((height, width, 3), np.uint8)
    img[:] = np.linspace(170, 90, height, dtype=np.uint8)[:, None, None]
    for _ in range(12):
        x, w = int(rng.integers(0, width)), int(rng.integers(width // 20, width // 6))
        top = int(rng.integers(height // 8, height // 2))
        img[top : height * 3 // 4, x : x + w] = rng.integers(60, 140, 3, dtype=np.uint8)
    img[height * 3 // 4 :] = 70
    tx, ty, tw, th = width * 3 // 4, height // 16, width // 5, height // 5
    img[ty : ty + th, tx : tx + tw] = rng.integers(0, 256, (th, tw, 3), dtype=np.uint8)
    return img, (tx, ty, tw, th)


Trajectory = list[tuple[int, int]]  # top-left corner of the photo on each frame


def _paths(width: int, height: int, frames: int) -> list[tuple[str, int, bool, Trajectory]]:
    """(name, photo height, mirrored, top-left per frame) of the three people."""
    s = height / 360
    big, mid, small = round(100 * s), round(72 * s), round(48 * s)

    def line(x0: float, y0: float, x1: float, y1: float) -> list[tuple[int, int]]:
        return [(round(x0 + (x1 - x0) * i / (frames - 1)), round(y0 + (y1 - y0) * i / (frames - 1)))
                for i in range(frames)]  # fmt: skip

    return [
        ("walker", big, False, line(0.02 * width, 0.45 * height, 0.45 * width, 0.42 * height)),
        ("jogger", mid, True, line(0.85 * width, 0.20 * height, 0.55 * width, 0.30 * height)),
        ("child", small, False, line(0.30 * width, 0.05 * height, 0.40 * width, 0.10 * height)),
    ]


def make_clip(path: Path, width: int = 640, height: int = 360, seconds: float = 3.0) -> Clip:
    frames = round(seconds * RATE)
    background, texture = _scene(width, height)
    people = []
    photos = {}
    for name, size, mirror, trajectory in _paths(width, height, frames):
        photos[name] = (_photo(size, mirror), trajectory)
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=Fraction(RATE))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "18"}
        for i in range(frames):
            img = background.copy()
            for photo, where in photos.values():
                x, y = where[i]
                img[y : y + photo.shape[0], x : x + photo.shape[1]] = photo
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    for name, (photo, where) in photos.items():
        people.append(Seeded(name, tuple(_face_box(photo, x, y, name) for x, y in where)))
    return Clip(path, width, height, frames, tuple(people), texture)


def _face_box(photo: Image, x: int, y: int, name: str) -> tuple[int, int, int, int]:
    scale = photo.shape[0] / 144
    fx, fy, fw, fh = FACE_IN_PHOTO
    if name == "jogger":  # mirrored
        fx = 132 - fx - fw
    return (x + round(fx * scale), y + round(fy * scale), round(fw * scale), round(fh * scale))
