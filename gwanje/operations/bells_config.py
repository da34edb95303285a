"""Settings of emergency bells (ORD-2.7, 10.2): what a press opens and how the walls hear
of it (docs/design/bells.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from gwanje.operations.kinds import IncidentType, Severity


class BellSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dedupe_s: float = Field(
        5.0, gt=0, le=120, description="Presses of one bell this close together are one press."
    )
    incident_type: IncidentType = Field(
        IncidentType.CRIME,
        description="Type of the incident a press opens (its routes decide who is notified).",
    )
    severity: Severity = Field(Severity.HIGH, description="Severity of that incident.")
    alarm_poll_s: float = Field(
        1.0, gt=0, le=30, description="How often an open wall's alarm channel looks for news."
    )
    mqtt: bool = Field(
        True,
        description="Listen for presses on <operations.mqtt_prefix>/bells/<code>/press "
        "(when operations.mqtt_url is set).",
    )
    voice_url: str | None = Field(
        None,
        description="The bell gateway's voice signalling endpoint (e.g. http://10.0.0.5:9100): "
        "Gwanje forwards the answering operator's WebRTC offer to <voice_url>/calls/<id> and "
        "hangs up there when the call ends. Unset: calls carry no voice (ORD-10.2).",
    )
    voice_token: SecretStr | None = Field(
        None,
        description="Shared secret sent as 'Authorization: Bearer' to the gateway's voice "
        "endpoint, which refuses calls without it (set the same on both).",
    )
    max_call_s: float = Field(
        900.0,
        gt=0,
        description="A call session still ringing or connected this long after the press "
        "is ended by the center (its voice hung up, ORD-10.2: audio exists only while a "
        "call is needed).",
    )
    voice_timeout_s: float = Field(
        10.0, gt=0, le=60, description="How long Gwanje waits for the gateway's voice answer."
    )
