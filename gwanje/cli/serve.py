"""`gwanje serve`: the web process of a real deployment (the demo seeds a sample city and
starts a simulator; this does neither). Settings come from `<data-dir>/gwanje.toml` and
`GWANJE_*` as everywhere; the host and port from the settings unless given here.

TLS (ORD-23, ORD-30.3: video and personal data never cross the network in clear): with
`tls_cert` and `tls_key` set, the server speaks HTTPS only; production mode refuses to
start on a non-loopback address without them, unless `tls_offloaded` says a reverse proxy
in front terminates TLS.
"""

from __future__ import annotations

import signal
from typing import Annotated

import typer

from gwanje.cli.common import open_system
from gwanje.settings import Mode


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Listen address (settings: host).")] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (settings: port).")
    ] = None,
) -> None:
    """Serve the web UI and the API (HTTPS when tls_cert and tls_key are set)."""
    import uvicorn

    from gwanje.web.app import create_app

    overrides = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    system = open_system(ctx, **overrides)
    settings = system.settings
    tls = settings.tls_cert is not None and settings.tls_key is not None
    loopback = settings.host in ("127.0.0.1", "::1", "localhost")
    if settings.mode is Mode.PRODUCTION and not (tls or loopback or settings.tls_offloaded):
        typer.secho("settings error: serving beyond this machine needs tls_cert and tls_key "
                    "(or tls_offloaded behind a TLS proxy)", fg="red", err=True)  # fmt: skip
        system.close()
        raise typer.Exit(2)
    config = uvicorn.Config(
        create_app(system), host=settings.host, port=settings.port, log_level="info",
        ssl_certfile=str(settings.tls_cert) if tls else None,
        ssl_keyfile=str(settings.tls_key) if tls else None,
    )  # fmt: skip
    scheme = "https" if tls else "http"
    typer.echo(f"Gwanje: {scheme}://{settings.host}:{settings.port}/ "
               f"(data: {settings.data_dir})")  # fmt: skip
    # uvicorn shuts down gracefully on SIGINT/SIGTERM and then re-raises the signal to the
    # handler it found: a no-op one here, so a requested stop ends with exit status 0.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda _signum, _frame: None)
    try:
        uvicorn.Server(config).run()
    finally:
        system.close()
