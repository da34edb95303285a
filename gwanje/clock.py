"""Time as an interface, so tests can move it.

Invariant: every timestamp Gwanje stores is timezone-aware UTC. Local time (Asia/Seoul)
is only for display and for purpose schedules (ORD-16.2 day/night), never for storage.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told; thread-safe."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        with self._lock:
            self._now = when


def as_utc(value: datetime) -> datetime:
    """Normalise a datetime read back from a database to aware UTC.

    SQLite returns naive datetimes; Gwanje only ever writes UTC, so naive means UTC.
    """
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_aware(value: object, field: str, error_key: str) -> datetime:
    """An ISO 8601 time that carries its offset (API input: a naive time is ambiguous);
    otherwise `InvalidInput(error_key, detail=...)` naming `field`."""
    from gwanje.errors import InvalidInput

    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(error_key, detail=f"{field}: not ISO 8601") from None
    if parsed.tzinfo is None:
        raise InvalidInput(error_key, detail=f"{field}: needs an offset")
    return parsed
