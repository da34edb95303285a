"""`gwanje check`: compare the recording index with the disk, report, optionally repair.

Checks every committed row (file exists, size, SHA-256) and every file on disk (known to
the index or not). Repair never deletes a file a row names, and never deletes video:
- an orphan segment file that parses is indexed (its row was lost in a crash);
- any other unknown file is moved to `lost+found/` for a person to look at;
- a row whose file is gone is replaced by a gap with cause `missing`;
- `.part` files (segments in flight when the recorder died) are salvaged.
A hash or size mismatch is reported, never "repaired": it is evidence of tampering or rot.
Repair refuses to run while a recorder holds the storage directory's lock.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select

from gwanje.context import Gwanje
from gwanje.fsutil import fsync_dir, make_dirs_durably
from gwanje.media.models import Gap, GapCause, Segment, SegmentState
from gwanje.media.probe import sha256_of
from gwanje.media.recorder.indexer import Indexer
from gwanje.media.recorder.recovery import RecoveryReport, describe_file, salvage
from gwanje.media.storage import LOCK_FILE, META_FILE, PART_SUFFIX, Store

LOST_FOUND = "lost+found"


@dataclass
class CheckReport:
    rows_checked: int = 0
    files_seen: int = 0
    missing: list[str] = field(default_factory=list)
    size_mismatch: list[str] = field(default_factory=list)
    hash_mismatch: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    in_flight: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        problems = (self.missing, self.size_mismatch, self.hash_mismatch)
        return not any(problems) and not self.orphans and not self.in_flight


def disk_files(root: Path) -> list[str]:
    skip = {META_FILE, LOCK_FILE}
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != LOST_FOUND]
        for name in filenames:
            path = Path(dirpath) / name
            if path.parent == root and name in skip:
                continue
            found.append(path.relative_to(root).as_posix())
    return sorted(found)


def check(ctx: Gwanje, store: Store, verify_hash: bool = True) -> CheckReport:
    report = CheckReport()
    with ctx.sessions() as session:
        rows = session.scalars(
            select(Segment).where(
                Segment.storage_dir_id == store.id, Segment.state == SegmentState.COMMITTED
            )
        ).all()
        known = {row.path: (row.bytes, row.sha256) for row in rows}
    report.rows_checked = len(known)
    on_disk = disk_files(store.path)
    report.files_seen = len(on_disk)
    present = set(on_disk)
    for relpath, (size, digest) in known.items():
        path = store.path / relpath
        if relpath not in present:
            report.missing.append(relpath)
        elif path.stat().st_size != size:
            report.size_mismatch.append(relpath)
        elif verify_hash and sha256_of(path) != digest:
            report.hash_mismatch.append(relpath)
    for relpath in on_disk:
        if relpath.endswith((PART_SUFFIX, ".salvage")):
            report.in_flight.append(relpath)
        elif relpath not in known:
            report.orphans.append(relpath)
    return report


class RecorderRunning(RuntimeError):
    pass


def repair(ctx: Gwanje, store: Store, report: CheckReport) -> CheckReport:
    """Apply the repairs described in the module docstring; returns what was done."""
    if _locked(store):
        raise RecorderRunning(f"a recorder holds {store.path / LOCK_FILE}; stop it first")
    indexer = Indexer(ctx, store.id)
    salvaged = RecoveryReport()
    for relpath in report.in_flight:
        salvage(store, store.path / relpath, indexer, salvaged)
    report.repaired += [f"salvaged {p}" for p in salvaged.salvaged]
    report.repaired += [f"discarded unreadable {p}" for p in salvaged.discarded]
    for relpath in report.orphans:
        done = describe_file(store.path / relpath, relpath)
        if done is not None:
            indexer.apply([done])
            report.repaired.append(f"indexed {relpath}")
        else:
            _to_lost_found(store, relpath)
            report.repaired.append(f"moved to {LOST_FOUND}: {relpath}")
    _missing_to_gaps(ctx, store, report)
    return report


def _to_lost_found(store: Store, relpath: str) -> None:
    target = store.path / LOST_FOUND / relpath
    make_dirs_durably(target.parent)
    os.rename(store.path / relpath, target)
    fsync_dir(target.parent)
    fsync_dir((store.path / relpath).parent)


def _missing_to_gaps(ctx: Gwanje, store: Store, report: CheckReport) -> None:
    if not report.missing:
        return
    with ctx.transaction() as session:
        rows = session.scalars(select(Segment).where(Segment.path.in_(report.missing))).all()
        for row in rows:
            session.add(
                Gap(
                    camera_id=row.camera_id,
                    stream=row.stream,
                    start_at=row.start_at,
                    end_at=row.end_at,
                    cause=GapCause.MISSING,
                    detail=f"file {row.path} (sha256 {row.sha256}) missing at check",
                )
            )
            report.repaired.append(f"gap for missing {row.path}")
        session.execute(delete(Segment).where(Segment.id.in_([r.id for r in rows])))


def _locked(store: Store) -> bool:
    import fcntl

    lock = store.path / LOCK_FILE
    if not lock.exists():
        return False
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False
