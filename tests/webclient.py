"""Test helpers for the web layer: principals built from the role table, and clients
that act as them (through the ASGI scope key the auth middleware honours in-process)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from gwanje.auth.middleware import SCOPE_KEY
from gwanje.auth.permissions import Role, permissions_for
from gwanje.auth.principal import Principal


def principal_for(
    *roles: Role,
    person_id: int = 1,
    username: str = "tester",
    department_scope: frozenset[int] | None = None,
    camera_scope: frozenset[int] | None = None,
) -> Principal:
    role_set = frozenset(roles)
    return Principal(
        person_id=person_id,
        username=username,
        display_name=username,
        roles=role_set,
        permissions=permissions_for(role_set),
        department_scope=department_scope,
        camera_scope=camera_scope,
    )


class _AsPrincipal:
    """ASGI wrapper that injects a principal into every request's scope."""

    def __init__(self, app: FastAPI, principal: Principal | None) -> None:
        self.app = app
        self.principal = principal

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if self.principal is not None and scope["type"] in ("http", "websocket"):
            scope = {**scope, SCOPE_KEY: self.principal}
        await self.app(scope, receive, send)


def client_as(app: FastAPI, principal: Principal | None) -> TestClient:
    """A TestClient whose requests run as `principal` (None: anonymous)."""
    return TestClient(_AsPrincipal(app, principal), base_url="http://testserver")  # type: ignore[arg-type]
