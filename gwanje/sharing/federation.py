"""Federation between Gwanje centers (ORD-14.2, 21, 23): peers, signed requests, events.

Every request between centers is signed like the notification webhooks
(`gwanje.operations.notify.channels.sign`: HMAC-SHA256, Stripe-style `t=…,v1=…`), over
a canonical form that binds the method, the path with its query, a nonce and the body:
`"<METHOD>\\n<path?query>\\n<nonce>\\n" + body`. The receiver refuses (and audits) an
unknown peer, a missing or bad signature, a timestamp outside the tolerance and a nonce
it has seen (replay). The wire format is in docs/federation.md.

Owns: peer registration (secret encrypted at rest), request verification (`verify`),
what a peer may see (`camera_list`, `status`: only the cameras its agreement covers,
never credentials or stream URLs), inbound events and share requests, the outbox of
events pushed to peers with retry (`publish_incident`, `push_due`) and the outgoing
client (`PeerClient`).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gwanje.audit import Outcome, record
from gwanje.audit.events import Actor
from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.clock import Clock
from gwanje.context import Gwanje
from gwanje.errors import Conflict, Forbidden, InvalidInput, NotFound
from gwanje.operations.notify.channels import SIGNATURE_HEADER, sign, verify_signature
from gwanje.registry.crypto import CredentialCipher
from gwanje.registry.models import Camera
from gwanje.registry.purposes import Purpose
from gwanje.sharing import events
from gwanje.sharing.models import (
    FederationNonce,
    FederationOutbox,
    Peer,
    PeerCamera,
    PeerEvent,
    ShareRequest,
)

PEER_HEADER = "X-Gwanje-Peer"
NONCE_HEADER = "X-Gwanje-Nonce"
API = "/federation/v1"
EVENT_KINDS = frozenset({"incident.opened", "incident.closed"})
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
_SECRET_FIELD = "federation-peer-secret"  # noqa: S105 - AEAD associated data
_TOKEN_FIELD = "federation-share-token"  # noqa: S105 - AEAD associated data


class Unverified(Exception):
    """A federation request that failed verification; `reason` goes to the audit entry."""

    def __init__(self, peer: str, reason: str) -> None:
        super().__init__(reason)
        self.peer = peer
        self.reason = reason


def canonical(method: str, path: str, nonce: str, body: bytes) -> bytes:
    return f"{method.upper()}\n{path}\n{nonce}\n".encode() + body


def signed_headers(center: str, secret: bytes, method: str, path: str, body: bytes,
                   now: float) -> dict[str, str]:  # fmt: skip
    nonce = secrets.token_hex(16)
    signature = sign(secret, int(now), canonical(method, path, nonce, body))
    return {PEER_HEADER: center, NONCE_HEADER: nonce, SIGNATURE_HEADER: signature,
            "Content-Type": "application/json", "Accept": "application/json"}  # fmt: skip


def _cipher(ctx_secret: bytes) -> CredentialCipher:
    return CredentialCipher(ctx_secret)


# ---- peers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeerInput:
    name: str
    display_name: str
    base_url: str
    secret: str
    camera_codes: tuple[str, ...]
    agreement: str = ""
    push_events: bool = True


def register_peer(session: Session, clock: Clock, master: bytes, principal: Principal,
                  data: PeerInput, source_ip: str | None = None) -> Peer:  # fmt: skip
    if not principal.can(Permission.FEDERATION_MANAGE):
        raise Forbidden("error.forbidden", permission=Permission.FEDERATION_MANAGE.value)
    if not _NAME.match(data.name) or not data.display_name.strip():
        raise InvalidInput("sharing.error.peer_invalid", detail="name")
    if not data.base_url.startswith(("http://", "https://")):
        raise InvalidInput("sharing.error.peer_invalid", detail="base_url")
    if len(data.secret) < 32:
        raise InvalidInput("sharing.error.peer_invalid", detail="secret (32+ characters)")
    if session.scalar(select(Peer.id).where(Peer.name == data.name)) is not None:
        raise Conflict("sharing.error.peer_exists", name=data.name)
    cameras = list(session.scalars(select(Camera).where(Camera.code.in_(data.camera_codes))))
    missing = set(data.camera_codes) - {c.code for c in cameras}
    if missing:
        raise InvalidInput("sharing.error.unknown_camera", codes=", ".join(sorted(missing)))
    peer = Peer(
        name=data.name, display_name=data.display_name.strip(),
        base_url=data.base_url.rstrip("/"),
        secret_enc=_cipher(master).encrypt(data.secret, _SECRET_FIELD),
        agreement=data.agreement.strip(), push_events=data.push_events, active=True,
        created_at=clock.now(), cameras=[PeerCamera(camera_id=c.id) for c in cameras],
    )  # fmt: skip
    session.add(peer)
    session.flush()
    record(session, events.PeerRegistered(
        actor=principal.actor, source_ip=source_ip, camera_ids=tuple(c.id for c in cameras),
        peer=peer.name, base_url=peer.base_url,
    ), clock)  # fmt: skip
    return peer


def peers(session: Session) -> list[Peer]:
    return list(session.scalars(select(Peer).order_by(Peer.name)))


def peer_secret(peer: Peer, master: bytes) -> bytes:
    return _cipher(master).decrypt(peer.secret_enc, _SECRET_FIELD).encode()


# ---- inbound: verification ------------------------------------------------------------------


def verify(
    session: Session, clock: Clock, master: bytes, tolerance_s: float, headers: dict[str, str],
    method: str, path: str, body: bytes,
) -> Peer:  # fmt: skip
    """The peer that signed this request; `Unverified` otherwise. Records the nonce."""
    name = headers.get(PEER_HEADER.lower(), "")
    nonce = headers.get(NONCE_HEADER.lower(), "")
    signature = headers.get(SIGNATURE_HEADER.lower(), "")
    if not name or not nonce or not signature:
        raise Unverified(name or "-", "unsigned")
    peer = session.scalar(select(Peer).where(Peer.name == name))
    if peer is None or not peer.active:
        raise Unverified(name, "unknown_peer")
    now = clock.now()
    if not verify_signature(peer_secret(peer, master), signature,
                            canonical(method, path, nonce, body), now.timestamp(),
                            tolerance_s):  # fmt: skip
        raise Unverified(name, "bad_signature")
    seen = select(FederationNonce.id).where(FederationNonce.peer_id == peer.id,
                                            FederationNonce.nonce == nonce)  # fmt: skip
    if len(nonce) > 64 or session.scalar(seen) is not None:
        raise Unverified(name, "replayed")
    session.execute(delete(FederationNonce).where(
        FederationNonce.at < now - timedelta(seconds=2 * tolerance_s)))  # fmt: skip
    session.add(FederationNonce(peer_id=peer.id, nonce=nonce, at=now))
    session.flush()
    return peer


def refused(session: Session, clock: Clock, error: Unverified, path: str,
            source_ip: str | None) -> None:  # fmt: skip
    record(session, events.FederationRefused(
        actor=Actor(username=f"peer:{error.peer}"[:64], kind="public"), source_ip=source_ip,
        outcome=Outcome.DENIED, peer=error.peer, path=path, reason=error.reason,
    ), clock)  # fmt: skip


def peer_actor(peer: Peer) -> Actor:
    return Actor(username=f"peer:{peer.name}", kind="system")


# ---- inbound: what a peer may see and send --------------------------------------------------


def _covered(session: Session, peer: Peer) -> list[Camera]:
    ids = [c.camera_id for c in peer.cameras]
    if not ids:
        return []
    return list(session.scalars(select(Camera).where(Camera.id.in_(ids)).order_by(Camera.code)))


def camera_list(session: Session, clock: Clock, peer: Peer, center: str,
                source_ip: str | None) -> dict[str, Any]:  # fmt: skip
    """Only the cameras the agreement covers: name, location, purposes, status."""
    cameras = [{
        "code": c.code, "name": c.name, "district": c.district, "address": c.address,
        "latitude": c.latitude, "longitude": c.longitude,
        "purposes": [str(p) for p in c.purposes], "status": c.status,
    } for c in _covered(session, peer)]  # fmt: skip
    _served(session, clock, peer, f"{API}/cameras", len(cameras), source_ip)
    return {"center": center, "at": clock.now().isoformat(), "cameras": cameras}


def status(session: Session, clock: Clock, peer: Peer, center: str,
           source_ip: str | None) -> dict[str, Any]:  # fmt: skip
    from gwanje.console.service import _health  # newest health per camera (read only)

    cameras = _covered(session, peer)
    health = _health(session, [c.id for c in cameras])
    rows = [{"code": c.code, "status": c.status,
             "health": health[c.id][0] if c.id in health else "unknown",
             "health_at": health[c.id][1].isoformat() if c.id in health else None}
            for c in cameras]  # fmt: skip
    _served(session, clock, peer, f"{API}/status", len(rows), source_ip)
    return {"center": center, "at": clock.now().isoformat(), "cameras": rows}


def _served(session: Session, clock: Clock, peer: Peer, path: str, count: int,
            source_ip: str | None) -> None:  # fmt: skip
    record(session, events.FederationServed(
        actor=peer_actor(peer), source_ip=source_ip, peer=peer.name, path=path, count=count,
    ), clock)  # fmt: skip


def receive_event(session: Session, clock: Clock, peer: Peer, data: Any,
                  source_ip: str | None) -> bool:  # fmt: skip
    """Store a pushed event once; False when it was already stored (a retry)."""
    if not isinstance(data, dict) or data.get("kind") not in EVENT_KINDS:
        raise InvalidInput("sharing.error.event_invalid")
    event_id = str(data.get("id", ""))[:64]
    if not event_id:
        raise InvalidInput("sharing.error.event_invalid")
    known = session.scalar(select(PeerEvent.id).where(PeerEvent.peer_id == peer.id,
                                                      PeerEvent.event_id == event_id))  # fmt: skip
    if known is not None:
        return False
    session.add(PeerEvent(peer_id=peer.id, event_id=event_id, kind=data["kind"],
                          payload=json.dumps(data, ensure_ascii=False),
                          received_at=clock.now()))  # fmt: skip
    record(session, events.PeerEventReceived(
        actor=peer_actor(peer), source_ip=source_ip, peer=peer.name, kind=data["kind"],
        event_id=event_id,
    ), clock)  # fmt: skip
    return True




def receive_share_request(session: Session, clock: Clock, peer: Peer, data: Any,
                          source_ip: str | None) -> ShareRequest:  # fmt: skip
    if not isinstance(data, dict):
        raise InvalidInput("sharing.error.request_invalid")
    codes = [str(c) for c in data.get("cameras") or []][:64]
    covered = {c.code for c in _covered(session, peer)}
    purpose, reason = str(data.get("purpose", "")), str(data.get("reason", "")).strip()
    if not codes or not set(codes) <= covered or purpose not in {p.value for p in Purpose}:
        raise InvalidInput("sharing.error.request_invalid")
    if len(reason) < 5:
        raise InvalidInput("sharing.error.legal_basis")
    try:
        hours = float(data.get("hours", 1))
    except (TypeError, ValueError):
        raise InvalidInput("sharing.error.request_invalid") from None
    row = ShareRequest(
        peer_id=peer.id, camera_codes=json.dumps(codes), purpose=purpose, reason=reason[:2000],
        requester=str(data.get("requester", ""))[:128], hours=hours,
        requested_at=clock.now(), state="pending",
    )  # fmt: skip
    session.add(row)
    session.flush()
    record(session, events.ShareRequested(
        actor=peer_actor(peer), source_ip=source_ip, peer=peer.name, request_id=row.id,
        purpose=purpose, reason=row.reason,
    ), clock)  # fmt: skip
    return row


def share_requests(session: Session) -> list[tuple[ShareRequest, str]]:
    rows = session.execute(select(ShareRequest, Peer.name)
                           .join(Peer, Peer.id == ShareRequest.peer_id)
                           .order_by(ShareRequest.id.desc()).limit(100)).all()  # fmt: skip
    return [(r, name) for r, name in rows]


def decide_share_request(
    session: Session, ctx: Gwanje, principal: Principal, request_id: int, approve: bool,
    note: str, source_ip: str | None = None,
) -> ShareRequest:  # fmt: skip
    """A person approves (a share is made for the peer) or refuses a peer's request."""
    from gwanje.sharing.shares import ShareInput, Shares

    if not principal.can(Permission.SHARE_MANAGE):
        raise Forbidden("error.forbidden", permission=Permission.SHARE_MANAGE.value)
    row = session.get(ShareRequest, request_id)
    if row is None:
        raise NotFound("sharing.error.unknown_request")
    if row.state != "pending":
        raise Conflict("sharing.error.request_decided")
    peer = session.get(Peer, row.peer_id)
    assert peer is not None
    share_id = None
    if approve:
        data = ShareInput(
            agency=peer.display_name, agency_code=peer.name.upper(), recipient_kind="system",
            recipients=(f"peer:{peer.name}",), legal_basis=f"{note.strip()} / {row.reason}",
            purpose=row.purpose, camera_codes=tuple(json.loads(row.camera_codes)),
            hours=min(row.hours, ctx.settings.sharing.max_share_hours),
        )  # fmt: skip
        share, token = Shares(session, ctx.settings.sharing, ctx.clock, principal,
                              source_ip).create(data, peer_id=peer.id)  # fmt: skip
        share_id = share.id
        row.token_enc = _cipher(ctx.settings.secret()).encrypt(token, _TOKEN_FIELD)
    row.state = "approved" if approve else "refused"
    row.decided_by, row.decided_at = principal.person_id, ctx.clock.now()
    row.decision_note, row.share_id = note.strip(), share_id
    record(session, events.ShareRequestDecided(
        actor=principal.actor, source_ip=source_ip, peer=peer.name, request_id=row.id,
        approved=approve, share_id=share_id, note=row.decision_note,
    ), ctx.clock)  # fmt: skip
    return row


def share_answer(session: Session, ctx: Gwanje, peer: Peer, request_id: int,
                 source_ip: str | None) -> dict[str, Any]:  # fmt: skip
    """The state of a peer's request; once approved, the share's URLs and token, handed
    over once (then only the URLs: the token is wiped from our database)."""
    from gwanje.sharing.models import Share
    from gwanje.sharing.web import share_urls

    row = session.get(ShareRequest, request_id)
    if row is None or row.peer_id != peer.id:
        raise NotFound("sharing.error.unknown_request")
    answer: dict[str, Any] = {"id": row.id, "state": row.state, "note": row.decision_note}
    share = session.get(Share, row.share_id) if row.share_id else None
    if share is not None and row.token_enc:
        token = _cipher(ctx.settings.secret()).decrypt(row.token_enc, _TOKEN_FIELD)
        codes = {c.id: c.code for c in _covered(session, peer)}
        answer["share"] = {"id": share.id, "token": token, "expires_at": share.expires_at
                           .isoformat(), "cameras": {codes.get(c, str(c)): c
                                                     for c in share.camera_ids},
                           **share_urls(ctx, share, token)}  # fmt: skip
        row.token_enc = ""
        record(session, events.ShareTokenCollected(
            actor=peer_actor(peer), source_ip=source_ip, camera_ids=share.camera_ids,
            peer=peer.name, request_id=row.id, share_id=share.id,
        ), ctx.clock)  # fmt: skip
    return answer


# ---- outbound: events with retry ------------------------------------------------------------


def publish_incident(session: Session, clock: Clock, incident: Any, kind: str) -> int:
    """Queue an incident event for every peer that takes events (ORD-21); the camera
    codes a peer's agreement does not cover are left out. Returns the rows queued."""
    queued = 0
    camera_ids = {c.camera_id for c in incident.cameras}
    codes: dict[int, str] = {}
    if camera_ids:
        found = session.execute(select(Camera.id, Camera.code).where(Camera.id.in_(camera_ids)))
        codes = {row.id: row.code for row in found}
    for peer in session.scalars(select(Peer).where(Peer.active, Peer.push_events)):
        covered = {c.camera_id for c in peer.cameras}
        payload = {"kind": kind, "incident": {
            "id": incident.id, "type": incident.type, "severity": incident.severity,
            "title": incident.title, "location": incident.location, "state": incident.state,
            "opened_at": incident.opened_at.isoformat(),
            "closed_at": incident.closed_at.isoformat() if incident.closed_at else None,
            "cameras": sorted(codes[i] for i in camera_ids & covered if i in codes),
        }}  # fmt: skip
        now = clock.now()
        session.add(FederationOutbox(peer_id=peer.id, kind=kind, state="pending",
                                     payload=json.dumps(payload, ensure_ascii=False),
                                     created_at=now, next_attempt_at=now))  # fmt: skip
        queued += 1
    return queued


@dataclass(frozen=True)
class Due:
    id: int
    peer_id: int
    payload: dict[str, Any]


def push_due(ctx: Gwanje, batch: int = 20) -> tuple[int, int]:
    """Send due events to their peers: (sent, failed attempts). Rows are claimed by moving
    `next_attempt_at` past the send timeout, so two pushers never send one row twice at
    once; a receiver deduplicates on the event id anyway."""
    settings = ctx.settings.sharing
    now = ctx.clock.now()
    with ctx.transaction() as session:
        rows = list(session.scalars(
            select(FederationOutbox).where(FederationOutbox.state == "pending",
                                           FederationOutbox.next_attempt_at <= now)
            .order_by(FederationOutbox.id).limit(batch)))  # fmt: skip
        due = [Due(r.id, r.peer_id, json.loads(r.payload)) for r in rows]
        for row in rows:
            row.next_attempt_at = now + timedelta(seconds=3 * settings.push_timeout_s)
    sent = failed = 0
    for item in due:
        error = _push_one(ctx, item)
        with ctx.transaction() as session:
            claimed = session.get(FederationOutbox, item.id)
            assert claimed is not None
            row = claimed
            row.attempts += 1
            if error is None:
                row.state, row.sent_at, row.last_error = "sent", ctx.clock.now(), ""
                sent += 1
                continue
            failed += 1
            row.last_error = error
            delay = settings.push_retry_base_s * 2 ** (row.attempts - 1)
            row.next_attempt_at = ctx.clock.now() + timedelta(seconds=min(delay, 3600))
            if row.attempts >= settings.push_max_attempts:
                row.state = "failed"
    return sent, failed


def _push_one(ctx: Gwanje, item: Due) -> str | None:
    with ctx.sessions() as session:
        peer = session.get(Peer, item.peer_id)
        if peer is None or not peer.active:
            return "peer removed or inactive"
        client = PeerClient(ctx, peer)
    body = {"id": f"{ctx.settings.sharing.center_name}-{item.id}", **item.payload}
    try:
        response = client.request("POST", f"{API}/events", body)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}"
    return None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"


@asynccontextmanager
async def pusher(app: Any) -> AsyncIterator[None]:
    """Router lifespan: push peer events in the background of the web process."""
    import asyncio
    import contextlib

    from starlette.concurrency import run_in_threadpool

    ctx: Gwanje = app.state.ctx

    async def forever() -> None:
        while True:
            try:
                await run_in_threadpool(push_due, ctx)
            except Exception:  # logged; the next round tries again
                import logging

                logging.getLogger(__name__).exception("federation push round failed")
            await asyncio.sleep(ctx.settings.sharing.push_interval_s)

    task = asyncio.create_task(forever(), name="federation-push")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# ---- outbound: the client -------------------------------------------------------------------


class PeerClient:
    """Signed requests to one peer (its secret decrypted only here, never logged)."""

    def __init__(self, ctx: Gwanje, peer: Peer) -> None:
        self.center = ctx.settings.sharing.center_name
        self.base_url = peer.base_url
        self.timeout = ctx.settings.sharing.push_timeout_s
        self._secret = peer_secret(peer, ctx.settings.secret())

    def request(self, method: str, path: str, body: Any = None) -> httpx.Response:
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        headers = signed_headers(self.center, self._secret, method, path, data, time.time())
        with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
            return client.request(method, self.base_url + path, content=data, headers=headers)


def fetch_cameras(ctx: Gwanje, peer_id: int, principal: Principal | None = None) -> int:
    """Fetch a peer's camera list and store it; how many cameras it shares with us."""
    with ctx.sessions() as session:
        peer = session.get(Peer, peer_id)
        if peer is None:
            raise NotFound("sharing.error.unknown_peer")
        client = PeerClient(ctx, peer)
    response = client.request("GET", f"{API}/cameras")
    if response.status_code != 200:
        raise Conflict("sharing.error.peer_failed", status=response.status_code)
    cameras = response.json().get("cameras", [])
    with ctx.transaction() as session:
        peer = session.get(Peer, peer_id)
        assert peer is not None
        peer.remote_cameras = json.dumps(cameras, ensure_ascii=False)
        peer.remote_fetched_at = ctx.clock.now()
        actor = principal.actor if principal else Actor.system("federation")
        record(session, events.PeerCamerasFetched(actor=actor, peer=peer.name,
                                                  count=len(cameras)), ctx.clock)  # fmt: skip
    return len(cameras)


def remote_cameras(peer: Peer) -> list[dict[str, Any]]:
    value = json.loads(peer.remote_cameras or "[]")
    return value if isinstance(value, list) else []


