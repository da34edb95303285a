"""The incidents API and pages: who may read and act, a receiver's acknowledgement with
its token (JSON for systems, a page with a button for people), clear errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from receivers import HttpReceiver, http_receiver
from registry.helpers import departments, make_camera
from retention.retention_kit import person
from webclient import client_as, principal_for

from gwanje.auth.permissions import Role
from gwanje.context import Gwanje
from gwanje.operations.config import OperationsSettings
from gwanje.operations.notify import outbox
from gwanje.operations.notify.dispatcher import Dispatcher
from gwanje.registry.models import CameraStatus
from gwanje.web.app import create_app


@pytest.fixture
def site(ctx: Gwanje) -> Iterator[dict[str, Any]]:
    with http_receiver() as hook:
        ops = OperationsSettings.model_validate({
            "recipients": [{"name": "police_112", "label": "112 종합상황실", "channels": [
                {"kind": "webhook", "url": hook.url, "secret": "s3cret-hook"}]},
                {"name": "dept_traffic", "label": "교통행정과", "channels": [
                    {"kind": "webhook", "url": hook.url, "secret": "s3cret-hook"}]}],
            "routes": {"crime": ["police_112"]},
        })  # fmt: skip
        ctx = replace(ctx, settings=ctx.settings.model_copy(update={"operations": ops}))
        make_camera(ctx, "WEB-1", departments(ctx)["SAFETY"], CameraStatus.LINKED)
        app = create_app(ctx)
        operator = principal_for(Role.OPERATOR, person_id=person(ctx, "choi"), username="choi")
        dispatcher = Dispatcher(ctx)
        try:
            yield {"ctx": ctx, "app": app, "hook": hook, "dispatcher": dispatcher,
                   "operator": client_as(app, operator)}  # fmt: skip
        finally:
            dispatcher.close()


BODY = {"type": "crime", "severity": "high", "title": "시장 앞 절도", "cameras": ["WEB-1"],
        "location": "중앙시장"}  # fmt: skip


def test_open_deliver_and_acknowledge_through_the_api(site: dict[str, Any]) -> None:
    made = site["operator"].post("/api/incidents", json=BODY)
    assert made.status_code == 201, made.text
    incident = made.json()
    assert incident["cameras"][0]["code"] == "WEB-1"
    assert [n["state"] for n in incident["notifications"]] == ["pending"]
    site["dispatcher"].run_once()
    hook: HttpReceiver = site["hook"]
    sent = hook.bodies()[0]
    anonymous = client_as(site["app"], None)
    wrong = anonymous.post(sent["ack"]["url"].split("8000", 1)[-1], json={"token": "f" * 32})
    assert wrong.status_code == 403
    path = f"/api/notifications/{sent['id']}/ack"
    assert anonymous.post(path, json={"token": sent["ack"]["token"]}).json()["state"] == (
        "acknowledged")  # fmt: skip
    assert anonymous.post(path, json={"token": sent["ack"]["token"]}).status_code == 403  # once
    seen = site["operator"].get(f"/api/incidents/{incident['id']}").json()
    assert seen["notifications"][0]["acked_via"] == "token"
    kinds = [e["kind"] for e in seen["timeline"]]
    assert kinds == ["opened", "queued", "sent", "acknowledged"]


def test_a_person_acknowledges_from_the_link_without_logging_in(site: dict[str, Any]) -> None:
    site["operator"].post("/api/incidents", json=BODY)
    site["dispatcher"].run_once()
    sent = site["hook"].bodies()[0]
    anonymous = client_as(site["app"], None)
    token = outbox.ack_token(site["ctx"].settings.secret(), sent["id"])
    page = anonymous.get(f"/ack/{sent['id']}?token={token}")
    assert page.status_code == 200
    assert "수신 확인" in page.text
    assert "acknowledged" not in site["operator"].get("/api/incidents").text  # GET changed nothing
    assert re.search(rf'name="token" value="{token}"', page.text)
    done = anonymous.post(f"/ack/{sent['id']}", data={"token": token})
    assert "수신 확인이 기록되었습니다" in done.text
    again = anonymous.post(f"/ack/{sent['id']}", data={"token": token})
    assert again.status_code == 403
    assert "수신 확인이 거부되었습니다" in again.text


def test_staff_pages_notify_another_recipient_and_record_a_phone_call(
    site: dict[str, Any],
) -> None:
    operator = site["operator"]
    listing = operator.get("/incidents?camera=WEB-1")
    assert 'value="WEB-1"' in listing.text  # prefilled from the wall
    csrf = "x"  # the in-process principal needs no CSRF token (no session cookie)
    opened = operator.post("/incidents", data={**{k: v for k, v in BODY.items() if k != "cameras"},
                                               "cameras": "WEB-1", "csrf_token": csrf},
                           follow_redirects=False)  # fmt: skip
    assert opened.status_code == 303
    url = opened.headers["location"]
    incident_id = int(url.rsplit("/", 1)[1])
    act = f"{url}/act"
    assert operator.post(act, data={"action": "notify", "recipient": "dept_traffic"},
                         follow_redirects=False).status_code == 303  # fmt: skip
    site["dispatcher"].run_once()
    rows = operator.get(f"/api/incidents/{incident_id}").json()["notifications"]
    assert [(n["recipient"], n["state"]) for n in rows] == [
        ("police_112", "sent"),
        ("dept_traffic", "sent"),
    ]
    phoned = operator.post(act, data={"action": "ack", "notification": rows[1]["id"],
                                      "text": "교통행정과 박주무관 통화"},
                           follow_redirects=False)  # fmt: skip
    assert phoned.status_code == 303
    page = operator.get(url).text
    assert "박주무관" in page
    closed = operator.post(act, data={"action": "close", "text": ""})
    assert closed.status_code == 422  # a closing note is required
    assert "상황 정보가 올바르지 않습니다" in closed.text


def test_who_may_read_and_act(site: dict[str, Any]) -> None:
    app = site["app"]
    made = site["operator"].post("/api/incidents", json=BODY).json()
    auditor = client_as(app, principal_for(Role.AUDITOR, username="audit"))
    assert auditor.get(f"/api/incidents/{made['id']}").status_code == 200
    assert auditor.post(f"/api/incidents/{made['id']}/notes", json={"text": "x"}).status_code == 403
    contractor = client_as(app, principal_for(Role.CONTRACTOR, username="fix"))
    assert contractor.get("/api/incidents").status_code == 403
    assert client_as(app, None).get("/api/incidents").status_code == 401


@pytest.mark.parametrize(
    ("change", "status"),
    [({"type": "ufo"}, 422), ({"title": ""}, 422), ({"cameras": "WEB-1"}, 422),
     ({"cameras": ["NOPE"]}, 422), ({"severity": 3}, 422)],
)  # fmt: skip
def test_bad_incidents_get_clear_errors(site: dict[str, Any], change: dict[str, Any],
                                        status: int) -> None:  # fmt: skip
    answer = site["operator"].post("/api/incidents", json={**BODY, **change})
    assert answer.status_code == status
    assert answer.json()["message"]
    assert site["operator"].post("/api/incidents", content=b"{not json").status_code == 422
