"""Builders for PTZ tests: a linked camera with a PTZ configuration pointing at the
simulator, and the audit entries PTZ wrote."""

from __future__ import annotations

import json
from typing import Any

from registry.helpers import audit_rows, departments, make_camera

from gwanje.auth.permissions import Role
from gwanje.context import Gwanje
from gwanje.media.camsim.harness import CamsimHandle
from gwanje.ptz.device import Endpoint
from gwanje.ptz.inputs import ConfigInput, PresetInput
from gwanje.ptz.setup import PtzSetup
from gwanje.registry.models import CameraStatus
from gwanje.registry.service import system_principal

ONVIF_USER = "onvif-admin"
ONVIF_PASSWORD = "Onv1f-Pa55-Qw7"
AREA = {
    "pan_min": -0.5,
    "pan_max": 0.5,
    "tilt_min": -0.3,
    "tilt_max": 0.3,
    "zoom_min": 0.0,
    "zoom_max": 0.6,
}


def endpoint(sim: CamsimHandle, index: int = 1, password: str = ONVIF_PASSWORD) -> Endpoint:
    return Endpoint(sim.onvif_url(index), ONVIF_USER, password, "main")


def setup_camera(
    ctx: Gwanje, sim: CamsimHandle, index: int = 1, department: str = "SMARTCITY"
) -> tuple[int, int]:
    """A linked camera (purposes: crime prevention, traffic) on PTZ camera `index`, its
    area `AREA`, a home preset at the centre; returns (camera id, department id)."""
    dept = departments(ctx)[department]
    camera_id = make_camera(
        ctx,
        f"PTZ-{index:03d}",
        dept,
        CameraStatus.LINKED,
        purposes=["crime_prevention", "traffic_info"],
        onvif_url=sim.onvif_url(index),
    )
    manager = system_principal("test")
    with ctx.transaction() as session:
        setup = PtzSetup(session, ctx.settings, ctx.clock, manager)
        config = ConfigInput.parse(
            {
                "profile_token": "main",
                "area": AREA,
                "idle_return_s": 60,
                "username": ONVIF_USER,
                "password": ONVIF_PASSWORD,
            }
        )
        setup.configure(camera_id, config)
        setup.save_preset(
            camera_id,
            PresetInput.parse(
                {
                    "name": "교차로",
                    "purpose": "traffic_info",
                    "pan": 0.0,
                    "tilt": 0.0,
                    "zoom": 0.0,
                    "is_home": True,
                }
            ),
        )
    return camera_id, dept


def entries(ctx: Gwanje, event_type: str) -> list[dict[str, Any]]:
    rows = audit_rows(ctx, event_type)
    return [
        {
            "outcome": r.outcome,
            "camera_ids": r.camera_ids,
            "actor": r.actor_name,
            **json.loads(r.details),
        }
        for r in rows
    ]


def operator_role() -> Role:
    return Role.OPERATOR
