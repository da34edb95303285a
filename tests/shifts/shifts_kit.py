"""Builders for shift tests: a 4-team roster on a preset pattern, principals of its
people, and audit entries written the way the console and incidents write them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from retention.retention_kit import person
from webclient import principal_for

from gwanje.auth.permissions import Role
from gwanje.auth.principal import Principal
from gwanje.context import Gwanje
from gwanje.shifts import patterns
from gwanje.shifts.roster import Roster

MANAGER = principal_for(Role.GENERAL_MANAGER, person_id=None, username="manager")  # type: ignore[arg-type]


@dataclass
class Crew:
    people: dict[str, int]  # username → person id; team n has lead "lead<n>", member "op<n>"

    def principal(self, username: str) -> Principal:
        return principal_for(Role.OPERATOR, person_id=self.people[username], username=username)


def crew(
    ctx: Gwanje,
    preset: str = "4x2",
    anchor: str = "2026-01-01",
    first: date = date(2026, 1, 1),
    last: date = date(2026, 1, 10),
) -> Crew:
    people: dict[str, int] = {}
    for n in range(1, 5):
        for name in (f"lead{n}", f"op{n}"):
            people[name] = person(ctx, name)
    people["spare"] = person(ctx, "spare")
    with ctx.transaction() as session:
        roster = Roster(session, ctx.settings, ctx.clock, MANAGER)
        for n in range(1, 5):
            roster.create_team(str(n), f"{n}조")
            roster.set_staff(people[f"lead{n}"], "civil_servant", str(n), lead=True)
            roster.set_staff(people[f"op{n}"], "professional_operator", str(n), lead=False)
        roster.set_staff(people["spare"], "police_officer", None, lead=False)
        roster.create_pattern(patterns.preset(preset, anchor))
        roster.generate(preset, first, last)
    return Crew(people)
