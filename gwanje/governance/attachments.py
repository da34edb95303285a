"""Documents attached to access requests (ORD-28.1): the PDF of the official letter
(공문) that asks for the video, and whatever else the decision rests on.

Invariants:
- only PDFs (checked by content, not by name), at most `MAX_BYTES`;
- stored content-addressed (`<data>/attachments/requests/<request>/<sha256>.pdf`): written
  to a temporary name, fsynced, renamed, directory fsynced, then the row; the same file
  twice is one attachment; a file is never changed or removed by this module;
- attaching needs to be the request's filer or an approver, while the request is not
  closed; reading needs to see the request (same rule as the request page); both are
  audited.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from gwanje.audit import record
from gwanje.auth.permissions import Permission
from gwanje.auth.principal import Principal
from gwanje.clock import Clock
from gwanje.errors import Forbidden, InvalidInput, NotFound
from gwanje.fsutil import make_dirs_durably, replace_durably
from gwanje.governance import events
from gwanje.governance.models import AccessRequest, RequestAttachment
from gwanje.settings import Settings

MAX_BYTES = 10 * 1024 * 1024
_UNSAFE = re.compile(r"[^\w.\- ()가-힣]")


def folder(settings: Settings, request_id: int) -> Path:
    return settings.data_dir / "attachments" / "requests" / str(request_id)


def clean_name(filename: str) -> str:
    base = Path(filename.replace("\\", "/")).name or "document.pdf"
    return _UNSAFE.sub("_", base)[:200]


def attach(session: Session, settings: Settings, clock: Clock, principal: Principal,
           request_id: int, filename: str, data: bytes,
           source_ip: str | None = None) -> RequestAttachment:  # fmt: skip
    request = session.get(AccessRequest, request_id)
    if request is None:
        raise NotFound("governance.error.request_not_found", request_id=request_id)
    filer = request.created_by is not None and request.created_by == principal.person_id
    if not (filer or principal.can(Permission.REQUEST_APPROVE)):
        raise Forbidden("error.forbidden", permission=Permission.REQUEST_APPROVE.value)
    if len(data) > MAX_BYTES:
        raise InvalidInput("governance.attachment.too_large", limit=MAX_BYTES // (1024 * 1024))
    if not data.startswith(b"%PDF-"):
        raise InvalidInput("governance.attachment.not_pdf")
    digest = hashlib.sha256(data).hexdigest()
    same = (RequestAttachment.request_id == request_id) & (RequestAttachment.sha256 == digest)
    existing = session.scalar(select(RequestAttachment).where(same))
    if existing is not None:
        return existing
    _store(folder(settings, request_id), digest, data)
    row = RequestAttachment(request_id=request_id, filename=clean_name(filename), sha256=digest,
                            bytes=len(data), uploaded_by=principal.person_id,
                            uploaded_at=clock.now())  # fmt: skip
    session.add(row)
    session.flush()
    record(session, events.RequestAttachmentAdded(
        actor=principal.actor, source_ip=source_ip, request_id=request_id,
        attachment_id=row.id, filename=row.filename, sha256=digest, bytes=row.bytes,
    ), clock)  # fmt: skip
    return row


def _store(target: Path, digest: str, data: bytes) -> None:
    make_dirs_durably(target)
    final = target / f"{digest}.pdf"
    if not final.exists():  # content-addressed: the same bytes are already there
        replace_durably(final, data)


def attachments_of(session: Session, request_ids: list[int]) -> dict[int, list[RequestAttachment]]:
    """Each request's attachments in the order they came, in one query."""
    found: dict[int, list[RequestAttachment]] = {}
    if request_ids:
        query = (
            select(RequestAttachment)
            .where(RequestAttachment.request_id.in_(request_ids))
            .order_by(RequestAttachment.id)
        )
        for row in session.scalars(query):
            found.setdefault(row.request_id, []).append(row)
    return found


def opened(session: Session, settings: Settings, clock: Clock, principal: Principal,
           row: RequestAttachment, source_ip: str | None = None) -> Path:  # fmt: skip
    """The stored file of an attachment the caller may see (checked by the caller's
    `visible_request`); the download is audited."""
    record(session, events.RequestAttachmentDownloaded(
        actor=principal.actor, source_ip=source_ip, request_id=row.request_id,
        attachment_id=row.id, sha256=row.sha256,
    ), clock)  # fmt: skip
    return folder(settings, row.request_id) / f"{row.sha256}.pdf"
