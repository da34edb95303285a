"""Where the live sockets of a data directory live.

One Unix socket per recorded camera stream, `<dir>/<camera_id>-<stream>.sock`, created by
the capture worker that pulls that stream and removed when it stops. Consumers (the web
process) find a stream by its name alone: no registry of sockets to keep in step.

The directory is `<data_dir>/run/live`, mode 0700: the sockets carry video, so only the
user Gwanje runs as may connect (ORD-30.1). A Unix socket path must fit in 108 bytes; when
the data directory's path is too long for that, a directory under the system's temporary
directory, named after a hash of the data directory, is used instead (same mode).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from pathlib import Path

_MAX_PATH = 100  # sun_path holds 108 bytes with the NUL; leave room for long camera ids
_NAME_ROOM = len("2147483647-main.sock") + 1


def live_dir(data_dir: Path) -> Path:
    preferred = data_dir / "run" / "live"
    if len(os.fsencode(preferred)) + _NAME_ROOM <= _MAX_PATH:
        return preferred
    digest = hashlib.sha256(os.fsencode(data_dir.resolve())).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"gwanje-{os.getuid()}" / digest


def ensure_live_dir(path: Path) -> Path:
    """Create the directory, mode 0700. In the shared temporary directory the private
    parent is created 0700 too and must be a real directory owned by us (not a link
    someone else planted), else OSError."""
    if path.parent.parent == Path(tempfile.gettempdir()):
        _private_dir(path.parent)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    _private_dir(path)
    return path


def _private_dir(path: Path) -> None:
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise OSError(f"{path} is not a directory of this user: refusing to put sockets there")
    path.chmod(0o700)


def socket_path(directory: Path, camera_id: int, stream: str) -> Path:
    if not stream.isalnum():
        raise ValueError(f"bad stream name {stream!r}")
    return directory / f"{int(camera_id)}-{stream}.sock"
