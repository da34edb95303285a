"""The ONVIF PTZ client: `onvif-zeep-async` (the maintained ONVIF client that Home
Assistant uses) on an event loop thread of its own, behind the synchronous `PtzDevice`.

Owns: `OnvifConnector` (the loop thread, one connected `ONVIFCamera` per endpoint) and
`OnvifDevice`.
Why a loop thread: the PTZ service runs in the web server's worker threads inside a
database transaction; the library is asyncio (aiohttp), so each call is handed to this
loop and waited for with a timeout.
Invariants: every call has a deadline (`timeout_s`); any failure (timeout, refused,
SOAP fault, wrong password) becomes `DeviceFailed` and drops the cached connection, so
the next call reconnects; WSDLs come from the package (no network, no cache files:
`no_cache=True`); passwords never reach a log line or an error message.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from gwanje.ptz.device import DeviceFailed, DevicePreset, DeviceStatus, Endpoint
from gwanje.ptz.geometry import Position

log = logging.getLogger(__name__)
T = TypeVar("T")


class OnvifConnector:
    """Connects to ONVIF cameras; thread-safe; `close()` ends the loop thread."""

    def __init__(self, timeout_s: float = 5.0) -> None:
        self.timeout_s = timeout_s
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="gwanje-onvif", daemon=True
        )
        self._thread.start()
        self._cameras: dict[tuple[str, str | None, str | None], Any] = {}

    def device(self, endpoint: Endpoint) -> OnvifDevice:
        return OnvifDevice(self, endpoint)

    def run(self, endpoint: Endpoint, call: Callable[[Any], Awaitable[T]]) -> T:
        """Run `call(ptz_context)` on the loop, within the deadline."""
        future = asyncio.run_coroutine_threadsafe(self._run(endpoint, call), self._loop)
        try:
            return future.result(self.timeout_s)
        except concurrent.futures.TimeoutError:
            future.cancel()
            self._forget(endpoint)
            raise DeviceFailed("ptz.error.device_timeout") from None
        except DeviceFailed:
            raise
        except Exception as exc:  # zeep faults, aiohttp errors, ONVIFError ...
            self._forget(endpoint)
            log.warning("ONVIF call to %s failed: %s", endpoint.url, type(exc).__name__)
            raise DeviceFailed("ptz.error.device_failed", detail=_safe(exc)) from None

    async def _run(self, endpoint: Endpoint, call: Callable[[Any], Awaitable[T]]) -> T:
        cam = await self._camera(endpoint)
        return await call(cam)

    async def _camera(self, endpoint: Endpoint) -> Any:
        key = (endpoint.url, endpoint.username, endpoint.password)
        cam = self._cameras.get(key)
        if cam is None:
            from onvif import ONVIFCamera  # imported late: it configures logging on import

            parts = urlsplit(endpoint.url)
            # No credentials: an empty token, which a device without authentication
            # ignores (the library cannot build a request without one).
            cam = ONVIFCamera(
                parts.hostname or "",
                parts.port or 80,
                endpoint.username or "",
                endpoint.password or "",
                no_cache=True,
            )
            try:
                await cam.update_xaddrs()
                cam.gwanje_ptz = await cam.create_ptz_service()
                cam.gwanje_media = await cam.create_media_service()
            except BaseException:
                await cam.close()
                raise
            self._cameras[key] = cam
        return cam

    def _forget(self, endpoint: Endpoint) -> None:
        key = (endpoint.url, endpoint.username, endpoint.password)
        cam = self._cameras.pop(key, None)
        if cam is not None:
            asyncio.run_coroutine_threadsafe(cam.close(), self._loop)

    def close(self) -> None:
        async def close_all() -> None:
            for cam in list(self._cameras.values()):
                await cam.close()
            self._cameras.clear()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(close_all(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()


def _safe(exc: BaseException) -> str:
    """A short reason for the user: the fault's text, never a URL with credentials."""
    text = str(getattr(exc, "message", None) or exc)[:200]
    return text.split("://")[0] if "://" in text else text


def _position(node: Any) -> Position:
    pan_tilt, zoom = node.PanTilt, node.Zoom
    return Position(
        float(pan_tilt.x) if pan_tilt is not None else 0.0,
        float(pan_tilt.y) if pan_tilt is not None else 0.0,
        float(zoom.x) if zoom is not None else 0.0,
    )


def _vector(at: Position) -> dict[str, Any]:
    return {"PanTilt": {"x": at.pan, "y": at.tilt}, "Zoom": {"x": at.zoom}}


class OnvifDevice:
    """One camera's PTZ over ONVIF, synchronous (see `OnvifConnector`)."""

    def __init__(self, connector: OnvifConnector, endpoint: Endpoint) -> None:
        self.connector, self.endpoint = connector, endpoint
        self.profile = endpoint.profile

    def _ptz(self, operation: str, **params: Any) -> Any:
        async def call(cam: Any) -> Any:
            return await getattr(cam.gwanje_ptz, operation)(
                {"ProfileToken": self.profile, **params}
            )

        return self.connector.run(self.endpoint, call)

    def status(self) -> DeviceStatus:
        status = self._ptz("GetStatus")
        move = status.MoveStatus
        moving = move is not None and "MOVING" in (str(move.PanTilt), str(move.Zoom))
        return DeviceStatus(_position(status.Position), moving)

    def absolute_move(self, target: Position) -> None:
        self._ptz("AbsoluteMove", Position=_vector(target))

    def continuous_move(self, velocity: Position, timeout_s: float) -> None:
        self._ptz(
            "ContinuousMove",
            Velocity=_vector(velocity),
            Timeout=timedelta(seconds=round(timeout_s, 3)),
        )

    def stop(self) -> None:
        self._ptz("Stop", PanTilt=True, Zoom=True)

    def presets(self) -> list[DevicePreset]:
        found = self._ptz("GetPresets") or []
        return [
            DevicePreset(
                str(p.token),
                str(p.Name or ""),
                _position(p.PTZPosition) if p.PTZPosition is not None else None,
            )
            for p in found
        ]

    def set_preset(self, name: str, token: str | None = None) -> str:
        params: dict[str, Any] = {"PresetName": name}
        if token is not None:
            params["PresetToken"] = token
        return str(self._ptz("SetPreset", **params))

    def goto_preset(self, token: str) -> None:
        self._ptz("GotoPreset", PresetToken=token)

    def remove_preset(self, token: str) -> None:
        self._ptz("RemovePreset", PresetToken=token)

    def goto_home(self) -> None:
        self._ptz("GotoHomePosition")

    def set_home(self) -> None:
        self._ptz("SetHomePosition")

    def stream_uri(self) -> str:
        async def call(cam: Any) -> str:
            setup = {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}
            uri = await cam.gwanje_media.GetStreamUri(
                {"StreamSetup": setup, "ProfileToken": self.profile}
            )
            return str(uri.Uri)

        return self.connector.run(self.endpoint, call)

    def profiles(self) -> list[str]:
        async def call(cam: Any) -> list[str]:
            return [str(p.token) for p in await cam.gwanje_media.GetProfiles()]

        return self.connector.run(self.endpoint, call)

    def device_information(self) -> dict[str, str]:
        async def call(cam: Any) -> dict[str, str]:
            service = await cam.create_devicemgmt_service()
            info = await service.GetDeviceInformation()
            return {k: str(info[k]) for k in ("Manufacturer", "Model", "SerialNumber")}

        return self.connector.run(self.endpoint, call)
