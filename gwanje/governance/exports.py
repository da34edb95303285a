"""Evidence export under a grant (issue 4; ORD-30.2, 31.2, 33).

Invariants:
- an export needs `video.export` and an active grant naming the exporter for that camera
  and the whole range; the video is clipped to the grant (as playback is) and never
  re-encoded; the package is signed with the center's key (`gwanje.media.evidence`);
- the package is written (fsync, rename) before its row and audit entry commit; a crash
  in between leaves an unlisted file under `<data>/exports`, never a row without a file;
- a download needs the package to be ready, unexpired, its grant active, and the person
  to be its exporter or named by the grant; every download is audited;
- recalling the grant (ORD-28.3) deletes every package made under it and marks the rows
  recalled: download links die at once (`recall_exports`).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from gwanje.audit import Outcome, record
from gwanje.audit.keys import load_or_create
from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.clock import Clock
from gwanje.errors import Forbidden, InvalidInput, NotFound
from gwanje.governance import events
from gwanje.governance.models import (
    AccessGrant,
    AccessGrantPerson,
    AccessRequest,
    EvidenceExport,
)
from gwanje.governance.requests import active_grant, covering_item
from gwanje.media.evidence import VideoFile, build_package
from gwanje.media.playback import open_playback, segments_for
from gwanje.media.watermark import watermark_mp4
from gwanje.people.models import Person
from gwanje.registry.models import Camera
from gwanje.settings import Settings
from gwanje.sharing.delegations import OutsideTerms, check_terms

EXPORT_DIR = "exports"
MAX_KEEP_DAYS = 365


@dataclass(frozen=True)
class ExportInput:
    camera_id: int
    stream: str
    start: datetime
    end: datetime
    keep_days: int = 30  # when the recipient must destroy the copy (recorded, ORD-31.2)
    password: str | None = None  # encrypt the package; the password travels separately
    watermark: bool = False  # burn who/what/when into the picture (re-encodes; says so)


def export_dir(settings: Settings) -> Path:
    path = settings.data_dir / EXPORT_DIR
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _refuse(session: Session, clock: Clock, principal: Principal, camera: Camera | None,
            data: ExportInput, ip: str | None, why: str) -> None:  # fmt: skip
    """Record the refusal in the caller's transaction (committed by the caller)."""
    record(session, events.ExportRefused(
        actor=principal.actor, source_ip=ip, outcome=Outcome.DENIED,
        camera_ids=(camera.id,) if camera else (), range_start=data.start,
        range_end=data.end, reason=why,
    ), clock)  # fmt: skip


def create_export(
    session: Session, settings: Settings, clock: Clock, principal: Principal,
    data: ExportInput, source_ip: str | None = None,
) -> EvidenceExport | None:  # fmt: skip
    """The export, or None when refused (the refusal is audited in this transaction, so
    the caller commits and then tells the user)."""
    _validate(principal, data)
    camera = session.get(Camera, data.camera_id)
    now = clock.now()
    grant = active_grant(session, principal.person_id, data.camera_id, data.start, data.end, now)
    if camera is None or grant is None:
        _refuse(session, clock, principal, camera, data, source_ip, "no grant covers it")
        return None
    try:  # ORD-24: a delegated camera only within its terms' period and purposes
        check_terms(session, principal, [camera.id], None, data.start, data.end, "export",
                    source_ip)  # fmt: skip
    except OutsideTerms as exc:
        record(session, exc.event, clock)
        return None
    request = session.get(AccessRequest, grant.request_id)
    assert request is not None  # foreign key
    expires = now + timedelta(days=data.keep_days)
    name = f"evidence-{now:%Y%m%dT%H%M%S}-{camera.code}-{secrets.token_hex(4)}.zip"
    manifest = _manifest(session, principal, request, grant, name, now, expires)
    video = _video(session, principal, camera, request, grant, data, now)
    key = load_or_create(settings.data_dir)
    digest = build_package(export_dir(settings) / name, manifest, [video], key, data.password)
    row = EvidenceExport(
        grant_id=grant.id, request_id=request.id, camera_id=camera.id, stream=data.stream,
        range_start=data.start, range_end=data.end, created_by=principal.person_id,
        created_at=now, expires_at=expires, package=name, package_sha256=digest,
        encrypted=data.password is not None, state="ready",
    )  # fmt: skip
    session.add(row)
    session.flush()
    record(session, events.EvidenceExported(
        actor=principal.actor, source_ip=source_ip, camera_ids=(camera.id,),
        range_start=data.start, range_end=data.end, export_id=row.id, request_id=request.id,
        grant_id=grant.id, package_sha256=digest, encrypted=row.encrypted,
        expires_at=expires, key_id=key.key_id,
    ), clock)  # fmt: skip
    return row


def _validate(principal: Principal, data: ExportInput) -> None:
    if not principal.can(Permission.VIDEO_EXPORT):
        raise Forbidden("error.forbidden", permission=Permission.VIDEO_EXPORT.value)
    if data.stream not in ("main", "sub") or data.end <= data.start:
        raise InvalidInput("governance.error.export_invalid", detail="stream or range")
    if not 1 <= data.keep_days <= MAX_KEEP_DAYS:
        raise InvalidInput("governance.error.export_invalid", detail="keep_days: 1-365")
    if data.password is not None and len(data.password) < 8:
        raise InvalidInput("governance.error.export_invalid", detail="password: 8+ characters")


def _manifest(session: Session, principal: Principal, request: AccessRequest,
              grant: AccessGrant, name: str, now: datetime,
              expires: datetime) -> dict[str, object]:  # fmt: skip
    """What the package says about itself: who made it, for which request and grant."""
    exporter = session.get(Person, principal.person_id) if principal.person_id else None
    return {
        "package": name, "created_at": now.isoformat(), "expires_at": expires.isoformat(),
        "exporter": {"username": principal.username,
                     "name": exporter.display_name if exporter else principal.display_name},
        "request": {"id": request.id, "requester_org": request.requester_org,
                    "requester_name": request.requester_name, "letter_no": request.letter_no,
                    "legal_basis": request.legal_basis, "kind": request.kind,
                    "purpose": request.purpose},
        "grant": {"id": grant.id, "valid_until": grant.valid_until.isoformat()},
        "masking": "none (the recording as made; masking re-encodes and is not applied)",
    }  # fmt: skip


def _video(session: Session, principal: Principal, camera: Camera, request: AccessRequest,
           grant: AccessGrant, data: ExportInput, now: datetime) -> VideoFile:  # fmt: skip
    """The granted part of the recording as one MP4 (watermarked when asked)."""
    item = covering_item(session, grant, camera.id, data.start, data.end)
    refs = segments_for(session, camera.id, data.stream, data.start, data.end)
    clip_end = min(item.end_at, data.end)
    opened = open_playback(refs, max(item.start_at, data.start), clip_end, want_start=data.start)
    if opened is None:
        raise NotFound("console.error.no_video")
    entry: dict[str, object] = {
        "camera_code": camera.code, "camera_name": camera.name, "stream": data.stream,
        "requested": {"start": data.start.isoformat(), "end": data.end.isoformat()},
        "served_from": opened.origin.isoformat(),
    }  # fmt: skip
    chunks: Iterable[bytes] = opened.chunks
    if data.watermark:
        text = (f"GWANJE EVIDENCE REQ-{request.id} GRANT-{grant.id} {principal.username} "
                f"{now:%Y-%m-%d %H:%M}Z")  # fmt: skip
        chunks = watermark_mp4(chunks, text)
        entry |= {"re_encoded": True, "watermark": text}
    return VideoFile(f"video/{camera.code}_{opened.origin:%Y%m%dT%H%M%S}.mp4", chunks, entry)


def download_path(
    session: Session, settings: Settings, clock: Clock, principal: Principal, export_id: int,
    source_ip: str | None = None,
) -> Path:  # fmt: skip
    row = session.get(EvidenceExport, export_id)
    now = clock.now()
    if row is None or not _may_download(session, principal, row):
        raise NotFound("governance.error.export_not_found", export_id=export_id)
    grant = session.get(AccessGrant, row.grant_id)
    if row.state != "ready" or row.expires_at <= now or grant is None or grant.state != "active":
        raise Forbidden("governance.error.export_unavailable", export_id=export_id)
    path = export_dir(settings) / row.package
    if not path.exists():
        raise NotFound("governance.error.export_not_found", export_id=export_id)
    record(session, events.EvidenceDownloaded(
        actor=principal.actor, source_ip=source_ip, camera_ids=(row.camera_id,),
        range_start=row.range_start, range_end=row.range_end, export_id=row.id,
        package_sha256=row.package_sha256,
    ), clock)  # fmt: skip
    return path


def _may_download(session: Session, principal: Principal, row: EvidenceExport) -> bool:
    if principal.person_id is None:
        return False
    if row.created_by == principal.person_id:
        return True
    named = session.scalar(select(AccessGrantPerson).where(
        AccessGrantPerson.grant_id == row.grant_id,
        AccessGrantPerson.person_id == principal.person_id,
    ))  # fmt: skip
    return named is not None


def recall_exports(session: Session, settings: Settings, grant_id: int) -> list[int]:
    """Delete the packages made under a recalled grant; returns their ids."""
    rows = session.scalars(select(EvidenceExport).where(
        EvidenceExport.grant_id == grant_id, EvidenceExport.state == "ready"
    )).all()  # fmt: skip
    for row in rows:
        row.state = "recalled"
        (export_dir(settings) / row.package).unlink(missing_ok=True)
    return [r.id for r in rows]
