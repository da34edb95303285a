"""Authentication settings (section `auth` of the settings tree)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AuthSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_minutes: int = Field(
        480, ge=5, le=1440, description="Idle lifetime of a login session, in minutes."
    )
    lockout_failures: int = Field(
        5, ge=1, le=100, description="Failed logins in a row that lock an account."
    )
    lockout_minutes: int = Field(
        15, ge=1, le=1440, description="How long a locked account stays locked, in minutes."
    )
    require_totp_for_video: bool = Field(
        True,
        description="Roles that can see video must log in with a TOTP second factor "
        "(forced off only in demo mode so the printed demo accounts can log in).",
    )
    cookie_secure: bool = Field(
        False, description="Set the Secure flag on cookies (turn on behind HTTPS)."
    )
    password_min_length: int = Field(
        10, ge=10, le=128, description="Shortest password accepted (never below 10)."
    )
    training_valid_days: int = Field(
        365,
        ge=1,
        le=3650,
        description="How long a security training stays valid (ORD-14.4, ORD-25).",
    )
    pledge_valid_days: int | None = Field(
        None,
        ge=1,
        le=3650,
        description="How long a security pledge stays valid; empty: until replaced.",
    )
    ip_login_attempts: int = Field(
        30,
        ge=1,
        le=10000,
        description="Failed logins from one IP address within ip_window_minutes before "
        "further attempts from it are refused.",
    )
    ip_window_minutes: int = Field(
        15, ge=1, le=1440, description="Window of the per-IP login rate limit, in minutes."
    )


def effective_auth(settings: object) -> AuthSettings:
    """The auth settings in force. Demo mode alone turns the TOTP requirement off, so
    the printed demo accounts can log in; production and test keep what is configured."""
    auth: AuthSettings = settings.auth  # type: ignore[attr-defined]
    if str(getattr(settings, "mode", "")) == "demo" and auth.require_totp_for_video:
        return auth.model_copy(update={"require_totp_for_video": False})
    return auth
