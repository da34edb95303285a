"""`gwanje health ...`: the end-of-life check, and who maintains what (maintainer of a
camera, contractor company of an account).

Local commands act as the system principal `cli` (full scope); every change is audited
under that actor. Exit codes: 0 ok; 1 refused input (the message says why); 3 the
end-of-life check found cameras past their end of life.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from gwanje.camhealth.equipment import past_end_of_life
from gwanje.camhealth.models import ContractorMember
from gwanje.camhealth.tickets import Maintenance
from gwanje.cli.common import open_system
from gwanje.errors import GwanjeError
from gwanje.people.models import Person
from gwanje.registry.models import Camera, Contractor
from gwanje.registry.service import system_principal

app = typer.Typer(no_args_is_help=True, help="Camera health and maintenance (ORD-11, 12).")


@app.command("end-of-life")
def end_of_life_check(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array.")] = False,
) -> None:
    """List cameras at or past their end of life (installation + service life); exit 3 if any."""
    system = open_system(ctx)
    zone = ZoneInfo(system.settings.registry.timezone)
    today = datetime.now(UTC).astimezone(zone).date()
    with system.sessions() as session:
        rows = past_end_of_life(session, system.settings, today)
    system.close()
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "camera": r.code,
                        "installed_on": str(r.installed_on),
                        "end_of_life_on": str(r.end_of_life_on),
                    }
                    for r in rows
                ]
            )
        )
    else:
        for r in rows:
            typer.echo(
                f"{r.code}\t{r.name}\tinstalled {r.installed_on}\tend of life {r.end_of_life_on}"
            )
        typer.echo(f"{len(rows)} camera(s) past end of life")
    raise typer.Exit(3 if rows else 0)


def _contractor(session: Session, registration: str) -> Contractor:
    found = session.scalar(select(Contractor).where(Contractor.registration_number == registration))
    if found is None:
        typer.secho(f"no contractor with registration number {registration}", fg="red", err=True)
        raise typer.Exit(1)
    return found


@app.command("assign")
def assign(
    ctx: typer.Context,
    camera: Annotated[str, typer.Argument(help="Camera management number.")],
    registration: Annotated[str, typer.Argument(help="Contractor's registration number.")],
) -> None:
    """Make a contractor the camera's maintainer (its next tickets go to them)."""
    system = open_system(ctx)
    try:
        with system.transaction() as session:
            found = session.scalar(select(Camera.id).where(Camera.code == camera))
            if found is None:
                typer.secho(f"no camera {camera}", fg="red", err=True)
                raise typer.Exit(1)
            company = _contractor(session, registration)
            service = Maintenance(session, system.settings, system.clock, system_principal("cli"))
            service.assign_maintainer(found, company.id)
    except GwanjeError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(1) from exc
    finally:
        system.close()
    typer.echo(f"{camera}: maintained by {company.name}")


@app.command("member")
def member(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The contractor's account.")],
    registration: Annotated[str, typer.Argument(help="Contractor's registration number.")],
) -> None:
    """Let an account act for a contractor company (its tickets only; never video)."""
    system = open_system(ctx)
    with system.transaction() as session:
        person = session.scalar(select(Person).where(Person.username == username.lower()))
        if person is None:
            typer.secho(f"no person {username}", fg="red", err=True)
            raise typer.Exit(1)
        company = _contractor(session, registration)
        row = session.get(ContractorMember, person.id)
        if row is None:
            session.add(ContractorMember(person_id=person.id, contractor_id=company.id))
        else:
            row.contractor_id = company.id
    system.close()
    typer.echo(f"{username}: acts for {company.name}")
