"""Verifying the audit ledger: the whole chain, seq gaps and signed checkpoints.

Implements the verify procedure of docs/design/audit-ledger.md. Invariants:
- memory is bounded by one batch: entries are read in keyset batches over the raw
  driver cursor (no ORM objects, no type processing on SQLite), in a read transaction
  that never takes SQLite's write lock, so verifying does not block appends;
- checkpoints are read before entries and entries only grow, so a concurrent append can
  never look like truncation; entries appended after the start are not chased;
- the first problem (lowest seq) is named, with what is wrong: missing, chain_broken,
  altered, checkpoint_mismatch, truncated, bad_signature, unknown_key.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from gwanje.audit.checkpoints import SignedCheckpoint
from gwanje.audit.keys import key_id, verify_signature
from gwanje.audit.ledger import CONTENT_COLUMNS, GENESIS, canonical_time

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

Progress = Callable[[int, int], None]  # (entries done, entries total)
_SELECT = (
    f"SELECT {', '.join(CONTENT_COLUMNS)}, prev_hash, entry_hash FROM audit_entries "
    "WHERE seq > :after AND seq <= :upto ORDER BY seq LIMIT :n"
)


class ProblemKind(StrEnum):
    MISSING = "missing"
    CHAIN_BROKEN = "chain_broken"
    ALTERED = "altered"
    CHECKPOINT_MISMATCH = "checkpoint_mismatch"
    TRUNCATED = "truncated"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_KEY = "unknown_key"


class Problem(BaseModel):
    seq: int
    kind: ProblemKind
    message: str


class VerifyReport(BaseModel):
    ok: bool
    entries: int
    last_seq: int
    head_hash: str
    checkpoints: int
    latest_checkpoint_seq: int | None
    signatures_checked: bool
    problems: list[Problem]
    elapsed_s: float

    @property
    def first_problem(self) -> Problem | None:
        return min(self.problems, key=lambda p: p.seq) if self.problems else None

    def summary(self) -> str:
        first = self.first_problem
        if first is None:
            return (
                f"OK: {self.entries} entries, head seq {self.last_seq} {self.head_hash[:16]}…, "
                f"{self.checkpoints} signed checkpoints (latest seq {self.latest_checkpoint_seq})"
            )
        return f"FAILED at seq {first.seq}: {first.kind.value}: {first.message}"


def _check_signatures(
    checkpoints: Iterable[SignedCheckpoint], public_key: Ed25519PublicKey | None
) -> tuple[dict[int, list[SignedCheckpoint]], list[Problem]]:
    """Checkpoints by seq that pass (all, without a key), and problems for the rest."""
    valid: dict[int, list[SignedCheckpoint]] = {}
    problems: list[Problem] = []
    wanted = key_id(public_key) if public_key is not None else None
    for cp in checkpoints:
        if wanted is not None and cp.key_id != wanted:
            problems.append(
                Problem(
                    seq=cp.seq,
                    kind=ProblemKind.UNKNOWN_KEY,
                    message=f"checkpoint ({cp.source}) signed by key {cp.key_id}, "
                    f"expected {wanted}",
                )
            )
        elif public_key is not None and not verify_signature(
            public_key, cp.signature, cp.message()
        ):
            problems.append(
                Problem(
                    seq=cp.seq,
                    kind=ProblemKind.BAD_SIGNATURE,
                    message=f"checkpoint ({cp.source}) signature does not verify",
                )
            )
        else:
            valid.setdefault(cp.seq, []).append(cp)
    return valid, problems


@contextmanager
def _snapshot(session_factory: sessionmaker[Session]) -> Iterator[tuple[Any, str]]:
    """A raw DBAPI cursor in a read transaction, and the driver's placeholder.

    SQLite: a plain (deferred) BEGIN gives a consistent snapshot *without* the write lock
    that Gwanje's sessions take at BEGIN IMMEDIATE, so verifying never blocks appends.
    """
    with session_factory() as session:
        engine = session.get_bind().engine
    sqlite = engine.dialect.name == "sqlite"
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if sqlite:
            cursor.execute("BEGIN")
        yield cursor, "?" if sqlite else "%s"
    finally:
        raw.rollback()
        raw.close()


def _stored(cursor: Any) -> list[SignedCheckpoint]:
    cursor.execute("SELECT seq, entry_hash, at, key_id, signature FROM audit_checkpoints")
    return [
        SignedCheckpoint(seq, h, at if isinstance(at, str) else canonical_time(at) or "", k, sig)
        for seq, h, at, k, sig in cursor.fetchall()
    ]


def _batches(
    cursor: Any, mark: str, upto: int, size: int, after: int = 0
) -> Iterator[Sequence[Any]]:
    query = _SELECT.replace(":after", mark).replace(":upto", mark).replace(":n", mark)
    while True:
        cursor.execute(query, (after, upto, size))
        rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        after = rows[-1][0]


class _Chain:
    """The running state of the walk; `feed` checks one batch, stops at the first error."""

    def __init__(
        self,
        checkpoints: dict[int, list[SignedCheckpoint]],
        raw_times: bool,
        start: int = 1,
        head: str | None = GENESIS,
    ) -> None:
        self.expect = start
        # None: a range walked in parallel takes its first entry's prev_hash on trust; the
        # caller checks it against the previous range's last hash.
        self.head = head if head is not None else ""
        self.take_head = head is None
        self.first_prev: str | None = None
        self.checkpoints = checkpoints
        self.raw_times = raw_times  # SQLite: stored text is already canonical
        self.encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        self.problem: Problem | None = None

    def feed(self, rows: Sequence[Any]) -> bool:
        encode, sha256, head, expect = self.encode, hashlib.sha256, self.head, self.expect
        checkpoints = self.checkpoints
        if self.take_head and rows:
            head = self.first_prev = rows[0][12]
            self.take_head = False
        for row in rows:
            content = list(row[:12])
            if not self.raw_times:
                for i in (1, 9, 10):
                    content[i] = canonical_time(content[i])
            seq = content[0]
            if seq != expect:
                return self._fail(
                    head,
                    expect,
                    expect,
                    ProblemKind.MISSING,
                    f"entry {expect} is missing (next stored is {seq})",
                )
            if row[12] != head:
                return self._fail(
                    head,
                    expect,
                    seq,
                    ProblemKind.CHAIN_BROKEN,
                    "prev_hash does not match the previous entry "
                    "(rows reordered, inserted or replaced)",
                )
            digest = sha256((head + "\n" + encode(content)).encode("utf-8")).hexdigest()
            if digest != row[13]:
                return self._fail(
                    head,
                    expect,
                    seq,
                    ProblemKind.ALTERED,
                    "content does not match entry_hash (a field was altered)",
                )
            if seq in checkpoints and not self._matches(head, expect, digest):
                return False
            head, expect = digest, expect + 1
        self.head, self.expect = head, expect
        return True

    def _matches(self, head: str, seq: int, digest: str) -> bool:
        for cp in self.checkpoints[seq]:
            if cp.entry_hash != digest:
                return self._fail(
                    head,
                    seq,
                    seq,
                    ProblemKind.CHECKPOINT_MISMATCH,
                    f"signed checkpoint ({cp.source}) names a different hash: "
                    "the ledger was rewritten",
                )
        return True

    def _fail(self, head: str, expect: int, seq: int, kind: ProblemKind, message: str) -> bool:
        """Stop: entries before `expect` were good and end in `head`."""
        self.head, self.expect = head, expect
        self.problem = Problem(seq=seq, kind=kind, message=message)
        return False


def verify_ledger(
    session_factory: sessionmaker[Session],
    public_key: Ed25519PublicKey | None = None,
    checkpoints: Sequence[SignedCheckpoint] = (),
    *,
    batch_size: int = 20_000,
    progress: Progress | None = None,
    workers: int | None = None,
) -> VerifyReport:
    """Walk the whole ledger (see module docstring). `checkpoints` adds external ones
    (head file, exported files) to those stored in the database. `workers` > 1 walks
    contiguous ranges in that many processes (default: one per CPU for large ledgers)."""
    started = time.perf_counter()
    with _snapshot(session_factory) as (cursor, mark):
        valid, problems = _check_signatures([*_stored(cursor), *checkpoints], public_key)
        cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_entries")
        upto = cursor.fetchone()[0]
        ranges = _split(upto, workers if workers is not None else _auto_workers(upto))
        if len(ranges) == 1:
            chain = _Chain(valid, raw_times=mark == "?")
            for rows in _batches(cursor, mark, upto, batch_size):
                if not chain.feed(rows):
                    break
                if progress is not None:
                    progress(chain.expect - 1, upto)
            walked = _Walked(chain.problem, chain.head, chain.expect - 1)
    if len(ranges) > 1:
        walked = _walk_parallel(session_factory, ranges, valid, batch_size, progress, upto)
    last = walked.last
    if walked.problem is not None:
        problems.append(walked.problem)
    else:
        problems.extend(_truncation(valid, last))
    chain_head = walked.head
    latest = max(valid) if valid else None
    return VerifyReport(
        ok=not problems,
        entries=last,
        last_seq=last,
        head_hash=chain_head,
        checkpoints=sum(len(v) for v in valid.values()),
        latest_checkpoint_seq=latest,
        signatures_checked=public_key is not None,
        problems=problems,
        elapsed_s=round(time.perf_counter() - started, 3),
    )


CHAIN_BROKEN_TEXT = (
    "prev_hash does not match the previous entry (rows reordered, inserted or replaced)"
)
PARALLEL_FROM = 200_000  # entries; below this a process pool costs more than it saves


@dataclass(frozen=True)
class _Walked:
    problem: Problem | None
    head: str  # hash of the last good entry
    last: int  # seq of the last good entry
    first_prev: str | None = None  # a parallel range's first prev_hash, taken on trust


def _auto_workers(upto: int) -> int:
    return min(os.cpu_count() or 1, 8) if upto >= PARALLEL_FROM else 1


def _split(upto: int, workers: int) -> list[tuple[int, int]]:
    """Contiguous seq ranges [start, end], one per worker (at least one)."""
    workers = max(1, min(workers, upto))
    size = -(-upto // workers) if upto else 1
    return [(start, min(start + size - 1, upto)) for start in range(1, upto + 1, size)] or [(1, 0)]


def _walk_range(
    url: str, start: int, end: int, checkpoints: dict[int, list[SignedCheckpoint]], size: int
) -> _Walked:
    """One range in a worker process; its first entry's prev_hash is checked by the caller."""
    from gwanje.db.engine import make_engine, make_session_factory

    engine = make_engine(url)
    try:
        with _snapshot(make_session_factory(engine)) as (cursor, mark):
            head = GENESIS if start == 1 else None
            chain = _Chain(checkpoints, raw_times=mark == "?", start=start, head=head)
            for rows in _batches(cursor, mark, end, size, after=start - 1):
                if not chain.feed(rows):
                    break
    finally:
        engine.dispose()
    if chain.problem is None and chain.expect <= end:  # rows missing at the end of the range
        chain.problem = Problem(
            seq=chain.expect, kind=ProblemKind.MISSING, message=f"entry {chain.expect} is missing"
        )
    return _Walked(chain.problem, chain.head, chain.expect - 1, chain.first_prev)


def _within(
    valid: dict[int, list[SignedCheckpoint]], start: int, end: int
) -> dict[int, list[SignedCheckpoint]]:
    return {seq: cps for seq, cps in valid.items() if start <= seq <= end}


def _walk_parallel(
    session_factory: sessionmaker[Session],
    ranges: list[tuple[int, int]],
    valid: dict[int, list[SignedCheckpoint]],
    size: int,
    progress: Progress | None,
    upto: int,
) -> _Walked:
    """Walk ranges in processes, then join them: each range's first prev_hash must be the
    previous range's last hash. The first problem, in seq order, is the one named."""
    with session_factory() as session:
        url = session.get_bind().engine.url.render_as_string(hide_password=False)
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(len(ranges), mp_context=spawn) as pool:
        futures = [
            pool.submit(_walk_range, url, start, end, _within(valid, start, end), size)
            for start, end in ranges
        ]
        results = [future.result() for future in futures]
    previous = _Walked(None, GENESIS, 0)
    for (start, _end), walked in zip(ranges, results, strict=True):
        at_seam = walked.problem is not None and walked.problem.seq == start
        # The checks in the order the sequential walk makes them: missing, chain, content.
        if at_seam and walked.problem is not None and walked.problem.kind is ProblemKind.MISSING:
            return _Walked(walked.problem, previous.head, previous.last)
        if start > 1 and walked.first_prev is not None and walked.first_prev != previous.head:
            broken = Problem(seq=start, kind=ProblemKind.CHAIN_BROKEN, message=CHAIN_BROKEN_TEXT)
            return _Walked(broken, previous.head, previous.last)
        if walked.problem is not None:  # at the seam the good prefix is the previous range's
            return _Walked(walked.problem, previous.head, previous.last) if at_seam else walked
        previous = walked
        if progress is not None:
            progress(walked.last, upto)
    return previous


def _truncation(valid: dict[int, list[SignedCheckpoint]], last: int) -> list[Problem]:
    beyond = [seq for seq in valid if seq > last]
    if not beyond:
        return []
    newest = max(beyond)
    source = valid[newest][0].source
    return [
        Problem(
            seq=last + 1,
            kind=ProblemKind.TRUNCATED,
            message=f"signed checkpoint ({source}) covers seq {newest} but the ledger ends "
            f"at {last}: entries {last + 1}..{newest} were removed",
        )
    ]
