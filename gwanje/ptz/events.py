"""Audit events of PTZ control (ORD-10.1, PIPA-3, PIPA-7).

Every PTZ command is one entry: `ptz.moved` when the policy let it through (committed
before the command is sent to the camera, so no command reaches a camera unrecorded),
`ptz.refused` when it did not, `ptz.failed` when the camera did not carry it out. A move
outside the purpose area carries its public-interest reason (`reason`, `reason_text`).
"""

from __future__ import annotations

from gwanje.audit.events import AuditEvent


class PtzMoved(AuditEvent):
    """A PTZ command was sent: `mode` absolute, relative, continuous, preset or stop;
    `target` the position asked for (for a continuous move, the velocity), `inside`
    whether it stays in the purpose area; outside it, `reason` (crime_prevention or
    other_law) and `reason_text` say why (ORD-10.1)."""

    event_type = "ptz.moved"
    description = "PTZ 제어 / PTZ command"
    code: str
    mode: str
    target: dict[str, float]
    inside: bool
    preset: str | None = None
    reason: str | None = None
    reason_text: str | None = None
    timeout_s: float | None = None


class PtzRefused(AuditEvent):
    """A PTZ command was refused: `why` is outside_area (no lawful reason given) or
    not_allowed (no ptz.control over this camera)."""

    event_type = "ptz.refused"
    description = "PTZ 제어 거부 / PTZ command refused"
    code: str
    mode: str
    target: dict[str, float]
    why: str


class PtzFailed(AuditEvent):
    """A recorded PTZ command did not reach the camera or was refused by it."""

    event_type = "ptz.failed"
    description = "PTZ 명령 실패 / PTZ command failed on the camera"
    code: str
    mode: str
    error: str


class PtzReturnedHome(AuditEvent):
    """The camera was sent back to its home preset after `idle_s` seconds without a
    command (the system acts, so the actor is the system)."""

    event_type = "ptz.returned_home"
    description = "PTZ 홈 복귀 / PTZ returned home"
    code: str
    preset: str
    idle_s: int


class PtzConfigured(AuditEvent):
    """A camera's PTZ configuration was created or changed (area, home timing,
    calibration; `credentials_changed` says whether the ONVIF credentials were replaced,
    never what they are)."""

    event_type = "ptz.configured"
    description = "PTZ 설정 변경 / PTZ configuration changed"
    code: str
    area: dict[str, float]
    idle_return_s: int
    credentials_changed: bool


class PtzPresetSaved(AuditEvent):
    """A purpose preset was saved (name, purpose, position, whether it is home)."""

    event_type = "ptz.preset_saved"
    description = "PTZ 프리셋 저장 / PTZ preset saved"
    code: str
    name: str
    purpose: str
    position: dict[str, float]
    is_home: bool


class PtzPresetRemoved(AuditEvent):
    """A purpose preset was removed."""

    event_type = "ptz.preset_removed"
    description = "PTZ 프리셋 삭제 / PTZ preset removed"
    code: str
    name: str


class PtzTrackingRuleSaved(AuditEvent):
    """An auto-tracking rule was saved: what it may follow and for which purpose."""

    event_type = "ptz.tracking_rule_saved"
    description = "자동추적 규칙 저장 / auto-tracking rule saved"
    code: str
    name: str
    purpose: str
    object_kind: str
    enabled: bool
