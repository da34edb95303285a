"""Out-of-shift flags from real audit entries (live view starts, incident actions), the
grace around a shift, and the monthly access review using them."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from registry.helpers import departments, make_camera
from shifts_kit import Crew, crew

from gwanje.audit import Actor
from gwanje.clock import FakeClock
from gwanje.console import service as console
from gwanje.context import Gwanje
from gwanje.operations.incidents import IncidentInput, Incidents
from gwanje.registry.models import CameraStatus
from gwanje.reports import access_review
from gwanje.shifts import flags

SEOUL = ZoneInfo("Asia/Seoul")


def _live(ctx: Gwanje, team: Crew, who: str, camera: int) -> None:
    with console.console_transaction(ctx) as session:
        console.authorize_live(
            session, ctx.clock, team.principal(who), camera, "main", "10.0.0.7", "view"
        )


def _scene(ctx: Gwanje, clock: FakeClock) -> tuple[Crew, int]:
    team = crew(ctx)
    camera = make_camera(ctx, "SHIFT-1", departments(ctx)["SAFETY"], CameraStatus.LINKED)
    clock.set(datetime(2026, 1, 1, 12, tzinfo=SEOUL))  # team 1 on days
    _live(ctx, team, "op1", camera)  # on duty: fine
    _live(ctx, team, "op2", camera)  # team 2 is off on 1 Jan: flagged
    clock.set(datetime(2026, 1, 1, 8, 45, tzinfo=SEOUL))  # 15 min before op1's shift: grace
    _live(ctx, team, "op1", camera)
    clock.set(datetime(2026, 1, 1, 19, 0, tzinfo=SEOUL))  # an hour after op1's shift
    with ctx.transaction() as session:
        Incidents(session, ctx.settings, ctx.clock, team.principal("op1")).open(
            IncidentInput(type="crime", severity="high", title="야간 순찰 중 발견")
        )
    return team, camera


def test_live_views_and_incident_actions_outside_the_shift_are_flagged(
    any_ctx: Gwanje, clock: FakeClock
) -> None:
    _scene(any_ctx, clock)
    start = datetime(2026, 1, 1, tzinfo=SEOUL)
    with any_ctx.sessions() as session:
        found = flags.out_of_shift(session, any_ctx.settings, start, start + timedelta(days=1))
    assert [(f.actor, f.event_type) for f in found] == [
        ("op2", "video.live_started"),
        ("op1", "incident.opened"),
    ]
    assert found[0].camera_ids != ()
    assert found[0].source_ip == "10.0.0.7"


def test_the_monthly_access_review_flags_out_of_shift_access(
    any_ctx: Gwanje, clock: FakeClock
) -> None:
    _scene(any_ctx, clock)
    clock.set(datetime(2026, 2, 3, tzinfo=SEOUL))
    with any_ctx.transaction() as session:
        review = access_review.build_review(session, any_ctx.settings, any_ctx.clock, "2026-01")
        data = access_review.render_pdf(review, any_ctx.settings, "ko")
        access_review.audit_generated(
            session, any_ctx.clock, review, Actor.system("t"), None, "pdf", "test"
        )
    assert review.shift_checked
    shift = [a for a in review.anomalies if a.kind == access_review.AnomalyKind.OUT_OF_SHIFT]
    assert [(a.actor, a.count) for a in shift] == [("op1", 1), ("op2", 1)]
    assert data.startswith(b"%PDF")
