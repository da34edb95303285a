"""The live tap: the recorder's one camera pull fanned out to local viewers.

Real parts: the camera simulator over RTSP, the native capture engine writing real
segments, Unix sockets, FFmpeg (PyAV) decoding what a viewer received.
"""

from __future__ import annotations

import asyncio
import os
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import av
import pytest
from media.rtsp_kit import decode, run

from gwanje.media.camsim.harness import CamsimHandle
from gwanje.media.live import tap as tap_module
from gwanje.media.live.client import LiveUnavailable, open_live
from gwanje.media.live.mse import MseMuxer, codec_string
from gwanje.media.live.paths import ensure_live_dir, live_dir, socket_path
from gwanje.media.live.tap import LiveTap
from gwanje.media.live.wire import LiveUnit, StreamInit, WireError, read_message
from gwanje.media.recorder.jobspec import CaptureJob, CaptureParams
from gwanje.media.recorder.messages import Report, SegmentCommitted, StreamDown, StreamKey
from gwanje.media.recorder.native_capture import NativeCapture
from gwanje.media.rtsp import AccessUnit

PARAMS = CaptureParams(segment_seconds=2.0, read_timeout_s=3.0, reconnect_min_s=0.2)


class Recording:
    """A native capture of one simulated stream with a live tap, on the test's loop."""

    def __init__(self, tmp: Path, url: str, stream: str = "main") -> None:
        self.dir = ensure_live_dir(tmp / "live")
        self.path = socket_path(self.dir, 1, stream)
        self.tap = LiveTap(self.path, always_cache=stream != "main")
        self.reports: list[Report] = []
        self.pool = ThreadPoolExecutor(2)
        job = CaptureJob(StreamKey(1, stream), url)
        self.capture = NativeCapture(
            job, PARAMS, tmp / "video", self.reports.append, self.pool, live=self.tap
        )
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Recording:
        (self.path.parent.parent / "video").mkdir(exist_ok=True)
        self.task = asyncio.create_task(self.capture.run(self.stop))
        for _ in range(200):  # the socket exists once the tap listens
            if self.path.exists():
                break
            await asyncio.sleep(0.05)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop.set()
        self.capture.interrupt()
        assert self.task is not None
        await asyncio.wait_for(self.task, 30)
        self.pool.shutdown(wait=True)


def as_access_unit(init: StreamInit, unit: LiveUnit) -> AccessUnit:
    return AccessUnit(
        unit.data, unit.rtp_timestamp, unit.keyframe, init.sps, init.pps, init.width,
        init.height, unit.skipped,
    )  # fmt: skip


async def read_units(directory: Path, stream: str, count: int) -> tuple[StreamInit, list[LiveUnit]]:
    messages = await open_live(directory, 1, stream)
    init: StreamInit | None = None
    units: list[LiveUnit] = []
    async for message in messages:
        if isinstance(message, StreamInit):
            assert not units, "INIT again mid-stream without a parameter change"
            init = message
        else:
            assert init is not None, "a unit came before INIT"
            units.append(message)
            if len(units) >= count:
                break
    await messages.aclose()
    assert init is not None
    return init, units


def test_viewer_gets_decodable_video_while_recording_goes_on(
    camsim: CamsimHandle, tmp_path: Path
) -> None:
    async def scenario() -> tuple[StreamInit, list[LiveUnit], list[Report]]:
        async with Recording(tmp_path, camsim.url(1, "main")) as rec:
            init, units = await read_units(rec.dir, "main", 60)
            await asyncio.sleep(2.5)  # a segment boundary passes with the viewer gone
        return init, units, rec.reports

    init, units, reports = run(scenario(), 60)  # type: ignore[misc]
    assert (init.width, init.height) == (320, 180)
    assert units[0].keyframe, "a viewer's first unit must be a keyframe"
    stamps = [u.rtp_timestamp for u in units]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == len(stamps)
    frames = decode([as_access_unit(init, u) for u in units])
    assert len(frames) == len(units)
    assert (frames[0].width, frames[0].height) == (320, 180)
    committed = [r for r in reports if isinstance(r, SegmentCommitted)]
    assert committed, "recording must go on while the stream is watched"
    assert not [r for r in reports if isinstance(r, StreamDown)]


def test_late_viewer_of_a_sub_stream_starts_from_the_cached_gop(
    camsim: CamsimHandle, tmp_path: Path
) -> None:
    async def scenario() -> tuple[list[int], list[LiveUnit]]:
        async with Recording(tmp_path, camsim.url(1, "sub"), stream="sub") as rec:
            for _ in range(100):  # wait until the cache holds more than the keyframe
                if len(rec.tap._gop) > 3:
                    break
                await asyncio.sleep(0.05)
            cached = [u.rtp_timestamp for u in rec.tap._gop]
            _, units = await read_units(rec.dir, "sub", len(cached))
        return cached, units

    cached, units = run(scenario(), 60)  # type: ignore[misc]
    assert len(cached) > 3
    assert units[0].keyframe
    # The viewer got the units published before it connected (not a wait for a new GOP).
    assert [u.rtp_timestamp for u in units] == cached


def test_a_viewer_that_does_not_read_is_skipped_to_a_keyframe_and_recording_is_intact(
    camsim: CamsimHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tap_module, "MAX_BACKLOG", 32 * 1024)

    async def scenario() -> tuple[list[LiveUnit], list[Report]]:
        async with Recording(tmp_path, camsim.url(2, "main")) as rec:
            # A plain socket nobody reads (an asyncio reader would read ahead on its own).
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(str(rec.path))
            sock.setblocking(False)
            while not rec.tap._consumers:
                await asyncio.sleep(0.01)
            # Shrink the kernel's buffer so the backlog builds up in the tap, where the
            # limit applies (a Unix socket queues on the sender's side).
            transport = rec.tap._consumers[0].transport
            assert transport is not None
            server_side = transport.get_extra_info("socket")
            server_side.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
            await asyncio.sleep(4.0)  # not reading: the tap must skip, not buffer or block
            reader, writer = await asyncio.open_unix_connection(sock=sock)
            units: list[LiveUnit] = []
            while len(units) < 200:
                message = await read_message(reader)
                if isinstance(message, LiveUnit):
                    units.append(message)
                    if message.skipped and message.keyframe:
                        break
            writer.close()
        return units, rec.reports

    units, reports = run(scenario(), 60)  # type: ignore[misc]
    resumed = [u for u in units if u.skipped]
    assert resumed, "a skipped viewer is told so"
    assert all(u.keyframe for u in resumed), "after a skip the viewer resumes on a keyframe"
    assert not [r for r in reports if isinstance(r, StreamDown)], "recording must not suffer"
    assert [r for r in reports if isinstance(r, SegmentCommitted)]


def test_no_socket_means_unavailable(tmp_path: Path) -> None:
    directory = ensure_live_dir(tmp_path / "live")
    with pytest.raises(LiveUnavailable):
        run(open_live(directory, 7, "main"))


def test_socket_files_are_replaced_when_stale_and_removed_only_by_their_owner(
    tmp_path: Path,
) -> None:
    directory = ensure_live_dir(tmp_path / "live")
    path = socket_path(directory, 3, "main")
    path.write_bytes(b"left by a killed worker")

    async def scenario() -> tuple[bool, bool, bool]:
        first = LiveTap(path, always_cache=False)
        await first.start()
        replaced = path.exists() and path.is_socket()
        second = LiveTap(path, always_cache=False)  # a restarted worker binds the same path
        await second.start()
        await first.close()
        kept = path.exists()  # the old one must not remove the new one's socket
        await second.close()
        return replaced, kept, path.exists()

    replaced, kept, left = run(scenario())  # type: ignore[misc]
    assert replaced
    assert kept
    assert not left
    assert oct(directory.stat().st_mode & 0o777) == "0o700"


def test_live_dir_is_private_and_short_enough_for_a_socket(tmp_path: Path) -> None:
    assert live_dir(tmp_path) == tmp_path / "run" / "live"
    deep = tmp_path / ("d" * 120)
    fallback = live_dir(deep)
    assert fallback != deep / "run" / "live"
    assert len(os.fsencode(socket_path(fallback, 2147483647, "main"))) < 108
    assert live_dir(deep) == fallback  # the same data directory finds the same sockets
    ensure_live_dir(fallback)
    assert oct(fallback.parent.stat().st_mode & 0o777) == "0o700"


def test_a_planted_link_is_refused_as_the_private_directory(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    link_parent = tmp_path / "parent"
    link_parent.mkdir()
    (link_parent / "live").symlink_to(target)
    with pytest.raises(OSError, match="not a directory of this user"):
        ensure_live_dir(link_parent / "live")


def _reader(data: bytes) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    return reader


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x09\x00\x00\x00\x01x", "unknown message type"),
        (b"\x02\xff\xff\xff\xff", "too large"),
        (b"\x02\x00\x00\x00\x03abc", "short UNIT"),
        (b"\x01\x00\x00\x00\x04\x00\x10\x00\x10", "INIT"),
    ],
)
def test_malformed_wire_messages_are_errors_not_crashes(data: bytes, message: str) -> None:
    async def read() -> Any:
        return await read_message(_reader(data))

    with pytest.raises(WireError, match=message):
        run(read())


def test_mse_fragments_make_a_valid_video_only_mp4(camsim: CamsimHandle, tmp_path: Path) -> None:
    async def scenario() -> tuple[StreamInit, list[LiveUnit]]:
        async with Recording(tmp_path, camsim.url(3, "main")) as rec:
            return await read_units(rec.dir, "main", 50)

    init, units = run(scenario(), 60)  # type: ignore[misc]
    muxer = MseMuxer()
    segment = muxer.init(init)
    assert segment.codec == codec_string(init.sps)
    assert segment.mime.startswith('video/mp4; codecs="avc1.')
    out = tmp_path / "live.mp4"
    out.write_bytes(segment.data + b"".join(muxer.fragment(u) for u in units))
    with av.open(str(out)) as container:
        assert [s.type for s in container.streams] == ["video"]
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == len(units) == muxer.frames
    with pytest.raises(ValueError, match="keyframe"):
        MseMuxer().fragment(units[1])  # a player cannot start on a non-keyframe
