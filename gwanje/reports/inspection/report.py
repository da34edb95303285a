"""Running the self-inspection (자체점검, ORD-13) and laying out its report.

Procedure: (1) run every registered check in its own savepoint, in one read session (a
check that raises becomes FAIL with the error named, the others still run); (2) list
every requirement ID of REQUIREMENTS.md: IDs covered by checks take the worst status of
those checks, the others their status from docs/compliance.md with the tests it names;
(3) the caller renders HTML or PDF and records `report.inspection_generated`.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from reportlab.platypus import Flowable, Paragraph, Spacer
from sqlalchemy.orm import Session

from gwanje.audit import Actor, record
from gwanje.clock import Clock
from gwanje.i18n import translate
from gwanje.reports import pdf
from gwanje.reports.common import local_text, zone_of
from gwanje.reports.events import InspectionGenerated
from gwanje.reports.inspection.base import Check, CheckResult, Status, worst
from gwanje.reports.inspection.compliance import matrix, requirements
from gwanje.reports.inspection.registry import CHECKS
from gwanje.settings import Settings

log = logging.getLogger(__name__)
STATUS_ORDER = tuple(Status)


@dataclass(frozen=True)
class CheckOutcome:
    check: Check
    result: CheckResult


@dataclass(frozen=True)
class RequirementRow:
    rid: str
    text: str
    status: Status
    live: bool  # status from live checks (True) or from the compliance matrix
    checks: tuple[str, ...]  # keys of the covering checks
    tests: tuple[str, ...]
    matrix_text: str


@dataclass(frozen=True)
class InspectionReport:
    generated_at: datetime
    outcomes: list[CheckOutcome]
    requirements: list[RequirementRow]

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.result.status is status)

    def requirement_counts(self) -> dict[Status, int]:
        found = Counter(r.status for r in self.requirements)
        return {s: found[s] for s in STATUS_ORDER if found[s]}


def _run_one(session: Session, clock: Clock, settings: Settings, check: Check) -> CheckResult:
    try:
        with session.begin_nested():
            return check.run(session, clock, settings)
    except Exception as exc:  # a broken check must not hide the others' findings
        log.exception("inspection check %s failed", check.key)
        return CheckResult(Status.FAIL, "reports.summary.check_error", {"error": repr(exc)[:200]})


def run_inspection(
    session: Session, clock: Clock, settings: Settings, checks: Sequence[Check] = CHECKS
) -> InspectionReport:
    """Run `checks` on live data and map every requirement ID to a status."""
    outcomes = [CheckOutcome(c, _run_one(session, clock, settings, c)) for c in checks]
    table = matrix(settings)
    rows = []
    for req in requirements(settings):
        covering = [o for o in outcomes if req.rid in o.check.ids]
        entry = table.get(req.rid)
        status = (
            worst([o.result.status for o in covering])
            if covering
            else (entry.status if entry else Status.PLANNED)
        )
        rows.append(RequirementRow(
            req.rid, req.text, status, bool(covering), tuple(o.check.key for o in covering),
            entry.tests if entry else (), entry.status_text if entry else "",
        ))  # fmt: skip
    return InspectionReport(clock.now(), outcomes, rows)


def audit_generated(
    session: Session, clock: Clock, report: InspectionReport, actor: Actor,
    source_ip: str | None, fmt: str, channel: str,
) -> None:  # fmt: skip
    """Record that the inspection was run and its report produced (ORD-13)."""
    record(session, InspectionGenerated(
        actor=actor, source_ip=source_ip, format=fmt, channel=channel,
        passed=report.count(Status.PASS), warned=report.count(Status.WARN),
        failed=report.count(Status.FAIL),
    ), clock)  # fmt: skip


# ---- PDF -----------------------------------------------------------------------------
def status_label(status: Status, lang: str) -> str:
    return translate(f"reports.status.{status.value}", lang)


def _summary_body(report: InspectionReport, lang: str) -> list[Flowable]:
    st = pdf.styles()
    counts = report.requirement_counts()
    labels = [status_label(s, lang) for s in counts]
    return [
        Paragraph(translate("reports.inspection.summary", lang), st["h2"]),
        pdf.bar_chart(labels, list(counts.values())),
        Paragraph(translate("reports.inspection.checks_chart", lang), st["h2"]),
        pdf.bar_chart(
            [translate(o.check.title_key, lang) for o in report.outcomes],
            [len(o.result.rows) for o in report.outcomes],
        ),
    ]


def _requirements_table(report: InspectionReport, lang: str) -> list[Flowable]:
    st = pdf.styles()

    def t(key: str) -> str:
        return translate(key, lang)

    rows = [
        (r.rid, r.text[:140], status_label(r.status, lang),
         ", ".join(t(f"reports.check.{k}") for k in r.checks) or t("reports.inspection.matrix"),
         "\n".join(r.tests[:3]))
        for r in report.requirements
    ]  # fmt: skip
    columns = [t("reports.col.id"), t("reports.col.requirement"), t("reports.col.result"),
               t("reports.col.basis_of_status"), t("reports.col.tests")]  # fmt: skip
    return [
        Paragraph(t("reports.inspection.requirements"), st["h2"]),
        pdf.data_table(columns, rows, widths=[45, 300, 60, 150, 200]),
    ]


def _check_section(outcome: CheckOutcome, lang: str) -> list[Flowable]:
    result = outcome.result
    head = (f"[{status_label(result.status, lang)}] {translate(outcome.check.title_key, lang)}"
            f" ({', '.join(outcome.check.ids)})")  # fmt: skip
    body: list[Flowable] = [
        pdf.text(head, "h2"),
        pdf.text(translate(result.summary, lang, **result.params), "body"),
    ]
    if result.rows:
        columns = [translate(c, lang) for c in result.columns]
        body += [Spacer(1, 4), pdf.data_table(columns, result.rows[:200])]
    return body


def render_pdf(report: InspectionReport, settings: Settings, lang: str = "ko") -> bytes:
    zone = zone_of(settings)
    spec = pdf.DocumentSpec(
        title=translate("reports.inspection.title", lang),
        issuer=settings.reports.issuer,
        generated_at=report.generated_at.astimezone(zone),
        landscape=True,
        subtitle=translate(
            "reports.inspection.subtitle", lang, at=local_text(report.generated_at, zone)
        ),
    )
    body = _summary_body(report, lang)
    body += _requirements_table(report, lang)
    body.append(Paragraph(translate("reports.inspection.checks", lang), pdf.styles()["h2"]))
    for outcome in report.outcomes:
        body += _check_section(outcome, lang)
    return pdf.build(spec, body)
