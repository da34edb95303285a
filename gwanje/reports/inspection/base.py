"""The vocabulary of the self-inspection (자체점검, ORD-13): statuses, a check, its result.

A check is a plain function `(session, clock, settings) -> CheckResult` that reads LIVE
data and returns a status with evidence rows (the cameras, holds, requests ... that make
it fail). It is registered with one line in `registry.CHECKS`, naming the requirement
IDs it covers. Checks never write: the report runs them in one read transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from gwanje.clock import Clock
from gwanje.settings import Settings


class Status(StrEnum):
    """Live checks answer the first five; IDs without a live check take the last three
    from docs/compliance.md (done → implemented, partial, planned)."""

    PASS = "pass"  # noqa: S105 (a status, not a password)
    WARN = "warn"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"
    NOT_IMPLEMENTED = "not_implemented"
    IMPLEMENTED = "implemented"
    PARTIAL = "partial"
    PLANNED = "planned"


# Worst first: the status of a requirement covered by several checks is the worst one.
SEVERITY = (
    Status.FAIL,
    Status.WARN,
    Status.NOT_IMPLEMENTED,
    Status.PASS,
    Status.NOT_APPLICABLE,
)


def worst(statuses: Sequence[Status]) -> Status:
    return min(statuses, key=SEVERITY.index) if statuses else Status.NOT_APPLICABLE


@dataclass(frozen=True)
class CheckResult:
    """A check's verdict: `summary` is an i18n key (with `params`); `columns` are the
    i18n keys of the evidence table's header and `rows` its live data."""

    status: Status
    summary: str
    params: dict[str, Any] = field(default_factory=dict)
    columns: tuple[str, ...] = ()
    rows: list[tuple[Any, ...]] = field(default_factory=list)


CheckFn = Callable[[Session, Clock, Settings], CheckResult]


@dataclass(frozen=True)
class Check:
    """A registered check: a stable `key` (its title is the i18n key
    `reports.check.<key>`), the requirement IDs it covers, and the function."""

    key: str
    ids: tuple[str, ...]
    run: CheckFn

    @property
    def title_key(self) -> str:
        return f"reports.check.{self.key}"
