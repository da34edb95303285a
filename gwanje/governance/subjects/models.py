"""Schema of data-subject requests (ORD-29, PIPA-4; docs/design/subject-requests.md).

Invariants:
- a request's state changes only through `service.Subjects`, by a conditional UPDATE on
  (state, version): of two staff deciding at once exactly one wins;
- `due_at` is the instant the decision becomes late (the end of the 10th day after the
  day of receipt, local time); a postponement moves it and clears `overdue_alarmed_at`,
  so each due date raises at most one overdue alarm;
- a refusal always has an ORD-29.3 ground and the appeal text; a release always has the
  package id and its SHA-256;
- the verification secret is stored only as an HMAC keyed by the master secret.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gwanje.db.base import Base, UTCDateTime, one_of
from gwanje.governance.subjects.kinds import (
    Channel,
    GrantMode,
    MaskingState,
    NoticeMethod,
    RefusalGround,
    Route,
    SubjectKind,
    SubjectState,
)


class SubjectRequest(Base):
    """A data subject's request (정보주체의 열람등 청구), from receipt to closing."""

    __tablename__ = "subject_requests"
    __table_args__ = (
        CheckConstraint(one_of("kind", SubjectKind), name="kind_known"),
        CheckConstraint(one_of("state", SubjectState), name="state_known"),
        CheckConstraint(one_of("channel", Channel), name="channel_known"),
        CheckConstraint(one_of("route", Route), name="route_known"),
        CheckConstraint(one_of("grant_mode", GrantMode, True), name="mode_known"),
        CheckConstraint(one_of("refusal_ground", RefusalGround, True), name="ground_known"),
        CheckConstraint(one_of("notice_method", NoticeMethod, True), name="notice_known"),
        CheckConstraint("masking_cost_won IS NULL OR masking_cost_won >= 0", name="cost_positive"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # 접수번호, e.g. SR-2026-00012: what the subject quotes with their secret.
    receipt_no: Mapped[str] = mapped_column(String(20), unique=True)
    # HMAC-SHA256 (master secret) of the receipt number and the verification secret.
    secret_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(8))
    # The applicant (청구인): the subject, or their agent (대리인).
    applicant_name: Mapped[str] = mapped_column(String(64))
    applicant_birth: Mapped[str] = mapped_column(String(10), default="")  # as written
    applicant_contact: Mapped[str] = mapped_column(String(128))
    applicant_address: Mapped[str] = mapped_column(String(256), default="")
    agent: Mapped[bool] = mapped_column(Boolean, default=False)
    subject_name: Mapped[str] = mapped_column(String(64), default="")  # when an agent files
    vehicle_no: Mapped[str] = mapped_column(String(16), default="")  # footage of a vehicle
    purpose: Mapped[str] = mapped_column(Text)  # 청구 목적 및 사유 (ORD-29.4)
    details: Mapped[str] = mapped_column(Text, default="")  # 인상착의 etc. to find them
    state: Mapped[str] = mapped_column(String(16), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    route: Mapped[str] = mapped_column(String(16), default=Route.STANDARD)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    overdue_alarmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))  # None: public
    # Identity check (PIPA-4): documents seen, a note (never the ID number), who, when.
    identity_docs: Mapped[str] = mapped_column(String(128), default="")  # comma list
    identity_note: Mapped[str] = mapped_column(Text, default="")
    identity_verified_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    identity_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The decision (grant, postpone or refuse) and how the subject was told.
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    grant_mode: Mapped[str | None] = mapped_column(String(8))
    decision_note: Mapped[str] = mapped_column(Text, default="")  # finding / reason
    refusal_ground: Mapped[str | None] = mapped_column(String(24))
    appeal: Mapped[str] = mapped_column(Text, default="")
    notice_method: Mapped[str | None] = mapped_column(String(16))
    # The masked clip's release (the masking engine's package) and what masking cost.
    released_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    release_package: Mapped[str | None] = mapped_column(String(128))
    release_sha256: Mapped[str | None] = mapped_column(String(64))
    masking_cost_won: Mapped[int | None] = mapped_column(Integer)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_reason: Mapped[str] = mapped_column(Text, default="")

    places: Mapped[list[SubjectRequestPlace]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="SubjectRequestPlace.id"
    )
    items: Mapped[list[SubjectRequestItem]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="SubjectRequestItem.id"
    )


class SubjectRequestPlace(Base):
    """A place and time as the subject names them (설치장소, 기록기간)."""

    __tablename__ = "subject_request_places"
    __table_args__ = (CheckConstraint("end_at > start_at", name="ends_after_start"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("subject_requests.id"), index=True)
    place: Mapped[str] = mapped_column(String(256))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SubjectRequestItem(Base):
    """A camera and time range staff resolved the places to (what is held and shown)."""

    __tablename__ = "subject_request_items"
    __table_args__ = (CheckConstraint("end_at > start_at", name="ends_after_start"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("subject_requests.id"), index=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id"), index=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SubjectRequestStep(Base):
    """One step of a request's timeline, written with its audit entry (the audit ledger
    is the evidence; this is the page's quick index of it)."""

    __tablename__ = "subject_request_steps"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("subject_requests.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    step: Mapped[str] = mapped_column(String(24))  # the event's last name part
    actor: Mapped[str] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text, default="")


class MaskingJob(Base):
    """The masked clip of one camera item of a granted viewing (제3자 마스킹, PIPA-4): the
    clip cut from the recording, the faces found, the officer's review, the pixelated
    re-encode and its hand-over. Files live under `<data>/masking/<id>/`: `source.mp4`
    (the recording as made, only read), `plan.json` (what is masked), `masked.mp4`."""

    __tablename__ = "masking_jobs"
    __table_args__ = (CheckConstraint(one_of("state", MaskingState), name="state_known"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("subject_requests.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("subject_request_items.id"))
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id"))
    stream: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    source_sha256: Mapped[str] = mapped_column(String(64), default="")
    frames: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)  # clip duration
    auto_tracks: Mapped[int] = mapped_column(Integer, default=0)
    plan_digest: Mapped[str] = mapped_column(String(64), default="")
    output_sha256: Mapped[str] = mapped_column(String(64), default="")
    output_bytes: Mapped[int] = mapped_column(Integer, default=0)
    masked_frames: Mapped[int] = mapped_column(Integer, default=0)
    boxes: Mapped[int] = mapped_column(Integer, default=0)
    cpu_seconds: Mapped[float] = mapped_column(Float, default=0.0)  # detect + apply
    cost_won: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
