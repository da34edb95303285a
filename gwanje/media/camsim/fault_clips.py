"""Image-fault clips: what a covered, blacked-out, frozen, defocused or moved camera sends.

Owns: `ImageFault`, `FaultTracks` and `fault_tracks`, which encodes a variant's fault
clips (main and sub) the first time a fault of that kind is injected; the caller caches
them (`harness.CamsimHandle` keeps them for the simulator's life).
Why pre-encoded clips: the picture of a faulted camera must reach the client as real
H.264 that a decoder turns into pixels, and re-encoding every camera live would cost the
simulator a core per few cameras. A fault clip is encoded once per (variant, kind) and
switched in for the faulted camera at its next IDR (`streamer.Streamer._track`).
Invariants: a fault clip has the profile's frame count, GOP and resolutions, so switching
keeps the keyframe cadence and the RTP timeline; generation is deterministic.

Kinds:
- cover: a nearly uniform grey picture (lens covered, sprayed, bagged); the camera's
  on-screen text stays, as it is burnt in after the lens.
- black: a black picture with the on-screen text (an encoder that lost its sensor).
- freeze: frame 0 of the scene repeated, text included (a hung encoder); the RTP
  timestamps keep advancing.
- blur: the scene through a box blur, text sharp (defocused or fogged lens).
- move: another scene (the camera was turned to look elsewhere).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from gwanje.media.camsim.clips import encode_video
from gwanje.media.camsim.profile import STREAMS, Profile, StreamName
from gwanje.media.camsim.scene import SceneRenderer
from gwanje.media.camsim.timeline import VideoTrack, compile_video

ImageFault = Literal["cover", "black", "freeze", "blur", "move"]
IMAGE_FAULTS: tuple[ImageFault, ...] = get_args(ImageFault)
U8 = npt.NDArray[np.uint8]
COVER_LUMA = 70
BLACK_LUMA = 16
MOVED_VARIANT_OFFSET = 3  # stripes turned by about 90 degrees (0.55 rad per variant)


@dataclass(frozen=True)
class FaultTracks:
    kind: ImageFault
    main: VideoTrack
    sub: VideoTrack

    def video(self, stream: StreamName) -> VideoTrack:
        return self.main if stream == "main" else self.sub


def fault_tracks(profile: Profile, variant: int, kind: ImageFault) -> FaultTracks:
    """Encode and compile the variant's `kind` clips (tens of ms at the test profile, a few
    seconds at 1080p)."""
    if kind not in IMAGE_FAULTS:
        raise ValueError(f"unknown image fault {kind!r}; one of {', '.join(IMAGE_FAULTS)}")
    tracks = {
        s: compile_video(encode_video(profile, variant, s, _pictures(profile, variant, s, kind)))
        for s in STREAMS
    }
    return FaultTracks(kind, tracks["main"], tracks["sub"])


def _pictures(
    profile: Profile, variant: int, stream: StreamName, kind: ImageFault
) -> Callable[[int], U8]:
    spec = profile.stream(stream)
    scene = SceneRenderer(profile, variant, spec.width, spec.height, stream)
    if kind == "freeze":
        still = scene.frame(0)
        return lambda i: still
    if kind == "move":
        other = SceneRenderer(
            profile, variant + MOVED_VARIANT_OFFSET, spec.width, spec.height, stream
        )
        return lambda i: _with_osd(scene, other.scene(i), i, scene.chroma)
    if kind == "blur":
        size = max(5, spec.width // 32)
        return lambda i: _with_osd(scene, box_blur(scene.scene(i), size), i, scene.chroma)
    level = COVER_LUMA if kind == "cover" else BLACK_LUMA
    grey = scene.neutral_chroma()

    def flat(i: int) -> U8:
        y = np.full((spec.height, spec.width), level, dtype=np.uint8)
        y += scene.noise[i % len(scene.noise)] // 3  # a little sensor noise
        return _with_osd(scene, y, i, grey)

    return flat


def _with_osd(scene: SceneRenderer, y: U8, i: int, chroma: U8) -> U8:
    scene.osd(y, i)
    return np.concatenate([y, chroma])


def box_blur(y: U8, size: int) -> U8:
    """Mean over a size x size window (separable, via cumulative sums; edges clamped)."""
    out = y.astype(np.float32)
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (size // 2 + 1, size - size // 2 - 1)
        padded = np.pad(out, pad, mode="edge")
        summed = np.cumsum(padded, axis=axis, dtype=np.float32)
        hi = np.take(summed, range(size, summed.shape[axis]), axis=axis)
        lo = np.take(summed, range(0, summed.shape[axis] - size), axis=axis)
        out = ((hi - lo) / size).astype(np.float32)
    blurred: U8 = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    return blurred
