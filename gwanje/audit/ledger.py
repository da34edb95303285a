"""Appending to the hash-chained audit ledger.

Invariants:
- an entry is written in the caller's transaction, so it commits or rolls back with the
  change it records;
- appends are serialised (SQLite: the database write lock taken at BEGIN IMMEDIATE;
  PostgreSQL: a transaction-scoped advisory lock), so `seq` is gapless and each entry
  chains to exactly the previous one.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gwanje.audit.events import AuditEvent
from gwanje.audit.models import AuditEntry
from gwanje.clock import Clock, SystemClock

GENESIS = "0" * 64
CHAIN_LOCK_KEY = 0x6A77616E6A65  # "gwanje": the PostgreSQL advisory lock for the chain


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def entry_content(entry: AuditEntry) -> dict[str, Any]:
    """Everything the hash covers, in a form that reads back identically."""
    return {
        "seq": entry.seq,
        "at": _iso(entry.at),
        "event_type": entry.event_type,
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "actor_kind": entry.actor_kind,
        "source_ip": entry.source_ip,
        "outcome": entry.outcome,
        "camera_ids": entry.camera_ids,
        "range_start": _iso(entry.range_start),
        "range_end": _iso(entry.range_end),
        "details": entry.details,
    }


def compute_hash(prev_hash: str, entry: AuditEntry) -> str:
    payload = prev_hash + canonical_json(entry_content(entry))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK_KEY})


def _chain_head(session: Session) -> tuple[int, str]:
    row = session.execute(
        select(AuditEntry.seq, AuditEntry.entry_hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    return (0, GENESIS) if row is None else (row[0], row[1])


def record(session: Session, event: AuditEvent, clock: Clock | None = None) -> AuditEntry:
    """Append `event` to the ledger inside the caller's transaction."""
    _lock_chain(session)
    last_seq, last_hash = _chain_head(session)
    entry = AuditEntry(
        seq=last_seq + 1,
        at=(clock or SystemClock()).now(),
        event_type=event.event_type,
        actor_id=event.actor.person_id,
        actor_name=event.actor.username,
        actor_kind=event.actor.kind,
        source_ip=event.source_ip,
        outcome=event.outcome.value,
        camera_ids=",".join(str(c) for c in event.camera_ids),
        range_start=event.range_start,
        range_end=event.range_end,
        details=canonical_json(event.details()),
        prev_hash=last_hash,
    )
    entry.entry_hash = compute_hash(last_hash, entry)
    session.add(entry)
    session.flush()
    return entry
