"""Access requests in Chromium (ORD-28): a police officer files a request, a missing
letter number is refused in Korean, the approver approves it naming the viewer; an urgent
request approved at once by the department's operations manager is recalled when the
mayor's follow-up is refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from live import LiveServer
from sqlalchemy import select
from test_foundation_flows import login

from gwanje.people.models import Department
from gwanje.registry.models import Camera


def _local(server: LiveServer, hours_ago: float) -> str:
    zone = ZoneInfo(server.ctx.settings.registry.timezone)
    return (datetime.now(zone) - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%S")


def _camera_of(server: LiveServer, department: str) -> str:
    with server.ctx.sessions() as session:
        code = session.scalar(
            select(Camera.code).join(Department, Department.id == Camera.department_id)
            .where(Department.code == department, Camera.status == "linked")
            .order_by(Camera.code)
        )  # fmt: skip
    assert code is not None
    return code


def _file(page: Any, server: LiveServer, camera: str, basis: str, letter: str = "") -> None:
    page.goto(f"{server.url}/requests")
    form = page.get_by_test_id("request-form")
    form.locator("select[name=requester_kind]").select_option("police")
    form.locator("input[name=requester_org]").fill("여수경찰서")
    form.locator("input[name=requester_name]").fill("강경찰")
    form.locator("select[name=kind]").select_option("view")
    form.locator("select[name=legal_basis]").select_option(basis)
    form.locator("input[name=letter_no]").fill(letter)
    form.locator("input[name=crime_type]").fill("절도" if basis == "investigation" else "")
    form.locator("textarea[name=purpose]").fill("용의자 동선 확인")
    form.locator("input[name=camera_code]").fill(camera)
    form.locator("input[name=start_at]").fill(_local(server, 3))
    form.locator("input[name=end_at]").fill(_local(server, 2))
    page.get_by_test_id("request-submit").click()


def test_a_police_request_is_filed_refused_when_incomplete_and_approved(
    page: Any, live_server: LiveServer
) -> None:
    camera = _camera_of(live_server, "SAFETY")
    login(page, live_server, "police")
    _file(page, live_server, camera, "investigation", letter="")  # no 공문번호
    error = page.get_by_test_id("request-error")
    assert "공문번호" in error.inner_text()
    _file(page, live_server, camera, "investigation", letter="여수서 형사과-2026-501")
    assert page.get_by_test_id("request-state").inner_text() == "승인 대기"
    letter = "%PDF-1.4\n% 여수경찰서 형사과-2026-501\n%%EOF\n".encode()
    page.get_by_test_id("attach-file").set_input_files(
        {"name": "공문.pdf", "mimeType": "application/pdf", "buffer": letter})
    page.get_by_test_id("attach").click()
    assert "공문.pdf" in page.get_by_test_id("attachments").inner_text()
    url = page.url
    page.context.clear_cookies()
    login(page, live_server, "approver")
    page.goto(url)
    page.get_by_test_id("grantees").fill("police")
    page.get_by_test_id("approve").click()
    page.wait_for_selector("[data-testid=grant]")
    assert page.get_by_test_id("request-state").inner_text() == "승인"
    assert "police" in page.get_by_test_id("grant").inner_text()


def test_an_emergency_approval_is_recalled_when_the_follow_up_is_refused(
    page: Any, live_server: LiveServer
) -> None:
    camera = _camera_of(live_server, "TRAFFIC")
    login(page, live_server, "police")
    _file(page, live_server, camera, "emergency", letter="긴급-7")
    url = page.url
    page.context.clear_cookies()
    login(page, live_server, "traffic")  # the operations manager of TRAFFIC
    page.goto(url)
    page.get_by_test_id("grantees").fill("police")
    page.get_by_test_id("emergency").click()
    page.wait_for_selector("[data-testid=followup-due]")
    assert "긴급 승인" in page.get_by_test_id("request-state").inner_text()
    page.context.clear_cookies()
    login(page, live_server, "approver")
    page.goto(url)
    page.get_by_test_id("reason").fill("긴급성 소명 부족")
    page.get_by_test_id("refuse").click()
    page.wait_for_function(
        "document.querySelector('[data-testid=request-state]').textContent === '회수'"
    )
    assert "recalled" in page.get_by_test_id("grant").inner_text()
