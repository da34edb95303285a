"""Timed work of the protection workflows, run by the web process.

ORD-28.3: an emergency approval whose follow-up approval has not come by its deadline is
recalled "at once"; `sweep_forever` checks every `governance.sweep_interval_s` seconds, so
"at once" means within that interval (60 s by default). The same sweep raises the overdue
alarm of data-subject requests (PIPA-4, `gwanje.governance.subjects.jobs`).
"""

from __future__ import annotations

import asyncio
import logging

from starlette.concurrency import run_in_threadpool

from gwanje.context import Gwanje
from gwanje.governance.requests import Requests
from gwanje.governance.subjects.jobs import alarm_overdue
from gwanje.registry.service import system_principal

log = logging.getLogger(__name__)


def recall_overdue(ctx: Gwanje) -> list[int]:
    """Recall every overdue emergency approval now; returns the request ids."""
    with ctx.transaction() as session:
        requests = Requests(session, ctx.settings, ctx.clock, system_principal("governance"))
        return requests.recall_overdue()


def remind_destructions(ctx: Gwanje) -> list[int]:
    """Queue reminders of provided copies past their destruction date (ORD-31.2)."""
    from gwanje.governance.notices import remind_overdue

    with ctx.transaction() as session:
        return remind_overdue(session, ctx.settings, ctx.clock)


async def sweep_forever(ctx: Gwanje) -> None:
    while True:
        try:
            recalled = await run_in_threadpool(recall_overdue, ctx)
            if recalled:
                log.warning("recalled overdue emergency approvals: %s", recalled)
        except Exception:  # the next round tries again; the web process goes on
            log.exception("recalling overdue emergency approvals failed")
        try:
            await run_in_threadpool(alarm_overdue, ctx)
        except Exception:  # as above: the next round tries again
            log.exception("raising overdue subject-request alarms failed")
        try:
            await run_in_threadpool(remind_destructions, ctx)
        except Exception:  # as above
            log.exception("reminding overdue destructions failed")
        await asyncio.sleep(ctx.settings.governance.sweep_interval_s)
