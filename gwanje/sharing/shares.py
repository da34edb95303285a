"""Live-view shares for agencies (ORD-14.2, 17, 23): make, renew, revoke, authorize a use.

```
created ──(starts_at)──▶ usable ──(expires_at)──▶ expired
   └────────────── revoke (any time, final) ──────────────▶ revoked
```

Invariants:
- only `share.manage` makes, renews and revokes; a legal basis and a purpose are
  required; a share runs at most `sharing.max_share_hours` (renewal moves the expiry,
  never beyond that from now);
- the bearer token (`gws_…`) is returned once; only its SHA-256 is stored and compared in
  constant time; a logged-in person named among the recipients may view without it;
- `authorize` is the one gate of every use (web viewer, HLS): share exists, token or
  recipient, not revoked, started, not expired, camera covered and linked, delegation
  terms kept; a refusal raises `Refused` carrying its audit entry, written by
  `sharing_transaction` after the refused transaction rolled back;
- `still_valid` is what an open stream re-checks every `revocation_check_s`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, lazyload

from gwanje.audit import Outcome, record
from gwanje.audit.events import Actor, AuditEvent
from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.clock import Clock
from gwanje.context import Gwanje
from gwanje.errors import Conflict, Forbidden, InvalidInput, NotFound
from gwanje.registry.models import Camera, CameraStatus
from gwanje.registry.purposes import Purpose
from gwanje.sharing import delegations, events
from gwanje.sharing.config import SharingSettings
from gwanje.sharing.models import Share, ShareCamera

TOKEN_PREFIX = "gws_"  # noqa: S105 - a prefix, not a secret
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")
_WATERMARK = re.compile(r"^[\x20-\x7e]{1,40}$")  # the burned-in font is ASCII


class Refused(Forbidden):
    """A use of a share was refused; `event` is its audit entry."""

    def __init__(self, event: AuditEvent, reason: str) -> None:
        super().__init__(f"sharing.error.{reason}")
        self.event = event
        self.reason = reason


@contextmanager
def sharing_transaction(ctx: Gwanje) -> Iterator[Session]:
    """`ctx.transaction()`; a refusal's entry is recorded in a fresh transaction."""
    try:
        with ctx.transaction() as session:
            yield session
    except (Refused, delegations.OutsideTerms) as exc:
        with ctx.transaction() as session:
            record(session, exc.event, ctx.clock)
        raise


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class ShareInput:
    agency: str
    agency_code: str
    recipient_kind: str  # users | system
    recipients: tuple[str, ...]
    legal_basis: str
    purpose: str
    camera_codes: tuple[str, ...]
    hours: float
    starts_at: datetime | None = None
    watermark: str = ""


@dataclass(frozen=True)
class Grant:
    """What an authorized use may do: the share, the camera, who is watching."""

    share_id: int
    agency: str
    watermark: str
    recipient: str
    camera_id: int
    camera_code: str
    actor: Actor


@dataclass
class Shares:
    session: Session
    settings: SharingSettings
    clock: Clock
    principal: Principal
    source_ip: str | None = None

    def _require(self) -> None:
        if not self.principal.can(Permission.SHARE_MANAGE):
            raise Forbidden("error.forbidden", permission=Permission.SHARE_MANAGE.value)

    def create(self, data: ShareInput, peer_id: int | None = None) -> tuple[Share, str]:
        """The new share and its token (shown once, never stored)."""
        self._require()
        _validate(data, self.settings)
        cameras = self._cameras(data.camera_codes)
        start = data.starts_at or self.clock.now()
        end = start + timedelta(hours=data.hours)
        delegations.check_terms(self.session, self.principal, [c.id for c in cameras],
                                [data.purpose], start, end, "share", self.source_ip)  # fmt: skip
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        share = Share(
            agency=data.agency.strip(), agency_code=data.agency_code,
            recipients=",".join(r.strip() for r in data.recipients if r.strip()),
            recipient_kind=data.recipient_kind, legal_basis=data.legal_basis.strip(),
            purpose=data.purpose, watermark=data.watermark.strip() or data.agency_code,
            token_hash=token_hash(token), token_prefix=token[:10], starts_at=start,
            expires_at=end, created_by=self.principal.person_id, created_at=self.clock.now(),
            peer_id=peer_id, cameras=[ShareCamera(camera_id=c.id) for c in cameras],
        )  # fmt: skip
        self.session.add(share)
        self.session.flush()
        self._audit(share, events.ShareCreated, agency=share.agency,
                    recipients=share.recipients, purpose=share.purpose,
                    legal_basis=share.legal_basis, watermark=share.watermark,
                    token_prefix=share.token_prefix)  # fmt: skip
        return share, token

    def renew(self, share_id: int, hours: float) -> Share:
        self._require()
        share = self._live(share_id)
        if not 0 < hours <= self.settings.max_share_hours:
            raise InvalidInput("sharing.error.hours", max=self.settings.max_share_hours)
        share.expires_at = self.clock.now() + timedelta(hours=hours)
        delegations.check_terms(
            self.session, self.principal, share.camera_ids, [share.purpose], share.starts_at,
            share.expires_at, "share", self.source_ip,
        )  # fmt: skip
        self._audit(share, events.ShareRenewed, agency=share.agency)
        return share

    def revoke(self, share_id: int, reason: str) -> Share:
        self._require()
        share = self._live(share_id)
        reason = reason.strip()
        if not reason:
            raise InvalidInput("sharing.error.reason_required")
        won = self.session.execute(
            update(Share).where(Share.id == share_id, Share.revoked_at.is_(None))
            .values(revoked_at=self.clock.now(), revoked_by=self.principal.person_id,
                    revoke_reason=reason)
        ).rowcount  # type: ignore[attr-defined]  # fmt: skip
        if won != 1:
            raise Conflict("sharing.error.revoked")
        self.session.refresh(share)
        self._audit(share, events.ShareRevoked, agency=share.agency, reason=reason)
        return share

    def _live(self, share_id: int) -> Share:
        share = self.session.get(Share, share_id)
        if share is None:
            raise NotFound("sharing.error.unknown_share")
        if share.revoked_at is not None:
            raise Conflict("sharing.error.revoked")
        return share

    def _cameras(self, codes: tuple[str, ...]) -> list[Camera]:
        wanted = sorted({c.strip() for c in codes if c.strip()})
        if not wanted:
            raise InvalidInput("sharing.error.no_cameras")
        found = list(self.session.scalars(select(Camera).where(Camera.code.in_(wanted))))
        missing = set(wanted) - {c.code for c in found}
        if missing:
            raise InvalidInput("sharing.error.unknown_camera", codes=", ".join(sorted(missing)))
        outside = [c.code for c in found if c.status != CameraStatus.LINKED
                   or not self.principal.may_use_on_camera(Permission.SHARE_MANAGE, c.id,
                                                           c.department_id)]  # fmt: skip
        if outside:
            raise Forbidden("sharing.error.camera_not_allowed", codes=", ".join(outside))
        return found

    def _audit(self, share: Share, event_type: type[Any], **details: object) -> None:
        event = event_type(
            actor=self.principal.actor, source_ip=self.source_ip, camera_ids=share.camera_ids,
            range_start=share.starts_at, range_end=share.expires_at, share_id=share.id,
            **details,
        )  # fmt: skip
        record(self.session, event, self.clock)


def _validate(data: ShareInput, settings: SharingSettings) -> None:
    if not data.agency.strip() or len(data.agency) > 128:
        raise InvalidInput("sharing.error.invalid", detail="agency")
    if not _CODE.match(data.agency_code):
        raise InvalidInput("sharing.error.agency_code")
    named = any(r.strip() for r in data.recipients)
    if data.recipient_kind not in ("users", "system") or not named:
        raise InvalidInput("sharing.error.recipients")
    if len(data.legal_basis.strip()) < 5:
        raise InvalidInput("sharing.error.legal_basis")
    if data.purpose not in {p.value for p in Purpose}:
        raise InvalidInput("sharing.error.invalid", detail="purpose")
    if not 0 < data.hours <= settings.max_share_hours:
        raise InvalidInput("sharing.error.hours", max=settings.max_share_hours)
    if data.watermark.strip() and not _WATERMARK.match(data.watermark.strip()):
        raise InvalidInput("sharing.error.watermark")


# ---- the gate of every use ------------------------------------------------------------------


def authorize(
    session: Session, clock: Clock, share_id: int, camera_id: int | None, token: str | None,
    principal: Principal | None, channel: str, source_ip: str | None,
) -> Grant:  # fmt: skip
    """Check one use of a share (ORD-23); raise `Refused` (audited by the caller).
    `camera_id` None checks the share alone (the viewer page); the grant then names the
    share's first camera."""
    share = session.get(Share, share_id)
    recipient = _recipient_label(share, token, principal)
    actor = _actor(share, token, principal)

    def refuse(reason: str) -> Refused:
        event = events.ShareRefused(
            actor=actor, source_ip=source_ip, outcome=Outcome.DENIED,
            camera_ids=(camera_id,) if camera_id is not None else (),
            share_id=share.id if share else None, recipient=recipient, channel=channel,
            reason=reason,
        )  # fmt: skip
        return Refused(event, reason)

    if share is None:
        raise refuse("unknown_share")
    if token is not None:
        if not hmac.compare_digest(token_hash(token), share.token_hash):
            raise refuse("bad_token")
    elif principal is None or principal.username not in share.recipient_names():
        raise refuse("not_recipient")
    reason = validity(share, clock.now())
    if reason is not None:
        raise refuse(reason)
    wanted = share.camera_ids[0] if camera_id is None else camera_id
    if wanted not in share.camera_ids:
        raise refuse("camera_not_shared")
    camera = session.get(Camera, wanted)
    if camera is None or camera.status != CameraStatus.LINKED:
        raise refuse("camera_unavailable")
    delegations.check_terms(session, principal, [wanted], [share.purpose], clock.now(),
                            clock.now(), channel, source_ip)  # fmt: skip
    return Grant(share.id, share.agency, share.watermark, recipient, camera.id, camera.code, actor)


def validity(share: Share, now: datetime) -> str | None:
    """Why the share cannot be used now (revoked, not_started, expired), or None."""
    if share.revoked_at is not None:
        return "revoked"
    if now < share.starts_at:
        return "not_started"
    if now >= share.expires_at:
        return "expired"
    return None


def still_valid(session: Session, clock: Clock, share_id: int) -> str | None:
    """What an open stream re-checks: None while it may go on, else the reason to stop."""
    # Polled every second per open view: the share row only, not its cameras.
    share = session.get(Share, share_id, options=[lazyload(Share.cameras)])
    return "revoked" if share is None else validity(share, clock.now())


def _recipient_label(share: Share | None, token: str | None, principal: Principal | None) -> str:
    if token is None and principal is not None:
        return principal.username
    prefix = token[:10] if token else "-"
    return f"{share.agency_code if share else '?'} token {prefix}"


def _actor(share: Share | None, token: str | None, principal: Principal | None) -> Actor:
    if token is None and principal is not None:
        return principal.actor
    name = f"share:{share.id}:{share.agency_code}" if share else "share:?"
    return Actor(person_id=None, username=name[:64], kind="public")


def view_started(session: Session, clock: Clock, grant: Grant, view_id: str, channel: str,
                 source_ip: str | None) -> datetime:  # fmt: skip
    now = clock.now()
    record(session, events.ShareViewStarted(
        actor=grant.actor, source_ip=source_ip, camera_ids=(grant.camera_id,), range_start=now,
        share_id=grant.share_id, agency=grant.agency, recipient=grant.recipient,
        view_id=view_id, channel=channel, code=grant.camera_code,
    ), clock)  # fmt: skip
    return now


def view_ended(
    session: Session, clock: Clock, grant: Grant, view_id: str, channel: str,
    started: datetime, frames: int, reason: str, source_ip: str | None,
) -> None:  # fmt: skip
    record(session, events.ShareViewEnded(
        actor=grant.actor, source_ip=source_ip, camera_ids=(grant.camera_id,),
        range_start=started, range_end=clock.now(), share_id=grant.share_id,
        agency=grant.agency, recipient=grant.recipient, view_id=view_id, channel=channel,
        code=grant.camera_code, frames=frames, reason=reason,
    ), clock)  # fmt: skip


def list_shares(session: Session) -> list[Share]:
    return list(session.scalars(select(Share).order_by(Share.id.desc()).limit(200)))
