"""Pieces every report of this package shares: local time, month bounds, the audited
"a report was produced" helper and the CSS-bar data for HTML charts.

Invariants: storage is UTC, a report's calendar (months, days, night hours) is the city's
local time (`registry.timezone`); bad user input (a malformed month) is an
`InvalidInput` with an i18n key, never a crash.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from gwanje.errors import InvalidInput
from gwanje.settings import Settings

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def zone_of(settings: Settings) -> ZoneInfo:
    return ZoneInfo(settings.registry.timezone)


@dataclass(frozen=True)
class Month:
    """A calendar month in local time, with its UTC bounds [start, end)."""

    year: int
    month: int
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def parse_month(value: str, zone: ZoneInfo) -> Month:
    """`YYYY-MM` → the month's local bounds (refused with `reports.error.month`)."""
    found = MONTH.match((value or "").strip())
    if found is None:
        raise InvalidInput("reports.error.month", value=(value or "")[:20])
    year, month = int(found.group(1)), int(found.group(2))
    after = date(year + (month == 12), month % 12 + 1, 1)
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(after.year, after.month, 1, tzinfo=zone)
    return Month(year, month, start, end)


def previous_month(now: datetime, zone: ZoneInfo) -> str:
    """The month before `now` (local), the one a monthly review normally covers."""
    local = now.astimezone(zone)
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def local_text(value: datetime | None, zone: ZoneInfo, seconds: bool = False) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:  # SQLite reads back naive UTC
        from gwanje.clock import as_utc

        value = as_utc(value)
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class Bar:
    """One bar of an HTML chart (CSS width in percent of the largest value)."""

    label: str
    value: float
    percent: float


def bars(labels: Sequence[str], values: Sequence[float]) -> list[Bar]:
    top = max([*values, 1])
    return [Bar(lbl, v, round(100 * v / top, 1)) for lbl, v in zip(labels, values, strict=True)]
