"""The emergency call's voice (비상벨 통화 음성, ORD-10.2, PIPA-7): Gwanje signals, it never
carries or keeps audio. docs/design/bells.md, "Voice".

The answering operator's browser posts its WebRTC offer; Gwanje checks it and forwards it
to the bell gateway's voice endpoint (`bells.voice_url`), and hands the answer back. Audio
then flows browser ⇄ bell directly; no media byte passes through or is written by Gwanje.

Invariants:
- a voice leg exists only while its call session is `connected`, only for the operator
  who answered it, only from our own origin, only for a holder of `incident.manage`
  with the bell's camera in scope; any other attempt is refused and audited
  (`bell.voice_refused`);
- ending the call hangs the bell's leg up in the same request (`BellCalls.end` calls
  `hang_up`), and its figures (codec, packets and bytes both ways, seconds) go into the
  `bell.call_ended` entry; the browser closes its own side on the same click or when
  the alarm channel says the call ended;
- nothing here opens a file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

from gwanje.audit import Outcome, record
from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.context import Gwanje
from gwanje.errors import Conflict, Forbidden, GwanjeError, InvalidInput, NotFound
from gwanje.operations import bells_events as events
from gwanje.operations.bells import may_see
from gwanje.operations.bells_models import BellCall
from gwanje.operations.kinds import CallState
from gwanje.registry.models import EmergencyBell

log = logging.getLogger(__name__)
SDP_MAX = 64_000


class VoiceUnavailable(GwanjeError):
    status = 503


@dataclass(frozen=True)
class MediaFacts:
    """What the bell side measured on its leg, from the center's point of view."""

    codec: str
    to_bell_packets: int
    to_bell_bytes: int
    from_bell_packets: int
    from_bell_bytes: int
    voice_s: float

    def audit(self) -> dict[str, Any]:
        return {"voice": True, "codec": self.codec[:32],
                "to_bell_packets": self.to_bell_packets, "to_bell_bytes": self.to_bell_bytes,
                "from_bell_packets": self.from_bell_packets,
                "from_bell_bytes": self.from_bell_bytes, "voice_s": self.voice_s}  # fmt: skip


@dataclass(frozen=True)
class GatewayVoice:
    """The bell gateway's voice signalling endpoint (`<url>/calls/<call_id>`)."""

    url: str
    timeout_s: float = 10.0
    token: str | None = None  # bells.voice_token: the gateway refuses calls without it

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def offer(self, call_id: int, bell_code: str, sdp: str) -> str:
        try:
            body = {"type": "offer", "sdp": sdp, "bell": bell_code}
            response = httpx.post(
                self._call(call_id), json=body, timeout=self.timeout_s, headers=self._headers()
            )
            response.raise_for_status()
            return str(response.json()["sdp"])
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            log.warning("bell voice offer for call %s failed: %s", call_id, exc)
            raise VoiceUnavailable("bells.error.voice_gateway") from exc

    def hang_up(self, call_id: int) -> MediaFacts | None:
        """Close the bell's leg now; its final figures, or None if it had none."""
        try:
            response = httpx.delete(
                self._call(call_id), timeout=self.timeout_s, headers=self._headers()
            )
        except httpx.HTTPError as exc:
            log.warning("bell voice hang-up for call %s failed: %s", call_id, exc)
            return None
        if response.status_code != 200:
            return None
        f = response.json()
        return MediaFacts(str(f.get("codec", "")), int(f["packets_received"]),
                          int(f["bytes_received"]), int(f["packets_sent"]),
                          int(f["bytes_sent"]), float(f["seconds"]))  # fmt: skip

    def _call(self, call_id: int) -> str:
        return f"{self.url.rstrip('/')}/calls/{call_id}"


def voice_of(ctx: Gwanje) -> GatewayVoice | None:
    url = ctx.settings.bells.voice_url
    token = ctx.settings.bells.voice_token
    secret = token.get_secret_value() if token else None
    return GatewayVoice(url, ctx.settings.bells.voice_timeout_s, secret) if url else None


def connect(ctx: Gwanje, principal: Principal, call_id: int, sdp: str, *,
            same_origin: bool, source_ip: str | None = None) -> str:  # fmt: skip
    """Put the answering operator through to the bell: the bell's SDP answer."""
    try:
        voice = voice_of(ctx)
        bell_code = _admit(ctx, principal, call_id, sdp, same_origin, voice)
        assert voice is not None
        answer = voice.offer(call_id, bell_code, sdp)
        with ctx.transaction() as session:
            call = session.get(BellCall, call_id)
            if call is None or call.state != CallState.CONNECTED.value:  # ended meanwhile
                voice.hang_up(call_id)
                raise Conflict("bells.error.call_state", state=call.state if call else "?")
            record(session, events.BellVoiceConnected(
                actor=principal.actor, source_ip=source_ip, call_id=call_id,
                incident_id=call.incident_id, bell_code=bell_code,
                camera_ids=(call.camera_id,) if call.camera_id else (),
            ), ctx.clock)  # fmt: skip
        return answer
    except GwanjeError as exc:
        _refused(ctx, principal, call_id, exc.key, source_ip)
        raise


def _admit(ctx: Gwanje, principal: Principal, call_id: int, sdp: str, same_origin: bool,
           voice: GatewayVoice | None) -> str:  # fmt: skip
    if not same_origin:  # a page of another site riding on the operator's cookie
        raise Forbidden("bells.error.voice_origin")
    if not principal.can(Permission.INCIDENT_MANAGE):
        raise Forbidden("error.forbidden", permission=Permission.INCIDENT_MANAGE.value)
    if not sdp.strip() or len(sdp) > SDP_MAX:
        raise InvalidInput("bells.error.voice_offer")
    if voice is None:
        raise VoiceUnavailable("bells.error.voice_off")
    with ctx.sessions() as session:
        call = session.get(BellCall, call_id)
        if call is None or not may_see(session, principal, call):
            raise NotFound("bells.error.no_call", call_id=call_id)
        if call.state != CallState.CONNECTED.value:  # ORD-10.2: only a connected session
            raise Conflict("bells.error.call_state", state=call.state)
        if call.answered_by != principal.person_id:
            raise Forbidden("bells.error.voice_not_answerer")
        bell = session.get(EmergencyBell, call.bell_id)
        return bell.code if bell else ""


def _refused(ctx: Gwanje, principal: Principal, call_id: int, reason: str,
             source_ip: str | None) -> None:  # fmt: skip
    with ctx.transaction() as session:
        record(session, events.BellVoiceRefused(
            actor=principal.actor, source_ip=source_ip, outcome=Outcome.DENIED,
            call_id=call_id, reason=reason,
        ), ctx.clock)  # fmt: skip
