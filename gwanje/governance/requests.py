"""Access requests and grants: the state machine of ORD-28 and the question ORD-30.2 asks.

```
submitted ──approve (REQUEST_APPROVE: the mayor's authority, ORD-28.2)──▶ approved
    │  └─reject──▶ rejected
    └─approve_emergency (REQUEST_APPROVE_EMERGENCY, basis 5 only, ORD-28.3)─▶ emergency_approved
emergency_approved ──confirm (REQUEST_APPROVE)──▶ approved
emergency_approved ──refuse (REQUEST_APPROVE) or follow-up overdue──▶ recalled
```

Invariants:
- each transition is one transaction: the state change (a conditional UPDATE on state and
  version: of two approvers deciding at once exactly one wins, the other gets a Conflict
  naming the state it found), the grant, the legal holds and the audit entries commit
  together or not at all;
- approval creates one grant covering exactly the request's items, for the named people,
  and places a legal hold (ORD-31.1(2)) on each item's footage, attributed to the
  approver, so the footage survives retention while the grant lives;
- a recalled grant answers no to `active_grant` from that moment; its holds are released
  (the purpose ended) with the reason;
- requests are for stored video only (a range must have ended): live view of a camera
  for its own purpose needs no grant (ORD-30.2).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gwanje.audit import record
from gwanje.audit.events import AuditEvent
from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.clock import Clock
from gwanje.errors import Conflict, Forbidden, InvalidInput, NotFound
from gwanje.governance import events
from gwanje.governance.kinds import (
    CENTER_BASES,
    GrantState,
    LegalBasis,
    RequesterKind,
    RequestKind,
    RequestState,
)
from gwanje.governance.models import (
    AccessGrant,
    AccessGrantPerson,
    AccessRequest,
    AccessRequestItem,
)
from gwanje.people.models import Person
from gwanje.registry.models import Camera, CameraStatus
from gwanje.retention.models import HoldGround, LegalHold
from gwanje.retention.service import HoldInput, Retention
from gwanje.settings import Settings

OFFICIAL_REQUESTERS = frozenset({RequesterKind.POLICE, RequesterKind.PROSECUTOR,
                                 RequesterKind.COURT, RequesterKind.OTHER_AGENCY})  # fmt: skip
TEXT_MAX = 2000
HOLD_REVIEW_DAYS = 30  # a hold is reviewed this long after its grant ends


@dataclass(frozen=True)
class ItemInput:
    camera_code: str
    start_at: datetime
    end_at: datetime


@dataclass(frozen=True)
class RequestInput:
    requester_kind: str
    requester_org: str
    requester_name: str
    kind: str
    legal_basis: str
    purpose: str
    items: tuple[ItemInput, ...]
    requester_contact: str = ""
    requester_rank: str = ""  # 직위·계급 (PIPA-5)
    letter_no: str | None = None
    crime_type: str | None = None


@dataclass
class Requests:
    """The workflow for one principal inside one transaction."""

    session: Session
    settings: Settings
    clock: Clock
    principal: Principal
    source_ip: str | None = None

    # ---- intake ----------------------------------------------------------------------
    def submit(self, data: RequestInput) -> AccessRequest:
        self._require(Permission.REQUEST_CREATE)
        self._validate(data)
        cameras = self._cameras(data.items)
        handler, department_id = self._route(data, cameras)
        now = self.clock.now()
        request = AccessRequest(
            requester_kind=data.requester_kind, requester_org=data.requester_org.strip(),
            requester_name=data.requester_name.strip(),
            requester_contact=data.requester_contact.strip(),
            requester_rank=data.requester_rank.strip()[:64], kind=data.kind,
            legal_basis=data.legal_basis, purpose=data.purpose.strip(),
            letter_no=(data.letter_no or "").strip() or None,
            crime_type=(data.crime_type or "").strip() or None, handler=handler,
            department_id=department_id, state=RequestState.SUBMITTED, version=1,
            created_by=self.principal.person_id, created_at=now,
            items=[AccessRequestItem(camera_id=cameras[i.camera_code.strip()].id,
                                     start_at=i.start_at, end_at=i.end_at)
                   for i in data.items],
        )  # fmt: skip
        self.session.add(request)
        self.session.flush()
        self._audit(request, events.AccessRequestSubmitted, requester_kind=request.requester_kind,
                    requester_org=request.requester_org, kind=request.kind,
                    legal_basis=request.legal_basis, letter_no=request.letter_no,
                    handler=handler)  # fmt: skip
        return request

    def _validate(self, data: RequestInput) -> None:
        def bad(detail: str) -> InvalidInput:
            return InvalidInput("governance.error.request_invalid", detail=detail)

        for value, enum, name in ((data.requester_kind, RequesterKind, "requester_kind"),
                                  (data.kind, RequestKind, "kind"),
                                  (data.legal_basis, LegalBasis, "legal_basis")):  # fmt: skip
            if value not in {e.value for e in enum}:
                raise bad(f"{name}: {value!r} is not one of {[e.value for e in enum]}")
        for text, name in ((data.requester_org, "requester_org"),
                           (data.requester_name, "requester_name"),
                           (data.purpose, "purpose")):  # fmt: skip
            if not text.strip() or len(text) > TEXT_MAX:
                raise bad(f"{name}: required, at most {TEXT_MAX} characters")
        if data.requester_kind in OFFICIAL_REQUESTERS and not (data.letter_no or "").strip():
            raise bad("letter_no: an agency's request needs its official letter number (공문번호)")
        if data.legal_basis == LegalBasis.INVESTIGATION and not (data.crime_type or "").strip():
            raise bad("crime_type: required for a crime investigation (ORD-28.1(3))")
        if not data.items:
            raise bad("items: at least one camera and time range")
        longest = timedelta(days=self.settings.governance.max_request_days)
        now = self.clock.now()
        for item in data.items:
            if item.end_at <= item.start_at:
                raise bad(f"{item.camera_code}: the range must end after it starts")
            if item.end_at > now:
                raise bad(f"{item.camera_code}: stored video only (live view needs no request)")
            if item.end_at - item.start_at > longest:
                raise bad(f"{item.camera_code}: at most {longest.days} days per item")

    def _cameras(self, items: tuple[ItemInput, ...]) -> dict[str, Camera]:
        codes = {i.camera_code.strip() for i in items}
        found = {
            c.code: c for c in self.session.scalars(select(Camera).where(Camera.code.in_(codes)))
        }
        missing = sorted(codes - set(found))
        if missing:
            raise InvalidInput("governance.error.camera_unknown", code=", ".join(missing))
        return found

    def _route(self, data: RequestInput, cameras: dict[str, Camera]) -> tuple[str, int | None]:
        """ORD-28.4: the owning department by default; the center for linked cameras on
        bases (3) and (5). A request over several departments' cameras on another basis
        must be split (each department decides on its own cameras)."""
        linked = all(c.status == CameraStatus.LINKED for c in cameras.values())
        if linked and data.legal_basis in CENTER_BASES:
            return "center", None
        departments = {c.department_id for c in cameras.values()}
        if len(departments) > 1:
            raise InvalidInput("governance.error.split_by_department")
        return "department", departments.pop()

    # ---- decisions -------------------------------------------------------------------
    def approve(self, request_id: int, grantees: list[str], valid_days: int | None = None,
                version: int | None = None) -> AccessGrant:  # fmt: skip
        """The mayor's approval (ORD-28.2): grant + holds."""
        self._require(Permission.REQUEST_APPROVE)
        request = self._load(request_id, version)
        people = self._people(grantees)
        self._transition(request, RequestState.SUBMITTED, RequestState.APPROVED)
        days = valid_days or self.settings.governance.grant_days
        grant, holds = self._grant(request, people, self.clock.now() + timedelta(days=days))
        self._audit(request, events.AccessRequestApproved, grant_id=grant.id,
                    grantees=[p.username for p in people], valid_until=grant.valid_until,
                    hold_ids=[h.id for h in holds])  # fmt: skip
        return grant

    def reject(self, request_id: int, reason: str, version: int | None = None) -> AccessRequest:
        self._require(Permission.REQUEST_APPROVE)
        request = self._load(request_id, version)
        reason = self._reason(reason)
        self._transition(request, RequestState.SUBMITTED, RequestState.REJECTED, reason)
        self._audit(request, events.AccessRequestRejected, reason=reason)
        return request

    def approve_emergency(self, request_id: int, grantees: list[str], valid_hours: float = 72.0,
                          version: int | None = None) -> AccessGrant:  # fmt: skip
        """ORD-28.3: the operations manager approves an urgent request (basis 5) at once,
        for the cameras of their own department only; the mayor's approval must follow."""
        self._require(Permission.REQUEST_APPROVE_EMERGENCY)
        request = self._load(request_id, version)
        if request.legal_basis != LegalBasis.EMERGENCY:
            raise InvalidInput("governance.error.not_emergency")
        for item in request.items:
            camera = self.session.get(Camera, item.camera_id)
            assert camera is not None  # foreign key
            if not self.principal.may_use_on_camera(
                Permission.REQUEST_APPROVE_EMERGENCY, camera.id, camera.department_id
            ):
                raise Forbidden("governance.error.camera_out_of_scope", code=camera.code)
        people = self._people(grantees)
        now = self.clock.now()
        due = now + timedelta(hours=self.settings.governance.emergency_followup_hours)
        self._transition(request, RequestState.SUBMITTED, RequestState.EMERGENCY_APPROVED)
        request.followup_due_at = due
        grant, holds = self._grant(request, people, now + timedelta(hours=valid_hours))
        self._audit(request, events.AccessRequestEmergencyApproved, grant_id=grant.id,
                    grantees=[p.username for p in people], valid_until=grant.valid_until,
                    followup_due_at=due, hold_ids=[h.id for h in holds])  # fmt: skip
        return grant

    def confirm_emergency(self, request_id: int, version: int | None = None) -> AccessRequest:
        self._require(Permission.REQUEST_APPROVE)
        request = self._load(request_id, version)
        self._transition(request, RequestState.EMERGENCY_APPROVED, RequestState.APPROVED)
        request.followup_due_at = None
        grant = self.session.scalar(select(AccessGrant).where(AccessGrant.request_id == request.id))
        if grant is not None:  # now an ordinary approval: it lasts as long as one
            ordinary = self.clock.now() + timedelta(days=self.settings.governance.grant_days)
            grant.valid_until = max(grant.valid_until, ordinary)
        self._audit(request, events.EmergencyApprovalConfirmed,
                    valid_until=grant.valid_until if grant else None)  # fmt: skip
        return request

    def refuse_emergency(self, request_id: int, reason: str,
                         version: int | None = None) -> AccessRequest:  # fmt: skip
        """The mayor refuses the follow-up approval: everything provided is recalled."""
        self._require(Permission.REQUEST_APPROVE)
        request = self._load(request_id, version)
        reason = self._reason(reason)
        self._transition(request, RequestState.EMERGENCY_APPROVED, RequestState.RECALLED, reason)
        self._recall(request, f"follow-up approval refused: {reason}")
        return request

    def recall_overdue(self) -> list[int]:
        """Recall every emergency approval whose follow-up approval is overdue (a job of
        the system; the principal is the system's)."""
        now = self.clock.now()
        due = self.session.scalars(
            select(AccessRequest).where(
                AccessRequest.state == RequestState.EMERGENCY_APPROVED,
                AccessRequest.followup_due_at <= now,
            )
        ).all()
        recalled = []
        for request in due:
            reason = "follow-up approval not given by the deadline (ORD-28.3)"
            self._transition(request, RequestState.EMERGENCY_APPROVED, RequestState.RECALLED,
                             reason)  # fmt: skip
            self._recall(request, reason)
            recalled.append(request.id)
        return recalled

    # ---- helpers ---------------------------------------------------------------------
    def _require(self, permission: Permission) -> None:
        if not self.principal.can(permission):
            raise Forbidden("error.forbidden", permission=permission.value)

    def _load(self, request_id: int, version: int | None) -> AccessRequest:
        request = self.session.get(AccessRequest, request_id)
        if request is None:
            raise NotFound("governance.error.request_not_found", request_id=request_id)
        if version is not None and version != request.version:
            raise Conflict("governance.error.changed", state=request.state)
        return request

    @staticmethod
    def _reason(reason: str) -> str:
        reason = reason.strip()
        if not reason or len(reason) > TEXT_MAX:
            raise InvalidInput("governance.error.reason_required")
        return reason

    def _people(self, usernames: list[str]) -> list[Person]:
        names = sorted({u.strip().lower() for u in usernames if u.strip()})
        if not names:
            raise InvalidInput("governance.error.grantees_required")
        people = list(self.session.scalars(select(Person).where(Person.username.in_(names))))
        unknown = sorted(set(names) - {p.username for p in people if p.active})
        if unknown:
            raise InvalidInput("governance.error.grantee_unknown", username=", ".join(unknown))
        return people

    def _transition(self, request: AccessRequest, expected: RequestState, new: RequestState,
                    reason: str = "") -> None:  # fmt: skip
        """Change state only if nobody changed it since we read it (one winner)."""
        now = self.clock.now()
        result = self.session.execute(
            update(AccessRequest)
            .where(
                AccessRequest.id == request.id,
                AccessRequest.state == expected,
                AccessRequest.version == request.version,
            )
            .values(
                state=new,
                version=AccessRequest.version + 1,
                decided_at=now,
                decided_by=self.principal.person_id,
                decision_reason=reason,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            self.session.refresh(request)
            raise Conflict("governance.error.changed", state=request.state)
        self.session.refresh(request)

    def _grant(self, request: AccessRequest, people: list[Person],
               valid_until: datetime) -> tuple[AccessGrant, list[LegalHold]]:  # fmt: skip
        grant = AccessGrant(request_id=request.id, state=GrantState.ACTIVE,
                            valid_until=valid_until, created_at=self.clock.now())  # fmt: skip
        self.session.add(grant)
        self.session.flush()
        self.session.add_all(AccessGrantPerson(grant_id=grant.id, person_id=p.id) for p in people)
        return grant, self._holds(request, valid_until)

    def _retention(self) -> Retention:
        return acting_retention(self.session, self.settings, self.clock, self.principal,
                                self.source_ip)  # fmt: skip

    def _holds(self, request: AccessRequest, valid_until: datetime) -> list[LegalHold]:
        """ORD-31.1(2): the requested footage is kept while the grant may need it. The
        holds are the approver's (their name on the hold and its audit entry)."""
        retention = self._retention()
        owner = (
            self.session.get(Person, self.principal.person_id) if self.principal.person_id else None
        )
        holds = []
        for item in request.items:
            camera = self.session.get(Camera, item.camera_id)
            assert camera is not None
            holds.append(retention.place_hold(HoldInput(
                camera_code=camera.code, start_at=item.start_at, end_at=item.end_at,
                ground=_hold_ground(request), reason=_hold_reason(request),
                owner_username=owner.username if owner else "",
                review_at=valid_until + timedelta(days=HOLD_REVIEW_DAYS),
                source=f"request:{request.id}",
            )))  # fmt: skip
        return holds

    def _recall(self, request: AccessRequest, reason: str) -> None:
        grant = self.session.scalar(select(AccessGrant).where(AccessGrant.request_id == request.id))
        if grant is None or grant.state == GrantState.RECALLED:
            return
        grant.state, grant.recalled_at, grant.recall_reason = (
            GrantState.RECALLED, self.clock.now(), reason)  # fmt: skip
        released = self._release_holds(request, reason)
        from gwanje.governance.exports import recall_exports  # exports use active_grant

        exports = recall_exports(self.session, self.settings, grant.id)
        from gwanje.governance.notices import notify_recall

        told = notify_recall(self.session, self.settings, self.clock, self.principal.actor,
                             request, reason, exports)  # fmt: skip
        self._audit(request, events.AccessGrantRecalled, grant_id=grant.id, reason=reason,
                    released_hold_ids=released, recalled_export_ids=exports,
                    notified_recipients=told)  # fmt: skip

    def _release_holds(self, request: AccessRequest, reason: str) -> list[int]:
        return release_request_holds(self._retention(), request.id,
                                     f"grant recalled: {reason}"[:TEXT_MAX])  # fmt: skip

    def _audit(
        self, request: AccessRequest, event_type: type[AuditEvent], **details: object
    ) -> None:
        starts = [i.start_at for i in request.items]
        ends = [i.end_at for i in request.items]
        # Each governance event type declares request_id (mypy sees only the base).
        event = event_type(  # type: ignore[call-arg]
            actor=self.principal.actor, source_ip=self.source_ip,
            camera_ids=tuple(sorted({i.camera_id for i in request.items})),
            range_start=min(starts) if starts else None, range_end=max(ends) if ends else None,
            request_id=request.id, **details,
        )  # fmt: skip
        record(self.session, event, self.clock)


def acting_retention(
    session: Session, settings: Settings, clock: Clock, principal: Principal,
    source_ip: str | None,
) -> Retention:  # fmt: skip
    """Retention acting for `principal` on a request's footage: placing and releasing the
    request's holds is part of deciding or closing it, whatever the person's own retention
    rights (the entries name the person)."""
    holder = dataclasses.replace(
        principal, permissions=principal.permissions | {Permission.LEGAL_HOLD_MANAGE},
        permission_scopes=(), department_scope=None, camera_scope=None,
    )  # fmt: skip
    return Retention(session, settings, clock, holder, source_ip)


def release_request_holds(retention: Retention, request_id: int, reason: str) -> list[int]:
    """Release the request's active holds (source `request:<id>`); returns their ids."""
    return release_holds_of(retention, f"request:{request_id}", reason)


def release_holds_of(retention: Retention, source: str, reason: str) -> list[int]:
    """Release every active hold a workflow placed under `source` (`request:<id>`,
    `subject:<id>`); returns their ids."""
    held = retention.session.scalars(select(LegalHold).where(
        LegalHold.source == source, LegalHold.released_at.is_(None)
    )).all()  # fmt: skip
    for hold in held:
        retention.release_hold(hold.id, reason)
    return [h.id for h in held]


def _hold_ground(request: AccessRequest) -> str:
    if request.legal_basis == LegalBasis.OTHER_LAW:
        return HoldGround.OTHER_LAW
    if request.legal_basis in (LegalBasis.INVESTIGATION, LegalBasis.COURT):
        return HoldGround.INVESTIGATION_MATERIAL
    return HoldGround.OTHER_LEGITIMATE


def _hold_reason(request: AccessRequest) -> str:
    letter = f" {request.letter_no}" if request.letter_no else ""
    return f"{request.requester_org}{letter}: {request.purpose}"[:500]


def active_grant(
    session: Session, person_id: int | None, camera_id: int, start: datetime, end: datetime,
    now: datetime,
) -> AccessGrant | None:  # fmt: skip
    """The grant that lets this person replay this camera over [start, end] now, if any
    (ORD-30.2): active, not expired, naming the person, with an item covering the range."""
    if person_id is None:
        return None
    query = (
        select(AccessGrant)
        .join(AccessGrantPerson, AccessGrantPerson.grant_id == AccessGrant.id)
        .join(AccessRequestItem, AccessRequestItem.request_id == AccessGrant.request_id)
        .where(
            AccessGrant.state == GrantState.ACTIVE, AccessGrant.valid_until > now,
            AccessGrantPerson.person_id == person_id, AccessRequestItem.camera_id == camera_id,
            AccessRequestItem.start_at <= start, AccessRequestItem.end_at >= end,
        )
        .order_by(AccessGrant.valid_until.desc())
        .limit(1)
    )  # fmt: skip
    return session.scalar(query)


def covering_item(
    session: Session, grant: AccessGrant, camera_id: int, start: datetime, end: datetime
) -> AccessRequestItem:
    """The item of `grant` that covers this camera over [start, end] (the window served
    video is clipped to); it exists whenever `active_grant` returned the grant."""
    item = session.scalar(select(AccessRequestItem).where(
        AccessRequestItem.request_id == grant.request_id, AccessRequestItem.camera_id == camera_id,
        AccessRequestItem.start_at <= start, AccessRequestItem.end_at >= end,
    ).limit(1))  # fmt: skip
    if item is None:
        raise LookupError(f"grant {grant.id} does not cover camera {camera_id} over the range")
    return item
