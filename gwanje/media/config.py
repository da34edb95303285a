"""Recording settings (section `recording` of the settings tree)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RecordingSettings(BaseModel):
    """How the recorder pulls, cuts and stores video (docs/design/recording.md)."""

    model_config = ConfigDict(extra="forbid")

    video_dir: Path | None = Field(
        None, description="Storage directory for recordings; default <data_dir>/video."
    )
    segment_seconds: float = Field(
        60.0, ge=1.0, le=600.0, description="Target segment length; cut at the next keyframe."
    )
    streams: list[str] = Field(
        default_factory=lambda: ["main"],
        description="Which camera streams to record: main, sub or both.",
    )
    engine: Literal["native", "pyav"] = Field(
        "native",
        description="Capture engine: native (Gwanje's RTSP client, one event loop per worker; "
        "H.264) or pyav (FFmpeg's RTSP client, a thread per camera; any codec FFmpeg reads). "
        "Native falls back to pyav per camera for streams it cannot read (e.g. H.265).",
    )
    cameras_per_worker: int = Field(
        32,
        ge=1,
        le=256,
        description="Camera streams per capture process. Native engine: one event loop "
        "reads ~250 streams per core; PyAV engine: GIL-bound past ~32 streams per process.",
    )
    connect_timeout_s: float = Field(10.0, gt=0, description="RTSP connect/DESCRIBE timeout.")
    read_timeout_s: float = Field(
        5.0, gt=0, description="No packet for this long counts as a stalled camera."
    )
    reconnect_min_s: float = Field(1.0, gt=0, description="First reconnect delay.")
    reconnect_max_s: float = Field(30.0, gt=0, description="Longest reconnect delay (backoff).")
    start_stagger_s: float = Field(
        0.05,
        ge=0,
        description="Delay between starting cameras, so a mass start does not starve the machine.",
    )
    no_keyframe_alarm_s: float = Field(
        10.0, gt=0, description="Frames without a keyframe for this long raise no_keyframes."
    )
    min_free_bytes: int = Field(
        1 << 30,
        ge=0,
        description="Below this much free space the disk guard deletes the oldest unheld "
        "footage (never held footage).",
    )
    registry_poll_s: float = Field(
        30.0,
        gt=0,
        description="How often the recorder re-reads which cameras are linked "
        "(ORD-15: newly linked cameras are recorded without a restart).",
    )
    mqtt_url: str | None = Field(
        None,
        description="Publish camera health and gaps as events to this MQTT broker "
        "(mqtt://host:1883); none by default (the embedded setup needs no services).",
    )
    mqtt_prefix: str = Field("gwanje", description="Topic prefix for published events.")
    live: bool = Field(
        True,
        description="Fan every recorded stream out to local live viewers (the video wall) "
        "over a private Unix socket per stream, from the same camera pull.",
    )
    purge_interval_s: float = Field(
        300.0, gt=0, description="How often the retention purge and disk guard run."
    )
