"""Segment files, the part both capture engines share: create with O_EXCL, make durable.

Write order (invariant 1 of docs/design/recording.md): `<relpath>.part` created with O_EXCL
(never overwrite) → data written → fsync(file) → rename to `<relpath>` → fsync(directory).
A failed write or fsync abandons the file and is never retried (the "fsyncgate" lesson).
No heavy imports: capture workers load this without PyAV or the database.
"""

from __future__ import annotations

import errno
import os
from datetime import datetime
from pathlib import Path

from gwanje.fsutil import fsync_dir, make_dirs_durably
from gwanje.media.layout import PART_SUFFIX, segment_relpath
from gwanje.media.recorder.messages import StreamKey


class WriteFailed(Exception):
    """Writing or syncing a segment failed; `cause` is a GapCause value."""

    def __init__(self, cause: str, detail: str) -> None:
        super().__init__(detail)
        self.cause = cause


def create_part(root: Path, key: StreamKey, start: datetime, seq: int) -> tuple[str, int]:
    """Create `<relpath>.part` with O_EXCL (never overwrite); returns (relpath, fd)."""
    for attempt in range(1000):
        relpath = segment_relpath(key.camera_id, key.stream, start, seq + attempt)
        part = root / (relpath + PART_SUFFIX)
        try:
            make_dirs_durably(part.parent)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
            return relpath, os.open(part, flags, 0o644)
        except FileExistsError:
            continue  # a name from an earlier run: take the next sequence number
        except OSError as exc:
            raise WriteFailed(cause_of(exc), f"cannot create segment: {exc}") from exc
    raise WriteFailed("io_error", "no free segment name")


def make_durable(part: Path, final: Path, fd: int) -> None:
    """fsync the file, rename it into place, fsync the directory; closes `fd`."""
    try:
        os.fsync(fd)
    except OSError as exc:
        raise WriteFailed(cause_of(exc), f"fsync failed: {exc}") from exc
    finally:
        os.close(fd)
    os.rename(part, final)
    fsync_dir(final.parent)


def cause_of(exc: BaseException) -> str:
    no = getattr(exc, "errno", None)
    return "disk_full" if no in (errno.ENOSPC, errno.EDQUOT) else "io_error"
