"""Builders of the sharing tests: people, linked cameras, a share input."""

from __future__ import annotations

from typing import Any

from registry.helpers import departments, make_camera
from retention.retention_kit import person
from webclient import principal_for

from gwanje.auth.permissions import Role
from gwanje.auth.principal import Principal
from gwanje.context import Gwanje
from gwanje.registry.models import CameraStatus
from gwanje.sharing.shares import ShareInput


def center(ctx: Gwanje, cameras: int = 2, **extra: Any) -> dict[str, Any]:
    """Linked cameras SH-1.., a general manager and an operator (persons in the database)."""
    dept = departments(ctx)["SAFETY"]
    ids = [make_camera(ctx, f"SH-{i}", dept, CameraStatus.LINKED, **extra)
           for i in range(1, cameras + 1)]  # fmt: skip
    manager_id = person(ctx, "manager1")
    return {
        "cameras": ids,
        "manager": principal_for(Role.GENERAL_MANAGER, person_id=manager_id, username="manager1"),
        "police": principal_for(Role.POLICE_LIAISON, person_id=person(ctx, "kang"),
                                username="kang"),
    }  # fmt: skip


def share_input(**overrides: Any) -> ShareInput:
    values: dict[str, Any] = {
        "agency": "여수경찰서 112상황실", "agency_code": "YS-POLICE", "recipient_kind": "users",
        "recipients": ("kang",), "legal_basis": "합동 대응: 실종 아동 수색 (ORD-14.2, 17)",
        "purpose": "crime_prevention", "camera_codes": ("SH-1",), "hours": 2.0,
    }  # fmt: skip
    values.update(overrides)
    return ShareInput(**values)


def manager(rec: dict[str, Any]) -> Principal:
    principal: Principal = rec["manager"]
    return principal
