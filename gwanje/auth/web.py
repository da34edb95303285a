"""HTTP routes of the auth subsystem: login, logout, the own account page (roles,
access gates, TOTP enrolment, API tokens), and their /api/ JSON twins.

Invariants: the login page never says which of username or password was wrong (only
lockout, rate limit and the TOTP step are named, since those need a different action);
the session cookie is HttpOnly, SameSite=Lax and Secure per settings; a new API token
is shown exactly once.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from gwanje.auth import service
from gwanje.auth.config import effective_auth
from gwanje.auth.middleware import COOKIE, session_cookie
from gwanje.auth.models import ApiToken, Credential
from gwanje.auth.principal import Principal
from gwanje.errors import Forbidden
from gwanje.people.access import has_valid_pledge, has_valid_training
from gwanje.people.service import Who, get_person
from gwanje.web.deps import Ctx, DbSession
from gwanje.web.render import render
from gwanje.web.security import authenticated, client_ip, public

router = APIRouter()
Me = Annotated[Principal, authenticated()]


def who_of(request: Request, principal: Principal) -> Who:
    return Who(principal.actor, client_ip(request))


def _safe_next(target: str | None) -> str:
    """Only ever redirect to a path on this site (no open redirect)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or target.startswith("//"):
        return "/"
    return parts.path


@router.get("/login", response_class=HTMLResponse, dependencies=[public()])
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "auth/login.html", next=_safe_next(next), error=None, username="")


def _login_error(request: Request, reason: str, username: str, next_path: str) -> Response:
    # Unknown user and bad password read the same, so usernames cannot be probed.
    key = (
        "auth.login.failed"
        if reason in ("unknown_user", "bad_password", "disabled")
        else (f"auth.login.{reason}")
    )
    status = 429 if reason == "rate_limited" else 401
    return render(
        request, "auth/login.html", status_code=status, next=next_path, error=key, username=username
    )


@router.post("/login", response_class=HTMLResponse, dependencies=[public()])
def login_submit(
    request: Request,
    ctx: Ctx,
    db: DbSession,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    totp: Annotated[str, Form(max_length=16)] = "",
    next: Annotated[str, Form(max_length=512)] = "/",
) -> Response:
    settings = effective_auth(ctx.settings)
    ip = client_ip(request)
    limiter: service.IpLimiter = request.app.state.login_limiter
    next_path = _safe_next(next)
    if limiter.blocked(ip, ctx.clock.now(), settings):
        service.record_failed_login(db, ctx.clock, username.strip().lower(), "rate_limited", ip)
        return _login_error(request, "rate_limited", username, next_path)
    result = service.login(
        db, ctx.clock, settings, ctx.settings.secret(), username, password, totp or None, ip
    )
    if result.person is None:
        limiter.failed(ip, ctx.clock.now())
        return _login_error(request, result.reason or "failed", username, next_path)
    raw = service.create_session(
        db,
        ctx.clock,
        settings,
        result.person.id,
        ip,
        request.headers.get("user-agent"),
        result.second_factor,
    )
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        COOKIE,
        raw,
        max_age=settings.session_minutes * 60,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )
    return response


@router.post("/logout", dependencies=[authenticated()])
def logout(request: Request, ctx: Ctx, db: DbSession, me: Me) -> Response:
    raw = session_cookie(request.scope)
    if raw is not None and service.end_session(db, ctx.clock, raw):
        from gwanje.audit import record
        from gwanje.auth.events import LoggedOut

        record(db, LoggedOut(actor=me.actor, source_ip=client_ip(request)), ctx.clock)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


def _account_values(db: DbSession, ctx: Ctx, me: Principal) -> dict[str, Any]:
    if me.person_id is None:
        raise Forbidden("auth.error.no_account")
    now = ctx.clock.now()
    credential = db.get(Credential, me.person_id)
    tokens = db.scalars(
        select(ApiToken).where(ApiToken.person_id == me.person_id).order_by(ApiToken.id)
    ).all()
    return {
        "person": get_person(db, me.person_id),
        "me": me,
        "pledge_ok": has_valid_pledge(db, me.person_id, now),
        "training_ok": has_valid_training(db, me.person_id, now),
        "totp_enabled": credential is not None and credential.totp_enabled_at is not None,
        "tokens": tokens,
    }


@router.get("/account", response_class=HTMLResponse, dependencies=[authenticated()])
def account(request: Request, ctx: Ctx, db: DbSession, me: Me) -> Response:
    return render(request, "auth/account.html", **_account_values(db, ctx, me))


@router.post("/account/totp/start", response_class=HTMLResponse, dependencies=[authenticated()])
def totp_start(request: Request, ctx: Ctx, db: DbSession, me: Me) -> Response:
    values = _account_values(db, ctx, me)
    secret = service.start_totp(db, ctx.settings.secret(), int(me.person_id or 0))
    uri = service.totp_uri(secret, me.username)
    return render(request, "auth/account.html", totp_secret=secret, totp_uri=uri, **values)


@router.post("/account/totp/confirm", dependencies=[authenticated()])
def totp_confirm(
    request: Request, ctx: Ctx, db: DbSession, me: Me, code: Annotated[str, Form(max_length=16)]
) -> Response:
    service.confirm_totp(
        db, ctx.clock, ctx.settings.secret(), who_of(request, me), int(me.person_id or 0), code
    )
    _mark_second_factor(request, db)
    return RedirectResponse("/account", status_code=303)


def _mark_second_factor(request: Request, db: DbSession) -> None:
    """The session that just proved the code counts as second-factor verified."""
    from gwanje.auth.models import LoginSession

    raw = session_cookie(request.scope)
    if raw is None:
        return
    row = db.scalar(select(LoginSession).where(LoginSession.token_hash == service.sha256_hex(raw)))
    if row is not None:
        row.second_factor = True


@router.post("/account/tokens", response_class=HTMLResponse, dependencies=[authenticated()])
def token_create(
    request: Request, ctx: Ctx, db: DbSession, me: Me, name: Annotated[str, Form(max_length=64)]
) -> Response:
    who = who_of(request, me)
    _, raw = service.create_token(db, ctx.clock, who, int(me.person_id or 0), name)
    return render(request, "auth/account.html", new_token=raw, **_account_values(db, ctx, me))


def _own_token(db: DbSession, me: Principal, token_id: int) -> None:
    token = db.get(ApiToken, token_id)
    if token is None or token.person_id != me.person_id:
        from gwanje.errors import NotFound

        raise NotFound("auth.error.no_token", token_id=token_id)


@router.post("/account/tokens/{token_id}/revoke", dependencies=[authenticated()])
def token_revoke(request: Request, ctx: Ctx, db: DbSession, me: Me, token_id: int) -> Response:
    _own_token(db, me, token_id)
    service.revoke_token(db, ctx.clock, who_of(request, me), token_id)
    return RedirectResponse("/account", status_code=303)


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64)


@router.get("/api/me", dependencies=[authenticated()])
def api_me(me: Me) -> dict[str, object]:
    return {
        "person_id": me.person_id,
        "username": me.username,
        "kind": me.kind,
        "roles": sorted(me.roles),
        "permissions": sorted(me.permissions),
        "department_scope": None if me.department_scope is None else sorted(me.department_scope),
        "video_blocked": list(me.video_blocked),
    }


@router.post("/api/me/tokens", status_code=201, dependencies=[authenticated()])
def api_token_create(
    request: Request, ctx: Ctx, db: DbSession, me: Me, body: TokenIn
) -> dict[str, object]:
    token, raw = service.create_token(
        db, ctx.clock, who_of(request, me), int(me.person_id or 0), body.name
    )
    return {"id": token.id, "name": token.name, "token": raw, "prefix": token.prefix}


@router.post("/api/me/tokens/{token_id}/revoke", dependencies=[authenticated()])
def api_token_revoke(
    request: Request, ctx: Ctx, db: DbSession, me: Me, token_id: int
) -> dict[str, object]:
    _own_token(db, me, token_id)
    service.revoke_token(db, ctx.clock, who_of(request, me), token_id)
    return {"id": token_id, "revoked": True}
