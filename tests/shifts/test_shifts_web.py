"""The shifts API and pages: on duty now, a handover through the API, tour mode that the
live WebSocket enforces, who may do what."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from registry.helpers import departments, make_camera
from shifts_kit import crew
from starlette.websockets import WebSocketDisconnect
from webclient import client_as, principal_for

from gwanje.auth.permissions import Role
from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.registry.models import CameraStatus
from gwanje.shifts import tour
from gwanje.web.app import create_app

SEOUL = ZoneInfo("Asia/Seoul")


def test_on_duty_handover_and_the_situation_log_over_http(ctx: Gwanje, clock: FakeClock) -> None:
    team = crew(ctx)
    clock.set(datetime(2026, 1, 1, 17, 45, tzinfo=SEOUL))
    app = create_app(ctx)
    lead1, lead4 = client_as(app, team.principal("lead1")), client_as(app, team.principal("lead4"))
    duty = lead1.get("/api/shifts/on-duty").json()["on_duty"]
    assert [d["username"] for d in duty] == ["lead1", "op1"]
    made = lead1.post("/api/handovers", json={"from_slot_id": duty[0]["slot_id"]})
    assert made.status_code == 201, made.text
    hid = made.json()["id"]
    refused = lead1.post(f"/api/handovers/{hid}/sign", json={"side": "outgoing"})
    assert refused.status_code == 422
    assert "no_video_out" in refused.json()["message"]
    checked = {"no_video_out": True, "equipment": True, "incidents": True}
    assert lead1.post(f"/api/handovers/{hid}/check", json={"checked": checked}).status_code == 200
    assert lead1.post(f"/api/handovers/{hid}/sign", json={"side": "outgoing"}).status_code == 200
    done = lead4.post(f"/api/handovers/{hid}/sign", json={"side": "incoming"}).json()
    assert done["state"] == "complete"
    page = lead1.get("/shifts/log?day=2026-01-01&shift=day")
    assert page.status_code == 200
    assert "완료 (양측 서명)" in page.text
    pdf = lead1.get("/shifts/log.pdf?day=2026-01-01&shift=day")
    assert pdf.headers["content-type"] == "application/pdf"
    assert client_as(app, principal_for(Role.CONTRACTOR)).get("/shifts").status_code == 403


def test_tour_mode_hides_the_wall_and_the_live_socket_refuses(ctx: Gwanje) -> None:
    camera = make_camera(ctx, "TOUR-1", departments(ctx)["SAFETY"], CameraStatus.LINKED)
    app = create_app(ctx)
    operator = client_as(app, principal_for(Role.OPERATOR, person_id=None, username="op"))  # type: ignore[arg-type]
    auditor = client_as(app, principal_for(Role.AUDITOR))
    assert auditor.post("/api/tour", json={"active": True}).status_code == 403
    assert operator.post("/api/tour", json={"active": True, "reason": "초등학교 견학"}).json()[
        "active"
    ]
    tour._cache.clear()
    assert 'data-tour="1"' in operator.get("/wall").text
    with pytest.raises(WebSocketDisconnect) as closed:  # noqa: SIM117
        with operator.websocket_connect(
            f"/live/{camera}/main", headers={"origin": "http://testserver"}
        ) as socket:
            socket.receive_text()
    assert closed.value.code == 1008
    assert closed.value.reason == "shifts.tour.active"
    assert operator.post("/api/tour", json={"active": False}).json()["active"] is False
    assert operator.post("/api/tour", json={"active": False}).status_code == 409
