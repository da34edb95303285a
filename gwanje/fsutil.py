"""Durable filesystem steps shared by everything that stores evidence or keys.

A file's data is durable after fsync(file); its name (create, rename, unlink) only after
fsync(directory). Callers write in that order (STYLE.md, docs/design/recording.md).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def fsync_dir(path: Path) -> None:
    """Make a directory entry (create, rename, unlink) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dirs_durably(path: Path) -> None:
    """mkdir -p, fsyncing each new directory's parent so the tree survives a crash."""
    missing: list[Path] = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        directory.mkdir(exist_ok=True)
        fsync_dir(directory.parent)


def _write_draft(path: Path, data: bytes, mode: int) -> Path:
    """`data` written and fsynced under a new private name beside `path` (O_EXCL)."""
    draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        draft.unlink(missing_ok=True)
        raise
    return draft


def replace_durably(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Make `path` hold exactly `data`, whole or not at all: written under a private
    temporary name (O_EXCL), fsynced, renamed over `path`, directory fsynced. A reader
    sees the old file or the new one, never a part."""
    draft = _write_draft(path, data, mode)
    try:
        os.replace(draft, path)
    except BaseException:
        draft.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def create_once(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Publish `data` at `path` unless a file is already there, whole or not at all:
    written under a private name, fsynced, hard-linked into place (link fails if the
    name exists, so of two first users at once exactly one file wins and neither ever
    reads a part), directory fsynced. Callers read `path` afterwards to get the winner."""
    draft = _write_draft(path, data, mode)
    try:
        os.link(draft, path)
    except FileExistsError:
        pass  # another thread or process published first: theirs stands
    finally:
        draft.unlink()
    fsync_dir(path.parent)
