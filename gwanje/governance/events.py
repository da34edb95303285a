"""Audit events of access requests and grants (ORD-28, 30.2, 33; PIPA-3, PIPA-5).

Every transition of a request is one entry in the same transaction as the change; the
cameras and the covered time range are in the common columns, so the management ledger
(ORD-33) and the access review (PIPA-3) can be generated from the audit ledger.
"""

from __future__ import annotations

from datetime import datetime

from gwanje.audit.events import AuditEvent


class AccessRequestSubmitted(AuditEvent):
    """A request to view, copy or use video beyond purpose was received (ORD-28.1): who
    asks, on which legal basis, for what, routed to the center or the owning department
    (ORD-28.4)."""

    event_type = "access_request.submitted"
    description = "영상정보 열람·제공 요청 접수 / access request submitted"
    request_id: int
    requester_kind: str
    requester_org: str
    kind: str
    legal_basis: str
    letter_no: str | None
    handler: str


class AccessRequestApproved(AuditEvent):
    """The mayor's approval (ORD-28.2) of a request: a grant for the named people until
    `valid_until`, and legal holds on the footage (ORD-31.1(2))."""

    event_type = "access_request.approved"
    description = "영상정보 열람·제공 승인 / access request approved"
    request_id: int
    grant_id: int
    grantees: list[str]
    valid_until: datetime
    hold_ids: list[int]


class AccessRequestRejected(AuditEvent):
    """A request was rejected, with the reason."""

    event_type = "access_request.rejected"
    description = "영상정보 열람·제공 거부 / access request rejected"
    request_id: int
    reason: str


class AccessRequestEmergencyApproved(AuditEvent):
    """ORD-28.3: the operations manager approved an urgent (basis 5) request at once;
    the mayor's approval is due by `followup_due_at`, else everything is recalled."""

    event_type = "access_request.emergency_approved"
    description = "긴급 열람·제공 승인 (사후 승인 필요) / emergency approval"
    request_id: int
    grant_id: int
    grantees: list[str]
    valid_until: datetime
    followup_due_at: datetime
    hold_ids: list[int]


class EmergencyApprovalConfirmed(AuditEvent):
    """The mayor's follow-up approval of an emergency approval (ORD-28.3)."""

    event_type = "access_request.emergency_confirmed"
    description = "긴급 승인 사후 승인 / emergency approval confirmed"
    request_id: int
    valid_until: datetime | None  # the grant now lasts as an ordinary approval's


class AccessGrantRecalled(AuditEvent):
    """A grant was recalled (ORD-28.3: follow-up approval refused or overdue): it no
    longer allows playback or export; what was provided under it is recalled."""

    event_type = "access_grant.recalled"
    description = "제공 영상 회수 / grant recalled"
    request_id: int
    grant_id: int
    reason: str
    released_hold_ids: list[int]
    recalled_export_ids: list[int]  # evidence packages deleted (their downloads die)
    notified_recipients: int = 0  # notices queued to the `recall` recipients


class EvidenceExported(AuditEvent):
    """An evidence package was made under a grant (ORD-33: a provided copy): its
    SHA-256, whether it is encrypted, until when the recipient may keep it, and the key
    that signed its manifest."""

    event_type = "evidence.exported"
    description = "증거 영상 반출 / evidence exported"
    export_id: int
    request_id: int
    grant_id: int
    package_sha256: str
    encrypted: bool
    expires_at: datetime
    key_id: str


class EvidenceDownloaded(AuditEvent):
    """An evidence package was downloaded by its exporter or a person the grant names."""

    event_type = "evidence.downloaded"
    description = "증거 영상 내려받기 / evidence downloaded"
    export_id: int
    package_sha256: str


class ExportRefused(AuditEvent):
    """An export was refused: no active grant names the person for that camera and the
    whole range (ORD-30.2)."""

    event_type = "evidence.export_refused"
    description = "증거 영상 반출 거부 / export refused"
    reason: str


class ProvisionDelivered(AuditEvent):
    """An evidence package was handed to its recipient (ORD-33: provided to whom, how,
    when, with which receipt), with the date by which the copy must be destroyed."""

    event_type = "provision.delivered"
    description = "영상 제공 (인계) / provision delivered"
    provision_id: int
    export_id: int
    request_id: int
    recipient: str
    method: str
    receipt: str
    destroy_by: datetime
    recipient_rank: str = ""
    recipient_pledge: bool = False


class ProvisionResultReported(AuditEvent):
    """The recipient reported what the copy served for (e.g. whether an arrest resulted)."""

    event_type = "provision.result_reported"
    description = "제공 영상 활용 결과 통보 / result reported"
    provision_id: int
    request_id: int
    result: str
    arrest: bool | None = None


class ProvisionDestroyed(AuditEvent):
    """The recipient confirmed the provided copy was destroyed (ORD-31.2); when every copy
    of the request is destroyed and its result reported, its legal holds are released."""

    event_type = "provision.destroyed"
    description = "제공 영상 파기 확인 / provided copy destroyed"
    provision_id: int
    request_id: int
    statement: str
    released_hold_ids: list[int]


class PlanPublished(AuditEvent):
    """A new version of the protection or training plan was published (ORD-5.2)."""

    event_type = "plan.published"
    description = "보호계획·교육계획 게시 / plan published"
    kind: str
    year: int
    version: int
    title: str
    change_note: str


class RequestAttachmentAdded(AuditEvent):
    """A document (e.g. the official letter's PDF) was attached to an access request."""

    event_type = "access_request.attachment_added"
    description = "요청 첨부 문서 등록 / request attachment added"
    request_id: int
    attachment_id: int
    filename: str
    sha256: str
    bytes: int


class RequestAttachmentDownloaded(AuditEvent):
    """Someone downloaded a request's attached document."""

    event_type = "access_request.attachment_downloaded"
    description = "요청 첨부 문서 내려받기 / request attachment downloaded"
    request_id: int
    attachment_id: int
    sha256: str
