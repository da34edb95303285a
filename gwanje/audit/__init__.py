"""The tamper-evident audit ledger (PIPA-3 access records, ORD-30.3, ORD-32, ORD-33).

Every security-relevant action is an `AuditEvent` appended with `record()` inside the
same database transaction as the change it describes, so either both are stored or
neither is. Entries form a SHA-256 hash chain with signed Ed25519 checkpoints
(`checkpoints.install(ctx)`), verified by `verify.verify_ledger`; see
docs/design/audit-ledger.md.
"""

from gwanje.audit.events import Actor, AuditEvent, Outcome, event_types
from gwanje.audit.ledger import record, record_many

__all__ = ["Actor", "AuditEvent", "Outcome", "event_types", "record", "record_many"]
