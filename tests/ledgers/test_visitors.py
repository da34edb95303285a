"""The visitor ledger (ORD-22.2, 22.4; PIPA-6): registered, approved in advance by the
center head, checked in with an escort and out with the media taken; refused visits and
visits without approval never check in; a tour needs an escort; concurrent decisions
have one winner; every transition is audited. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from registry.helpers import audit_rows
from retention.retention_kit import person
from webclient import principal_for

from gwanje.auth.permissions import Role
from gwanje.auth.principal import Principal
from gwanje.context import Gwanje
from gwanje.errors import Conflict, Forbidden, InvalidInput
from gwanje.i18n import translate
from gwanje.ledgers.models import Visit
from gwanje.ledgers.visitors import VisitInput, Visitors, visit_lines, visits_between

SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture
def staff(any_ctx: Gwanje) -> dict[str, Principal]:
    ids = {name: person(any_ctx, name) for name in ("choi", "lee", "lim")}
    return {
        "operator": principal_for(Role.OPERATOR, person_id=ids["choi"], username="choi"),
        "head": principal_for(Role.GENERAL_MANAGER, person_id=ids["lee"], username="lee"),
        "head2": principal_for(Role.GENERAL_MANAGER, person_id=ids["lim"], username="lim"),
    }


def run(ctx: Gwanje, principal: Principal, job: Any) -> Any:
    with ctx.transaction() as session:
        return job(Visitors(session, ctx.clock, principal, "10.0.0.9"))


def register(ctx: Gwanje, staff: dict[str, Principal], tour: bool = False) -> int:
    data = VisitInput(
        organisation="전남경찰청", name="박방문", purpose="관제 시스템 점검 협의",
        planned_at=ctx.clock.now() + timedelta(hours=2), contact="061-111-2222", tour=tour,
        party_size=12 if tour else 1, media_in="노트북 1대 (S/N 1234)",
    )  # fmt: skip
    return int(run(ctx, staff["operator"], lambda v: v.register(data).id))


def test_an_approved_visit_checks_in_and_out_and_appears_in_the_ledger(
    any_ctx: Gwanje, staff: dict[str, Principal]
) -> None:
    visit = register(any_ctx, staff)
    with pytest.raises(Forbidden):  # staff register, only the head approves
        run(any_ctx, staff["operator"], lambda v: v.approve(visit))
    run(any_ctx, staff["head"], lambda v: v.approve(visit, version=1))
    any_ctx.clock.advance(timedelta(hours=2))
    run(any_ctx, staff["operator"], lambda v: v.check_in(visit, "choi"))
    any_ctx.clock.advance(timedelta(minutes=45))
    run(any_ctx, staff["operator"], lambda v: v.check_out(visit, "노트북 1대 (S/N 1234)"))
    with any_ctx.sessions() as session:
        visits = visits_between(session, None, None)
        (line,) = visit_lines(session, visits, SEOUL, lambda k, **p: translate(k, "ko", **p))
    assert line["organisation"] == "전남경찰청"
    assert line["name"] == "박방문"
    assert line["approver"] == "Lee"
    assert line["escort"] == "Choi"
    assert line["media_in"] == line["media_out"] == "노트북 1대 (S/N 1234)"
    assert line["time_in"]
    assert line["time_out"]
    assert line["state"] == "퇴실"
    types = [r.event_type for r in audit_rows(any_ctx) if r.event_type.startswith("visit.")]
    assert types == ["visit.requested", "visit.approved", "visit.checked_in",
                     "visit.checked_out"]  # fmt: skip


def test_no_check_in_without_prior_approval_and_refusals_need_a_reason(
    any_ctx: Gwanje, staff: dict[str, Principal]
) -> None:
    visit = register(any_ctx, staff)
    with pytest.raises(Conflict) as refused:
        run(any_ctx, staff["operator"], lambda v: v.check_in(visit, "choi"))
    assert refused.value.key == "ledgers.error.not_approved"
    with pytest.raises(InvalidInput):
        run(any_ctx, staff["head"], lambda v: v.refuse(visit, "  "))
    run(any_ctx, staff["head"], lambda v: v.refuse(visit, "사전 협의 없음"))
    with pytest.raises(Conflict):
        run(any_ctx, staff["operator"], lambda v: v.check_in(visit, "choi"))
    with pytest.raises(Conflict):
        run(any_ctx, staff["operator"], lambda v: v.check_out(visit))
    with any_ctx.sessions() as session:
        row = session.get(Visit, visit)
        assert row is not None
        assert (row.state, row.checked_in_at, row.decision_reason) == (
            "refused", None, "사전 협의 없음")  # fmt: skip
    assert len(audit_rows(any_ctx, "visit.refused")) == 1
    assert audit_rows(any_ctx, "visit.checked_in") == []


def test_a_public_tour_checks_in_only_with_an_escort(
    any_ctx: Gwanje, staff: dict[str, Principal]
) -> None:
    visit = register(any_ctx, staff, tour=True)
    run(any_ctx, staff["head"], lambda v: v.approve(visit))
    with pytest.raises(InvalidInput) as missing:
        run(any_ctx, staff["operator"], lambda v: v.check_in(visit, ""))
    assert missing.value.key == "ledgers.error.tour_needs_escort"
    with pytest.raises(InvalidInput):
        run(any_ctx, staff["operator"], lambda v: v.check_in(visit, "nobody"))
    run(any_ctx, staff["operator"], lambda v: v.check_in(visit, "choi"))
    assert audit_rows(any_ctx, "visit.checked_in")


def test_two_heads_deciding_at_once_one_wins(any_ctx: Gwanje, staff: dict[str, Principal]) -> None:
    visit = register(any_ctx, staff)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(principal: Principal, approve: bool) -> None:
        barrier.wait()
        try:
            if approve:
                run(any_ctx, principal, lambda v: v.approve(visit, version=1))
            else:
                run(any_ctx, principal, lambda v: v.refuse(visit, "중복", version=1))
            outcomes.append("won")
        except Conflict as exc:
            outcomes.append(f"lost: {exc.params['state']}")

    threads = [threading.Thread(target=decide, args=(staff[h], h == "head"))
               for h in ("head", "head2")]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes)[1] == "won"
    assert sorted(outcomes)[0].startswith("lost: ")
    decided = audit_rows(any_ctx, "visit.approved") + audit_rows(any_ctx, "visit.refused")
    assert len(decided) == 1
