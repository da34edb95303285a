"""The emergency call's voice (ORD-10.2, PIPA-7) over real WebRTC on loopback: the
simulated bell's aiortc peer (camsim `BellVoice`) and an aiortc peer standing in for the
operator's browser, signalled through Gwanje's service and HTTP route.

Audio flows only while the call is connected and only for its answering operator; ending
the call hangs the bell's leg up and writes its figures into `bell.call_ended`; any other
attempt (ringing, ended, another operator, no incident.manage, another origin, no voice
gateway) is refused and audited. (The Chromium side: tests/browser/test_bells_ui.py.)"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from bell_kit import bell_with_camera, gateway, operator
from registry.helpers import audit_rows
from webclient import client_as, principal_for

from gwanje.auth.permissions import Role
from gwanje.context import Gwanje
from gwanje.errors import Conflict, Forbidden
from gwanje.media.camsim.bell_voice import BellVoice, VoiceLikeTone
from gwanje.operations import bells_voice
from gwanje.operations.bells import BellCalls, press_bell
from gwanje.operations.bells_config import BellSettings
from gwanje.operations.bells_voice import VoiceUnavailable

TOKEN = "bell-voice-shared-secret"


@pytest.fixture
def bell_peer() -> Iterator[BellVoice]:
    peer = BellVoice(token=TOKEN).start()
    yield peer
    peer.stop()


@pytest.fixture
def site(ctx: Gwanje, bell_peer: BellVoice) -> dict[str, Any]:
    bells_settings = BellSettings(mqtt=False, voice_url=bell_peer.url, voice_token=TOKEN)
    ctx = replace(ctx, settings=ctx.settings.model_copy(update={"bells": bells_settings}))
    bell_with_camera(ctx)
    gw, _ = gateway(ctx)
    call_id = press_bell(ctx, gw, "BELL-1", "http").call_id
    return {"ctx": ctx, "call_id": call_id, "operator": operator(ctx)}


def act(ctx: Gwanje, who: Any, job: str, call_id: int) -> None:
    voice = bells_voice.voice_of(ctx)
    with ctx.transaction() as session:
        calls = BellCalls(session, ctx.clock, who, hang_up=voice.hang_up if voice else None)
        calls.end(call_id, "") if job == "end" else getattr(calls, job)(call_id)


class Browser:
    """An aiortc peer in its own loop thread, sending a tone like a microphone."""

    def __init__(self) -> None:
        self.voice = BellVoice()  # borrow its loop thread; its HTTP side stays unused
        self.voice._loop_thread.start()
        self.pc: RTCPeerConnection | None = None

    def offer(self) -> str:
        async def make() -> str:
            self.pc = RTCPeerConnection()
            self.pc.addTrack(VoiceLikeTone())
            await self.pc.setLocalDescription(await self.pc.createOffer())
            return str(self.pc.localDescription.sdp)

        return str(self.voice.run(make()))

    def accept(self, sdp: str) -> None:
        assert self.pc is not None
        pc = self.pc
        self.voice.run(pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer")))

    def packets_received(self) -> int:
        assert self.pc is not None
        report = self.voice.run(self.pc.getStats())
        return sum(s.packetsReceived for s in report.values() if s.type == "inbound-rtp")

    def close(self) -> None:
        if self.pc is not None:
            self.voice.run(self.pc.close())
        self.voice.close_loop()


def wait_until(check: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def reasons(ctx: Gwanje) -> list[str]:
    return [json.loads(r.details)["reason"] for r in audit_rows(ctx, "bell.voice_refused")]


def test_voice_flows_both_ways_while_connected_and_the_end_hangs_it_up(
    site: dict[str, Any], bell_peer: BellVoice
) -> None:
    ctx, call_id, op = site["ctx"], site["call_id"], site["operator"]
    act(ctx, op, "answer", call_id)
    browser = Browser()
    try:
        answer = bells_voice.connect(ctx, op, call_id, browser.offer(), same_origin=True)
        browser.accept(answer)
        wait_until(lambda: browser.packets_received() > 50)  # bell → operator
        wait_until(lambda: bell_peer.run(bell_peer.figures(call_id))["frames_received"] > 50)
        act(ctx, op, "end", call_id)  # hangs up the bell's leg in the same request
        final = bell_peer.run(bell_peer.figures(call_id))
        assert final["live"] is False
        time.sleep(1.5)
        assert bell_peer.run(bell_peer.figures(call_id)) == final  # nothing more counted
        with pytest.raises(Conflict):  # a second attempt after the end
            bells_voice.connect(ctx, op, call_id, browser.offer(), same_origin=True)
    finally:
        browser.close()
    (ended,) = audit_rows(ctx, "bell.call_ended")
    facts = json.loads(ended.details)
    assert facts["voice"] is True
    assert facts["codec"].startswith("opus/48000")
    assert facts["to_bell_packets"] > 50
    assert facts["from_bell_packets"] > 50
    assert facts["to_bell_bytes"] > 1000
    assert facts["from_bell_bytes"] > 1000
    assert facts["voice_s"] > 0
    assert len(audit_rows(ctx, "bell.voice_connected")) == 1
    assert reasons(ctx) == ["bells.error.call_state"]


def test_voice_is_refused_and_audited_unless_connected_answerer_same_origin(
    site: dict[str, Any], bell_peer: BellVoice
) -> None:
    ctx, call_id, op = site["ctx"], site["call_id"], site["operator"]
    sdp = "v=0\r\n"  # refused before anything reaches the bell
    with pytest.raises(Conflict):  # still ringing
        bells_voice.connect(ctx, op, call_id, sdp, same_origin=True)
    act(ctx, op, "answer", call_id)
    with pytest.raises(Forbidden):  # another operator did not answer it
        bells_voice.connect(ctx, operator(ctx, "kim"), call_id, sdp, same_origin=True)
    with pytest.raises(Forbidden):  # a page of another site riding on the cookie
        bells_voice.connect(ctx, op, call_id, sdp, same_origin=False)
    viewer = principal_for(Role.AUDITOR, username="audit")
    with pytest.raises(Forbidden):  # no incident.manage
        bells_voice.connect(ctx, viewer, call_id, sdp, same_origin=True)
    off = replace(ctx, settings=ctx.settings.model_copy(update={"bells": BellSettings()}))
    with pytest.raises(VoiceUnavailable):
        bells_voice.connect(off, op, call_id, sdp, same_origin=True)
    assert reasons(ctx) == [
        "bells.error.call_state", "bells.error.voice_not_answerer", "bells.error.voice_origin",
        "error.forbidden", "bells.error.voice_off",
    ]  # fmt: skip
    assert bell_peer.legs == {}


def test_the_voice_route_refuses_other_origins_and_non_managers(site: dict[str, Any]) -> None:
    from gwanje.web.app import create_app

    ctx, call_id, op = site["ctx"], site["call_id"], site["operator"]
    act(ctx, op, "answer", call_id)
    app = create_app(ctx)
    url = f"/api/bell-calls/{call_id}/voice"
    body = {"type": "offer", "sdp": "v=0\r\n"}
    foreign = client_as(app, op).post(url, json=body, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403, foreign.text
    auditor = client_as(app, principal_for(Role.AUDITOR, username="audit")).post(url, json=body)
    assert auditor.status_code == 403
    assert len(audit_rows(ctx, "auth.permission_denied")) >= 1
    assert reasons(ctx) == ["bells.error.voice_origin"]
    browser = Browser()
    try:
        ok = client_as(app, op).post(url, json={"type": "offer", "sdp": browser.offer()},
                                     headers={"Origin": "http://testserver"})  # fmt: skip
        assert ok.status_code == 200, ok.text
        assert ok.json()["type"] == "answer"
        assert "m=audio" in ok.json()["sdp"]
    finally:
        browser.close()


def test_the_gateway_takes_signalling_only_with_the_shared_token(
    site: dict[str, Any], bell_peer: BellVoice
) -> None:
    """The voice endpoint answers Gwanje (which sends bells.voice_token) and nobody else;
    a Gwanje with the wrong token gets no voice (VoiceUnavailable), never a leg."""
    import httpx

    anonymous = httpx.post(f"{bell_peer.url}/calls/{site['call_id']}",
                           json={"type": "offer", "sdp": "v=0"}, timeout=5)  # fmt: skip
    assert anonymous.status_code == 401
    ctx, call_id, op = site["ctx"], site["call_id"], site["operator"]
    act(ctx, op, "answer", call_id)
    wrong = BellSettings(mqtt=False, voice_url=bell_peer.url, voice_token="not-the-secret")
    impostor = replace(ctx, settings=ctx.settings.model_copy(update={"bells": wrong}))
    browser = Browser()
    try:
        with pytest.raises(VoiceUnavailable):
            bells_voice.connect(impostor, op, call_id, browser.offer(), same_origin=True)
    finally:
        browser.close()
    assert bell_peer.refused == 2
    assert bell_peer.legs == {}
