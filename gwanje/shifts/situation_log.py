"""The daily situation log (상황일지) per shift: staff on duty, incidents with their
timeline, notifications and acknowledgements, the handover, out-of-shift flags.

Invariants: read-only (producing one is audited by the caller: `audit_generated`); built
from the stored rows as they stand, times in the city's zone; a day without generated
slots is refused with a clear message rather than printed empty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from reportlab.platypus import Flowable
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gwanje.audit import Actor, record
from gwanje.clock import Clock, as_utc
from gwanje.errors import InvalidInput, NotFound
from gwanje.i18n import translate
from gwanje.operations.models import Incident, IncidentEntry, Notification
from gwanje.people.models import Person
from gwanje.reports import pdf
from gwanje.reports.common import local_text
from gwanje.settings import Settings
from gwanje.shifts import flags, roster
from gwanje.shifts.events import SituationLogGenerated
from gwanje.shifts.models import Handover, ShiftSlot, ShiftSwap, ShiftTeam


@dataclass
class ShiftLog:
    slot: ShiftSlot
    team: str
    staff: list[roster.OnDuty]
    swaps: list[dict[str, str]]
    incidents: list[dict[str, Any]]
    notifications: list[dict[str, Any]]
    handover: dict[str, Any] | None
    flags: list[flags.Flag]


@dataclass
class SituationLog:
    day: str
    zone: ZoneInfo
    generated_at: datetime
    shifts: list[ShiftLog] = field(default_factory=list)

    def local(self, value: datetime | None) -> str:
        return local_text(value, self.zone)


def _names(session: Session) -> dict[int, str]:
    return {p.id: f"{p.display_name} ({p.username})" for p in session.scalars(select(Person))}


def _incidents(session: Session, start: datetime, end: datetime) -> list[dict[str, Any]]:
    rows = list(
        session.scalars(
            select(Incident)
            .where(
                Incident.opened_at < end,
                or_(Incident.closed_at.is_(None), Incident.closed_at >= start),
            )
            .order_by(Incident.id)
        )
    )
    # The shift's entries of all these incidents in one query (was one query per incident).
    by_incident: dict[int, list[IncidentEntry]] = {}
    if rows:
        query = (
            select(IncidentEntry)
            .where(
                IncidentEntry.incident_id.in_([i.id for i in rows]),
                IncidentEntry.at >= start,
                IncidentEntry.at < end,
            )
            .order_by(IncidentEntry.id)
        )
        for entry in session.scalars(query):
            by_incident.setdefault(entry.incident_id, []).append(entry)
    found = []
    for i in rows:
        entries = by_incident.get(i.id, [])
        found.append(
            {
                "id": i.id,
                "type": i.type,
                "severity": i.severity,
                "title": i.title,
                "state": i.state,
                "opened_at": as_utc(i.opened_at),
                "closed_at": as_utc(i.closed_at) if i.closed_at else None,
                "entries": [(as_utc(e.at), e.kind, e.actor, e.text) for e in entries],
            }
        )
    return found


def _notifications(session: Session, start: datetime, end: datetime) -> list[dict[str, Any]]:
    n = Notification
    rows = session.scalars(
        select(n)
        .where(
            or_(
                (n.created_at >= start) & (n.created_at < end),
                (n.acked_at >= start) & (n.acked_at < end),
            )
        )
        .order_by(n.id)
    )
    return [
        {
            "id": r.id,
            "incident_id": r.incident_id,
            "recipient": r.recipient,
            "channel": r.channel,
            "state": r.state,
            "created_at": as_utc(r.created_at),
            "sent_at": as_utc(r.sent_at) if r.sent_at else None,
            "acked_at": as_utc(r.acked_at) if r.acked_at else None,
            "acked_via": r.acked_via or "",
        }
        for r in rows
    ]


def _handover(session: Session, slot: ShiftSlot, names: dict[int, str]) -> dict[str, Any] | None:
    row = session.scalar(select(Handover).where(Handover.from_slot_id == slot.id))
    if row is None:
        return None
    return {
        "id": row.id,
        "state": row.state,
        "checklist": json.loads(row.checklist),
        "open_incidents": json.loads(row.open_incidents),
        "notes": row.notes,
        "outgoing": names.get(row.outgoing_by or 0, ""),
        "outgoing_at": as_utc(row.outgoing_at) if row.outgoing_at else None,
        "incoming": names.get(row.incoming_by or 0, ""),
        "incoming_at": as_utc(row.incoming_at) if row.incoming_at else None,
    }


def _shift_log(
    session: Session, settings: Settings, slot: ShiftSlot, names: dict[int, str]
) -> ShiftLog:
    start, end = as_utc(slot.start_at), as_utc(slot.end_at)
    team = session.get(ShiftTeam, slot.team_id)
    swaps = [
        {
            "out": names.get(s.out_person_id, ""),
            "into": names.get(s.in_person_id, ""),
            "reason": s.reason,
        }
        for s in session.scalars(select(ShiftSwap).where(ShiftSwap.slot_id == slot.id))
    ]
    return ShiftLog(
        slot,
        team.name if team else "",
        roster.slot_staff(session, slot.id),
        swaps,
        _incidents(session, start, end),
        _notifications(session, start, end),
        _handover(session, slot, names),
        flags.out_of_shift(session, settings, start, end),
    )


def build(
    session: Session, settings: Settings, clock: Clock, day: str, shift: str | None = None
) -> SituationLog:
    """The log of local `day` (YYYY-MM-DD), every shift or the one named `shift`."""
    try:
        date.fromisoformat(day)
    except ValueError:
        raise InvalidInput("shifts.error.invalid", detail="date: YYYY-MM-DD") from None
    slots = [s for s in roster.slots_of_day(session, day) if shift in (None, s.shift_code)]
    if not slots:
        raise NotFound("shifts.error.no_shifts", day=day, shift=shift or "*")
    names = _names(session)
    log = SituationLog(day, roster.zone(settings), clock.now())
    log.shifts = [_shift_log(session, settings, s, names) for s in slots]
    return log


def audit_generated(
    session: Session,
    clock: Clock,
    log: SituationLog,
    shift: str | None,
    actor: Actor,
    source_ip: str | None,
    fmt: str,
    channel: str,
) -> None:
    record(
        session,
        SituationLogGenerated(
            actor=actor, source_ip=source_ip, day=log.day, shift=shift, format=fmt, channel=channel
        ),
        clock,
    )


# ---- PDF -----------------------------------------------------------------------------


def _head(log: SituationLog, s: ShiftLog, t: Any) -> list[Flowable]:
    window = f"{log.local(s.slot.start_at)} – {log.local(s.slot.end_at)}"
    fields = [
        (t("shifts.log.shift"), f"{s.slot.label} ({s.slot.shift_code}) · {s.team}"),
        (t("shifts.log.window"), window),
    ]
    return [pdf.text(f"{s.slot.day} {s.slot.label}", "h2"), pdf.field_table(fields)]


def _staff(s: ShiftLog, t: Any) -> list[Flowable]:
    rows = [
        [
            d.display_name,
            d.username,
            t(f"shifts.kind.{d.kind}") if d.kind else "",
            t("shifts.log.lead") if d.lead else "",
            d.origin,
        ]
        for d in s.staff
    ]
    cols = [
        t("shifts.col.name"),
        t("shifts.col.account"),
        t("shifts.col.kind"),
        t("shifts.col.lead"),
        t("shifts.col.origin"),
    ]
    body: list[Flowable] = [pdf.text(t("shifts.log.staff"), "h2"), pdf.data_table(cols, rows)]
    for swap in s.swaps:
        body.append(pdf.text(t("shifts.log.swap", **swap), "small"))
    return body


def _incident_rows(log: SituationLog, s: ShiftLog, t: Any) -> list[Flowable]:
    body: list[Flowable] = [pdf.text(t("shifts.log.incidents"), "h2")]
    cols = [t("shifts.col.at"), t("shifts.col.kind"), t("shifts.col.actor"), t("shifts.col.text")]
    for i in s.incidents:
        body.append(
            pdf.text(
                f"#{i['id']} {i['title']} · {t('operations.type.' + i['type'])} · "
                f"{t('operations.state.' + i['state'])}",
                "body",
            )
        )
        rows = [[log.local(at), kind, actor, text] for at, kind, actor, text in i["entries"]]
        if rows:
            body.append(pdf.data_table(cols, rows))
    if not s.incidents:
        body.append(pdf.text(t("shifts.log.none"), "body"))
    return body


def _notification_rows(log: SituationLog, s: ShiftLog, t: Any) -> list[Flowable]:
    cols = [
        "#",
        t("shifts.col.incident"),
        t("shifts.col.recipient"),
        t("shifts.col.state"),
        t("shifts.col.sent"),
        t("shifts.col.acked"),
    ]
    rows = [
        [
            n["id"],
            n["incident_id"],
            f"{n['recipient']} ({n['channel']})",
            n["state"],
            log.local(n["sent_at"]),
            f"{log.local(n['acked_at'])} {n['acked_via']}".strip(),
        ]
        for n in s.notifications
    ]
    return [
        pdf.text(t("shifts.log.notifications"), "h2"),
        pdf.data_table(cols, rows) if rows else pdf.text(t("shifts.log.none"), "body"),
    ]


def _handover_rows(log: SituationLog, s: ShiftLog, t: Any, lang: str) -> list[Flowable]:
    h = s.handover
    body: list[Flowable] = [pdf.text(t("shifts.log.handover"), "h2")]
    if h is None:
        return [*body, pdf.text(t("shifts.log.no_handover"), "body")]
    mark = {True: "■", False: "□"}
    items = [(f"{mark[i['checked']]} {i['label_' + lang]}", i["note"]) for i in h["checklist"]]
    incidents = ", ".join(f"#{i['id']} {i['title']}" for i in h["open_incidents"])
    fields = [
        (t("shifts.col.state"), t(f"shifts.handover.state.{h['state']}")),
        *items,
        (t("shifts.log.open_incidents"), incidents or t("shifts.log.none")),
        (t("shifts.log.notes"), h["notes"]),
        (t("shifts.log.outgoing"), f"{h['outgoing']} {log.local(h['outgoing_at'])}"),
        (t("shifts.log.incoming"), f"{h['incoming']} {log.local(h['incoming_at'])}"),
    ]
    return [*body, pdf.field_table(fields)]


def _flag_rows(log: SituationLog, s: ShiftLog, t: Any) -> list[Flowable]:
    cols = ["seq", t("shifts.col.at"), t("shifts.col.account"), t("shifts.col.event")]
    rows = [[f.seq, log.local(f.at), f.actor, f.event_type] for f in s.flags]
    return [
        pdf.text(t("shifts.log.flags"), "h2"),
        pdf.data_table(cols, rows) if rows else pdf.text(t("shifts.log.none"), "body"),
    ]


def render_pdf(log: SituationLog, settings: Settings, lang: str = "ko") -> bytes:
    t = partial(translate, language=lang)
    spec = pdf.DocumentSpec(
        title=t("shifts.log.title"),
        issuer=settings.reports.issuer,
        generated_at=log.generated_at.astimezone(log.zone),
        subtitle=t("shifts.log.subtitle", day=log.day),
    )
    body: list[Flowable] = []
    for s in log.shifts:
        body += _head(log, s, t) + _staff(s, t) + _incident_rows(log, s, t)
        body += _notification_rows(log, s, t) + _handover_rows(log, s, t, lang)
        body += _flag_rows(log, s, t)
    return pdf.build(spec, body)
