"""Entry point: `gwanje [--data-dir DIR] COMMAND ...`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gwanje.audit.cli import app as audit_app
from gwanje.camhealth.cli import app as health_app
from gwanje.cli.common import open_system, settings_from
from gwanje.cli.demo import demo
from gwanje.cli.docs import app as docs_app
from gwanje.cli.serve import serve
from gwanje.db import migrate
from gwanje.db.engine import make_engine
from gwanje.governance.cli import app as export_app
from gwanje.media.camsim.bell_cli import camsim_bell
from gwanje.media.camsim.cli import camsim
from gwanje.media.cli import check_command, record, recordings
from gwanje.people.cli import app as people_app
from gwanje.registry.cli import app as registry_app
from gwanje.reports.cli import app as report_app
from gwanje.retention.cli import app as retention_app
from gwanje.retention.cli import holds_app

app = typer.Typer(no_args_is_help=True, help="Gwanje (관제): CCTV integrated control center.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")


@app.callback()
def main(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir", envvar="GWANJE_DATA_DIR", help="Data directory (default ./data)."
        ),
    ] = None,
) -> None:
    ctx.obj = {"data_dir": data_dir}


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Bring the database schema up to date."""
    system = open_system(ctx)
    typer.echo(f"schema current: {migrate.is_current(system.engine)}")
    system.close()


@db_app.command("status")
def db_status(ctx: typer.Context) -> None:
    """Say whether the schema is at the newest revision (exit 1 if not)."""
    engine = make_engine(settings_from(ctx).db_url)
    current = migrate.is_current(engine)
    typer.echo("current" if current else "needs upgrade")
    raise typer.Exit(0 if current else 1)


app.add_typer(db_app, name="db")
app.add_typer(docs_app, name="docs")
app.add_typer(audit_app, name="audit")
app.add_typer(people_app, name="people")
app.add_typer(registry_app, name="cameras")
app.add_typer(retention_app, name="retention")
app.add_typer(holds_app, name="holds")
app.add_typer(export_app, name="export")
app.add_typer(report_app, name="report")
app.add_typer(health_app, name="health")
app.command("demo")(demo)
app.command("serve")(serve)
app.command("camsim")(camsim)
app.command("camsim-bell")(camsim_bell)
app.command("record")(record)
app.command("recordings")(recordings)
app.command("check")(check_command)


if __name__ == "__main__":
    app()
