"""The overdue alarm of data-subject requests (PIPA-4), run by the governance sweep.

An undecided request past its due date gets one `subject_request.overdue` entry (the
alarm) and a warning in the log; later sweeps leave it alone until a postponement gives
it a new due date. Overdue requests stay listed (`GET /api/subjects/overdue`, the staff
list's flag) until decided.
"""

from __future__ import annotations

import logging

from gwanje.context import Gwanje
from gwanje.governance.subjects.service import Subjects
from gwanje.registry.service import system_principal

log = logging.getLogger(__name__)


def alarm_overdue(ctx: Gwanje) -> list[int]:
    """Raise the alarm for each newly overdue request; returns their ids."""
    with ctx.transaction() as session:
        service = Subjects(session, ctx.settings, ctx.clock, system_principal("governance"))
        raised = service.alarm_overdue()
    if raised:
        log.warning("data-subject requests overdue (PIPA-4: 10 days): %s", raised)
    return raised
