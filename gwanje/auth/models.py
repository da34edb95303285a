"""Schema of authentication: password credentials, login sessions and API tokens.

Invariants:
- no secret is stored in the clear: passwords as argon2id hashes, session ids and API
  tokens as SHA-256 of a 256-bit random value (a stolen database gives no usable
  session), TOTP secrets encrypted with a key derived from the master secret;
- sessions and tokens are never deleted, only ended (`ended_at`, `revoked_at`), so the
  audit trail can name them; a disabled person's are all ended in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gwanje.db.base import Base, UTCDateTime


class Credential(Base):
    """A person's password and second factor."""

    __tablename__ = "credentials"

    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    # argon2id PHC string ($argon2id$v=19$...).
    password_hash: Mapped[str] = mapped_column(String(255))
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Failed logins in a row since the last success; reset on success or unlock.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    # Locked until this time after too many failures (AuthSettings.lockout_*).
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Fernet ciphertext of the base32 TOTP secret (pending or enrolled).
    totp_secret_enc: Mapped[str | None] = mapped_column(Text)
    # When enrolment was confirmed with a valid code; NULL = not enrolled.
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Last accepted TOTP time step, so a code cannot be replayed.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)


class LoginSession(Base):
    """A server-side login session; the cookie holds only the random id."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # SHA-256 hex of the random session id in the cookie.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Last request seen; the session idles out session_minutes after it.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # last_seen_at + session_minutes, kept for queries and display.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(256))
    # True when the login (or a later enrolment) verified a TOTP code.
    second_factor: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set at logout, expiry noticed, disabling or password change.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # logout / expired / disabled.
    end_reason: Mapped[str | None] = mapped_column(String(16))


class ApiToken(Base):
    """A bearer token for an integration, acting with its owner's current principal."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    # What it is for, e.g. "VMS bridge".
    name: Mapped[str] = mapped_column(String(64))
    # SHA-256 hex of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # First characters of the token, to tell tokens apart in lists.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(Integer)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
