"""Fixtures of the console tests: the camera simulator (from the media tests) and a
center that has recorded one of its cameras."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from media.conftest import camsim, camsim_clips, camsim_server
from playback_kit import record_center

from gwanje.media.camsim.harness import CamsimHandle

__all__ = ["camsim", "camsim_clips", "camsim_server", "recorded"]


@pytest.fixture
def recorded(tmp_path: Path, camsim: CamsimHandle) -> Iterator[dict[str, Any]]:
    """A center that recorded one simulated camera for ~9 s in 2 s segments."""
    yield from record_center(tmp_path, camsim)
