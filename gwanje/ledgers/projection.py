"""The management ledger projected from the audit ledger (개인영상정보 관리대장, ORD-33).

Owns `management_rows` and its cursor. `catch_up` reads the audit entries appended since
the cursor and turns each ledger-worthy one into a row:

| Audit event | Ledger row |
| --- | --- |
| `video.playback` | 열람 (view); 이용 (use) when the request is for use beyond purpose |
| `evidence.exported` under a beyond-purpose request | 이용 (use): the city's own copy |
| `provision.delivered` | 제공 (provide): a copy handed to its recipient |
| `provision.destroyed` | 파기 (destroy): the recipient destroyed the copy |
| `access_grant.recalled` with packages | 파기: each recalled package deleted |
| `retention.destroyed` | 파기: one row per camera, rule and Korea-time day (a summary) |
| `subject_request.released` | 제공 (copy) or 열람 (at the center): the masked clip, subject |

Invariants:
- derived data only: the rows can be dropped and rebuilt from the audit ledger, which
  stays the evidence; each row names the audit seqs it came from;
- an entry is projected exactly once: the cursor moves in the same transaction as the
  rows, under a lock (SQLite's write lock; a PostgreSQL advisory lock), so two catch-ups
  at once serialise and the second finds nothing left;
- no entry is skipped: the head seq is read under the lock and audit appends commit in
  seq order (the chain lock), so no entry at or below the head can still appear;
- only entries with outcome `ok` are projected (a refusal is not a use).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from gwanje.audit.models import AuditEntry
from gwanje.governance.models import AccessRequest, EvidenceExport, Provision
from gwanje.governance.subjects.models import SubjectRequest
from gwanje.ledgers.models import LedgerCursor, LedgerKind, ManagementRow

CURSOR = "management"
LOCK_KEY = 0x6C6564676572  # "ledger": PostgreSQL advisory lock of the projection
BATCH = 5000


@dataclass
class _Batch:
    """State of one catch-up: request kinds seen, purge summaries touched."""

    session: Session
    zone: ZoneInfo
    kinds: dict[int, str] = field(default_factory=dict)
    summaries: dict[tuple[str, int | None, str], ManagementRow] = field(default_factory=dict)
    added: int = 0


def catch_up(session: Session, timezone: str = "Asia/Seoul") -> int:
    """Project every audit entry appended since the last catch-up; returns rows added or
    changed. Runs in the caller's transaction (commit it to keep the work)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
    cursor = session.get(LedgerCursor, CURSOR)
    if cursor is None:
        cursor = LedgerCursor(name=CURSOR, seq=0)
        session.add(cursor)
    head = session.scalar(select(func.max(AuditEntry.seq))) or 0
    batch = _Batch(session, ZoneInfo(timezone))
    last = cursor.seq
    while last < head:
        entries = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.seq > last, AuditEntry.seq <= head,
                   AuditEntry.event_type.in_(PROJECTED), AuditEntry.outcome == "ok")
            .order_by(AuditEntry.seq)
            .limit(BATCH)
        ).all()  # fmt: skip
        for entry in entries:
            _project(batch, entry)
        last = entries[-1].seq if len(entries) == BATCH else head
        session.flush()
    cursor.seq = head
    return batch.added


def _project(batch: _Batch, entry: AuditEntry) -> None:
    details: dict[str, Any] = json.loads(entry.details)
    handler = _HANDLERS[entry.event_type]
    handler(batch, entry, details)


def _row(batch: _Batch, entry: AuditEntry, kind: LedgerKind, **values: Any) -> ManagementRow:
    cameras = [int(c) for c in entry.camera_ids.split(",") if c]
    row = ManagementRow(
        kind=kind.value, source=entry.event_type, first_seq=entry.seq, last_seq=entry.seq,
        entries=1, occurred_at=entry.at, day=entry.at.astimezone(batch.zone).date().isoformat(),
        actor_id=entry.actor_id, actor_name=entry.actor_name,
        camera_id=cameras[0] if cameras else None, range_start=entry.range_start,
        range_end=entry.range_end, rule=None, segments=0, bytes=0, first_file="",
        last_file="", stream="",
    )  # fmt: skip
    for name, value in values.items():
        setattr(row, name, value)
    batch.session.add(row)
    batch.added += 1
    return row


def _request_kind(batch: _Batch, request_id: int) -> str:
    if request_id not in batch.kinds:
        found = batch.session.scalar(
            select(AccessRequest.kind).where(AccessRequest.id == request_id)
        )
        batch.kinds[request_id] = found or ""
    return batch.kinds[request_id]


def _use_or_view(batch: _Batch, request_id: int) -> LedgerKind:
    beyond = _request_kind(batch, request_id) == "beyond_purpose"
    return LedgerKind.USE if beyond else LedgerKind.VIEW


def _playback(batch: _Batch, entry: AuditEntry, d: dict[str, Any]) -> None:
    _row(batch, entry, _use_or_view(batch, d["request_id"]), request_id=d["request_id"],
         grant_id=d["grant_id"], stream=d.get("stream", ""))  # fmt: skip


def _exported(batch: _Batch, entry: AuditEntry, d: dict[str, Any]) -> None:
    if _use_or_view(batch, d["request_id"]) is LedgerKind.USE:
        _row(batch, entry, LedgerKind.USE, request_id=d["request_id"], grant_id=d["grant_id"],
             export_id=d["export_id"])  # fmt: skip


def _delivered(batch: _Batch, entry: AuditEntry, d: dict[str, Any]) -> None:
    _row(batch, entry, LedgerKind.PROVIDE, request_id=d["request_id"],
         export_id=d["export_id"], provision_id=d["provision_id"])  # fmt: skip


def _copy_destroyed(batch: _Batch, entry: AuditEntry, d: dict[str, Any]) -> None:
    export_id = batch.session.scalar(
        select(Provision.export_id).where(Provision.id == d["provision_id"])
    )
    _row(batch, entry, LedgerKind.DESTROY, request_id=d["request_id"], export_id=export_id,
         provision_id=d["provision_id"])  # fmt: skip


def _recalled(batch: _Batch, entry: AuditEntry, d: dict[str, Any]) -> None:
    for export_id in d.get("recalled_export_ids", []):
        camera = batch.session.scalar(
            select(EvidenceExport.camera_id).where(EvidenceExport.id == export_id)
        )
        _row(batch, entry, LedgerKind.DESTROY, request_id=d["request_id"],
             grant_id=d["grant_id"], export_id=export_id, camera_id=camera)  # fmt: skip


def _subject_released(batch: _Batch, entry: AuditEntry, d: dict[str, Any]) -> None:
    """A masked clip given to the data subject (ORD-28.1(1): provision to the subject)."""
    mode = batch.session.scalar(
        select(SubjectRequest.grant_mode).where(SubjectRequest.id == d["request_id"])
    )
    kind = LedgerKind.VIEW if mode == "view" else LedgerKind.PROVIDE
    _row(batch, entry, kind, subject_request_id=d["request_id"])


def _purged(batch: _Batch, entry: AuditEntry, d: dict[str, Any]) -> None:
    """One summary row per camera, rule and Korea-time day: a purge runs every few
    minutes, and the ledger is read by people (the entries stay in the audit ledger)."""
    cameras = [int(c) for c in entry.camera_ids.split(",") if c]
    camera = cameras[0] if cameras else None
    day = entry.at.astimezone(batch.zone).date().isoformat()
    key = (day, camera, str(d["rule"]))
    row = batch.summaries.get(key) or batch.session.scalar(
        select(ManagementRow).where(
            ManagementRow.source == entry.event_type, ManagementRow.day == day,
            ManagementRow.camera_id == camera, ManagementRow.rule == key[2],
        )
    )  # fmt: skip
    if row is None:
        files = {"first_file": d["first_file"], "last_file": d["last_file"]}
        row = _row(batch, entry, LedgerKind.DESTROY, rule=key[2], segments=d["segments"],
                   bytes=d["bytes"], **files)  # fmt: skip
    else:
        _merge(row, entry, d)
        batch.added += 1
    batch.summaries[key] = row


def _merge(row: ManagementRow, entry: AuditEntry, d: dict[str, Any]) -> None:
    row.last_seq, row.entries = entry.seq, row.entries + 1
    row.segments += int(d["segments"])
    row.bytes += int(d["bytes"])
    if entry.range_start and (row.range_start is None or entry.range_start < row.range_start):
        row.range_start, row.first_file = entry.range_start, d["first_file"]
    if entry.range_end and (row.range_end is None or entry.range_end > row.range_end):
        row.range_end, row.last_file = entry.range_end, d["last_file"]


_HANDLERS = {
    "video.playback": _playback,
    "evidence.exported": _exported,
    "provision.delivered": _delivered,
    "provision.destroyed": _copy_destroyed,
    "access_grant.recalled": _recalled,
    "subject_request.released": _subject_released,
    "retention.destroyed": _purged,
}
# The audit event types that become ledger rows: exactly those with a handler.
PROJECTED = tuple(_HANDLERS)
