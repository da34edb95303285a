"""The alarm channel to the walls: server → browser over a WebSocket (`WS /ws/alarms`).

Who hears alarms is an `Audience`. By default it is `ManagersOnWall`: every open wall of
a principal holding `incident.manage`. With `shifts.alarms_on_duty_only` the web app sets
`app.state.alarm_audience` to the shifts feature's `OnDutyWalls` (only people on duty
now; `gwanje/shifts/alarm_audience.py`). It is asked on every round, so a shift that ends
silences that wall at once.

Each round (`bells.alarm_poll_s`) reads the alarms from the database and sends the whole
list when it changed: the database is the only source, so alarms raised by any process
(the MQTT listener, another web worker) reach every wall, and a wall that reconnects
gets the alarms still open.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Protocol

from fastapi import WebSocket
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.context import Gwanje
from gwanje.operations import bells


class Audience(Protocol):
    def admits(self, session: Session, principal: Principal) -> bool:
        """Whether this principal's walls get bell alarms now."""


class ManagersOnWall:
    """Everyone who may act on incidents (the default)."""

    def admits(self, session: Session, principal: Principal) -> bool:
        return principal.can(Permission.INCIDENT_MANAGE)


def audience_of(app: Any) -> Audience:
    chosen = getattr(app.state, "alarm_audience", None)
    return chosen if chosen is not None else ManagersOnWall()


def snapshot(ctx: Gwanje, audience: Audience, principal: Principal) -> dict[str, Any]:
    with ctx.sessions() as session:
        if not audience.admits(session, principal):
            return {"type": "alarms", "on_duty": False, "alarms": []}
        return {"type": "alarms", "on_duty": True, "alarms": bells.alarms(session, principal)}


async def serve(websocket: WebSocket, ctx: Gwanje, principal: Principal) -> None:
    """Push the alarm list whenever it changes, until the browser leaves."""
    audience = audience_of(websocket.app)
    closed = asyncio.ensure_future(_until_closed(websocket))
    sent = ""
    try:
        while not closed.done():
            data = await run_in_threadpool(snapshot, ctx, audience, principal)
            text = json.dumps(data, ensure_ascii=False, sort_keys=True)
            if text != sent:
                await websocket.send_text(text)
                sent = text
            await asyncio.wait({closed}, timeout=ctx.settings.bells.alarm_poll_s)
    finally:
        closed.cancel()


async def _until_closed(websocket: WebSocket) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
