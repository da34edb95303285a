"""The compiled packet path (gwanje.media.rtsp.native): built by the set-up, in use, never
stale, and the same as the Python it is compiled from."""

from __future__ import annotations

import importlib.util
import random
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from gwanje.media.rtsp import ProtocolError, interleave, native
from gwanje.media.rtsp.message import Response

ROOT = Path(__file__).resolve().parents[2]


def _build_tools() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_build_native", ROOT / "tools/build_native.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MISSING = _build_tools().missing_tools()
needs_compiler = pytest.mark.skipif(MISSING is not None, reason=f"cannot compile: {MISSING}")


@needs_compiler
def test_the_set_up_compiled_the_packet_path_and_it_is_in_use() -> None:
    # ./dev test builds it before pytest runs; a failed or stale build shows here.
    assert native.status() == {"interleave": "compiled", "depacketize": "compiled"}
    assert interleave.__file__ is not None
    assert interleave.__file__.endswith(".so")


@needs_compiler
def test_an_edited_source_runs_instead_of_its_stale_compiled_copy(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "gwanje", tmp_path / "gwanje",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    probe = (
        "import logging; logging.basicConfig()\n"
        "from gwanje.media.rtsp import native, depacketize\n"
        "print(sorted(native.status().items()), depacketize.MARK)\n"
    )
    copy = tmp_path / "gwanje/media/rtsp/depacketize.py"
    copy.write_text(copy.read_text() + '\nMARK = "edited"\n')
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env={"PYTHONPATH": str(tmp_path)},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [
        "[('depacketize',", "'source'),", "('interleave',", "'compiled')]", "edited",
    ]  # fmt: skip
    assert "compiled copy is older than the source" in run.stderr


# -- the interleaved byte stream, compiled and from source -----------------------------------


@pytest.fixture(params=["as_loaded", "python"])
def buffer_class(request: pytest.FixtureRequest) -> type[interleave.ConnectionBuffer]:
    if request.param == "python":
        module = native.load_source("interleave", "_test_python_interleave")
        return module.ConnectionBuffer  # type: ignore[no-any-return]
    return interleave.ConnectionBuffer


def _frame(channel: int, payload: bytes) -> bytes:
    return struct.pack(">cBH", b"$", channel, len(payload)) + payload


def test_frames_and_messages_survive_any_read_boundaries(
    buffer_class: type[interleave.ConnectionBuffer],
) -> None:
    rng = random.Random(11)
    video = [rng.randbytes(rng.randrange(13, 1500)) for _ in range(300)]
    wire = bytearray()
    for n, payload in enumerate(video):
        wire += _frame(0, payload)
        if n % 7 == 3:
            wire += _frame(1, rng.randbytes(28))  # RTCP: skipped unseen
        if n == 150:
            wire += b"RTSP/1.0 200 OK\r\nCSeq: 9\r\nSession: abc\r\n\r\n"
    got: list[bytes] = []
    messages: list[Response] = []
    buffer = buffer_class(lambda pkt: got.append(bytes(pkt)), messages.append, size=4096)
    buffer.rtp_channel = 0
    at = 0
    while at < len(wire):  # reads of random sizes, as a socket gives them
        space = buffer.get_buffer()
        n = min(len(space), len(wire) - at, rng.randrange(1, 3000))
        space[:n] = wire[at : at + n]
        buffer.filled(n)
        at += n
    assert got == video
    assert [(m.status, m.get("cseq"), m.get("session")) for m in messages] == [(200, "9", "abc")]
    assert buffer.frames == len(video)


def test_bytes_that_are_neither_frames_nor_rtsp_are_refused(
    buffer_class: type[interleave.ConnectionBuffer],
) -> None:
    buffer = buffer_class(lambda pkt: None, lambda message: None, size=4096)
    buffer.rtp_channel = 0
    good = _frame(0, bytes(20))
    space = buffer.get_buffer()
    space[: len(good)] = good
    buffer.filled(len(good))
    junk = b"\x17\x03\x03 not RTSP at all"
    space = buffer.get_buffer()
    space[: len(junk)] = junk
    with pytest.raises(ProtocolError):
        buffer.filled(len(junk))
