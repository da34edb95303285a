"""The privacy officer's plans and oversight (ORD-5.2): protection and training plans
published as versions (earlier ones kept), the training plan's progress from the
training records, only the privacy officer publishes, and the privacy officer can open
every ledger and report."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from registry.helpers import audit_rows
from retention.retention_kit import person
from webclient import client_as, principal_for

from gwanje.auth.permissions import Role
from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.errors import Forbidden, InvalidInput
from gwanje.governance.plans import Plans, in_force, training_progress, versions
from gwanje.people import service as people
from gwanje.people.demo import WHO
from gwanje.web.app import create_app

PLAN = "1. 영상정보 접근 통제\n2. 반출 통제\n3. 월간 접속기록 점검"


def officer(ctx: Gwanje) -> object:
    return principal_for(Role.PRIVACY_OFFICER, person_id=person(ctx, "kimpo"), username="kimpo")


def test_plans_are_versioned_and_only_the_privacy_officer_publishes(any_ctx: Gwanje) -> None:
    boss = officer(any_ctx)
    with any_ctx.transaction() as session:
        plans = Plans(session, any_ctx.clock, boss)  # type: ignore[arg-type]
        plans.publish("protection", 2026, "2026년 개인영상정보 보호계획", PLAN)
        plans.publish("protection", 2026, "2026년 개인영상정보 보호계획 (개정)", PLAN + "\n4. 교육",
                      "교육 항목 추가")  # fmt: skip
        plans.publish("training", 2026, "2026년 보안교육 계획", "상반기·하반기 각 1회")
        for bad in (("audit", 2026, "t", "b"), ("training", 1999, "t", "b"),
                    ("training", 2026, " ", "b"), ("training", 2026, "t", "")):  # fmt: skip
            with pytest.raises(InvalidInput):
                plans.publish(*bad)
    operator = principal_for(Role.OPERATOR, username="op")
    with any_ctx.transaction() as session, pytest.raises(Forbidden):
        Plans(session, any_ctx.clock, operator).publish("training", 2026, "t", "b")
    with any_ctx.sessions() as session:
        history = versions(session, "protection", 2026)
        assert [(p.version, p.change_note) for p in history] == [(2, "교육 항목 추가"), (1, "")]
        current = [(p.kind, p.version) for p in in_force(session)]
        assert current == [("protection", 2), ("training", 1)]
    entries = [json.loads(e.details) for e in audit_rows(any_ctx, "plan.published")]
    assert [(e["kind"], e["version"]) for e in entries] == [
        ("protection", 1), ("protection", 2), ("training", 1)]  # fmt: skip


def test_training_progress_names_the_video_staff_not_yet_trained(
    ctx: Gwanje, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 6, 1, 3, 0, tzinfo=UTC))
    ids = {name: person(ctx, name) for name in ("op1", "op2", "clerk")}
    with ctx.transaction() as session:
        for name in ("op1", "op2"):
            people.grant_role(session, clock, WHO, ids[name], Role.OPERATOR.value)
        people.record_training(session, clock, WHO, ctx.settings.auth, ids["op1"],
                               "2026 개인영상정보 보호교육")  # fmt: skip
    with ctx.sessions() as session:
        progress = training_progress(session, 2026, clock.now())
        assert (progress.trained, progress.untrained) == (["op1"], ["op2"])  # clerk: no video
        assert training_progress(session, 2025, clock.now()).trained == []


def test_the_privacy_officer_opens_every_ledger_and_report(ctx: Gwanje) -> None:
    app = create_app(ctx)
    boss = client_as(app, officer(ctx))  # type: ignore[arg-type]
    made = boss.post("/plans", data={"kind": "protection", "year": "2026", "title": "보호계획",
                                     "body": PLAN}, follow_redirects=False)  # fmt: skip
    assert made.status_code == 303
    assert "영상정보 접근 통제" in boss.get(made.headers["location"]).text
    pages = (
        "/plans",
        "/ledgers/management",
        "/visitors/ledger",
        "/reports/inspection",
        "/reports/access-review",
        "/audit",
        "/subjects",
        "/requests",
        "/incidents",
    )
    for path in pages:
        assert boss.get(path).status_code == 200, path
    auditor = client_as(app, principal_for(Role.AUDITOR, username="audit"))
    assert auditor.get("/plans").status_code == 200
    refused = auditor.post("/plans", data={"kind": "training", "year": "2026", "title": "x",
                                           "body": "y"})  # fmt: skip
    assert refused.status_code == 403
    bad = boss.post("/plans", data={"kind": "training", "year": "20x6", "title": "x", "body": "y"})
    assert bad.status_code == 422
    assert "계획이 올바르지 않습니다" in bad.text
