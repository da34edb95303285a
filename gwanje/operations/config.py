"""Settings of operations: who is notified of what, over which channels, and the timing
of retries, acknowledgement and escalation (docs/design/incidents.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from gwanje.operations.kinds import ChannelKind, IncidentType

NOTICE_TOPICS = ("recall", "destroy_overdue", "ticket_overdue")


class ChannelAddress(BaseModel):
    """One way to reach a recipient."""

    model_config = ConfigDict(extra="forbid")

    kind: ChannelKind = Field(description="webhook, mqtt, email or sms.")
    url: str | None = Field(None, description="webhook: the receiver's HTTPS endpoint.")
    secret: SecretStr | None = Field(
        None, description="webhook: the HMAC-SHA256 signing secret shared with the receiver."
    )
    topic: str | None = Field(None, description="mqtt: the topic to publish to (QoS 1).")
    email: str | None = Field(None, description="email: the recipient address.")
    phone: str | None = Field(None, description="sms: the recipient number.")

    @model_validator(mode="after")
    def _has_address(self) -> ChannelAddress:
        needed = {
            ChannelKind.WEBHOOK: (self.url, self.secret),
            ChannelKind.MQTT: (self.topic,),
            ChannelKind.EMAIL: (self.email,),
            ChannelKind.SMS: (self.phone,),
        }[self.kind]
        if any(value in (None, "") for value in needed):
            raise ValueError(f"a {self.kind.value} channel needs its address fields")
        return self

    def describe(self) -> str:
        """Where it goes, for the timeline and the ledger (never the secret)."""
        return self.url or self.topic or self.email or self.phone or ""


class Recipient(BaseModel):
    """Someone the center notifies: the police 112 room, fire 119, the disaster room, a
    department, the center head."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9_]{1,32}$", description="Stable key, e.g. police_112.")
    label: str = Field(description="Shown to staff, e.g. '여수경찰서 112 종합상황실'.")
    channels: list[ChannelAddress] = Field(min_length=1, description="How to reach them.")
    ack_timeout_s: float = Field(
        300.0, gt=0, description="Unacknowledged this long after delivery, it escalates."
    )
    escalate_to: list[str] = Field(
        default_factory=list, description="Recipients notified when this one does not answer."
    )


class SmtpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field("127.0.0.1", description="SMTP server.")
    port: int = Field(25, ge=1, le=65535, description="SMTP port.")
    sender: str = Field("gwanje@localhost", description="From address.")
    starttls: bool = Field(False, description="Upgrade the connection with STARTTLS.")
    username: str | None = Field(None, description="SMTP login, if the server wants one.")
    password: SecretStr | None = Field(None, description="SMTP password.")


class SmsGatewaySettings(BaseModel):
    """A generic HTTP SMS gateway: POST JSON {"to", "text", "id"} with a bearer key."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(None, description="The gateway's send endpoint.")
    api_key: SecretStr | None = Field(None, description="Sent as 'Authorization: Bearer'.")


class OperationsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recipients: list[Recipient] = Field(
        default_factory=list, description="Everyone the center may notify."
    )
    routes: dict[IncidentType, list[str]] = Field(
        default_factory=dict,
        description="Which recipients are notified when an incident of a type is opened "
        "(ORD-20.4), e.g. crime = ['police_112'].",
    )
    notices: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Who gets the notices of the protection workflows: 'recall' (copies "
        "provided under an emergency approval are recalled, ORD-28.3) and "
        "'destroy_overdue' (a provided copy is past its destruction date, ORD-31.2), "
        "'ticket_overdue' (a maintenance ticket missed its SLA, ORD-12), "
        "e.g. recall = ['police_112'].",
    )
    mqtt_url: str | None = Field(
        None, description="Broker for mqtt channels and acknowledgements (mqtt://host:1883)."
    )
    mqtt_prefix: str = Field("gwanje", description="Topic prefix of the ack topic.")
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)  # type: ignore[arg-type]
    sms: SmsGatewaySettings = Field(default_factory=SmsGatewaySettings)  # type: ignore[arg-type]
    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="Where receivers reach this center (acknowledgement links).",
    )
    dispatch_interval_s: float = Field(2.0, gt=0, description="How often the outbox is sent.")
    send_timeout_s: float = Field(10.0, gt=0, description="Per delivery attempt.")
    max_attempts: int = Field(5, ge=1, le=50, description="Attempts before a delivery fails.")
    retry_base_s: float = Field(5.0, gt=0, description="First retry delay; doubles each time.")
    retry_max_s: float = Field(600.0, gt=0, description="Longest retry delay.")
    claim_timeout_s: float = Field(
        120.0, gt=0, description="A send claimed longer than this is retried (crashed sender)."
    )
    max_escalation_level: int = Field(3, ge=0, le=10, description="Escalation steps at most.")
    incident_on_faults: list[str] = Field(
        default_factory=lambda: ["covered", "scene_changed"],
        description="Camera image faults that also open an incident for the operators (a "
        "covered or turned camera may be tampering); every fault opens a maintenance ticket.",
    )
    snapshot_stream: Literal["sub", "main"] = Field(
        "sub",
        description="Which live stream an incident snapshot is taken from (the sub stream is "
        "cheaper; main gives the camera's full resolution).",
    )
    snapshot_timeout_s: float = Field(
        5.0, gt=0, le=60, description="Longest wait for a camera's keyframe for one snapshot."
    )
    snapshot_jpeg_quality: int = Field(85, ge=30, le=95, description="JPEG quality of snapshots.")

    @model_validator(mode="after")
    def _names_known(self) -> OperationsSettings:
        names = [r.name for r in self.recipients]
        if len(names) != len(set(names)):
            raise ValueError("operations.recipients: names must be unique")
        wanted = {n for r in self.recipients for n in r.escalate_to}
        wanted |= {n for targets in self.routes.values() for n in targets}
        wanted |= {n for targets in self.notices.values() for n in targets}
        unknown_topics = set(self.notices) - set(NOTICE_TOPICS)
        if unknown_topics:
            raise ValueError(f"operations.notices: unknown topics {sorted(unknown_topics)}")
        unknown = wanted - set(names)
        if unknown:
            raise ValueError(f"operations: unknown recipients {sorted(unknown)}")
        return self

    def recipient(self, name: str) -> Recipient | None:
        return next((r for r in self.recipients if r.name == name), None)
