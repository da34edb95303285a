"""`gwanje docs ...`: regenerate the committed reference tables."""

from __future__ import annotations

from pathlib import Path

import typer
from fastapi import FastAPI

app = typer.Typer(no_args_is_help=True, help="Generate reference documents.")


def _test_app() -> FastAPI:
    """The app over an in-memory database, only to inspect its routes."""
    from gwanje.clock import SystemClock
    from gwanje.context import Gwanje
    from gwanje.db.engine import make_engine, make_session_factory
    from gwanje.settings import Mode, Settings
    from gwanje.web.app import create_app

    settings = Settings(mode=Mode.TEST, database_url="sqlite://")
    engine = make_engine("sqlite://")
    return create_app(Gwanje(settings, engine, make_session_factory(engine), SystemClock()))


def routes_markdown() -> str:
    from gwanje.web.security import render_route_table

    return render_route_table(_test_app())


@app.command("routes")
def routes(output: Path = Path("docs/routes.md")) -> None:
    """Write the table of routes and the permission each needs."""
    output.write_text(routes_markdown(), encoding="utf-8")
    typer.echo(f"wrote {output}")
