"""Repeated reminders through the outbox: which rows are due, and claiming each reminder
once even when two sweeps run at once (a conditional UPDATE of the row's `reminded_at`
from the value the sweep read). Used by the protection workflows (provided copies past
destruction) and by maintenance (tickets past their SLA)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session


def claim_reminder(session: Session, model: type, row_id: int, seen: datetime | None,
                   now: datetime) -> bool:  # fmt: skip
    """Stamp `reminded_at = now` if it is still `seen`; False if another sweep did first."""
    column = model.reminded_at  # type: ignore[attr-defined]
    unchanged = column.is_(None) if seen is None else column == seen
    won = session.execute(
        update(model).where(model.id == row_id, unchanged)  # type: ignore[attr-defined]
        .values(reminded_at=now).execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]  # fmt: skip
    return bool(won == 1)
