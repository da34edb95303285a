"""`gwanje people ...`: create the first administrator, list people, disable a person.

Passwords are read from a hidden prompt or from stdin (`--password-stdin`), never from
the command line, where they would land in shell history and the process list.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from gwanje.auth import service as auth_service
from gwanje.auth.config import effective_auth
from gwanje.auth.permissions import Role
from gwanje.cli.common import open_system
from gwanje.errors import GwanjeError
from gwanje.people import service
from gwanje.people.access import resolve_principal
from gwanje.people.models import Person

app = typer.Typer(no_args_is_help=True, help="People, roles and accounts (인원·권한).")


def _fail(exc: GwanjeError) -> typer.Exit:
    typer.secho(f"error: {exc}", fg="red", err=True)
    return typer.Exit(1)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password / 비밀번호", hide_input=True, confirmation_prompt=True))


@app.command("create-admin")
def create_admin(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name (a-z, 0-9, . _ -).")],
    display_name: Annotated[str, typer.Option(help="Name shown in the UI.")] = "관리자",
    organisation: Annotated[str, typer.Option(help="Organisation name.")] = "시청",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
) -> None:
    """Create a person with the system administrator role and a password."""
    password = _read_password(password_stdin)
    system = open_system(ctx)
    settings = effective_auth(system.settings)
    try:
        auth_service.check_password_policy(password, username, settings)
        with system.transaction() as session:
            data = service.PersonInput(username, display_name, organisation)
            person = service.create_person(session, system.clock, service.SYSTEM, data)
            auth_service.set_password(
                session, system.clock, service.SYSTEM, settings, person.id, password
            )
            service.grant_role(
                session, system.clock, service.SYSTEM, person.id, Role.SYSTEM_ADMIN.value
            )
    except GwanjeError as exc:
        raise _fail(exc) from exc
    finally:
        system.close()
    typer.echo(f"created system administrator {username.strip().lower()}")


@app.command("list")
def list_people(ctx: typer.Context) -> None:
    """List people with their roles and whether video access is withheld."""
    system = open_system(ctx)
    table = Table(title="People / 인원")
    for column in ("id", "username", "name", "organisation", "active", "roles", "video"):
        table.add_column(column)
    with system.transaction() as session:
        for person in session.scalars(select(Person).order_by(Person.username)):
            principal = resolve_principal(
                session, person.id, system.clock, effective_auth(system.settings)
            )
            table.add_row(
                str(person.id),
                person.username,
                person.display_name,
                person.organisation,
                "yes" if person.active else "no",
                ", ".join(sorted(principal.roles)),
                "withheld: " + ", ".join(principal.video_blocked)
                if principal.video_blocked
                else "",
            )
    system.close()
    Console().print(table)


@app.command("disable")
def disable(
    ctx: typer.Context, username: Annotated[str, typer.Argument(help="Login name.")]
) -> None:
    """Disable a person: appointments, sessions and API tokens end at once."""
    system = open_system(ctx)
    try:
        with system.transaction() as session:
            person = service.person_by_username(session, username)
            if person is None:
                raise GwanjeError("people.error.no_person", person_id=username)
            service.disable_person(session, system.clock, service.SYSTEM, person.id)
    except GwanjeError as exc:
        raise _fail(exc) from exc
    finally:
        system.close()
    typer.echo(f"disabled {username}")
