"""Reports as standalone HTML files (the CLI's `--html`): the page's content with its
styles inline and no navigation, rendered from the same templates as the web pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from gwanje.i18n import translate
from gwanje.reports.common import bars, local_text, zone_of
from gwanje.reports.inspection import report as inspection
from gwanje.reports.inspection.base import Status
from gwanje.settings import Settings

ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)


def inspection_html(report: inspection.InspectionReport, settings: Settings, lang: str) -> str:
    def t(key: str, **params: Any) -> str:
        return translate(key, lang, **params)

    counts = report.requirement_counts()
    labels = [inspection.status_label(s, lang) for s in counts]
    return ENV.get_template("reports/inspection_file.html").render(
        t=t, lang=lang, report=report, statuses=Status,
        chart=bars(labels, list(counts.values())),
        at=local_text(report.generated_at, zone_of(settings)),
    )  # fmt: skip
