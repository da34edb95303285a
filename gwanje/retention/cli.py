"""`gwanje retention ...` (purge, disk guard, camera retention) and `gwanje holds ...`
(legal holds: list, place, release).

Local commands act as the system principal `cli` (full scope), and everything they
change is audited under that actor like any other change (as `gwanje cameras`).
Exit codes: 0 ok; 1 refused input (the message says why, in the settings' language);
3 the disk guard raised a disk-full alarm.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from gwanje.audit import Actor
from gwanje.cli.common import open_system
from gwanje.context import Gwanje
from gwanje.errors import GwanjeError
from gwanje.i18n import translate
from gwanje.registry.service import registry_transaction, system_principal
from gwanje.retention.service import HoldInput, Retention, parse_days, parse_time

app = typer.Typer(
    no_args_is_help=True, help="Video retention and destruction (보관·파기, ORD-31.1)."
)
holds_app = typer.Typer(no_args_is_help=True, help="Legal holds (법적 보존, ORD-31.1).")
T = TypeVar("T")
CLI_ACTOR = "cli"


@contextmanager
def _system(ctx: typer.Context) -> Iterator[Gwanje]:
    """The opened system; a refused input exits 1 with its translated message."""
    system = open_system(ctx)
    try:
        yield system
    except GwanjeError as exc:
        lang = system.settings.default_language
        typer.secho(translate(exc.key, lang, **exc.params), fg="red", err=True)
        raise typer.Exit(1) from exc
    finally:
        system.close()


def _in_service(system: Gwanje, work: Callable[[Retention], T]) -> T:
    with registry_transaction(system) as session:
        service = Retention(session, system.settings, system.clock, system_principal(CLI_ACTOR))
        return work(service)


def _say(system: Gwanje, key: str, **params: Any) -> None:
    typer.echo(translate(key, system.settings.default_language, **params))


@app.command("purge")
def purge(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report only; delete nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Destroy footage past its camera's retention that no legal hold covers."""
    from gwanje.retention.purge import purge_expired

    with _system(ctx) as system:
        summary = purge_expired(system, dry_run=dry_run, actor=Actor.system(CLI_ACTOR))
        if as_json:
            typer.echo(json.dumps(summary.as_json(), ensure_ascii=False, indent=2))
            return
        key = "retention.cli.would_purge" if dry_run else "retention.cli.purged"
        counts = {"segments": summary.segments, "bytes": summary.bytes}
        _say(system, key, cameras=len({c.camera_id for c in summary.cameras}), **counts)


@app.command("guard")
def guard(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Run the disk guard once on the storage directory (exit 3 on a disk-full alarm)."""
    from gwanje.media.storage import open_store
    from gwanje.retention.guard import guard_disk

    with _system(ctx) as system:
        result = guard_disk(system, open_store(system), actor=Actor.system(CLI_ACTOR))
        if as_json:
            typer.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
        else:
            threshold = result.min_free_bytes
            _say(
                system,
                "retention.cli.guard",
                free=result.free_after,
                threshold=threshold,
                segments=result.segments,
            )
            if result.disk_full:
                _say(system, "retention.cli.disk_full")
    if result.disk_full:
        raise typer.Exit(3)


@app.command("set")
def set_days(
    ctx: typer.Context,
    camera_code: Annotated[str, typer.Argument(help="Camera management number.")],
    days: Annotated[str, typer.Argument(help="1..30, or 'default' for the center's default.")],
) -> None:
    """Set a camera's retention period (ORD-31.1: at most 30 days)."""
    with _system(ctx) as system:
        value = parse_days(days)
        camera = _in_service(system, lambda s: s.set_camera_days(camera_code, value))
        effective = camera.retention_days or system.settings.registry.retention_days
        _say(system, "retention.cli.set", code=camera.code, days=effective)


@holds_app.command("list")
def list_holds(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """List active legal holds; those due for review are marked."""
    with _system(ctx) as system:
        views = _in_service(system, lambda s: s.active_holds())
    if as_json:
        typer.echo(json.dumps([v.as_json() for v in views], ensure_ascii=False, indent=2))
        return
    table = Table(title="legal holds")
    for column in ("id", "camera", "start", "end", "ground", "owner", "review", "due"):
        table.add_column(column)
    for v in views:
        cells = (v.start_at, v.end_at)
        table.add_row(
            str(v.id),
            v.camera_code,
            *(c.isoformat() for c in cells),
            v.ground,
            v.owner,
            v.review_at.isoformat(),
            "DUE" if v.due else "",
        )
    Console().print(table)


@holds_app.command("place")
def place(
    ctx: typer.Context,
    camera: Annotated[str, typer.Option("--camera", help="Camera management number.")],
    start: Annotated[str, typer.Option("--start", help="ISO time; no offset = local time.")],
    end: Annotated[str, typer.Option("--end", help="ISO time; no offset = local time.")],
    ground: Annotated[
        str, typer.Option("--ground", help="other_law | investigation_material | other_legitimate")
    ],
    reason: Annotated[str, typer.Option("--reason", help="The law, case number or reason.")],
    owner: Annotated[str, typer.Option("--owner", help="Username of the responsible person.")],
    review: Annotated[str, typer.Option("--review", help="Review date (ISO).")],
    source: Annotated[
        str, typer.Option("--source", help="'manual' or e.g. provision:12.")
    ] = "manual",
) -> None:
    """Place a legal hold on a camera's footage over a time range."""
    with _system(ctx) as system:
        tz = system.settings.registry.timezone
        data = HoldInput(
            camera_code=camera,
            start_at=parse_time(start, "start", tz),
            end_at=parse_time(end, "end", tz),
            ground=ground,
            reason=reason,
            owner_username=owner,
            review_at=parse_time(review, "review", tz),
            source=source,
        )
        hold = _in_service(system, lambda s: s.place_hold(data))
        _say(system, "retention.cli.placed", hold_id=hold.id)


@holds_app.command("release")
def release(
    ctx: typer.Context,
    hold_id: Annotated[int, typer.Argument(help="The hold's number.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is released.")],
) -> None:
    """Release a legal hold; its footage falls back under retention."""
    with _system(ctx) as system:
        _in_service(system, lambda s: s.release_hold(hold_id, reason))
        _say(system, "retention.cli.released", hold_id=hold_id)
