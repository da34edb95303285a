"""Schema of PTZ control: each PTZ camera's configuration and allowed area, its purpose
presets, and auto-tracking rules (ORD-10.1, PIPA-7).

Invariants:
- a preset's purpose and a tracking rule's purpose come from the closed ORD-7 list
  (CHECK constraints here; `service.py` also requires them to be the camera's own);
- the allowed area is a box inside ONVIF's generic spaces with min <= max on each axis
  (CHECK constraints);
- ONVIF credentials are stored only as AES-GCM ciphertext (`registry/crypto.py`), never
  plaintext; the endpoint itself is the camera's `cameras.onvif_url`;
- at most one preset per camera is the home preset (partial unique index).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from gwanje.db.base import Base, UTCDateTime
from gwanje.registry.purposes import Purpose

OBJECT_KINDS = ("vehicle", "person", "fire_smoke")
_PURPOSES = ", ".join(repr(p.value) for p in Purpose)


class PtzCamera(Base):
    """The PTZ configuration of one camera (PTZ 설정): how to reach it and where it may
    point freely."""

    __tablename__ = "ptz_cameras"
    __table_args__ = (
        CheckConstraint("pan_min >= -1 AND pan_min <= pan_max AND pan_max <= 1", name="pan"),
        CheckConstraint("tilt_min >= -1 AND tilt_min <= tilt_max AND tilt_max <= 1", name="tilt"),
        CheckConstraint("zoom_min >= 0 AND zoom_min <= zoom_max AND zoom_max <= 1", name="zoom"),
        CheckConstraint("idle_return_s BETWEEN 10 AND 86400", name="idle_return"),
        CheckConstraint("speed_pan > 0 AND speed_tilt > 0 AND speed_zoom > 0", name="speed"),
    )

    # The camera (registry).
    camera_id: Mapped[int] = mapped_column(
        ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True
    )
    # The ONVIF media profile whose PTZ configuration is steered (e.g. "main").
    profile_token: Mapped[str] = mapped_column(String(64))
    # ONVIF username, AES-GCM ciphertext (registry/crypto.py); never plaintext.
    onvif_username_enc: Mapped[str | None] = mapped_column(Text)
    # ONVIF password, AES-GCM ciphertext; never plaintext.
    onvif_password_enc: Mapped[str | None] = mapped_column(Text)
    # ORD-10.1 allowed area: pan range (generic space -1..1).
    pan_min: Mapped[float] = mapped_column(Float)
    pan_max: Mapped[float] = mapped_column(Float)
    # ORD-10.1 allowed area: tilt range (-1..1).
    tilt_min: Mapped[float] = mapped_column(Float)
    tilt_max: Mapped[float] = mapped_column(Float)
    # ORD-10.1 allowed area: zoom range (0..1).
    zoom_min: Mapped[float] = mapped_column(Float)
    zoom_max: Mapped[float] = mapped_column(Float)
    # Seconds without a PTZ command after which the camera returns to its home preset.
    idle_return_s: Mapped[int] = mapped_column(Integer, default=300)
    # Calibration: generic units per second the device moves at velocity 1 (bounds
    # continuous moves to the area: docs/design/ptz.md).
    speed_pan: Mapped[float] = mapped_column(Float, default=0.5)
    speed_tilt: Mapped[float] = mapped_column(Float, default=0.5)
    speed_zoom: Mapped[float] = mapped_column(Float, default=0.25)
    # When the last PTZ command (not a return home) was sent (UTC); None: never.
    last_command_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # True after a command moved it away from the home preset, until it returns.
    away_from_home: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the row was created and last changed (UTC).
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PtzPreset(Base):
    """A purpose preset (목적 프리셋): a named position inside the area, tied to one of the
    camera's purposes; going there is always allowed."""

    __tablename__ = "ptz_presets"
    __table_args__ = (
        UniqueConstraint("camera_id", "name"),
        CheckConstraint(f"purpose IN ({_PURPOSES})", name="purpose"),
        Index(
            "ix_ptz_presets_one_home",
            "camera_id",
            unique=True,
            sqlite_where=text("is_home"),
            postgresql_where=text("is_home"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The camera.
    camera_id: Mapped[int] = mapped_column(
        ForeignKey("ptz_cameras.camera_id", ondelete="CASCADE"), index=True
    )
    # Name shown to operators, e.g. "정문 방범".
    name: Mapped[str] = mapped_column(String(64))
    # The ORD-7 purpose this view serves (one of the camera's purposes).
    purpose: Mapped[str] = mapped_column(String(32))
    # The position (generic spaces).
    pan: Mapped[float] = mapped_column(Float)
    tilt: Mapped[float] = mapped_column(Float)
    zoom: Mapped[float] = mapped_column(Float)
    # The camera returns here after `idle_return_s` without commands.
    is_home: Mapped[bool] = mapped_column(Boolean, default=False)
    # Who saved it and when (UTC).
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PtzTrackingRule(Base):
    """An auto-tracking rule (자동추적 규칙): what a tracker may follow on this camera and
    for which purpose. Auto-tracking is PTZ control too (ORD-10.1 reading note); the
    tracker that applies these rules comes with analytics."""

    __tablename__ = "ptz_tracking_rules"
    __table_args__ = (
        UniqueConstraint("camera_id", "name"),
        CheckConstraint(f"purpose IN ({_PURPOSES})", name="purpose"),
        CheckConstraint(
            f"object_kind IN ({', '.join(map(repr, OBJECT_KINDS))})", name="object_kind"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The camera.
    camera_id: Mapped[int] = mapped_column(
        ForeignKey("ptz_cameras.camera_id", ondelete="CASCADE"), index=True
    )
    # Name of the rule.
    name: Mapped[str] = mapped_column(String(64))
    # The ORD-7 purpose it serves (one of the camera's purposes).
    purpose: Mapped[str] = mapped_column(String(32))
    # What it may follow: vehicle, person, fire_smoke.
    object_kind: Mapped[str] = mapped_column(String(16))
    # Whether the tracker may apply it now.
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Who saved it and when (UTC).
    created_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
