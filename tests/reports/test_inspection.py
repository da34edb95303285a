"""The self-inspection (ORD-13) on live data: seeded violations fail with the offending
rows as evidence, clean data passes, every requirement ID appears with a status (from
the checks or from docs/compliance.md), a new check plugs in with one line, a broken
check cannot hide the others, and the PDF reads back in Korean."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pypdf import PdfReader
from reports_kit import camera, footage, person, provided_copy
from sqlalchemy import update

from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.people.models import Person
from gwanje.registry.models import Camera, CameraStatus
from gwanje.reports.inspection import report as inspection
from gwanje.reports.inspection.base import Check, CheckResult, Status
from gwanje.reports.inspection.registry import CHECKS
from gwanje.retention.models import LegalHold

ROOT = Path(__file__).parents[2]
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def _run(ctx: Gwanje, checks: tuple[Check, ...] = CHECKS) -> inspection.InspectionReport:
    with ctx.transaction() as session:
        return inspection.run_inspection(session, ctx.clock, ctx.settings, checks)


def _result(report: inspection.InspectionReport, key: str) -> CheckResult:
    (found,) = [o.result for o in report.outcomes if o.check.key == key]
    return found


def _clean(ctx: Gwanje, clock: FakeClock) -> int:
    """A linked camera with every record, a cleared operator, recent footage only."""
    clock.set(NOW - timedelta(days=60))
    cam = camera(ctx, "YS-OK-1", "SAFETY")
    who = person(ctx, "kim", "SMARTCITY", "operator")
    from people.people_kit import clear

    with ctx.transaction() as session:
        clear(session, clock, who.person_id or 0)
    clock.set(NOW)
    footage(ctx, cam, NOW - timedelta(days=3))
    return cam


def test_clean_data_passes(any_ctx: Gwanje, clock: FakeClock) -> None:
    _clean(any_ctx, clock)
    report = _run(any_ctx)
    for key in ("camera_signage", "camera_consultation", "camera_standards",
                "retention_period", "retention_overdue", "provided_copies",
                "staff_clearance", "audit_chain", "access_record_retention",
                "holds_review", "requests_waiting", "emergency_followup"):  # fmt: skip
        result = _result(report, key)
        assert result.status is Status.PASS, (key, result)
        assert result.rows == []


def test_a_camera_without_signage_fails_with_that_camera(any_ctx: Gwanje, clock: FakeClock) -> None:
    _clean(any_ctx, clock)
    camera(any_ctx, "YS-NOSIGN", "TRAFFIC", CameraStatus.INSTALLED)  # installed, no board
    camera(any_ctx, "YS-PLAN", "TRAFFIC", CameraStatus.PLANNED)  # not installed: no board due
    report = _run(any_ctx)
    result = _result(report, "camera_signage")
    assert result.status is Status.FAIL
    assert [row[0] for row in result.rows] == ["YS-NOSIGN"]
    assert "signage_installed_on" in result.rows[0][4]
    statuses = {r.rid: r.status for r in report.requirements}
    assert statuses["ORD-9"] is Status.FAIL
    assert statuses["PIPA-1"] is Status.FAIL


def test_a_linked_camera_whose_signage_was_cleared_fails(any_ctx: Gwanje, clock: FakeClock) -> None:
    _clean(any_ctx, clock)
    with any_ctx.transaction() as session:
        session.execute(update(Camera).values(signage_manager_contact=None))
    result = _result(_run(any_ctx), "camera_signage")
    assert result.status is Status.FAIL
    assert result.rows[0][0] == "YS-OK-1"
    assert "signage_manager_contact" in result.rows[0][4]


def test_footage_past_retention_without_a_hold_fails(any_ctx: Gwanje, clock: FakeClock) -> None:
    cam = _clean(any_ctx, clock)
    footage(any_ctx, cam, NOW - timedelta(days=40))
    result = _result(_run(any_ctx), "retention_overdue")
    assert result.status is Status.FAIL
    assert [(row[0], row[1], row[2]) for row in result.rows] == [("YS-OK-1", 30, 1)]
    owner = person(any_ctx, "owner", "SMARTCITY")
    with any_ctx.transaction() as session:
        session.add(LegalHold(
            camera_id=cam, start_at=NOW - timedelta(days=41), end_at=NOW - timedelta(days=39),
            ground="investigation_material", reason="수사 2026-1", owner_id=owner.person_id,
            review_at=NOW + timedelta(days=10), created_at=NOW,
        ))  # fmt: skip
    assert _result(_run(any_ctx), "retention_overdue").status is Status.PASS


def test_footage_just_past_retention_only_warns(any_ctx: Gwanje, clock: FakeClock) -> None:
    cam = _clean(any_ctx, clock)
    footage(any_ctx, cam, NOW - timedelta(days=30, hours=2))  # the purge has not run yet
    assert _result(_run(any_ctx), "retention_overdue").status is Status.WARN


def test_an_overdue_destruction_fails_with_the_provision(any_ctx: Gwanje, clock: FakeClock) -> None:
    cam = _clean(any_ctx, clock)
    late = provided_copy(any_ctx, cam, NOW - timedelta(days=20), NOW - timedelta(days=1))
    provided_copy(any_ctx, cam, NOW - timedelta(days=20), NOW - timedelta(days=2), destroyed=True)
    provided_copy(any_ctx, cam, NOW - timedelta(days=2), NOW + timedelta(days=5))  # not due
    result = _result(_run(any_ctx), "provided_copies")
    assert result.status is Status.FAIL
    assert [row[0] for row in result.rows] == [late]


def test_staff_without_pledge_or_training_fail(any_ctx: Gwanje, clock: FakeClock) -> None:
    _clean(any_ctx, clock)
    person(any_ctx, "newbie", "SMARTCITY", "operator")  # no pledge, no training
    person(any_ctx, "visitor", None)  # no role: not staff with access
    result = _result(_run(any_ctx), "staff_clearance")
    assert result.status is Status.FAIL
    assert [(r[0], r[3], r[4]) for r in result.rows] == [("newbie", "✗", "✗")]


def test_holds_past_review_warn(any_ctx: Gwanje, clock: FakeClock) -> None:
    cam = _clean(any_ctx, clock)
    owner = person(any_ctx, "owner", "SMARTCITY")
    with any_ctx.transaction() as session:
        session.add(LegalHold(
            camera_id=cam, start_at=NOW - timedelta(days=9), end_at=NOW - timedelta(days=8),
            ground="other_law", reason="법령", owner_id=owner.person_id,
            review_at=NOW - timedelta(days=1), created_at=NOW - timedelta(days=9),
        ))  # fmt: skip
    result = _result(_run(any_ctx), "holds_review")
    assert result.status is Status.WARN
    assert result.rows[0][1] == "YS-OK-1"


def test_every_requirement_id_is_in_the_report(any_ctx: Gwanje, clock: FakeClock) -> None:
    _clean(any_ctx, clock)
    text = (ROOT / "docs" / "ordinance" / "REQUIREMENTS.md").read_text(encoding="utf-8")
    ids = re.findall(r"^- ((?:ORD|PIPA)-[0-9.]+)", text, flags=re.MULTILINE)
    report = _run(any_ctx)
    assert [r.rid for r in report.requirements] == ids
    by_id = {r.rid: r for r in report.requirements}
    assert by_id["ORD-13"].live is False  # the inspection itself: status from the matrix
    assert by_id["ORD-4"].status is Status.IMPLEMENTED  # "done" in docs/compliance.md
    assert "tests/people/test_roles.py" in by_id["ORD-4"].tests
    assert by_id["ORD-5.3"].status is Status.PARTIAL
    # Every ID without a live check takes its status from the matrix, row by row.
    matrix = (ROOT / "docs" / "compliance.md").read_text(encoding="utf-8")
    words = {"done": Status.IMPLEMENTED, "partial": Status.PARTIAL, "planned": Status.PLANNED}
    row = r"^\| ((?:ORD|PIPA)-[0-9.]+) \|.*\| (done|partial|planned)\b[^|]*\|$"
    found = re.findall(row, matrix, flags=re.MULTILINE)
    assert len(found) == len(ids)  # every row read
    for rid, status in found:
        if not by_id[rid].live:
            assert by_id[rid].status is words[status], rid
    assert by_id["ORD-31.1"].live
    assert by_id["ORD-31.1"].status is Status.PASS


def test_a_new_check_is_one_registration(any_ctx: Gwanje, clock: FakeClock) -> None:
    def peer_links(session: object, clock: object, settings: object) -> CheckResult:
        return CheckResult(Status.WARN, "reports.summary.no_entries", {}, ("reports.col.person",),
                           [("guest",)])  # fmt: skip

    report = _run(any_ctx, (*CHECKS, Check("peer_links", ("ORD-21",), peer_links)))  # type: ignore[arg-type]
    row = {r.rid: r for r in report.requirements}["ORD-21"]
    assert (row.status, row.live, row.checks) == (Status.WARN, True, ("peer_links",))


def test_a_broken_check_fails_alone(any_ctx: Gwanje, clock: FakeClock) -> None:
    _clean(any_ctx, clock)

    def broken(session: object, clock: object, settings: object) -> CheckResult:
        raise RuntimeError("boom")

    report = _run(any_ctx, (Check("broken", ("ORD-12",), broken), *CHECKS))  # type: ignore[arg-type]
    assert _result(report, "broken").status is Status.FAIL
    assert "boom" in _result(report, "broken").params["error"]
    assert _result(report, "camera_signage").status is Status.PASS


def test_pdf_reads_back_in_korean_with_the_violation(any_ctx: Gwanje, clock: FakeClock) -> None:
    _clean(any_ctx, clock)
    camera(any_ctx, "YS-NOSIGN", "TRAFFIC", CameraStatus.INSTALLED)
    report = _run(any_ctx)
    data = inspection.render_pdf(report, any_ctx.settings, "ko")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    for expected in ("CCTV 통합관제센터 자체점검 보고서", "안내판 설치·기재사항", "부적합",
                     "YS-NOSIGN", "ORD-13", "PIPA-7", "일부 구현"):  # fmt: skip
        assert expected in text, expected


def test_disabled_people_are_not_inspected(any_ctx: Gwanje, clock: FakeClock) -> None:
    _clean(any_ctx, clock)
    gone = person(any_ctx, "gone", "SMARTCITY", "operator")
    with any_ctx.transaction() as session:
        session.execute(update(Person).where(Person.id == gone.person_id).values(active=False))
    assert _result(_run(any_ctx), "staff_clearance").status is Status.PASS
