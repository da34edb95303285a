"""Every role against every route: a route guarded by a permission the role lacks
answers 403; one it holds never answers 401/403; anonymous callers get 401 (API) or a
redirect to /login (pages). Walks the live route table, so new routes are covered."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from webclient import client_as, principal_for

from gwanje.auth.permissions import Role
from gwanje.web.security import AUTHENTICATED, PUBLIC, route_permissions


def _path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", template)


def _calls(app: FastAPI) -> list[tuple[str, str, set[str] | None]]:
    """(method, path, permissions needed; None for 'any logged-in principal')."""
    calls: list[tuple[str, str, set[str] | None]] = []
    for methods, path, guard in route_permissions(app):
        if guard == PUBLIC:
            continue
        needed = None if guard == AUTHENTICATED else set(guard.split(", "))
        for method in methods.split(","):
            if method != "HEAD":
                calls.append((method, _path(path), needed))
    return calls


def _anonymous_refused(status: int, location: str) -> bool:
    return status == 401 or (status in (302, 303) and location.startswith("/login"))


def _ws_refused(client: TestClient, path: str) -> bool:
    """Whether a WebSocket handshake is refused (closed with 1008 before accept)."""
    try:
        with client.websocket_connect(path) as ws:
            ws.receive()
    except WebSocketDisconnect as exc:
        return exc.code == 1008
    return False


def test_every_role_against_every_route(app: FastAPI) -> None:
    """WebSocket routes: anonymous callers and roles without the permission are refused
    at the handshake; holders are exercised by their subsystem's tests (the handshake
    needs a real camera in scope)."""
    calls = [c for c in _calls(app) if c[0] != "WS"]
    sockets = [c for c in _calls(app) if c[0] == "WS"]
    assert sockets, "the live view's WebSocket route is in the table"
    for _, path, needed in sockets:
        assert _ws_refused(client_as(app, None), path), f"anonymous WS {path}"
        for role in Role:
            principal = principal_for(role)
            if needed is not None and not needed <= set(principal.permissions):
                assert _ws_refused(client_as(app, principal), path), f"{role} WS {path}"
    assert len(calls) > 10
    problems: list[str] = []
    anonymous = client_as(app, None)
    anonymous.follow_redirects = False
    for method, path, _ in calls:
        response = anonymous.request(method, path)
        if not _anonymous_refused(response.status_code, response.headers.get("location", "")):
            problems.append(f"anonymous {method} {path}: {response.status_code}")
    for role in Role:
        principal = principal_for(role)
        client = client_as(app, principal)
        client.follow_redirects = False
        for method, path, needed in calls:
            status = client.request(method, path).status_code
            allowed = needed is None or needed <= set(principal.permissions)
            if allowed and status in (401, 403):
                problems.append(f"{role} {method} {path}: {status} but holds {needed}")
            if not allowed and status != 403:
                problems.append(f"{role} {method} {path}: {status} but lacks {needed}")
    assert problems == []
