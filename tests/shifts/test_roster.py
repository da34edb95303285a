"""Roster, pattern, schedule and on duty now (ORD-19, 20.1) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from shifts_kit import MANAGER, crew

from gwanje.context import Gwanje
from gwanje.errors import Conflict, Forbidden, InvalidInput
from gwanje.shifts import patterns, roster
from gwanje.shifts.roster import Roster

SEOUL = ZoneInfo("Asia/Seoul")


def _names(ctx: Gwanje, at: datetime) -> list[str]:
    with ctx.sessions() as session:
        return [d.username for d in roster.on_duty(session, at)]


def kst(day: int, hour: int, minute: int = 0) -> datetime:
    """A Korea time (Asia/Seoul: UTC+9 all year, no DST)."""
    return datetime(2026, 1, day, hour, minute, tzinfo=SEOUL)


def test_four_teams_two_shifts_on_duty_across_midnight(any_ctx: Gwanje) -> None:
    crew(any_ctx)
    # 1 Jan (anchor): team 1 day 09-18 KST, team 4 night 18-09 KST.
    assert _names(any_ctx, kst(1, 9)) == ["lead1", "op1"]
    assert _names(any_ctx, kst(1, 17, 59)) == ["lead1", "op1"]
    assert _names(any_ctx, kst(1, 18)) == ["lead4", "op4"]
    assert _names(any_ctx, kst(1, 23, 59)) == ["lead4", "op4"]
    assert _names(any_ctx, kst(2, 3)) == ["lead4", "op4"]  # after midnight: still 1 Jan's night
    assert _names(any_ctx, kst(2, 9)) == ["lead2", "op2"]  # 2 Jan day: team 2
    assert _names(any_ctx, kst(2, 18)) == ["lead1", "op1"]  # team 1: 주 → 야 → 비 → 휴
    with any_ctx.sessions() as session:
        night = roster.on_duty(session, kst(2, 3))[0]
    assert night.day == "2026-01-01"
    assert night.label == "야간"
    assert night.start_at.astimezone(UTC) == datetime(2026, 1, 1, 9, tzinfo=UTC)  # 18:00 KST
    assert night.kind == "civil_servant"
    assert night.lead


def test_three_shifts_and_generation_is_idempotent(any_ctx: Gwanje) -> None:
    crew(any_ctx, preset="4x3")
    assert _names(any_ctx, kst(1, 6)) == ["lead1", "op1"]
    assert _names(any_ctx, kst(1, 22)) == ["lead3", "op3"]
    assert _names(any_ctx, kst(2, 5, 59)) == ["lead3", "op3"]
    with any_ctx.transaction() as session:
        again = Roster(session, any_ctx.settings, any_ctx.clock, MANAGER)
        assert again.generate("4x3", date(2026, 1, 1), date(2026, 1, 12)) != []  # 11, 12 only
        assert again.generate("4x3", date(2026, 1, 1), date(2026, 1, 12)) == []


def test_a_swap_is_recorded_and_changes_who_is_on_duty(any_ctx: Gwanje) -> None:
    team = crew(any_ctx)
    with any_ctx.sessions() as session:
        slot = roster.on_duty(session, kst(1, 10))[0].slot_id
    with any_ctx.transaction() as session:
        r = Roster(session, any_ctx.settings, any_ctx.clock, MANAGER)
        r.swap(slot, team.people["op1"], team.people["spare"], "병가 대체")
    assert _names(any_ctx, kst(1, 10)) == ["lead1", "spare"]
    with any_ctx.transaction() as session, pytest.raises(Conflict):
        Roster(session, any_ctx.settings, any_ctx.clock, MANAGER).swap(
            slot, team.people["op1"], team.people["op2"], "again"
        )  # op1 is no longer on it


def test_only_managers_change_the_roster_and_bad_patterns_are_refused(any_ctx: Gwanje) -> None:
    team = crew(any_ctx)
    with any_ctx.transaction() as session, pytest.raises(Forbidden):
        Roster(session, any_ctx.settings, any_ctx.clock, team.principal("op1")).create_team(
            "9", "9조"
        )
    with pytest.raises(InvalidInput):  # two teams on the day shift the same day
        patterns.parse(
            "bad",
            "bad",
            [{"code": "d", "label": "주", "start": "09:00", "hours": 9}],
            ["d", ""],
            {"1": 0, "2": 2},
            "2026-01-01",
        )
    with pytest.raises(InvalidInput):
        patterns.parse(
            "bad",
            "bad",
            [{"code": "d", "label": "주", "start": "25:00", "hours": 9}],
            ["d"],
            {"1": 0},
            "2026-01-01",
        )
