"""Notices the protection workflows push through the notification outbox (the same
channels, retries, acknowledgement and escalation as incidents'; design:
docs/design/incidents.md):

- `recall` (ORD-28.3): an emergency approval was refused or its follow-up did not come;
  the copies provided under it are recalled — the recipients configured for `recall`
  (e.g. the police 112 room) are told which request, which packages and to destroy them;
- `destroy_overdue` (ORD-31.2): a provided copy is past its destruction date without a
  confirmation — a reminder, repeated every `REMIND_EVERY` until it is confirmed.

Invariants: notices are queued in the transaction of the change that causes them (the
recall) or of the sweep that found them (the reminder, which also stamps
`Provision.reminded_at`), so none is lost or sent twice by two sweeps; with no
recipients configured for a topic nothing is queued (the pages still list what is due).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gwanje.audit.events import Actor
from gwanje.clock import Clock
from gwanje.governance.models import AccessRequest, EvidenceExport, Provision
from gwanje.governance.provision import overdue_clause
from gwanje.operations.config import Recipient
from gwanje.operations.notify.outbox import queue_notice
from gwanje.operations.notify.reminders import claim_reminder
from gwanje.settings import Settings

REMIND_EVERY = timedelta(days=7)
SWEEPER = Actor.system("governance.reminders")


def _recipients(settings: Settings, topic: str) -> list[Recipient]:
    ops = settings.operations
    return [r for name in ops.notices.get(topic, []) if (r := ops.recipient(name)) is not None]


def notify_recall(session: Session, settings: Settings, clock: Clock, actor: Actor,
                  request: AccessRequest, reason: str, export_ids: list[int]) -> int:  # fmt: skip
    """Tell the configured recipients that the copies of `request` are recalled."""
    targets = _recipients(settings, "recall")
    if not targets:
        return 0
    packages = list(session.scalars(
        select(EvidenceExport.package).where(EvidenceExport.id.in_(export_ids))))  # fmt: skip
    holders = list(session.scalars(
        select(Provision.recipient).where(Provision.request_id == request.id)))  # fmt: skip
    notice = {
        "title": f"제공 영상 회수 — 요청 {request.id} ({request.letter_no or '공문번호 없음'})",
        "text": (f"긴급 제공된 영상의 사후 승인이 이루어지지 않아 회수합니다 (조례 제28조제3항). "
                 f"사유: {reason}. 수령자: {', '.join(holders) or '—'}. "
                 f"반출 자료: {', '.join(packages) or '—'}. 즉시 파기하고 확인서를 보내 주십시오."),
        "request_id": request.id, "letter_no": request.letter_no,
        "requester_org": request.requester_org, "packages": packages, "reason": reason,
    }  # fmt: skip
    for recipient in targets:
        queue_notice(session, clock, recipient, actor, "recall", request.id, notice)
    return len(targets)


def remind_overdue(session: Session, settings: Settings, clock: Clock) -> list[int]:
    """Queue a reminder for each provided copy past its destruction date, at most once
    every `REMIND_EVERY` per copy; returns the provisions reminded."""
    targets = _recipients(settings, "destroy_overdue")
    if not targets:
        return []
    now = clock.now()
    due = session.scalars(
        select(Provision).where(
            overdue_clause(now),
            (Provision.reminded_at.is_(None)) | (Provision.reminded_at <= now - REMIND_EVERY),
        ).order_by(Provision.id)
    ).all()  # fmt: skip
    reminded = []
    for provision in due:
        if not claim_reminder(session, Provision, provision.id, provision.reminded_at, now):
            continue  # another sweep reminded it just now
        notice = {
            "title": f"제공 영상 파기 기한 경과 — 요청 {provision.request_id}",
            "text": (f"{provision.recipient}에게 제공한 영상의 파기 예정일"
                     f"({provision.destroy_by:%Y-%m-%d})이 지났으나 파기 확인이 없습니다 "
                     f"(조례 제31조제2항). 파기 확인서를 받아 기록해 주십시오."),
            "request_id": provision.request_id, "provision_id": provision.id,
            "destroy_by": provision.destroy_by.isoformat(),
        }  # fmt: skip
        for recipient in targets:
            queue_notice(session, clock, recipient, SWEEPER, "destroy_overdue", provision.id,
                         notice)  # fmt: skip
        reminded.append(provision.id)
    return reminded
