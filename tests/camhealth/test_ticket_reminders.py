"""Maintenance tickets past their SLA are reminded (ORD-12) through the notification
outbox to the `ticket_overdue` recipients — once a day per ticket, not before the SLA
passes, and no more once the ticket is resolved; the reminder is delivered to a real
webhook receiver."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from health_kit import center
from operations.receivers import http_receiver
from sqlalchemy import select

from gwanje.camhealth.kinds import FaultKind
from gwanje.camhealth.reminders import remind_overdue_tickets
from gwanje.camhealth.tickets import Maintenance
from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.operations.config import OperationsSettings
from gwanje.operations.models import Notification
from gwanje.operations.notify.dispatcher import Dispatcher
from gwanje.people.access import resolve_principal


def remind(ctx: Gwanje) -> list[int]:
    with ctx.transaction() as session:
        return remind_overdue_tickets(session, ctx.settings, ctx.clock)


def test_an_overdue_ticket_is_reminded_daily_until_resolved(any_ctx: Gwanje,
                                                            clock: FakeClock) -> None:  # fmt: skip
    c = center(any_ctx)
    with any_ctx.transaction() as session:
        service = Maintenance(session, any_ctx.settings, clock, None)
        ticket = service.report_fault(c.cameras[0], FaultKind.COVERED, "image", "x", clock.now())
        ticket_id = ticket.id
    assert remind(any_ctx) == []  # no recipients configured: nothing is queued
    with http_receiver() as desk:
        ops = OperationsSettings.model_validate({
            "recipients": [{"name": "maintenance_desk", "label": "유지보수 상황실",
                            "channels": [{"kind": "webhook", "url": desk.url,
                                          "secret": "desk-secret"}]}],
            "notices": {"ticket_overdue": ["maintenance_desk"]},
        })  # fmt: skip
        ctx = replace(any_ctx, settings=any_ctx.settings.model_copy(update={"operations": ops}))
        assert remind(ctx) == []  # covered is critical: 8 h, not yet
        clock.advance(timedelta(hours=8, minutes=1))
        assert remind(ctx) == [ticket_id]
        assert remind(ctx) == []  # once a day
        clock.advance(timedelta(days=1))
        assert remind(ctx) == [ticket_id]
        dispatcher = Dispatcher(ctx)
        try:
            assert dispatcher.run_once().sent == 2
        finally:
            dispatcher.close()
        body = desk.bodies()[0]
        assert body["notice"]["topic"] == "ticket_overdue"
        assert body["notice"]["ticket_id"] == ticket_id
        assert "처리 기한" in body["notice"]["text"]
        with ctx.transaction() as session:
            contractor = resolve_principal(session, c.contractor, clock)
            worker = Maintenance(session, ctx.settings, clock, contractor)
            worker.acknowledge(ticket_id)
            worker.start(ticket_id)
            worker.resolve(ticket_id, "렌즈 덮개 제거")
        clock.advance(timedelta(days=1))
        assert remind(ctx) == []
    with any_ctx.sessions() as session:
        rows = session.scalars(select(Notification).where(Notification.topic == "ticket_overdue"))
        assert [r.ref_id for r in rows] == [ticket_id, ticket_id]
