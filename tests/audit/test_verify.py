"""Tamper evidence: each kind of tampering is detected and names the first bad seq."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from audit_helpers import append, sql
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from gwanje.audit.checkpoints import (
    HEAD_FILE,
    export_document,
    install,
    load_export,
    read_head,
    stored_checkpoints,
    write_checkpoint,
)
from gwanje.audit.keys import AuditKeyError, load_or_create
from gwanje.audit.verify import ProblemKind, VerifyReport, verify_ledger
from gwanje.context import Gwanje


def _ledger(ctx: Gwanje, n: int, every: int = 5) -> None:
    ctx.settings.audit.checkpoint_every = every
    install(ctx)
    append(ctx, n)


def _verify(ctx: Gwanje, **kwargs: object) -> VerifyReport:
    key = load_or_create(ctx.settings.data_dir).public
    return verify_ledger(ctx.sessions, key, batch_size=4, **kwargs)  # type: ignore[arg-type]


def _first(report: VerifyReport) -> tuple[int, ProblemKind]:
    assert not report.ok
    first = report.first_problem
    assert first is not None
    return first.seq, first.kind


def test_intact_ledger_verifies_with_checkpoints(any_ctx: Gwanje) -> None:
    _ledger(any_ctx, 12)
    report = _verify(any_ctx)
    assert report.ok, report.summary()
    assert (report.entries, report.checkpoints, report.latest_checkpoint_seq) == (12, 2, 10)
    assert report.signatures_checked


def test_flipped_field_is_altered(any_ctx: Gwanje) -> None:
    _ledger(any_ctx, 10)
    sql(any_ctx, "UPDATE audit_entries SET actor_name = 'mallory' WHERE seq = 4")
    report = _verify(any_ctx)
    assert _first(report) == (4, ProblemKind.ALTERED)
    assert report.entries == 3  # the good prefix, even mid-batch (batch_size=4)


def test_flipped_byte_in_details_is_altered(any_ctx: Gwanje) -> None:
    _ledger(any_ctx, 10)
    sql(any_ctx, 'UPDATE audit_entries SET details = \'{"note":"n6"}\' WHERE seq = 7')  # same value
    sql(any_ctx, 'UPDATE audit_entries SET details = \'{"note":"nX"}\' WHERE seq = 9')
    assert _first(_verify(any_ctx)) == (9, ProblemKind.ALTERED)


def test_deleted_row_is_missing(any_ctx: Gwanje) -> None:
    _ledger(any_ctx, 10)
    sql(any_ctx, "DELETE FROM audit_entries WHERE seq = 6")
    report = _verify(any_ctx)
    assert report.entries == 5
    assert _first(report) == (6, ProblemKind.MISSING)
    assert "entry 6 is missing" in report.summary()


def test_deleted_first_row_is_missing(any_ctx: Gwanje) -> None:
    _ledger(any_ctx, 3)
    sql(any_ctx, "DELETE FROM audit_entries WHERE seq = 1")
    assert _first(_verify(any_ctx)) == (1, ProblemKind.MISSING)


def test_swapped_rows_break_the_chain(any_ctx: Gwanje) -> None:
    """Swap every column but seq between entries 3 and 6 (a reordering)."""
    _ledger(any_ctx, 8, every=100)
    cols = (
        "at, event_type, actor_id, actor_name, actor_kind, source_ip, outcome, camera_ids, "
        "range_start, range_end, details, prev_hash, entry_hash"
    )
    sql(any_ctx, f"CREATE TABLE swap AS SELECT seq, {cols} FROM audit_entries WHERE seq IN (3, 6)")
    sql(any_ctx, "DELETE FROM audit_entries WHERE seq IN (3, 6)")
    sql(any_ctx, f"INSERT INTO audit_entries (seq, {cols}) SELECT 9 - seq, {cols} FROM swap")
    assert _first(_verify(any_ctx)) == (3, ProblemKind.CHAIN_BROKEN)


def test_truncated_tail_is_caught_by_a_checkpoint(any_ctx: Gwanje) -> None:
    _ledger(any_ctx, 12)
    sql(any_ctx, "DELETE FROM audit_entries WHERE seq >= 9")
    report = _verify(any_ctx)
    assert _first(report) == (9, ProblemKind.TRUNCATED)
    assert "seq 10" in report.summary()


def test_truncation_with_checkpoints_deleted_is_caught_by_the_head_file(any_ctx: Gwanje) -> None:
    _ledger(any_ctx, 12)
    head = read_head(any_ctx.settings.data_dir / HEAD_FILE)
    assert head is not None
    assert head.seq == 10
    sql(any_ctx, "DELETE FROM audit_entries WHERE seq >= 7")
    sql(any_ctx, "DELETE FROM audit_checkpoints")
    assert _verify(any_ctx).ok  # the database alone cannot tell (the residual window)
    assert _first(_verify(any_ctx, checkpoints=[head])) == (7, ProblemKind.TRUNCATED)


def test_rewritten_chain_contradicts_its_checkpoint(any_ctx: Gwanje) -> None:
    """An attacker re-hashes everything after an edit; the signed checkpoint disagrees."""
    _ledger(any_ctx, 7)
    from gwanje.audit.ledger import compute_hash
    from gwanje.audit.models import AuditEntry

    with any_ctx.transaction() as session:
        entries = session.query(AuditEntry).order_by(AuditEntry.seq).all()
        entries[1].actor_name = "mallory"
        prev = entries[0].entry_hash
        for entry in entries[1:]:
            entry.prev_hash = prev
            entry.entry_hash = prev = compute_hash(prev, entry)
    assert _first(_verify(any_ctx)) == (5, ProblemKind.CHECKPOINT_MISMATCH)


def test_bad_signature_is_detected(any_ctx: Gwanje) -> None:
    _ledger(any_ctx, 10)
    forged = Ed25519PrivateKey.generate().sign(b"anything").hex()
    sql(any_ctx, "UPDATE audit_checkpoints SET signature = :s WHERE seq = 5", s=forged)
    report = _verify(any_ctx)
    assert _first(report) == (5, ProblemKind.BAD_SIGNATURE)
    assert report.checkpoints == 1  # only the good one at 10 was used


def test_checkpoints_from_another_key_are_refused(ctx: Gwanje) -> None:
    _ledger(ctx, 5)
    other = Ed25519PrivateKey.generate().public_key()
    report = verify_ledger(ctx.sessions, other)
    assert _first(report) == (5, ProblemKind.UNKNOWN_KEY)


def test_on_demand_checkpoint_and_export_round_trip(ctx: Gwanje, tmp_path: Path) -> None:
    _ledger(ctx, 3, every=100)
    key = load_or_create(ctx.settings.data_dir)
    with ctx.transaction() as session:
        signed = write_checkpoint(session, key, ctx.clock)
        again = write_checkpoint(session, key, ctx.clock)
    assert signed is not None
    assert again == signed
    assert signed.seq == 3
    head = read_head(ctx.settings.data_dir / HEAD_FILE)
    assert head is not None  # published at commit
    assert head.seq == 3
    with ctx.sessions() as session:
        document = export_document(stored_checkpoints(session), key.public)
    path = tmp_path / "cp.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    exported = load_export(path)
    assert verify_ledger(ctx.sessions, exported.public_key, exported.checkpoints).ok
    sql(ctx, "DELETE FROM audit_entries WHERE seq = 3")
    sql(ctx, "DELETE FROM audit_checkpoints")
    report = verify_ledger(ctx.sessions, exported.public_key, exported.checkpoints)
    assert _first(report) == (3, ProblemKind.TRUNCATED)


def test_empty_ledger_verifies_and_has_nothing_to_sign(ctx: Gwanje) -> None:
    with ctx.transaction() as session:
        assert write_checkpoint(session, load_or_create(ctx.settings.data_dir)) is None
    report = verify_ledger(ctx.sessions)
    assert report.ok
    assert report.entries == 0


def test_key_is_private_created_once_and_refused_when_exposed(tmp_path: Path) -> None:
    first = load_or_create(tmp_path)
    path = tmp_path / "keys" / "audit-ed25519.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create(tmp_path).key_id == first.key_id
    assert (tmp_path / "keys" / "audit-ed25519.pub.pem").read_text().startswith("-----BEGIN")
    os.chmod(path, 0o644)
    with pytest.raises(AuditKeyError, match="chmod 600"):
        load_or_create(tmp_path)


def _append_then_fail(ctx: Gwanje) -> None:
    from audit_helpers import sample

    from gwanje.audit.ledger import record

    with ctx.transaction() as session:
        record(session, sample(5), ctx.clock)  # seq 5: a checkpoint is signed
        raise RuntimeError("rolled back")


def test_rolled_back_checkpoint_is_not_published(ctx: Gwanje) -> None:
    _ledger(ctx, 4)
    with pytest.raises(RuntimeError):
        _append_then_fail(ctx)
    assert not (ctx.settings.data_dir / HEAD_FILE).exists()
    with ctx.sessions() as session:
        assert session.execute(text("SELECT COUNT(*) FROM audit_checkpoints")).scalar() == 0


def test_verify_does_not_block_appends_and_does_not_chase_them(ctx: Gwanje) -> None:
    """Verifying reads a snapshot without SQLite's write lock: an append during the walk
    commits (it would fail with 'database is locked' otherwise) and is not counted."""
    from audit_helpers import sample

    from gwanje.audit.ledger import record

    _ledger(ctx, 10, every=100)
    appended: list[int] = []

    def during(done: int, total: int) -> None:
        if not appended:
            with ctx.transaction() as session:
                appended.append(record(session, sample(99), ctx.clock).seq)

    report = verify_ledger(ctx.sessions, batch_size=4, progress=during)
    assert report.ok, report.summary()
    assert report.entries == 10
    assert appended == [11]


@pytest.mark.parametrize(
    "tamper",
    [
        "",  # intact
        "UPDATE audit_entries SET actor_name = 'mallory' WHERE seq = 6",  # inside a range
        "UPDATE audit_entries SET actor_name = 'mallory' WHERE seq = 5",  # a range's first
        "DELETE FROM audit_entries WHERE seq = 5",  # a range's first row gone
        "DELETE FROM audit_entries WHERE seq = 4",  # a range's last row gone
        "DELETE FROM audit_entries WHERE seq >= 5 AND seq <= 8",  # a whole range gone
        "UPDATE audit_entries SET prev_hash = entry_hash WHERE seq = 9",  # chain cut at a seam
        "DELETE FROM audit_entries WHERE seq >= 11",  # tail truncated
    ],
)
def test_parallel_walk_names_the_same_first_problem(any_ctx: Gwanje, tamper: str) -> None:
    """Ranges walked in 3 processes ([1-4], [5-8], [9-12]) and joined at their seams give
    the same verdict as one sequential walk."""
    _ledger(any_ctx, 12)
    if tamper:
        sql(any_ctx, tamper)
    sequential = _verify(any_ctx, workers=1)
    parallel = _verify(any_ctx, workers=3)
    assert parallel.ok == sequential.ok
    assert (parallel.entries, parallel.head_hash) == (sequential.entries, sequential.head_hash)
    if not sequential.ok:
        assert _first(parallel) == _first(sequential)
