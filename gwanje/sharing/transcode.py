"""The watermark of shared live video: decode, burn the recipient and the time, x264.

Owns: `WatermarkTranscoder`, which turns the live wire's messages of one stream (as the
capture worker's tap sends them) into the same kind of messages for a re-encoded
picture: `StreamInit` with the encoder's SPS/PPS, then `LiveUnit`s (AVCC, keyframe flag,
the source's RTP timestamps), so the MSE muxer and the HLS segmenter need not know that
the video was re-encoded.

Why re-encode: a watermark drawn by the viewer's browser is not on the pixels a recipient
can record; shared video leaves the center's control, so who received it and when is
burned into every frame (ORD-23). Only shared streams pay for it: the wall and the
recording are untouched. Cost per stream: `bench/share_watermark.py`.

Invariants: one frame in, at most one frame out, no reordering (x264 `zerolatency`: no
B-frames, no lookahead), timestamps kept; the first output unit after every init is a
keyframe; the text uses the bundled ASCII font (`gwanje.media.watermark.burn_text`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import av
from av.video.codeccontext import VideoCodecContext
from av.video.frame import PictureType

from gwanje.media import fmp4
from gwanje.media.camsim.rtp import NAL_PPS, NAL_SPS, nal_type, split_annexb
from gwanje.media.live.wire import LiveUnit, StreamInit
from gwanje.media.watermark import burn_text

RTP_CLOCK = Fraction(1, 90_000)
_DROP = (6, 9)  # SEI (x264 writes its settings in one), access unit delimiter


class WatermarkTranscoder:
    """One shared stream's re-encoder; feeds are serialised by a lock (`force_keyframe`
    only sets a flag, safe from any thread)."""

    def __init__(self, recipient: str, clock_text: Callable[[], str], gop: int = 50,
                 preset: str = "veryfast") -> None:  # fmt: skip
        self.recipient = recipient
        self.clock_text = clock_text
        self.gop = gop
        self.preset = preset
        self.frames = 0
        self._decoder: VideoCodecContext | None = None
        self._encoder: VideoCodecContext | None = None
        self._params: tuple[bytes, bytes] | None = None
        self._skipped = False
        self._force_key = False
        self._lock = threading.Lock()

    def force_keyframe(self) -> None:
        """Make the next picture an IDR (a viewer joined an encode already running)."""
        self._force_key = True

    def feed(self, message: StreamInit | LiveUnit) -> list[StreamInit | LiveUnit]:
        # A feed cancelled on the loop still finishes on its thread: a restarted encode's
        # first feed must wait for it, not run beside it.
        with self._lock:
            return self._feed(message)

    def _feed(self, message: StreamInit | LiveUnit) -> list[StreamInit | LiveUnit]:
        if isinstance(message, StreamInit):
            self._open(message)
            return []
        if self._decoder is None:
            return []  # a unit before any init: nothing to decode it with
        self._skipped |= message.skipped
        packet = av.Packet(message.data)
        packet.pts = packet.dts = message.rtp_timestamp
        packet.time_base = RTP_CLOCK
        out: list[StreamInit | LiveUnit] = []
        try:
            frames = self._decoder.decode(packet)
        except av.error.InvalidDataError:
            return out  # a damaged unit: skip it, the next keyframe repairs the picture
        for frame in frames:
            out.extend(self._encode(frame, message.rtp_timestamp))
        return out

    def _open(self, init: StreamInit) -> None:
        decoder = av.CodecContext.create("h264", "r")
        assert isinstance(decoder, VideoCodecContext)
        decoder.extradata = fmp4.avcc(init.sps, init.pps)[8:]  # the record, not the box
        self._decoder = decoder
        encoder = av.CodecContext.create("libx264", "w")
        assert isinstance(encoder, VideoCodecContext)
        encoder.width, encoder.height = init.width, init.height
        encoder.pix_fmt = "yuv420p"
        encoder.time_base = RTP_CLOCK
        encoder.gop_size = self.gop
        encoder.options = {"preset": self.preset, "tune": "zerolatency", "crf": "23"}
        self._encoder = encoder
        self._params = None

    def _encode(self, frame: av.VideoFrame, fallback_ts: int) -> list[StreamInit | LiveUnit]:
        assert self._encoder is not None
        image = frame.to_ndarray(format="yuv420p")
        luma = image[: frame.height]
        burn_text(luma, self.recipient, 0)
        burn_text(luma, self.clock_text(), 1)
        marked = av.VideoFrame.from_ndarray(image, format="yuv420p")
        marked.pts = frame.pts if frame.pts is not None else fallback_ts
        marked.time_base = RTP_CLOCK
        if self._force_key:
            self._force_key = False
            marked.pict_type = PictureType.I  # libx264 makes it an IDR (closed GOP)
        out: list[StreamInit | LiveUnit] = []
        for packet in self._encoder.encode(marked):
            out.extend(self._unit(packet, frame.width, frame.height))
        self.frames += 1
        return out

    def _unit(self, packet: Any, width: int, height: int) -> list[StreamInit | LiveUnit]:
        sps = pps = b""
        nals: list[bytes] = []
        for nal in split_annexb(bytes(packet)):
            kind = nal_type(nal)
            if kind == NAL_SPS:
                sps = nal
            elif kind == NAL_PPS:
                pps = nal
            elif kind not in _DROP:
                nals.append(nal)
        out: list[StreamInit | LiveUnit] = []
        if sps and pps and (sps, pps) != self._params:
            self._params = (sps, pps)
            out.append(StreamInit(width, height, sps, pps))
        if self._params is None or not nals:
            return out  # no parameter sets yet: a decoder could not use this unit
        data = b"".join(len(n).to_bytes(4, "big") + n for n in nals)
        ts = packet.pts if packet.pts is not None else 0
        out.append(LiveUnit(ts, packet.is_keyframe, self._skipped, data))
        self._skipped = False
        return out
