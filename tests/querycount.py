"""Counting the SQL statements a call makes: lists must read a fixed number of queries,
however many rows they show (an N+1 query is a defect a test can see)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.engine import Engine


def queries_of(engine: Engine, call: Callable[[], object]) -> int:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))  # the statement text

    event.listen(engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)
