"""Declarative base and column types shared by every subsystem's models."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, MetaData, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware.

    SQLite has no time zones; PostgreSQL's timestamptz does. Naive input is refused so
    local time can never sneak into storage.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: Gwanje stores UTC only")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def one_of(column: str, values: type[StrEnum], nullable: bool = False) -> str:
    """SQL of a CHECK constraint: `column` holds one of an enum's values (or NULL)."""
    listed = f"{column} IN ({', '.join(repr(v.value) for v in values)})"
    return f"{column} IS NULL OR {listed}" if nullable else listed


def import_all_models() -> None:
    """Import every subsystem's models so `Base.metadata` is complete (Alembic, tests)."""
    import gwanje.audit.models
    import gwanje.auth.models
    import gwanje.camhealth.models
    import gwanje.console.models
    import gwanje.governance.models
    import gwanje.governance.subjects.models
    import gwanje.ledgers.models
    import gwanje.media.models
    import gwanje.operations.bells_models
    import gwanje.operations.models
    import gwanje.people.models
    import gwanje.ptz.models
    import gwanje.registry.models
    import gwanje.retention.models
    import gwanje.sharing.models
    import gwanje.shifts.models  # noqa: F401
