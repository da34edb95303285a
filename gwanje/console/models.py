"""Saved video wall layouts, per operator."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gwanje.db.base import Base, UTCDateTime

GRIDS = (1, 4, 9, 16, 25, 36)


class WallLayout(Base):
    """A named wall an operator saved: the grid size and which camera sits in each tile."""

    __tablename__ = "wall_layouts"
    __table_args__ = (
        UniqueConstraint("person_id", "name"),
        CheckConstraint(f"grid IN ({', '.join(map(str, GRIDS))})", name="grid_known"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    grid: Mapped[int] = mapped_column(Integer)
    # JSON list, one entry per tile: a camera id or null.
    tiles_json: Mapped[str] = mapped_column(Text, default="[]")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def tiles(self) -> list[int | None]:
        value: list[int | None] = json.loads(self.tiles_json or "[]")
        return value
