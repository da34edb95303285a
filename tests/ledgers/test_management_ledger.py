"""The management ledger (ORD-33, PIPA-5) generated from the audit ledger and the
workflows: a police request approved → replayed → exported → delivered → result
reported → destroyed gives 열람/제공/파기 rows with the letter number, crime type and
arrest result; a retention purge is a 파기 summary row; filters; the projection reads
each audit entry once. Runs on SQLite and PostgreSQL (`any_ctx`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from ledger_kit import approved_request, city, exported, played_back, provided, purged
from sqlalchemy import func, select

from gwanje.context import Gwanje
from gwanje.errors import InvalidInput
from gwanje.i18n import translate
from gwanje.ledgers.management import ManagementFilter, parse_filter, read_ledger
from gwanje.ledgers.models import LedgerKind, ManagementRow
from gwanje.ledgers.projection import catch_up

SEOUL = ZoneInfo("Asia/Seoul")


def t(key: str, **params: Any) -> str:
    return translate(key, "ko", **params)


def ledger(ctx: Gwanje, f: ManagementFilter | None = None) -> list[dict[str, str]]:
    with ctx.transaction() as session:
        catch_up(session)
    with ctx.sessions() as session:
        return read_ledger(session, f or ManagementFilter(), SEOUL, t)


@pytest.fixture
def story(any_ctx: Gwanje) -> dict[str, Any]:
    ids = city(any_ctx)
    request_id, grant_id = approved_request(any_ctx, ids)
    played_back(any_ctx, ids, request_id, grant_id)
    export_id = exported(any_ctx, ids, request_id)
    ids["provision"] = provided(any_ctx, ids, export_id)
    purged(any_ctx, ids)
    return {**ids, "request": request_id, "grant": grant_id, "export": export_id}


def by_kind(lines: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    found: dict[str, list[dict[str, str]]] = {}
    for line in lines:
        found.setdefault(line["kind"], []).append(line)
    return found


def test_a_police_request_becomes_viewing_provision_and_destruction_rows(
    any_ctx: Gwanje, story: dict[str, Any]
) -> None:
    rows = by_kind(ledger(any_ctx))
    assert sorted((k, len(v)) for k, v in rows.items()) == [("열람", 1), ("제공", 1), ("파기", 2)]
    view = rows["열람"][0]
    assert view["officer"] == "choi"
    assert view["letter_no"] == "여수서 형사과-2026-501"
    assert view["crime_type"] == "절도"
    assert view["pledge"] == "예"  # choi signed the pledge before replaying
    assert f"req #{story['request']}" in view["sources"]
    assert f"grant #{story['grant']}" in view["sources"]
    given = rows["제공"][0]
    assert given["requester"] == "여수경찰서 경위 강경찰, 061-000-1234"  # PIPA-5: rank, contact
    assert given["recipient"] == "여수경찰서 형사과 강경찰 경위, 061-000-1234 (수령증 77)"
    assert given["pledge"] == "담당자 예 / 수령자 예"  # the recipient signed a pledge too
    assert given["result"] == "검거 · 피의자 검거"
    assert given["form"] == "직접 인계"
    assert given["basis"] == "범죄 수사·공소 (3호)"
    assert given["destroyed_by"] == "choi"
    assert given["destroyed_at"]
    assert "evidence-20260105T010000-LG-1-abcd.zip" in given["file"]
    assert f"prov #{story['provision']}" in given["sources"]
    copy, purge = sorted(rows["파기"], key=lambda line: "req" in line["sources"])[::-1]
    assert copy["result"] == "검거 · 피의자 검거"
    assert copy["letter_no"] == "여수서 형사과-2026-501"
    assert copy["destroyed_by"] == "choi"
    assert "영상 파일 삭제 확인서 수령" in copy["form"]
    assert purge["purpose"] == "보관기간 경과 자동 파기"
    assert purge["officer"] == "retention"
    assert "LG-1" in purge["file"]
    assert "1개 MP4" in purge["file"]


def test_filters_by_period_type_camera_department_and_requesting_body(
    any_ctx: Gwanje, story: dict[str, Any]
) -> None:
    def count(**params: str) -> int:
        return len(ledger(any_ctx, parse_filter(params)))

    assert count() == 4
    assert count(kind="destroy") == 2
    assert count(kind="view") == 1
    assert count(camera="LG-1") == 4
    assert count(camera="LG-2") == 0
    assert count(department="SAFETY") == 4
    assert count(department="TRAFFIC") == 0
    assert count(requester_org="경찰") == 3  # the purge has no requester
    assert count(requester_org="법원") == 0
    today = any_ctx.clock.now().astimezone(SEOUL).date()
    assert count(date_from=str(today), date_to=str(today)) >= 2  # destruction and purge
    assert count(date_to=str(today - timedelta(days=30))) == 0
    with pytest.raises(InvalidInput):
        parse_filter({"date_from": "2026-13-01"})
    with pytest.raises(InvalidInput):
        parse_filter({"date_from": "2026-02-01", "date_to": "2026-01-01"})
    with pytest.raises(InvalidInput):
        parse_filter({"kind": "gossip"})


def test_each_audit_entry_is_projected_once_and_purges_of_a_day_are_summed(
    any_ctx: Gwanje, story: dict[str, Any]
) -> None:
    ledger(any_ctx)
    with any_ctx.transaction() as session:
        assert catch_up(session) == 0  # nothing new
    purged(any_ctx, story, days_ago=35)  # a second purge, same camera, same day
    lines = ledger(any_ctx, ManagementFilter(kind=LedgerKind.DESTROY))
    assert len(lines) == 2  # still one summary row for the day
    with any_ctx.sessions() as session:
        summary = session.scalar(select(ManagementRow).where(ManagementRow.rule == "retention"))
        assert summary is not None
        assert (summary.entries, summary.segments) == (2, 2)
        assert summary.last_seq > summary.first_seq
        total = session.scalar(select(func.count()).select_from(ManagementRow))
    assert total == 4


def test_use_beyond_purpose_and_an_undestroyed_copy(any_ctx: Gwanje) -> None:
    ids = city(any_ctx)
    request_id, grant_id = approved_request(any_ctx, ids, kind="beyond_purpose")
    played_back(any_ctx, ids, request_id, grant_id)
    export_id = exported(any_ctx, ids, request_id)
    provided(any_ctx, ids, export_id, destroy=False)
    rows = by_kind(ledger(any_ctx))
    assert sorted((k, len(v)) for k, v in rows.items()) == [("이용", 2), ("제공", 1)]
    given = rows["제공"][0]
    assert given["destroy_due"]
    assert not given["destroyed_at"]
    assert not given["destroyed_by"]
