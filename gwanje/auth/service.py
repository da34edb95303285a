"""Authentication: passwords (argon2id), login with lockout, server-side sessions,
CSRF tokens, TOTP second factor and API tokens.

Invariants:
- secrets never leave this module in the clear except once to their owner: the session
  id goes into the cookie, a new API token is shown once, a TOTP secret is shown at
  enrolment; the database holds only hashes or ciphertext;
- a failed login is audited with a reason, never with the password; after
  `lockout_failures` failures in a row the account is locked for `lockout_minutes`
  (checked before the password, so a locked account reveals nothing);
- a session idles out `session_minutes` after its last request; ended or idle sessions
  never authenticate again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from threading import Lock

import pyotp
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy.orm import Session

from gwanje.audit import Outcome, record
from gwanje.audit.events import Actor
from gwanje.auth import events
from gwanje.auth.config import AuthSettings
from gwanje.auth.models import ApiToken, Credential, LoginSession
from gwanje.clock import Clock
from gwanje.errors import Conflict, InvalidInput, NotFound
from gwanje.people.models import Person
from gwanje.people.service import Who, get_person, person_by_username

HASHER = PasswordHasher(type=Type.ID)  # argon2id with argon2-cffi's RFC 9106 defaults
TOKEN_PREFIX = "gwj_"  # noqa: S105 - a public marker, not a secret
TOTP_ISSUER = "Gwanje"


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- passwords -------------------------------------------------------------------


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return HASHER.hash(secrets.token_hex(16))


def check_password_policy(password: str, username: str, settings: AuthSettings) -> None:
    """Refuse weak passwords with a clear reason (length first)."""
    if len(password) < settings.password_min_length:
        raise InvalidInput("auth.error.password_short", length=settings.password_min_length)
    if len(set(password)) < 4 or username.lower() in password.lower():
        raise InvalidInput("auth.error.password_weak")


def set_password(
    session: Session, clock: Clock, who: Who, settings: AuthSettings, person_id: int, password: str
) -> None:
    person = get_person(session, person_id)
    check_password_policy(password, person.username, settings)
    credential = session.get(Credential, person.id)
    if credential is None:
        credential = Credential(person_id=person.id, failed_logins=0)
        session.add(credential)
    credential.password_hash = hash_password(password)
    credential.password_changed_at = clock.now()
    credential.failed_logins = 0
    credential.locked_until = None
    session.flush()
    record(
        session,
        events.PasswordSet(actor=who.actor, source_ip=who.source_ip, person_id=person.id),
        clock,
    )


# --- per-IP rate limit -------------------------------------------------------------


class IpLimiter:
    """Failed logins per client address in a sliding window (in process memory: a
    restart forgets it, which only ever loosens the limit; account lockout is kept in
    the database)."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = Lock()

    def _prune(self, ip: str, now: datetime, window: timedelta) -> deque[datetime]:
        times = self._failures.setdefault(ip, deque())
        while times and times[0] <= now - window:
            times.popleft()
        return times

    def blocked(self, ip: str | None, now: datetime, settings: AuthSettings) -> bool:
        if ip is None:
            return False
        with self._lock:
            times = self._prune(ip, now, timedelta(minutes=settings.ip_window_minutes))
            return len(times) >= settings.ip_login_attempts

    def failed(self, ip: str | None, now: datetime) -> None:
        if ip is not None:
            with self._lock:
                self._failures.setdefault(ip, deque()).append(now)


# --- login -------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    """Outcome of a login attempt: the person on success, else the reason (i18n key
    suffix, also the audit reason)."""

    person: Person | None
    reason: str | None = None
    second_factor: bool = False


def record_failed_login(
    session: Session,
    clock: Clock,
    username: str,
    reason: str,
    ip: str | None,
    person: Person | None = None,
) -> LoginResult:
    actor = Actor(
        person_id=person.id if person else None,
        username=(person.username if person else username)[:128] or "?",
        kind="person" if person else "public",
    )
    record(
        session,
        events.LoginFailed(
            actor=actor, source_ip=ip, outcome=Outcome.DENIED, username=username[:64], reason=reason
        ),
        clock,
    )
    return LoginResult(None, reason)


def _register_failure(
    session: Session, clock: Clock, settings: AuthSettings, person: Person, credential: Credential
) -> None:
    credential.failed_logins += 1
    if credential.failed_logins >= settings.lockout_failures:
        until = clock.now() + timedelta(minutes=settings.lockout_minutes)
        credential.locked_until = until
        credential.failed_logins = 0
        record(
            session,
            events.AccountLocked(
                actor=Actor(person_id=person.id, username=person.username),
                outcome=Outcome.DENIED,
                username=person.username,
                until=until.isoformat(),
            ),
            clock,
        )


def login(
    session: Session,
    clock: Clock,
    settings: AuthSettings,
    secret: bytes,
    username: str,
    password: str,
    totp_code: str | None,
    ip: str | None,
) -> LoginResult:
    """Check a login attempt; audits the outcome either way."""
    name = username.strip().lower()
    person = person_by_username(session, name) if name else None
    credential = session.get(Credential, person.id) if person else None
    if person is None or credential is None:
        verify_password(_dummy_hash(), password)  # same work as a real check
        return record_failed_login(session, clock, name, "unknown_user", ip)
    now = clock.now()
    if credential.locked_until is not None and credential.locked_until > now:
        return record_failed_login(session, clock, name, "locked", ip, person)
    if not verify_password(credential.password_hash, password):
        _register_failure(session, clock, settings, person, credential)
        return record_failed_login(session, clock, name, "bad_password", ip, person)
    if not person.active:
        return record_failed_login(session, clock, name, "disabled", ip, person)
    second_factor = False
    if credential.totp_enabled_at is not None:
        if not totp_code:
            return record_failed_login(session, clock, name, "totp_required", ip, person)
        if not verify_totp(credential, secret, totp_code, now):
            _register_failure(session, clock, settings, person, credential)
            return record_failed_login(session, clock, name, "bad_totp", ip, person)
        second_factor = True
    credential.failed_logins = 0
    credential.locked_until = None
    record(
        session,
        events.LoginSucceeded(
            actor=Actor(person_id=person.id, username=person.username),
            source_ip=ip,
            second_factor=second_factor,
        ),
        clock,
    )
    return LoginResult(person, None, second_factor)


# --- sessions ------------------------------------------------------------------------


def create_session(
    session: Session,
    clock: Clock,
    settings: AuthSettings,
    person_id: int,
    ip: str | None,
    user_agent: str | None,
    second_factor: bool,
) -> str:
    """Start a session; returns the random id for the cookie (stored only hashed)."""
    raw = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        LoginSession(
            token_hash=sha256_hex(raw),
            person_id=person_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(minutes=settings.session_minutes),
            ip=ip,
            user_agent=(user_agent or "")[:256] or None,
            second_factor=second_factor,
        )
    )
    session.flush()
    return raw


def find_session(
    session: Session, clock: Clock, settings: AuthSettings, raw: str
) -> LoginSession | None:
    """The live session for a cookie value, touched; None if unknown, ended or idle."""
    row = session.scalar(select(LoginSession).where(LoginSession.token_hash == sha256_hex(raw)))
    if row is None or row.ended_at is not None:
        return None
    now = clock.now()
    if row.expires_at <= now:
        row.ended_at = now
        row.end_reason = "expired"
        return None
    # Touch at most once a minute: fewer writes, idle expiry still exact to the minute.
    if now - row.last_seen_at >= timedelta(minutes=1):
        row.last_seen_at = now
        row.expires_at = now + timedelta(minutes=settings.session_minutes)
    return row


def end_session(session: Session, clock: Clock, raw: str, reason: str = "logout") -> bool:
    row = session.scalar(select(LoginSession).where(LoginSession.token_hash == sha256_hex(raw)))
    if row is None or row.ended_at is not None:
        return False
    row.ended_at = clock.now()
    row.end_reason = reason
    return True


def csrf_token_for(secret: bytes, raw_session: str) -> str:
    """The CSRF token of a session: an HMAC of its id (nothing extra to store)."""
    return hmac.new(secret, b"csrf:" + raw_session.encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, raw_session: str, offered: str | None) -> bool:
    return offered is not None and hmac.compare_digest(csrf_token_for(secret, raw_session), offered)


# --- TOTP ----------------------------------------------------------------------------


def _fernet(secret: bytes) -> Fernet:
    key = hashlib.sha256(b"gwanje-totp:" + secret).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _totp_secret(credential: Credential, secret: bytes) -> str | None:
    if credential.totp_secret_enc is None:
        return None
    try:
        return _fernet(secret).decrypt(credential.totp_secret_enc.encode()).decode()
    except InvalidToken:
        return None


def verify_totp(credential: Credential, secret: bytes, code: str, now: datetime) -> bool:
    """Accept a code of the previous, current or next 30 s step, each step only once."""
    base32 = _totp_secret(credential, secret)
    code = code.strip().replace(" ", "")
    if base32 is None or not code.isdigit():
        return False
    totp = pyotp.TOTP(base32)
    for offset in (-1, 0, 1):
        moment = now + timedelta(seconds=30 * offset)
        step = totp.timecode(moment)
        if hmac.compare_digest(totp.at(moment), code):
            if credential.totp_last_step is not None and step <= credential.totp_last_step:
                return False  # replayed
            credential.totp_last_step = step
            return True
    return False


def start_totp(session: Session, secret: bytes, person_id: int) -> str:
    """Begin (or restart) enrolment: a new secret, pending until confirmed."""
    credential = session.get(Credential, person_id)
    if credential is None:
        raise NotFound("auth.error.no_credential")
    if credential.totp_enabled_at is not None:
        raise Conflict("auth.error.totp_already")
    base32 = pyotp.random_base32()
    credential.totp_secret_enc = _fernet(secret).encrypt(base32.encode()).decode()
    credential.totp_last_step = None
    return base32


def totp_uri(base32: str, username: str) -> str:
    return pyotp.TOTP(base32).provisioning_uri(name=username, issuer_name=TOTP_ISSUER)


def confirm_totp(
    session: Session, clock: Clock, secret: bytes, who: Who, person_id: int, code: str
) -> None:
    credential = session.get(Credential, person_id)
    if credential is None or credential.totp_secret_enc is None:
        raise InvalidInput("auth.error.totp_not_started")
    if credential.totp_enabled_at is not None:
        raise Conflict("auth.error.totp_already")
    if not verify_totp(credential, secret, code, clock.now()):
        raise InvalidInput("auth.error.bad_totp")
    credential.totp_enabled_at = clock.now()
    record(session, events.TotpEnrolled(actor=who.actor, source_ip=who.source_ip), clock)


def pending_totp_secret(session: Session, secret: bytes, person_id: int) -> str | None:
    credential = session.get(Credential, person_id)
    if credential is None or credential.totp_enabled_at is not None:
        return None
    return _totp_secret(credential, secret)


# --- API tokens ----------------------------------------------------------------------


def create_token(
    session: Session, clock: Clock, who: Who, person_id: int, name: str
) -> tuple[ApiToken, str]:
    """A new token for `person_id`; the raw value is returned once and never stored."""
    person = get_person(session, person_id)
    name = name.strip()
    if not name or len(name) > 64:
        raise InvalidInput("auth.error.token_name")
    if not person.active:
        raise InvalidInput("people.error.person_disabled")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        person_id=person.id,
        name=name,
        token_hash=sha256_hex(raw),
        prefix=raw[:12],
        created_at=clock.now(),
        created_by=who.person_id,
    )
    session.add(token)
    session.flush()
    record(
        session,
        events.TokenCreated(
            actor=who.actor,
            source_ip=who.source_ip,
            token_id=token.id,
            person_id=person.id,
            name=name,
            prefix=token.prefix,
        ),
        clock,
    )
    return token, raw


def find_token(session: Session, clock: Clock, raw: str) -> ApiToken | None:
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == sha256_hex(raw)))
    if token is None or token.revoked_at is not None:
        return None
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at >= timedelta(minutes=1):
        token.last_used_at = now
    return token


def revoke_token(session: Session, clock: Clock, who: Who, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("auth.error.no_token", token_id=token_id)
    if token.revoked_at is not None:
        raise Conflict("auth.error.token_revoked")
    token.revoked_at = clock.now()
    record(
        session,
        events.TokenRevoked(
            actor=who.actor, source_ip=who.source_ip, token_id=token.id, person_id=token.person_id
        ),
        clock,
    )
    return token
