"""Source clips: generated once with PyAV (libx264, AAC), cached on disk, loaded into memory.

Owns: `ClipSet` (every variant's main, sub and audio access units), `load_or_generate`
and the cache layout `<dir>/<profile-name>/{manifest.json, A-main.h264, A-sub.h264,
A-audio.aac, ...}`.

Invariants:
- A cached set is used only if its manifest names this generator version and this
  profile's fingerprint and every file's SHA-256 matches; anything else regenerates.
- The manifest is written last, after every file is fsynced, and the directory is swapped
  in with a rename, so a crash mid-generation leaves either the old set or none.
- Generation is deterministic: fixed x264 thread count, no scene cut detection, seeded
  noise; the same profile gives the same bytes on the same FFmpeg build.
- Each video clip starts with an IDR (with SPS/PPS repeated in-band) and has exactly one
  IDR every `gop` frames, no B-frames (pts == dts, like most IP cameras).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt

from gwanje.fsutil import fsync_dir
from gwanje.media.camsim.profile import STREAMS, Profile, StreamName
from gwanje.media.camsim.rtp import NAL_PPS, NAL_SPS, nal_type, split_annexb
from gwanje.media.camsim.scene import SceneRenderer, tone, variant_label

GENERATOR_VERSION = 2  # 2: thin sharp lines in the scene (image checks need edges)
AAC_FRAME = 1024  # samples per AAC-LC access unit
_AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)


@dataclass(frozen=True)
class VideoClip:
    width: int
    height: int
    aus: tuple[bytes, ...]  # Annex-B access units in decode order (== display order)
    keyframes: tuple[bool, ...]
    sps: bytes
    pps: bytes

    @property
    def profile_level_id(self) -> str:
        """profile_idc, constraint flags, level_idc: SPS bytes 1..3 (RFC 6184 §8.1)."""
        return self.sps[1:4].hex()


@dataclass(frozen=True)
class AudioClip:
    rate: int
    channels: int
    aus: tuple[bytes, ...]  # raw AAC-LC access units, AAC_FRAME samples each

    @property
    def config(self) -> str:
        """AudioSpecificConfig (ISO 14496-3 §1.6.2.1) as hex, for the SDP `config=`."""
        asc = (2 << 11) | (_AAC_RATES.index(self.rate) << 7) | (self.channels << 3)
        return f"{asc:04x}"


@dataclass(frozen=True)
class Variant:
    label: str
    main: VideoClip
    sub: VideoClip
    audio: AudioClip

    def video(self, stream: StreamName) -> VideoClip:
        return self.main if stream == "main" else self.sub


@dataclass(frozen=True)
class ClipSet:
    profile: Profile
    variants: tuple[Variant, ...]
    generated: bool  # False when loaded from the cache
    seconds: float  # time taken to generate (or to load)


def load_or_generate(cache_dir: Path, profile: Profile) -> ClipSet:
    """The profile's clips from `cache_dir/<profile.name>/`, generating them if needed.

    A lock file serializes concurrent generators (two test workers, a CLI and a bench)."""
    target = cache_dir / profile.name
    cache_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with _locked(cache_dir / f".{profile.name}.lock"):
        loaded = _load(target, profile)
        if loaded is not None:
            return ClipSet(profile, loaded, False, time.perf_counter() - started)
        variants = _generate_into(target, profile)
    return ClipSet(profile, variants, True, time.perf_counter() - started)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _generate_into(target: Path, profile: Profile) -> tuple[Variant, ...]:
    staging = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    variants = tuple(generate_variant(profile, v) for v in range(profile.variants))
    entries = [_write_variant(staging, var) for var in variants]
    manifest = {
        "generator": GENERATOR_VERSION,
        "fingerprint": profile.fingerprint(),
        "profile": asdict(profile),
        "variants": entries,
    }
    _write_synced(staging / "manifest.json", json.dumps(manifest, indent=1).encode())
    shutil.rmtree(target, ignore_errors=True)
    os.replace(staging, target)
    fsync_dir(target.parent)
    return variants


def _write_variant(folder: Path, var: Variant) -> dict[str, Any]:
    entry: dict[str, Any] = {"label": var.label}
    for stream in STREAMS:
        clip = var.video(stream)
        name = f"{var.label}-{stream}.h264"  # plain Annex-B: `ffplay A-main.h264` works
        entry[stream] = {
            "file": name,
            "width": clip.width,
            "height": clip.height,
            "sizes": [len(au) for au in clip.aus],
            "keyframes": [i for i, key in enumerate(clip.keyframes) if key],
            "sha256": _write_synced(folder / name, b"".join(clip.aus)),
        }
    name = f"{var.label}-audio.aac"
    entry["audio"] = {
        "file": name,
        "rate": var.audio.rate,
        "channels": var.audio.channels,
        "sizes": [len(au) for au in var.audio.aus],
        "sha256": _write_synced(folder / name, b"".join(var.audio.aus)),
    }
    return entry


def _write_synced(path: Path, data: bytes) -> str:
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return hashlib.sha256(data).hexdigest()


def _load(folder: Path, profile: Profile) -> tuple[Variant, ...] | None:
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        if (
            manifest.get("generator") != GENERATOR_VERSION
            or manifest.get("fingerprint") != profile.fingerprint()
            or len(manifest["variants"]) != profile.variants
        ):
            return None
        return tuple(_load_variant(folder, entry) for entry in manifest["variants"])
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None  # missing, partial or tampered cache: regenerate


def _load_variant(folder: Path, entry: dict[str, Any]) -> Variant:
    videos = {s: _load_video(folder, entry[s]) for s in STREAMS}
    meta = entry["audio"]
    aus = _split(_read_checked(folder / meta["file"], meta["sha256"]), meta["sizes"])
    audio = AudioClip(int(meta["rate"]), int(meta["channels"]), aus)
    return Variant(str(entry["label"]), videos["main"], videos["sub"], audio)


def _load_video(folder: Path, meta: dict[str, Any]) -> VideoClip:
    aus = _split(_read_checked(folder / meta["file"], meta["sha256"]), meta["sizes"])
    keys = set(meta["keyframes"])
    return _video_clip(
        int(meta["width"]), int(meta["height"]), aus, tuple(i in keys for i in range(len(aus)))
    )


def _read_checked(path: Path, sha256: str) -> bytes:
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError(f"{path}: checksum mismatch")
    return data


def _split(data: bytes, sizes: list[int]) -> tuple[bytes, ...]:
    if sum(sizes) != len(data):
        raise ValueError("sizes do not add up to the file length")
    out, pos = [], 0
    for size in sizes:
        out.append(data[pos : pos + size])
        pos += size
    return tuple(out)


def _video_clip(
    width: int, height: int, aus: tuple[bytes, ...], keys: tuple[bool, ...]
) -> VideoClip:
    if not aus or not keys[0]:
        raise ValueError("a clip must start with an IDR")
    first = split_annexb(aus[0])
    sps = next(n for n in first if nal_type(n) == NAL_SPS)
    pps = next(n for n in first if nal_type(n) == NAL_PPS)
    return VideoClip(width, height, aus, keys, sps, pps)


def generate_variant(profile: Profile, variant: int) -> Variant:
    videos = {s: encode_video(profile, variant, s) for s in STREAMS}
    return Variant(
        variant_label(variant), videos["main"], videos["sub"], encode_audio(profile, variant)
    )


def encode_video(
    profile: Profile,
    variant: int,
    stream: StreamName,
    frames: Callable[[int], npt.NDArray[np.uint8]] | None = None,
) -> VideoClip:
    """Encode a variant's clip; `frames` (frame index -> planar YUV 4:2:0) replaces the
    scene's own pictures (the image-fault clips of `fault_clips.py`)."""
    spec = profile.stream(stream)
    kbps = spec.bitrate // 1000
    codec = av.CodecContext.create("libx264", "w")
    codec.width, codec.height, codec.pix_fmt = spec.width, spec.height, "yuv420p"
    codec.time_base = Fraction(1, profile.fps)
    codec.framerate = Fraction(profile.fps)
    codec.bit_rate = spec.bitrate
    codec.options = {
        "preset": profile.x264_preset,
        # repeat-headers: SPS/PPS before every IDR, as cameras send them; threads fixed for
        # determinism; scenecut=0 so IDRs fall exactly every `gop` frames.
        "x264-params": (
            f"keyint={profile.gop}:min-keyint={profile.gop}:scenecut=0:bframes=0:"
            f"repeat-headers=1:threads=4:vbv-maxrate={kbps}:vbv-bufsize={kbps}"
        ),
    }
    picture = frames or SceneRenderer(profile, variant, spec.width, spec.height, stream).frame
    aus: list[bytes] = []
    keys: list[bool] = []
    for i in range(profile.frames):
        frame = av.VideoFrame.from_ndarray(picture(i), format="yuv420p")
        frame.pts = i
        for packet in codec.encode(frame):
            aus.append(bytes(packet))
            keys.append(packet.is_keyframe)
    for packet in codec.encode(None):
        aus.append(bytes(packet))
        keys.append(packet.is_keyframe)
    return _video_clip(spec.width, spec.height, tuple(aus), tuple(keys))


def encode_audio(profile: Profile, variant: int) -> AudioClip:
    rate = profile.audio_rate
    codec = av.CodecContext.create("aac", "w")
    codec.sample_rate, codec.layout, codec.format = rate, "mono", "fltp"
    codec.bit_rate = profile.audio_bitrate
    count = -(-profile.clip_seconds * rate // AAC_FRAME)
    aus: list[bytes] = []
    for i in range(count):
        samples = tone(variant, rate, i * AAC_FRAME, AAC_FRAME)[None, :]
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        frame.sample_rate, frame.pts = rate, i * AAC_FRAME
        aus += [bytes(p) for p in codec.encode(frame)]
    aus += [bytes(p) for p in codec.encode(None)]
    return AudioClip(rate, 1, tuple(aus))
