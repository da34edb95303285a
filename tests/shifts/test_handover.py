"""Handovers (ORD-20.1, 22.3): the checklist with the security check, the open incidents
listed, both leads' own signatures, one winner when two sign at once."""

from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from shifts_kit import Crew, crew

from gwanje.context import Gwanje
from gwanje.errors import Conflict, Forbidden, GwanjeError, InvalidInput
from gwanje.operations.incidents import IncidentInput, Incidents
from gwanje.shifts import roster
from gwanje.shifts.handover import Handovers
from gwanje.shifts.models import Handover, HandoverState

SEOUL = ZoneInfo("Asia/Seoul")
DAY_SHIFT = datetime(2026, 1, 1, 12, tzinfo=SEOUL)  # team 1 on days, team 4 on nights


def _slot(ctx: Gwanje) -> int:
    with ctx.sessions() as session:
        return roster.on_duty(session, DAY_SHIFT)[0].slot_id


def _act(ctx: Gwanje, team: Crew, who: str, job):  # type: ignore[no-untyped-def]
    with ctx.transaction() as session:
        return job(Handovers(session, ctx.settings, ctx.clock, team.principal(who)))


def _opened(ctx: Gwanje) -> tuple[Crew, int]:
    team = crew(ctx)
    with ctx.transaction() as session:
        Incidents(session, ctx.settings, ctx.clock, team.principal("op1")).open(
            IncidentInput(type="crime", severity="high", title="시장 앞 폭행")
        )
    slot = _slot(ctx)
    made = _act(ctx, team, "op1", lambda h: h.open(slot).id)
    return team, made


def test_a_handover_needs_the_checklist_and_both_leads(any_ctx: Gwanje) -> None:
    team, hid = _opened(any_ctx)
    with any_ctx.sessions() as session:
        row = session.get(Handover, hid)
        assert row is not None
        assert "시장 앞 폭행" in row.open_incidents  # listed from operations automatically
    with pytest.raises(InvalidInput) as refused:  # the security check is not ticked yet
        _act(any_ctx, team, "lead1", lambda h: h.sign(hid, "outgoing"))
    assert "no_video_out" in str(refused.value.params)
    with pytest.raises(Forbidden):  # someone from another team cannot fill it in
        _act(any_ctx, team, "lead2", lambda h: h.check(hid, {"no_video_out": True}, ""))
    checked = {"no_video_out": True, "equipment": True, "incidents": True}
    _act(any_ctx, team, "op1", lambda h: h.check(hid, checked, "모니터 3번 밝기 낮음"))
    with pytest.raises(Forbidden):  # a member, not the lead
        _act(any_ctx, team, "op1", lambda h: h.sign(hid, "outgoing"))
    with pytest.raises(Conflict):  # incoming before outgoing
        _act(any_ctx, team, "lead4", lambda h: h.sign(hid, "incoming"))
    _act(any_ctx, team, "lead1", lambda h: h.sign(hid, "outgoing"))
    with pytest.raises(Forbidden):  # the outgoing lead is not on the incoming shift
        _act(any_ctx, team, "lead1", lambda h: h.sign(hid, "incoming"))
    done = _act(any_ctx, team, "lead4", lambda h: h.sign(hid, "incoming"))
    assert done.state == HandoverState.COMPLETE
    assert done.outgoing_by == team.people["lead1"]
    assert done.incoming_by == team.people["lead4"]


def test_one_winner_when_two_sign_at_once(any_ctx: Gwanje) -> None:
    team, hid = _opened(any_ctx)
    checked = {"no_video_out": True, "equipment": True, "incidents": True}
    _act(any_ctx, team, "op1", lambda h: h.check(hid, checked, ""))
    with any_ctx.sessions() as session:
        version = session.get(Handover, hid).version  # type: ignore[union-attr]
    results: list[str] = []
    barrier = threading.Barrier(2)

    def sign() -> None:
        barrier.wait()
        try:
            _act(any_ctx, team, "lead1", lambda h: h.sign(hid, "outgoing", version))
            results.append("won")
        except GwanjeError as exc:
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=sign) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["Conflict", "won"]
