"""The monthly review of access records (PIPA-3): counts per account and action, and the
anomalies it must flag with the ledger entries as evidence (night playback, bulk
export, a camera outside one's department, repeated denials), never a normal daytime
view; the review itself is recorded in the ledger; the PDF carries the Korean text."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader
from registry.helpers import audit_rows
from reports_kit import MONTH, at, camera, denied, export, live, person, playback, seoul

from gwanje.audit import Actor
from gwanje.clock import FakeClock
from gwanje.context import Gwanje
from gwanje.errors import InvalidInput
from gwanje.reports import access_review as review
from gwanje.reports.access_review import AnomalyKind


def _seed(ctx: Gwanje, clock: FakeClock) -> dict[str, object]:
    traffic_cam = camera(ctx, "YS-T-1", "TRAFFIC")
    safety_cam = camera(ctx, "YS-S-1", "SAFETY")
    kim = person(ctx, "kim", "TRAFFIC", "operator")
    lee = person(ctx, "lee", "SMARTCITY", "operator")  # the center watches every camera
    park = person(ctx, "park", "TRAFFIC", "operator")
    choi = person(ctx, "choi", "TRAFFIC", "operator")
    seqs: dict[str, object] = {"traffic": traffic_cam, "safety": safety_cam}
    at(ctx, clock, seoul(5, 14), live(kim, traffic_cam))  # normal daytime view
    seqs["normal"] = audit_rows(ctx)[-1].seq
    at(ctx, clock, seoul(6, 23, 30), playback(kim, traffic_cam, seoul(6, 12)))
    seqs["night"] = audit_rows(ctx)[-1].seq
    at(ctx, clock, seoul(7, 10), live(kim, safety_cam))
    seqs["outside"] = audit_rows(ctx)[-1].seq
    at(ctx, clock, seoul(7, 11), live(lee, safety_cam))
    seqs["center"] = audit_rows(ctx)[-1].seq
    for n in range(5):
        at(ctx, clock, seoul(8, 10 + n), export(park, traffic_cam, seoul(1, 8 + n)))
    seqs["exports"] = [r.seq for r in audit_rows(ctx, "evidence.exported")]
    for n in range(5):
        at(ctx, clock, seoul(9, 15, n), denied(choi))
    seqs["denials"] = [r.seq for r in audit_rows(ctx, "auth.permission_denied")]
    # Outside October (Korea time): not in the review.
    at(ctx, clock, seoul(1, 0) - timedelta(minutes=1), playback(kim, traffic_cam, seoul(1, 0)))
    at(ctx, clock, datetime(2026, 10, 31, 15, 0, tzinfo=UTC), live(kim, traffic_cam))
    clock.set(datetime(2026, 11, 2, 1, 0, tzinfo=UTC))
    return seqs


def _build(ctx: Gwanje, month: str = MONTH) -> review.AccessReview:
    with ctx.transaction() as session:
        return review.build_review(session, ctx.settings, ctx.clock, month)


def _flagged(result: review.AccessReview, kind: AnomalyKind) -> list[review.Anomaly]:
    return [a for a in result.anomalies if a.kind is kind]


def test_anomalies_are_flagged_with_their_entries_and_a_daytime_view_is_not(
    any_ctx: Gwanje, clock: FakeClock
) -> None:
    seeded = _seed(any_ctx, clock)
    result = _build(any_ctx)
    assert result.month.label == MONTH
    (night,) = _flagged(result, AnomalyKind.NIGHT)
    assert (night.actor, night.day) == ("kim", "2026-10-06")
    assert [e.seq for e in night.evidence] == [seeded["night"]]
    (bulk,) = _flagged(result, AnomalyKind.BULK_EXPORT)
    assert bulk.actor == "park"
    assert bulk.count == 5
    assert bulk.minutes == 150
    assert [e.seq for e in bulk.evidence] == seeded["exports"]
    (outside,) = _flagged(result, AnomalyKind.OUT_OF_DEPARTMENT)
    assert outside.actor == "kim"
    assert [e.seq for e in outside.evidence] == [seeded["outside"]]
    (denials,) = _flagged(result, AnomalyKind.DENIALS)
    assert denials.actor == "choi"
    assert [e.seq for e in denials.evidence] == seeded["denials"]
    evidence = {e.seq for a in result.anomalies for e in a.evidence}
    assert seeded["normal"] not in evidence  # a daytime view of one's own camera
    assert seeded["center"] not in evidence  # the center's operator, any camera
    assert len(result.anomalies) == 4


def test_counts_per_account_cover_the_month_only(any_ctx: Gwanje, clock: FakeClock) -> None:
    _seed(any_ctx, clock)
    accounts = {row.actor: row for row in _build(any_ctx).accounts}
    kim = accounts["kim"]
    assert (kim.counts["live"], kim.counts["playback"]) == (2, 1)  # Sep 30 and Nov 1 left out
    assert accounts["park"].counts["export"] == 5
    assert (accounts["choi"].denied, accounts["choi"].counts["live"]) == (5, 0)


def test_ptz_commands_and_prints_are_counted(any_ctx: Gwanje, clock: FakeClock) -> None:
    """PIPA-3 names PTZ and printing among the processing actions to review."""
    from gwanje.governance.subjects.events import SubjectDocumentIssued
    from gwanje.ptz.events import PtzMoved

    cam = camera(any_ctx, "YS-P-1", "TRAFFIC")
    kim = person(any_ctx, "kim", "TRAFFIC", "operator")
    for minute in range(3):
        at(any_ctx, clock, seoul(12, 10, minute), PtzMoved(
            actor=kim, camera_ids=(cam,), code="YS-P-1", mode="relative",
            target={"pan": 0.1, "tilt": 0.0, "zoom": 0.0}, inside=True))  # fmt: skip
    at(any_ctx, clock, seoul(12, 11), SubjectDocumentIssued(
        actor=kim, request_id=1, document="form1"))  # fmt: skip
    clock.set(datetime(2026, 11, 2, 1, 0, tzinfo=UTC))
    counts = {row.actor: row for row in _build(any_ctx).accounts}["kim"].counts
    assert (counts["ptz"], counts["print"]) == (3, 1)


def test_below_thresholds_nothing_is_flagged(any_ctx: Gwanje, clock: FakeClock) -> None:
    cam = camera(any_ctx, "YS-T-2", "TRAFFIC")
    kim = person(any_ctx, "kim", "TRAFFIC", "operator")
    for n in range(4):  # four exports of 10 minutes: neither count nor duration is bulk
        at(any_ctx, clock, seoul(8, 10 + n), export(kim, cam, seoul(1, 8), minutes=10))
    for n in range(4):
        at(any_ctx, clock, seoul(9, 15, n), denied(kim))
    at(any_ctx, clock, seoul(10, 6, 0), playback(kim, cam, seoul(9, 1)))  # 06:00 is day
    assert _build(any_ctx).anomalies == []


def test_night_hours_are_configurable(any_ctx: Gwanje, clock: FakeClock) -> None:
    cam = camera(any_ctx, "YS-T-3", "TRAFFIC")
    kim = person(any_ctx, "kim", "TRAFFIC", "operator")
    at(any_ctx, clock, seoul(10, 20, 30), playback(kim, cam, seoul(9, 1)))
    assert _build(any_ctx).anomalies == []
    any_ctx.settings.reports.night_start_hour = 20
    assert [a.kind for a in _build(any_ctx).anomalies] == [AnomalyKind.NIGHT]


def test_recording_the_review_is_audited_and_shown(any_ctx: Gwanje, clock: FakeClock) -> None:
    _seed(any_ctx, clock)
    officer = Actor(person_id=None, username="officer", kind="system")
    with any_ctx.transaction() as session:
        review.record_review(session, any_ctx.settings, clock, officer, "10.1.1.1", MONTH,
                             "야간 재생은 수사 협조 건으로 확인")  # fmt: skip
    (entry,) = audit_rows(any_ctx, "report.access_review_recorded")
    assert json.loads(entry.details) == {
        "month": MONTH, "note": "야간 재생은 수사 협조 건으로 확인", "anomalies": 4,
    }  # fmt: skip
    assert entry.actor_name == "officer"
    assert entry.source_ip == "10.1.1.1"
    (shown,) = _build(any_ctx).reviews
    assert shown.reviewer == "officer"
    assert _build(any_ctx, "2026-09").reviews == []


def test_bad_month_is_a_clear_error(any_ctx: Gwanje) -> None:
    with pytest.raises(InvalidInput) as caught:
        _build(any_ctx, "2026-13")
    assert caught.value.key == "reports.error.month"


def test_pdf_reads_back_in_korean(any_ctx: Gwanje, clock: FakeClock) -> None:
    _seed(any_ctx, clock)
    data = review.render_pdf(_build(any_ctx), any_ctx.settings, "ko")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    expected_texts = (
        "개인영상정보 접속기록 월간 점검 보고서", "야간 재생·반출", "대량 반출",
        "소속 부서 밖 카메라 접근", "반복된 접근 거부", "근무시간 외 관제", "park", "YS-S-1",
    )  # fmt: skip
    for expected in expected_texts:
        assert expected in text, expected
