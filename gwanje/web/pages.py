"""Shell pages: home, language switch, health."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gwanje import __version__
from gwanje.i18n import LANGUAGES
from gwanje.web import dashboard
from gwanje.web.render import render
from gwanje.web.security import public

router = APIRouter()


@router.get("/", response_class=HTMLResponse, dependencies=[public()])
def home(request: Request) -> Response:
    principal = getattr(request.state, "principal", None)
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    ctx = request.app.state.ctx
    with ctx.sessions() as session:
        work = dashboard.cards(session, principal, ctx.clock.now())
    return render(request, "home.html", cards=work)


@router.get("/lang/{language}", dependencies=[public()])
def switch_language(language: str, request: Request) -> Response:
    # Only ever redirect to a path on this site (no open redirect through Referer).
    target = urlsplit(request.headers.get("referer") or "/").path or "/"
    response = RedirectResponse(target if target.startswith("/") else "/", 303)
    if language in LANGUAGES:
        response.set_cookie("lang", language, max_age=365 * 86400, samesite="lax")
    return response


@router.get("/api/health", dependencies=[public()])
def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}
