"""The simulator's ONVIF devices: one per PTZ camera, each on its own HTTP port, as
each real camera has its own address (the device service path is fixed by ONVIF:
`/onvif/device_service`; media and PTZ are `/onvif/media_service`, `/onvif/ptz_service`).

Owns: `OnvifServer` (the listening sockets, routing to the operations of
`services.py`, authentication, faults).
Invariants: runs on the simulator's event loop thread, like everything that touches
camera state; every operation but GetSystemDateAndTime needs a valid UsernameToken when
the simulator has credentials; PTZ camera i listens on `port + i - 1` (or any free port
when `port` is 0); faults are
SOAP 1.2 faults with ONVIF subcodes, HTTP 400 for the client's errors (ONVIF Core §5.11).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from gwanje.media.camsim.onvif.http import HttpRequest, HttpResponse, HttpServer, serve_http
from gwanje.media.camsim.onvif.services import OPERATIONS, UNAUTHENTICATED, Device
from gwanje.media.camsim.onvif.soap import (
    SoapFault,
    UsernameTokenAuth,
    envelope,
    fault,
    parse_envelope,
)

if TYPE_CHECKING:
    from gwanje.media.camsim.server import CamsimServer
    from gwanje.media.camsim.state import Camera

log = logging.getLogger(__name__)


class OnvifServer:
    def __init__(self, sim: CamsimServer, host: str, port: int) -> None:
        self.sim, self.host, self.base_port = sim, host, port
        config = sim.config
        self.auth = (
            UsernameTokenAuth(config.user, config.password or "")
            if config.user is not None
            else None
        )
        self._servers: dict[int, HttpServer] = {}
        self.ports: dict[int, int] = {}  # camera index -> port

    async def start(self) -> None:
        for camera in self.sim.cameras:
            if camera.ptz is None:
                continue
            port = self.base_port + camera.index - 1 if self.base_port else 0
            server = await serve_http(self.host, port, self._handler(camera))
            self._servers[camera.index] = server
            self.ports[camera.index] = server.port

    async def close(self) -> None:
        await asyncio.gather(*(server.close() for server in self._servers.values()))
        self._servers.clear()

    def device_url(self, index: int) -> str:
        if index not in self.ports:
            raise ValueError(f"cam{index} is not a PTZ camera")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.ports[index]}/onvif/device_service"

    def _handler(self, camera: Camera) -> Callable[[HttpRequest], Awaitable[HttpResponse]]:
        async def handle(request: HttpRequest) -> HttpResponse:
            return self.handle(camera, request)

        return handle

    def handle(self, camera: Camera, request: HttpRequest) -> HttpResponse:
        parts = request.path.strip("/").split("/")
        service = parts[1].removesuffix("_service") if len(parts) == 2 else ""
        operations = OPERATIONS.get(service) if parts[0] == "onvif" else None
        if operations is None:
            return HttpResponse(404, b"", "text/plain")
        if request.method != "POST":
            return HttpResponse(405, b"", "text/plain")
        base = self.device_url(camera.index).rsplit("/", 1)[0]
        try:
            call = parse_envelope(request.body)
            if self.auth is not None and call.operation not in UNAUTHENTICATED:
                self.auth.check(call, datetime.now(UTC))
            operation = operations.get(call.operation)
            if operation is None:
                raise SoapFault("Receiver", "ter:ActionNotSupported", reason=call.operation)
            body = operation(Device(self.sim, camera, base), call.body)
        except SoapFault as exc:
            log.info("camsim onvif: %s on %s: %s", service, camera.name, exc.reason)
            return HttpResponse(exc.status, fault(exc))
        return HttpResponse(200, envelope(body))
