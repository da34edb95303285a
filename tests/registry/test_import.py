"""Inventory import: all rows or nothing, per-row errors, UTF-8/BOM/CP949 CSV and XLSX."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import func, select

from gwanje.context import Gwanje
from gwanje.registry.importer import import_inventory
from gwanje.registry.models import Camera
from gwanje.registry.service import system_principal
from registry.helpers import audit_rows, departments

SAMPLE = Path(__file__).parents[2] / "gwanje" / "registry" / "samples" / "cameras.csv"
HEADER = "관리번호,명칭,읍면동,설치장소,관리부서,설치주체,설치목적,위도,경도\n"
GOOD = HEADER + (
    "YS-A-1,진남관,중앙동,동문로 11,SAFETY,여수시,방범,34.74,127.73\n"
    "YS-A-2,여서로,여서동,여서1로,교통과,여수시,교통정보 수집; 방범,34.75,127.71\n"
)


def _count(ctx: Gwanje) -> int:
    with ctx.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(Camera)) or 0)


def _run(ctx: Gwanje, name: str, content: bytes, dry_run: bool = False):  # type: ignore[no-untyped-def]
    return import_inventory(ctx, system_principal("t"), name, content, dry_run=dry_run)


def test_good_utf8_file_imports_all_rows_and_audits_once(any_ctx: Gwanje) -> None:
    departments(any_ctx)
    report = _run(any_ctx, "inv.csv", GOOD.encode())
    assert report.ok
    assert report.imported == 2
    assert _count(any_ctx) == 2
    events = audit_rows(any_ctx, "camera.imported")
    assert len(events) == 1
    assert '"count":2' in events[0].details


def test_bad_rows_report_every_error_and_write_nothing(any_ctx: Gwanje) -> None:
    departments(any_ctx)
    bad = HEADER + (
        "YS-B-1,좋은 행,중앙동,주소,SAFETY,여수시,방범,34.7,127.7\n"
        "YS-B-2,나쁜 목적,중앙동,주소,SAFETY,여수시,광고,34.7,127.7\n"
        "YS-B-3,나쁜 부서,중앙동,주소,NOWHERE,여수시,방범,34.7,127.7\n"
        "YS-B-1,중복,중앙동,주소,SAFETY,여수시,방범,34.7,127.7\n"
        "YS-B-5,나쁜 위도,중앙동,주소,SAFETY,여수시,방범,134.7,127.7\n"
    )
    report = _run(any_ctx, "bad.csv", bad.encode())
    assert not report.ok
    rows = {(e.row, e.column) for e in report.errors}
    assert (3, "설치목적") in rows
    assert (4, "관리부서") in rows
    assert any(e.row == 5 for e in report.errors)  # duplicate number within the file
    assert (6, "위도") in rows
    assert not any(e.row == 2 for e in report.errors)
    assert _count(any_ctx) == 0
    refused = audit_rows(any_ctx, "camera.imported")
    assert [(r.outcome, '"count":0' in r.details) for r in refused] == [("failed", True)]
    assert audit_rows(any_ctx, "camera.created") == []


def test_dry_run_validates_but_writes_nothing(ctx: Gwanje) -> None:
    departments(ctx)
    report = _run(ctx, "inv.csv", GOOD.encode(), dry_run=True)
    assert report.ok
    assert report.rows == 2
    assert report.imported == 0
    assert _count(ctx) == 0


def test_bom_and_cp949_files(ctx: Gwanje) -> None:
    departments(ctx)
    assert _run(ctx, "bom.csv", b"\xef\xbb\xbf" + GOOD.encode()).imported == 2
    cp949 = GOOD.replace("YS-A-", "YS-K-").encode("cp949")
    report = _run(ctx, "euckr.csv", cp949)
    assert report.ok
    assert report.imported == 2
    with ctx.transaction() as session:
        names = set(session.scalars(select(Camera.name).where(Camera.code.like("YS-K-%"))))
    assert names == {"진남관", "여서로"}


def test_xlsx_file(ctx: Gwanje) -> None:
    departments(ctx)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in GOOD.strip().splitlines():
        sheet.append(line.split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    report = _run(ctx, "inv.xlsx", buffer.getvalue())
    assert report.ok, report.errors
    assert _count(ctx) == 2


def test_unknown_and_missing_columns(ctx: Gwanje) -> None:
    report = _run(ctx, "x.csv", "관리번호,비고\nYS-1,memo\n".encode())
    columns = {e.column for e in report.errors}
    assert "비고" in columns
    assert "설치목적" in columns


def test_shipped_sample_imports_with_statuses(ctx: Gwanje) -> None:
    departments(ctx)
    report = _run(ctx, SAMPLE.name, SAMPLE.read_bytes())
    assert report.ok, report.errors
    with ctx.transaction() as session:
        statuses = {
            code: status for code, status in session.execute(select(Camera.code, Camera.status))
        }
    assert statuses == {
        "YS-IMP-0001": "linked",
        "YS-IMP-0002": "installed",
        "YS-IMP-0003": "planned",
    }


def test_status_requirements_checked_on_import(ctx: Gwanje) -> None:
    departments(ctx)
    content = (
        HEADER.strip()
        + ",상태\n"
        + "YS-L-1,연계,중앙동,주소,SAFETY,여수시,방범,34.7,127.7,linked\n"
    )
    report = _run(ctx, "s.csv", content.encode())
    assert not report.ok
    assert report.errors[0].row == 2
    assert "안내판" in report.errors[0].message
