"""Run the simulator on a background thread with its own event loop (tests, benches).

Owns: `run_in_thread` and `CamsimHandle`, the thread-safe surface: URLs, fault injection
(image-fault clips encoded on the caller's thread and kept), statistics, stop.
Invariants: every call that touches server state runs on the server's loop thread and
returns only after it took effect there (so "drop now" means now); `stop()` is idempotent
and joins the thread; a failure to start (port in use) raises in the caller's thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar
from urllib.parse import quote

from gwanje.media.camsim import faults
from gwanje.media.camsim.clips import ClipSet
from gwanje.media.camsim.fault_clips import FaultTracks, ImageFault, fault_tracks
from gwanje.media.camsim.faults import CameraStats
from gwanje.media.camsim.profile import StreamName
from gwanje.media.camsim.server import CamsimServer, ServerConfig

T = TypeVar("T")
S = TypeVar("S", bound="StopsOnExit")


class StopsOnExit:
    """`with handle:` stops the simulator at the end of the block."""

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self: S) -> S:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class CamsimHandle(StopsOnExit):
    def __init__(
        self, server: CamsimServer, loop: asyncio.AbstractEventLoop, thread: threading.Thread
    ) -> None:
        self._server = server
        self._loop = loop
        self._thread = thread
        self.host = server.config.host
        self.port = server.port
        self.cameras = server.config.cameras
        self.udp_ports = server.udp_ports
        self._fault_lock = threading.Lock()
        self._fault_tracks: dict[tuple[int, str], FaultTracks] = {}  # encoded once each

    def url(
        self,
        cam_index: int,
        stream: StreamName = "main",
        *,
        user: str | None = None,
        password: str | None = None,
    ) -> str:
        """rtsp://[user:password@]host:port/camN/stream (credentials percent-encoded)."""
        url = self._server.url(cam_index, stream)
        if user is None:
            return url
        cred = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
        return url.replace("rtsp://", f"rtsp://{cred}@", 1)

    def onvif_url(self, cam_index: int) -> str:
        """The ONVIF device service of a PTZ camera."""
        if self._server.onvif is None:
            raise ValueError(f"cam{cam_index} is not a PTZ camera")
        return self._server.onvif.device_url(cam_index)

    def ptz_position(self, cam_index: int) -> tuple[float, float, float]:
        """Where PTZ camera `cam_index` points now: (pan, tilt, zoom)."""
        return self._call(faults.ptz_position, cam_index)

    # -- faults ---------------------------------------------------------------------------

    def drop(self, cam_index: int) -> int:
        """Reset the camera's connections now; returns how many were reset."""
        return self._call(faults.drop, cam_index)

    def stall(self, cam_index: int, seconds: float) -> None:
        self._call(faults.stall, cam_index, seconds)

    def restart(self, cam_index: int, seconds: float) -> None:
        self._call(faults.restart, cam_index, seconds)

    def corrupt(self, cam_index: int, seconds: float) -> None:
        self._call(faults.corrupt, cam_index, seconds)

    def jump_timestamps(self, cam_index: int, seconds: float) -> None:
        self._call(faults.jump_timestamps, cam_index, seconds)

    def refuse_auth(self, cam_index: int, refuse: bool = True) -> None:
        self._call(faults.refuse_auth, cam_index, refuse)

    def image_fault(self, cam_index: int, kind: ImageFault, seconds: float | None = None) -> None:
        """From the camera's next IDR, send the `kind` fault clip (cover, black, freeze,
        blur, move) for `seconds` (None: until `clear_image_fault`). The clip is encoded
        on this thread the first time a kind is used for the camera's scene variant."""
        self._server.camera(cam_index)  # a bad index raises before anything is encoded
        variant = (cam_index - 1) % len(self._server.clips.variants)
        with self._fault_lock:
            tracks = self._fault_tracks.get((variant, kind))
            if tracks is None:
                tracks = fault_tracks(self._server.clips.profile, variant, kind)
                self._fault_tracks[(variant, kind)] = tracks
        self._call(faults.image_fault, cam_index, tracks, seconds)

    def clear_image_fault(self, cam_index: int) -> None:
        """The camera's scene comes back at its next IDR."""
        self._call(faults.clear_image_fault, cam_index)

    def stats(self, cam_index: int) -> CameraStats:
        return self._call(faults.stats, cam_index)

    def server_stats(self) -> faults.ServerStats:
        return self._call(faults.server_stats)

    def send_times(self, cam_index: int, stream: StreamName) -> list[tuple[int, float]]:
        return self._call(faults.send_times, cam_index, stream)

    # -- lifecycle ------------------------------------------------------------------------

    def _call(self, fn: Callable[..., T], *args: object) -> T:
        if not self._thread.is_alive():
            raise RuntimeError("camsim server is not running")
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(fn(self._server, *args))
            except BaseException as exc:
                future.set_exception(exc)

        self._loop.call_soon_threadsafe(run)
        return future.result(timeout=10)

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)


def run_in_thread(clips: ClipSet, config: ServerConfig | None = None) -> CamsimHandle:
    """Start a server on a daemon thread; returns once it is listening."""
    server = CamsimServer(config or ServerConfig(), clips)
    loop = asyncio.new_event_loop()
    started: concurrent.futures.Future[None] = concurrent.futures.Future()

    def main() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.start())
        except BaseException as exc:
            started.set_exception(exc)
            loop.close()
            return
        started.set_result(None)
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(server.close())
            loop.close()

    thread = threading.Thread(target=main, name="camsim", daemon=True)
    thread.start()
    started.result(timeout=30)
    return CamsimHandle(server, loop, thread)
