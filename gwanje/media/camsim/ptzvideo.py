"""What a simulated PTZ camera streams: a digital pan/tilt/zoom over a larger scene,
encoded live.

Owns: `Panorama` (the wide source picture, drawn once), `PtzRenderer` (frame n of the
view at the head's position, with the position burned in) and `LiveEncoder` (libx264
for one stream of one PTZ camera, packetized into RTP templates frame by frame).

Why live: a fixed camera replays a pre-encoded clip, but a PTZ camera's picture depends
on where it points, so its frames are rendered and encoded as they are sent. To keep
CPU low on small machines the PTZ streams are small (at most `MAX_MAIN`), and a stream
is encoded only on ticks where a session plays it.

Invariants: the picture is a pure function of (position, frame number), so a test can
compare decoded frames before and after a move; the burned-in marker
`P+0.000 T+0.000 Z0.000` shows the position the frame was rendered at; the first frame a
new session gets is an IDR (`force_key`); RTP sequence numbers run on without gaps
across every frame the encoder sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np
import numpy.typing as npt

from gwanje.media.camsim.clips import VideoClip
from gwanje.media.camsim.profile import Profile, StreamSpec
from gwanje.media.camsim.ptz import PtzHead, Vector
from gwanje.media.camsim.rtp import (
    NAL_PPS,
    NAL_SPS,
    PacketTemplate,
    build_template,
    h264_payloads,
    nal_type,
    split_annexb,
)
from gwanje.media.camsim.sdp import VIDEO_PT
from gwanje.media.font import GLYPH_H, render_text

U8 = npt.NDArray[np.uint8]
MAX_MAIN = StreamSpec(640, 360, 600_000)
MAX_SUB = StreamSpec(320, 180, 200_000)
PANORAMA_SCALE = (4, 3)  # the scene is this many views wide and high at zoom 0 (x2 crop)
MAX_ZOOM = 4.0  # zoom 1 shows a quarter of zoom 0's width


def ptz_specs(profile: Profile) -> tuple[StreamSpec, StreamSpec]:
    """Main and sub sizes of a PTZ camera: the profile's, capped to keep encoding cheap."""

    def cap(spec: StreamSpec, limit: StreamSpec) -> StreamSpec:
        if spec.width <= limit.width and spec.height <= limit.height:
            return spec
        return limit

    return cap(profile.main, MAX_MAIN), cap(profile.sub, MAX_SUB)


class Panorama:
    """The wide scene: a lettered grid of cells with distinct shades (drawn once)."""

    COLS, ROWS = 8, 6

    def __init__(self, width: int, height: int) -> None:
        self.w, self.h = width, height
        yy, xx = np.mgrid[0:height, 0:width]
        cell_w, cell_h = width // self.COLS, height // self.ROWS
        col, row = xx // cell_w, yy // cell_h
        shade = 40 + ((col * 37 + row * 53) % 150)
        luma = shade + (((xx // 8) + (yy // 8)) % 2) * 12  # fine checker: visible motion
        luma[(xx % cell_w) < 2] = 230
        luma[(yy % cell_h) < 2] = 230
        self.luma: U8 = np.clip(luma, 0, 255).astype(np.uint8)
        scale = max(2, cell_h // 24)
        for r in range(self.ROWS):
            for c in range(self.COLS):
                label = render_text(f"{chr(ord('A') + c)}{r + 1}", scale)
                top, left = r * cell_h + cell_h // 3, c * cell_w + cell_w // 3
                area = self.luma[top : top + label.shape[0], left : left + label.shape[1]]
                area[label[: area.shape[0], : area.shape[1]]] = 250


class PtzRenderer:
    """Frames of one stream size, cropped from the shared panorama at a position."""

    def __init__(self, panorama: Panorama, width: int, height: int, fps: int) -> None:
        self.pano, self.w, self.h, self.fps = panorama, width, height, fps
        self.scale = max(1, height // 120)
        quarter = width * height // 4
        chroma = np.full(2 * quarter, 128, dtype=np.uint8)
        chroma[:quarter] = 118
        self.chroma: U8 = chroma.reshape(height // 2, width)

    def window(self, at: Vector) -> tuple[float, float, float, float]:
        """(left, top, width, height) of the crop in panorama pixels."""
        pano = self.pano
        fw = pano.w / PANORAMA_SCALE[0] * 2 / (1 + (MAX_ZOOM - 1) * at.zoom)
        fh = fw * self.h / self.w
        cx = pano.w / 2 + at.pan * (pano.w - fw) / 2
        cy = pano.h / 2 - at.tilt * (pano.h - fh) / 2
        return cx - fw / 2, cy - fh / 2, fw, fh

    def frame(self, at: Vector, n: int) -> U8:
        left, top, fw, fh = self.window(at)
        xs = np.clip(
            (left + (np.arange(self.w) + 0.5) * fw / self.w).astype(np.intp), 0, self.pano.w - 1
        )
        ys = np.clip(
            (top + (np.arange(self.h) + 0.5) * fh / self.h).astype(np.intp), 0, self.pano.h - 1
        )
        y = self.pano.luma[ys[:, None], xs[None, :]]
        marker = f"P{at.pan:+.3f} T{at.tilt:+.3f} Z{at.zoom:.3f}"
        self._stamp(y, render_text(marker, self.scale), 2 * self.scale)
        secs, ff = divmod(n, self.fps)
        clock = f"T {secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}.{ff:02d}"
        self._stamp(y, render_text(clock, self.scale), self.h - (GLYPH_H + 3) * self.scale)
        return np.concatenate([y, self.chroma])

    def _stamp(self, y: U8, mask: npt.NDArray[np.bool_], top: int) -> None:
        x = 2 * self.scale
        mh, mw = min(mask.shape[0], self.h - top), min(mask.shape[1], self.w - x)
        region = y[top : top + mh, x : x + mw]
        region.fill(16)
        region[mask[:mh, :mw]] = 235


@dataclass(frozen=True)
class LiveFrame:
    template: PacketTemplate
    key: bool
    first_packet: int  # packets the encoder sent before this frame: its RTP seq offset


class LiveEncoder:
    """libx264 for one stream of one PTZ camera; one access unit per call, no delay."""

    def __init__(self, renderer: PtzRenderer, spec: StreamSpec, profile: Profile) -> None:
        self.renderer = renderer
        kbps = spec.bitrate // 1000
        codec = av.CodecContext.create("libx264", "w")
        codec.width, codec.height, codec.pix_fmt = spec.width, spec.height, "yuv420p"
        codec.time_base = Fraction(1, profile.fps)
        codec.framerate = Fraction(profile.fps)
        codec.bit_rate = spec.bitrate
        codec.options = {
            "preset": "ultrafast",
            "tune": "zerolatency",  # no lookahead: each frame in gives its packet out
            "forced-idr": "1",
            "x264-params": (
                f"keyint={profile.gop}:min-keyint={profile.gop}:scenecut=0:bframes=0:"
                f"repeat-headers=1:threads=1:vbv-maxrate={kbps}:vbv-bufsize={kbps}"
            ),
        }
        self.codec = codec
        self.force_key = True
        self.packets_sent = 0  # RTP packets handed out so far (the seq offset)
        self.last: tuple[int, LiveFrame] | None = None  # (tick, frame): once per tick
        self.pts = 0

    def encode_au(self, at: Vector, n: int) -> tuple[bytes, bool]:
        """One Annex-B access unit of the view at `at` (an IDR when one was asked for)."""
        frame = av.VideoFrame.from_ndarray(self.renderer.frame(at, n), format="yuv420p")
        frame.pts = self.pts
        self.pts += 1
        if self.force_key:
            frame.pict_type = av.video.frame.PictureType.I
            self.force_key = False
        packets = [p for p in self.codec.encode(frame) if p.size]
        return b"".join(bytes(p) for p in packets), any(p.is_keyframe for p in packets)

    def frame_for_tick(self, tick: int, at: Vector, n: int) -> LiveFrame:
        """The frame of this tick (encoded once however many sessions play it)."""
        if self.last is not None and self.last[0] == tick:
            return self.last[1]
        au, key = self.encode_au(at, n)
        template = build_template(h264_payloads(split_annexb(au)), VIDEO_PT, 0)
        live = LiveFrame(template, key, self.packets_sent)
        self.packets_sent += template.packets
        self.last = (tick, live)
        return live

    def describe(self, at: Vector) -> VideoClip:
        """A one-frame clip of an IDR: its SPS/PPS and size describe the stream (SDP)."""
        self.force_key = True
        au, _ = self.encode_au(at, 0)
        self.force_key = True  # the first frame really sent is an IDR too
        nals = split_annexb(au)
        sps = next(n for n in nals if nal_type(n) == NAL_SPS)
        pps = next(n for n in nals if nal_type(n) == NAL_PPS)
        return VideoClip(self.codec.width, self.codec.height, (au,), (True,), sps, pps)


@dataclass(eq=False)
class PtzRig:
    """A PTZ camera's head and its two live encoders (main, sub)."""

    head: PtzHead
    encoders: dict[str, LiveEncoder]

    @classmethod
    def build(cls, profile: Profile) -> PtzRig:
        main, sub = ptz_specs(profile)
        panorama = Panorama(main.width * PANORAMA_SCALE[0], main.height * PANORAMA_SCALE[1])
        encoders = {
            name: LiveEncoder(
                PtzRenderer(panorama, spec.width, spec.height, profile.fps), spec, profile
            )
            for name, spec in (("main", main), ("sub", sub))
        }
        return cls(PtzHead(), encoders)
