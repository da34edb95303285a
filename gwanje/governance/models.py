"""Schema of access requests and grants (ORD-28, 30.2; docs/design/governance.md).

Invariants:
- a request's state changes only through `gwanje.governance.requests` by a conditional
  UPDATE on (state, version), so two approvers deciding the same request at once cannot
  both succeed (the loser sees who decided);
- a grant belongs to exactly one approved request and covers exactly its items (cameras
  and time ranges) for the named people until `valid_until`; a recalled grant never
  becomes active again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gwanje.db.base import Base, UTCDateTime, one_of
from gwanje.governance.kinds import (
    GrantState,
    LegalBasis,
    RequesterKind,
    RequestKind,
    RequestState,
)


class AccessRequest(Base):
    """A request to view, copy or use video beyond its purpose (열람·제공 요청)."""

    __tablename__ = "access_requests"
    __table_args__ = (
        CheckConstraint(one_of("state", RequestState), name="state_known"),
        CheckConstraint(one_of("legal_basis", LegalBasis), name="basis_known"),
        CheckConstraint(one_of("kind", RequestKind), name="kind_known"),
        CheckConstraint(one_of("requester_kind", RequesterKind), name="requester_known"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requester_kind: Mapped[str] = mapped_column(String(16))
    requester_org: Mapped[str] = mapped_column(String(128))
    requester_name: Mapped[str] = mapped_column(String(64))
    requester_contact: Mapped[str] = mapped_column(String(128), default="")
    requester_rank: Mapped[str] = mapped_column(String(64), default="")  # 직위·계급 (PIPA-5)
    kind: Mapped[str] = mapped_column(String(16))
    legal_basis: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(Text)
    letter_no: Mapped[str | None] = mapped_column(String(64))  # 공문번호
    crime_type: Mapped[str | None] = mapped_column(String(64))
    # ORD-28.4: "center" (linked cameras, bases 3 and 5) or "department" (the owner).
    handler: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    state: Mapped[str] = mapped_column(String(24), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    # ORD-28.3: when the mayor's follow-up approval of an emergency approval is due.
    followup_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    items: Mapped[list[AccessRequestItem]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="AccessRequestItem.id"
    )


class AccessRequestItem(Base):
    """One camera and time range of a request."""

    __tablename__ = "access_request_items"
    __table_args__ = (CheckConstraint("end_at > start_at", name="ends_after_start"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id"), index=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id"), index=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AccessGrant(Base):
    """What an approval allows: the request's items, for the named people, until
    `valid_until` (ORD-30.2: replaying stored video only under such a grant)."""

    __tablename__ = "access_grants"
    __table_args__ = (
        UniqueConstraint("request_id"),
        CheckConstraint(one_of("state", GrantState), name="state_known"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id"))
    state: Mapped[str] = mapped_column(String(16), index=True)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recall_reason: Mapped[str] = mapped_column(Text, default="")


class AccessGrantPerson(Base):
    """A person a grant names (only they may use it)."""

    __tablename__ = "access_grant_people"
    grant_id: Mapped[int] = mapped_column(ForeignKey("access_grants.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True)


class EvidenceExport(Base):
    """An evidence package made under a grant (ORD-33: a provided copy). Recalling the
    grant deletes the package file (the download dies) and marks the row recalled."""

    __tablename__ = "evidence_exports"
    __table_args__ = (
        CheckConstraint("state IN ('ready', 'recalled')", name="state_known"),
        CheckConstraint("range_end > range_start", name="ends_after_start"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("access_grants.id"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id"), index=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id"))
    stream: Mapped[str] = mapped_column(String(8))
    range_start: Mapped[datetime] = mapped_column(UTCDateTime)
    range_end: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    package: Mapped[str] = mapped_column(String(256))  # file name under <data>/exports
    package_sha256: Mapped[str] = mapped_column(String(64))
    encrypted: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="ready")


class Provision(Base):
    """The delivery of an evidence package to its recipient (ORD-31.2, 33): to whom, how,
    when and with which receipt; the recipient's result report; the date by which the
    copy must be destroyed and the confirmation that it was."""

    __tablename__ = "provisions"
    __table_args__ = (
        UniqueConstraint("export_id"),
        CheckConstraint(
            "method IN ('in_person', 'secure_download', 'official_mail', 'media')",
            name="method_known",
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    export_id: Mapped[int] = mapped_column(ForeignKey("evidence_exports.id"))
    request_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(128))  # person and body
    method: Mapped[str] = mapped_column(String(16))
    receipt: Mapped[str] = mapped_column(Text, default="")  # receipt number / signature
    # PIPA-5 city extensions: the recipient's rank and contact, and whether they signed a
    # security pledge (보안서약서) for the copy.
    recipient_rank: Mapped[str] = mapped_column(String(64), default="")
    recipient_contact: Mapped[str] = mapped_column(String(128), default="")
    recipient_pledge: Mapped[bool] = mapped_column(Boolean, default=False)
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    destroy_by: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    result_report: Mapped[str] = mapped_column(Text, default="")  # e.g. arrest made
    arrest: Mapped[bool | None] = mapped_column(Boolean)  # 검거 여부, when the result says
    result_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    destroyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    destruction_statement: Mapped[str] = mapped_column(Text, default="")
    # When a reminder of the overdue destruction was last queued (ORD-31.2).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PlanVersion(Base):
    """One version of the protection plan (개인영상정보 보호계획) or the training plan
    (교육계획) the privacy officer sets for a year (ORD-5.2). Versions are never changed
    or deleted: a revision is a new row; the newest is the plan in force."""

    __tablename__ = "plan_versions"
    __table_args__ = (
        CheckConstraint("kind IN ('protection', 'training')", name="kind_known"),
        UniqueConstraint("kind", "year", "version"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    change_note: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RequestAttachment(Base):
    """A document attached to an access request, e.g. the PDF of the official letter
    (공문) that asks for the video (ORD-28.1). Stored content-addressed under
    `<data>/attachments/requests/<request id>/<sha256>.pdf`; never changed."""

    __tablename__ = "request_attachments"
    __table_args__ = (UniqueConstraint("request_id", "sha256"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))  # as uploaded, cleaned
    sha256: Mapped[str] = mapped_column(String(64))
    bytes: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
