"""Shared builders for registry tests: departments and cameras at each lifecycle step."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from gwanje.audit.models import AuditEntry
from gwanje.context import Gwanje
from gwanje.people.sample_city import ensure_departments
from gwanje.registry.models import CameraStatus
from gwanje.registry.schemas import CameraCreate
from gwanje.registry.service import Registry, system_principal

SECRET_USER = "admin-user-x7"
SECRET_PASS = "S3cr3t-Pa55-Zq9"


def departments(ctx: Gwanje) -> dict[str, int]:
    with ctx.transaction() as session:
        return {code: d.id for code, d in ensure_departments(session).items()}


def camera_values(
    code: str, department_id: int, level: CameraStatus, **extra: Any
) -> dict[str, Any]:
    """Field values that satisfy every requirement up to `level`."""
    values: dict[str, Any] = {
        "code": code,
        "name": f"cam {code}",
        "district": "중앙동",
        "address": "여수시 중앙로 1",
        "latitude": 34.74,
        "longitude": 127.73,
        "department_id": department_id,
        "installer_body": "여수시",
        "purposes": ["crime_prevention"],
    }
    order = [
        CameraStatus.PLANNED,
        CameraStatus.CONSULTED,
        CameraStatus.INSTALLED,
        CameraStatus.LINKED,
    ]
    rank = order.index(level)
    if rank >= 1:
        values.update(
            consultation_date=date(2025, 1, 2),
            consultation_experts="ok",
            consultation_residents="ok",
        )
    if rank >= 2:
        values.update(
            std_standard_product=True,
            std_multi_purpose=True,
            std_integrable=True,
            install_contractor="남도정보통신",
            install_contractor_reg_no="전남-2019-0132",
            installed_on=date(2025, 3, 1),
        )
    if rank >= 3:
        values.update(
            signage_installed_on=date(2025, 3, 2),
            signage_purpose="방범",
            signage_location="중앙로",
            signage_range="50m",
            signage_hours="24h",
            signage_manager_name="과장",
            signage_manager_contact="061-000-0000",
            main_stream_url="rtsp://127.0.0.1:8554/cam1/main",
        )
    values.update(extra)
    return values


def make_camera(
    ctx: Gwanje,
    code: str,
    department_id: int,
    level: CameraStatus = CameraStatus.PLANNED,
    **extra: Any,
) -> int:
    with ctx.transaction() as session:
        registry = Registry(session, ctx.settings, ctx.clock, system_principal("test"))
        data = CameraCreate.model_validate(camera_values(code, department_id, level, **extra))
        return registry.create(data, level).id


def audit_rows(ctx: Gwanje, event_type: str | None = None) -> list[AuditEntry]:
    with ctx.transaction() as session:
        query = select(AuditEntry).order_by(AuditEntry.seq)
        if event_type:
            query = query.where(AuditEntry.event_type == event_type)
        return list(session.scalars(query))
