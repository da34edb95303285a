"""The health dashboard in Chromium: a covered camera (its image state as the checks
write it, its ticket as the monitor opens it) is shown with the ticket and its SLA, in
Korean first."""

from __future__ import annotations

from typing import Any

import pytest
from live import LiveServer
from sqlalchemy import select
from test_foundation_flows import login

from gwanje.camhealth.kinds import FaultKind
from gwanje.camhealth.tickets import Maintenance
from gwanje.media.models import CameraHealthEvent
from gwanje.registry.models import Camera, CameraStatus

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_dashboard_shows_the_covered_camera_and_its_ticket(
    page: Any, live_server: LiveServer
) -> None:
    ctx = live_server.ctx
    with ctx.transaction() as session:
        camera = session.scalars(
            select(Camera).where(Camera.status == CameraStatus.LINKED).order_by(Camera.id)
        ).first()
        assert camera is not None
        code, now = camera.code, ctx.clock.now()
        session.add(CameraHealthEvent(camera_id=camera.id, stream="image", at=now,
                                      state="covered", detail="{}"))  # fmt: skip
        ticket = Maintenance(session, ctx.settings, ctx.clock, None).report_fault(
            camera.id, FaultKind.COVERED, "image", "{}", now
        )
        ticket_id = ticket.id
    login(page, live_server, "manager")
    page.get_by_test_id("menu-facility").locator("summary").click()  # the nav groups links
    page.get_by_test_id("nav-health").click()
    assert page.get_by_test_id(f"image-state-{code}").inner_text() == "가림"
    row = page.get_by_test_id(f"ticket-{code}-covered")
    assert row.is_visible()
    assert page.get_by_test_id(f"ticket-state-{ticket_id}").inner_text() == "접수"
    assert "가림" in row.inner_text()
    assert "긴급" in row.inner_text()  # covered: critical severity, 8 h SLA
