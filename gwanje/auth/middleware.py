"""Resolving the principal of each request (session cookie or API token), and CSRF.

`install(app, ctx)` adds an ASGI middleware that sets `request.state.principal` (a
`Principal`, or None for anonymous requests) and `request.state.csrf_token`.

Invariants:
- the principal is resolved from the database on every request, so a role lost
  (appointment ended, grant revoked, person disabled, training expired) is lost at once,
  in existing sessions too;
- a cookie-authenticated POST/PUT/PATCH/DELETE must carry the session's CSRF token (form
  field `csrf_token` or header `X-CSRF-Token`), else it is refused with 403 and audited
  before any handler runs; bearer-token and injected principals are exempt (no ambient
  credential a foreign site could ride on);
- an in-process caller (tests, an embedding application) may put a ready `Principal` in
  the ASGI scope under `gwanje.principal`; no HTTP input can set ASGI scope keys, so
  this is not reachable from the network.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gwanje.audit import Outcome, record
from gwanje.auth import service
from gwanje.auth.config import effective_auth
from gwanje.auth.events import CsrfRefused
from gwanje.auth.principal import Principal
from gwanje.context import Gwanje
from gwanje.i18n import translate
from gwanje.people.access import resolve_principal
from gwanje.people.models import Person

SCOPE_KEY = "gwanje.principal"
COOKIE = "gwanje_session"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def install(app: FastAPI, ctx: Gwanje) -> None:
    app.state.login_limiter = service.IpLimiter()
    app.add_middleware(AuthMiddleware, ctx=ctx)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def session_cookie(scope: Scope) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    cookie: SimpleCookie = SimpleCookie()
    try:
        cookie.load(raw)
    except Exception:  # a malformed Cookie header is just no session
        return None
    morsel = cookie.get(COOKIE)
    return morsel.value if morsel and morsel.value else None


class AuthMiddleware:
    def __init__(self, app: ASGIApp, ctx: Gwanje) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        injected = scope.get(SCOPE_KEY)
        state["csrf_token"] = ""
        if isinstance(injected, Principal):
            state["principal"] = injected
            await self.app(scope, receive, send)
            return
        # Database work runs in the thread pool: a blocking query (or SQLite waiting for
        # its write lock) must not stall the event loop and every other request with it.
        bearer = _bearer(scope)
        if bearer is not None:
            state["principal"] = await run_in_threadpool(self._from_token, bearer)
            await self.app(scope, receive, send)
            return
        raw = session_cookie(scope)
        state["principal"] = await run_in_threadpool(self._from_session, raw) if raw else None
        if state["principal"] is None or raw is None:
            await self.app(scope, receive, send)
            return
        state["csrf_token"] = service.csrf_token_for(self.ctx.settings.secret(), raw)
        if scope["method"] in UNSAFE:
            body = await _read_body(receive)
            if not await self._csrf_passes(scope, body, raw):
                await run_in_threadpool(self._audit_refusal, scope, state["principal"])
                await _csrf_error(Request(scope))(scope, _empty_receive, send)
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A WebSocket handshake is a GET: the principal comes from the session cookie (or
        a bearer token), no CSRF token; the route checks the Origin (a foreign page's
        handshake carries our cookie too) with `same_origin`."""
        state: dict[str, Any] = scope.setdefault("state", {})
        injected = scope.get(SCOPE_KEY)
        if isinstance(injected, Principal):
            state["principal"] = injected
        elif (bearer := _bearer(scope)) is not None:
            state["principal"] = await run_in_threadpool(self._from_token, bearer)
        else:
            raw = session_cookie(scope)
            state["principal"] = await run_in_threadpool(self._from_session, raw) if raw else None
        await self.app(scope, receive, send)

    def _from_session(self, raw: str) -> Principal | None:
        settings = effective_auth(self.ctx.settings)
        with self.ctx.transaction() as session:
            row = service.find_session(session, self.ctx.clock, settings, raw)
            if row is None:
                return None
            return self._active_principal(
                session,
                row.person_id,
                second_factor=row.second_factor,
                session_id=str(row.id),
            )

    def _from_token(self, raw: str) -> Principal | None:
        with self.ctx.transaction() as session:
            token = service.find_token(session, self.ctx.clock, raw)
            if token is None:
                return None
            return self._active_principal(session, token.person_id, kind="token")

    def _active_principal(
        self, session: Session, person_id: int, **options: Any
    ) -> Principal | None:
        """The principal of an active person; None for a missing or disabled one."""
        person = session.get(Person, person_id)
        if person is None or not person.active:
            return None
        settings = effective_auth(self.ctx.settings)
        return resolve_principal(session, person_id, self.ctx.clock, settings, **options)

    async def _csrf_passes(self, scope: Scope, body: bytes, raw: str) -> bool:
        offered = _header(scope, b"x-csrf-token") or await _form_field(scope, body, "csrf_token")
        return service.csrf_ok(self.ctx.settings.secret(), raw, offered)

    def _audit_refusal(self, scope: Scope, principal: Principal) -> None:
        with self.ctx.transaction() as session:
            record(
                session,
                CsrfRefused(
                    actor=principal.actor,
                    source_ip=(scope.get("client") or (None,))[0],
                    outcome=Outcome.DENIED,
                    path=scope["path"],
                    method=scope["method"],
                ),
                self.ctx.clock,
            )


def _csrf_error(request: Request) -> Response:
    """403 in the caller's language: JSON for the API, the error page for browsers."""
    from gwanje.web.render import language_of, render

    message = translate("auth.error.csrf", language_of(request))
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": "auth.error.csrf", "message": message}, status_code=403)
    return render(request, "error.html", status_code=403, message=message)


def _bearer(scope: Scope) -> str | None:
    value = _header(scope, b"authorization")
    if value and value.lower().startswith("bearer "):
        return value[7:].strip()
    return None


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _empty_receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _form_field(scope: Scope, body: bytes, name: str) -> str | None:
    content_type = (_header(scope, b"content-type") or "").lower()
    if content_type.startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("utf-8", "replace")).get(name)
        return values[0] if values else None
    if content_type.startswith("multipart/form-data"):
        request = Request(scope, _replay(body, _empty_receive))
        try:
            form = await request.form()
        except Exception:  # unparsable body: no token
            return None
        value = form.get(name)
        return value if isinstance(value, str) else None
    return None


def same_origin(scope: Scope) -> bool:
    """Whether a WebSocket handshake comes from one of our own pages: the Origin's host
    must be the Host the browser connected to. Non-browser clients send no Origin."""
    origin = _header(scope, b"origin")
    if origin is None:
        return True
    host = _header(scope, b"host") or ""
    _, _, rest = origin.partition("://")
    return bool(host) and rest.split("/", 1)[0].lower() == host.lower()
