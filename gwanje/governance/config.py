"""Settings of the protection workflows."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from gwanje.governance.subjects.config import SubjectSettings


class GovernanceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    emergency_followup_hours: float = Field(
        72.0, gt=0, le=24 * 30,
        description="ORD-28.3: hours within which the mayor's approval must follow an "
        "emergency approval; past it, everything provided is recalled.",
    )  # fmt: skip
    grant_days: int = Field(
        30, ge=1, le=365, description="How long a grant lasts unless the approver says."
    )
    max_request_days: int = Field(
        31, ge=1, le=366, description="The longest time range one request item may cover."
    )
    sweep_interval_s: float = Field(
        60.0, gt=0, description="How often overdue emergency approvals are recalled."
    )
    subjects: SubjectSettings = Field(
        default_factory=SubjectSettings, description="Data-subject requests (ORD-29, PIPA-4)."
    )
