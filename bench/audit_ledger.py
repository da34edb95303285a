"""Benchmark of the audit ledger: durable appends/s and verify time.

    .venv/bin/python bench/audit_ledger.py --quick          # 50,000 entries
    .venv/bin/python bench/audit_ledger.py                  # 1,000,000 entries
    .venv/bin/python bench/audit_ledger.py --quick --pg     # also PostgreSQL

Each figure is printed next to a baseline measured in the same run on the same database:
a plain INSERT of a pre-built row (no chain lock, no head read, no hashing), and for
verify a plain read of every row without hashing. Targets (docs/design/audit-ledger.md):
>= 5,000 durable appends/s, verify 1M entries in <= 10 s. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Table, create_engine, insert, text

from gwanje.audit import Actor, AuditEvent
from gwanje.audit.checkpoints import install
from gwanje.audit.ledger import record, record_many
from gwanje.audit.models import AuditEntry
from gwanje.audit.verify import verify_ledger
from gwanje.clock import SystemClock
from gwanje.context import Gwanje
from gwanje.db import migrate
from gwanje.db.engine import make_engine, make_session_factory
from gwanje.settings import Mode, Settings

PG_ADMIN = os.environ.get("GWANJE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


class BenchEvent(AuditEvent):
    """Benchmark-only event, shaped like a playback access record."""

    event_type = "bench.playback"
    description = "벤치마크 / benchmark"
    reason: str
    file_name: str


def event(i: int) -> BenchEvent:
    return BenchEvent(
        actor=Actor(person_id=i % 50, username=f"operator{i % 50}"),
        source_ip="10.0.0.7",
        camera_ids=(i % 900 + 1,),
        reason="수사 협조 / investigation",
        file_name=f"clip-{i}.mp4",
    )


def open_ctx(url: str, data_dir: Path) -> Gwanje:
    engine = make_engine(url)
    migrate.upgrade(engine)
    settings = Settings(mode=Mode.TEST, data_dir=data_dir, database_url=url)
    ctx = Gwanje(settings, engine, make_session_factory(engine), SystemClock())
    install(ctx)  # signed checkpoints every 1,000 entries, as in production
    return ctx


def rate(n: int, fn: Callable[[], None]) -> float:
    started = time.perf_counter()
    fn()
    return n / (time.perf_counter() - started)


def baseline_row(seq: int) -> dict[str, Any]:
    """A pre-built row: what a plain INSERT costs without chain or hashing."""
    return {
        "seq": seq,
        "at": SystemClock().now(),
        "event_type": "bench.plain",
        "actor_id": 1,
        "actor_name": "operator1",
        "actor_kind": "person",
        "source_ip": "10.0.0.7",
        "outcome": "ok",
        "camera_ids": "1",
        "range_start": None,
        "range_end": None,
        "details": "{}",
        "prev_hash": "0" * 64,
        "entry_hash": f"{seq:064x}",
    }


TABLE: Table = AuditEntry.__table__  # type: ignore[assignment]


def appends(ctx: Gwanje, n_single: int, n_batched: int, batch: int) -> dict[str, float]:
    """Each measurement on a fresh table state; baselines in a scratch seq range."""
    out: dict[str, float] = {}

    def plain_single() -> None:
        for i in range(n_single):
            with ctx.transaction() as s:
                s.execute(insert(TABLE), [baseline_row(10**12 + i)])

    def chained_single() -> None:
        for i in range(n_single):
            with ctx.transaction() as s:
                record(s, event(i), ctx.clock)

    def plain_batched() -> None:
        for start in range(0, n_batched, batch):
            with ctx.transaction() as s:
                s.execute(
                    insert(TABLE), [baseline_row(2 * 10**12 + start + j) for j in range(batch)]
                )

    def chained_batched() -> None:
        for start in range(0, n_batched, batch):
            with ctx.transaction() as s:
                record_many(s, [event(start + j) for j in range(batch)], ctx.clock)

    out["baseline_plain_insert_per_s"] = rate(n_single, plain_single)
    wipe_baseline(ctx)
    out["appends_per_s"] = rate(n_single, chained_single)
    out["baseline_plain_batched_per_s"] = rate(n_batched, plain_batched)
    wipe_baseline(ctx)
    out["batched_appends_per_s"] = rate(n_batched, chained_batched)
    return out


def wipe_baseline(ctx: Gwanje) -> None:
    with ctx.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_entries WHERE seq >= 1000000000000"))


def fill(ctx: Gwanje, total: int, batch: int = 2_000) -> None:
    with ctx.sessions() as s:
        have = s.execute(text("SELECT COUNT(*) FROM audit_entries")).scalar_one()
    for start in range(have, total, batch):
        with ctx.transaction() as s:
            record_many(s, [event(i) for i in range(start, min(total, start + batch))], ctx.clock)


def verify_times(ctx: Gwanje) -> dict[str, float]:
    from gwanje.audit.keys import public_key_of

    started = time.perf_counter()
    with ctx.sessions() as s:
        conn = s.connection()
        after = 0
        while rows := conn.execute(
            text("SELECT * FROM audit_entries WHERE seq > :a ORDER BY seq LIMIT 20000"),
            {"a": after},
        ).all():
            after = rows[-1][0]
    baseline = time.perf_counter() - started
    report = verify_ledger(ctx.sessions, public_key_of(ctx.settings.data_dir))
    assert report.ok, report.summary()
    return {
        "verify_s": report.elapsed_s,
        "baseline_read_all_s": round(baseline, 3),
        "entries": report.entries,
        "checkpoints": report.checkpoints,
    }


@contextmanager
def pg_database() -> Iterator[str]:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"gwanje_bench_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(label: str, url: str, data_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    ctx = open_ctx(url, data_dir)
    try:
        result: dict[str, Any] = appends(ctx, args.single, args.batched, args.batch)
        fill(ctx, args.entries)
        result.update(verify_times(ctx))
    finally:
        ctx.close()
    print(f"\n[{label}] {url.split('://')[0]}")
    print(
        f"  durable appends/s, one txn each : {result['appends_per_s']:>10.0f}"
        f"   (baseline plain INSERT {result['baseline_plain_insert_per_s']:.0f}/s)"
    )
    print(
        f"  batched appends/s (batch {args.batch:>4})  : {result['batched_appends_per_s']:>10.0f}"
        f"   (baseline plain batched {result['baseline_plain_batched_per_s']:.0f}/s)"
    )
    print(
        f"  verify {result['entries']:,} entries      : {result['verify_s']:>10.2f} s"
        f"   (baseline read-all {result['baseline_read_all_s']:.2f} s)"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="50,000 entries, fewer appends")
    parser.add_argument("--pg", action="store_true", help="also run on PostgreSQL")
    parser.add_argument("--single", type=int, default=5_000, help="single-entry transactions")
    parser.add_argument("--batched", type=int, default=50_000, help="entries appended batched")
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    if args.quick:
        args.entries, args.single, args.batched = 50_000, 1_000, 10_000
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        results["sqlite"] = run(
            "SQLite WAL synchronous=FULL", f"sqlite:///{data / 'bench.db'}", data, args
        )
    if args.pg:
        with tempfile.TemporaryDirectory() as tmp, pg_database() as url:
            results["postgresql"] = run("PostgreSQL", url, Path(tmp), args)
    main_result = results["sqlite"]
    summary = {
        "appends_per_s": round(main_result["appends_per_s"]),
        "batched_appends_per_s": round(main_result["batched_appends_per_s"]),
        "verify_s": main_result["verify_s"],
        "entries": main_result["entries"],
        "backends": {
            k: {m: (round(v, 3) if isinstance(v, float) else v) for m, v in r.items()}
            for k, r in results.items()
        },
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
