"""Typed audit events with stable names.

Each subclass of `AuditEvent` declares `event_type` (a stable dotted name that never
changes once shipped) and its own typed detail fields. Subclasses register themselves,
so `event_types()` lists every event the system can write; a test fails when one is
missing from docs/audit-events.md. Subsystems define their events next to their code
(e.g. `gwanje/registry/events.py`).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from functools import cache
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

_REGISTRY: dict[str, type[AuditEvent]] = {}


class Outcome(StrEnum):
    OK = "ok"
    DENIED = "denied"
    FAILED = "failed"


class Actor(BaseModel):
    """Who did it: a person, an API token, or the system itself."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    person_id: int | None = None
    username: str = "system"
    kind: str = Field("person", pattern="^(person|token|system|public)$")

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(person_id=None, username=name, kind="system")


class AuditEvent(BaseModel):
    """Base of every audit event: who, from where, which cameras and time range."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_type: ClassVar[str]
    description: ClassVar[str]

    actor: Actor
    source_ip: str | None = None
    outcome: Outcome = Outcome.OK
    camera_ids: tuple[int, ...] = ()
    range_start: datetime | None = None
    range_end: datetime | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("event_type")
        if not isinstance(name, str):
            return  # an abstract intermediate class
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise TypeError(f"audit event type {name!r} defined twice")
        if not cls.__doc__:
            raise TypeError(f"audit event {name!r} needs a docstring")
        _REGISTRY[name] = cls

    def details(self) -> dict[str, Any]:
        """The subclass's own fields, JSON-ready."""
        return self.model_dump(mode="json", exclude=set(_base_fields()))


@cache
def _base_fields() -> frozenset[str]:
    """The common fields, stored in their own columns (computed once: hot path)."""
    return frozenset(AuditEvent.model_fields)


def event_types() -> dict[str, type[AuditEvent]]:
    """Every registered event type by stable name (import subsystems first)."""
    return dict(sorted(_REGISTRY.items()))


# Events of the audit subsystem itself: auditors are audited too (PIPA-3).


class LedgerViewed(AuditEvent):
    """Someone listed audit ledger entries (web page or JSON API), with the filters used."""

    event_type = "audit.viewed"
    description = "감사 원장 열람 / audit ledger viewed"
    filter_event_type: str | None = None
    filter_actor: str | None = None
    filter_outcome: str | None = None
    filter_camera_id: int | None = None
    filter_from: date | None = None  # Korea time, inclusive
    filter_to: date | None = None  # Korea time, inclusive
    page: int = 1
    shown: int = 0


class LedgerVerified(AuditEvent):
    """Someone ran a full verification of the ledger from the web; records the verdict."""

    event_type = "audit.verified"
    description = "감사 원장 무결성 검증 / audit ledger verified"
    ok: bool
    entries: int
    first_bad_seq: int | None = None
    problem: str | None = None
