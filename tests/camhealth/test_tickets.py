"""The maintenance ticket service on SQLite and PostgreSQL: one ticket per fault, the SLA
clock, transitions with one winner, the maintenance record, verification before closing,
contractors confined to their own tickets, and the recorder sweep."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from health_kit import center, health_row
from people.people_kit import audit_count
from sqlalchemy import select

from gwanje.camhealth.kinds import FaultKind, TicketState
from gwanje.camhealth.models import MaintenanceTicket, TicketEvent
from gwanje.camhealth.monitor import sweep_recorder_faults
from gwanje.camhealth.tickets import Maintenance
from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.errors import Conflict, NotFound
from gwanje.people.access import resolve_principal
from gwanje.registry.models import MaintenanceRecord


def _service(ctx: Gwanje, session, person_id: int | None = None) -> Maintenance:  # type: ignore[no-untyped-def]
    principal = resolve_principal(session, person_id, ctx.clock) if person_id else None
    return Maintenance(session, ctx.settings, ctx.clock, principal)


def _report(ctx: Gwanje, camera_id: int, kind: FaultKind = FaultKind.COVERED) -> int:
    with ctx.transaction() as session:
        ticket = _service(ctx, session).report_fault(camera_id, kind, "image", "x", ctx.clock.now())
        return ticket.id


def test_a_fault_seen_again_appends_to_its_one_ticket(any_ctx: Gwanje, clock: FakeClock) -> None:
    c = center(any_ctx)
    first = _report(any_ctx, c.cameras[0])
    clock.advance(timedelta(minutes=5))
    assert _report(any_ctx, c.cameras[0]) == first  # seen again: same ticket
    assert _report(any_ctx, c.cameras[0], FaultKind.FROZEN) != first  # another kind: another
    with any_ctx.transaction() as session:
        ticket = session.get(MaintenanceTicket, first)
        assert ticket is not None
        assert (ticket.occurrences, ticket.state, ticket.contractor_id) == (2, "open", c.company)
        assert audit_count(session, "maintenance.ticket_opened") == 2
        assert audit_count(session, "maintenance.ticket_recurred") == 1


def test_sla_overdue_with_the_clock(any_ctx: Gwanje, clock: FakeClock) -> None:
    c = center(any_ctx)
    ticket_id = _report(any_ctx, c.cameras[0])  # covered: critical, 8 h
    clock.advance(timedelta(hours=7, minutes=59))
    with any_ctx.transaction() as session:
        (view,) = _service(any_ctx, session, c.manager).visible()
        assert not view.overdue
        assert view.hours_left == pytest.approx(0.0, abs=0.1)
    clock.advance(timedelta(minutes=2))
    with any_ctx.transaction() as session:
        (view,) = _service(any_ctx, session, c.manager).visible()
        assert view.overdue
        assert view.ticket.id == ticket_id


def test_contractor_resolves_staff_close_after_the_check_passes(
    any_ctx: Gwanje, clock: FakeClock
) -> None:
    c = center(any_ctx)
    ticket_id = _report(any_ctx, c.cameras[0])
    with any_ctx.transaction() as session:
        fixer = _service(any_ctx, session, c.contractor)
        fixer.acknowledge(ticket_id)
        fixer.start(ticket_id, "on the way")
        fixer.resolve(ticket_id, "cleaned the paint off the dome")
    with any_ctx.transaction() as session:
        ticket = session.get(MaintenanceTicket, ticket_id)
        assert ticket is not None
        assert ticket.state == TicketState.RESOLVED
        item = session.get(MaintenanceRecord, ticket.maintenance_record_id)
        assert item is not None
        assert item.contractor_id == c.company
        assert "cleaned the paint" in item.notes
        assert item.camera_id == c.cameras[0]
    health_row(any_ctx, c.cameras[0], "image", "covered", clock.now())
    with pytest.raises(Conflict) as still, any_ctx.transaction() as session:
        _service(any_ctx, session, c.manager).close(ticket_id)
    assert still.value.key == "maintenance.error.still_failing"
    clock.advance(timedelta(seconds=10))
    health_row(any_ctx, c.cameras[0], "image", "image_ok", clock.now())
    with any_ctx.transaction() as session:
        _service(any_ctx, session, c.manager).close(ticket_id)
    with any_ctx.transaction() as session:
        states = session.scalars(
            select(TicketEvent.to_state)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(TicketEvent.id)
        ).all()
        assert states == ["open", "acknowledged", "in_progress", "resolved", "closed"]
        for name in ("acknowledged", "started", "resolved", "closed"):
            assert audit_count(session, f"maintenance.ticket_{name}") == 1
    assert _report(any_ctx, c.cameras[0]) != ticket_id  # after closing, a new ticket


def test_a_resolved_fault_that_comes_back_reopens_the_ticket(
    any_ctx: Gwanje, clock: FakeClock
) -> None:
    c = center(any_ctx)
    ticket_id = _report(any_ctx, c.cameras[0])
    with any_ctx.transaction() as session:
        _service(any_ctx, session, c.contractor).resolve(ticket_id, "refocused")
    clock.advance(timedelta(hours=1))
    assert _report(any_ctx, c.cameras[0]) == ticket_id
    with any_ctx.transaction() as session:
        ticket = session.get(MaintenanceTicket, ticket_id)
        assert ticket is not None
        assert (ticket.state, ticket.occurrences) == ("open", 2)


def test_contractors_see_only_their_companys_tickets(any_ctx: Gwanje) -> None:
    c = center(any_ctx)
    ticket_id = _report(any_ctx, c.cameras[0])
    with any_ctx.transaction() as session:
        assert [v.ticket.id for v in _service(any_ctx, session, c.contractor).visible()] == [
            ticket_id
        ]
        outsider = _service(any_ctx, session, c.outsider)
        assert outsider.visible() == []
        with pytest.raises(NotFound):
            outsider.acknowledge(ticket_id)


def test_two_concurrent_transitions_one_wins(any_ctx: Gwanje) -> None:
    c = center(any_ctx)
    ticket_id = _report(any_ctx, c.cameras[0])
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(person_id: int) -> None:
        barrier.wait()
        try:
            with any_ctx.transaction() as session:
                _service(any_ctx, session, person_id).acknowledge(ticket_id)
            outcomes.append("won")
        except Conflict as exc:
            outcomes.append(exc.key)

    threads = [threading.Thread(target=act, args=(p,)) for p in (c.contractor, c.manager)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) in (
        ["maintenance.error.bad_transition", "won"],
        ["maintenance.error.changed", "won"],
    )
    with any_ctx.transaction() as session:
        assert audit_count(session, "maintenance.ticket_acknowledged") == 1
        events = session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id))
        assert [e.to_state for e in events] == ["open", "acknowledged"]


def test_a_recorder_fault_that_lasts_opens_one_ticket(any_ctx: Gwanje, clock: FakeClock) -> None:
    c = center(any_ctx)
    health_row(any_ctx, c.cameras[1], "main", "offline", clock.now())
    clock.advance(timedelta(seconds=60))
    assert sweep_recorder_faults(any_ctx) == 0  # not yet: 120 s by default
    clock.advance(timedelta(seconds=61))
    assert sweep_recorder_faults(any_ctx) == 1
    assert sweep_recorder_faults(any_ctx) == 1  # the same outage: no new occurrence
    with any_ctx.transaction() as session:
        (ticket,) = session.scalars(select(MaintenanceTicket)).all()
        assert (ticket.kind, ticket.source, ticket.occurrences) == ("offline", "recorder", 1)


def test_the_sweep_judges_each_camera_by_its_newest_main_stream_event(
    any_ctx: Gwanje, clock: FakeClock
) -> None:
    c = center(any_ctx)
    start = clock.now()
    health_row(any_ctx, c.cameras[0], "main", "offline", start)
    health_row(any_ctx, c.cameras[0], "main", "online", start + timedelta(seconds=5))  # back
    health_row(any_ctx, c.cameras[1], "main", "online", start)
    health_row(any_ctx, c.cameras[1], "main", "video_loss", start + timedelta(seconds=5))
    health_row(any_ctx, c.cameras[1], "sub", "online", start + timedelta(seconds=9))  # not main
    clock.advance(timedelta(seconds=200))
    assert sweep_recorder_faults(any_ctx) == 1
    with any_ctx.transaction() as session:
        (ticket,) = session.scalars(select(MaintenanceTicket)).all()
        assert (ticket.camera_id, ticket.kind) == (c.cameras[1], "video_loss")
