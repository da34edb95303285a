"""Inspection checks of the later workflows (ORD-13): data-subject requests decided in
their 10 days and granted viewings released (ORD-29.2, PIPA-4), visitors checked out
(ORD-22.2, PIPA-6), the privacy officer's plans set for the year (ORD-5.2). Each fails
or warns on seeded live data and passes once the data is right."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from governance.subject_kit import city, file, load, officer, ready, run
from retention.retention_kit import person
from webclient import principal_for

from gwanje.auth.permissions import Role
from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.governance.plans import Plans
from gwanje.ledgers.visitors import VisitInput, Visitors
from gwanje.reports.inspection import workflows
from gwanje.reports.inspection.base import CheckResult, Status


def check(ctx: Gwanje, fn: Callable[..., CheckResult]) -> CheckResult:
    with ctx.sessions() as session:
        return fn(session, ctx.clock, ctx.settings)


def test_subject_requests_past_due_fail_and_unreleased_viewings_warn(
    any_ctx: Gwanje, clock: FakeClock
) -> None:
    c = city(any_ctx)
    assert check(any_ctx, workflows.subject_requests).status is Status.PASS
    late = file(any_ctx, clock)
    granted = ready(any_ctx, clock, c)
    run(any_ctx, officer(c), lambda s: s.grant(granted, "copy", "", "in_person"))
    clock.advance(timedelta(days=8))
    result = check(any_ctx, workflows.subject_requests)
    assert result.status is Status.WARN
    assert [row[0] for row in result.rows] == [load(any_ctx, granted).receipt_no]
    clock.advance(timedelta(days=4))  # now past the 10 days of the undecided one
    result = check(any_ctx, workflows.subject_requests)
    assert result.status is Status.FAIL
    receipts = [row[0] for row in result.rows]
    assert late.receipt_no in receipts
    assert result.params == {"late": 1, "waiting": 1}


def test_a_visitor_never_checked_out_warns(any_ctx: Gwanje, clock: FakeClock) -> None:
    staff = principal_for(Role.GENERAL_MANAGER, person_id=person(any_ctx, "lee"), username="lee")
    data = VisitInput(organisation="전남경찰청", name="박방문", purpose="점검 협의",
                      planned_at=clock.now() + timedelta(hours=1))  # fmt: skip
    with any_ctx.transaction() as session:
        visits = Visitors(session, clock, staff)
        visit = visits.register(data).id
        visits.approve(visit)
        visits.check_in(visit, "lee")
    clock.advance(timedelta(hours=11))
    assert check(any_ctx, workflows.visitor_ledger).status is Status.PASS
    clock.advance(timedelta(hours=2))
    result = check(any_ctx, workflows.visitor_ledger)
    assert result.status is Status.WARN
    assert [row[0] for row in result.rows] == [visit]
    with any_ctx.transaction() as session:
        Visitors(session, clock, staff).check_out(visit)
    assert check(any_ctx, workflows.visitor_ledger).status is Status.PASS


def test_missing_plans_fail_until_both_are_published(any_ctx: Gwanje, clock: FakeClock) -> None:
    result = check(any_ctx, workflows.protection_plans)
    assert result.status is Status.FAIL
    year = clock.now().year
    assert sorted(result.rows) == [(year, "protection"), (year, "training")]
    boss = principal_for(Role.PRIVACY_OFFICER, person_id=person(any_ctx, "kim"), username="kim")
    with any_ctx.transaction() as session:
        plans = Plans(session, clock, boss)
        plans.publish("protection", year, "보호계획", "내용")
        plans.publish("training", year, "교육계획", "내용")
    assert check(any_ctx, workflows.protection_plans).status is Status.PASS
