"""Retention periods and legal holds (법적 보존) as seen by one principal, in one transaction.

Shared by the web pages, the CLI and (later) workflows that hold provided footage.

Invariants:
- ORD-31.1: a camera's retention is 1..30 days; the service refuses anything else with a
  translated error and the database CHECK refuses it even if the service is bypassed;
- a legal hold always has one ORD-31.1 ground, a reason, an active owner and a review
  date, and covers footage already collected (its range ends no later than now);
- a released hold stays in the table (it is evidence); only `released_at IS NULL` holds
  protect footage;
- every change and its audit event are written in the caller's one transaction; a
  principal acts only on cameras its permission's scope covers (ORD-30.1), and an
  out-of-scope camera answers "not found" and is audited (`registry_transaction`);
- placing or releasing a hold takes the holds lock (see `lock_holds`), so it is ordered
  with respect to a purge: never decided against a hold that a purge did not see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gwanje.audit import AuditEvent, Outcome, record
from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.clock import Clock, as_utc
from gwanje.errors import Conflict, Forbidden, InvalidInput, NotFound
from gwanje.people.models import Person
from gwanje.registry.events import CameraAccessDenied
from gwanje.registry.models import Camera
from gwanje.registry.service import OutOfScope
from gwanje.retention import events
from gwanje.retention.models import HoldGround, LegalHold
from gwanje.settings import Settings

# ORD-31.1: video is kept at most 30 days after collection.
MAX_RETENTION_DAYS = 30
MIN_RETENTION_DAYS = 1
# "manual", or a workflow reference such as "provision:12".
SOURCE = re.compile(r"^(manual|[a-z][a-z_]{1,30}:[A-Za-z0-9._/-]{1,32})$")
REASON_MAX = 2000


def effective_retention_days(camera: Camera, settings: Settings) -> int:
    """The camera's own period, or the center's default when it has none (ORD-31.1)."""
    days = camera.retention_days or settings.registry.retention_days
    return min(days, MAX_RETENTION_DAYS)  # belt and braces: never beyond 30


def check_retention_days(days: int | None) -> None:
    """ORD-31.1: refuse a period above 30 days (or below 1); `None` = center default."""
    if days is not None and not MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS:
        raise InvalidInput("retention.error.days_out_of_range", days=days)


def parse_days(value: str | None) -> int | None:
    """Days as typed in a form or on the command line; blank or 'default' = center default."""
    raw = (value or "").strip().lower()
    if raw in ("", "default"):
        return None
    try:
        days = int(raw)
    except ValueError as exc:
        raise InvalidInput("retention.error.days_format", value=raw) from exc
    check_retention_days(days)
    return days


def parse_time(value: str | None, field: str, timezone: str) -> datetime:
    """An ISO date or date-time; without an offset it is local time (`timezone`)."""
    raw = (value or "").strip()
    if not raw:
        raise InvalidInput("retention.error.time_required", field=field)
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput("retention.error.time_format", field=field, value=raw) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(timezone))
    return as_utc(parsed)


@dataclass(frozen=True)
class HoldInput:
    """What a caller supplies to place a hold (times aware; see `parse_time`)."""

    camera_code: str
    start_at: datetime
    end_at: datetime
    ground: str
    reason: str
    owner_username: str
    review_at: datetime
    source: str = "manual"


def lock_holds(session: Session) -> None:
    """Order hold changes and purges until the transaction ends.

    SQLite: every writer already holds the database lock from BEGIN IMMEDIATE.
    PostgreSQL: SHARE ROW EXCLUSIVE conflicts with itself and with row changes, so a
    purge and a hold placement (or two purges) never interleave.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE legal_holds IN SHARE ROW EXCLUSIVE MODE"))


@dataclass
class Retention:
    """Retention and legal holds for one principal inside one transaction."""

    session: Session
    settings: Settings
    clock: Clock
    principal: Principal
    source_ip: str | None = None

    # ---- helpers -------------------------------------------------------------------
    def _record(self, event_type: type[AuditEvent], camera: Camera, **details: Any) -> None:
        event = event_type(
            actor=self.principal.actor,
            source_ip=self.source_ip,
            camera_ids=(camera.id,),
            **details,
        )
        record(self.session, event, self.clock)

    def _record_hold(
        self, event_type: type[AuditEvent], camera: Camera, hold: LegalHold, **details: Any
    ) -> None:
        """A hold event: the held range, the hold and its ground, and what differs."""
        self._record(
            event_type, camera, range_start=hold.start_at, range_end=hold.end_at,
            hold_id=hold.id, code=camera.code, ground=hold.ground, **details,
        )  # fmt: skip

    def _require(self, permission: Permission) -> None:
        if not self.principal.can(permission):
            raise Forbidden("error.forbidden", permission=permission.value)

    def _in_scope(self, camera: Camera, permission: Permission) -> bool:
        return self.principal.may_use_on_camera(permission, camera.id, camera.department_id)

    def camera(self, code: str, permission: Permission, action: str) -> Camera:
        """The camera by code, within the principal's scope for `permission`."""
        self._require(permission)
        camera = self.session.scalar(select(Camera).where(Camera.code == code.strip()))
        if camera is None:
            raise NotFound("retention.error.camera_unknown", code=code)
        if not self._in_scope(camera, permission):
            raise OutOfScope(
                CameraAccessDenied(
                    actor=self.principal.actor,
                    source_ip=self.source_ip,
                    outcome=Outcome.DENIED,
                    camera_ids=(camera.id,),
                    action=action,
                )
            )
        return camera

    # ---- retention periods ---------------------------------------------------------
    def set_camera_days(self, code: str, days: int | None) -> Camera:
        """Set a camera's retention (ORD-31.1: 1..30 days; `None`: center default)."""
        check_retention_days(days)
        camera = self.camera(code, Permission.RETENTION_MANAGE, "retention.set")
        old = camera.retention_days
        camera.retention_days = days
        self.session.flush()
        self._record(
            events.CameraRetentionSet,
            camera,
            code=camera.code,
            old_days=old,
            new_days=days,
            effective_days=effective_retention_days(camera, self.settings),
        )
        return camera

    # ---- legal holds ---------------------------------------------------------------
    def place_hold(self, data: HoldInput) -> LegalHold:
        """Place a legal hold on a camera's footage over a time range (ORD-31.1)."""
        camera = self.camera(data.camera_code, Permission.LEGAL_HOLD_MANAGE, "legal_hold.place")
        owner = self._validate_hold(data)
        lock_holds(self.session)
        hold = LegalHold(
            camera_id=camera.id,
            start_at=data.start_at,
            end_at=data.end_at,
            ground=data.ground,
            reason=data.reason.strip(),
            owner_id=owner.id,
            review_at=data.review_at,
            source=data.source.strip(),
            created_at=self.clock.now(),
            created_by=self.principal.person_id,
        )
        self.session.add(hold)
        self.session.flush()
        self._record_hold(
            events.LegalHoldPlaced,
            camera,
            hold,
            reason=hold.reason,
            owner_id=owner.id,
            owner=owner.username,
            review_at=hold.review_at,
            source=hold.source,
        )
        return hold

    def _validate_hold(self, data: HoldInput) -> Person:
        now = self.clock.now()
        if data.end_at <= data.start_at:
            raise InvalidInput("retention.hold.error.range")
        if data.end_at > now:
            raise InvalidInput("retention.hold.error.future")
        if data.ground not in {g.value for g in HoldGround}:
            raise InvalidInput("retention.hold.error.ground", value=data.ground)
        reason = data.reason.strip()
        if not reason:
            raise InvalidInput("retention.hold.error.reason_required")
        if len(reason) > REASON_MAX:
            raise InvalidInput("retention.hold.error.reason_too_long", limit=REASON_MAX)
        if data.review_at <= now:
            raise InvalidInput("retention.hold.error.review_past")
        if not SOURCE.match(data.source.strip()):
            raise InvalidInput("retention.hold.error.source", value=data.source)
        return self._owner(data.owner_username)

    def _owner(self, username: str) -> Person:
        name = username.strip().lower()
        if not name:
            raise InvalidInput("retention.hold.error.owner_required")
        person = self.session.scalar(select(Person).where(Person.username == name))
        if person is None:
            raise InvalidInput("retention.hold.error.owner_unknown", owner=name)
        if not person.active:
            raise InvalidInput("retention.hold.error.owner_inactive", owner=name)
        return person

    def release_hold(self, hold_id: int, reason: str) -> LegalHold:
        """Release an active hold with a reason; its footage falls back under retention."""
        self._require(Permission.LEGAL_HOLD_MANAGE)
        hold = self.session.get(LegalHold, hold_id)
        if hold is None:
            raise NotFound("retention.hold.error.not_found", hold_id=hold_id)
        camera = self.session.get(Camera, hold.camera_id)
        assert camera is not None  # foreign key
        camera = self.camera(camera.code, Permission.LEGAL_HOLD_MANAGE, "legal_hold.release")
        if hold.released_at is not None:
            raise Conflict("retention.hold.error.already_released", hold_id=hold_id)
        if not reason.strip():
            raise InvalidInput("retention.hold.error.release_reason_required")
        lock_holds(self.session)
        hold.released_at = self.clock.now()
        hold.released_by = self.principal.person_id
        hold.release_reason = reason.strip()
        self.session.flush()
        self._record_hold(events.LegalHoldReleased, camera, hold, reason=hold.release_reason)
        return hold

    def active_holds(self) -> list[HoldView]:
        """Active (unreleased) holds on cameras in scope, oldest footage first."""
        self._require(Permission.LEGAL_HOLD_MANAGE)
        rows = self.session.execute(
            select(LegalHold, Camera, Person)
            .join(Camera, Camera.id == LegalHold.camera_id)
            .join(Person, Person.id == LegalHold.owner_id)
            .where(LegalHold.released_at.is_(None))
            .order_by(LegalHold.start_at, LegalHold.id)
        ).all()
        now = self.clock.now()
        return [
            HoldView.of(hold, camera, owner, now)
            for hold, camera, owner in rows
            if self._in_scope(camera, Permission.LEGAL_HOLD_MANAGE)
        ]

    def due_for_review(self) -> list[HoldView]:
        """Active holds whose review date has come (ORD-13: periodic self-inspection)."""
        return [view for view in self.active_holds() if view.due]


@dataclass(frozen=True)
class HoldView:
    """A hold as shown in lists (web, CLI --json)."""

    id: int
    camera_id: int
    camera_code: str
    camera_name: str
    start_at: datetime
    end_at: datetime
    ground: str
    reason: str
    owner: str
    review_at: datetime
    source: str
    created_at: datetime
    due: bool

    @classmethod
    def of(cls, hold: LegalHold, camera: Camera, owner: Person, now: datetime) -> HoldView:
        return cls(
            id=hold.id,
            camera_id=camera.id,
            camera_code=camera.code,
            camera_name=camera.name,
            start_at=as_utc(hold.start_at),
            end_at=as_utc(hold.end_at),
            ground=hold.ground,
            reason=hold.reason,
            owner=owner.username,
            review_at=as_utc(hold.review_at),
            source=hold.source,
            created_at=as_utc(hold.created_at),
            due=as_utc(hold.review_at) <= now,
        )

    def as_json(self) -> dict[str, Any]:
        values: dict[str, Any] = dict(self.__dict__)
        for name in ("start_at", "end_at", "review_at", "created_at"):
            values[name] = values[name].isoformat()
        return values
