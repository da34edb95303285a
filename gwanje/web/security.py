"""Route guards: `requires(permission)` and `public()`.

Both return FastAPI dependencies tagged so `route_permissions(app)` can list what each
route needs; an untagged route shows as UNDECLARED and fails the route-table test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import Depends, FastAPI, Request, WebSocket, WebSocketException, status
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.requests import HTTPConnection

from gwanje.audit import Outcome, record
from gwanje.auth.events import PermissionDenied
from gwanje.auth.middleware import same_origin
from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.context import Gwanje
from gwanje.errors import Forbidden, Unauthenticated

PUBLIC = "public"
AUTHENTICATED = "authenticated"
UNDECLARED = "UNDECLARED"


def client_ip(request: HTTPConnection) -> str | None:
    return request.client.host if request.client else None


def principal_of(request: HTTPConnection) -> Principal | None:
    value = getattr(request.state, "principal", None)
    return value if isinstance(value, Principal) else None


def audit_denial(request: HTTPConnection, principal: Principal, permission: str) -> None:
    ctx: Gwanje = request.app.state.ctx
    event = PermissionDenied(
        actor=principal.actor,
        source_ip=client_ip(request),
        outcome=Outcome.DENIED,
        permission=permission,
        path=request.url.path,
    )
    with ctx.transaction() as session:
        record(session, event, ctx.clock)


def requires(permission: Permission) -> Any:
    """Dependency: the request's principal must hold `permission`; else 401/403, audited."""

    def guard(request: Request) -> Principal:
        principal = principal_of(request)
        if principal is None:
            raise Unauthenticated("error.unauthenticated")
        if not principal.can(permission):
            audit_denial(request, principal, permission.value)
            raise Forbidden("error.forbidden", permission=permission.value)
        return principal

    guard.__gwanje_guard__ = permission.value  # type: ignore[attr-defined]
    return Depends(guard)


def requires_ws(permission: Permission) -> Any:
    """Dependency of a WebSocket route: a logged-in principal holding `permission`, and a
    handshake from our own origin (cross-site WebSocket hijacking rides on cookies). A
    refusal closes the handshake with 1008 (policy violation); a missing permission is
    audited like any other."""

    def guard(websocket: WebSocket) -> Principal:
        principal = principal_of(websocket)
        if principal is None or not same_origin(websocket.scope):
            raise WebSocketException(status.WS_1008_POLICY_VIOLATION, "not authenticated")
        if not principal.can(permission):
            audit_denial(websocket, principal, permission.value)
            raise WebSocketException(status.WS_1008_POLICY_VIOLATION, "forbidden")
        return principal

    guard.__gwanje_guard__ = permission.value  # type: ignore[attr-defined]
    return Depends(guard)


def authenticated() -> Any:
    """Dependency: any logged-in principal (e.g. logout, own profile)."""

    def guard(request: Request) -> Principal:
        principal = principal_of(request)
        if principal is None:
            raise Unauthenticated("error.unauthenticated")
        return principal

    guard.__gwanje_guard__ = AUTHENTICATED  # type: ignore[attr-defined]
    return Depends(guard)


def public() -> Any:
    """Dependency: the route is deliberately open to anonymous callers."""

    def guard(request: Request) -> Principal | None:
        return principal_of(request)

    guard.__gwanje_guard__ = PUBLIC  # type: ignore[attr-defined]
    return Depends(guard)


def _guards_of(route: APIRoute | APIWebSocketRoute) -> list[str]:
    found: list[str] = []
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        call: Callable[..., Any] | None = dep.call
        tag = getattr(call, "__gwanje_guard__", None)
        if isinstance(tag, str):
            found.append(tag)
        stack.extend(dep.dependencies)
    return sorted(set(found))


def _api_routes(routes: list[Any]) -> Iterator[APIRoute | APIWebSocketRoute]:
    """API and WebSocket routes, looking inside included routers (newer FastAPI wraps
    them)."""
    for route in routes:
        if isinstance(route, APIRoute | APIWebSocketRoute):
            yield route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _api_routes(list(inner.routes))


def route_permissions(app: FastAPI) -> list[tuple[str, str, str]]:
    """(methods, path, guard) for every API route, sorted; guard is UNDECLARED if none."""
    rows: list[tuple[str, str, str]] = []
    for route in _api_routes(list(app.router.routes)):
        guards = _guards_of(route)
        guard = ", ".join(guards) if guards else UNDECLARED
        methods = (
            "WS" if isinstance(route, APIWebSocketRoute) else ",".join(sorted(route.methods or ()))
        )
        rows.append((methods, route.path, guard))
    return sorted(rows, key=lambda r: (r[1], r[0]))


def render_route_table(app: FastAPI) -> str:
    lines = [
        "# Routes and the permission each needs",
        "",
        "Generated by `gwanje docs routes`; `tests/web/test_route_table.py` fails when it is",
        "stale. `public` routes are open to anonymous callers on purpose; `authenticated`",
        "needs any logged-in principal.",
        "",
        "| Method | Path | Needs |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {m} | `{p}` | {g} |" for m, p, g in route_permissions(app)]
    return "\n".join(lines) + "\n"
