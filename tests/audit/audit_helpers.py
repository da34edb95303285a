"""Shared helpers of the audit tests: a sample event and raw tampering."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from gwanje.audit import Actor, AuditEvent
from gwanje.context import Gwanje


class SampleEvent(AuditEvent):
    """A test-only event with one detail field."""

    event_type = "test.sample"
    description = "시험 / test sample"
    note: str = ""


def sample(i: int, **extra: Any) -> SampleEvent:
    return SampleEvent(actor=Actor(person_id=i % 7, username=f"user{i % 7}"), note=f"n{i}", **extra)


def append(ctx: Gwanje, n: int) -> None:
    from gwanje.audit.ledger import record

    for i in range(n):
        with ctx.transaction() as session:
            record(session, sample(i), ctx.clock)


def sql(ctx: Gwanje, statement: str, **params: Any) -> None:
    """Tamper with the database behind Gwanje's back, as an attacker would."""
    with ctx.engine.begin() as conn:
        conn.execute(text(statement), params)
