"""Data-subject requests in Chromium (ORD-29, PIPA-4): a citizen files the public form
without logging in and keeps the receipt number and secret; the privacy officer verifies
identity, sets the camera, is stopped from refusing because "a third party is visible",
grants the viewing; the citizen's status page then shows the decision."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from live import LiveServer
from sqlalchemy import select
from test_foundation_flows import login

from gwanje.registry.models import Camera


def _local(server: LiveServer, hours_ago: float) -> str:
    zone = ZoneInfo(server.ctx.settings.registry.timezone)
    return (datetime.now(zone) - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M")


def _camera(server: LiveServer) -> str:
    with server.ctx.sessions() as session:
        code = session.scalar(select(Camera.code).where(Camera.status == "linked")
                              .order_by(Camera.code))  # fmt: skip
    assert code is not None
    return code


def _citizen_files(page: Any, server: LiveServer) -> tuple[str, str]:
    page.goto(f"{server.url}/")
    page.get_by_test_id("nav-subject-request").click()
    form = page.get_by_test_id("public-form")
    form.locator("select[name=kind]").select_option("viewing")
    form.locator("input[name=applicant_name]").fill("홍길동")
    form.locator("input[name=applicant_contact]").fill("010-1234-5678")
    form.locator("input[name=place]").fill("여수시청 앞 교차로")
    form.locator("input[name=start_at]").fill(_local(server, 3))
    form.locator("input[name=end_at]").fill(_local(server, 2))
    form.locator("textarea[name=purpose]").fill("주차 차량 파손 경위 확인")
    page.get_by_test_id("public-submit").click()
    receipt = page.get_by_test_id("receipt-no").inner_text().strip()
    secret = page.get_by_test_id("receipt-secret").inner_text().strip()
    return receipt, secret


def _status(page: Any, server: LiveServer, receipt: str, secret: str) -> str:
    page.goto(f"{server.url}/subject-request/status")
    form = page.get_by_test_id("status-form")
    form.locator("input[name=receipt_no]").fill(receipt)
    form.locator("input[name=secret]").fill(secret)
    page.get_by_test_id("status-submit").click()
    return str(page.get_by_test_id("status-state").inner_text())


def test_a_citizen_request_is_verified_decided_and_the_status_shows_it(
    page: Any, live_server: LiveServer
) -> None:
    receipt, secret = _citizen_files(page, live_server)
    assert receipt.startswith("SR-")
    assert _status(page, live_server, receipt, secret) == "접수 (본인확인 전)"
    login(page, live_server, "officer")
    page.get_by_test_id("menu-protect").locator("summary").click()  # the nav groups links
    page.get_by_test_id("nav-subjects").click()
    page.get_by_role("link", name=receipt).click()
    page.get_by_test_id("doc-id_card").check()
    page.get_by_test_id("verify").click()
    page.wait_for_selector("[data-testid=grant-form]")
    assert page.get_by_test_id("subject-state").inner_text() == "본인확인 완료"
    page.get_by_test_id("camera-code-0").fill(_camera(live_server))
    page.get_by_test_id("resolve").click()
    page.wait_for_selector("[data-testid=grant-form]")
    assert _camera(live_server) in page.get_by_test_id("subject-cameras").inner_text()
    page.get_by_test_id("refuse-ground").select_option("others_privacy")
    page.get_by_test_id("refuse-reason").fill("제3자가 찍혀 있음")
    page.get_by_test_id("refuse").click()
    assert "거부 사유가 될 수 없습니다" in page.get_by_test_id("subject-error").inner_text()
    page.get_by_test_id("grant").click()
    page.wait_for_selector("[data-testid=release-form]")
    assert page.get_by_test_id("subject-state").inner_text() == "허용"
    assert "허용" in page.get_by_test_id("subject-timeline").inner_text()
    page.context.clear_cookies()
    assert _status(page, live_server, receipt, secret) == "허용"
    assert "마스킹" in page.get_by_test_id("status-result").inner_text()
