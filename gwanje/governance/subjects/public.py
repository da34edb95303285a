"""Guards of the public (no login) form and status page: a per-address rate limit, a
bounded body, and a form token so another site cannot post the form in a visitor's name.

Invariants:
- the form token is an HMAC (master secret) of a random cookie set with the form
  (HttpOnly, SameSite=Strict): a cross-site post carries neither a matching token nor,
  usually, the cookie, and is refused before anything is stored (the same double-submit
  idea as the session CSRF token, for visitors without a session);
- a body over `MAX_BODY` bytes is refused unread past the limit;
- limits are per client address in process memory (a restart forgets them, which only
  ever loosens them); the look-up counts failures only.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import deque
from datetime import datetime, timedelta
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import Response

from gwanje.errors import GwanjeError, InvalidInput

FORM_COOKIE = "gwanje_subject_form"
MAX_BODY = 16 * 1024
WINDOW = timedelta(hours=1)


class RateLimited(GwanjeError):
    status = 429


class FormExpired(GwanjeError):
    status = 403


class WindowLimiter:
    """At most `limit` hits per address in a sliding hour."""

    def __init__(self) -> None:
        self._hits: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def blocked(self, address: str | None, now: datetime, limit: int) -> bool:
        with self._lock:
            times = self._hits.setdefault(address or "?", deque())
            while times and times[0] <= now - WINDOW:
                times.popleft()
            return len(times) >= limit

    def hit(self, address: str | None, now: datetime) -> None:
        with self._lock:
            self._hits.setdefault(address or "?", deque()).append(now)


def limiter(request: Request, name: str) -> WindowLimiter:
    """The app's limiter called `name` (made on first use, one per app)."""
    state = request.app.state
    key = f"subject_limiter_{name}"
    with _CREATE:
        if not hasattr(state, key):
            setattr(state, key, WindowLimiter())
    found: WindowLimiter = getattr(state, key)
    return found


_CREATE = threading.Lock()


def form_token(secret: bytes, raw: str) -> str:
    return hmac.new(secret, b"subject-form:" + raw.encode(), hashlib.sha256).hexdigest()


def issue_form_cookie(request: Request, secret: bytes) -> tuple[str, str]:
    """(cookie value, form token) for a page carrying the public form."""
    raw = request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(24)
    return raw, form_token(secret, raw[:64])


def set_form_cookie(response: Response, raw: str) -> None:
    response.set_cookie(FORM_COOKIE, raw, max_age=4 * 3600, httponly=True, samesite="strict",
                        path="/subject-request")  # fmt: skip


async def read_public_form(request: Request, secret: bytes) -> dict[str, list[str]]:
    """The posted form (URL-encoded, at most MAX_BODY bytes) after the token check."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise InvalidInput("subjects.error.too_large")
    fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=60)
    raw = request.cookies.get(FORM_COOKIE, "")[:64]
    offered = (fields.get("form_token") or [""])[0]
    if not raw or not hmac.compare_digest(form_token(secret, raw), offered):
        raise FormExpired("subjects.error.form_expired")
    return fields
