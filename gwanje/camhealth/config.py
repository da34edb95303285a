"""Camera health and maintenance settings (section `health` of the settings tree)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


def _default_sla() -> dict[str, float]:
    return {"critical": 8.0, "major": 24.0, "minor": 72.0}


class HealthSettings(BaseModel):
    """Image checks, maintenance tickets and their SLA, equipment life, /metrics."""

    model_config = ConfigDict(extra="forbid")

    image_checks: bool = Field(
        True,
        description="Run the image checks (black, covered, frozen, defocus, scene change) "
        "beside the recorder, in a supervised worker process of their own.",
    )
    sample_interval_s: float = Field(
        5.0, gt=0, le=600, description="Seconds between two picture samples of a camera."
    )
    sample_stream: str = Field(
        "sub",
        pattern="^(main|sub)$",
        description="Stream the samples are taken from (its live tap; record it too).",
    )
    fault_samples: int = Field(
        3, ge=1, le=100, description="Agreeing samples in a row before an image fault is raised."
    )
    clear_samples: int = Field(
        2, ge=1, le=100, description="Good samples in a row before an image fault clears."
    )
    defocus_ratio: float = Field(
        0.4, gt=0, lt=1, description="Sharpness below this share of the camera's own baseline "
        "counts as defocused.",
    )  # fmt: skip
    scene_correlation: float = Field(
        0.6, gt=-1, lt=1, description="Edge-layout correlation with the learned reference "
        "below this counts as a changed scene (camera moved).",
    )  # fmt: skip
    recorder_fault_after_s: float = Field(
        120.0,
        ge=0,
        description="A recorder fault (offline, video loss, no keyframes) lasting this long "
        "opens a maintenance ticket.",
    )
    sweep_interval_s: float = Field(
        30.0, gt=0, description="How often recorder faults and the camera list are re-read."
    )
    sla_hours: dict[str, float] = Field(
        default_factory=_default_sla,
        description="Hours to resolve a ticket, by severity (critical, major, minor).",
    )
    service_life_years: int = Field(
        7, ge=1, le=30, description="Service life (내용연수) from the installation date, for "
        "cameras without their own end-of-life date.",
    )  # fmt: skip
    metrics_token: SecretStr | None = Field(
        None,
        description="Bearer token a Prometheus scraper presents at /metrics; without it, "
        "/metrics answers only people holding health.read. Never public.",
    )
