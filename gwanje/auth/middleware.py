"""Resolving the principal of each request (session cookie or API token).

`install(app, ctx)` adds the middleware that sets `request.state.principal`
(a `Principal` or None for anonymous requests).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from gwanje.context import Gwanje


def install(app: FastAPI, ctx: Gwanje) -> None:
    @app.middleware("http")
    async def _resolve_principal(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request.state.principal = None
        return await call_next(request)
