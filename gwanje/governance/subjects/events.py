"""Audit events of data-subject requests (ORD-29, PIPA-3, PIPA-4).

Every step of a request is one entry in the transaction of the change; the resolved
cameras and time range are in the common columns. The subject's name, contact and
documents stay in the request row, never in the ledger (which cannot forget): entries
name the request by id and receipt number.
"""

from __future__ import annotations

from datetime import datetime

from gwanje.audit.events import AuditEvent


class SubjectRequestReceived(AuditEvent):
    """A data subject's request was received (ORD-29.1), through the public form or by
    staff; its decision is due by `due_at` (PIPA-4: 10 days)."""

    event_type = "subject_request.received"
    description = "정보주체 열람등 청구 접수 / subject request received"
    request_id: int
    receipt_no: str
    kind: str
    channel: str
    agent: bool
    due_at: datetime


class SubjectIdentityVerified(AuditEvent):
    """Staff checked the applicant's identity (PIPA-4): which documents were seen (ID
    card; vehicle registration for a vehicle; power of attorney for an agent)."""

    event_type = "subject_request.identity_verified"
    description = "청구인 본인 확인 / subject identity verified"
    request_id: int
    documents: list[str]


class SubjectCamerasResolved(AuditEvent):
    """Staff resolved the places and times the subject named to cameras and ranges; a
    crime-prevention camera routes the request to the privacy officer's review
    (ORD-29.1 with PIPA: reviewed, never blocked)."""

    event_type = "subject_request.cameras_resolved"
    description = "청구 대상 카메라 확정 / subject request cameras resolved"
    request_id: int
    route: str
    crime_prevention_camera_ids: list[int]


class SubjectRequestGranted(AuditEvent):
    """The request was granted (viewing or copy, third parties to be masked); for a
    viewing, legal holds keep the footage until the request is closed."""

    event_type = "subject_request.granted"
    description = "정보주체 열람등 청구 허용 / subject request granted"
    request_id: int
    mode: str | None
    note: str
    notice_method: str
    hold_ids: list[int]
    late: bool  # decided after the due date


class SubjectRequestPostponed(AuditEvent):
    """The decision was postponed (e.g. to mask third parties) with a reason and a new
    due date, and the subject told (PIPA-4)."""

    event_type = "subject_request.postponed"
    description = "정보주체 열람등 청구 연기 / subject request postponed"
    request_id: int
    reason: str
    previous_due_at: datetime
    due_at: datetime
    notice_method: str
    late: bool


class SubjectRequestRefused(AuditEvent):
    """The request was refused on an ORD-29.3 ground, with the reason and how to appeal,
    and the subject told."""

    event_type = "subject_request.refused"
    description = "정보주체 열람등 청구 거부 / subject request refused"
    request_id: int
    ground: str
    reason: str
    notice_method: str
    late: bool


class SubjectClipReleased(AuditEvent):
    """The masked clip of a granted viewing was released to the subject: the package id,
    its SHA-256 and the masking cost charged (PIPA-4)."""

    event_type = "subject_request.released"
    description = "마스킹 영상 제공 / masked clip released"
    request_id: int
    package_id: str
    sha256: str
    masking_cost_won: int


class SubjectRequestClosed(AuditEvent):
    """The request was closed; the legal holds it placed are released."""

    event_type = "subject_request.closed"
    description = "정보주체 열람등 청구 종결 / subject request closed"
    request_id: int
    reason: str
    previous_state: str
    released_hold_ids: list[int]


class SubjectRequestOverdue(AuditEvent):
    """Alarm: a request is undecided past its due date (PIPA-4); raised once per due date."""

    event_type = "subject_request.overdue"
    description = "정보주체 열람등 청구 처리기한 경과 / subject request overdue"
    request_id: int
    receipt_no: str
    state: str
    due_at: datetime


class SubjectDocumentIssued(AuditEvent):
    """Form 1 (ORD-29.4) or the result notice of a request was printed (PIPA-3: print)."""

    event_type = "subject_request.document_issued"
    description = "청구서·결과 통지서 출력 / subject request document issued"
    request_id: int
    document: str


class SubjectMaskingStarted(AuditEvent):
    """Staff started masking one camera item of a granted viewing: the clip is cut from
    the recording and faces are detected (PIPA-4: third parties masked before viewing)."""

    event_type = "subject_request.masking_started"
    description = "제3자 마스킹 시작 / masking started"
    request_id: int
    job_id: int
    camera_id: int
    stream: str


class SubjectMaskingPlanned(AuditEvent):
    """The clip was cut and faces detected: the plan the officer reviews (its digest)."""

    event_type = "subject_request.masking_planned"
    description = "마스킹 계획 작성 (자동 검출) / masking planned"
    request_id: int
    job_id: int
    source_sha256: str
    plan_digest: str
    frames: int
    auto_tracks: int
    cpu_seconds: float


class SubjectMaskingEdited(AuditEvent):
    """The officer changed what is masked: a track removed or restored, a box added."""

    event_type = "subject_request.masking_edited"
    description = "마스킹 계획 수정 / masking plan edited"
    request_id: int
    job_id: int
    action: str
    track: str
    plan_digest: str


class SubjectMaskingReviewed(AuditEvent):
    """The officer reviewed the plan and had it applied (the digest they approved)."""

    event_type = "subject_request.masking_reviewed"
    description = "마스킹 계획 검토 완료 / masking reviewed"
    request_id: int
    job_id: int
    plan_digest: str


class SubjectMaskingApplied(AuditEvent):
    """The masked clip was made: its SHA-256, what was masked, CPU time and the cost."""

    event_type = "subject_request.masking_applied"
    description = "마스킹 영상 생성 / masked clip made"
    request_id: int
    job_id: int
    plan_digest: str
    output_sha256: str
    frames: int
    masked_frames: int
    boxes: int
    cpu_seconds: float
    cost_won: int


class SubjectMaskingFailed(AuditEvent):
    """Cutting, detecting or applying failed; the job can be started again."""

    event_type = "subject_request.masking_failed"
    description = "마스킹 실패 / masking failed"
    request_id: int
    job_id: int
    error: str


class SubjectMaskedClipDownloaded(AuditEvent):
    """Staff downloaded a masked clip (to hand it over or to show it)."""

    event_type = "subject_request.masked_clip_downloaded"
    description = "마스킹 영상 내려받기 / masked clip downloaded"
    request_id: int
    job_id: int
    sha256: str
