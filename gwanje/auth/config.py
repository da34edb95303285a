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
