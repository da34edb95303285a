"""The foundation's flows as a person does them, in Chromium: log in, create a camera and
take it through its lifecycle to linked, be refused what one's role does not allow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from live import ARTIFACTS, LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def login(page: Any, server: LiveServer, username: str, password: str | None = None) -> None:
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password or server.password_of(username))
    page.click("button[type=submit]")


def test_wrong_password_is_refused_in_korean(page: Any, live_server: LiveServer) -> None:
    login(page, live_server, "manager", "not-the-password")
    error = page.get_by_test_id("login-error")
    assert error.is_visible()
    assert any("\uac00" <= ch <= "\ud7a3" for ch in error.inner_text())  # Hangul
    assert page.get_by_test_id("current-user").count() == 0


def test_create_a_camera_and_link_it(page: Any, live_server: LiveServer) -> None:
    login(page, live_server, "manager")
    assert page.get_by_test_id("current-user").inner_text() == "이총괄"
    page.goto(f"{live_server.url}/cameras/new")
    fields = {
        "code": "YS-BRW-0001",
        "name": "브라우저 시험 카메라",
        "district": "중앙동",
        "address": "여수시 중앙로 1",
        "latitude": "34.7400",
        "longitude": "127.7350",
        "installer_body": "여수시",
        "install_contractor": "한빛정보통신(주)",
        "install_contractor_reg_no": "제2024-전남-0012호",
        "installed_on": "2025-03-02",
        "end_of_life_on": "2032-03-02",
        "consultation_date": "2025-01-15",
        "consultation_experts": "방범 전문가 2인 찬성",
        "consultation_residents": "주민 설명회 찬성 다수",
        "signage_installed_on": "2025-03-05",
        "signage_purpose": "범죄 예방",
        "signage_location": "중앙로 1 교차로",
        "signage_range": "교차로 반경 30m",
        "signage_hours": "24시간",
        "signage_manager_name": "스마트도시과",
        "signage_manager_contact": "061-659-0000",
        "main_stream_url": "rtsp://127.0.0.1:8554/cam900/main",
        "stream_username": "viewer",
        "stream_password": "s3cret-pass",
    }
    for name, value in fields.items():
        page.get_by_test_id(f"field-{name}").fill(value)
    page.get_by_test_id("purpose-crime_prevention").check()
    for check in ("std_standard_product", "std_multi_purpose", "std_integrable"):
        page.get_by_test_id(f"field-{check}").check()
    page.get_by_test_id("camera-save").click()

    assert page.get_by_test_id("camera-title").inner_text().startswith("YS-BRW-0001")
    for action in ("consult", "install", "link"):
        page.get_by_test_id(f"action-{action}").click()
        page.wait_for_load_state()
    assert page.get_by_test_id("camera-status").get_attribute("data-status") == "linked"
    assert "s3cret-pass" not in page.content()  # credentials never shown back
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "camera-linked.png"), full_page=True)


def test_operator_is_denied_creating_a_camera(page: Any, live_server: LiveServer) -> None:
    login(page, live_server, "operator")
    assert page.get_by_test_id("current-user").is_visible()
    response = page.goto(f"{live_server.url}/cameras/new")
    assert response is not None
    assert response.status == 403
    assert "camera.write" in page.get_by_test_id("error-message").inner_text()


def test_camera_registry_and_map_render(page: Any, live_server: LiveServer) -> None:
    login(page, live_server, "manager")
    page.goto(f"{live_server.url}/cameras")
    assert page.locator("tbody tr").count() >= 20
    page.screenshot(path=str(Path(ARTIFACTS) / "registry-list.png"), full_page=True)
    page.goto(f"{live_server.url}/cameras/map")
    assert page.locator("svg circle, svg [data-camera-id]").count() >= 20
