"""Segment cutting, audio stripping, timestamp faults and corrupt input, on real files.

The capture reads any URL PyAV can open; a local file exercises the same demux → segment
→ fsync → report path as RTSP (the RTSP paths are in test_recorder_rtsp.py)."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import pytest
from recorder_kit import capture_file, make_clip

from gwanje.media.probe import probe
from gwanje.media.recorder.capture import CaptureParams
from gwanje.media.recorder.messages import SegmentCommitted, StreamDown

FAST = CaptureParams(segment_seconds=2.0, reconnect_min_s=60.0)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clip") / "source.mp4", seconds=10, gop=25)


def segments(reports: list) -> list[SegmentCommitted]:  # type: ignore[type-arg]
    return [r for r in reports if isinstance(r, SegmentCommitted)]


def test_segments_are_cut_at_keyframes_and_contiguous(clip: Path, tmp_path: Path) -> None:
    reports = capture_file(clip, tmp_path, FAST)
    done = segments(reports)
    assert [s.frames for s in done] == [50] * 5  # 10 s at 25 fps in 2 s pieces
    for seg in done:
        assert seg.keyframes_ms[0] == 0  # every segment starts on a keyframe
        assert seg.keyframes_ms == (0, 1000)
        assert (seg.end_at - seg.start_at).total_seconds() == pytest.approx(2.0, abs=0.001)
    for before, after in itertools.pairwise(done):
        assert after.start_at == before.end_at  # no hole, no overlap
    down = [r for r in reports if isinstance(r, StreamDown)]
    assert down[0].cause == "camera_offline"  # the end of the stream is a drop, not success
    assert down[0].at == done[-1].end_at


def test_stored_segments_hold_video_only_with_the_reported_hash(clip: Path, tmp_path: Path) -> None:
    assert probe(clip) is not None
    done = segments(capture_file(clip, tmp_path, FAST))
    assert done
    for seg in done:
        path = tmp_path / seg.relpath
        content = probe(path)
        assert content is not None
        assert content.stream_types == ("video",)  # ORD-10.2: the AAC track is not stored
        assert hashlib.sha256(path.read_bytes()).hexdigest() == seg.sha256
        assert path.stat().st_size == seg.bytes
        assert content.frames == seg.frames
    assert not list(tmp_path.rglob("*.part"))


def test_half_a_frame_of_tolerance_at_the_cut(clip: Path, tmp_path: Path) -> None:
    # 2.01 s target: the keyframe at 2.00 s is within half a frame (20 ms) and cuts there.
    tolerant = CaptureParams(segment_seconds=2.01, reconnect_min_s=60.0)
    cut = segments(capture_file(clip, tmp_path / "a", tolerant))
    assert [s.frames for s in cut][:2] == [50, 50]
    # 2.05 s target: beyond the tolerance, so the cut waits for the keyframe at 3.00 s.
    strict = CaptureParams(segment_seconds=2.05, reconnect_min_s=60.0)
    assert [s.frames for s in segments(capture_file(clip, tmp_path / "b", strict))][:2] == [75, 75]


def _transport_stream(mp4: Path, out: Path) -> Path:
    import av

    source = av.open(str(mp4))
    target = av.open(str(out), "w", format="mpegts")
    stream = target.add_stream_from_template(source.streams.video[0])
    for packet in source.demux(source.streams.video[0]):
        if packet.dts is None:
            continue
        packet.stream = stream
        target.mux(packet)
    target.close()
    source.close()
    return out


def test_timestamps_going_backwards_start_a_new_segment(clip: Path, tmp_path: Path) -> None:
    # Two transport streams back to back: the second restarts its clock at zero, as a
    # camera does after a reboot that keeps the connection.
    ts = _transport_stream(clip, tmp_path / "one.ts").read_bytes()
    joined = tmp_path / "joined.ts"
    joined.write_bytes(ts + ts)
    reports = capture_file(joined, tmp_path / "store", FAST)
    done = segments(reports)
    downs = [r for r in reports if isinstance(r, StreamDown)]
    assert downs[0].cause == "corrupt_input"  # the discontinuity is recorded as such
    assert sum(s.frames for s in done) == 500  # both halves recorded, nothing lost
    for before, after in itertools.pairwise(done):
        assert after.start_at >= before.end_at  # the index never runs backwards
    for seg in done:
        assert probe(tmp_path / "store" / seg.relpath) is not None


def test_garbage_input_is_reported_not_crashed(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x01garbage" * 5000)
    reports = capture_file(junk, tmp_path / "store", FAST)
    assert isinstance(reports[0], StreamDown) or any(isinstance(r, StreamDown) for r in reports)
    assert not segments(reports)
    assert not list((tmp_path / "store").rglob("*.mp4*"))


def test_truncated_input_keeps_what_was_readable(clip: Path, tmp_path: Path) -> None:
    ts = _transport_stream(clip, tmp_path / "one.ts").read_bytes()
    cut = tmp_path / "cut.ts"
    cut.write_bytes(ts[: len(ts) * 6 // 10])  # a connection that dies mid-packet
    reports = capture_file(cut, tmp_path / "store", FAST)
    done = segments(reports)
    assert sum(s.frames for s in done) >= 125  # most of the first 6 s survive
    for seg in done:
        content = probe(tmp_path / "store" / seg.relpath)
        assert content is not None
        assert content.frames == seg.frames


WRITE_LIMITED = """
import json, resource, signal, sys, threading, time
from pathlib import Path
from gwanje.media.recorder.capture import CaptureJob, CaptureParams, StreamCapture
from gwanje.media.recorder.messages import StreamDown, StreamKey

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[3]), int(sys.argv[3])))
reports, stop = [], threading.Event()
job = CaptureJob(StreamKey(1, "main"), sys.argv[1])
params = CaptureParams(segment_seconds=float(sys.argv[4]), reconnect_min_s=60.0)
capture = StreamCapture(job, params, Path(sys.argv[2]), reports.append, stop)
thread = threading.Thread(target=capture.run)
thread.start()
deadline = time.monotonic() + 120
while time.monotonic() < deadline and not any(
    isinstance(r, StreamDown) and r.cause == "camera_offline" for r in reports
):
    time.sleep(0.05)
stop.set()
thread.join()
print(json.dumps([[type(r).__name__, getattr(r, "cause", ""), getattr(r, "frames", 0)]
                  for r in reports]))
"""


def test_write_failure_abandons_the_file_and_recording_goes_on(clip: Path, tmp_path: Path) -> None:
    """A segment that cannot be written (the kernel refuses: file size limit) is abandoned,
    never committed or retried; it becomes a gap, and the next segments are attempted."""
    import json
    import subprocess
    import sys

    small = make_clip(tmp_path / "small.mp4", seconds=10, gop=25, audio=False)
    sizes = [s.bytes for s in segments(capture_file(small, tmp_path / "probe", FAST))]
    limit = max(sizes) + 4096  # 2 s segments fit; 6 s segments do not
    out = subprocess.run(
        [sys.executable, "-c", WRITE_LIMITED, str(small), str(tmp_path / "store"), str(limit),
         "6.0"],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    reports = json.loads(out.stdout.strip().splitlines()[-1])
    causes = [cause for kind, cause, _ in reports if kind == "StreamDown"]
    assert "io_error" in causes  # the failed segment is a gap with its cause
    assert causes[-1] == "camera_offline"  # and the capture kept going to the stream's end
    assert not [r for r in reports if r[0] == "SegmentCommitted" and r[2] > 100]
    assert not list((tmp_path / "store").rglob("*.part"))  # abandoned, not left half-written
    for path in (tmp_path / "store").rglob("*.mp4"):
        assert probe(path) is not None  # whatever was committed is whole
