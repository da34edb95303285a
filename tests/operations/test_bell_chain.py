"""The issue's Done-when, end to end over real transports: a simulated bell gateway
presses a bell over MQTT (Mosquitto) and another over HTTP (uvicorn) → each opens an
incident (source bell, the linked camera) → the walls' alarm list shows the camera → the
notifications reach a webhook receiver and an MQTT subscriber → one incident's
notifications are acknowledged (token callback over HTTP, token over MQTT), the other's
are not and escalate when the window passes (simulated clock)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from bell_kit import bell_with_camera, gateway
from browser.live import LiveServer
from receivers import MQTT_URL, http_receiver, mqtt_subscriber, publish, wait_for
from registry.helpers import audit_rows
from retention.retention_kit import person
from sqlalchemy import select

from gwanje.auth import service as auth_service
from gwanje.auth.permissions import Role
from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.media.camsim.bells import BellGateway
from gwanje.operations.bells_config import BellSettings
from gwanje.operations.bells_models import BellCall
from gwanje.operations.bells_mqtt import BellListener
from gwanje.operations.config import OperationsSettings
from gwanje.operations.models import Incident, Notification
from gwanje.operations.notify.dispatcher import AckListener, Dispatcher
from gwanje.people import service as people

SECRET = "chain-hook-secret"


@pytest.fixture
def chain(ctx: Gwanje) -> Iterator[dict[str, Any]]:
    topic = f"gwanje-test/{uuid.uuid4().hex[:10]}"
    prefix = f"bells-{uuid.uuid4().hex[:8]}"
    with http_receiver() as hook:
        ops = OperationsSettings.model_validate({
            "recipients": [
                {"name": "police_112", "label": "112 종합상황실", "ack_timeout_s": 120,
                 "escalate_to": ["center_head"], "channels": [
                    {"kind": "webhook", "url": hook.url, "secret": SECRET},
                    {"kind": "mqtt", "topic": topic}]},
                {"name": "center_head", "label": "관제센터장", "channels": [
                    {"kind": "webhook", "url": hook.url, "secret": SECRET}]}],
            "routes": {"crime": ["police_112"]}, "mqtt_url": MQTT_URL, "mqtt_prefix": prefix,
            "dispatch_interval_s": 3600,  # this test runs the rounds itself
        })  # fmt: skip
        # The app's own bell listener stays off: the test's listener (the same class)
        # reports when it is subscribed, so no press is published into the void.
        update = {"operations": ops, "bells": BellSettings(mqtt=False)}
        ctx = replace(ctx, settings=ctx.settings.model_copy(update=update))
        bell_with_camera(ctx, "BELL-1", "BCAM-1")
        bell_with_camera(ctx, "BELL-2", "BCAM-2")
        _, token = gateway(ctx)
        server = LiveServer(ctx, [])
        server.start()
        listeners = [BellListener(ctx), AckListener(ctx)]
        dispatcher = Dispatcher(ctx)
        try:
            assert all(listener.subscribed.wait(10) for listener in listeners)
            gw = BellGateway(token, base_url=server.url, mqtt_url=MQTT_URL, mqtt_prefix=prefix)
            yield {"ctx": ctx, "server": server, "hook": hook, "topic": topic, "prefix": prefix,
                   "dispatcher": dispatcher, "gateway": gw}  # fmt: skip
        finally:
            dispatcher.close()
            for listener in listeners:
                listener.close()
            server.stop()


def operator_token(ctx: Gwanje) -> str:
    person_id = person(ctx, "choi")
    with ctx.transaction() as session:
        people.grant_role(session, ctx.clock, people.SYSTEM, person_id, Role.OPERATOR.value)
        return auth_service.create_token(session, ctx.clock, people.SYSTEM, person_id, "wall")[1]


def calls(ctx: Gwanje) -> list[BellCall]:
    with ctx.sessions() as session:
        return list(session.scalars(select(BellCall).order_by(BellCall.id)))


def notifications(ctx: Gwanje, incident_id: int) -> list[tuple[str, str, str, int]]:
    with ctx.sessions() as session:
        rows = session.scalars(select(Notification).where(Notification.incident_id == incident_id)
                               .order_by(Notification.id))  # fmt: skip
        return [(n.recipient, n.channel, n.state, n.level) for n in rows]


def test_bell_press_to_acknowledged_and_escalated_notifications(chain: dict[str, Any]) -> None:
    ctx, gw, url = chain["ctx"], chain["gateway"], chain["server"].url
    clock = ctx.clock
    assert isinstance(clock, FakeClock)
    # 1. Presses: over MQTT (twice: one activation), over HTTP; refusals are clear.
    gw.press_mqtt("BELL-1")
    gw.press_mqtt("BELL-1")
    assert wait_for(lambda: len(calls(ctx)) == 1 and calls(ctx)[0].presses == 2)
    answer = gw.press_http("BELL-2")
    assert answer.status_code == 202, answer.text
    assert answer.json()["duplicate"] is False
    unknown = gw.press_http("BELL-404")
    assert unknown.status_code == 404
    assert "BELL-404" in unknown.json()["message"]
    assert audit_rows(ctx, "bell.press_refused")
    assert httpx.post(f"{url}/api/bells/BELL-1/press").status_code == 401  # never public
    staff = {"Authorization": f"Bearer {operator_token(ctx)}"}
    assert httpx.post(f"{url}/api/bells/BELL-1/press", headers=staff).status_code == 403
    by_mqtt, by_http = calls(ctx)
    assert (by_mqtt.via, by_http.via) == ("mqtt", "http")
    with ctx.sessions() as session:
        opened = [session.get(Incident, c.incident_id) for c in (by_mqtt, by_http)]
        assert [(i.source, [c.camera_id for c in i.cameras]) for i in opened if i] == [
            ("bell", [by_mqtt.camera_id]), ("bell", [by_http.camera_id])]  # fmt: skip
    # 2. The walls' alarm list (what /ws/alarms pushes) pops both cameras up.
    alarms = httpx.get(f"{url}/api/alarms", headers=staff).json()["alarms"]
    assert {(a["bell_code"], a["camera"]["code"], a["alarm"]) for a in alarms} == {
        ("BELL-1", "BCAM-1", True), ("BELL-2", "BCAM-2", True)}  # fmt: skip
    # 3. Delivered over the webhook and MQTT.
    with mqtt_subscriber(chain["topic"]) as got:
        assert chain["dispatcher"].run_once().sent == 4
        assert wait_for(lambda: len(got) == 2)
    hooks = {b["incident"]["id"]: b for b in chain["hook"].bodies()}
    mqtt_by_incident = {json.loads(p)["incident"]["id"]: json.loads(p) for _, p in got}
    assert hooks[by_mqtt.incident_id]["incident"]["cameras"][0]["code"] == "BCAM-1"
    # 4. The first incident's police acknowledge: webhook by callback, MQTT by token.
    sent = hooks[by_mqtt.incident_id]
    acked = httpx.post(f"{url}/api/notifications/{sent['id']}/ack",
                       json={"token": sent["ack"]["token"]})  # fmt: skip
    assert acked.json()["state"] == "acknowledged"
    over_mqtt = mqtt_by_incident[by_mqtt.incident_id]
    publish(f"{chain['prefix']}/ack/{over_mqtt['id']}", json.dumps(over_mqtt["ack"]))
    assert wait_for(lambda: [n[2] for n in notifications(ctx, by_mqtt.incident_id)] == [
        "acknowledged", "acknowledged"])  # fmt: skip
    # 5. Nobody answers the second: after the window it escalates to the center head.
    clock.advance(timedelta(seconds=121))
    assert chain["dispatcher"].run_once().escalated == 2
    assert ("police_112", "webhook", "escalated", 0) in notifications(ctx, by_http.incident_id)
    assert ("center_head", "webhook", "pending", 1) in notifications(ctx, by_http.incident_id) or (
        "center_head", "webhook", "sent", 1) in notifications(ctx, by_http.incident_id)  # fmt: skip
    assert [n[2] for n in notifications(ctx, by_mqtt.incident_id)] == ["acknowledged"] * 2
    escalated = [json.loads(a.details) for a in audit_rows(ctx, "notification.escalated")]
    assert {e["incident_id"] for e in escalated} == {by_http.incident_id}
