"""`gwanje report ...` end to end on a data directory: files written, exit codes, and each
run recorded in the audit ledger."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from typer.testing import CliRunner

from gwanje.audit.models import AuditEntry
from gwanje.cli.main import app
from gwanje.context import Gwanje
from gwanje.people.sample_city import ensure_departments
from gwanje.registry.schemas import CameraCreate
from gwanje.registry.service import Registry, system_principal
from gwanje.settings import load_settings

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A test-mode data directory with one camera installed without signage."""
    path = tmp_path / "data"
    path.mkdir()
    (path / "gwanje.toml").write_text('mode = "test"\n')
    system = Gwanje.open(load_settings(path))
    from registry.helpers import camera_values

    from gwanje.registry.models import CameraStatus

    with system.transaction() as session:
        dept = ensure_departments(session)["TRAFFIC"].id
        values = camera_values("YS-CLI-1", dept, CameraStatus.INSTALLED)
        Registry(session, system.settings, system.clock, system_principal("test")).create(
            CameraCreate.model_validate(values), CameraStatus.INSTALLED
        )
    system.close()
    return path


def _run(data_dir: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--data-dir", str(data_dir), "report", *args])
    return result.exit_code, result.output


def _generated(data_dir: Path, event_type: str) -> list[dict[str, object]]:
    system = Gwanje.open(load_settings(data_dir))
    with system.sessions() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.event_type == event_type))
        found = [json.loads(r.details) for r in rows]
    system.close()
    return found


def test_inspection_writes_pdf_and_html(data_dir: Path, tmp_path: Path) -> None:
    out, page = tmp_path / "out" / "inspection.pdf", tmp_path / "inspection.html"
    code, output = _run(data_dir, "inspection", "--output", str(out), "--html", str(page))
    assert code == 0, output
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages)
    assert "자체점검 보고서" in text
    assert "YS-CLI-1" in text
    html = page.read_text(encoding="utf-8")
    assert 'data-testid="check-camera_signage" data-status="fail"' in html
    assert "YS-CLI-1" in html
    (generated,) = _generated(data_dir, "report.inspection_generated")
    assert (generated["format"], generated["channel"]) == ("pdf+html", "cli")


def test_access_review_writes_pdf(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "review.pdf"
    code, output = _run(data_dir, "access-review", "--month", "2026-10", "--output", str(out))
    assert code == 0, output
    assert "0 anomalies" in output
    text = PdfReader(io.BytesIO(out.read_bytes())).pages[0].extract_text()
    assert "접속기록 월간 점검 보고서" in text
    assert "2026-10" in text
    (generated,) = _generated(data_dir, "report.access_review_generated")
    assert (generated["month"], generated["channel"]) == ("2026-10", "cli")


def test_bad_month_exits_1_with_the_message(data_dir: Path, tmp_path: Path) -> None:
    code, output = _run(data_dir, "access-review", "--month", "10-2026", "-o",
                        str(tmp_path / "x.pdf"), "--lang", "en")  # fmt: skip
    assert code == 1
    assert "YYYY-MM" in output
    assert not (tmp_path / "x.pdf").exists()


def test_inspection_needs_an_output(data_dir: Path) -> None:
    code, _ = _run(data_dir, "inspection")
    assert code == 2
