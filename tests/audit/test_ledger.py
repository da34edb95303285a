"""Appending: a gapless chain on both backends, also under concurrent writers."""

from __future__ import annotations

import threading

import pytest
from audit_helpers import append, sample
from sqlalchemy import func, select

from gwanje.audit.ledger import GENESIS, chain_head, compute_hash, record, record_many
from gwanje.audit.models import AuditEntry
from gwanje.audit.verify import verify_ledger
from gwanje.context import Gwanje


def _entries(ctx: Gwanje) -> list[AuditEntry]:
    with ctx.sessions() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def test_append_builds_a_hash_chain(any_ctx: Gwanje) -> None:
    append(any_ctx, 3)
    entries = _entries(any_ctx)
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS
    for prev, entry in zip([None, *entries], entries, strict=False):
        expected_prev = GENESIS if prev is None else prev.entry_hash
        assert entry.prev_hash == expected_prev
        assert compute_hash(expected_prev, entry) == entry.entry_hash
    assert verify_ledger(any_ctx.sessions).ok


def _append_then_fail(ctx: Gwanje) -> None:
    with ctx.transaction() as session:
        record(session, sample(99), ctx.clock)
        raise RuntimeError("the change failed")


def test_entry_rolls_back_with_the_change(any_ctx: Gwanje) -> None:
    append(any_ctx, 1)
    with pytest.raises(RuntimeError):
        _append_then_fail(any_ctx)
    append(any_ctx, 1)
    assert [e.seq for e in _entries(any_ctx)] == [1, 2]
    assert verify_ledger(any_ctx.sessions).ok


def test_record_many_is_one_gapless_group(any_ctx: Gwanje) -> None:
    append(any_ctx, 2)
    with any_ctx.transaction() as session:
        seqs = record_many(session, [sample(i) for i in range(5)], any_ctx.clock)
        assert record_many(session, [], any_ctx.clock) == []
    assert seqs == [3, 4, 5, 6, 7]
    with any_ctx.sessions() as session:
        assert chain_head(session).seq == 7
    assert verify_ledger(any_ctx.sessions).ok


def test_hash_is_the_same_on_both_backends(any_ctx: Gwanje) -> None:
    """The canonical form does not depend on the database (a moved ledger verifies)."""
    append(any_ctx, 1)
    # seq 1 at the FakeClock's start, sample(0): the value is pinned, not recomputed.
    expected = "a19df01ecb19827e4275a3e2facc3b6fcd189933cdf60840a5e043b0d66c5bca"
    assert _entries(any_ctx)[0].entry_hash == expected


def test_concurrent_appends_keep_a_gapless_valid_chain(any_ctx: Gwanje) -> None:
    threads_n, per_thread = 4, 10
    errors: list[BaseException] = []

    def worker(offset: int) -> None:
        try:
            for i in range(per_thread):
                with any_ctx.transaction() as session:
                    record(session, sample(offset * 100 + i), any_ctx.clock)
        except BaseException as exc:  # surfaced by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with any_ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 40
    assert [e.seq for e in _entries(any_ctx)] == list(range(1, 41))
    report = verify_ledger(any_ctx.sessions)
    assert report.ok, report.summary()
    assert report.entries == 40
