"""Data-subject requests (ORD-29, PIPA-4): intake with a receipt and secret, identity
before any decision, the 10-day clock and its one-time overdue alarm, refusals only on an
ORD-29.3 ground (never "a third party is visible" nor "only with police present"),
crime-prevention cameras routed to review, one winner of concurrent decisions, the legal
hold of a granted viewing and its release at closing.

Runs on SQLite and PostgreSQL (`any_ctx`)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from registry.helpers import audit_rows
from sqlalchemy import select
from subject_kit import city, file, items, load, manager, officer, ready, run

from gwanje.auth.principal import Principal
from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.errors import Conflict, Forbidden, InvalidInput, NotFound
from gwanje.governance.subjects.jobs import alarm_overdue
from gwanje.governance.subjects.service import ReleaseInput
from gwanje.retention.models import LegalHold

SHA = "ab" * 32


@pytest.fixture
def c(any_ctx: Gwanje) -> dict[str, int]:
    return city(any_ctx)


def holds(ctx: Gwanje, request_id: int) -> list[LegalHold]:
    with ctx.sessions() as session:
        query = select(LegalHold).where(LegalHold.source == f"subject:{request_id}")
        return list(session.scalars(query))


# ---- intake -------------------------------------------------------------------------


def test_a_public_request_gets_a_receipt_a_secret_and_a_ten_day_due_date(
    any_ctx: Gwanje, c: dict[str, int], clock: FakeClock
) -> None:
    receipt = file(any_ctx, clock)
    assert receipt.receipt_no == f"SR-2026-{receipt.request_id:05d}"
    row = load(any_ctx, receipt.request_id)
    assert (row.state, row.channel, row.created_by) == ("received", "public", None)
    # Received 2026-01-05 10:00 KST: the day of receipt is not counted, due by the end of
    # 2026-01-15 KST (= 15:00 UTC).
    assert row.due_at == datetime(2026, 1, 15, 15, 0, tzinfo=UTC)
    assert receipt.secret not in row.secret_hash
    entry = audit_rows(any_ctx, "subject_request.received")[-1]
    assert entry.actor_kind == "public"
    details = json.loads(entry.details)
    assert details["receipt_no"] == receipt.receipt_no
    assert "홍길동" not in entry.details  # the subject's name and contact stay out of the ledger
    assert "010-1234" not in entry.details


def test_the_status_needs_the_receipt_and_its_secret_and_leaks_nothing_else(
    any_ctx: Gwanje, c: dict[str, int], clock: FakeClock
) -> None:
    mine, other = file(any_ctx, clock), file(any_ctx, clock)
    found = run(any_ctx, None, lambda s: s.lookup(mine.receipt_no.lower(), mine.secret.lower()))
    assert found.id == mine.request_id
    for receipt, secret in ((mine.receipt_no, other.secret), ("SR-2026-99999", mine.secret),
                            (other.receipt_no, mine.secret)):  # fmt: skip
        with pytest.raises(NotFound) as refused:
            run(any_ctx, None, lambda s, r=receipt, x=secret: s.lookup(r, x))
        assert refused.value.key == "subjects.error.lookup_failed"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"kind": "everything"}, "subjects.error.kind"),
        ({"applicant_name": " "}, "subjects.error.required"),
        ({"purpose": "x" * 2001}, "subjects.error.too_long"),
        ({"places": ()}, "subjects.error.places"),
        ({"agent": True}, "subjects.error.required"),  # an agent names the subject
    ],
)
def test_incomplete_public_requests_are_refused_with_the_field(
    any_ctx: Gwanje, c: dict[str, int], clock: FakeClock, change: dict[str, object], key: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        file(any_ctx, clock, **change)
    assert refused.value.key == key
    assert not audit_rows(any_ctx, "subject_request.received")


def test_anonymous_callers_can_only_file_and_look_up(
    any_ctx: Gwanje, c: dict[str, int], clock: FakeClock
) -> None:
    request_id = file(any_ctx, clock).request_id
    with pytest.raises(Forbidden):
        run(any_ctx, None, lambda s: s.verify_identity(request_id, ["id_card"], ""))


# ---- identity (PIPA-4) ---------------------------------------------------------------


def test_nothing_is_decided_before_identity_is_verified(
    any_ctx: Gwanje, c: dict[str, int], clock: FakeClock
) -> None:
    request_id = file(any_ctx, clock).request_id
    run(any_ctx, officer(c), lambda s: s.resolve(request_id, items(clock, "SR-T1")))
    for decide in (
        lambda s: s.grant(request_id, "view", "", "status_page"),
        lambda s: s.refuse(request_id, "4", "공익상 사유", "", "mail"),
        lambda s: s.postpone(request_id, "마스킹", date(2026, 1, 20), "phone"),
    ):
        with pytest.raises(InvalidInput) as refused:
            run(any_ctx, officer(c), decide)
        assert refused.value.key == "subjects.error.identity_required"
    assert load(any_ctx, request_id).state == "received"


def test_identity_needs_the_documents_the_request_calls_for(
    any_ctx: Gwanje, c: dict[str, int], clock: FakeClock
) -> None:
    agent_for_car = file(any_ctx, clock, agent=True, subject_name="홍아버지",
                         vehicle_no="12가3456").request_id  # fmt: skip
    attempts = [([], "subjects.error.need_id_card"),
                (["id_card"], "subjects.error.need_vehicle_registration"),
                (["id_card", "vehicle_registration"], "subjects.error.need_power_of_attorney"),
                (["passport?"], "subjects.error.doc_unknown")]  # fmt: skip
    for documents, key in attempts:
        with pytest.raises(InvalidInput) as refused:
            run(any_ctx, officer(c), lambda s, d=documents: s.verify_identity(agent_for_car, d, ""))
        assert refused.value.key == key
    every = ["id_card", "vehicle_registration", "power_of_attorney"]
    run(any_ctx, officer(c), lambda s: s.verify_identity(agent_for_car, every, "위임장 원본"))
    row = load(any_ctx, agent_for_car)
    assert (row.state, row.identity_verified_by) == ("verified", c["officer"])
    entry = json.loads(audit_rows(any_ctx, "subject_request.identity_verified")[-1].details)
    assert entry["documents"] == sorted(every)


# ---- the clock (PIPA-4: 10 days) -------------------------------------------------------


def test_an_undecided_request_raises_one_overdue_alarm_per_due_date(
    any_ctx: Gwanje, c: dict[str, int], clock: FakeClock
) -> None:
    request_id = ready(any_ctx, clock, c)
    clock.set(datetime(2026, 1, 15, 14, 59, tzinfo=UTC))  # 23:59 KST on the 10th day
    assert alarm_overdue(any_ctx) == []
    clock.set(datetime(2026, 1, 15, 15, 0, tzinfo=UTC))
    assert alarm_overdue(any_ctx) == [request_id]
    assert alarm_overdue(any_ctx) == []  # audited once, not every sweep
    clock.advance(timedelta(days=1))
    assert alarm_overdue(any_ctx) == []
    alarms = audit_rows(any_ctx, "subject_request.overdue")
    assert [a.actor_kind for a in alarms] == ["system"]
    # A (late) postponement sets a new due date; it raises its own alarm once passed.
    run(any_ctx, officer(c), lambda s: s.postpone(request_id, "제3자 마스킹 작업",
                                                  date(2026, 1, 26), "phone"))  # fmt: skip
    assert json.loads(audit_rows(any_ctx, "subject_request.postponed")[-1].details)["late"]
    assert alarm_overdue(any_ctx) == []
    clock.set(datetime(2026, 1, 26, 15, 0, tzinfo=UTC))
    assert alarm_overdue(any_ctx) == [request_id]
    run(any_ctx, officer(c), lambda s: s.grant(request_id, "copy", "", "mail"))
    clock.advance(timedelta(days=5))
    assert alarm_overdue(any_ctx) == []  # decided: the clock stopped


def test_a_postponement_needs_a_reason_a_later_date_and_happens_once(
    any_ctx: Gwanje, c: dict[str, int], clock: FakeClock
) -> None:
    request_id = ready(any_ctx, clock, c)
    with pytest.raises(InvalidInput):
        run(any_ctx, officer(c), lambda s: s.postpone(request_id, " ", date(2026, 1, 20), "mail"))
    for day in (date(2026, 1, 10), date(2026, 3, 1)):  # before the due date; too far
        with pytest.raises(InvalidInput) as refused:
            run(any_ctx, officer(c), lambda s, d=day: s.postpone(request_id, "마스킹", d, "mail"))
        assert refused.value.key == "subjects.error.postpone_date"
    run(any_ctx, officer(c), lambda s: s.postpone(request_id, "마스킹", date(2026, 1, 20), "mail"))
    row = load(any_ctx, request_id)
    assert (row.state, row.due_at) == ("postponed", datetime(2026, 1, 20, 15, tzinfo=UTC))
    with pytest.raises(InvalidInput) as again:
        run(any_ctx, officer(c), lambda s: s.postpone(request_id, "또", date(2026, 1, 25), "mail"))
    assert again.value.key == "subjects.error.postponed_once"


# ---- refusals (ORD-29.3, PIPA-4) --------------------------------------------------------


@pytest.mark.parametrize(
    ("ground", "reason", "key"),
    [
        ("5", "기타", "subjects.error.ground"),
        ("privacy", "기타", "subjects.error.ground"),
        ("deletion_infeasible", "삭제 곤란", "subjects.error.ground_kind"),  # a viewing
        ("others_privacy", "영상에 제3자가 찍혀 있음", "subjects.error.reason_third_party"),
        ("3", "타인이 함께 촬영되어 있어 제공 불가", "subjects.error.reason_third_party"),
        ("public_interest", "경찰 입회 하에서만 열람 가능", "subjects.error.reason_police"),
        ("4", "Viewing only with police present", "subjects.error.reason_police"),
        ("investigation", "A third party is visible", "subjects.error.reason_third_party"),
        ("1", " ", "subjects.error.required"),
    ],
)
def test_refusals_need_an_ord_29_3_ground_and_never_the_two_forbidden_reasons(
    any_ctx: Gwanje, c: dict[str, int], clock: FakeClock, ground: str, reason: str, key: str
) -> None:
    request_id = ready(any_ctx, clock, c)
    with pytest.raises(InvalidInput) as refused:
        run(any_ctx, officer(c), lambda s: s.refuse(request_id, ground, reason, "", "mail"))
    assert refused.value.key == key
    assert load(any_ctx, request_id).state == "verified"
    assert not audit_rows(any_ctx, "subject_request.refused")


def test_a_valid_refusal_records_ground_reason_and_appeal(
    any_ctx: Gwanje, c: dict[str, int], clock: FakeClock
) -> None:
    request_id = ready(any_ctx, clock, c)
    reason = "해당 영상이 진행 중인 형사재판의 증거로 제출되어 공개 시 재판에 중대한 지장"
    run(any_ctx, officer(c), lambda s: s.refuse(request_id, "(1)", reason, "", "mail"))
    row = load(any_ctx, request_id)
    assert (row.state, row.refusal_ground) == ("refused", "investigation")
    assert row.notice_method == "mail"
    assert "행정심판" in row.appeal  # the configured appeal text when none is given
    entry = json.loads(audit_rows(any_ctx, "subject_request.refused")[-1].details)
    assert (entry["ground"], entry["late"]) == ("investigation", False)


def test_ground_2_fits_a_deletion_request(
    any_ctx: Gwanje, c: dict[str, int], clock: FakeClock
) -> None:
    request_id = ready(any_ctx, clock, c, kind="deletion")
    reason = "여러 사람이 함께 저장된 원본에서 한 사람만 지울 수 없음"
    run(any_ctx, officer(c), lambda s: s.refuse(request_id, "2", reason, "불복 안내", "in_person"))
    assert load(any_ctx, request_id).refusal_ground == "deletion_infeasible"


# ---- routing: crime-prevention cameras (ORD-29.1 + reading note) ------------------------


def test_crime_prevention_cameras_route_to_the_officers_review_not_to_refusal(
    any_ctx: Gwanje, c: dict[str, int], clock: FakeClock
) -> None:
    request_id = ready(any_ctx, clock, c, "SR-T1")
    assert load(any_ctx, request_id).route == "standard"
    run(any_ctx, manager(c), lambda s: s.resolve(request_id, items(clock, "SR-T1")))
    with pytest.raises(Forbidden):  # the manager may not add another department's camera
        run(any_ctx, manager(c), lambda s: s.resolve(request_id, items(clock, "SR-T1", "SR-C1")))
    run(any_ctx, officer(c), lambda s: s.resolve(request_id, items(clock, "SR-T1", "SR-C1")))
    assert load(any_ctx, request_id).route == "review"
    resolved = json.loads(audit_rows(any_ctx, "subject_request.cameras_resolved")[-1].details)
    assert (resolved["route"], resolved["crime_prevention_camera_ids"]) == ("review", [c["crime"]])
    with pytest.raises(Forbidden) as routed:
        run(any_ctx, manager(c), lambda s: s.grant(request_id, "view", "", "mail"))
    assert routed.value.key == "subjects.error.review_only"
    run(any_ctx, officer(c), lambda s: s.grant(request_id, "view", "", "in_person"))
    assert load(any_ctx, request_id).state == "granted"


def test_a_department_officer_decides_requests_on_their_own_cameras(
    any_ctx: Gwanje, c: dict[str, int], clock: FakeClock
) -> None:
    request_id = ready(any_ctx, clock, c, "SR-T1", kind="existence")
    with pytest.raises(InvalidInput):  # existence: the finding must be written
        run(any_ctx, manager(c), lambda s: s.grant(request_id, None, " ", "phone"))
    run(any_ctx, manager(c), lambda s: s.grant(request_id, None, "해당 시간 영상 존재", "phone"))
    row = load(any_ctx, request_id)
    assert (row.state, row.grant_mode, row.decided_by) == ("granted", None, c["manager"])
    assert holds(any_ctx, request_id) == []  # only a viewing keeps footage for release


# ---- one winner ------------------------------------------------------------------------


def test_two_officers_deciding_at_once_one_wins_the_other_gets_a_conflict(
    any_ctx: Gwanje, c: dict[str, int], clock: FakeClock
) -> None:
    request_id = ready(any_ctx, clock, c)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(principal: Principal, grant: bool) -> None:
        start.wait()
        try:
            if grant:
                run(any_ctx, principal, lambda s: s.grant(request_id, "view", "", "mail", 3))
            else:
                run(any_ctx, principal, lambda s: s.refuse(request_id, "4", "공익", "", "mail", 3))
            outcomes.append("won")
        except Conflict as exc:
            outcomes.append(f"lost: {exc.params['state']}")

    threads = [threading.Thread(target=decide, args=(officer(c, i == 1), i == 0)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    final = load(any_ctx, request_id).state
    assert sorted(outcomes) == [f"lost: {final}", "won"]
    decided = audit_rows(any_ctx, "subject_request.granted") + audit_rows(
        any_ctx, "subject_request.refused"
    )
    assert len(decided) == 1
    assert len(holds(any_ctx, request_id)) == (1 if final == "granted" else 0)


def test_a_decision_on_a_stale_version_is_refused(
    any_ctx: Gwanje, c: dict[str, int], clock: FakeClock
) -> None:
    request_id = ready(any_ctx, clock, c)  # version 3 after verify and resolve
    with pytest.raises(Conflict) as stale:
        run(any_ctx, officer(c), lambda s: s.grant(request_id, "view", "", "mail", version=2))
    assert stale.value.params["state"] == "verified"


# ---- grant, hold, release, close ---------------------------------------------------------


def test_a_granted_viewing_holds_the_footage_until_closed_and_records_the_release(
    any_ctx: Gwanje, c: dict[str, int], clock: FakeClock
) -> None:
    request_id = ready(any_ctx, clock, c)
    run(any_ctx, officer(c), lambda s: s.grant(request_id, "copy", "", "mail"))
    placed = holds(any_ctx, request_id)
    assert [(h.camera_id, h.ground, h.released_at) for h in placed] == [
        (c["traffic"], "other_legitimate", None)
    ]
    assert audit_rows(any_ctx, "legal_hold.placed")[-1].actor_name == "kim"
    granted = json.loads(audit_rows(any_ctx, "subject_request.granted")[-1].details)
    assert granted["hold_ids"] == [placed[0].id]
    for bad, key in ((ReleaseInput("pkg-1", "xyz", 0), "subjects.error.sha256"),
                     (ReleaseInput("pkg-1", SHA, -5), "subjects.error.cost"),
                     (ReleaseInput(" ", SHA, 0), "subjects.error.required")):  # fmt: skip
        with pytest.raises(InvalidInput) as refused:
            run(any_ctx, officer(c), lambda s, b=bad: s.release(request_id, b))
        assert refused.value.key == key
    run(any_ctx, officer(c), lambda s: s.release(request_id, ReleaseInput("mask-77", SHA.upper(),
                                                                           12000)))  # fmt: skip
    row = load(any_ctx, request_id)
    assert (row.state, row.release_package, row.release_sha256, row.masking_cost_won) == (
        "released", "mask-77", SHA, 12000)  # fmt: skip
    assert holds(any_ctx, request_id)[0].released_at is None  # kept until closed
    run(any_ctx, officer(c), lambda s: s.close(request_id, "사본 교부 완료"))
    assert load(any_ctx, request_id).state == "closed"
    assert all(h.released_at is not None for h in holds(any_ctx, request_id))
    closed = json.loads(audit_rows(any_ctx, "subject_request.closed")[-1].details)
    assert (closed["previous_state"], closed["released_hold_ids"]) == ("released", [placed[0].id])
    with pytest.raises(Conflict):
        run(any_ctx, officer(c), lambda s: s.close(request_id, "다시"))


def test_only_a_granted_viewing_is_released(
    any_ctx: Gwanje, c: dict[str, int], clock: FakeClock
) -> None:
    viewing = ready(any_ctx, clock, c)
    with pytest.raises(Conflict):  # not granted yet
        run(any_ctx, officer(c), lambda s: s.release(viewing, ReleaseInput("p", SHA, 0)))
    existence = ready(any_ctx, clock, c, kind="existence")
    run(any_ctx, officer(c), lambda s: s.grant(existence, None, "영상 있음", "phone"))
    with pytest.raises(InvalidInput) as refused:
        run(any_ctx, officer(c), lambda s: s.release(existence, ReleaseInput("p", SHA, 0)))
    assert refused.value.key == "subjects.error.not_viewing"


def test_every_step_is_on_the_timeline(
    any_ctx: Gwanje, c: dict[str, int], clock: FakeClock
) -> None:
    from gwanje.governance.subjects.models import SubjectRequestStep

    request_id = ready(any_ctx, clock, c)
    run(any_ctx, officer(c), lambda s: s.refuse(request_id, "4", "공익상 필요", "", "mail"))
    with any_ctx.sessions() as session:
        query = select(SubjectRequestStep.step).where(SubjectRequestStep.request_id == request_id)
        steps = session.scalars(query.order_by(SubjectRequestStep.id)).all()
    assert list(steps) == ["received", "identity_verified", "cameras_resolved", "refused"]
