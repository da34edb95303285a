"""Reminders of maintenance tickets past their SLA (ORD-12): each open, acknowledged or
in-progress ticket whose due time has passed is reminded to the `ticket_overdue`
recipients (e.g. the maintenance desk, the contractor's mailbox) through the notification
outbox, at most once every `REMIND_EVERY`, until it is resolved. The web process runs
`remind_forever`; a sweep that finds nothing configured does nothing."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from gwanje.audit.events import Actor
from gwanje.camhealth.kinds import ACTIVE_STATES
from gwanje.camhealth.models import MaintenanceTicket
from gwanje.clock import Clock
from gwanje.context import Gwanje
from gwanje.operations.notify.outbox import queue_notice
from gwanje.operations.notify.reminders import claim_reminder
from gwanje.registry.models import Camera
from gwanje.settings import Settings

log = logging.getLogger(__name__)
REMIND_EVERY = timedelta(days=1)
SWEEP_S = 60.0
SWEEPER = Actor.system("maintenance.reminders")


def remind_overdue_tickets(session: Session, settings: Settings, clock: Clock) -> list[int]:
    """Queue a reminder per overdue active ticket (once a day each); the tickets reminded."""
    ops = settings.operations
    targets = [r for n in ops.notices.get("ticket_overdue", []) if (r := ops.recipient(n))]
    if not targets:
        return []
    now = clock.now()
    ticket_camera = Camera.id == MaintenanceTicket.camera_id
    rows = session.execute(
        select(MaintenanceTicket, Camera.code).join(Camera, ticket_camera)
        .where(MaintenanceTicket.state.in_([s.value for s in ACTIVE_STATES]),
               MaintenanceTicket.due_at <= now,
               (MaintenanceTicket.reminded_at.is_(None))
               | (MaintenanceTicket.reminded_at <= now - REMIND_EVERY))
        .order_by(MaintenanceTicket.id)
    ).all()  # fmt: skip
    reminded = []
    for ticket, code in rows:
        if not claim_reminder(session, MaintenanceTicket, ticket.id, ticket.reminded_at, now):
            continue
        notice = {
            "title": f"유지보수 처리 기한 경과 — {code} ({ticket.kind})",
            "text": (f"카메라 {code}의 유지보수 요청 #{ticket.id}({ticket.kind}, {ticket.severity})"
                     f"이 처리 기한({ticket.due_at:%Y-%m-%d %H:%M} UTC)을 넘겼습니다. "
                     f"상태: {ticket.state}."),
            "ticket_id": ticket.id, "camera": code, "kind": ticket.kind,
            "due_at": ticket.due_at.isoformat(),
        }  # fmt: skip
        for recipient in targets:
            queue_notice(session, clock, recipient, SWEEPER, "ticket_overdue", ticket.id, notice)
        reminded.append(ticket.id)
    return reminded


async def remind_forever(ctx: Gwanje) -> None:
    def once() -> list[int]:
        with ctx.transaction() as session:
            return remind_overdue_tickets(session, ctx.settings, ctx.clock)

    while True:
        try:
            await run_in_threadpool(once)
        except Exception:  # the next round tries again; the web process goes on
            log.exception("reminding overdue maintenance tickets failed")
        await asyncio.sleep(SWEEP_S)
