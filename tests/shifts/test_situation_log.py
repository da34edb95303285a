"""The daily situation log (상황일지) per shift, as a PDF read back with pypdf, and
`gwanje report situation-log` on a data directory."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from querycount import queries_of
from registry.helpers import departments, make_camera
from shifts_kit import Crew, crew
from typer.testing import CliRunner

from gwanje.cli.main import app
from gwanje.clock import FakeClock
from gwanje.console import service as console
from gwanje.context import Gwanje
from gwanje.errors import NotFound
from gwanje.operations.config import OperationsSettings
from gwanje.operations.incidents import IncidentInput, Incidents
from gwanje.registry.models import CameraStatus
from gwanje.settings import load_settings
from gwanje.shifts import situation_log
from gwanje.shifts.handover import Handovers

SEOUL = ZoneInfo("Asia/Seoul")
OPS = OperationsSettings.model_validate(
    {
        "recipients": [
            {
                "name": "police_112",
                "label": "112 종합상황실",
                "channels": [
                    {"kind": "webhook", "url": "http://127.0.0.1:9/hook", "secret": "s3cret-hook"}
                ],
            }
        ],
        "routes": {"crime": ["police_112"]},
    }
)


def _day_of_work(ctx: Gwanje, clock: FakeClock) -> Crew:
    team = crew(ctx)
    camera = make_camera(ctx, "LOG-1", departments(ctx)["SAFETY"], CameraStatus.LINKED)
    clock.set(datetime(2026, 1, 1, 10, tzinfo=SEOUL))
    with ctx.transaction() as session:
        Incidents(session, ctx.settings, ctx.clock, team.principal("op1")).open(
            IncidentInput(
                type="crime", severity="high", title="중앙시장 절도", camera_codes=("LOG-1",)
            )
        )
    clock.set(datetime(2026, 1, 1, 11, tzinfo=SEOUL))
    with console.console_transaction(ctx) as session:  # team 3 is off: flagged
        console.authorize_live(session, ctx.clock, team.principal("op3"), camera, "main", None, "v")
    clock.set(datetime(2026, 1, 1, 17, 50, tzinfo=SEOUL))
    with ctx.transaction() as session:
        from gwanje.shifts import roster

        slot = roster.on_duty(session, ctx.clock.now())[0].slot_id
        h = Handovers(session, ctx.settings, ctx.clock, team.principal("lead1")).open(slot)
        Handovers(session, ctx.settings, ctx.clock, team.principal("lead1")).check(
            h.id, {"no_video_out": True, "equipment": True, "incidents": True}, "특이사항 없음"
        )
    return team


def test_the_situation_log_pdf_reads_back(any_ctx: Gwanje, clock: FakeClock) -> None:
    ctx = replace(any_ctx, settings=any_ctx.settings.model_copy(update={"operations": OPS}))
    _day_of_work(ctx, clock)
    with ctx.sessions() as session:
        log = situation_log.build(session, ctx.settings, ctx.clock, "2026-01-01", "day")
    data = situation_log.render_pdf(log, ctx.settings, "ko")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    for expected in (
        "상황일지",
        "2026-01-01",
        "주간",
        "Lead1",
        "공무원",
        "전문관제요원",
        "중앙시장 절도",
        "police_112",
        "반출 없음",
        "특이사항 없음",
        "op3",
        "video.live_started",
    ):
        assert expected in text, expected
    assert "Op2" not in text  # team 2 is not on the day shift of 1 Jan
    with ctx.sessions() as session, pytest.raises(NotFound):
        situation_log.build(session, ctx.settings, ctx.clock, "2025-12-01")


def test_the_log_reads_a_fixed_number_of_queries_however_many_incidents(
    any_ctx: Gwanje, clock: FakeClock
) -> None:
    # The log used to read each incident's timeline with a query of its own.
    ctx = replace(any_ctx, settings=any_ctx.settings.model_copy(update={"operations": OPS}))
    team = _day_of_work(ctx, clock)

    def built() -> situation_log.SituationLog:
        with ctx.sessions() as session:
            return situation_log.build(session, ctx.settings, ctx.clock, "2026-01-01", "day")

    few = queries_of(ctx.engine, built)
    clock.set(datetime(2026, 1, 1, 12, tzinfo=SEOUL))
    titles = [f"사건 {n}" for n in range(4)]
    for title in titles:
        with ctx.transaction() as session:
            Incidents(session, ctx.settings, ctx.clock, team.principal("op1")).open(
                IncidentInput(type="crime", severity="low", title=title, camera_codes=("LOG-1",))
            )
    assert queries_of(ctx.engine, built) == few
    (day,) = built().shifts
    listed = {i["title"]: i for i in day.incidents}
    assert set(listed) == {"중앙시장 절도", *titles}
    for incident in listed.values():  # each with its own opening entry, none of another's
        assert [kind for _, kind, _, _ in incident["entries"]][:1] == ["opened"]
        assert sum(kind == "opened" for _, kind, _, _ in incident["entries"]) == 1


def test_report_situation_log_command(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "gwanje.toml").write_text('mode = "test"\n')
    system = Gwanje.open(load_settings(data_dir))
    crew(system)
    system.close()
    out = tmp_path / "log.pdf"
    args = [
        "--data-dir",
        str(data_dir),
        "report",
        "situation-log",
        "--date",
        "2026-01-02",
        "--output",
        str(out),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages)
    assert "주간" in text
    assert "야간" in text
    bad = CliRunner().invoke(app, [*args[:5], "2025-01-01", "--output", str(out)])
    assert bad.exit_code == 1
