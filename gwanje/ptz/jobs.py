"""Timed PTZ work, run by the web process: idle cameras go back to their home preset.

A camera that was moved away from home and got no command for its `idle_return_s` is
sent to its home preset, recorded as `ptz.returned_home` by the system. `sweep_forever`
checks every `ptz.sweep_interval_s` seconds, so the return comes within that interval of
the idle time; tests call `return_idle_home` with a fake clock.
Invariants: the entry and the "at home" mark commit before the command is sent; a camera
that does not answer is marked away again (and `ptz.failed` recorded), so the next sweep
tries again; one camera's failure never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from gwanje.audit import record
from gwanje.audit.events import Actor
from gwanje.clock import as_utc
from gwanje.context import Gwanje
from gwanje.ptz.device import DeviceFailed, PtzConnector
from gwanje.ptz.events import PtzReturnedHome
from gwanje.ptz.models import PtzCamera, PtzPreset
from gwanje.ptz.service import Command, endpoint_of
from gwanje.registry.models import Camera

log = logging.getLogger(__name__)
ACTOR = Actor.system("ptz")


def _due(ctx: Gwanje) -> list[Command]:
    """Record the return of every idle camera and hand back the commands to send."""
    now = ctx.clock.now()
    commands: list[Command] = []
    with ctx.transaction() as session:
        rows = session.execute(
            select(PtzCamera, PtzPreset, Camera)
            .join(PtzPreset, (PtzPreset.camera_id == PtzCamera.camera_id) & PtzPreset.is_home)
            .join(Camera, Camera.id == PtzCamera.camera_id)
            .where(PtzCamera.away_from_home.is_(True))
        ).all()
        for config, home, camera in rows:
            last = config.last_command_at
            if last is not None and as_utc(last) + timedelta(seconds=config.idle_return_s) > now:
                continue
            record(
                session,
                PtzReturnedHome(
                    actor=ACTOR,
                    camera_ids=(camera.id,),
                    range_start=now,
                    code=camera.code,
                    preset=home.name,
                    idle_s=config.idle_return_s,
                ),
                ctx.clock,
            )
            config.away_from_home = False
            target = (home.pan, home.tilt, home.zoom)
            commands.append(_home_command(ctx, camera, config, target))
    return commands


def _home_command(
    ctx: Gwanje, camera: Camera, config: PtzCamera, target: tuple[float, float, float]
) -> Command:
    from gwanje.ptz.geometry import Position

    at = Position(*target)
    return Command(
        camera.id,
        camera.code,
        "home",
        endpoint_of(camera, config, ctx.settings),
        lambda d: d.absolute_move(at),
        ACTOR,
        None,
        {"target": at.as_json()},
    )


def return_idle_home(ctx: Gwanje, connector: PtzConnector) -> list[str]:
    """Send every idle camera home now; returns the codes of those sent."""
    return _send(ctx, _due(ctx), connector)


def _send(ctx: Gwanje, commands: list[Command], connector: PtzConnector) -> list[str]:
    sent: list[str] = []
    for command in commands:
        try:
            command.send(ctx, connector)
            sent.append(command.code)
        except DeviceFailed:
            log.warning("PTZ camera %s did not go home; retrying at the next sweep", command.code)
            with ctx.transaction() as session:
                config = session.get(PtzCamera, command.camera_id)
                if config is not None:
                    config.away_from_home = True
    return sent


def _sweep_once(ctx: Gwanje, connect: Callable[[], PtzConnector]) -> list[str]:
    due = _due(ctx)
    return _send(ctx, due, connect()) if due else []  # no camera, no connector


async def sweep_forever(ctx: Gwanje, connect: Callable[[], PtzConnector]) -> None:
    while True:
        try:
            await run_in_threadpool(_sweep_once, ctx, connect)
        except Exception:  # the next round tries again; the web process goes on
            log.exception("returning idle PTZ cameras home failed")
        await asyncio.sleep(ctx.settings.ptz.sweep_interval_s)
