"""Bell alarms on a rostered center (shifts.alarms_on_duty_only): only the walls of
people on duty hear them, and every manager's while nobody is on duty at all."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from shifts_kit import crew
from webclient import principal_for

from gwanje.auth.permissions import Role
from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.operations import alarms
from gwanje.shifts import roster
from gwanje.shifts.alarm_audience import OnDutyWalls
from gwanje.web.app import create_app

SEOUL = ZoneInfo("Asia/Seoul")


def test_only_the_walls_of_people_on_duty_hear_bell_alarms(
    any_ctx: Gwanje, clock: FakeClock
) -> None:
    team = crew(any_ctx)  # 4 teams, rostered 1-10 January 2026
    audience = OnDutyWalls(clock)
    clock.set(datetime(2026, 1, 1, 10, tzinfo=SEOUL))
    with any_ctx.sessions() as session:
        on = {d.username for d in roster.on_duty(session, clock.now())}
        assert on == {"lead1", "op1"}  # the premise: team 1 has the day shift
        assert audience.admits(session, team.principal("op1"))
        assert not audience.admits(session, team.principal("op3"))  # off duty
        auditor = principal_for(Role.AUDITOR, person_id=team.people["op1"], username="op1")
        assert not audience.admits(session, auditor)  # on duty, but may not act on incidents
    off = alarms.snapshot(any_ctx, audience, team.principal("op3"))
    assert (off["on_duty"], off["alarms"]) == (False, [])
    assert alarms.snapshot(any_ctx, audience, team.principal("op1"))["on_duty"] is True
    clock.set(datetime(2026, 2, 1, 10, tzinfo=SEOUL))  # past the roster: nobody on duty
    with any_ctx.sessions() as session:
        assert roster.on_duty(session, clock.now()) == []
        assert audience.admits(session, team.principal("op3"))  # never deaf


def test_the_setting_chooses_the_audience(ctx: Gwanje) -> None:
    assert isinstance(alarms.audience_of(create_app(ctx)), alarms.ManagersOnWall)
    shifts = ctx.settings.shifts.model_copy(update={"alarms_on_duty_only": True})
    rostered = ctx.settings.model_copy(update={"shifts": shifts})
    app = create_app(replace(ctx, settings=rostered))
    assert isinstance(alarms.audience_of(app), OnDutyWalls)
