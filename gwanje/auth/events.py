"""Audit events of authentication and authorisation. None carries a secret: no
password, session id, token or TOTP code ever appears in an event."""

from __future__ import annotations

from gwanje.audit.events import AuditEvent


class PermissionDenied(AuditEvent):
    """A request was refused because the principal lacks the permission or scope."""

    event_type = "auth.permission_denied"
    description = "권한 거부 / permission denied"
    permission: str
    path: str


class LoginSucceeded(AuditEvent):
    """A person logged in; `second_factor` says whether a TOTP code was verified."""

    event_type = "auth.login_ok"
    description = "로그인 성공 / login succeeded"
    second_factor: bool


class LoginFailed(AuditEvent):
    """A login was refused; `reason` is one of unknown_user, bad_password, disabled,
    locked, totp_required, bad_totp, rate_limited (never the password itself)."""

    event_type = "auth.login_failed"
    description = "로그인 실패 / login failed"
    username: str
    reason: str


class AccountLocked(AuditEvent):
    """Too many failed logins in a row locked the account until `until`."""

    event_type = "auth.locked"
    description = "계정 잠금 / account locked"
    username: str
    until: str


class LoggedOut(AuditEvent):
    """A person ended their session."""

    event_type = "auth.logout"
    description = "로그아웃 / logged out"


class CsrfRefused(AuditEvent):
    """A cookie-authenticated state-changing request came without a valid CSRF token."""

    event_type = "auth.csrf_refused"
    description = "CSRF 토큰 불일치로 거부 / refused: missing or wrong CSRF token"
    path: str
    method: str


class TotpEnrolled(AuditEvent):
    """A person confirmed a TOTP second factor."""

    event_type = "auth.totp_enrolled"
    description = "2단계 인증(TOTP) 등록 / TOTP second factor enrolled"


class PasswordSet(AuditEvent):
    """A person's password was set or changed (`person_id` is whose)."""

    event_type = "auth.password_set"
    description = "비밀번호 설정 / password set"
    person_id: int


class TokenCreated(AuditEvent):
    """An API token was created (its prefix only, never the token)."""

    event_type = "auth.token_created"
    description = "API 토큰 발급 / API token created"
    token_id: int
    person_id: int
    name: str
    prefix: str


class TokenRevoked(AuditEvent):
    """An API token was revoked."""

    event_type = "auth.token_revoked"
    description = "API 토큰 폐기 / API token revoked"
    token_id: int
    person_id: int
