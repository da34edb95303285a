"""Fixtures for media tests: the camera simulator's test-profile clips and a live server.

`camsim_clips` generates the small test-profile clips once per session into a temporary
directory (nothing is downloaded); `camsim` yields a running simulator handle
(`gwanje.media.camsim.harness.CamsimHandle`: `.url(i, "main"|"sub")`, `.port`, fault
methods, `.stats(i)`) with 4 cameras, no authentication, TCP and UDP; `camsim_server`
starts one with any `ServerConfig` and stops it after the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from gwanje.media.camsim.clips import ClipSet, load_or_generate
from gwanje.media.camsim.harness import CamsimHandle, run_in_thread
from gwanje.media.camsim.profile import TEST
from gwanje.media.camsim.server import ServerConfig


@pytest.fixture(scope="session")
def camsim_clips(tmp_path_factory: pytest.TempPathFactory) -> ClipSet:
    return load_or_generate(tmp_path_factory.mktemp("camsim-clips"), TEST)


@pytest.fixture
def camsim_server(camsim_clips: ClipSet) -> Iterator[Callable[..., CamsimHandle]]:
    """Start simulators: `camsim_server(cameras=2, user="u", password="p")`."""
    handles: list[CamsimHandle] = []

    def start(**config: object) -> CamsimHandle:
        handle = run_in_thread(camsim_clips, ServerConfig(**config))  # type: ignore[arg-type]
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        handle.stop()


@pytest.fixture
def camsim(camsim_server: Callable[..., CamsimHandle]) -> CamsimHandle:
    """A running simulator: 4 cameras, no auth, on a free port of 127.0.0.1."""
    return camsim_server(cameras=4)
