"""`gwanje audit ...`: verify the ledger, sign and export checkpoints, the event docs.

Exit codes: 0 ok; 1 the ledger failed verification (the first bad seq is named);
2 bad input (settings, unreadable checkpoint or key file). `verify` never appends to the
ledger, so it can run against a copy of the database handed to an auditor.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from sqlalchemy.orm import Session, sessionmaker

from gwanje.audit.catalog import render_events_markdown
from gwanje.audit.checkpoints import (
    HEAD_FILE,
    CheckpointFileError,
    SignedCheckpoint,
    export_document,
    install,
    load_export,
    read_head,
    stored_checkpoints,
    write_checkpoint,
)
from gwanje.audit.keys import AuditKeyError, key_id, load_or_create, load_public_pem, public_key_of
from gwanje.audit.verify import VerifyReport, verify_ledger
from gwanje.cli.common import open_system

app = typer.Typer(no_args_is_help=True, help="Audit ledger (감사 원장): verify, checkpoints.")
console = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(message, fg="red", err=True)
    return typer.Exit(code)


@app.command("verify")
def verify(
    ctx: typer.Context,
    checkpoints: Annotated[
        Path | None, typer.Option("--checkpoints", help="Exported checkpoint file to check too.")
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option("--public-key", help="Trusted public key PEM (default: data dir)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    batch: Annotated[int, typer.Option(min=100, help="Entries read per batch.")] = 20_000,
) -> None:
    """Recompute the whole hash chain and check every signed checkpoint (exit 1 if bad)."""
    system = open_system(ctx)
    try:
        key, extra = _verification_inputs(system.settings.data_dir, checkpoints, public_key)
        report = _run_verify(system.sessions, key, extra, batch, quiet=as_json)
    finally:
        system.close()
    typer.echo(report.model_dump_json(indent=2) if as_json else report.summary())
    for problem in report.problems if not as_json else []:
        typer.echo(f"  seq {problem.seq}: {problem.kind.value}: {problem.message}", err=True)
    raise typer.Exit(0 if report.ok else 1)


def _verification_inputs(
    data_dir: Path, checkpoints: Path | None, public_key: Path | None
) -> tuple[Ed25519PublicKey | None, list[SignedCheckpoint]]:
    """The trusted key and the checkpoints from outside the database (exit 2 if unreadable)."""
    try:
        key = load_public_pem(public_key.read_bytes()) if public_key else public_key_of(data_dir)
        extra: list[SignedCheckpoint] = []
        head = read_head(data_dir / HEAD_FILE)
        if head is not None:
            extra.append(head)
        if checkpoints is not None:
            exported = load_export(checkpoints)
            key = key or exported.public_key  # no pinned key at all: trust the file's
            if key_id(exported.public_key) != key_id(key):
                raise CheckpointFileError(f"{checkpoints} was signed by another key")
            extra += exported.checkpoints
    except (OSError, AuditKeyError, CheckpointFileError) as exc:
        raise _fail(f"cannot verify: {exc}") from exc
    return key, extra


def _run_verify(
    sessions: sessionmaker[Session],
    key: Ed25519PublicKey | None,
    extra: list[SignedCheckpoint],
    batch: int,
    quiet: bool,
) -> VerifyReport:
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, disable=quiet, transient=True) as bar:
        task = bar.add_task("verifying", total=None)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return verify_ledger(sessions, key, extra, batch_size=batch, progress=step)


@app.command("checkpoint")
def checkpoint(ctx: typer.Context) -> None:
    """Sign the current head of the ledger now (also updates the head file)."""
    system = open_system(ctx)
    try:
        install(system)  # the head file is published when the transaction commits
        with system.transaction() as session:
            signed = write_checkpoint(
                session, load_or_create(system.settings.data_dir), system.clock
            )
    except AuditKeyError as exc:
        raise _fail(f"signing key: {exc}") from exc
    finally:
        system.close()
    if signed is None:
        typer.echo("ledger is empty: nothing to sign")
        return
    typer.echo(f"checkpoint seq {signed.seq} {signed.entry_hash} signed by {signed.key_id}")


@app.command("export-checkpoints")
def export_checkpoints(ctx: typer.Context, output: Path) -> None:
    """Write every signed checkpoint and the public key to OUTPUT (JSON) for an auditor."""
    system = open_system(ctx)
    try:
        public = public_key_of(system.settings.data_dir)
        if public is None:
            raise _fail("no signing key in this data directory yet: run `gwanje audit checkpoint`")
        with system.sessions() as session:
            document = export_document(stored_checkpoints(session), public)
    except AuditKeyError as exc:
        raise _fail(f"signing key: {exc}") from exc
    finally:
        system.close()
    output.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    typer.echo(f"wrote {len(document['checkpoints'])} checkpoints to {output}")


@app.command("public-key")
def public_key_cmd(ctx: typer.Context) -> None:
    """Print the public key (PEM) auditors use to check checkpoint signatures."""
    from gwanje.audit.keys import public_pem
    from gwanje.cli.common import settings_from

    data_dir = settings_from(ctx).data_dir
    try:
        typer.echo(public_pem(load_or_create(data_dir).public), nl=False)
    except AuditKeyError as exc:
        raise _fail(f"signing key: {exc}") from exc


@app.command("events-doc")
def events_doc(output: Path = Path("docs/audit-events.md")) -> None:
    """Regenerate the audit event catalogue (docs/audit-events.md)."""
    output.write_text(render_events_markdown(), encoding="utf-8")
    typer.echo(f"wrote {output}")
