"""Legal holds (법적 보존): camera + time range kept beyond retention on an ORD-31.1 ground.

Invariant: while a hold is active (not released), no segment of its camera overlapping its
range is deleted, by the retention purge or by the disk guard.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gwanje.db.base import Base, UTCDateTime


class HoldGround(StrEnum):
    """ORD-31.1 exceptions to the 30-day limit."""

    OTHER_LAW = "other_law"  # (1) another law requires keeping it
    INVESTIGATION_MATERIAL = "investigation_material"  # (2) provided for investigation/trial
    OTHER_LEGITIMATE = "other_legitimate"  # (3) another legitimate reason, stated in text


class LegalHold(Base):
    __tablename__ = "legal_holds"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="ends_after_start"),
        CheckConstraint(
            "ground IN ('other_law', 'investigation_material', 'other_legitimate')",
            name="ground_known",
        ),
        Index("ix_legal_holds_camera_range", "camera_id", "start_at", "end_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id"))
    # The held range of footage (UTC), compared with segments' start/end.
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ground: Mapped[str] = mapped_column(String(32))
    # The law, case number or reason; required for every ground.
    reason: Mapped[str] = mapped_column(Text)
    # Who answers for the hold and must review it.
    owner_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    review_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # What created it: "manual", or a workflow reference such as "provision:12" (later issues).
    source: Mapped[str] = mapped_column(String(64), default="manual")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    release_reason: Mapped[str | None] = mapped_column(Text)
