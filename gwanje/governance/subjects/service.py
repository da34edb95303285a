"""The data-subject request workflow (ORD-29, PIPA-4): one principal, one transaction.

```
received ──verify_identity──▶ verified ──grant──▶ granted ──release (viewing)──▶ released
                                 │  └──postpone──▶ postponed ──grant / refuse──▶ …
                                 └──refuse (ORD-29.3 ground)──▶ refused
any state but closed ──close──▶ closed (the request's legal holds are released)
```

Invariants:
- nothing is decided before identity is verified (PIPA-4): grant, postpone and refuse
  need `verified` (or `postponed`);
- each transition is a conditional UPDATE on (state, version): of two staff deciding at
  once exactly one wins, the other gets a Conflict naming the state it found; the change,
  its holds, its timeline step and its audit entry commit together or not at all;
- a refusal names an ORD-29.3 ground, a reason that is not "a third party is visible"
  nor "only with police present", and how to appeal (PIPA-4);
- a request touching a crime-prevention camera is routed to the privacy officer's review
  (`subject_request.review`), never refused for that alone (ORD-29.1 with PIPA);
- granting a viewing places a legal hold on each camera range (the footage must outlive
  the 30-day retention until the masked clip is released); closing releases them;
- the decision clock (`due_at`) raises one overdue alarm per due date (`alarm_overdue`).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gwanje.audit import Actor, record
from gwanje.audit.events import AuditEvent
from gwanje.auth.permissions import Permission as P
from gwanje.auth.principal import Principal
from gwanje.clock import Clock
from gwanje.errors import Conflict, Forbidden, InvalidInput, NotFound
from gwanje.governance.requests import ItemInput, acting_retention, release_holds_of
from gwanje.governance.subjects import events, rules
from gwanje.governance.subjects.config import SubjectSettings
from gwanje.governance.subjects.kinds import (
    DECIDABLE,
    UNDECIDED,
    Channel,
    GrantMode,
    IdentityDocument,
    NoticeMethod,
    Route,
    SubjectKind,
    SubjectState,
)
from gwanje.governance.subjects.models import (
    SubjectRequest,
    SubjectRequestItem,
    SubjectRequestPlace,
    SubjectRequestStep,
)
from gwanje.i18n import translate
from gwanje.people.models import Person
from gwanje.registry.models import Camera
from gwanje.registry.purposes import Purpose
from gwanje.retention.models import HoldGround, LegalHold
from gwanje.retention.service import HoldInput
from gwanje.settings import Settings

TEXT_MAX = 2000
MAX_PLACES = 5
MAX_ITEMS = 20
MAX_COST_WON = 100_000_000
SHA256 = re.compile(r"^[0-9a-f]{64}$")
PUBLIC_ACTOR = Actor(person_id=None, username="public", kind="public")


@dataclass(frozen=True)
class PlaceInput:
    """A place and time as the subject names them."""

    place: str
    start_at: datetime
    end_at: datetime


@dataclass(frozen=True)
class SubjectInput:
    kind: str
    applicant_name: str
    applicant_contact: str
    purpose: str
    places: tuple[PlaceInput, ...]
    applicant_birth: str = ""
    applicant_address: str = ""
    agent: bool = False
    subject_name: str = ""
    vehicle_no: str = ""
    details: str = ""


@dataclass(frozen=True)
class Receipt:
    """What the subject keeps: the receipt number and the secret (shown once)."""

    request_id: int
    receipt_no: str
    secret: str


@dataclass(frozen=True)
class ReleaseInput:
    """The masked clip handed over: the masking engine's package id, its SHA-256, and
    the masking cost charged to the subject (PIPA-4: the actual cost may be charged)."""

    package_id: str
    sha256: str
    masking_cost_won: int


def text(value: str, field: str, limit: int = TEXT_MAX, required: bool = True) -> str:
    """Trimmed text within `limit`; an error names the field (pages translate it)."""
    value = value.strip()
    if required and not value:
        raise InvalidInput("subjects.error.required", field=field)
    if len(value) > limit:
        raise InvalidInput("subjects.error.too_long", field=field, limit=limit)
    return value


def may_see(principal: Principal, row: SubjectRequest, cameras: dict[int, Camera]) -> bool:
    """Unscoped holders see every request; a department's officer sees requests not yet
    resolved to cameras (the intake queue) and those touching their cameras."""
    if not principal.can(P.SUBJECT_REQUEST_MANAGE):
        return False
    if principal.scope_for(P.SUBJECT_REQUEST_MANAGE) is None or not row.items:
        return True
    return any(
        principal.may_use_on_camera(P.SUBJECT_REQUEST_MANAGE, c.id, c.department_id)
        for c in (cameras[i.camera_id] for i in row.items if i.camera_id in cameras)
    )


def overdue(session: Session, now: datetime, unalarmed: bool = False) -> list[SubjectRequest]:
    """Undecided requests past their due date, most overdue first (with `unalarmed`, only
    those whose overdue alarm is not raised yet: the sweep's work, not the whole list)."""
    query = select(SubjectRequest).where(
        SubjectRequest.state.in_(UNDECIDED), SubjectRequest.due_at <= now,
    ).order_by(SubjectRequest.due_at)  # fmt: skip
    if unalarmed:
        query = query.where(SubjectRequest.overdue_alarmed_at.is_(None))
    return list(session.scalars(query))


@dataclass
class Subjects:
    """The workflow for one principal (None: an anonymous subject) in one transaction."""

    session: Session
    settings: Settings
    clock: Clock
    principal: Principal | None
    source_ip: str | None = None

    @property
    def conf(self) -> SubjectSettings:
        return self.settings.governance.subjects

    # ---- intake ----------------------------------------------------------------------
    def receive(self, data: SubjectInput) -> Receipt:
        """File a request: staff (subject_request.manage) or the public form (None)."""
        if self.principal is not None:
            self._require(P.SUBJECT_REQUEST_MANAGE)
        now, tz = self.clock.now(), self.settings.registry.timezone
        values = self._validate(data, now)
        secret = rules.new_secret()
        row = SubjectRequest(
            receipt_no=f"new-{rules.new_secret()}", secret_hash="", state=SubjectState.RECEIVED,
            version=1, route=Route.STANDARD, received_at=now,
            due_at=rules.decision_due(now, self.conf.decision_days, tz),
            channel=Channel.PUBLIC if self.principal is None else Channel.STAFF,
            created_by=self.principal.person_id if self.principal else None, **values,
        )  # fmt: skip
        self.session.add(row)
        self.session.flush()
        row.receipt_no = rules.receipt_number(row.id, now, tz)
        row.secret_hash = rules.secret_hash(self.settings.secret(), row.receipt_no, secret)
        self._audit(row, events.SubjectRequestReceived, receipt_no=row.receipt_no, kind=row.kind,
                    channel=row.channel, agent=row.agent, due_at=row.due_at)  # fmt: skip
        return Receipt(row.id, row.receipt_no, secret)

    def _validate(self, data: SubjectInput, now: datetime) -> dict[str, Any]:
        if data.kind not in {k.value for k in SubjectKind}:
            raise InvalidInput("subjects.error.kind", value=data.kind[:40])
        if not 1 <= len(data.places) <= MAX_PLACES:
            raise InvalidInput("subjects.error.places", limit=MAX_PLACES)
        places = [SubjectRequestPlace(place=text(p.place, "place", 256), start_at=p.start_at,
                                      end_at=p.end_at) for p in data.places]  # fmt: skip
        for place in places:
            self._check_range(place.start_at, place.end_at, now)
        agent = bool(data.agent)
        return {
            "kind": data.kind, "places": places, "agent": agent,
            "applicant_name": text(data.applicant_name, "applicant_name", 64),
            "applicant_contact": text(data.applicant_contact, "applicant_contact", 128),
            "applicant_birth": text(data.applicant_birth, "applicant_birth", 10, False),
            "applicant_address": text(data.applicant_address, "applicant_address", 256, False),
            "subject_name": text(data.subject_name, "subject_name", 64, agent),
            "vehicle_no": text(data.vehicle_no, "vehicle_no", 16, False),
            "purpose": text(data.purpose, "purpose"),
            "details": text(data.details, "details", TEXT_MAX, False),
        }  # fmt: skip

    def _check_range(self, start: datetime, end: datetime, now: datetime) -> None:
        if end <= start:
            raise InvalidInput("subjects.error.range")
        if end > now:
            raise InvalidInput("subjects.error.future")
        longest = timedelta(days=self.settings.governance.max_request_days)
        if end - start > longest:
            raise InvalidInput("subjects.error.range_too_long", days=longest.days)

    def lookup(self, receipt_no: str, secret: str) -> SubjectRequest:
        """The request with this receipt number, if the secret matches; the same error
        for an unknown number and a wrong secret (nothing about others leaks)."""
        receipt = receipt_no.strip().upper()[:20]
        expected = rules.secret_hash(self.settings.secret(), receipt, secret)
        query = select(SubjectRequest).where(SubjectRequest.receipt_no == receipt)
        row = self.session.scalar(query)
        if row is None or not _same(row.secret_hash, expected):
            raise NotFound("subjects.error.lookup_failed")
        return row

    # ---- staff work before the decision ----------------------------------------------
    def verify_identity(self, request_id: int, documents: list[str], note: str,
                        version: int | None = None) -> SubjectRequest:  # fmt: skip
        """PIPA-4: an ID card always; the vehicle registration when the footage is of a
        vehicle; the power of attorney when an agent files."""
        row = self._visible(request_id, version)
        docs = sorted({d.strip() for d in documents if d.strip()})
        unknown = [d for d in docs if d not in {k.value for k in IdentityDocument}]
        if unknown:
            raise InvalidInput("subjects.error.doc_unknown", value=unknown[0][:40])
        if IdentityDocument.ID_CARD not in docs:
            raise InvalidInput("subjects.error.need_id_card")
        if row.vehicle_no and IdentityDocument.VEHICLE_REGISTRATION not in docs:
            raise InvalidInput("subjects.error.need_vehicle_registration")
        if row.agent and IdentityDocument.POWER_OF_ATTORNEY not in docs:
            raise InvalidInput("subjects.error.need_power_of_attorney")
        note = text(note, "note", TEXT_MAX, False)
        self._transition(row, {SubjectState.RECEIVED}, SubjectState.VERIFIED,
                         identity_docs=",".join(docs), identity_note=note,
                         identity_verified_by=self._person_id(),
                         identity_verified_at=self.clock.now())  # fmt: skip
        self._audit(row, events.SubjectIdentityVerified, ", ".join(docs), documents=docs)
        return row

    def resolve(self, request_id: int, items: tuple[ItemInput, ...],
                version: int | None = None) -> SubjectRequest:  # fmt: skip
        """Set the cameras and ranges the subject's places and times come to (replacing
        any before). A crime-prevention camera routes the request to review."""
        row = self._visible(request_id, version)
        if not 1 <= len(items) <= MAX_ITEMS:
            raise InvalidInput("subjects.error.items", limit=MAX_ITEMS)
        now = self.clock.now()
        for item in items:
            self._check_range(item.start_at, item.end_at, now)
        cameras = self._cameras(items)
        crime = sorted({c.id for c in cameras.values() if Purpose.CRIME_PREVENTION in c.purposes})
        route = Route.REVIEW if crime else Route.STANDARD
        self._transition(row, set(UNDECIDED) & {SubjectState(row.state)}, SubjectState(row.state),
                         route=route)  # fmt: skip
        row.items = [
            SubjectRequestItem(camera_id=cameras[i.camera_code.strip()].id, start_at=i.start_at,
                               end_at=i.end_at) for i in items
        ]  # fmt: skip
        self.session.flush()
        self._audit(row, events.SubjectCamerasResolved, ", ".join(sorted(cameras)),
                    route=route, crime_prevention_camera_ids=crime)  # fmt: skip
        return row

    def _cameras(self, items: tuple[ItemInput, ...]) -> dict[str, Camera]:
        codes = {i.camera_code.strip() for i in items}
        rows = self.session.scalars(select(Camera).where(Camera.code.in_(codes)))
        found = {c.code: c for c in rows}
        missing = sorted(codes - set(found))
        if missing:
            raise InvalidInput("subjects.error.camera_unknown", code=", ".join(missing)[:200])
        principal = self._principal()
        for camera in found.values():
            if not principal.may_use_on_camera(P.SUBJECT_REQUEST_MANAGE, camera.id,
                                               camera.department_id):  # fmt: skip
                raise Forbidden("subjects.error.camera_out_of_scope", code=camera.code)
        return found

    # ---- decisions (PIPA-4: within the due date, identity first) ----------------------
    def grant(self, request_id: int, mode: str | None, note: str, notice: str,
              version: int | None = None) -> SubjectRequest:  # fmt: skip
        """Grant: a viewing (or copy) awaits its masked clip, with legal holds on the
        footage; existence, correction and deletion are answered in `note`."""
        row = self._decidable(request_id, version)
        viewing = row.kind == SubjectKind.VIEWING
        if viewing and mode not in {m.value for m in GrantMode}:
            raise InvalidInput("subjects.error.mode", value=str(mode)[:40])
        if viewing and not row.items:
            raise InvalidInput("subjects.error.no_cameras")
        note = text(note, "note", TEXT_MAX, required=not viewing)
        method, late = self._notice(notice), self.clock.now() >= row.due_at
        self._transition(row, DECIDABLE, SubjectState.GRANTED, **self._decided(),
                         grant_mode=mode if viewing else None, decision_note=note,
                         notice_method=method)  # fmt: skip
        holds = self._hold(row) if viewing else []
        self._audit(row, events.SubjectRequestGranted, note, mode=row.grant_mode, note=note,
                    notice_method=method, hold_ids=[h.id for h in holds], late=late)  # fmt: skip
        return row

    def postpone(self, request_id: int, reason: str, until: date, notice: str,
                 version: int | None = None) -> SubjectRequest:  # fmt: skip
        """Postpone once (e.g. to mask third parties) to the end of `until`, with a reason."""
        row = self._decidable(request_id, version)
        if row.state == SubjectState.POSTPONED:
            raise InvalidInput("subjects.error.postponed_once")
        reason = text(reason, "reason")
        now, previous = self.clock.now(), row.due_at
        due = rules.end_of_day(until, self.settings.registry.timezone)
        if due <= previous or due > now + timedelta(days=self.conf.postpone_max_days + 1):
            raise InvalidInput("subjects.error.postpone_date", days=self.conf.postpone_max_days)
        method, late = self._notice(notice), now >= previous
        self._transition(row, {SubjectState.VERIFIED}, SubjectState.POSTPONED, **self._decided(),
                         due_at=due, overdue_alarmed_at=None, decision_note=reason,
                         notice_method=method)  # fmt: skip
        self._audit(row, events.SubjectRequestPostponed, reason, reason=reason, due_at=due,
                    previous_due_at=previous, notice_method=method, late=late)  # fmt: skip
        return row

    def refuse(self, request_id: int, ground: str, reason: str, appeal: str, notice: str,
               version: int | None = None) -> SubjectRequest:  # fmt: skip
        """ORD-29.3: refuse only on ground (1)-(4), with the reason and how to appeal."""
        row = self._decidable(request_id, version)
        code = rules.refusal_ground(ground, row.kind)
        reason = text(reason, "reason")
        rules.screen_refusal_reason(reason)
        appeal = text(appeal or self.conf.appeal_text, "appeal")
        method, late = self._notice(notice), self.clock.now() >= row.due_at
        self._transition(row, DECIDABLE, SubjectState.REFUSED, **self._decided(),
                         refusal_ground=code, decision_note=reason, appeal=appeal,
                         notice_method=method)  # fmt: skip
        self._audit(row, events.SubjectRequestRefused, reason, ground=code, reason=reason,
                    notice_method=method, late=late)  # fmt: skip
        return row

    # ---- after the decision ----------------------------------------------------------
    def release(self, request_id: int, data: ReleaseInput,
                version: int | None = None) -> SubjectRequest:  # fmt: skip
        """The masked clip of a granted viewing is handed over (wired by the masking
        engine): its package id, SHA-256 and the masking cost."""
        row = self._load(request_id, version)
        self._require_decider(row)
        if row.kind != SubjectKind.VIEWING:
            raise InvalidInput("subjects.error.not_viewing")
        package = text(data.package_id, "package_id", 128)
        digest = data.sha256.strip().lower()
        if not SHA256.match(digest):
            raise InvalidInput("subjects.error.sha256")
        cost = data.masking_cost_won
        if isinstance(cost, bool) or not isinstance(cost, int) or not 0 <= cost <= MAX_COST_WON:
            raise InvalidInput("subjects.error.cost")
        self._transition(row, {SubjectState.GRANTED}, SubjectState.RELEASED,
                         released_by=self._person_id(), released_at=self.clock.now(),
                         release_package=package, release_sha256=digest,
                         masking_cost_won=cost)  # fmt: skip
        self._audit(row, events.SubjectClipReleased, package, package_id=package, sha256=digest,
                    masking_cost_won=cost)  # fmt: skip
        return row

    def granted_viewing(self, request_id: int) -> SubjectRequest:
        """A granted viewing this principal may decide: what a masking job works on."""
        row = self._visible(request_id, None)
        self._require_decider(row)
        if row.kind != SubjectKind.VIEWING:
            raise InvalidInput("subjects.error.not_viewing")
        if row.state != SubjectState.GRANTED:
            raise _changed(row)
        return row

    def visible_request(self, request_id: int) -> SubjectRequest:
        """A request this principal may see (else NotFound: existence is not disclosed)."""
        return self._visible(request_id, None)

    def granted_or_released(self, request_id: int) -> SubjectRequest:
        """A viewing whose masked clip may be handed over or shown again."""
        row = self._visible(request_id, None)
        self._require_decider(row)
        if row.state not in (SubjectState.GRANTED, SubjectState.RELEASED):
            raise _changed(row)
        return row

    def audit(self, row: SubjectRequest, event_type: type[AuditEvent], summary: str = "",
              **details: object) -> None:  # fmt: skip
        """One audit entry and timeline step about the request (used by masking)."""
        self._audit(row, event_type, summary, **details)

    def close(self, request_id: int, reason: str, version: int | None = None) -> SubjectRequest:
        """Close (done, withdrawn, identity never shown …); the request's holds are released."""
        row = self._load(request_id, version)
        self._require_decider(row)
        reason, previous = text(reason, "reason"), row.state
        self._transition(row, set(SubjectState) - {SubjectState.CLOSED}, SubjectState.CLOSED,
                         closed_by=self._person_id(), closed_at=self.clock.now(),
                         close_reason=reason)  # fmt: skip
        released = self._release_holds(row, reason)
        self._audit(row, events.SubjectRequestClosed, reason, reason=reason,
                    previous_state=previous, released_hold_ids=released)  # fmt: skip
        return row

    def alarm_overdue(self) -> list[int]:
        """Raise the overdue alarm (one audit entry) for each undecided request past its
        due date that has not had one for that date; returns their ids."""
        now, raised = self.clock.now(), []
        for row in overdue(self.session, now, unalarmed=True):
            once = update(SubjectRequest).where(
                SubjectRequest.id == row.id, SubjectRequest.overdue_alarmed_at.is_(None),
                SubjectRequest.due_at == row.due_at,
            ).values(overdue_alarmed_at=now)  # fmt: skip
            result = self.session.execute(once.execution_options(synchronize_session=False))
            if result.rowcount == 1:  # type: ignore[attr-defined]
                self._audit(row, events.SubjectRequestOverdue, "", receipt_no=row.receipt_no,
                            state=row.state, due_at=row.due_at)  # fmt: skip
                raised.append(row.id)
        return raised

    def issue_document(self, request_id: int, document: str) -> SubjectRequest:
        """Record that form 1 or the result notice was printed (PIPA-3: print)."""
        row = self._visible(request_id, None)
        self._audit(row, events.SubjectDocumentIssued, document, document=document)
        return row

    # ---- helpers ---------------------------------------------------------------------
    def _principal(self) -> Principal:
        if self.principal is None:
            raise Forbidden("error.forbidden", permission=P.SUBJECT_REQUEST_MANAGE.value)
        return self.principal

    def _person_id(self) -> int | None:
        return self.principal.person_id if self.principal else None

    def _require(self, permission: P) -> None:
        if not self._principal().can(permission):
            raise Forbidden("error.forbidden", permission=permission.value)

    def _load(self, request_id: int, version: int | None) -> SubjectRequest:
        self._require(P.SUBJECT_REQUEST_MANAGE)
        row = self.session.get(SubjectRequest, request_id)
        if row is None:
            raise NotFound("subjects.error.not_found", request_id=request_id)
        if version is not None and version != row.version:
            raise _changed(row)
        return row

    def _visible(self, request_id: int, version: int | None) -> SubjectRequest:
        row = self._load(request_id, version)
        ids = [i.camera_id for i in row.items]
        cameras = {c.id: c for c in self.session.scalars(select(Camera).where(Camera.id.in_(ids)))}
        if not may_see(self._principal(), row, cameras):
            raise NotFound("subjects.error.not_found", request_id=request_id)
        return row

    def _require_decider(self, row: SubjectRequest) -> None:
        """Review requests are the privacy officer's; a department's officer decides
        only requests whose every camera is theirs."""
        principal = self._principal()
        if row.route == Route.REVIEW and not principal.can(P.SUBJECT_REQUEST_REVIEW):
            raise Forbidden("subjects.error.review_only")
        if principal.scope_for(P.SUBJECT_REQUEST_MANAGE) is None:
            return
        if not row.items:
            raise Forbidden("subjects.error.cameras_first")
        for item in row.items:
            camera = self.session.get(Camera, item.camera_id)
            assert camera is not None  # foreign key
            if not principal.may_use_on_camera(P.SUBJECT_REQUEST_MANAGE, camera.id,
                                               camera.department_id):  # fmt: skip
                raise Forbidden("subjects.error.camera_out_of_scope", code=camera.code)

    def _decidable(self, request_id: int, version: int | None) -> SubjectRequest:
        row = self._load(request_id, version)
        self._require_decider(row)
        if row.state == SubjectState.RECEIVED:  # PIPA-4: identity first
            raise InvalidInput("subjects.error.identity_required")
        return row

    def _decided(self) -> dict[str, Any]:
        return {"decided_by": self._person_id(), "decided_at": self.clock.now()}

    @staticmethod
    def _notice(value: str) -> str:
        value = (value or NoticeMethod.STATUS_PAGE).strip()
        if value not in {m.value for m in NoticeMethod}:
            raise InvalidInput("subjects.error.notice", value=value[:40])
        return value

    def _transition(self, row: SubjectRequest, expected: Iterable[SubjectState],
                    new: SubjectState, **values: Any) -> None:  # fmt: skip
        """Change state only if nobody changed the request since we read it (one winner)."""
        result = self.session.execute(
            update(SubjectRequest)
            .where(SubjectRequest.id == row.id, SubjectRequest.version == row.version,
                   SubjectRequest.state.in_([s.value for s in expected]))
            .values(state=new, version=SubjectRequest.version + 1, **values)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
        if result.rowcount != 1:  # type: ignore[attr-defined]
            self.session.refresh(row)
            raise _changed(row)
        self.session.refresh(row)

    def _hold(self, row: SubjectRequest) -> list[LegalHold]:
        """Keep the granted footage past retention until the request is closed; the
        holds are the decider's (their name on each `legal_hold.placed`)."""
        principal = self._principal()
        retention = acting_retention(self.session, self.settings, self.clock, principal,
                                     self.source_ip)  # fmt: skip
        owner = self.session.get(Person, principal.person_id) if principal.person_id else None
        review = self.clock.now() + timedelta(days=self.conf.hold_review_days)
        reason = translate("subjects.hold.reason", "ko", receipt=row.receipt_no)
        holds = []
        for item in row.items:
            camera = self.session.get(Camera, item.camera_id)
            assert camera is not None  # foreign key
            holds.append(retention.place_hold(HoldInput(
                camera_code=camera.code, start_at=item.start_at, end_at=item.end_at,
                ground=HoldGround.OTHER_LEGITIMATE, reason=reason,
                owner_username=owner.username if owner else "", review_at=review,
                source=f"subject:{row.id}",
            )))  # fmt: skip
        return holds

    def _release_holds(self, row: SubjectRequest, reason: str) -> list[int]:
        retention = acting_retention(self.session, self.settings, self.clock, self._principal(),
                                     self.source_ip)  # fmt: skip
        released = translate("subjects.hold.released", "ko", receipt=row.receipt_no, reason=reason)
        return release_holds_of(retention, f"subject:{row.id}", released[:TEXT_MAX])

    def _audit(self, row: SubjectRequest, event_type: type[AuditEvent], summary: str = "",
               **details: object) -> None:  # fmt: skip
        actor = self.principal.actor if self.principal else PUBLIC_ACTOR
        starts, ends = [i.start_at for i in row.items], [i.end_at for i in row.items]
        # Each event type here declares request_id (mypy sees only the base).
        event = event_type(  # type: ignore[call-arg]
            actor=actor, source_ip=self.source_ip,
            camera_ids=tuple(sorted({i.camera_id for i in row.items})),
            range_start=min(starts) if starts else None, range_end=max(ends) if ends else None,
            request_id=row.id, **details,
        )  # fmt: skip
        record(self.session, event, self.clock)
        step = event_type.event_type.split(".", 1)[1]
        self.session.add(SubjectRequestStep(request_id=row.id, at=self.clock.now(), step=step,
                                            actor=actor.username, note=summary[:500]))  # fmt: skip


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _changed(row: SubjectRequest) -> Conflict:
    """Someone else acted first: the message names the state in the reader's language."""
    return Conflict(f"subjects.error.changed_{row.state}", state=row.state)
