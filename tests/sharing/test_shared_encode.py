"""The shared encode's bookkeeping, without video: a viewer who joins while the last one
is leaving keeps the encode (and the registry still finds it); the last to leave stops
it. (With video: tests/sharing/test_share_viewers.py.)"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from gwanje.sharing.stream import SharedEncode, SharedEncodes


class NoVideo:
    """Stands in for the transcoder: no recorder socket exists, so nothing is fed."""

    def __init__(self) -> None:
        self.forced = 0

    def force_keyframe(self) -> None:
        self.forced += 1

    def feed(self, message: Any) -> list[Any]:
        raise AssertionError("nothing to feed: the camera's live socket does not exist")


def test_joining_while_the_last_viewer_leaves_keeps_the_encode(tmp_path: Path) -> None:
    async def scenario() -> None:
        encodes, key = SharedEncodes(), (1, 7, "sub")

        def make() -> SharedEncode:
            return SharedEncode(tmp_path, 7, "sub", NoVideo())  # type: ignore[arg-type]

        shared = encodes.of(key, make)
        first = shared.join()
        leaving = asyncio.ensure_future(encodes.leave(key, shared, first))
        await asyncio.sleep(0)  # the leave now waits for the cancelled producer
        assert encodes.of(key, make) is shared  # still registered: the newcomer joins it
        second = shared.join()
        await leaving
        assert encodes.running == {key: shared}
        assert shared.viewers == {second}
        assert shared._task is not None  # restarted for the newcomer
        assert shared.transcoder.forced == 2  # type: ignore[attr-defined]
        await encodes.leave(key, shared, second)
        assert encodes.running == {}
        assert shared._task is None

    # On a thread of its own: in the full suite Playwright's sync API keeps an event loop
    # running on the main thread.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, scenario()).result(timeout=30)
