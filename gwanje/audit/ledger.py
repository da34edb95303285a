"""Appending to the hash-chained audit ledger (감사 원장).

Owns the canonical form of an entry and the chain hash (docs/design/audit-ledger.md,
invariant 2) and the two append paths: `record()` (one event) and `record_many()` (a
group commit of many events under one lock, one head read, one multi-row insert).

Invariants:
- an entry is written in the caller's transaction, so it commits or rolls back with the
  change it records; nothing here commits;
- appends are serialised (SQLite: the database write lock taken at BEGIN IMMEDIATE;
  PostgreSQL: a transaction-scoped advisory lock), so `seq` is gapless and each entry
  chains to exactly the previous one; the primary key on `seq` turns a bypassed lock
  into a failed transaction, never a fork;
- the canonical form is identical on SQLite and PostgreSQL (PIPA-3: protected against
  forgery wherever the ledger is stored).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from sqlalchemy import Table, insert, select, text
from sqlalchemy.orm import Session

from gwanje.audit.events import AuditEvent
from gwanje.audit.models import AuditEntry
from gwanje.clock import Clock, SystemClock

GENESIS = "0" * 64
CHAIN_LOCK_KEY = 0x6A77616E6A65  # "gwanje": the PostgreSQL advisory lock for the chain
POLICY_KEY = "gwanje.audit.checkpoint_policy"  # Session.info key set by `install()`

# One encoder, built once: the hot path of verify calls it a million times.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

# Column order of the canonical array (invariant 2); verify selects them in this order.
CONTENT_COLUMNS = (
    "seq",
    "at",
    "event_type",
    "actor_id",
    "actor_name",
    "actor_kind",
    "source_ip",
    "outcome",
    "camera_ids",
    "range_start",
    "range_end",
    "details",
)


class CheckpointHook(Protocol):
    """Installed in `Session.info[POLICY_KEY]` by `gwanje.audit.install`."""

    def after_append(
        self, session: Session, appended: Sequence[tuple[int, str]], clock: Clock
    ) -> None: ...


@dataclass(frozen=True)
class ChainHead:
    seq: int
    entry_hash: str


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the stored form of `details`."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_time(value: datetime | None) -> str | None:
    """UTC as `YYYY-MM-DD HH:MM:SS.ffffff`, exactly SQLite's stored text for the value."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(sep=" ", timespec="microseconds")[:26]


def chain_hash(prev_hash: str, content: list[Any]) -> str:
    """SHA-256 over the previous hash, a newline and the canonical content array."""
    payload = prev_hash + "\n" + _ENCODE(content)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def row_content(row: dict[str, Any]) -> list[Any]:
    """The canonical content array of a row given as Python values (datetimes aware)."""
    content = [row[name] for name in CONTENT_COLUMNS]
    for index in (1, 9, 10):  # at, range_start, range_end
        content[index] = canonical_time(content[index])
    return content


def compute_hash(prev_hash: str, entry: AuditEntry) -> str:
    """The hash `entry` must carry, given the previous entry's hash."""
    values = {name: getattr(entry, name) for name in CONTENT_COLUMNS}
    return chain_hash(prev_hash, row_content(values))


def lock_chain(session: Session) -> None:
    """Serialise appends until the caller's transaction ends (invariant 4)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK_KEY})


def chain_head(session: Session) -> ChainHead:
    """The newest entry's seq and hash; (0, genesis) for an empty ledger."""
    row = session.execute(
        select(AuditEntry.seq, AuditEntry.entry_hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    return ChainHead(0, GENESIS) if row is None else ChainHead(row[0], row[1])


def _row_for(event: AuditEvent, seq: int, at: datetime, prev_hash: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "seq": seq,
        "at": at.astimezone(UTC),
        "event_type": event.event_type,
        "actor_id": event.actor.person_id,
        "actor_name": event.actor.username,
        "actor_kind": event.actor.kind,
        "source_ip": event.source_ip,
        "outcome": event.outcome.value,
        "camera_ids": ",".join(str(c) for c in event.camera_ids),
        "range_start": event.range_start,
        "range_end": event.range_end,
        "details": canonical_json(event.details()),
        "prev_hash": prev_hash,
    }
    row["entry_hash"] = chain_hash(prev_hash, row_content(row))
    return row


def _append(session: Session, events: Sequence[AuditEvent], clock: Clock) -> list[dict[str, Any]]:
    lock_chain(session)
    head = chain_head(session)
    now = clock.now()  # one instant for a group: they were committed together
    rows: list[dict[str, Any]] = []
    for event in events:
        row = _row_for(event, head.seq + 1, now, head.entry_hash)
        head = ChainHead(row["seq"], row["entry_hash"])
        rows.append(row)
    session.execute(insert(cast(Table, AuditEntry.__table__)), rows)
    hook: CheckpointHook | None = session.info.get(POLICY_KEY)
    if hook is not None:
        hook.after_append(session, [(r["seq"], r["entry_hash"]) for r in rows], clock)
    return rows


def record(session: Session, event: AuditEvent, clock: Clock | None = None) -> AuditEntry:
    """Append `event` to the ledger inside the caller's transaction.

    Returns the entry as written (a transient object: the row is inserted with a Core
    statement, which is several times cheaper than an ORM flush).
    """
    (row,) = _append(session, [event], clock or SystemClock())
    return AuditEntry(**row)


def record_many(
    session: Session, events: Sequence[AuditEvent], clock: Clock | None = None
) -> list[int]:
    """Append many events at once (group commit); returns their seqs in order."""
    if not events:
        return []
    return [row["seq"] for row in _append(session, events, clock or SystemClock())]
