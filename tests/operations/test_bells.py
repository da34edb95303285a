"""Emergency bells and response manuals on SQLite and PostgreSQL (ORD-2.7, 10.2, 18.2):
a press opens one incident with the bell's camera and location and queues its routed
notifications; presses close together are one; an unknown bell is refused and audited;
the call session rings, connects and ends with every step logged; manuals are versioned
and an incident keeps the version current when it was opened."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from bell_kit import bell_with_camera, gateway, manager, operator
from querycount import queries_of
from registry.helpers import audit_rows
from sqlalchemy import select

from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.errors import Conflict, Forbidden, InvalidInput, NotFound
from gwanje.operations import bells, manuals
from gwanje.operations.bells import BellCalls, press_bell
from gwanje.operations.bells_models import BellCall
from gwanje.operations.config import OperationsSettings
from gwanje.operations.incidents import IncidentInput, Incidents
from gwanje.operations.manuals import ManualInput
from gwanje.operations.models import Incident, IncidentEntry, Notification
from gwanje.registry.models import Camera


@pytest.fixture
def site(any_ctx: Gwanje) -> dict[str, Any]:
    ops = OperationsSettings.model_validate({
        "recipients": [{"name": "police_112", "label": "112", "channels": [
            {"kind": "webhook", "url": "http://127.0.0.1:9/hook", "secret": "s"}]}],
        "routes": {"crime": ["police_112"]},
    })  # fmt: skip
    ctx = replace(any_ctx, settings=any_ctx.settings.model_copy(update={"operations": ops}))
    camera_id = bell_with_camera(ctx)
    gw, _ = gateway(ctx)
    return {"ctx": ctx, "camera_id": camera_id, "gateway": gw, "operator": operator(ctx)}


def kinds(ctx: Gwanje, incident_id: int) -> list[str]:
    with ctx.sessions() as session:
        query = select(IncidentEntry.kind).where(IncidentEntry.incident_id == incident_id)
        return list(session.scalars(query.order_by(IncidentEntry.id)))


def test_a_press_opens_one_incident_with_the_bells_camera(site: dict[str, Any]) -> None:
    ctx, clock = site["ctx"], site["ctx"].clock
    assert isinstance(clock, FakeClock)
    first = press_bell(ctx, site["gateway"], "BELL-1", "http", "10.0.0.9")
    clock.advance(timedelta(seconds=3))
    again = press_bell(ctx, site["gateway"], "BELL-1", "mqtt")
    assert again == replace(first, duplicate=True)
    with ctx.sessions() as session:
        incident = session.get(Incident, first.incident_id)
        assert incident is not None
        assert (incident.source, incident.type, incident.location) == (
            "bell", "crime", "학동 어린이공원 입구")  # fmt: skip
        assert [c.camera_id for c in incident.cameras] == [site["camera_id"]]
        call = session.get(BellCall, first.call_id)
        assert call is not None
        assert (call.presses, call.state, call.via) == (2, "ringing", "http")
        queued = session.scalars(select(Notification.recipient)
                                 .where(Notification.incident_id == incident.id)).all()  # fmt: skip
        assert queued == ["police_112"]  # the outbox, in the same transaction
    clock.advance(timedelta(seconds=6))  # past dedupe_s (5 s) after the last press
    assert press_bell(ctx, site["gateway"], "BELL-1", "http").incident_id != first.incident_id
    pressed = [json.loads(a.details) for a in audit_rows(ctx, "bell.pressed")]
    assert [p["via"] for p in pressed] == ["http", "http"]
    assert audit_rows(ctx, "bell.pressed")[0].actor_name == "bellgw"
    assert "alarm" in kinds(ctx, first.incident_id)


def test_unknown_bells_and_callers_without_the_permission_are_refused(
    site: dict[str, Any],
) -> None:
    ctx = site["ctx"]
    with pytest.raises(NotFound) as refused:
        press_bell(ctx, site["gateway"], "NO-SUCH-BELL", "http")
    assert "NO-SUCH-BELL" in str(refused.value)
    entry = audit_rows(ctx, "bell.press_refused")[-1]
    assert (entry.outcome, json.loads(entry.details)["bell_code"]) == ("denied", "NO-SUCH-BELL")
    with pytest.raises(Forbidden):
        press_bell(ctx, site["operator"], "BELL-1", "http")  # an operator is not a gateway
    with ctx.sessions() as session:
        assert session.scalars(select(Incident)).all() == []


def test_the_call_session_is_logged_with_its_durations(site: dict[str, Any]) -> None:
    ctx, clock = site["ctx"], site["ctx"].clock
    assert isinstance(clock, FakeClock)
    pressed = press_bell(ctx, site["gateway"], "BELL-1", "http")
    with ctx.sessions() as session:
        (alarm,) = bells.alarms(session, site["operator"])
    assert (alarm["alarm"], alarm["camera"]["code"], alarm["state"]) == (True, "BCAM-1", "ringing")
    clock.advance(timedelta(seconds=4))
    with ctx.transaction() as session:
        BellCalls(session, clock, site["operator"]).answer(pressed.call_id)  # acknowledges too
    with ctx.transaction() as session, pytest.raises(Conflict):
        BellCalls(session, clock, site["operator"]).answer(pressed.call_id)  # once
    clock.advance(timedelta(seconds=30))
    with ctx.transaction() as session:
        BellCalls(session, clock, site["operator"]).end(pressed.call_id, "취객, 귀가 안내")
    with ctx.transaction() as session, pytest.raises(Conflict):
        BellCalls(session, clock, site["operator"]).end(pressed.call_id, "")
    ended = json.loads(audit_rows(ctx, "bell.call_ended")[-1].details)
    assert (ended["answered"], ended["duration_s"], ended["talk_s"]) == (True, 34.0, 30.0)
    assert json.loads(audit_rows(ctx, "bell.alarm_acknowledged")[-1].details)["waited_s"] == 4.0
    assert audit_rows(ctx, "bell.call_answered")[-1].actor_name == "choi"
    with ctx.sessions() as session:
        assert bells.alarms(session, site["operator"]) == []  # acknowledged and ended
        (logged,) = bells.call_log(session, site["operator"])
    assert (logged["state"], logged["talk_s"], logged["answered_by"]) == ("ended", 30.0, "Choi")
    assert kinds(site["ctx"], pressed.incident_id)[-3:] == ["alarm", "call", "call"]


def test_scoped_operators_see_only_bells_of_their_cameras(site: dict[str, Any]) -> None:
    ctx = site["ctx"]
    press_bell(ctx, site["gateway"], "BELL-1", "http")
    with ctx.sessions() as session:
        department = session.scalar(select(Camera.department_id).where(Camera.code == "BCAM-1"))
    outsider = operator(ctx, "park", department_scope=frozenset({(department or 0) + 100}))
    with ctx.sessions() as session:
        assert bells.alarms(session, outsider) == []
    call_id = audit_rows(ctx, "bell.pressed")[0].details
    with ctx.transaction() as session, pytest.raises(NotFound):
        BellCalls(session, ctx.clock, outsider).acknowledge(json.loads(call_id)["call_id"])


def test_the_alarm_list_and_call_log_read_a_fixed_number_of_queries(site: dict[str, Any]) -> None:
    # Every open wall asks for the alarms each second; each call used to cost four queries.
    ctx, clock = site["ctx"], site["ctx"].clock
    assert isinstance(clock, FakeClock)

    def press(count: int) -> None:
        for _ in range(count):
            press_bell(ctx, site["gateway"], "BELL-1", "http")
            clock.advance(timedelta(seconds=6))  # past dedupe_s: a new call each time

    def listed() -> tuple[int, int, int, int]:
        with ctx.sessions() as session:
            shown = queries_of(ctx.engine, lambda: bells.alarms(session, site["operator"]))
            logged = queries_of(ctx.engine, lambda: bells.call_log(session, site["operator"]))
            rows = (
                bells.alarms(session, site["operator"]),
                bells.call_log(session, site["operator"]),
            )
        assert {(a["bell_code"], a["camera"]["code"]) for a in rows[0]} == {("BELL-1", "BCAM-1")}
        return shown, logged, len(rows[0]), len(rows[1])

    press(2)
    few = listed()
    press(5)
    many = listed()
    assert (few[2:], many[2:]) == ((2, 2), (7, 7))
    assert many[:2] == few[:2]


def revise(ctx: Gwanje, who: Any, steps: tuple[str, ...], based_on: int, note: str) -> int:
    data = ManualInput("crime", "범죄 대응", steps, note, based_on)
    with ctx.transaction() as session:
        return manuals.revise(session, ctx.clock, who, data).version


def test_manuals_are_versioned_and_incidents_keep_their_version(site: dict[str, Any]) -> None:
    ctx, clock = site["ctx"], site["ctx"].clock
    assert isinstance(clock, FakeClock)
    boss = manager(ctx)
    assert revise(ctx, boss, ("영상 확인", "112 신고", "순찰차 도착 확인"), 0, "최초 제정") == 1
    with pytest.raises(Forbidden):
        revise(ctx, site["operator"], ("x",), 1, "operator edit")
    pressed = press_bell(ctx, site["gateway"], "BELL-1", "http")  # bound to v1
    clock.advance(timedelta(minutes=1))
    assert revise(ctx, boss, ("영상 확인", "112 신고", "비상벨 통화", "순찰차 도착 확인"), 1,
                  "비상벨 통화 단계 추가") == 2  # fmt: skip
    with pytest.raises(Conflict):
        revise(ctx, boss, ("stale",), 1, "edited an old version")
    with pytest.raises(InvalidInput):
        revise(ctx, boss, (" ",), 2, "no steps")
    with ctx.sessions() as session:
        assert [v.version for v in manuals.versions(session, "crime")] == [2, 1]  # kept
    with ctx.transaction() as session:
        manuals.tick(session, clock, site["operator"], pressed.incident_id, 1)
    with ctx.transaction() as session, pytest.raises(Conflict):
        manuals.tick(session, clock, site["operator"], pressed.incident_id, 1)
    with ctx.transaction() as session, pytest.raises(InvalidInput):
        manuals.tick(session, clock, site["operator"], pressed.incident_id, 3)  # v1 has 3
    with ctx.sessions() as session:
        shown = manuals.checklist(session, pressed.incident_id)
    assert shown is not None
    assert (shown["version"], shown["latest_version"]) == (1, 2)
    assert [s["ticked_by"] for s in shown["steps"]] == [None, "choi", None]
    with ctx.transaction() as session:  # opened now: bound to v2
        later = (
            Incidents(session, ctx.settings, clock, site["operator"])
            .open(IncidentInput("crime", "high", "다른 상황"))
            .id
        )
    with ctx.sessions() as session:
        assert (manuals.checklist(session, later) or {})["version"] == 2
    assert kinds(ctx, pressed.incident_id)[-1] == "checklist"
    ticked = json.loads(audit_rows(ctx, "incident.checklist_ticked")[-1].details)
    assert ticked["text"] == "2. 112 신고"
    revised = [json.loads(a.details) for a in audit_rows(ctx, "manual.revised")]
    assert [(r["version"], r["change_note"]) for r in revised] == [
        (1, "최초 제정"), (2, "비상벨 통화 단계 추가")]  # fmt: skip


def test_a_call_nobody_ends_is_ended_by_the_center_after_its_time_limit(
    site: dict[str, Any],
) -> None:
    """ORD-10.2: a call session (and its voice) lasts only while needed: one left
    connected past `bells.max_call_s` after the press is ended by the system, logged."""
    ctx, clock = site["ctx"], site["ctx"].clock
    assert isinstance(clock, FakeClock)
    forgotten = press_bell(ctx, site["gateway"], "BELL-1", "http")
    with ctx.transaction() as session:
        BellCalls(session, clock, site["operator"]).answer(forgotten.call_id)
    clock.advance(timedelta(seconds=600))
    later = press_bell(ctx, site["gateway"], "BELL-1", "http")  # a new press, new session
    assert later.call_id != forgotten.call_id
    clock.advance(timedelta(seconds=301))  # the first is 901 s old, the second 301 s
    assert bells.end_overdue_calls(ctx) == [forgotten.call_id]
    assert bells.end_overdue_calls(ctx) == []  # once
    with ctx.sessions() as session:
        first = session.get(BellCall, forgotten.call_id)
        second = session.get(BellCall, later.call_id)
        assert first is not None
        assert second is not None
        assert (first.state, second.state) == ("ended", "ringing")
    ended = json.loads(audit_rows(ctx, "bell.call_ended")[-1].details)
    assert (ended["answered"], ended["talk_s"]) == (True, 901.0)
    assert "시간 초과" in ended["note"]
    assert audit_rows(ctx, "bell.call_ended")[-1].actor_name == "bells.timeout"
