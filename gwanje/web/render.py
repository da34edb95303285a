"""HTML rendering with Jinja; every visible string goes through `t()` (ko/en)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from gwanje.i18n import LANGUAGES, translate

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def language_of(request: Request) -> str:
    """Cookie `lang` first, then the principal's preference, then the site default."""
    chosen = request.cookies.get("lang")
    if chosen in LANGUAGES:
        return chosen
    principal = getattr(request.state, "principal", None)
    preferred = getattr(principal, "language", None)
    if preferred in LANGUAGES:
        return str(preferred)
    default: str = request.app.state.ctx.settings.default_language
    return default


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    return render_with(TEMPLATES, request, template, status_code, **values)


def render_with(
    templates: Jinja2Templates,
    request: Request,
    template: str,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    """Render with `templates` (a subsystem's own directory before the shell's)."""
    lang = language_of(request)

    def t(key: str, **params: Any) -> str:
        return translate(key, lang, **params)

    values.setdefault("principal", getattr(request.state, "principal", None))
    values.setdefault("csrf_token", getattr(request.state, "csrf_token", ""))
    return templates.TemplateResponse(
        request, template, {"t": t, "lang": lang, **values}, status_code=status_code
    )
