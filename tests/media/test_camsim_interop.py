"""Other RTSP clients than PyAV against the simulator: GStreamer's rtspsrc and the FFmpeg
command line, over TCP and UDP, with Digest authentication (a password with a space).

(VLC cannot be tested here: Debian 12 does not package live555, so its VLC has no RTSP
client.)"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest

from gwanje.media.camsim.clips import ClipSet
from gwanje.media.camsim.harness import CamsimHandle, run_in_thread
from gwanje.media.camsim.server import ServerConfig

pytestmark = pytest.mark.slow
USER, PASSWORD = "viewer", "pass word"


@pytest.fixture
def secured(camsim_clips: ClipSet) -> Iterator[CamsimHandle]:
    with run_in_thread(camsim_clips, ServerConfig(cameras=2, user=USER, password=PASSWORD)) as h:
        yield h


def _require(tool: str) -> str:
    path = shutil.which(tool)
    assert path, f"{tool} missing: ./dev test installs it (Debian package)"
    return path


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_gstreamer_rtspsrc(secured: CamsimHandle, transport: str) -> None:
    gst = _require("gst-launch-1.0")
    result = subprocess.run(
        [gst, "-q", "rtspsrc", f"location={secured.url(1, 'main')}", f"protocols={transport}",
         f"user-id={USER}", f"user-pw={PASSWORD}", "!", "rtph264depay", "!", "fakesink",
         "num-buffers=50"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert secured.stats(1).frames_sent["main"] >= 50


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_ffmpeg_command_line(secured: CamsimHandle, transport: str) -> None:
    ffmpeg = _require("ffmpeg")
    url = secured.url(2, "sub", user=USER, password=PASSWORD)
    result = subprocess.run(
        [ffmpeg, "-nostdin", "-loglevel", "error", "-rtsp_transport", transport, "-i", url,
         "-an", "-frames:v", "50", "-c:v", "copy", "-f", "null", "-"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert secured.stats(2).frames_sent["sub"] >= 50


def test_wrong_password_is_refused_to_gstreamer(secured: CamsimHandle) -> None:
    gst = _require("gst-launch-1.0")
    result = subprocess.run(
        [gst, "-q", "rtspsrc", f"location={secured.url(1, 'main')}", "user-id=viewer",
         "user-pw=wrong", "!", "rtph264depay", "!", "fakesink", "num-buffers=10"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert secured.stats(1).frames_sent["main"] == 0
