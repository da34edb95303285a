"""Shared set-up for bell tests: a camera with a linked emergency bell, a gateway system
account with its API token (role bell_gateway), and operators."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from registry.helpers import departments, make_camera
from retention.retention_kit import person
from webclient import principal_for

from gwanje.auth import service as auth_service
from gwanje.auth.config import effective_auth
from gwanje.auth.permissions import Role
from gwanje.auth.principal import Principal
from gwanje.context import Gwanje
from gwanje.people import service as people
from gwanje.people.access import resolve_principal
from gwanje.registry.models import CameraStatus
from gwanje.registry.schemas import BellCreate
from gwanje.registry.service import Registry, system_principal


def bell_with_camera(ctx: Gwanje, code: str = "BELL-1", camera: str = "BCAM-1",
                     department: str = "SAFETY") -> int:  # fmt: skip
    camera_id = make_camera(ctx, camera, departments(ctx)[department], CameraStatus.LINKED)
    with ctx.transaction() as session:
        registry = Registry(session, ctx.settings, ctx.clock, system_principal("test"))
        registry.save_bell(BellCreate(code=code, location="학동 어린이공원 입구",
                                      camera_ids=[camera_id]))  # fmt: skip
    return camera_id


def gateway(ctx: Gwanje, username: str = "bellgw") -> tuple[Principal, str]:
    """The gateway's principal (as resolved from its token) and its raw API token."""
    person_id = person(ctx, username)
    with ctx.transaction() as session:
        people.grant_role(session, ctx.clock, people.SYSTEM, person_id, Role.BELL_GATEWAY.value)
        _, raw = auth_service.create_token(session, ctx.clock, people.SYSTEM, person_id,
                                           "bell gateway")  # fmt: skip
    with ctx.transaction() as session:
        principal = resolve_principal(session, person_id, ctx.clock,
                                      effective_auth(ctx.settings), kind="token")  # fmt: skip
    return principal, raw


def operator(ctx: Gwanje, username: str = "choi", **scope: Any) -> Principal:
    return replace(principal_for(Role.OPERATOR, username=username, **scope),
                   person_id=person(ctx, username))  # fmt: skip


def manager(ctx: Gwanje, username: str = "lee") -> Principal:
    return replace(principal_for(Role.GENERAL_MANAGER, username=username),
                   person_id=person(ctx, username))  # fmt: skip
