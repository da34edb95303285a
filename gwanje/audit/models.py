"""Schema of the audit ledger.

`audit_entries` is append-only: rows are inserted by `gwanje.audit.ledger.record` and
never updated or deleted by Gwanje. Each row's `entry_hash` covers its own content and
the previous row's hash, so altering, deleting, reordering or truncating rows breaks the
chain (`gwanje audit verify`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gwanje.db.base import Base, UTCDateTime


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    # Gapless position in the chain, 1-based; assigned under the chain lock.
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    # When it happened (UTC), from the injected clock.
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Stable event name, e.g. "auth.login_failed"; see docs/audit-events.md.
    event_type: Mapped[str] = mapped_column(String(64), index=True)
    # The person acting (NULL for system/public actors) and their name at the time.
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_name: Mapped[str] = mapped_column(String(128))
    actor_kind: Mapped[str] = mapped_column(String(16))
    # Client address as seen by the web layer (PIPA-3 "from where").
    source_ip: Mapped[str | None] = mapped_column(String(64))
    # ok / denied / failed.
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    # Comma-separated camera ids touched, for PIPA-3 "whose data" queries.
    camera_ids: Mapped[str] = mapped_column(Text, default="")
    # Time range of video touched (playback, export), if any.
    range_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    range_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The event's own fields as canonical JSON (sorted keys, no spaces).
    details: Mapped[str] = mapped_column(Text)
    # Hex SHA-256 of the previous entry ("0"*64 for the first).
    prev_hash: Mapped[str] = mapped_column(String(64))
    # Hex SHA-256 over prev_hash and this entry's canonical content.
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)
