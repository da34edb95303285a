"""Signed checkpoints of the audit chain, the head file and the export format.

A checkpoint says, signed with the data directory's Ed25519 key, "entries 1..seq end in
entry_hash" (docs/design/audit-ledger.md, invariant 6 and the checkpoint procedure).

Invariants:
- a checkpoint is inserted in the same transaction as the entry it covers, under the
  chain lock, so it never names an entry that was rolled back;
- the head file `<data_dir>/audit-head.json` is written only after commit, by fsync +
  rename + directory fsync, and only ever moves forward; it lives outside the database
  so truncating the database and its checkpoint table is still detected;
- the signed message is plain text any auditor can rebuild (`checkpoint_message`).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from gwanje.audit.keys import AuditKey, key_id, load_or_create, load_public_pem, public_pem
from gwanje.audit.ledger import POLICY_KEY, canonical_time, chain_head, lock_chain
from gwanje.audit.models import AuditCheckpoint
from gwanje.clock import Clock, SystemClock

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from gwanje.context import Gwanje

log = logging.getLogger(__name__)

MESSAGE_PREFIX = "gwanje-audit-checkpoint/v1"
EXPORT_FORMAT = "gwanje-audit-checkpoints/v1"
HEAD_FILE = "audit-head.json"
_PENDING_HEAD = "gwanje.audit.pending_head"  # Session.info: checkpoint to publish at commit


class CheckpointFileError(ValueError):
    """An exported checkpoint file or head file cannot be read; the message says why."""


def checkpoint_message(seq: int, entry_hash: str, at: str) -> bytes:
    return f"{MESSAGE_PREFIX}\n{seq}\n{entry_hash}\n{at}\n".encode("ascii")


@dataclass(frozen=True)
class SignedCheckpoint:
    seq: int
    entry_hash: str
    at: str  # canonical UTC text, exactly as signed
    key_id: str
    signature: str  # hex
    source: str = "database"  # database, head file, or an exported file's name

    def message(self) -> bytes:
        return checkpoint_message(self.seq, self.entry_hash, self.at)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("source")
        return data

    @classmethod
    def from_row(cls, row: AuditCheckpoint) -> SignedCheckpoint:
        return cls(row.seq, row.entry_hash, canonical_time(row.at) or "", row.key_id, row.signature)

    @classmethod
    def from_json(cls, data: Any, source: str) -> SignedCheckpoint:
        try:
            return cls(
                int(data["seq"]),
                str(data["entry_hash"]),
                str(data["at"]),
                str(data["key_id"]),
                str(data["signature"]),
                source,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointFileError(f"{source}: malformed checkpoint {data!r}") from exc


def _sign(
    session: Session, key: AuditKey, seq: int, entry_hash: str, at: datetime
) -> AuditCheckpoint:
    text = canonical_time(at) or ""
    row = AuditCheckpoint(
        seq=seq,
        entry_hash=entry_hash,
        at=datetime.fromisoformat(text + "+00:00"),  # stored exactly as signed (µs)
        key_id=key.key_id,
        signature=key.sign(checkpoint_message(seq, entry_hash, text)),
    )
    session.add(row)
    session.flush()
    session.info[_PENDING_HEAD] = SignedCheckpoint.from_row(row)
    return row


def write_checkpoint(
    session: Session, key: AuditKey, clock: Clock | None = None
) -> SignedCheckpoint | None:
    """Sign the current head (on demand); None for an empty ledger."""
    lock_chain(session)
    head = chain_head(session)
    if head.seq == 0:
        return None
    existing = session.get(AuditCheckpoint, head.seq)
    if existing is None:
        existing = _sign(session, key, head.seq, head.entry_hash, (clock or SystemClock()).now())
    return SignedCheckpoint.from_row(existing)


def stored_checkpoints(session: Session) -> list[SignedCheckpoint]:
    rows = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq))
    return [SignedCheckpoint.from_row(row) for row in rows]


@dataclass
class CheckpointPolicy:
    """Signs a checkpoint every `every` entries; installed on a session factory."""

    key: AuditKey
    every: int
    head_path: Path

    def after_append(
        self, session: Session, appended: Sequence[tuple[int, str]], clock: Clock
    ) -> None:
        due = [(seq, h) for seq, h in appended if seq % self.every == 0]
        if due:
            seq, entry_hash = due[-1]  # the newest covers all earlier ones
            _sign(session, self.key, seq, entry_hash, clock.now())

    def publish_head(self, session: Session) -> None:
        pending: SignedCheckpoint | None = session.info.pop(_PENDING_HEAD, None)
        if pending is None:
            return
        try:
            write_head(self.head_path, pending)
        except (OSError, ValueError):  # advisory: the database copy is authoritative
            log.exception("could not write audit head file %s", self.head_path)


def install(ctx: Gwanje) -> CheckpointPolicy:
    """Sign checkpoints automatically for every session of `ctx` (creates the key)."""
    policy = CheckpointPolicy(
        load_or_create(ctx.settings.data_dir),
        ctx.settings.audit.checkpoint_every,
        ctx.settings.data_dir / HEAD_FILE,
    )
    _attach(ctx.sessions, policy)
    return policy


def _attach(sessions: sessionmaker[Session], policy: CheckpointPolicy) -> None:
    info = dict(sessions.kw.get("info") or {})
    already = POLICY_KEY in info
    info[POLICY_KEY] = policy
    sessions.configure(info=info)
    if already:  # the listeners look the policy up per session: nothing more to do
        return

    @event.listens_for(sessions, "after_commit")
    def _committed(session: Session) -> None:
        hook = session.info.get(POLICY_KEY)
        if isinstance(hook, CheckpointPolicy):
            hook.publish_head(session)

    @event.listens_for(sessions, "after_rollback")
    def _rolled_back(session: Session) -> None:
        session.info.pop(_PENDING_HEAD, None)


def publish_head_now(data_dir: Path, checkpoint: SignedCheckpoint) -> None:
    """Write the head file after an on-demand checkpoint committed (CLI, web)."""
    write_head(data_dir / HEAD_FILE, checkpoint)


def write_head(path: Path, checkpoint: SignedCheckpoint) -> None:
    """Replace the head file atomically, never moving it backwards."""
    try:
        current = read_head(path)
    except CheckpointFileError:  # a torn or foreign file: replace it, and say so
        log.warning("replacing unreadable audit head file %s", path)
        current = None
    if current is not None and current.seq >= checkpoint.seq:
        return
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(checkpoint.to_json(), handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_head(path: Path) -> SignedCheckpoint | None:
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CheckpointFileError(f"{path}: unreadable head file: {exc}") from exc
    return SignedCheckpoint.from_json(data, f"head file {path.name}")


def export_document(
    checkpoints: Sequence[SignedCheckpoint], public_key: Ed25519PublicKey
) -> dict[str, Any]:
    """The JSON an auditor verifies independently (docs/design/audit-ledger.md)."""
    return {
        "format": EXPORT_FORMAT,
        "algorithm": "ed25519",
        "key_id": key_id(public_key),
        "public_key_pem": public_pem(public_key),
        "message_format": MESSAGE_PREFIX + "\\n{seq}\\n{entry_hash}\\n{at}\\n",
        "checkpoints": [c.to_json() for c in checkpoints],
    }


@dataclass(frozen=True)
class CheckpointFile:
    public_key: Ed25519PublicKey
    checkpoints: list[SignedCheckpoint]


def load_export(path: Path) -> CheckpointFile:
    """Parse an exported checkpoint file; CheckpointFileError with the reason if bad."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CheckpointFileError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise CheckpointFileError(f"{path}: not a {EXPORT_FORMAT} file")
    try:
        public_key = load_public_pem(str(data["public_key_pem"]).encode("ascii"))
        items = list(data["checkpoints"])
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointFileError(f"{path}: malformed: {exc}") from exc
    return CheckpointFile(public_key, [SignedCheckpoint.from_json(i, path.name) for i in items])
