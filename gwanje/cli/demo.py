"""`gwanje demo`: the control center with a sample city, embedded defaults, web UI."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from gwanje.cli.common import open_system
from gwanje.context import Gwanje
from gwanje.settings import Mode


def seed_demo(system: Gwanje, cameras: int) -> list[tuple[str, str, str]]:
    """Seed people and cameras once; returns (username, password, role) rows."""
    from gwanje.people import demo as people_demo
    from gwanje.registry import demo as registry_demo

    with system.transaction() as session:
        accounts = people_demo.seed(session, system.clock)
    with system.transaction() as session:
        registry_demo.seed(session, system.clock, cameras=cameras)
    return accounts


def demo(
    ctx: typer.Context,
    cameras: Annotated[int, typer.Option(min=1, max=5000, help="Simulated cameras.")] = 48,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Web UI port.")] = 8000,
    host: Annotated[str, typer.Option(help="Listen address.")] = "127.0.0.1",
) -> None:
    """Run the control center with a sample city on http://HOST:PORT (Ctrl-C or SIGTERM stops)."""
    import uvicorn

    from gwanje.web.app import create_app

    system = open_system(ctx, mode=Mode.DEMO, port=port, host=host)
    accounts = seed_demo(system, cameras)
    console = Console()
    table = Table(title="Demo accounts / 데모 계정")
    for column in ("username", "password", "role"):
        table.add_column(column)
    for row in accounts:
        table.add_row(*row)
    console.print(table)
    console.print(f"Gwanje: http://{host}:{port}/  (data: {system.settings.data_dir})")
    config = uvicorn.Config(create_app(system), host=host, port=port, log_level="info")
    uvicorn.Server(config).run()  # handles SIGINT and SIGTERM with a clean shutdown
    system.close()
