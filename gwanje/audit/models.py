"""Schema of the audit ledger (docs/design/audit-ledger.md, "Schema").

`audit_entries` and `audit_checkpoints` are append-only: rows are inserted by
`gwanje.audit.ledger` and `gwanje.audit.checkpoints`, never updated or deleted by Gwanje.
Each row's `entry_hash` covers its own content and the previous row's hash, so altering,
deleting, reordering or truncating rows breaks the chain (`gwanje audit verify`).
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


class AuditCheckpoint(Base):
    """A signed statement that the ledger's entries 1..seq end in `entry_hash`.

    Written by `gwanje.audit.checkpoints` in the same transaction as the entry it covers;
    never updated or deleted (docs/design/audit-ledger.md, invariant 6).
    """

    __tablename__ = "audit_checkpoints"

    # The entry this checkpoint covers (entries 1..seq); one checkpoint per entry.
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    # That entry's hash at signing time (hex SHA-256).
    entry_hash: Mapped[str] = mapped_column(String(64))
    # When the checkpoint was signed (UTC); part of the signed message.
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Which key signed: first 16 bytes (hex) of SHA-256 of the raw Ed25519 public key.
    key_id: Mapped[str] = mapped_column(String(32))
    # Hex Ed25519 signature over `gwanje-audit-checkpoint/v1\n<seq>\n<hash>\n<at>\n`.
    signature: Mapped[str] = mapped_column(String(128))
