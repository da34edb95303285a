"""`gwanje camsim`: serve N simulated cameras until SIGTERM or SIGINT.

Owns: the command's options and its serve loop. Clips are cached under
`<data-dir>/camsim/clips/` (the global `--data-dir`), generated on first use.
Invariant: a signal ends the loop, the server closes every socket and the command exits 0;
the password is never printed (URLs are shown without credentials).
"""

from __future__ import annotations

import asyncio
import signal
from dataclasses import replace
from typing import Annotated

import typer

from gwanje.cli.common import settings_from
from gwanje.media.camsim.clips import ClipSet, load_or_generate
from gwanje.media.camsim.profile import PROFILES
from gwanje.media.camsim.server import CamsimServer, ServerConfig

SHOWN_URLS = 4


def camsim(
    ctx: typer.Context,
    cameras: Annotated[int, typer.Option(min=1, max=5000, help="Simulated cameras.")] = 4,
    port: Annotated[int, typer.Option(min=0, max=65535, help="RTSP port.")] = 8554,
    host: Annotated[str, typer.Option(help="Listen address.")] = "127.0.0.1",
    user: Annotated[str | None, typer.Option(help="Require Digest auth as this user.")] = None,
    password: Annotated[
        str | None, typer.Option(envvar="GWANJE_CAMSIM_PASSWORD", help="Password for --user.")
    ] = None,
    profile: Annotated[str, typer.Option(help="Stream profile: default or test.")] = "default",
    gop: Annotated[
        int | None, typer.Option(min=1, help="Frames between keyframes (default: 1 s).")
    ] = None,
    ptz_cameras: Annotated[
        int, typer.Option(min=0, help="Cameras 1..N are PTZ cameras with an ONVIF device.")
    ] = 0,
    onvif_port: Annotated[
        int, typer.Option(min=0, max=65535, help="ONVIF port of PTZ camera 1 (N: +N-1).")
    ] = 8080,
) -> None:
    """Serve simulated RTSP cameras: rtsp://HOST:PORT/camN/main and /camN/sub."""
    if profile not in PROFILES:
        raise typer.BadParameter(f"choose one of {', '.join(PROFILES)}", param_hint="--profile")
    if (user is None) != (password is None):
        raise typer.BadParameter("give both --user and --password, or neither")
    chosen = PROFILES[profile]
    if gop is not None:  # its own cache folder, so switching GOPs does not regenerate
        try:
            chosen = replace(chosen, name=f"{chosen.name}-gop{gop}", gop=gop)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--gop") from exc
    cache = settings_from(ctx).data_dir / "camsim" / "clips"
    typer.echo(f"clips: {cache / chosen.name} (generated on first use)")
    clips = load_or_generate(cache, chosen)
    verb = "generated" if clips.generated else "loaded"
    typer.echo(f"clips {verb} in {clips.seconds:.1f} s")
    if ptz_cameras > cameras:
        raise typer.BadParameter("at most --cameras", param_hint="--ptz-cameras")
    config = ServerConfig(
        cameras=cameras, host=host, port=port, user=user, password=password,
        ptz_cameras=ptz_cameras, onvif_port=onvif_port,
    )  # fmt: skip
    asyncio.run(_serve(config, clips))


async def _serve(config: ServerConfig, clips: ClipSet) -> None:
    server = CamsimServer(config, clips)
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    shown = min(config.cameras, SHOWN_URLS)
    for index in range(1, shown + 1):
        typer.echo(f"{server.url(index, 'main')}  {server.url(index, 'sub')}")
    if config.cameras > shown:
        typer.echo(f"... {server.url(config.cameras, 'main')}")
    if server.onvif is not None:
        for index in sorted(server.onvif.ports)[:SHOWN_URLS]:
            typer.echo(f"cam{index} PTZ: {server.onvif.device_url(index)}")
    auth = f", Digest user {config.user!r}" if config.user else ""
    typer.echo(
        f"serving {config.cameras} cameras on port {server.port}{auth}; SIGTERM or Ctrl-C stops",
        err=False,
    )
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await server.close()
    typer.echo("stopped")
