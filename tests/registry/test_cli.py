"""`gwanje cameras import|policy|list` against a fresh data directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gwanje.cli.main import app

SAMPLE = Path(__file__).parents[2] / "gwanje" / "registry" / "samples" / "cameras.csv"


def test_import_dry_run_bad_file_exits_nonzero_then_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GWANJE_MODE", "test")
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path / "data")]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "관리번호,명칭,읍면동,설치장소,관리부서,설치주체,설치목적\nX-1,a,b,c,NOWHERE,d,광고\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, [*data, "cameras", "import", str(bad), "--dry-run", "--lang", "en"])
    assert result.exit_code == 1, result.output
    assert "nothing was imported" in result.output
    policy = runner.invoke(app, [*data, "cameras", "policy", "--lang", "en"])
    assert policy.exit_code == 0, policy.output
    assert "0 video devices" in policy.output
