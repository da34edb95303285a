"""Fixtures for PTZ tests: a camera simulator with PTZ cameras behind ONVIF (real SOAP over
real sockets, WS-UsernameToken digest) and Gwanje's ONVIF connector.

`ptz_sim` serves 3 cameras, the first 2 PTZ, with credentials `ONVIF_USER` /
`ONVIF_PASSWORD` (one simulator per test module: tests put the heads where they need
them first); `connector` is an `OnvifConnector`, closed after the test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ptz_kit import ONVIF_PASSWORD, ONVIF_USER

from gwanje.media.camsim.clips import ClipSet, load_or_generate
from gwanje.media.camsim.harness import CamsimHandle, run_in_thread
from gwanje.media.camsim.profile import TEST
from gwanje.media.camsim.server import ServerConfig
from gwanje.ptz.onvif import OnvifConnector


@pytest.fixture(scope="session")
def ptz_clips(tmp_path_factory: pytest.TempPathFactory) -> ClipSet:
    return load_or_generate(tmp_path_factory.mktemp("ptz-clips"), TEST)


@pytest.fixture(scope="module")
def ptz_sim(ptz_clips: ClipSet) -> Iterator[CamsimHandle]:
    config = ServerConfig(cameras=3, ptz_cameras=2, user=ONVIF_USER, password=ONVIF_PASSWORD)
    with run_in_thread(ptz_clips, config) as sim:
        yield sim


@pytest.fixture
def connector() -> Iterator[OnvifConnector]:
    connector = OnvifConnector(timeout_s=10.0)
    yield connector
    connector.close()
