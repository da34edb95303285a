"""Incidents and their notifications over real channels (ORD-20.4): a signed webhook,
Mosquitto, an SMTP server and an SMS gateway on loopback; retries with backoff, failure,
acknowledgement by token and over MQTT, escalation when nobody answers (simulated clock),
a sender that died mid-send, and two dispatchers that never send a row twice."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from receivers import (
    MQTT_URL,
    HttpReceiver,
    http_receiver,
    mqtt_subscriber,
    publish,
    smtp_server,
    wait_for,
)
from registry.helpers import audit_rows, departments, make_camera
from retention.retention_kit import person
from sqlalchemy import select

from gwanje.auth.permissions import Role
from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.errors import Conflict, Forbidden, InvalidInput
from gwanje.operations.config import OperationsSettings
from gwanje.operations.incidents import IncidentInput, Incidents
from gwanje.operations.kinds import AckVia
from gwanje.operations.models import IncidentEntry, Notification
from gwanje.operations.notify import outbox
from gwanje.operations.notify.channels import SIGNATURE_HEADER, verify_signature
from gwanje.operations.notify.dispatcher import AckListener, Dispatcher
from gwanje.registry.models import CameraStatus

SECRET = "police-hook-secret-7"


def operations(hook: HttpReceiver, sms: HttpReceiver, smtp_port: int, topic: str,
               **timing: Any) -> OperationsSettings:  # fmt: skip
    return OperationsSettings.model_validate({
        "recipients": [
            {"name": "police_112", "label": "여수경찰서 112 종합상황실", "ack_timeout_s": 120,
             "escalate_to": ["center_head"], "channels": [
                {"kind": "webhook", "url": hook.url, "secret": SECRET},
                {"kind": "mqtt", "topic": topic},
                {"kind": "sms", "phone": "010-1234-5678"}]},
            {"name": "fire_119", "label": "여수소방서 119", "channels": [
                {"kind": "email", "email": "119@fire.example"}]},
            {"name": "center_head", "label": "관제센터장", "ack_timeout_s": 60,
             "channels": [{"kind": "webhook", "url": hook.url, "secret": SECRET}]},
        ],
        "routes": {"crime": ["police_112"], "fire": ["fire_119"]},
        "mqtt_url": MQTT_URL, "mqtt_prefix": f"test-{topic.split('/')[-1]}",
        "smtp": {"host": "127.0.0.1", "port": smtp_port},
        "sms": {"url": sms.url, "api_key": "gateway-key"},
        "retry_base_s": 5, "max_attempts": 3, "send_timeout_s": 5, **timing,
    })  # fmt: skip


@pytest.fixture
def rig(any_ctx: Gwanje) -> Iterator[dict[str, Any]]:
    topic = f"gwanje-test/{uuid.uuid4().hex[:10]}"
    with http_receiver() as hook, http_receiver() as sms, smtp_server() as (port, mails):
        settings = any_ctx.settings.model_copy(
            update={"operations": operations(hook, sms, port, topic)}
        )
        ctx = replace(any_ctx, settings=settings)
        make_camera(ctx, "OPS-1", departments(ctx)["SAFETY"], CameraStatus.LINKED)
        operator = replace(principal_of(Role.OPERATOR), person_id=person(ctx, "choi"))
        dispatcher = Dispatcher(ctx)
        try:
            yield {"ctx": ctx, "hook": hook, "sms": sms, "mails": mails, "topic": topic,
                   "operator": operator, "dispatcher": dispatcher}  # fmt: skip
        finally:
            dispatcher.close()


def principal_of(role: Role) -> Any:
    from webclient import principal_for

    return principal_for(role, username="choi")


def open_incident(rig: dict[str, Any], kind: str = "crime") -> int:
    ctx = rig["ctx"]
    data = IncidentInput(type=kind, severity="high", title="학동 사거리 폭행",
                         camera_codes=("OPS-1",), location="학동 사거리")  # fmt: skip
    with ctx.transaction() as session:
        return Incidents(session, ctx.settings, ctx.clock, rig["operator"]).open(data).id


def rows(ctx: Gwanje, incident_id: int) -> list[Notification]:
    with ctx.sessions() as session:
        query = select(Notification).where(Notification.incident_id == incident_id)
        return list(session.scalars(query.order_by(Notification.id)))


def timeline(ctx: Gwanje, incident_id: int) -> list[str]:
    with ctx.sessions() as session:
        query = select(IncidentEntry.kind).where(IncidentEntry.incident_id == incident_id)
        return list(session.scalars(query.order_by(IncidentEntry.id)))


def test_a_crime_reaches_police_over_webhook_mqtt_and_sms(rig: dict[str, Any]) -> None:
    ctx = rig["ctx"]
    with mqtt_subscriber(rig["topic"]) as mqtt_got:
        incident_id = open_incident(rig)
        queued = rows(ctx, incident_id)
        assert [(r.recipient, r.channel, r.state) for r in queued] == [
            ("police_112", "webhook", "pending"), ("police_112", "mqtt", "pending"),
            ("police_112", "sms", "pending")]  # fmt: skip
        done = rig["dispatcher"].run_once()
        assert (done.sent, done.failed) == (3, 0)
        assert wait_for(lambda: mqtt_got)
    headers, body = rig["hook"].received[0]
    assert verify_signature(SECRET.encode(), headers[SIGNATURE_HEADER], body, time.time())
    assert not verify_signature(b"another secret", headers[SIGNATURE_HEADER], body, time.time())
    sent = json.loads(body)
    assert sent["incident"]["title"] == "학동 사거리 폭행"
    assert sent["incident"]["cameras"][0]["code"] == "OPS-1"
    assert sent["ack"]["url"].endswith(f"/api/notifications/{sent['id']}/ack")
    assert headers["Idempotency-Key"] == f"gwanje-notification-{sent['id']}"
    assert json.loads(mqtt_got[0][1])["incident"]["id"] == incident_id
    sms_headers, sms_body = rig["sms"].received[0]
    assert sms_headers["Authorization"] == "Bearer gateway-key"
    assert "학동 사거리 폭행" in json.loads(sms_body)["text"]
    assert all(r.state == "sent" and r.ack_due_at is not None for r in rows(ctx, incident_id))
    assert timeline(ctx, incident_id) == ["opened", "queued", "queued", "queued",
                                          "sent", "sent", "sent"]  # fmt: skip
    entry = json.loads(audit_rows(ctx, "incident.opened")[-1].details)
    assert entry["notified"] == ["police_112"]
    assert SECRET not in json.dumps([json.loads(a.details) for a in audit_rows(ctx)])


def test_a_fire_is_emailed_with_its_acknowledgement_link(rig: dict[str, Any]) -> None:
    incident_id = open_incident(rig, "fire")
    assert rig["dispatcher"].run_once().sent == 1
    (mail,) = rig["mails"]
    assert mail["To"] == "119@fire.example"
    assert "학동 사거리 폭행" in mail["Subject"]
    body = mail.get_content()
    (row,) = rows(rig["ctx"], incident_id)
    token = outbox.ack_token(rig["ctx"].settings.secret(), row.id)
    assert f"/ack/{row.id}?token={token}" in body


def test_failures_retry_with_backoff_then_fail_and_escalate(rig: dict[str, Any]) -> None:
    ctx, clock = rig["ctx"], rig["ctx"].clock
    assert isinstance(clock, FakeClock)
    rig["hook"].fail_next = 1
    incident_id = open_incident(rig)
    assert rig["dispatcher"].run_once().failed == 1  # the webhook answered 500
    webhook = rows(ctx, incident_id)[0]
    assert (webhook.state, webhook.attempts, webhook.last_error) == (
        "pending",
        1,
        "webhook: HTTP 500",
    )
    assert webhook.next_attempt_at == clock.now() + timedelta(seconds=5)
    assert rig["dispatcher"].run_once().sent == 0  # not due yet
    clock.advance(timedelta(seconds=5))
    assert rig["dispatcher"].run_once().sent == 1
    assert rows(ctx, incident_id)[0].state == "sent"
    # A receiver that never answers: three attempts, then failed and escalated at once.
    rig["hook"].fail_next = 100
    second = open_incident(rig)
    for wait in (0, 5, 10):
        clock.advance(timedelta(seconds=wait))
        rig["dispatcher"].run_once()
    failed = rows(ctx, second)[0]
    assert (failed.state, failed.attempts) == ("failed", 3)
    assert audit_rows(ctx, "notification.failed")
    rig["dispatcher"].run_once()
    states = [(r.recipient, r.state, r.level) for r in rows(ctx, second)]
    assert ("police_112", "escalated", 0) in states
    assert ("center_head", "pending", 1) in states or ("center_head", "sent", 1) in states


def test_unacknowledged_notifications_escalate_and_acknowledged_ones_do_not(
    rig: dict[str, Any],
) -> None:
    ctx, clock = rig["ctx"], rig["ctx"].clock
    incident_id = open_incident(rig)
    rig["dispatcher"].run_once()
    webhook, mqtt_row, sms_row = rows(ctx, incident_id)
    secret = ctx.settings.secret()
    with ctx.transaction() as session:
        wrong = outbox.acknowledge_by_token(session, secret, clock, webhook.id, "0" * 32,
                                            AckVia.TOKEN)  # fmt: skip
        assert wrong is None
        good = outbox.ack_token(secret, webhook.id)
        assert outbox.acknowledge_by_token(session, secret, clock, webhook.id, good,
                                           AckVia.TOKEN) is not None  # fmt: skip
        assert outbox.acknowledge_by_token(session, secret, clock, webhook.id, good,
                                           AckVia.TOKEN) is None  # once  # fmt: skip
    clock.advance(timedelta(seconds=119))
    assert rig["dispatcher"].run_once().escalated == 0  # the window is not over
    clock.advance(timedelta(seconds=2))
    assert rig["dispatcher"].run_once().escalated == 2  # mqtt and sms rows: nobody answered
    states = {(r.recipient, r.channel, r.state, r.level) for r in rows(ctx, incident_id)}
    assert ("police_112", "webhook", "acknowledged", 0) in states
    assert ("police_112", "mqtt", "escalated", 0) in states
    assert ("center_head", "webhook", "sent", 1) in states or (
        "center_head", "webhook", "pending", 1) in states  # fmt: skip
    escalations = [json.loads(a.details) for a in audit_rows(ctx, "notification.escalated")]
    assert {e["notification_id"] for e in escalations} == {mqtt_row.id, sms_row.id}
    assert all(e["to"] == ["center_head"] and e["level"] == 1 for e in escalations)
    # The center head does not answer either: level 1 escalates to nobody further.
    clock.advance(timedelta(seconds=61))
    rig["dispatcher"].run_once()
    rig["dispatcher"].run_once()
    assert max(r.level for r in rows(ctx, incident_id)) == 1
    assert "escalated" in timeline(ctx, incident_id)


def test_an_acknowledgement_over_mqtt_is_accepted_with_the_right_token(
    rig: dict[str, Any],
) -> None:
    ctx = rig["ctx"]
    incident_id = open_incident(rig)
    rig["dispatcher"].run_once()
    mqtt_row = rows(ctx, incident_id)[1]
    listener = AckListener(ctx)
    try:
        assert listener.subscribed.wait(10)
        prefix = ctx.settings.operations.mqtt_prefix
        publish(f"{prefix}/ack/{mqtt_row.id}", "not-the-token")
        publish(f"{prefix}/ack/{mqtt_row.id}", "garbage{")
        token = outbox.ack_token(ctx.settings.secret(), mqtt_row.id)
        publish(f"{prefix}/ack/{mqtt_row.id}", json.dumps({"token": token}))
        assert wait_for(lambda: rows(ctx, incident_id)[1].state == "acknowledged")
    finally:
        listener.close()
    acked = rows(ctx, incident_id)[1]
    assert acked.acked_via == "mqtt"
    entry = json.loads(audit_rows(ctx, "notification.acknowledged")[-1].details)
    assert (entry["via"], entry["recipient"]) == ("mqtt", "police_112")


def test_a_sender_that_died_mid_send_is_retried(rig: dict[str, Any]) -> None:
    ctx, clock = rig["ctx"], rig["ctx"].clock
    incident_id = open_incident(rig, "fire")
    with ctx.transaction() as session:
        (claim,) = outbox.claim_due(session, clock, 10)  # ... and the process dies here
    assert rows(ctx, incident_id)[0].state == "sending"
    assert rig["dispatcher"].run_once().sent == 0  # still claimed by the dead sender
    clock.advance(timedelta(seconds=121))
    assert rig["dispatcher"].run_once().reclaimed == 1
    clock.advance(timedelta(seconds=1))
    rig["dispatcher"].run_once()
    row = rows(ctx, incident_id)[0]
    assert (row.state, row.attempts) == ("sent", 2)
    assert len(rig["mails"]) == 1
    with ctx.transaction() as session:  # the dead sender's late outcome changes nothing
        outbox.record_failure(session, ctx.settings.operations, clock, claim, "late")
    assert rows(ctx, incident_id)[0].state == "sent"


def test_two_dispatchers_never_send_the_same_row(rig: dict[str, Any]) -> None:
    ctx = rig["ctx"]
    ids = [open_incident(rig, "fire") for _ in range(8)]
    claimed: list[list[int]] = [[], []]
    barrier = threading.Barrier(2)

    def claim(slot: int) -> None:
        barrier.wait()
        for _ in range(4):
            with ctx.transaction() as session:
                claimed[slot] += [c.id for c in outbox.claim_due(session, ctx.clock, 3)]

    threads = [threading.Thread(target=claim, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = claimed[0] + claimed[1]
    assert len(every) == len(set(every)) == len(ids)


def test_staff_acknowledge_by_phone_close_and_bad_input(rig: dict[str, Any]) -> None:
    ctx = rig["ctx"]
    incident_id = open_incident(rig)
    rig["dispatcher"].run_once()
    first = rows(ctx, incident_id)[0]
    with ctx.transaction() as session:
        service = Incidents(session, ctx.settings, ctx.clock, rig["operator"])
        service.acknowledge_by_phone(first.id, "112 상황실 김경위 전화 확인")
        service.note(incident_id, "순찰차 도착")
        with pytest.raises(Conflict):
            service.acknowledge_by_phone(first.id, "again")
    with ctx.transaction() as session:
        service = Incidents(session, ctx.settings, ctx.clock, rig["operator"])
        for bad in (IncidentInput("alien", "high", "x"), IncidentInput("crime", "high", " "),
                    IncidentInput("crime", "high", "x", camera_codes=("NOPE-9",))):  # fmt: skip
            with pytest.raises(InvalidInput):
                service.open(bad)
        with pytest.raises(InvalidInput):
            service.notify(incident_id, "nobody")
        service.close(incident_id, "피의자 검거, 상황 종료")
        with pytest.raises(Conflict):
            service.note(incident_id, "late")
    auditor = principal_of(Role.AUDITOR)
    with ctx.transaction() as session, pytest.raises(Forbidden):
        Incidents(session, ctx.settings, ctx.clock, auditor).note(incident_id, "x")
    closed = json.loads(audit_rows(ctx, "incident.closed")[-1].details)
    assert closed["unacknowledged"] == 2
    assert timeline(ctx, incident_id)[-3:] == ["acknowledged", "note", "closed"]
