"""`gwanje demo` as a user runs it: a real process with the web UI, the camera simulator and
the recorder; SIGTERM stops it cleanly and what it recorded checks clean."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def gwanje(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gwanje.cli.main", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "GWANJE_MODE"},
    )  # fmt: skip  (the demo's data directory says it is one: no GWANJE_MODE needed)


def test_demo_serves_records_and_stops_on_sigterm(tmp_path: Path) -> None:
    data_dir, web, rtsp = tmp_path / "demo", free_port(), free_port()
    env = {**os.environ, "GWANJE_RECORDING__SEGMENT_SECONDS": "2"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gwanje.cli.main", "--data-dir", str(data_dir), "demo",
         "--cameras", "4", "--port", str(web), "--rtsp-port", str(rtsp), "--profile", "test"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        page = ""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{web}/login", timeout=5) as reply:
                    page = reply.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert "관제" in page  # the Korean UI answers
        video = data_dir / "video"
        while time.monotonic() < deadline and len(list(video.rglob("*.mp4"))) < 2:
            time.sleep(0.5)
        assert list(video.rglob("*.mp4"))  # the simulated cameras are being recorded
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output
    assert "gwanje-demo-1234" in output  # the demo accounts were printed
    listed = gwanje(data_dir, "recordings", "--json")
    assert listed.returncode == 0, listed.stderr
    segments = json.loads(listed.stdout)
    assert segments
    assert all(Path(s["path"]).exists() for s in segments)
    checked = gwanje(data_dir, "check", "--json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert json.loads(checked.stdout)["clean"] is True
