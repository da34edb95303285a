"""Run the simulator in a process of its own, driven over a pipe (benchmarks).

Owns: `run_in_process` and `CamsimProcess`, the same surface as `CamsimHandle` for the
calls a benchmark makes (URLs, statistics, faults, stop) plus the child's pid.
Why a process: a benchmark that hosts the simulator on one of its own threads shares the
GIL with its own polling, and a simulator that falls behind skips ticks, which every
client then sees as lost packets; a process of its own also lets the bench report the
simulator's CPU apart from the recorder's.
Invariants: one request at a time over the pipe (calls are serialised by a lock); a
failure to start (port in use, clips missing) raises in the caller; `stop()` is
idempotent and kills the child if it does not leave within 10 s.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from gwanje.media.camsim.faults import CameraStats, ServerStats
from gwanje.media.camsim.harness import StopsOnExit, run_in_thread
from gwanje.media.camsim.profile import StreamName
from gwanje.media.camsim.server import ServerConfig

# The handle methods a parent may call in the child (nothing else is dispatched).
_CALLS = frozenset(
    {"url", "stats", "server_stats", "drop", "stall", "restart", "corrupt",
     "jump_timestamps", "refuse_auth", "image_fault", "clear_image_fault"}
)  # fmt: skip


class CamsimProcess(StopsOnExit):
    def __init__(self, process: Any, conn: Connection, port: int, cameras: int) -> None:
        self._process = process
        self._conn = conn
        self._lock = threading.Lock()
        self.port = port
        self.cameras = cameras

    @property
    def pid(self) -> int:
        return int(self._process.pid)

    def url(self, cam_index: int, stream: StreamName = "main") -> str:
        return str(self._call("url", cam_index, stream))

    def stats(self, cam_index: int) -> CameraStats:
        result: CameraStats = self._call("stats", cam_index)
        return result

    def server_stats(self) -> ServerStats:
        result: ServerStats = self._call("server_stats")
        return result

    def drop(self, cam_index: int) -> int:
        return int(self._call("drop", cam_index))

    def image_fault(self, cam_index: int, kind: str, seconds: float | None = None) -> None:
        self._call("image_fault", cam_index, kind, seconds)

    def clear_image_fault(self, cam_index: int) -> None:
        self._call("clear_image_fault", cam_index)

    def _call(self, name: str, *args: object) -> Any:
        with self._lock:
            if not self._process.is_alive():
                raise RuntimeError("camsim process is not running")
            self._conn.send((name, args))
            if not self._conn.poll(30):
                raise TimeoutError(f"camsim process did not answer {name} within 30 s")
            status, value = self._conn.recv()
        if status == "timeout":
            raise TimeoutError(f"camsim did not run {name} in time (its loop is busy)")
        if status == "error":
            raise RuntimeError(f"camsim {name} failed: {value}")
        return value

    def stop(self) -> None:
        with self._lock:
            if self._process.is_alive():
                with contextlib.suppress(OSError):  # the child may be gone already
                    self._conn.send(("stop", ()))
                self._process.join(10)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(5)
            self._conn.close()


def run_in_process(clips_dir: Path, profile: str, config: ServerConfig) -> CamsimProcess:
    """Start a simulator process; returns once it listens (clips made first if needed)."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(
        target=_serve, args=(child, str(clips_dir), profile, config), name="camsim", daemon=True
    )
    process.start()
    child.close()
    if not parent.poll(600):
        process.kill()
        raise TimeoutError("camsim process did not start within 600 s")
    try:
        status, value = parent.recv()
    except EOFError:  # the child died before it could say why (see its stderr)
        process.join(5)
        raise RuntimeError(f"camsim process exited with {process.exitcode}") from None
    if status == "error":
        process.join(5)
        raise RuntimeError(f"camsim process failed to start: {value}")
    return CamsimProcess(process, parent, int(value), config.cameras)


def _serve(conn: Connection, clips_dir: str, profile: str, config: ServerConfig) -> None:
    from gwanje.media.camsim.clips import load_or_generate
    from gwanje.media.camsim.profile import PROFILES

    try:
        clips = load_or_generate(Path(clips_dir), PROFILES[profile])
        sim = run_in_thread(clips, config)
    except Exception as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ok", sim.port))
    with sim:
        while True:
            try:
                name, args = conn.recv()
            except EOFError:  # the parent is gone
                return
            if name == "stop":
                return
            if name not in _CALLS:
                conn.send(("error", f"unknown call {name!r}"))
                continue
            try:
                conn.send(("ok", getattr(sim, name)(*args)))
            except TimeoutError as exc:  # the server's loop is busy: the caller may retry
                conn.send(("timeout", str(exc)))
            except Exception as exc:
                conn.send(("error", f"{type(exc).__name__}: {exc}"))
