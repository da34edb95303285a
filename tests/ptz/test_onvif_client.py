"""Gwanje's ONVIF client (onvif-zeep-async) against the simulator's ONVIF device: real
SOAP 1.2 over real sockets, WS-UsernameToken digest; the moves change what the camera
streams (real RTSP, real H.264 decoding). Nothing is mocked."""

from __future__ import annotations

import time
from typing import Any

import av
import numpy as np
import pytest
from ptz_kit import ONVIF_PASSWORD, ONVIF_USER, endpoint

from gwanje.media.camsim.harness import CamsimHandle
from gwanje.ptz.device import DeviceFailed, Endpoint
from gwanje.ptz.geometry import Position
from gwanje.ptz.onvif import OnvifConnector


def test_profiles_stream_uri_and_device_information(
    ptz_sim: CamsimHandle, connector: OnvifConnector
) -> None:
    device = connector.device(endpoint(ptz_sim))
    assert device.profiles() == ["main", "sub"]
    assert device.stream_uri() == ptz_sim.url(1, "main")
    info = device.device_information()
    assert info["Model"] == "camsim-ptz"
    assert info["SerialNumber"] == "CAMSIM-00001"


def test_absolute_relative_and_continuous_moves(
    ptz_sim: CamsimHandle, connector: OnvifConnector
) -> None:
    device = connector.device(endpoint(ptz_sim))
    device.absolute_move(Position(0.25, -0.1, 0.5))
    assert device.status().position == pytest.approx(Position(0.25, -0.1, 0.5), abs=1e-5)
    assert ptz_sim.ptz_position(1) == pytest.approx((0.25, -0.1, 0.5))
    device.absolute_move(Position(2.0, 0.0, 0.0))  # a device clamps to its spaces
    assert ptz_sim.ptz_position(1)[0] == pytest.approx(1.0)
    device.absolute_move(Position(0.0, 0.0, 0.0))
    device.continuous_move(Position(1.0, 0.0, 0.0), 0.4)  # 0.5 units/s at velocity 1
    assert device.status().moving
    time.sleep(0.6)
    status = device.status()
    assert not status.moving
    assert status.position.pan == pytest.approx(0.2, abs=0.01)
    device.continuous_move(Position(0.0, -1.0, 0.0), 5.0)
    time.sleep(0.1)
    device.stop()
    stopped = device.status().position.tilt
    time.sleep(0.2)
    assert device.status().position.tilt == pytest.approx(stopped)
    assert stopped < 0


def test_presets_and_home(ptz_sim: CamsimHandle, connector: OnvifConnector) -> None:
    device = connector.device(endpoint(ptz_sim, 2))
    device.absolute_move(Position(-0.4, 0.2, 0.1))
    token = device.set_preset("정문")
    assert [(p.token, p.name) for p in device.presets()] == [(token, "정문")]
    device.absolute_move(Position(0.0, 0.0, 0.0))
    device.set_home()
    device.goto_preset(token)
    assert ptz_sim.ptz_position(2) == pytest.approx((-0.4, 0.2, 0.1))
    device.goto_home()
    assert ptz_sim.ptz_position(2) == pytest.approx((0.0, 0.0, 0.0))
    device.remove_preset(token)
    assert device.presets() == []
    with pytest.raises(DeviceFailed):
        device.goto_preset(token)  # the device answers ter:NoToken


def test_wrong_password_and_unknown_user_are_refused(
    ptz_sim: CamsimHandle, connector: OnvifConnector
) -> None:
    wrong = connector.device(endpoint(ptz_sim, password="not-it"))
    with pytest.raises(DeviceFailed) as refused:
        wrong.status()
    assert ONVIF_PASSWORD not in str(refused.value)
    assert "not-it" not in str(refused.value)
    nobody = connector.device(Endpoint(ptz_sim.onvif_url(1), "nobody", ONVIF_PASSWORD, "main"))
    with pytest.raises(DeviceFailed):
        nobody.absolute_move(Position(0.9, 0.9, 0.9))
    assert ptz_sim.ptz_position(1)[0] != pytest.approx(0.9)  # nothing moved
    anonymous = connector.device(Endpoint(ptz_sim.onvif_url(1), None, None, "main"))
    with pytest.raises(DeviceFailed):
        anonymous.status()
    assert connector.device(endpoint(ptz_sim)).status() is not None  # the right one still works


def _luma(url: str, frames: int) -> list[Any]:
    """Decoded luma planes of the next `frames` frames of an RTSP stream."""
    options = {"rtsp_transport": "tcp", "probesize": "32", "analyzeduration": "0"}
    out = []
    with av.open(url, options=options, timeout=(10.0, 10.0)) as container:
        for frame in container.decode(video=0):
            out.append(frame.to_ndarray(format="gray").astype(np.int16))
            if len(out) >= frames:
                break
    return out


def test_the_picture_follows_the_head(ptz_sim: CamsimHandle, connector: OnvifConnector) -> None:
    device = connector.device(endpoint(ptz_sim))
    device.absolute_move(Position(0.0, 0.0, 0.0))
    url = ptz_sim.url(1, "main", user=ONVIF_USER, password=ONVIF_PASSWORD)
    before = _luma(url, 3)
    assert before[0].shape == (180, 320)
    # The same position twice gives the same scene (only the burned-in time code moves).
    scene = slice(20, 160)
    # (up to coding noise: the first frames of a 300 kbit/s stream are coarse).
    same = np.abs(before[0][scene] - before[2][scene]).mean()
    device.absolute_move(Position(0.8, 0.2, 0.7))
    after = _luma(url, 3)
    moved = np.abs(after[0][scene] - before[0][scene]).mean()  # another part of the scene
    device.absolute_move(Position(0.0, 0.0, 0.0))
    again = _luma(url, 2)
    back = np.abs(again[0][scene] - before[0][scene]).mean()  # and back
    assert same < 6, (same, moved, back)
    assert back < 6, (same, moved, back)
    assert moved > 4 * max(same, back, 1.0), (same, moved, back)


def test_a_fixed_camera_still_plays_its_clip(ptz_sim: CamsimHandle) -> None:
    frames = _luma(ptz_sim.url(3, "sub", user=ONVIF_USER, password=ONVIF_PASSWORD), 2)
    assert frames[0].shape == (90, 160)
