"""Access requests and grants (ORD-28, 30.2, 31.1(2)): intake, routing, approval with a
grant and legal holds, rejection, the emergency path with follow-up and recall, the
one-winner rule for concurrent decisions, and the grant check playback will use.

Runs on SQLite and PostgreSQL (`any_ctx`)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from registry.helpers import audit_rows, departments, make_camera
from retention.retention_kit import person
from sqlalchemy import select
from webclient import principal_for

from gwanje.auth.permissions import Role
from gwanje.auth.principal import Principal
from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.errors import Conflict, Forbidden, InvalidInput
from gwanje.governance.jobs import recall_overdue
from gwanje.governance.models import AccessGrant, AccessRequest
from gwanje.governance.requests import ItemInput, RequestInput, Requests, active_grant
from gwanje.registry.models import CameraStatus
from gwanje.retention.models import LegalHold


@pytest.fixture
def city(any_ctx: Gwanje) -> dict[str, int]:
    d = departments(any_ctx)
    return {
        "safe": make_camera(any_ctx, "GV-S1", d["SAFETY"], CameraStatus.LINKED),
        "traffic": make_camera(any_ctx, "GV-T1", d["TRAFFIC"], CameraStatus.LINKED),
        "unlinked": make_camera(any_ctx, "GV-U1", d["SAFETY"], CameraStatus.INSTALLED),
        "SAFETY": d["SAFETY"], "TRAFFIC": d["TRAFFIC"],
        "police": person(any_ctx, "kang"), "approver": person(any_ctx, "yoon"),
        "manager": person(any_ctx, "park"), "viewer": person(any_ctx, "choi"),
    }  # fmt: skip


def police(city: dict[str, int]) -> Principal:
    return principal_for(Role.POLICE_LIAISON, person_id=city["police"], username="kang")


def approver(city: dict[str, int]) -> Principal:
    return principal_for(Role.APPROVER, person_id=city["approver"], username="yoon")


def manager(city: dict[str, int], scope: str = "SAFETY") -> Principal:
    return principal_for(Role.OPERATIONS_MANAGER, person_id=city["manager"], username="park",
                         department_scope=frozenset({city[scope]}))  # fmt: skip


def run(ctx: Gwanje, principal: Principal, job: Any) -> Any:
    with ctx.transaction() as session:
        return job(Requests(session, ctx.settings, ctx.clock, principal, "10.0.0.5"))


def form(clock: FakeClock, codes: tuple[str, ...] = ("GV-S1",), **change: Any) -> RequestInput:
    end = clock.now() - timedelta(hours=1)
    values: dict[str, Any] = {
        "requester_kind": "police", "requester_org": "여수경찰서", "requester_name": "강경찰",
        "kind": "copy", "legal_basis": "investigation", "purpose": "절도 사건 용의자 확인",
        "letter_no": "여수서 수사과-2026-1123", "crime_type": "절도",
        "items": tuple(ItemInput(c, end - timedelta(hours=2), end) for c in codes),
    }  # fmt: skip
    values.update(change)
    return RequestInput(**values)


def submit(ctx: Gwanje, city: dict[str, int], clock: FakeClock, **change: Any) -> int:
    data = form(clock, **change)
    return int(run(ctx, police(city), lambda r: r.submit(data).id))


def state(ctx: Gwanje, request_id: int) -> str:
    with ctx.sessions() as session:
        row = session.get(AccessRequest, request_id)
        assert row is not None
        return row.state


def holds_of(ctx: Gwanje, request_id: int) -> list[LegalHold]:
    with ctx.sessions() as session:
        return list(
            session.scalars(select(LegalHold).where(LegalHold.source == f"request:{request_id}"))
        )


def may_replay(
    ctx: Gwanje, clock: FakeClock, person_id: int, camera_id: int, hours_ago: float = 2
) -> bool:
    end = clock.now() - timedelta(hours=hours_ago)
    with ctx.sessions() as session:
        grant = active_grant(session, person_id, camera_id, end - timedelta(minutes=30), end,
                             clock.now())  # fmt: skip
    return grant is not None


# ---- intake and routing --------------------------------------------------------------


def test_a_police_request_on_linked_cameras_goes_to_the_center_and_is_audited(
    any_ctx: Gwanje, city: dict[str, int], clock: FakeClock
) -> None:
    request_id = submit(any_ctx, city, clock, codes=("GV-S1", "GV-T1"))
    with any_ctx.sessions() as session:
        row = session.get(AccessRequest, request_id)
        assert row is not None
        assert (row.state, row.handler, row.department_id) == ("submitted", "center", None)
        assert len(row.items) == 2
    entry = audit_rows(any_ctx, "access_request.submitted")[-1]
    assert entry.camera_ids == f"{city['safe']},{city['traffic']}"
    assert json.loads(entry.details)["letter_no"] == "여수서 수사과-2026-1123"
    assert entry.source_ip == "10.0.0.5"


def test_other_bases_go_to_the_owning_department_and_cannot_mix_departments(
    any_ctx: Gwanje, city: dict[str, int], clock: FakeClock
) -> None:
    request_id = submit(any_ctx, city, clock, legal_basis="court", crime_type=None)
    with any_ctx.sessions() as session:
        row = session.get(AccessRequest, request_id)
        assert row is not None
        assert (row.handler, row.department_id) == ("department", city["SAFETY"])
    with pytest.raises(InvalidInput) as mixed:
        submit(any_ctx, city, clock, legal_basis="court", codes=("GV-S1", "GV-T1"))
    assert mixed.value.key == "governance.error.split_by_department"
    # An unlinked camera is its department's even on a center basis (ORD-28.4).
    unlinked = submit(any_ctx, city, clock, codes=("GV-U1",))
    with any_ctx.sessions() as session:
        assert session.get(AccessRequest, unlinked).handler == "department"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"letter_no": ""}, "letter_no"),
        ({"crime_type": None}, "crime_type"),
        ({"legal_basis": "curiosity"}, "legal_basis"),
        ({"purpose": "  "}, "purpose"),
        ({"items": ()}, "items"),
    ],
)
def test_incomplete_requests_are_refused_with_the_reason(
    any_ctx: Gwanje, city: dict[str, int], clock: FakeClock, change: dict[str, Any], detail: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        submit(any_ctx, city, clock, **change)
    assert detail in refused.value.params["detail"]
    assert not audit_rows(any_ctx, "access_request.submitted")


def test_requests_are_for_stored_video_only_and_bounded(
    any_ctx: Gwanje, city: dict[str, int], clock: FakeClock
) -> None:
    now = clock.now()
    future = (ItemInput("GV-S1", now - timedelta(hours=1), now + timedelta(hours=1)),)
    with pytest.raises(InvalidInput) as live:
        submit(any_ctx, city, clock, items=future)
    assert "stored video only" in live.value.params["detail"]
    long = (ItemInput("GV-S1", now - timedelta(days=40), now - timedelta(days=1)),)
    with pytest.raises(InvalidInput):
        submit(any_ctx, city, clock, items=long)
    with pytest.raises(InvalidInput) as unknown:
        submit(any_ctx, city, clock, codes=("NOPE-1",))
    assert unknown.value.key == "governance.error.camera_unknown"


def test_only_requesters_may_submit(
    any_ctx: Gwanje, city: dict[str, int], clock: FakeClock
) -> None:
    data = form(clock)
    with pytest.raises(Forbidden):
        run(any_ctx, principal_for(Role.OPERATOR), lambda r: r.submit(data))


# ---- approval, grant, holds ------------------------------------------------------------


def test_approval_grants_exactly_the_named_people_and_holds_the_footage(
    any_ctx: Gwanje, city: dict[str, int], clock: FakeClock
) -> None:
    request_id = submit(any_ctx, city, clock)
    assert not may_replay(any_ctx, clock, city["police"], city["safe"])  # before approval
    run(any_ctx, approver(city), lambda r: r.approve(request_id, ["kang"], valid_days=7))
    assert state(any_ctx, request_id) == "approved"
    assert may_replay(any_ctx, clock, city["police"], city["safe"])
    assert not may_replay(any_ctx, clock, city["viewer"], city["safe"])  # not named
    assert not may_replay(any_ctx, clock, city["police"], city["traffic"])  # not requested
    assert not may_replay(any_ctx, clock, city["police"], city["safe"], hours_ago=5)  # outside
    clock.advance(timedelta(days=8))
    assert not may_replay(any_ctx, clock, city["police"], city["safe"], hours_ago=8 * 24 + 2)
    holds = holds_of(any_ctx, request_id)
    assert [h.ground for h in holds] == ["investigation_material"]  # ORD-31.1(2)
    assert holds[0].released_at is None
    approved = json.loads(audit_rows(any_ctx, "access_request.approved")[-1].details)
    assert approved["grantees"] == ["kang"]
    assert approved["hold_ids"] == [holds[0].id]
    placed = audit_rows(any_ctx, "legal_hold.placed")[-1]
    assert placed.actor_name == "yoon"  # the approver's hold, not an anonymous system's


def test_rejection_needs_a_reason_and_grants_nothing(
    any_ctx: Gwanje, city: dict[str, int], clock: FakeClock
) -> None:
    request_id = submit(any_ctx, city, clock)
    with pytest.raises(InvalidInput):
        run(any_ctx, approver(city), lambda r: r.reject(request_id, " "))
    run(any_ctx, approver(city), lambda r: r.reject(request_id, "범죄 관련성 소명 부족"))
    assert state(any_ctx, request_id) == "rejected"
    assert not may_replay(any_ctx, clock, city["police"], city["safe"])
    with pytest.raises(Conflict):  # decided requests stay decided
        run(any_ctx, approver(city), lambda r: r.approve(request_id, ["kang"]))


def test_the_requester_cannot_approve_their_own_request(
    any_ctx: Gwanje, city: dict[str, int], clock: FakeClock
) -> None:
    request_id = submit(any_ctx, city, clock)
    with pytest.raises(Forbidden):
        run(any_ctx, police(city), lambda r: r.approve(request_id, ["kang"]))


def test_a_decision_on_a_stale_version_is_refused_with_the_current_state(
    any_ctx: Gwanje, city: dict[str, int], clock: FakeClock
) -> None:
    request_id = submit(any_ctx, city, clock)
    run(any_ctx, approver(city), lambda r: r.reject(request_id, "중복 요청", version=1))
    with pytest.raises(Conflict) as stale:
        run(any_ctx, approver(city), lambda r: r.approve(request_id, ["kang"], version=1))
    assert stale.value.params["state"] == "rejected"


def test_two_approvers_deciding_at_once_one_wins_the_other_sees_why(
    any_ctx: Gwanje, city: dict[str, int], clock: FakeClock
) -> None:
    request_id = submit(any_ctx, city, clock)
    second = person(any_ctx, "lim")
    deciders = [approver(city), principal_for(Role.APPROVER, person_id=second, username="lim")]
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(principal: Principal, approve: bool) -> None:
        start.wait()
        try:
            if approve:
                run(any_ctx, principal, lambda r: r.approve(request_id, ["kang"], version=1))
            else:
                run(any_ctx, principal, lambda r: r.reject(request_id, "불필요", version=1))
            outcomes.append("won")
        except Conflict as exc:
            outcomes.append(f"lost: {exc.params['state']}")

    threads = [threading.Thread(target=decide, args=(p, i == 0)) for i, p in enumerate(deciders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes)[1] == "won"
    assert sorted(outcomes)[0].startswith("lost: ")
    final = state(any_ctx, request_id)
    assert sorted(outcomes)[0] == f"lost: {final}"
    with any_ctx.sessions() as session:
        grants = session.scalars(
            select(AccessGrant).where(AccessGrant.request_id == request_id)
        ).all()
    assert len(grants) == (1 if final == "approved" else 0)
    decided = audit_rows(any_ctx, "access_request.approved") + audit_rows(
        any_ctx, "access_request.rejected"
    )
    assert len(decided) == 1


# ---- the emergency path (ORD-28.3) --------------------------------------------------------


def emergency(any_ctx: Gwanje, city: dict[str, int], clock: FakeClock) -> int:
    return submit(any_ctx, city, clock, legal_basis="emergency", crime_type=None,
                  purpose="실종 아동 긴급 수색")  # fmt: skip


def test_emergency_approval_is_for_basis_5_in_the_managers_department(
    any_ctx: Gwanje, city: dict[str, int], clock: FakeClock
) -> None:
    ordinary = submit(any_ctx, city, clock)
    with pytest.raises(InvalidInput):
        run(any_ctx, manager(city), lambda r: r.approve_emergency(ordinary, ["kang"]))
    urgent = emergency(any_ctx, city, clock)
    with pytest.raises(Forbidden):
        run(any_ctx, manager(city, "TRAFFIC"), lambda r: r.approve_emergency(urgent, ["kang"]))
    run(any_ctx, manager(city), lambda r: r.approve_emergency(urgent, ["kang"]))
    assert state(any_ctx, urgent) == "emergency_approved"
    assert may_replay(any_ctx, clock, city["police"], city["safe"])
    entry = json.loads(audit_rows(any_ctx, "access_request.emergency_approved")[-1].details)
    assert entry["followup_due_at"].startswith(str((clock.now() + timedelta(hours=72)).date()))


def test_the_mayors_follow_up_confirms_an_emergency_approval(
    any_ctx: Gwanje, city: dict[str, int], clock: FakeClock
) -> None:
    urgent = emergency(any_ctx, city, clock)
    run(any_ctx, manager(city), lambda r: r.approve_emergency(urgent, ["kang"]))
    run(any_ctx, approver(city), lambda r: r.confirm_emergency(urgent))
    assert state(any_ctx, urgent) == "approved"
    clock.advance(timedelta(hours=100))
    assert recall_overdue(any_ctx) == []  # confirmed: nothing to recall
    assert may_replay(any_ctx, clock, city["police"], city["safe"], hours_ago=102)


def test_a_refused_follow_up_recalls_the_grant_and_releases_the_holds(
    any_ctx: Gwanje, city: dict[str, int], clock: FakeClock
) -> None:
    urgent = emergency(any_ctx, city, clock)
    run(any_ctx, manager(city), lambda r: r.approve_emergency(urgent, ["kang"]))
    run(any_ctx, approver(city), lambda r: r.refuse_emergency(urgent, "긴급성 인정 불가"))
    assert state(any_ctx, urgent) == "recalled"
    assert not may_replay(any_ctx, clock, city["police"], city["safe"])
    assert all(h.released_at is not None for h in holds_of(any_ctx, urgent))
    recalled = json.loads(audit_rows(any_ctx, "access_grant.recalled")[-1].details)
    assert "긴급성 인정 불가" in recalled["reason"]


def test_an_overdue_follow_up_is_recalled_by_the_sweep(
    any_ctx: Gwanje, city: dict[str, int], clock: FakeClock
) -> None:
    urgent = emergency(any_ctx, city, clock)
    run(any_ctx, manager(city), lambda r: r.approve_emergency(urgent, ["kang"]))
    clock.advance(timedelta(hours=71))
    assert recall_overdue(any_ctx) == []
    assert may_replay(any_ctx, clock, city["police"], city["safe"], hours_ago=73)
    clock.advance(timedelta(hours=2))  # past 72 h without the mayor's approval
    assert recall_overdue(any_ctx) == [urgent]
    assert state(any_ctx, urgent) == "recalled"
    assert not may_replay(any_ctx, clock, city["police"], city["safe"], hours_ago=75)
    entry = audit_rows(any_ctx, "access_grant.recalled")[-1]
    assert entry.actor_kind == "system"
    assert "deadline" in json.loads(entry.details)["reason"]
    assert recall_overdue(any_ctx) == []  # once only
