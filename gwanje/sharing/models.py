"""Schema of shares, peer centers, federation messages and delegations (docs/design/sharing.md).

Invariants:
- a share's bearer token is stored only as its SHA-256 (`token_hash`); the token is shown
  once when the share is made; a peer's shared secret is stored AES-GCM encrypted with a
  key derived from the master secret (never in clear, never logged);
- a share changes state only by a conditional UPDATE (revoked_at IS NULL), so revocation
  is final and two revocations do not both win;
- a federation nonce is unique per peer (replay protection), an inbound event unique per
  (peer, event id) (a retried push is stored once);
- a delegated camera has at most one delegation (its primary key is the camera).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gwanje.db.base import Base, UTCDateTime


class Share(Base):
    """A time-limited live-view share of chosen cameras for one agency (영상 공유)."""

    __tablename__ = "shares"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Recipient agency as people read it, e.g. "여수경찰서 112상황실".
    agency: Mapped[str] = mapped_column(String(128))
    # Recipient agency code burned into the picture (ASCII, e.g. "YS-POLICE").
    agency_code: Mapped[str] = mapped_column(String(32))
    # Named Gwanje users (usernames, comma separated) or a system account's name.
    recipients: Mapped[str] = mapped_column(Text)
    # "users" (named people) or "system" (an agency's system account).
    recipient_kind: Mapped[str] = mapped_column(String(8))
    # Legal basis and purpose (ORD-14.2, 17): why the video is shared; required.
    legal_basis: Mapped[str] = mapped_column(Text)
    # The purpose the video is used for (ORD-7 code); delegated cameras must allow it.
    purpose: Mapped[str] = mapped_column(String(32))
    # The watermark's first line (the recipient), ASCII.
    watermark: Mapped[str] = mapped_column(String(64))
    # SHA-256 hex of the bearer token; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # First characters of the token, to tell shares apart in lists.
    token_prefix: Mapped[str] = mapped_column(String(12))
    # The share is usable from starts_at until expires_at (UTC).
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Who made it, when.
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Revocation: final; open streams close within `revocation_check_s`.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    revoke_reason: Mapped[str] = mapped_column(Text, default="")
    # The peer center this share answers (a federation share request), if any.
    peer_id: Mapped[int | None] = mapped_column(ForeignKey("peers.id"))

    cameras: Mapped[list[ShareCamera]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ShareCamera.camera_id"
    )

    @property
    def camera_ids(self) -> tuple[int, ...]:
        return tuple(c.camera_id for c in self.cameras)

    def recipient_names(self) -> list[str]:
        return [n.strip() for n in self.recipients.split(",") if n.strip()]


class ShareCamera(Base):
    """A camera a share covers."""

    __tablename__ = "share_cameras"
    share_id: Mapped[int] = mapped_column(ForeignKey("shares.id"), primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id"), primary_key=True)


class Peer(Base):
    """Another monitoring center linked to this one (ORD-14.2, 21)."""

    __tablename__ = "peers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The peer's center name: what it sends in X-Gwanje-Peer and we send it ours.
    name: Mapped[str] = mapped_column(String(32), unique=True)
    # Display name, e.g. "순천시 통합관제센터".
    display_name: Mapped[str] = mapped_column(String(128))
    # Base URL of the peer's Gwanje (https in production).
    base_url: Mapped[str] = mapped_column(String(256))
    # The shared HMAC secret, AES-GCM encrypted (registry CredentialCipher, field "peer").
    secret_enc: Mapped[str] = mapped_column(Text)
    # The agreement: document number and what it covers, free text.
    agreement: Mapped[str] = mapped_column(Text, default="")
    # Whether incident events are pushed to this peer.
    push_events: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The peer's camera list as last fetched (JSON), and when.
    remote_cameras: Mapped[str] = mapped_column(Text, default="[]")
    remote_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    cameras: Mapped[list[PeerCamera]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="PeerCamera.camera_id"
    )


class PeerCamera(Base):
    """A camera of ours the agreement with a peer covers (the peer sees only these)."""

    __tablename__ = "peer_cameras"
    peer_id: Mapped[int] = mapped_column(ForeignKey("peers.id"), primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id"), primary_key=True)


class FederationNonce(Base):
    """A nonce a peer has used (replay protection; pruned after the tolerance)."""

    __tablename__ = "federation_nonces"
    __table_args__ = (UniqueConstraint("peer_id", "nonce"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    peer_id: Mapped[int] = mapped_column(ForeignKey("peers.id"))
    nonce: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class FederationOutbox(Base):
    """An event to push to a peer, retried with backoff until accepted or failed."""

    __tablename__ = "federation_outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    peer_id: Mapped[int] = mapped_column(ForeignKey("peers.id"), index=True)
    # Event kind, e.g. incident.opened, incident.closed.
    kind: Mapped[str] = mapped_column(String(32))
    # The event as sent (JSON), frozen when queued.
    payload: Mapped[str] = mapped_column(Text)
    # pending | sent | failed
    state: Mapped[str] = mapped_column(String(8), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")


class PeerEvent(Base):
    """An event a peer pushed to us (stored once per peer and event id)."""

    __tablename__ = "peer_events"
    __table_args__ = (UniqueConstraint("peer_id", "event_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    peer_id: Mapped[int] = mapped_column(ForeignKey("peers.id"), index=True)
    # The peer's id of the event (its outbox id).
    event_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ShareRequest(Base):
    """A peer's request for a live share of some of our cameras; a person decides."""

    __tablename__ = "share_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    peer_id: Mapped[int] = mapped_column(ForeignKey("peers.id"), index=True)
    # Camera codes asked for (JSON list), the purpose code and the peer's reason.
    camera_codes: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    # Who at the peer asks (name, free text) and how long they want it.
    requester: Mapped[str] = mapped_column(String(128))
    hours: Mapped[float] = mapped_column(default=1.0)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # pending | approved | refused
    state: Mapped[str] = mapped_column(String(8), index=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    share_id: Mapped[int | None] = mapped_column(ForeignKey("shares.id"))
    # The share token, AES-GCM encrypted, until the peer has collected it once; then "".
    token_enc: Mapped[str] = mapped_column(Text, default="")


class Delegation(Base):
    """Terms under which the center operates another agency's cameras (ORD-24, 위탁)."""

    __tablename__ = "delegations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The delegating agency, e.g. "여수해양경찰서".
    agency: Mapped[str] = mapped_column(String(128))
    # The delegation document's number (협약서/위탁 문서 번호).
    document_no: Mapped[str] = mapped_column(String(64))
    # What is delegated (monitoring only, PTZ, ...), free text.
    scope: Mapped[str] = mapped_column(Text)
    # Valid from .. to (Korea dates, inclusive).
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # Purposes the center may use these cameras for (ORD-7 codes, comma separated).
    purposes: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def purpose_list(self) -> list[str]:
        return [p for p in self.purposes.split(",") if p]


class DelegatedCamera(Base):
    """A registry camera operated under a delegation (one delegation per camera)."""

    __tablename__ = "delegated_cameras"
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id"), primary_key=True)
    delegation_id: Mapped[int] = mapped_column(ForeignKey("delegations.id"), index=True)
