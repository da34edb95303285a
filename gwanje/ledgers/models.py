"""Schema of the ledgers (docs/design/ledgers.md, "Schema").

- `management_rows` is a projection of the audit ledger (개인영상정보 관리대장, ORD-33):
  written only by `gwanje.ledgers.projection`, one row per ledger-worthy audit entry (a
  retention purge: one row per camera, rule and Korea-time day, summing its entries);
  it can be dropped and rebuilt from the audit ledger at any time.
- `ledger_cursors` holds the last audit `seq` a projection has read.
- `visits` is the visitor ledger (출입자 관리대장, ORD-22.2, PIPA-6); its state changes only
  through `gwanje.ledgers.visitors` by conditional UPDATEs on (state, version).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from gwanje.db.base import Base, UTCDateTime, one_of


class LedgerKind(StrEnum):
    """PIPA-5's four kinds of ledger entry."""

    USE = "use"  # 이용 (use beyond purpose by the city itself)
    PROVIDE = "provide"  # 제공 (a copy delivered to another body)
    VIEW = "view"  # 열람 (stored video replayed under a grant)
    DESTROY = "destroy"  # 파기 (footage purged, a provided copy destroyed or recalled)


class VisitState(StrEnum):
    REQUESTED = "requested"  # waiting for the center head's prior approval (ORD-22.2)
    APPROVED = "approved"
    REFUSED = "refused"
    CHECKED_IN = "checked_in"
    CHECKED_OUT = "checked_out"


_SEQ = BigInteger().with_variant(Integer, "sqlite")


class ManagementRow(Base):
    """One row of the management ledger, projected from the audit ledger."""

    __tablename__ = "management_rows"
    __table_args__ = (
        CheckConstraint(one_of("kind", LedgerKind), name="kind_known"),
        Index("ix_management_rows_summary", "source", "day", "camera_id", "rule"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # use / provide / view / destroy (LedgerKind).
    kind: Mapped[str] = mapped_column(String(16), index=True)
    # The audit event type that made the row (video.playback, provision.delivered ...).
    source: Mapped[str] = mapped_column(String(64))
    # The audit entries behind the row: first and last seq, and how many (a purge
    # summary covers several; every other row exactly one).
    first_seq: Mapped[int] = mapped_column(_SEQ, index=True)
    last_seq: Mapped[int] = mapped_column(_SEQ)
    entries: Mapped[int] = mapped_column(Integer, default=1)
    # When it happened (UTC; the first entry's time) and its Korea-time day (YYYY-MM-DD).
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    day: Mapped[str] = mapped_column(String(10))
    # Who acted (the officer, or the system for a purge) as written in the entry.
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(128))
    # The camera concerned (every projected event names exactly one, or none).
    camera_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # Footage time range concerned (a purge summary: earliest start .. latest end).
    range_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    range_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Workflow references, for the auditor's cross-check and the joins on read.
    request_id: Mapped[int | None] = mapped_column(Integer, index=True)
    grant_id: Mapped[int | None] = mapped_column(Integer)
    export_id: Mapped[int | None] = mapped_column(Integer)
    provision_id: Mapped[int | None] = mapped_column(Integer)
    # A data subject's request whose masked clip was released (provision to the subject).
    subject_request_id: Mapped[int | None] = mapped_column(Integer)
    # Purge summaries: the rule (retention / disk_pressure), segments, bytes, files.
    rule: Mapped[str | None] = mapped_column(String(32))
    segments: Mapped[int] = mapped_column(Integer, default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    first_file: Mapped[str] = mapped_column(Text, default="")
    last_file: Mapped[str] = mapped_column(Text, default="")
    # Stream (main / sub) for playback rows.
    stream: Mapped[str] = mapped_column(String(8), default="")


class LedgerCursor(Base):
    """How far a projection has read the audit ledger."""

    __tablename__ = "ledger_cursors"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The last audit seq read (0: nothing yet).
    seq: Mapped[int] = mapped_column(_SEQ, default=0)


class Visit(Base):
    """A visitor of the controlled area (출입자, ORD-22.1-22.4, PIPA-6)."""

    __tablename__ = "visits"
    __table_args__ = (
        CheckConstraint(one_of("state", VisitState), name="state_known"),
        CheckConstraint("party_size >= 1", name="party_positive"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(64))  # the visitor (a tour: its leader)
    contact: Mapped[str] = mapped_column(String(128), default="")
    purpose: Mapped[str] = mapped_column(Text)
    # When the visit is planned (UTC).
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # ORD-22.4: a public tour (견학) needs an escort and no identifiable footage on screen.
    tour: Mapped[bool] = mapped_column(Boolean, default=False)
    party_size: Mapped[int] = mapped_column(Integer, default=1)
    # Storage media and devices declared on the way in and found on the way out (PIPA-6).
    media_in: Mapped[str] = mapped_column(Text, default="")
    media_out: Mapped[str] = mapped_column(Text, default="")
    # The escorting officer (required to check in a tour).
    escort_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    state: Mapped[str] = mapped_column(String(16), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The center head's prior approval or refusal (ORD-22.2).
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_out_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
