"""Settings of shifts and the room: the handover checklist, the grace around a shift
before an action counts as out of shift, and which audited actions are checked
(docs/design/shifts.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ChecklistItem(BaseModel):
    """One line of the handover checklist (인수인계 점검표)."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z0-9_]{1,32}$", description="Stable key of the item.")
    label_ko: str = Field(description="The item as printed in Korean.")
    label_en: str = Field(description="The item in English.")
    required: bool = Field(True, description="Both leads may sign only once it is checked.")


DEFAULT_CHECKLIST = [
    ChecklistItem(
        key="no_video_out",
        label_ko="영상·저장매체 반출 없음 확인 (보안 점검)",
        label_en="No video or storage media left the room (security check)",
    ),
    ChecklistItem(
        key="equipment",
        label_ko="관제 장비·모니터·녹화 상태 이상 없음",
        label_en="Console, monitors and recording in order",
    ),
    ChecklistItem(key="incidents", label_ko="미결 상황 인계", label_en="Open incidents passed on"),
    ChecklistItem(
        key="visitors",
        label_ko="출입자 현황 확인 (출입자 관리대장)",
        label_en="Visitors checked against the visitor ledger",
        required=False,
    ),
]

DEFAULT_CHECKED_EVENTS = [
    "video.live_started",
    "incident.opened",
    "incident.noted",
    "incident.notified",
    "incident.closed",
    "notification.acknowledged",
]


class ShiftSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checklist: list[ChecklistItem] = Field(
        default_factory=lambda: list(DEFAULT_CHECKLIST),
        description="The handover checklist; must contain the security check "
        "'no_video_out' (ORD-22.3).",
    )
    enforce_assignments: bool = Field(
        False,
        description="ORD-20.3: an operator with purpose assignments on their current shift "
        "may watch only the cameras those cover (a live view of another is refused and "
        "audited). Off: assignments guide the wall and views elsewhere are only flagged.",
    )
    alarms_on_duty_only: bool = Field(
        False,
        description="Emergency-bell alarms pop up only on the walls of people on duty now "
        "(while nobody is on duty at all, e.g. before a roster is generated, on every "
        "incident manager's wall, so the center is never deaf). Off: on every incident "
        "manager's wall.",
    )
    grace_minutes: int = Field(
        30,
        ge=0,
        le=240,
        description="Minutes before a shift starts and after it ends during which its "
        "people's actions are not flagged (arriving early, handing over).",
    )
    checked_events: list[str] = Field(
        default_factory=lambda: list(DEFAULT_CHECKED_EVENTS),
        description="Audit event types that count as monitoring work: done by a shift "
        "worker who is not on duty, they are flagged.",
    )

    @model_validator(mode="after")
    def _security_check_kept(self) -> ShiftSettings:
        keys = [item.key for item in self.checklist]
        if "no_video_out" not in keys:  # ORD-22.3: never configurable away
            raise ValueError("the handover checklist must keep the 'no_video_out' item")
        if len(set(keys)) != len(keys):
            raise ValueError("handover checklist keys must be unique")
        return self
