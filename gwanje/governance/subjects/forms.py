"""Form 1 (별지 제1호서식, 개인영상정보 열람·존재확인 청구서; ORD-29.4) and the result
notice (결과 통지서; ORD-29.3, PIPA-4) as PDF, on the shared frame (`gwanje.reports.pdf`).

Invariants: every label comes from the i18n catalog in Korean (these are the city's
official documents); form codes come from settings (`governance.subjects`); times are
printed in the city's time zone; a refusal notice always carries the ORD-29.3 ground, the
reason and how to appeal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from reportlab.platypus import Flowable, Paragraph, Spacer

from gwanje.governance.subjects import rules
from gwanje.governance.subjects.kinds import SubjectKind, SubjectState
from gwanje.governance.subjects.models import SubjectRequest
from gwanje.i18n import translate
from gwanje.reports import pdf
from gwanje.settings import Settings

LANG = "ko"


@dataclass(frozen=True)
class Names:
    """What the row refers to by id: camera codes and the staff who acted."""

    cameras: dict[int, str]
    verified_by: str
    decided_by: str


def _t(key: str, **params: object) -> str:
    return translate(key, LANG, **params)


def _local(settings: Settings, when: datetime | None) -> str:
    if when is None:
        return "—"
    return when.astimezone(ZoneInfo(settings.registry.timezone)).strftime("%Y-%m-%d %H:%M")


def _spec(settings: Settings, title: str, code: str, now: datetime) -> pdf.DocumentSpec:
    city = settings.registry.city_name_ko
    zone = ZoneInfo(settings.registry.timezone)
    return pdf.DocumentSpec(title=title, issuer=_t("subjects.pdf.issuer", city=city),
                            generated_at=now.astimezone(zone), form_code=code or None)  # fmt: skip


def _head(text: str) -> Paragraph:
    return Paragraph(text, pdf.styles()["h2"])


def form1(settings: Settings, row: SubjectRequest, names: Names, now: datetime) -> bytes:
    """The request form with the applicant, the request, identity and purpose."""
    conf = settings.governance.subjects
    tz = settings.registry.timezone
    due = rules.last_day(row.due_at, tz).isoformat()
    relation = (_t("subjects.pdf.agent", name=row.subject_name) if row.agent
                else _t("subjects.pdf.self"))  # fmt: skip
    body: list[Flowable] = [
        pdf.field_table([
            (_t("subjects.field.receipt_no"), row.receipt_no),
            (_t("subjects.page.received_at"), _local(settings, row.received_at)),
            (_t("subjects.pdf.period"), _t("subjects.pdf.period_days",
                                           days=conf.decision_days, date=due)),
        ]),
        _head(_t("subjects.pdf.section_applicant")),
        pdf.field_table([
            (_t("subjects.field.applicant_name"), row.applicant_name),
            (_t("subjects.field.applicant_birth"), row.applicant_birth or "—"),
            (_t("subjects.field.applicant_contact"), row.applicant_contact),
            (_t("subjects.field.applicant_address"), row.applicant_address or "—"),
            (_t("subjects.pdf.relation"), relation),
        ]),
        _head(_t("subjects.pdf.section_request")),
        pdf.field_table(_request_rows(settings, row, names)),
        _head(_t("subjects.pdf.section_identity")),
        pdf.field_table(_identity_rows(settings, row, names)),
        Spacer(1, 6),
        pdf.text(_t("subjects.pdf.statement", city=settings.registry.city_name_ko), "body"),
        Spacer(1, 4),
        pdf.text(f"{_local(settings, row.received_at)[:10]}    "
                 + _t("subjects.pdf.signature", name=row.applicant_name), "body"),
    ]  # fmt: skip
    return pdf.build(_spec(settings, _t("subjects.pdf.form1_title"), conf.form1_code, now), body)


def _request_rows(settings: Settings, row: SubjectRequest,
                  names: Names) -> list[tuple[str, object]]:  # fmt: skip
    places = "\n".join(f"{p.place} ({_local(settings, p.start_at)} ~ {_local(settings, p.end_at)})"
                       for p in row.places)  # fmt: skip
    cameras = "\n".join(
        f"{names.cameras.get(i.camera_id, i.camera_id)} ({_local(settings, i.start_at)} ~ "
        f"{_local(settings, i.end_at)})" for i in row.items
    ) or "—"  # fmt: skip
    return [
        (_t("subjects.field.kind"), _t(f"subjects.kind.{row.kind}")),
        (_t("subjects.page.places"), places),
        (_t("subjects.page.cameras"), cameras),
        (_t("subjects.field.vehicle_no"), row.vehicle_no or "—"),
        (_t("subjects.field.purpose"), row.purpose),
        (_t("subjects.field.details"), row.details or "—"),
    ]


def _identity_rows(settings: Settings, row: SubjectRequest,
                   names: Names) -> list[tuple[str, object]]:  # fmt: skip
    docs = [d for d in row.identity_docs.split(",") if d]
    if not docs:
        return [(_t("subjects.page.identity"), _t("subjects.page.not_verified"))]
    return [
        (_t("subjects.field.documents"), ", ".join(_t(f"subjects.doc.{d}") for d in docs)),
        (_t("subjects.field.note"), row.identity_note or "—"),
        (_t("subjects.pdf.verified_by"),
         f"{names.verified_by} · {_local(settings, row.identity_verified_at)}"),
    ]  # fmt: skip


def notice(settings: Settings, row: SubjectRequest, names: Names, now: datetime) -> bytes:
    """The result notice: the decision, its reason, and for a refusal the ORD-29.3
    ground and how to appeal; for a postponement the new due date."""
    conf = settings.governance.subjects
    body: list[Flowable] = [
        pdf.field_table([
            (_t("subjects.field.receipt_no"), row.receipt_no),
            (_t("subjects.field.applicant_name"), row.applicant_name),
            (_t("subjects.field.kind"), _t(f"subjects.kind.{row.kind}")),
            (_t("subjects.page.received_at"), _local(settings, row.received_at)),
        ]),
        _head(_t("subjects.pdf.section_decision")),
        pdf.field_table(_decision_rows(settings, row)),
        Spacer(1, 6),
        pdf.text(_t("subjects.pdf.notice_statement"), "body"),
        Spacer(1, 4),
        pdf.text(f"{_t('subjects.pdf.issuer', city=settings.registry.city_name_ko)} "
                 f"({names.decided_by})", "body"),
    ]  # fmt: skip
    title = _t("subjects.pdf.notice_title")
    return pdf.build(_spec(settings, title, conf.notice_form_code, now), body)


def _decision_rows(settings: Settings, row: SubjectRequest) -> list[tuple[str, object]]:
    state = SubjectState(row.state)
    if row.decided_at is None:
        return [(_t("subjects.pdf.decision"), _t("subjects.pdf.undecided"))]
    rows: list[tuple[str, object]] = [
        (_t("subjects.pdf.decision"), _t(f"subjects.state.{state.value}")),
        (_t("subjects.pdf.decided_at"), _local(settings, row.decided_at)),
    ]
    if row.refusal_ground:
        rows += [(_t("subjects.field.ground"), _t(f"subjects.ground.{row.refusal_ground}")),
                 (_t("subjects.field.reason"), row.decision_note),
                 (_t("subjects.field.appeal"), row.appeal)]  # fmt: skip
        return rows
    if state == SubjectState.POSTPONED:
        day = rules.last_day(row.due_at, settings.registry.timezone).isoformat()
        return [*rows, (_t("subjects.field.reason"), row.decision_note),
                (_t("subjects.public.new_due"), day)]  # fmt: skip
    if row.grant_mode:
        rows.append((_t("subjects.field.mode"), _t(f"subjects.mode.{row.grant_mode}")))
    if row.decision_note:
        rows.append((_t("subjects.field.note"), row.decision_note))
    if row.kind == SubjectKind.VIEWING:
        rows.append((_t("subjects.pdf.masking"), _t("subjects.pdf.masking_text")))
    if row.release_sha256:
        cost = _t("subjects.pdf.won", amount=f"{row.masking_cost_won or 0:,}")
        rows += [(_t("subjects.pdf.package"), f"{row.release_package} ({row.release_sha256})"),
                 (_t("subjects.pdf.cost"), cost)]  # fmt: skip
    return rows
