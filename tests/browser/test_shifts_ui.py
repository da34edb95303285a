"""Shifts in Chromium: a handover recorded with its checklist and both leads' own
signatures; tour mode hides every tile of an open wall and the server refuses video."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from live import LiveServer
from test_foundation_flows import login

from gwanje.people import service as people
from gwanje.registry.service import system_principal
from gwanje.shifts import patterns
from gwanje.shifts.models import ShiftDuty, ShiftSlot
from gwanje.shifts.roster import Roster


def _two_shifts(server: LiveServer) -> None:
    """operator (최관제) leads the shift on now; police (강경찰) leads the next one."""
    ctx = server.ctx
    now = ctx.clock.now()
    manager = system_principal("test")
    with ctx.transaction() as session:
        roster = Roster(session, ctx.settings, ctx.clock, manager)
        ids = {}
        for n, username, kind in (
            (1, "operator", "professional_operator"),
            (2, "police", "police_officer"),
        ):
            roster.create_team(str(n), f"{n}조")
            person = people.person_by_username(session, username)
            assert person is not None
            roster.set_staff(person.id, kind, str(n), lead=True)
            ids[n] = person.id
        shift = [{"code": "s1", "label": "근무", "start": "00:00", "hours": 2}]
        spec = patterns.parse("ui", "UI", shift, ["s1"], {"1": 0}, "2026-01-01")
        pattern = roster.create_pattern(spec)
        for n, start in ((1, now - timedelta(hours=1)), (2, now + timedelta(hours=1))):
            team = roster._team(str(n))
            slot = ShiftSlot(
                pattern_id=pattern.id,
                day=start.date().isoformat(),
                shift_code=f"s{n}",
                label=f"{n}근무",
                start_at=start,
                end_at=start + timedelta(hours=2),
                team_id=team.id,
            )
            session.add(slot)
            session.flush()
            session.add(
                ShiftDuty(
                    slot_id=slot.id, person_id=ids[n], lead=True, origin="pattern", active=True
                )
            )


def test_a_handover_is_recorded_with_its_checklist_and_both_signatures(
    page: Any, live_server: LiveServer
) -> None:
    _two_shifts(live_server)
    login(page, live_server, "operator")
    page.goto(f"{live_server.url}/shifts")
    page.get_by_test_id("open-handover").click()
    page.wait_for_selector("[data-testid=handover-state]")
    page.get_by_test_id("sign-outgoing").click()  # nothing checked yet: refused
    assert "no_video_out" in page.get_by_test_id("handover-error").inner_text()
    for key in ("no_video_out", "equipment", "incidents"):
        page.get_by_test_id(f"item-{key}").check()
    page.get_by_test_id("handover-notes").fill("3번 모니터 밝기 낮음, 유지보수 요청함")
    page.get_by_test_id("save-checklist").click()
    page.get_by_test_id("sign-outgoing").click()
    assert page.get_by_test_id("handover-state").inner_text() == "인계자 서명 완료"
    assert "최관제" in page.get_by_test_id("sig-outgoing").inner_text()
    url = page.url
    page.context.clear_cookies()
    login(page, live_server, "police")
    page.goto(url)
    page.get_by_test_id("sign-incoming").click()
    assert page.get_by_test_id("handover-state").inner_text() == "완료 (양측 서명)"
    assert "강경찰" in page.get_by_test_id("sig-incoming").inner_text()
    assert page.get_by_test_id("item-no_video_out").is_checked()
    assert "유지보수 요청함" in page.get_by_test_id("handover-notes").input_value()


def _socket_code(page: Any, camera_id: str) -> Any:
    return page.evaluate(
        """(id) => new Promise((resolve) => {
            const ws = new WebSocket(`ws://${location.host}/live/${id}/main`);
            ws.onopen = () => { resolve("open"); ws.close(); };
            ws.onclose = (ev) => resolve(ev.code);
        })""",
        camera_id,
    )


def test_tour_mode_hides_the_wall(page: Any, live_server: LiveServer) -> None:
    login(page, live_server, "manager")
    page.goto(f"{live_server.url}/wall")
    page.wait_for_selector("[data-testid^=tree-camera-]")
    page.get_by_test_id("grid-4").click()
    page.get_by_test_id("tile-0").click()
    page.locator("[data-testid^=tree-camera-]").first.click()
    page.wait_for_selector("[data-testid=tile-video-0]")
    camera = page.evaluate("() => document.querySelector('[data-testid=tile-0]').dataset.camera")
    from sqlalchemy import select

    from gwanje.registry.models import Camera

    with live_server.ctx.sessions() as session:
        camera_id = str(session.scalar(select(Camera.id).where(Camera.code == camera)))
    other = page.context.new_page()  # the head switches tour mode from another screen
    other.goto(f"{live_server.url}/shifts")
    other.get_by_test_id("tour-switch").click()
    assert "켜짐" in other.get_by_test_id("tour-state").inner_text()
    page.wait_for_selector("[data-testid=tile-hidden-0]", timeout=15_000)  # the open wall follows
    assert page.locator("video").count() == 0
    assert _socket_code(page, camera_id) in (1006, 1008)  # refused at the handshake
    page.reload()
    page.wait_for_selector("[data-testid=tile-hidden-0]")  # a wall opened during the tour
    other.goto(f"{live_server.url}/shifts")
    other.get_by_test_id("tour-switch").click()
    assert "꺼짐" in other.get_by_test_id("tour-state").inner_text()
    page.wait_for_selector("[data-testid=tile-video-0]", timeout=15_000)
    assert _socket_code(page, camera_id) == "open"
    other.close()
