"""Schema of the organisation: departments (부서) and, from the people subsystem, posts,
persons, appointments, pledges and training.

Invariant: exactly one department may be flagged dedicated (전담부서, ORD-4); the partial
unique index enforces it in the database, not only in code.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from gwanje.db.base import Base


class Department(Base):
    """A city department (부서) that installs or operates cameras, or the center's own."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Short stable code, e.g. "SAFETY" or "TRAFFIC"; used by CSV import.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_ko: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    # True for the one dedicated department running the center (ORD-4).
    is_dedicated: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index(
            "uq_departments_one_dedicated",
            "is_dedicated",
            unique=True,
            sqlite_where=text("is_dedicated"),
            postgresql_where=text("is_dedicated"),
        ),
    )
