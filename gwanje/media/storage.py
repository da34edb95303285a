"""Video storage directories and the file-level half of the segment procedures.

Owns: the layout under a storage directory, its `meta.json` identity check, fsync of
files and directories, and the delete procedure. It never decides *what* to delete
(retention does) and never writes segments (the recorder does).

Invariants (docs/design/recording.md):
- A storage directory is used only if its `meta.json` uuid matches the database row for
  its path; a swapped, unmounted or foreign disk is refused, never silently refilled.
- Delete order: mark rows `deleting` (in the caller's transaction, beside its audit
  entry) → unlink → fsync the directory → drop the rows. A crash between the steps is
  finished by `finish_deletions` at the next start.
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from gwanje.context import Gwanje
from gwanje.errors import GwanjeError
from gwanje.fsutil import fsync_dir, make_dirs_durably
from gwanje.media.layout import LOCK_FILE as LOCK_FILE
from gwanje.media.layout import META_FILE as META_FILE
from gwanje.media.layout import PART_SUFFIX as PART_SUFFIX
from gwanje.media.layout import segment_relpath as segment_relpath
from gwanje.media.models import Segment, SegmentState, StorageDir


class StorageRefused(GwanjeError):
    """The storage directory is not the one the database knows (ORD-14.3 data integrity)."""

    status = 409


@dataclass(frozen=True)
class Store:
    """An opened, verified storage directory."""

    id: int
    path: Path
    uuid: str

    def absolute(self, relative: str) -> Path:
        return self.path / relative


def _read_meta(path: Path) -> dict[str, str] | None:
    meta = path / META_FILE
    if not meta.exists():
        return None
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StorageRefused("storage.meta_unreadable", path=str(path), error=str(exc)) from exc
    if not isinstance(data, dict) or not isinstance(data.get("storage_uuid"), str):
        raise StorageRefused("storage.meta_unreadable", path=str(path), error="no storage_uuid")
    return data


def _write_meta(path: Path, storage_uuid: str, created: datetime) -> None:
    make_dirs_durably(path)
    body = json.dumps({"storage_uuid": storage_uuid, "created": created.isoformat()})
    fd = os.open(path / META_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(body)
        handle.flush()
        os.fsync(handle.fileno())
    fsync_dir(path)


def open_store(ctx: Gwanje, path: Path | None = None) -> Store:
    """Open (or, the first time, initialise) the storage directory, checking its identity."""
    path = (path or ctx.settings.video_dir).resolve()
    meta = _read_meta(path)
    with ctx.transaction() as session:
        row = session.scalars(select(StorageDir).where(StorageDir.path == str(path))).first()
        if row is None and meta is None:
            new_id, now = str(uuid.uuid4()), ctx.clock.now()
            row = StorageDir(path=str(path), storage_uuid=new_id, created_at=now)
            _write_meta(path, row.storage_uuid, row.created_at)
            session.add(row)
            session.flush()
        elif row is None:
            raise StorageRefused("storage.foreign_dir", path=str(path))
        elif meta is None or meta["storage_uuid"] != row.storage_uuid:
            raise StorageRefused("storage.identity_mismatch", path=str(path))
        return Store(id=row.id, path=path, uuid=row.storage_uuid)


def lock_store(store: Store) -> IO[str]:
    """Take the directory's recorder lock, or refuse: one recorder per storage directory."""
    handle = (store.path / LOCK_FILE).open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.close()
        raise StorageRefused("storage.locked", path=str(store.path)) from exc
    return handle


def stores_by_id(session: Session) -> dict[int, Path]:
    return {row.id: Path(row.path) for row in session.scalars(select(StorageDir))}


def mark_for_deletion(session: Session, segment_ids: Sequence[int]) -> list[Segment]:
    """Step 1 of the delete order, in the caller's transaction (beside its 파기 audit entry).

    Only committed rows are marked; the marked rows are returned.
    """
    if not segment_ids:
        return []
    rows = list(
        session.scalars(
            select(Segment).where(
                Segment.id.in_(segment_ids), Segment.state == SegmentState.COMMITTED
            )
        )
    )
    session.execute(
        update(Segment)
        .where(Segment.id.in_([r.id for r in rows]))
        .values(state=SegmentState.DELETING)
    )
    return rows


def _unlink_all(paths: Iterable[Path]) -> None:
    dirs: set[Path] = set()
    for path in paths:
        path.unlink(missing_ok=True)  # missing: a previous attempt got this far, then crashed
        dirs.add(path.parent)
    for directory in dirs:
        if directory.exists():
            fsync_dir(directory)


def finish_deletions(ctx: Gwanje) -> int:
    """Steps 2-4 for every row marked `deleting`: unlink, fsync the directory, drop the row.

    Safe to repeat; run after marking and at every start (a crash may have interrupted it).
    """
    with ctx.sessions() as session:
        roots = stores_by_id(session)
        rows = list(session.scalars(select(Segment).where(Segment.state == SegmentState.DELETING)))
        targets = [(r.id, roots[r.storage_dir_id] / r.path) for r in rows]
    _unlink_all(path for _, path in targets)
    with ctx.transaction() as session:
        session.execute(delete(Segment).where(Segment.id.in_([i for i, _ in targets])))
    return len(targets)
