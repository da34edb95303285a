"""Audit events of the camera registry.

Invariant: no event carries a stream credential or a URL with user information; edits
record which fields changed (names only for credentials: `stream_password` changed, never
its value).
"""

from __future__ import annotations

from gwanje.audit.events import AuditEvent


class CameraCreated(AuditEvent):
    """A camera was added to the registry."""

    event_type = "camera.created"
    description = "CCTV 등록 / camera registered"
    code: str
    status: str


class CameraUpdated(AuditEvent):
    """A camera's registry record was edited; lists the changed field names."""

    event_type = "camera.updated"
    description = "CCTV 정보 수정 / camera record edited"
    code: str
    changed_fields: list[str]


class CameraTransitioned(AuditEvent):
    """A camera moved through its lifecycle (planned → ... → decommissioned)."""

    event_type = "camera.transitioned"
    description = "CCTV 상태 변경 / camera lifecycle transition"
    code: str
    from_status: str
    to_status: str
    reason: str | None = None


class CameraTransitionRefused(AuditEvent):
    """A lifecycle transition was refused because requirements are missing."""

    event_type = "camera.transition_refused"
    description = "CCTV 상태 변경 거부 / camera transition refused"
    code: str
    from_status: str
    to_status: str
    missing: list[str]


class CameraUnlinked(AuditEvent):
    """An installed camera was recorded as unlinked from the center, with a reason (ORD-15)."""

    event_type = "camera.unlinked"
    description = "CCTV 미연계 사유 기록 / camera recorded as unlinked"
    code: str
    reason: str


class CameraAccessDenied(AuditEvent):
    """A principal tried to read or change a camera outside their scope."""

    event_type = "camera.access_denied"
    description = "CCTV 범위 밖 접근 거부 / camera outside scope refused"
    action: str


class CamerasImported(AuditEvent):
    """An inventory file was imported (all rows, in one transaction); a refused import
    is recorded with outcome `failed`, count 0 and the number of errors."""

    event_type = "camera.imported"
    description = "CCTV 대장 일괄 등록 / camera inventory imported"
    file_name: str
    count: int
    errors: int = 0


class MaintenanceRecorded(AuditEvent):
    """A maintenance intervention was recorded for a camera."""

    event_type = "camera.maintenance_recorded"
    description = "CCTV 유지보수 이력 기록 / camera maintenance recorded"
    code: str
    kind: str
    contractor_registration: str


class BellSaved(AuditEvent):
    """An emergency bell was created or edited (ORD-2.7)."""

    event_type = "bell.saved"
    description = "비상벨 등록·수정 / emergency bell saved"
    code: str
    created: bool
    changed_fields: list[str]
