"""A camera image fault that may be tampering (covered, turned away) opens an incident
for the operators beside its maintenance ticket; other faults open only the ticket, and
a fault still open does not open a second incident (issue 6: incidents "by a camera
health event")."""

from __future__ import annotations

from datetime import timedelta

from registry.helpers import departments, make_camera
from sqlalchemy import select

from gwanje.camhealth.models import MaintenanceTicket
from gwanje.camhealth.monitor import apply_image_reports
from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.media.recorder.messages import HealthChanged, StreamKey
from gwanje.operations.models import Incident
from gwanje.registry.models import CameraStatus


def report(camera: int, state: str, clock: FakeClock) -> HealthChanged:
    return HealthChanged(StreamKey(camera, "sub"), clock.now(), state, f"{state} for 15 s")


def test_covered_opens_an_incident_frozen_only_a_ticket(any_ctx: Gwanje, clock: FakeClock) -> None:
    safety = departments(any_ctx)["SAFETY"]
    covered = make_camera(any_ctx, "HL-1", safety, CameraStatus.LINKED)
    frozen = make_camera(any_ctx, "HL-2", safety, CameraStatus.LINKED)
    apply_image_reports(
        any_ctx, [report(covered, "covered", clock), report(frozen, "frozen", clock)]
    )
    clock.advance(timedelta(minutes=1))
    apply_image_reports(any_ctx, [report(covered, "image_ok", clock)])
    clock.advance(timedelta(minutes=1))
    apply_image_reports(any_ctx, [report(covered, "covered", clock)])  # again, ticket open
    with any_ctx.sessions() as session:
        incidents = session.scalars(select(Incident)).all()
        tickets = session.scalars(select(MaintenanceTicket).order_by(MaintenanceTicket.id)).all()
    assert len(tickets) == 2
    assert [(t.camera_id, t.kind) for t in tickets] == [(covered, "covered"), (frozen, "frozen")]
    (incident,) = incidents
    assert (incident.source, incident.type, incident.state) == ("health", "other", "open")
    assert [c.camera_id for c in incident.cameras] == [covered]
    assert "HL-1" in incident.title
    assert "가림" in incident.title
