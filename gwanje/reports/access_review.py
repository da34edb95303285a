"""The monthly review of access records (접속기록 월간 점검, PIPA-3).

Owns: reading one local calendar month of the audit ledger, counting every account's
processing actions (live view, playback, export, download, delete, PTZ, print),
flagging anomalies with the ledger entries as evidence, and
recording that a reviewer did the review (an audit entry: the ledger is the record).

Anomalies (thresholds in `ReportsSettings`, times in `registry.timezone`):
- night: playback, export or download between `night_start_hour` and `night_end_hour`;
- bulk export: one account's exports in one day reach `bulk_exports_per_day`, or their
  total video duration reaches `bulk_export_minutes_per_day`;
- out of department: live view, playback, export or download of a camera owned by a
  department outside the account's own (its home department and the departments its
  roles are scoped to); members of the dedicated department (the center, ORD-4) watch
  every camera and are never flagged;
- denials: one account refused (`outcome = denied`: 401/403, WebSocket 1008, out of scope,
  no grant, failed login) `denials_per_day` times in one day.
- out of shift: live view or incident work by a shift worker who was not on duty at the
  time (the schedule of gwanje/shifts; rule and grace in `gwanje.shifts.flags`).

Invariants: read-only apart from the audit entries it writes (generation and review);
entries are never altered, and the evidence shown is the stored entry (seq, time, actor,
source IP, cameras, video range, outcome) so it can be found again in the ledger.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer
from sqlalchemy import select
from sqlalchemy.orm import Session

from gwanje.audit import Actor, record
from gwanje.audit.models import AuditEntry
from gwanje.clock import Clock, as_utc
from gwanje.i18n import translate
from gwanje.people.access import role_sources
from gwanje.people.models import Department, Person
from gwanje.registry.models import Camera
from gwanje.reports import pdf
from gwanje.reports.common import Month, local_text, parse_month, zone_of
from gwanje.reports.config import ReportsSettings
from gwanje.reports.events import AccessReviewGenerated, AccessReviewRecorded
from gwanje.settings import Settings

# Audit event type → PIPA-3 processing action. A subsystem that records a new kind of
# processing adds its event type here.
ACTIONS: dict[str, str] = {
    "video.live_started": "live",
    "video.playback": "playback",
    "evidence.exported": "export",
    "evidence.downloaded": "download",
    "subject_request.masked_clip_downloaded": "download",
    "retention.destroyed": "delete",
    "ptz.moved": "ptz",
    "subject_request.document_issued": "print",
}
ACTION_ORDER = ("live", "playback", "export", "download", "delete", "ptz", "print")
NIGHT_ACTIONS = frozenset({"playback", "export", "download"})
CAMERA_ACTIONS = frozenset({"live", "playback", "export", "download"})
EVIDENCE_LIMIT = 50  # rows shown per anomaly; the rest are counted


class AnomalyKind(StrEnum):
    NIGHT = "night"
    BULK_EXPORT = "bulk_export"
    OUT_OF_DEPARTMENT = "out_of_department"
    DENIALS = "denials"
    OUT_OF_SHIFT = "out_of_shift"


@dataclass(frozen=True)
class Entry:
    """One ledger entry as the review shows it (no details: what, who, when, where)."""

    seq: int
    at: datetime
    event_type: str
    actor_id: int | None
    actor: str
    actor_kind: str
    source_ip: str | None
    outcome: str
    camera_ids: tuple[int, ...]
    range_start: datetime | None
    range_end: datetime | None

    @property
    def action(self) -> str | None:
        return ACTIONS.get(self.event_type)

    @property
    def video_minutes(self) -> float:
        if self.range_start is None or self.range_end is None:
            return 0.0
        return max(0.0, (self.range_end - self.range_start).total_seconds() / 60)


@dataclass
class AccountRow:
    actor: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTION_ORDER, 0))
    denied: int = 0
    total: int = 0


@dataclass(frozen=True)
class Anomaly:
    kind: AnomalyKind
    actor: str
    day: str  # local date YYYY-MM-DD
    count: int
    minutes: float
    evidence: list[Entry]


@dataclass(frozen=True)
class ReviewRecord:
    at: datetime
    reviewer: str
    note: str


@dataclass
class AccessReview:
    month: Month
    generated_at: datetime
    zone: ZoneInfo
    thresholds: ReportsSettings
    entries: int
    accounts: list[AccountRow]
    anomalies: list[Anomaly]
    reviews: list[ReviewRecord]
    camera_codes: dict[int, str]
    shift_checked: bool = True  # out-of-shift access is checked (gwanje.shifts.flags)

    def by_kind(self) -> dict[AnomalyKind, int]:
        counts = dict.fromkeys(AnomalyKind, 0)
        for anomaly in self.anomalies:
            counts[anomaly.kind] += 1
        return counts

    def cameras_text(self, entry: Entry) -> str:
        return ", ".join(self.camera_codes.get(c, str(c)) for c in entry.camera_ids)

    def local(self, value: datetime | None) -> str:
        return local_text(value, self.zone, seconds=True)


# ---- reading the ledger ------------------------------------------------------------
def _entries(session: Session, month: Month) -> list[Entry]:
    e = AuditEntry
    rows = session.execute(
        select(e.seq, e.at, e.event_type, e.actor_id, e.actor_name, e.actor_kind,
               e.source_ip, e.outcome, e.camera_ids, e.range_start, e.range_end)
        .where(e.at >= month.start, e.at < month.end)
        .order_by(e.seq)
    ).all()  # fmt: skip
    return [_entry(r) for r in rows]


def _entry(r: Any) -> Entry:
    return Entry(
        seq=r[0], at=as_utc(r[1]), event_type=r[2], actor_id=r[3], actor=r[4],
        actor_kind=r[5], source_ip=r[6], outcome=r[7],
        camera_ids=tuple(int(c) for c in (r[8] or "").split(",") if c),
        range_start=as_utc(r[9]) if r[9] else None,
        range_end=as_utc(r[10]) if r[10] else None,
    )  # fmt: skip


def _accounts(entries: Iterable[Entry]) -> list[AccountRow]:
    found: dict[str, AccountRow] = {}
    for entry in entries:
        row = found.setdefault(entry.actor, AccountRow(entry.actor))
        row.total += 1
        if entry.outcome == "denied":
            row.denied += 1
        elif entry.action is not None:
            row.counts[entry.action] += 1
    return sorted(found.values(), key=lambda r: r.actor)


# ---- anomaly rules -----------------------------------------------------------------
def is_night(at: datetime, zone: ZoneInfo, start_hour: int, end_hour: int) -> bool:
    hour = at.astimezone(zone).hour
    if start_hour > end_hour:  # the window spans midnight (default 22–06)
        return hour >= start_hour or hour < end_hour
    return start_hour <= hour < end_hour


def _grouped(entries: Iterable[Entry], zone: ZoneInfo) -> dict[tuple[str, str], list[Entry]]:
    groups: dict[tuple[str, str], list[Entry]] = defaultdict(list)
    for entry in entries:
        groups[(entry.actor, entry.at.astimezone(zone).strftime("%Y-%m-%d"))].append(entry)
    return groups


def _anomaly(kind: AnomalyKind, key: tuple[str, str], found: list[Entry]) -> Anomaly:
    minutes = round(sum(e.video_minutes for e in found), 1)
    return Anomaly(kind, key[0], key[1], len(found), minutes, found)


def night_access(entries: list[Entry], zone: ZoneInfo, cfg: ReportsSettings) -> list[Anomaly]:
    night = [
        e for e in entries
        if e.outcome == "ok" and e.action in NIGHT_ACTIONS
        and is_night(e.at, zone, cfg.night_start_hour, cfg.night_end_hour)
    ]  # fmt: skip
    return [_anomaly(AnomalyKind.NIGHT, k, v) for k, v in _grouped(night, zone).items()]


def bulk_exports(entries: list[Entry], zone: ZoneInfo, cfg: ReportsSettings) -> list[Anomaly]:
    exports = [e for e in entries if e.outcome == "ok" and e.action == "export"]
    found: list[Anomaly] = []
    for key, rows in _grouped(exports, zone).items():
        minutes = sum(e.video_minutes for e in rows)
        if len(rows) >= cfg.bulk_exports_per_day or minutes >= cfg.bulk_export_minutes_per_day:
            found.append(_anomaly(AnomalyKind.BULK_EXPORT, key, rows))
    return found


def many_denials(entries: list[Entry], zone: ZoneInfo, cfg: ReportsSettings) -> list[Anomaly]:
    denied = [e for e in entries if e.outcome == "denied"]
    return [
        _anomaly(AnomalyKind.DENIALS, key, rows)
        for key, rows in _grouped(denied, zone).items()
        if len(rows) >= cfg.denials_per_day
    ]


class DepartmentScopes:
    """The departments whose cameras an account is expected to touch (cached per person
    and day): None for the dedicated department's members (ORD-4), else the home
    department and the departments the person's roles are scoped to (ORD-30.1)."""

    def __init__(self, session: Session, zone: ZoneInfo) -> None:
        self.session = session
        self.zone = zone
        self.dedicated = set(
            session.scalars(select(Department.id).where(Department.is_dedicated.is_(True)))
        )
        self.people = {p.id: p for p in session.scalars(select(Person))}
        self._cache: dict[tuple[int, str], frozenset[int] | None] = {}

    def of(self, person_id: int, at: datetime) -> frozenset[int] | None:
        key = (person_id, at.astimezone(self.zone).strftime("%Y-%m-%d"))
        if key not in self._cache:
            self._cache[key] = self._expected(person_id, at)
        return self._cache[key]

    def _expected(self, person_id: int, at: datetime) -> frozenset[int] | None:
        person = self.people.get(person_id)
        if person is None:
            return frozenset()
        if person.department_id in self.dedicated:
            return None
        found = {person.department_id} if person.department_id is not None else set()
        for source in role_sources(self.session, person_id, at):
            found |= source.departments or set()
        return frozenset(found)


def out_of_department(
    session: Session, entries: list[Entry], zone: ZoneInfo, departments: dict[int, int]
) -> list[Anomaly]:
    scopes = DepartmentScopes(session, zone)
    outside: list[Entry] = []
    for e in entries:
        if e.outcome != "ok" or e.action not in CAMERA_ACTIONS or e.actor_id is None:
            continue
        expected = scopes.of(e.actor_id, e.at)
        if expected is None:
            continue
        if any(departments.get(c) not in expected for c in e.camera_ids):
            outside.append(e)
    return [
        _anomaly(AnomalyKind.OUT_OF_DEPARTMENT, k, v) for k, v in _grouped(outside, zone).items()
    ]


def out_of_shift(
    session: Session, settings: Settings, entries: list[Entry], span: Month, zone: ZoneInfo
) -> list[Anomaly]:
    """Entries of shift workers acting while not on duty (gwanje/shifts, ORD-20.1)."""
    from gwanje.shifts.flags import out_of_shift as shift_flags

    flagged = {f.seq for f in shift_flags(session, settings, span.start, span.end)}
    found = [e for e in entries if e.seq in flagged]
    return [_anomaly(AnomalyKind.OUT_OF_SHIFT, k, v) for k, v in _grouped(found, zone).items()]


# ---- the review --------------------------------------------------------------------
def recorded_reviews(session: Session, month: str) -> list[ReviewRecord]:
    """Reviews recorded for `month` (the audit ledger is where they live)."""
    rows = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.event_type == AccessReviewRecorded.event_type)
        .order_by(AuditEntry.seq)
    )
    found: list[ReviewRecord] = []
    for row in rows:
        details = json.loads(row.details)
        if details.get("month") == month:
            found.append(ReviewRecord(as_utc(row.at), row.actor_name, details.get("note", "")))
    return found


def build_review(session: Session, settings: Settings, clock: Clock, month: str) -> AccessReview:
    """The review of `month` (YYYY-MM, local time) from the ledger as it stands now."""
    zone = zone_of(settings)
    span = parse_month(month, zone)
    cfg = settings.reports
    entries = _entries(session, span)
    cameras = session.execute(select(Camera.id, Camera.code, Camera.department_id)).all()
    departments = {c[0]: c[2] for c in cameras}
    anomalies = [
        *night_access(entries, zone, cfg),
        *bulk_exports(entries, zone, cfg),
        *out_of_department(session, entries, zone, departments),
        *many_denials(entries, zone, cfg),
        *out_of_shift(session, settings, entries, span, zone),
    ]
    anomalies.sort(key=lambda a: (a.day, a.actor, list(AnomalyKind).index(a.kind)))
    return AccessReview(
        month=span, generated_at=clock.now(), zone=zone, thresholds=cfg,
        entries=len(entries), accounts=_accounts(entries), anomalies=anomalies,
        reviews=recorded_reviews(session, span.label),
        camera_codes={c[0]: c[1] for c in cameras},
    )  # fmt: skip


def audit_generated(
    session: Session, clock: Clock, review: AccessReview, actor: Actor,
    source_ip: str | None, fmt: str, channel: str,
) -> None:  # fmt: skip
    """Record that the review report was produced (PIPA-3: reading access records)."""
    record(session, AccessReviewGenerated(
        actor=actor, source_ip=source_ip, month=review.month.label, format=fmt,
        channel=channel, entries=review.entries, anomalies=len(review.anomalies),
        range_start=review.month.start, range_end=review.month.end,
    ), clock)  # fmt: skip


def record_review(
    session: Session, settings: Settings, clock: Clock, actor: Actor,
    source_ip: str | None, month: str, note: str,
) -> AccessReview:  # fmt: skip
    """Record that `actor` reviewed `month` (validated) with `note`; returns the review."""
    review = build_review(session, settings, clock, month)
    record(session, AccessReviewRecorded(
        actor=actor, source_ip=source_ip, month=review.month.label,
        note=note.strip()[:2000], anomalies=len(review.anomalies),
        range_start=review.month.start, range_end=review.month.end,
    ), clock)  # fmt: skip
    review.reviews.append(ReviewRecord(clock.now(), actor.username, note.strip()[:2000]))
    return review


def night_window(cfg: ReportsSettings) -> str:
    return f"{cfg.night_start_hour:02d}:00–{cfg.night_end_hour:02d}:00"


def evidence_shown(anomaly: Anomaly) -> tuple[list[Entry], int]:
    """The evidence rows to print and how many more there are."""
    shown = anomaly.evidence[:EVIDENCE_LIMIT]
    return shown, len(anomaly.evidence) - len(shown)


# ---- PDF -----------------------------------------------------------------------------
def _summary(review: AccessReview, lang: str) -> list[Flowable]:
    cfg = review.thresholds
    t = partial(translate, language=lang)
    reviewed = "; ".join(f"{review.local(r.at)} {r.reviewer}" for r in review.reviews)
    fields = [
        (t("reports.review.month"), review.month.label),
        (t("reports.review.entries"), review.entries),
        (t("reports.review.accounts"), len(review.accounts)),
        (t("reports.review.anomalies"), len(review.anomalies)),
        (t("reports.review.rules"), t("reports.review.rules_text", night=night_window(cfg),
                                      exports=cfg.bulk_exports_per_day,
                                      minutes=cfg.bulk_export_minutes_per_day,
                                      denials=cfg.denials_per_day)),
        (t("reports.review.not_checked"), t("reports.review.not_checked_text")),
        (t("reports.review.reviewed"), reviewed or t("reports.review.not_reviewed")),
    ]  # fmt: skip
    return [pdf.field_table(fields, label_width=45 * mm)]


def _accounts_table(review: AccessReview, lang: str) -> list[Flowable]:
    columns = [translate("reports.col.account", lang)]
    columns += [translate(f"reports.action.{a}", lang) for a in ACTION_ORDER]
    columns += [translate("reports.col.denied", lang), translate("reports.col.total", lang)]
    rows = [
        [r.actor, *(r.counts[a] for a in ACTION_ORDER), r.denied, r.total] for r in review.accounts
    ]
    return [pdf.text(translate("reports.review.per_account", lang), "h2"),
            pdf.data_table(columns, rows)]  # fmt: skip


EVIDENCE_COLUMNS = ("reports.col.seq", "reports.col.at", "reports.col.event",
                    "reports.col.ip", "reports.col.cameras", "reports.col.video_range",
                    "reports.col.outcome")  # fmt: skip


def evidence_row(review: AccessReview, e: Entry) -> tuple[object, ...]:
    video = f"{review.local(e.range_start)} – {review.local(e.range_end)}" if e.range_start else ""
    return (e.seq, review.local(e.at), e.event_type, e.source_ip or "",
            review.cameras_text(e), video, e.outcome)  # fmt: skip


def anomaly_title(anomaly: Anomaly, lang: str) -> str:
    kind = translate(f"reports.anomaly.{anomaly.kind.value}", lang)
    detail = translate("reports.anomaly.detail", lang, count=anomaly.count,
                       minutes=anomaly.minutes)  # fmt: skip
    return f"{anomaly.day} · {anomaly.actor} · {kind} ({detail})"


def _anomalies(review: AccessReview, lang: str) -> list[Flowable]:
    body: list[Flowable] = [pdf.text(translate("reports.review.anomaly_list", lang), "h2")]
    if not review.anomalies:
        body.append(pdf.text(translate("reports.review.no_anomalies", lang), "body"))
    columns = [translate(c, lang) for c in EVIDENCE_COLUMNS]
    for anomaly in review.anomalies:
        shown, more = evidence_shown(anomaly)
        body += [Spacer(1, 3 * mm), pdf.text(anomaly_title(anomaly, lang), "body"),
                 pdf.data_table(columns, [evidence_row(review, e) for e in shown])]  # fmt: skip
        if more:
            body.append(pdf.text(translate("reports.review.more", lang, count=more), "small"))
    return body


def render_pdf(review: AccessReview, settings: Settings, lang: str = "ko") -> bytes:
    spec = pdf.DocumentSpec(
        title=translate("reports.review.title", lang),
        issuer=settings.reports.issuer,
        generated_at=review.generated_at.astimezone(review.zone),
        landscape=True,
        subtitle=translate("reports.review.subtitle", lang, month=review.month.label),
    )
    kinds = review.by_kind()
    labels = [translate(f"reports.anomaly.{k.value}", lang) for k in kinds]
    body = _summary(review, lang)
    body += [pdf.text(translate("reports.review.chart", lang), "h2"),
             pdf.bar_chart(labels, list(kinds.values()))]  # fmt: skip
    body += _accounts_table(review, lang)
    body += _anomalies(review, lang)
    return pdf.build(spec, body)
