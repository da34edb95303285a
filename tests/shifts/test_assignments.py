"""Purpose assignments (ORD-20.3): an operator on a shift is assigned the cameras of one
purpose in one district; "my cameras" follows the shift."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from registry.helpers import departments, make_camera
from shifts_kit import MANAGER, crew

from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.errors import InvalidInput
from gwanje.registry.models import CameraStatus
from gwanje.shifts import assignments, roster
from gwanje.shifts.assignments import AssignmentInput

SEOUL = ZoneInfo("Asia/Seoul")


def test_an_operator_is_assigned_crime_prevention_cameras_of_one_district(
    any_ctx: Gwanje, clock: FakeClock
) -> None:
    team = crew(any_ctx)
    safety = departments(any_ctx)["SAFETY"]
    make_camera(any_ctx, "A-1", safety, CameraStatus.LINKED)
    make_camera(any_ctx, "A-2", safety, CameraStatus.LINKED)
    clock.set(datetime(2026, 1, 1, 10, tzinfo=SEOUL))
    with any_ctx.transaction() as session:
        slot = roster.on_duty(session, clock.now())[0].slot_id
        from gwanje.registry.models import Camera

        district = session.query(Camera).filter_by(code="A-1").one().district
        purpose = session.query(Camera).filter_by(code="A-1").one().purposes[0].value
        assignments.assign(
            session, clock, MANAGER, AssignmentInput(slot, team.people["op1"], purpose, district)
        )
        with pytest.raises(InvalidInput):  # op2 is not on this shift
            assignments.assign(
                session, clock, MANAGER, AssignmentInput(slot, team.people["op2"], purpose)
            )
    with any_ctx.sessions() as session:
        mine = assignments.current(session, team.people["op1"], clock.now())
        codes = [c.code for c in assignments.cameras_for(session, mine)]
        assert "A-1" in codes
        later = assignments.current(
            session, team.people["op1"], datetime(2026, 1, 1, 19, tzinfo=SEOUL)
        )
    assert later == []  # the assignment ends with the shift


def test_with_enforcement_an_assigned_operator_watches_only_the_assigned_cameras(
    any_ctx: Gwanje, clock: FakeClock
) -> None:
    """ORD-20.3 with shifts.enforce_assignments: op1, assigned crime prevention in A-1's
    district, may watch A-1 and is refused (and audited) on a traffic camera; someone
    without assignments is not restricted; without the setting nothing is refused."""
    from gwanje.console import service as console
    from gwanje.errors import Forbidden
    from gwanje.registry.models import Camera

    team = crew(any_ctx)
    safety, traffic = departments(any_ctx)["SAFETY"], departments(any_ctx)["TRAFFIC"]
    crime_cam = make_camera(any_ctx, "A-1", safety, CameraStatus.LINKED)
    road_cam = make_camera(any_ctx, "T-1", traffic, CameraStatus.LINKED, purposes=["traffic_info"])
    clock.set(datetime(2026, 1, 1, 10, tzinfo=SEOUL))
    with any_ctx.transaction() as session:
        slot = roster.on_duty(session, clock.now())[0].slot_id
        camera = session.get(Camera, crime_cam)
        assert camera is not None
        assignments.assign(session, clock, MANAGER, AssignmentInput(
            slot, team.people["op1"], camera.purposes[0].value, camera.district))  # fmt: skip

    def watch(who: str, camera_id: int, enforce: bool) -> str:
        with any_ctx.transaction() as session:
            try:
                console.authorize_live(session, clock, team.principal(who), camera_id, "main",
                                       None, "v", enforce_assignments=enforce)  # fmt: skip
            except Forbidden as refused:
                return refused.key
        return "ok"

    assert watch("op1", crime_cam, enforce=True) == "ok"
    assert watch("op1", road_cam, enforce=True) == "shifts.error.not_assigned"
    assert watch("op2", road_cam, enforce=True) == "ok"  # no assignment on a current shift
    assert watch("op1", road_cam, enforce=False) == "ok"  # off: flagged elsewhere, not refused
