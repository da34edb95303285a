"""`gwanje health`: the end-of-life check lists cameras past installation + service life
(exit 3), and maintainers and contractor accounts are set from the command line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from people.people_kit import person
from registry.helpers import departments, make_camera
from sqlalchemy import select
from typer.testing import CliRunner

from gwanje.auth.permissions import Role
from gwanje.camhealth.models import CameraMaintainer, ContractorMember
from gwanje.cli.main import app
from gwanje.context import Gwanje
from gwanje.registry.models import CameraStatus, Contractor
from gwanje.settings import Mode, Settings


def test_end_of_life_and_assignments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GWANJE_MODE", "test")
    data = tmp_path / "data"
    ctx = Gwanje.open(Settings(mode=Mode.TEST, data_dir=data))
    dept = next(iter(departments(ctx).values()))
    make_camera(ctx, "OLD-1", dept, CameraStatus.LINKED, installed_on=date(2015, 3, 1))
    make_camera(ctx, "NEW-1", dept, CameraStatus.LINKED, installed_on=date(2025, 3, 1))
    make_camera(ctx, "EOL-1", dept, CameraStatus.LINKED, end_of_life_on=date(2020, 1, 1))
    with ctx.transaction() as session:
        session.add(Contractor(name="한빛", registration_number="R-1"))
        person(session, ctx.clock, "fixer", Role.CONTRACTOR, kind="contractor")
    runner = CliRunner()
    args = ["--data-dir", str(data), "health"]
    result = runner.invoke(app, [*args, "end-of-life"])
    assert result.exit_code == 3, result.output
    assert "OLD-1" in result.output
    assert "EOL-1" in result.output
    assert "NEW-1" not in result.output
    assert runner.invoke(app, [*args, "assign", "NEW-1", "R-1"]).exit_code == 0
    assert runner.invoke(app, [*args, "member", "fixer", "R-1"]).exit_code == 0
    assert runner.invoke(app, [*args, "assign", "NEW-1", "nope"]).exit_code == 1
    with ctx.sessions() as session:
        assert len(session.scalars(select(CameraMaintainer)).all()) == 1
        assert len(session.scalars(select(ContractorMember)).all()) == 1
    ctx.close()
