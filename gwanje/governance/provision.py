"""Provision of evidence: delivery, result report, destruction (ORD-31.2, 33).

```
export ──deliver──▶ delivered ──report_result──▶ (result known)
                        └──confirm_destroyed──▶ destroyed
```

Invariants:
- a package is delivered once (one provision per export), only while it is ready and its
  grant active; the destruction date defaults to the export's expiry and never lies
  beyond it;
- recording, reporting and confirming need `video.export` (the staff who make and hand
  over packages) and the request to be one the person exported for; every step is one
  audit entry in the same transaction;
- when every provision of a request is confirmed destroyed and each has its result
  reported, the purpose has ended: the request's legal holds are released with that
  reason (the footage falls back under the 30-day retention, ORD-31.1);
- `overdue` lists provisions past their destruction date without a confirmation, for the
  reminders (the list is the alarm; nothing is deleted on anyone's behalf).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from gwanje.audit import record
from gwanje.audit.events import AuditEvent
from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.clock import Clock
from gwanje.errors import Conflict, Forbidden, InvalidInput, NotFound
from gwanje.governance import events
from gwanje.governance.models import AccessGrant, EvidenceExport, Provision
from gwanje.governance.requests import acting_retention, release_request_holds
from gwanje.settings import Settings

METHODS = ("in_person", "secure_download", "official_mail", "media")


@dataclass(frozen=True)
class Recipient:
    """Who received a copy (PIPA-5 with the city extensions): the person and body, their
    rank and contact, and whether they signed a security pledge for it."""

    name: str
    rank: str = ""
    contact: str = ""
    pledge: bool = False


TEXT_MAX = 2000


@dataclass
class Provisions:
    session: Session
    settings: Settings
    clock: Clock
    principal: Principal
    source_ip: str | None = None

    def _require(self) -> None:
        if not self.principal.can(Permission.VIDEO_EXPORT):
            raise Forbidden("error.forbidden", permission=Permission.VIDEO_EXPORT.value)

    @staticmethod
    def _text(value: str, name: str, required: bool = True) -> str:
        value = value.strip()
        if (required and not value) or len(value) > TEXT_MAX:
            raise InvalidInput("governance.error.provision_invalid", detail=name)
        return value

    def deliver(self, export_id: int, recipient: Recipient, method: str, receipt: str,
                destroy_by: datetime | None = None) -> Provision:  # fmt: skip
        self._require()
        export = self.session.get(EvidenceExport, export_id)
        if export is None:
            raise NotFound("governance.error.export_not_found", export_id=export_id)
        grant = self.session.get(AccessGrant, export.grant_id)
        if export.state != "ready" or grant is None or grant.state != "active":
            raise Conflict("governance.error.export_unavailable", export_id=export_id)
        if self.session.scalar(select(Provision).where(Provision.export_id == export_id)):
            raise Conflict("governance.error.already_delivered", export_id=export_id)
        if method not in METHODS:
            raise InvalidInput("governance.error.provision_invalid", detail=f"method: {METHODS}")
        due = destroy_by or export.expires_at
        if due > export.expires_at or due <= self.clock.now():
            detail = "destroy_by: after now, not after the export's expiry"
            raise InvalidInput("governance.error.provision_invalid", detail=detail)
        row = Provision(
            export_id=export.id, request_id=export.request_id,
            recipient=self._text(recipient.name, "recipient"), method=method,
            recipient_rank=self._text(recipient.rank, "rank", required=False)[:64],
            recipient_contact=self._text(recipient.contact, "contact", required=False)[:128],
            recipient_pledge=recipient.pledge,
            receipt=self._text(receipt, "receipt"), delivered_at=self.clock.now(),
            delivered_by=self.principal.person_id, destroy_by=due,
        )  # fmt: skip
        self.session.add(row)
        self.session.flush()
        self._audit(export, events.ProvisionDelivered, provision_id=row.id, export_id=export.id,
                    request_id=export.request_id, recipient=row.recipient, method=method,
                    recipient_rank=row.recipient_rank, recipient_pledge=row.recipient_pledge,
                    receipt=row.receipt, destroy_by=due)  # fmt: skip
        return row

    def report_result(self, provision_id: int, result: str,
                      arrest: bool | None = None) -> Provision:  # fmt: skip
        """The recipient's report (e.g. whether an arrest resulted: `arrest`)."""
        self._require()
        row, export = self._load(provision_id)
        row.result_report = self._text(result, "result")
        row.arrest = arrest
        row.result_at = self.clock.now()
        self._audit(export, events.ProvisionResultReported, provision_id=row.id,
                    request_id=row.request_id, result=row.result_report,
                    arrest=arrest)  # fmt: skip
        self._release_if_done(row)  # each release is its own legal_hold.released entry
        return row

    def confirm_destroyed(self, provision_id: int, statement: str) -> Provision:
        self._require()
        row, export = self._load(provision_id)
        if row.destroyed_at is not None:
            raise Conflict("governance.error.already_destroyed", provision_id=provision_id)
        row.destroyed_at = self.clock.now()
        row.destruction_statement = self._text(statement, "statement")
        released = self._release_if_done(row)
        self._audit(export, events.ProvisionDestroyed, provision_id=row.id,
                    request_id=row.request_id, statement=row.destruction_statement,
                    released_hold_ids=released)  # fmt: skip
        return row

    def _load(self, provision_id: int) -> tuple[Provision, EvidenceExport]:
        row = self.session.get(Provision, provision_id)
        if row is None:
            raise NotFound("governance.error.provision_not_found", provision_id=provision_id)
        export = self.session.get(EvidenceExport, row.export_id)
        assert export is not None  # foreign key
        return row, export

    def _release_if_done(self, row: Provision) -> list[int]:
        """Release the request's holds once all its copies are destroyed and reported."""
        self.session.flush()
        rows = self.session.scalars(
            select(Provision).where(Provision.request_id == row.request_id)
        ).all()
        if not all(p.destroyed_at is not None and p.result_at is not None for p in rows):
            return []
        retention = acting_retention(self.session, self.settings, self.clock, self.principal,
                                     self.source_ip)  # fmt: skip
        reason = "purpose ended: copies destroyed, result reported"
        return release_request_holds(retention, row.request_id, reason)

    def _audit(self, export: EvidenceExport, event_type: type[AuditEvent],
               **details: object) -> None:  # fmt: skip
        event = event_type(  # type: ignore[call-arg]
            actor=self.principal.actor, source_ip=self.source_ip, camera_ids=(export.camera_id,),
            range_start=export.range_start, range_end=export.range_end, **details,
        )  # fmt: skip
        record(self.session, event, self.clock)


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    """A provided copy past its destruction date without a confirmation."""
    return Provision.destroyed_at.is_(None) & (Provision.destroy_by <= now)


def overdue(session: Session, now: datetime) -> list[Provision]:
    """Provisions past their destruction date without a confirmation (reminders)."""
    return list(session.scalars(
        select(Provision).where(overdue_clause(now)).order_by(Provision.destroy_by)
    ))  # fmt: skip


def overdue_count(session: Session, now: datetime) -> int:
    return int(session.scalar(select(func.count(Provision.id)).where(overdue_clause(now))) or 0)


def copies_of(session: Session, request_id: int) -> list[tuple[EvidenceExport, Provision | None]]:
    """Every package made for a request, each with its provision record if delivered."""
    query = (
        select(EvidenceExport, Provision)
        .outerjoin(Provision, Provision.export_id == EvidenceExport.id)
        .where(EvidenceExport.request_id == request_id)
        .order_by(EvidenceExport.id)
    )
    return [(export, provision) for export, provision in session.execute(query).all()]
