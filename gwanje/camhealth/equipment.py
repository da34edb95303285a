"""Equipment age and end of life (내용연수, ORD-12): from the registry's installation date
plus `health.service_life_years`, unless the camera has its own end-of-life date.

Owns: `equipment_life` (one row per camera not decommissioned) and `past_end_of_life`.
Invariant: a camera without an installation date has no computed end of life and is
listed as unknown, never as fine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from gwanje.registry.models import Camera, CameraStatus
from gwanje.settings import Settings


@dataclass(frozen=True)
class EquipmentLife:
    camera_id: int
    code: str
    name: str
    installed_on: date | None
    age_years: float | None
    end_of_life_on: date | None
    past_end_of_life: bool


def end_of_life(camera: Camera, service_life_years: int) -> date | None:
    if camera.end_of_life_on is not None:
        return camera.end_of_life_on
    if camera.installed_on is None:
        return None
    installed = camera.installed_on
    try:
        return installed.replace(year=installed.year + service_life_years)
    except ValueError:  # 29 February
        return installed.replace(year=installed.year + service_life_years, day=28)


def equipment_life(session: Session, settings: Settings, today: date) -> list[EquipmentLife]:
    cameras = session.scalars(
        select(Camera).where(Camera.status != CameraStatus.DECOMMISSIONED).order_by(Camera.code)
    )
    rows: list[EquipmentLife] = []
    for camera in cameras:
        eol = end_of_life(camera, settings.health.service_life_years)
        age = (today - camera.installed_on).days / 365.25 if camera.installed_on else None
        rows.append(EquipmentLife(
            camera.id, camera.code, camera.name, camera.installed_on,
            round(age, 1) if age is not None else None, eol, eol is not None and eol <= today,
        ))  # fmt: skip
    return rows


def past_end_of_life(session: Session, settings: Settings, today: date) -> list[EquipmentLife]:
    """The check: cameras at or past their end of life (to plan replacement)."""
    return [row for row in equipment_life(session, settings, today) if row.past_end_of_life]
