"""`gwanje cameras ...`: list, import an inventory, print the published policy.

Local commands act as the system principal (full scope), and everything they change is
audited under that actor like any other change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from gwanje.cli.common import open_system
from gwanje.i18n import translate
from gwanje.registry.service import Registry, system_principal

app = typer.Typer(no_args_is_help=True, help="Camera registry (CCTV 대장).")


@app.command("list")
def list_cameras(ctx: typer.Context) -> None:
    """List every registered camera with its status and flags."""
    system = open_system(ctx)
    table = Table(title="CCTV")
    for column in ("code", "name", "district", "purposes", "status", "flags"):
        table.add_column(column)
    with system.transaction() as session:
        registry = Registry(session, system.settings, system.clock, system_principal())
        for camera in registry.search():
            public = registry.public(camera)
            purposes = ", ".join(p.value for p in public.purposes)
            table.add_row(
                public.code,
                public.name,
                public.district,
                purposes,
                public.status,
                ", ".join(public.flags),
            )
    Console().print(table)
    system.close()


@app.command("import")
def import_file(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or XLSX.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate only; write nothing.")
    ] = False,
    lang: Annotated[str, typer.Option(help="Report language: ko or en.")] = "ko",
) -> None:
    """Import an inventory: all rows or none. Exits 1 and prints every bad row."""
    from gwanje.registry.importer import import_inventory

    system = open_system(ctx)
    report = import_inventory(
        system, system_principal(), file.name, file.read_bytes(), dry_run=dry_run, language=lang
    )
    system.close()
    console = Console()
    if report.errors:
        table = Table(title=translate("registry.import.failed", lang, count=len(report.errors)))
        for key in ("row", "column", "message"):
            table.add_column(translate(f"registry.import.{key}", lang))
        for error in report.errors:
            table.add_row(str(error.row), error.column, error.message)
        console.print(table)
        raise typer.Exit(1)
    key = "registry.import.dry_ok" if dry_run else "registry.import.done"
    console.print(translate(key, lang, count=report.rows))


@app.command("policy")
def policy(
    ctx: typer.Context,
    lang: Annotated[str, typer.Option(help="ko or en.")] = "ko",
) -> None:
    """Print the operation and management policy (PIPA-2) generated from the registry."""
    from gwanje.registry.policy import build_policy

    if lang not in ("ko", "en"):
        raise typer.BadParameter("ko | en")
    system = open_system(ctx)
    with system.transaction() as session:
        document = build_policy(session, system.settings, system.clock.now(), lang)
    system.close()
    console = Console()
    console.print(f"[bold]{document.title}[/bold]  ({document.generated_at})")
    for number, section in enumerate(document.sections, start=1):
        console.print(f"\n[bold]{number}. {section.title}[/bold]")
        for paragraph in section.paragraphs:
            console.print(paragraph, markup=False)
        if section.rows:
            table = Table(*section.headers)
            for row in section.rows:
                table.add_row(*row)
            console.print(table)
