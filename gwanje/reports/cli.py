"""`gwanje report ...`: the self-inspection (ORD-13) and the monthly access-record review
(PIPA-3) as files, for the privacy officer's desk or a scheduled job.

Local commands act as the system actor `cli` (whoever can run them can read the
database anyway); each run is recorded in the audit ledger like a web request. Exit
codes: 0 written; 1 refused input (bad month, unreadable documents, missing font), with
the translated message; 2 bad settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from gwanje.audit import Actor
from gwanje.cli.common import open_system
from gwanje.context import Gwanje
from gwanje.errors import GwanjeError
from gwanje.i18n import translate
from gwanje.reports import access_review
from gwanje.reports.common import previous_month, zone_of
from gwanje.reports.inspection import report as inspection

app = typer.Typer(
    no_args_is_help=True, help="Reports (보고서): self-inspection, access review, situation log."
)
ACTOR = Actor.system("cli")
Lang = Annotated[str, typer.Option("--lang", help="ko or en.", case_sensitive=False)]


@contextmanager
def _system(ctx: typer.Context, lang: str) -> Iterator[Gwanje]:
    system = open_system(ctx)
    try:
        yield system
    except GwanjeError as exc:
        typer.secho(translate(exc.key, lang, **exc.params), fg="red", err=True)
        raise typer.Exit(1) from exc
    finally:
        system.close()


def _write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    typer.echo(f"wrote {path}")


@app.command("access-review")
def access_review_command(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("--output", "-o", help="PDF file to write.")],
    month: Annotated[
        str | None, typer.Option("--month", help="YYYY-MM (default: last month).")
    ] = None,
    lang: Lang = "ko",
) -> None:
    """The monthly review of access records: actions per account and anomalies (PIPA-3)."""
    with _system(ctx, lang) as system, system.transaction() as session:
        chosen = month or previous_month(system.clock.now(), zone_of(system.settings))
        review = access_review.build_review(session, system.settings, system.clock, chosen)
        data = access_review.render_pdf(review, system.settings, lang)
        access_review.audit_generated(session, system.clock, review, ACTOR, None, "pdf", "cli")
    _write(output, data)
    typer.echo(f"{review.entries} entries, {len(review.anomalies)} anomalies")


@app.command("inspection")
def inspection_command(
    ctx: typer.Context,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="PDF file to write.")
    ] = None,
    html: Annotated[Path | None, typer.Option("--html", help="HTML file to write.")] = None,
    lang: Lang = "ko",
) -> None:
    """The self-inspection report on live data, every requirement ID with its status."""
    if output is None and html is None:
        raise typer.BadParameter("give --output FILE.pdf and/or --html FILE")
    with _system(ctx, lang) as system, system.transaction() as session:
        report = inspection.run_inspection(session, system.clock, system.settings)
        pdf_data = inspection.render_pdf(report, system.settings, lang) if output else None
        html_data = _standalone_html(system, report, lang) if html else None
        fmt = "+".join(f for f, d in (("pdf", pdf_data), ("html", html_data)) if d)
        inspection.audit_generated(session, system.clock, report, ACTOR, None, fmt, "cli")
    for path, data in ((output, pdf_data), (html, html_data)):
        if path is not None and data is not None:
            _write(path, data)
    typer.echo(", ".join(f"{s.value} {n}" for s, n in report.requirement_counts().items()))


@app.command("situation-log")
def situation_log_command(
    ctx: typer.Context,
    date: Annotated[str, typer.Option("--date", help="Local day YYYY-MM-DD.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="PDF file to write.")],
    shift: Annotated[
        str | None, typer.Option("--shift", help="One shift code (default: every shift).")
    ] = None,
    lang: Lang = "ko",
) -> None:
    """The daily situation log (상황일지) per shift: staff, incidents, notifications,
    handover and out-of-shift flags (ORD-20.1)."""
    from gwanje.shifts import situation_log

    with _system(ctx, lang) as system, system.transaction() as session:
        log = situation_log.build(session, system.settings, system.clock, date, shift)
        data = situation_log.render_pdf(log, system.settings, lang)
        situation_log.audit_generated(session, system.clock, log, shift, ACTOR, None, "pdf", "cli")
    _write(output, data)
    typer.echo(f"{len(log.shifts)} shifts")


def _standalone_html(system: Gwanje, report: inspection.InspectionReport, lang: str) -> str:
    """The page's content as a file (no navigation, no login)."""
    from gwanje.reports.html import inspection_html

    return inspection_html(report, system.settings, lang)
