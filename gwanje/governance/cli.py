"""`gwanje export verify PACKAGE`: check an evidence package anywhere, without a database.

Checks the manifest's Ed25519 signature, every file's SHA-256 and size, and that nothing
unlisted was added. Exit codes: 0 intact; 1 a problem (each printed); 2 bad usage.
With `--key` the signature must verify against that public key (the center's published
`keys/*.pem`); without it, against the key inside the package, whose id is printed so it
can be compared with the center's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from gwanje.audit.keys import load_public_pem
from gwanje.media.evidence import verify_package

app = typer.Typer(no_args_is_help=True, help="Evidence packages (증거 영상 반출).")


@app.command("verify")
def verify(
    package: Annotated[Path, typer.Argument(help="The evidence package (.zip).")],
    password: Annotated[str | None, typer.Option(help="Password of an encrypted package.")] = None,
    key: Annotated[
        Path | None, typer.Option(help="The center's public key (PEM) to trust.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Verify an evidence package's signature and files."""
    trusted = None
    if key is not None:
        try:
            trusted = load_public_pem(key.read_bytes())
        except (OSError, ValueError) as exc:
            typer.secho(f"cannot read the key {key}: {exc}", fg="red", err=True)
            raise typer.Exit(2) from exc
    report = verify_package(package, password, trusted)
    if as_json:
        typer.echo(json.dumps({"ok": report.ok, "problems": report.problems,
                               "key_id": report.key_id, "files": report.files}))  # fmt: skip
    elif report.ok:
        typer.echo(f"OK: signature by key {report.key_id}, {report.files} file(s) intact")
    else:
        for problem in report.problems:
            typer.secho(f"FAILED: {problem}", fg="red")
    raise typer.Exit(0 if report.ok else 1)
