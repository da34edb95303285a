"""Reading the audit ledger for people: filters, pages, JSON views (PIPA-3 review).

Invariants: read-only; filters are parsed from raw text into typed values or refused
with an i18n error (bad input never crashes); calendar dates are Korea time (Asia/Seoul)
turned into UTC bounds, since everything is stored in UTC.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, literal, or_, select
from sqlalchemy.orm import Session

from gwanje.audit.events import Outcome
from gwanje.audit.models import AuditEntry
from gwanje.errors import InvalidInput

SEOUL = ZoneInfo("Asia/Seoul")
MAX_PER_PAGE = 500


@dataclass(frozen=True)
class LedgerFilter:
    event_type: str | None = None
    actor: str | None = None  # a username, or a person id
    outcome: Outcome | None = None
    camera_id: int | None = None
    date_from: date | None = None  # inclusive, Korea time
    date_to: date | None = None  # inclusive, Korea time

    def query_params(self) -> dict[str, str]:
        """The non-empty filters as query-string values (for pagination links)."""
        values = {
            "event_type": self.event_type,
            "actor": self.actor,
            "outcome": self.outcome.value if self.outcome else None,
            "camera_id": self.camera_id,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
        }
        return {k: str(v) for k, v in values.items() if v is not None}


def _text(params: Mapping[str, str], name: str) -> str | None:
    value = (params.get(name) or "").strip()
    return value or None  # an empty form field means "no filter"


def _parse(params: Mapping[str, str], name: str, parse: Any) -> Any:
    raw = _text(params, name)
    if raw is None:
        return None
    try:
        return parse(raw)
    except ValueError as exc:
        raise InvalidInput("audit.error.bad_filter", field=name, value=raw[:40]) from exc


def _camera_id(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError(raw)
    return value


def parse_filter(params: Mapping[str, str]) -> LedgerFilter:
    """Typed filters from query parameters; InvalidInput names the bad field."""
    found = LedgerFilter(
        event_type=_text(params, "event_type"),
        actor=_text(params, "actor"),
        outcome=_parse(params, "outcome", Outcome),
        camera_id=_parse(params, "camera_id", _camera_id),
        date_from=_parse(params, "date_from", date.fromisoformat),
        date_to=_parse(params, "date_to", date.fromisoformat),
    )
    if found.date_from and found.date_to and found.date_from > found.date_to:
        raise InvalidInput("audit.error.bad_range")
    return found


def parse_page(params: Mapping[str, str], default_per_page: int = 50) -> tuple[int, int]:
    page = _parse(params, "page", int)
    per_page = _parse(params, "per_page", int)
    page = 1 if page is None else page
    per_page = default_per_page if per_page is None else per_page
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput("audit.error.bad_page", max=MAX_PER_PAGE)
    return page, per_page


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SEOUL)


def _conditions(f: LedgerFilter) -> list[ColumnElement[bool]]:
    e = AuditEntry
    where: list[ColumnElement[bool]] = []
    if f.event_type:
        where.append(e.event_type == f.event_type)
    if f.actor:
        by_name = e.actor_name == f.actor
        where.append(
            or_(by_name, e.actor_id == int(f.actor))
            if f.actor.isdigit() and len(f.actor) < 10
            else by_name
        )
    if f.outcome:
        where.append(e.outcome == f.outcome.value)
    if f.camera_id:  # camera_ids is "1,2,3": match a whole id, not a digit of another
        padded = literal(",") + e.camera_ids + literal(",")
        where.append(padded.like(f"%,{f.camera_id},%"))
    if f.date_from:
        where.append(e.at >= _day_start(f.date_from))
    if f.date_to:
        where.append(e.at < _day_start(f.date_to + timedelta(days=1)))
    return where


@dataclass(frozen=True)
class LedgerPage:
    total: int
    page: int
    per_page: int
    entries: list[AuditEntry]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_entries(
    session: Session, f: LedgerFilter, page: int = 1, per_page: int = 50
) -> LedgerPage:
    """One page of matching entries, newest first."""
    where = _conditions(f)
    count = select(func.count()).select_from(AuditEntry).where(*where)
    total = session.execute(count).scalar_one()
    rows = session.scalars(
        select(AuditEntry)
        .where(*where)
        .order_by(AuditEntry.seq.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return LedgerPage(total, page, per_page, list(rows))


def local_time(value: datetime | None) -> str:
    """Display form in Korea time (storage stays UTC)."""
    return "" if value is None else value.astimezone(SEOUL).strftime("%Y-%m-%d %H:%M:%S")


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "event_type": entry.event_type,
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "actor_kind": entry.actor_kind,
        "source_ip": entry.source_ip,
        "outcome": entry.outcome,
        "camera_ids": [int(c) for c in entry.camera_ids.split(",") if c],
        "range_start": entry.range_start.isoformat() if entry.range_start else None,
        "range_end": entry.range_end.isoformat() if entry.range_end else None,
        "details": json.loads(entry.details),
        "entry_hash": entry.entry_hash,
    }
