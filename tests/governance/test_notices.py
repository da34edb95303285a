"""Notices of the protection workflows through the notification outbox: when copies given
under an emergency approval are recalled (ORD-28.3) the configured recipients are told,
over a real webhook, and can acknowledge with the token; a provided copy past its
destruction date (ORD-31.2) is reminded once a week until its destruction is confirmed;
an unanswered notice escalates like an incident's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from ledgers.ledger_kit import city, exported, provided
from operations.receivers import http_receiver
from registry.helpers import audit_rows
from sqlalchemy import select
from webclient import principal_for

from gwanje.auth.permissions import Role
from gwanje.context import Gwanje
from gwanje.governance.jobs import remind_destructions
from gwanje.governance.requests import ItemInput, RequestInput, Requests
from gwanje.operations.config import OperationsSettings
from gwanje.operations.kinds import AckVia
from gwanje.operations.models import Notification
from gwanje.operations.notify import outbox
from gwanje.operations.notify.dispatcher import Dispatcher
from gwanje.people.models import Department


@pytest.fixture
def center(any_ctx: Gwanje) -> Iterator[dict[str, Any]]:
    with http_receiver() as hook:
        channel = [{"kind": "webhook", "url": hook.url, "secret": "s3cret"}]
        ops = OperationsSettings.model_validate({
            "recipients": [
                {"name": "police_112", "label": "112 종합상황실", "channels": channel,
                 "ack_timeout_s": 60, "escalate_to": ["privacy"]},
                {"name": "privacy", "label": "개인영상정보 보호책임자", "channels": channel},
            ],
            "notices": {"recall": ["police_112"], "destroy_overdue": ["privacy"]},
        })  # fmt: skip
        ctx = replace(any_ctx, settings=any_ctx.settings.model_copy(update={"operations": ops}))
        dispatcher = Dispatcher(ctx)
        try:
            yield {"ctx": ctx, "hook": hook, "dispatcher": dispatcher, "ids": city(ctx)}
        finally:
            dispatcher.close()


def notices(ctx: Gwanje, topic: str) -> list[Notification]:
    with ctx.sessions() as session:
        query = select(Notification).where(Notification.topic == topic)
        return list(session.scalars(query.order_by(Notification.id)))


def emergency_recalled(ctx: Gwanje, ids: dict[str, Any]) -> int:
    end = ctx.clock.now() - timedelta(hours=1)
    data = RequestInput(
        requester_kind="police", requester_org="여수경찰서", requester_name="강경찰",
        kind="copy", legal_basis="emergency", purpose="실종 아동 긴급 수색",
        letter_no="긴급-7", items=(ItemInput("LG-1", end - timedelta(hours=1), end),),
    )  # fmt: skip
    police = principal_for(Role.POLICE_LIAISON, person_id=ids["kang"], username="kang")
    with ctx.sessions() as session:
        safety = session.scalars(select(Department.id).where(Department.code == "SAFETY")).one()
    manager = principal_for(Role.OPERATIONS_MANAGER, username="park",
                            department_scope=frozenset({safety}))  # fmt: skip
    approver = principal_for(Role.APPROVER, person_id=ids["yoon"], username="yoon")
    with ctx.transaction() as session:
        request_id = Requests(session, ctx.settings, ctx.clock, police).submit(data).id
    with ctx.transaction() as session:
        Requests(session, ctx.settings, ctx.clock, manager).approve_emergency(request_id, ["choi"])
    export_id = exported(ctx, ids, request_id)
    provided(ctx, ids, export_id, destroy=False)
    with ctx.transaction() as session:
        Requests(session, ctx.settings, ctx.clock, approver).refuse_emergency(
            request_id, "긴급성 인정 불가")  # fmt: skip
    return request_id


def test_a_recall_is_told_to_the_recipients_and_acknowledged(center: dict[str, Any]) -> None:
    ctx = center["ctx"]
    request_id = emergency_recalled(ctx, center["ids"])
    (row,) = notices(ctx, "recall")
    assert (row.recipient, row.ref_id, row.incident_id) == ("police_112", request_id, None)
    recalled = json.loads(audit_rows(ctx, "access_grant.recalled")[-1].details)
    assert recalled["notified_recipients"] == 1
    assert center["dispatcher"].run_once().sent == 1
    body = center["hook"].bodies()[0]
    assert body["notice"]["topic"] == "recall"
    assert "긴급-7" in body["notice"]["title"]
    assert "evidence-20260105T010000-LG-1-abcd.zip" in body["notice"]["text"]
    assert "여수경찰서 형사과 강경찰" in body["notice"]["text"]  # who holds the copy
    with ctx.transaction() as session:
        acked = outbox.acknowledge_by_token(session, ctx.settings.secret(), ctx.clock, row.id,
                                            body["ack"]["token"], AckVia.TOKEN)  # fmt: skip
        assert acked is not None
    assert notices(ctx, "recall")[0].state == "acknowledged"


def test_an_unanswered_recall_escalates(center: dict[str, Any]) -> None:
    ctx = center["ctx"]
    emergency_recalled(ctx, center["ids"])
    center["dispatcher"].run_once()
    ctx.clock.advance(timedelta(seconds=61))
    assert center["dispatcher"].run_once().escalated == 1
    rows = notices(ctx, "recall")
    assert [(r.recipient, r.state, r.level) for r in rows] == [
        ("police_112", "escalated", 0), ("privacy", "sent", 1)]  # fmt: skip


def test_overdue_destructions_are_reminded_weekly_until_confirmed(center: dict[str, Any]) -> None:
    ctx, ids = center["ctx"], center["ids"]
    from ledgers.ledger_kit import approved_request

    request_id, _ = approved_request(ctx, ids)
    provision = provided(ctx, ids, exported(ctx, ids, request_id), destroy=False)
    assert remind_destructions(ctx) == []  # not due yet
    ctx.clock.advance(timedelta(days=11))  # past the export's 10-day expiry
    assert remind_destructions(ctx) == [provision]
    assert remind_destructions(ctx) == []  # once, not every sweep
    ctx.clock.advance(timedelta(days=7))
    assert remind_destructions(ctx) == [provision]
    assert [r.ref_id for r in notices(ctx, "destroy_overdue")] == [provision, provision]
    assert center["dispatcher"].run_once().sent == 2
    assert "파기 예정일" in center["hook"].bodies()[0]["notice"]["text"]
    from gwanje.governance.provision import Provisions

    operator = principal_for(Role.OPERATOR, person_id=ids["choi"], username="choi")
    with ctx.transaction() as session:
        Provisions(session, ctx.settings, ctx.clock, operator).confirm_destroyed(
            provision, "파기 확인서 수령")  # fmt: skip
    ctx.clock.advance(timedelta(days=7))
    assert remind_destructions(ctx) == []
