"""What the PTZ service needs from a camera, whatever protocol reaches it.

Owns: `PtzDevice` and `PtzConnector` (interfaces: the service is handed a connector, so
it never knows ONVIF), `Endpoint` (where and as whom to connect; its repr hides the
password), `DeviceStatus`, `DevicePreset` and `DeviceFailed`.
Invariant: a device call either did what it says or raises `DeviceFailed` (a user-facing
error naming the camera, never the credentials).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from gwanje.errors import GwanjeError
from gwanje.ptz.geometry import Position


class DeviceFailed(GwanjeError):
    """The camera did not answer or refused the command (HTTP 502 to the caller)."""

    status = 502


@dataclass(frozen=True)
class Endpoint:
    url: str  # the ONVIF device service, http://host:port/onvif/device_service
    username: str | None
    password: str | None
    profile: str  # the media profile whose PTZ configuration is steered

    def __repr__(self) -> str:
        return f"Endpoint(url={self.url!r}, username=***, password=***, profile={self.profile!r})"


@dataclass(frozen=True)
class DeviceStatus:
    position: Position
    moving: bool


@dataclass(frozen=True)
class DevicePreset:
    token: str
    name: str
    position: Position | None


class PtzDevice(Protocol):
    def status(self) -> DeviceStatus: ...
    def absolute_move(self, target: Position) -> None: ...
    def continuous_move(self, velocity: Position, timeout_s: float) -> None: ...
    def stop(self) -> None: ...
    def presets(self) -> list[DevicePreset]: ...
    def set_preset(self, name: str, token: str | None = None) -> str: ...
    def goto_preset(self, token: str) -> None: ...
    def remove_preset(self, token: str) -> None: ...
    def goto_home(self) -> None: ...
    def set_home(self) -> None: ...
    def stream_uri(self) -> str: ...


class PtzConnector(Protocol):
    def device(self, endpoint: Endpoint) -> PtzDevice: ...
