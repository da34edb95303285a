"""The recording index: storage directories, segments, gaps and camera health.

Invariants (docs/design/recording.md):
1. A `segments` row names a file that was fully written, fsynced, renamed into place and
   whose directory entry was fsynced before the row was inserted; `sha256` is of that file.
2. No file is unlinked while a row in state `committed` names it: deletion marks the row
   `deleting` first, unlinks, fsyncs the directory, then drops the row.
3. Every instant of a linked camera's stream is covered by a segment, a gap with a cause,
   or the segment in flight.
Times are UTC from the recorder's clock, never the camera's.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gwanje.db.base import Base, UTCDateTime
from gwanje.media.kinds import GapCause as GapCause
from gwanje.media.kinds import HealthState as HealthState
from gwanje.media.kinds import SegmentState as SegmentState
from gwanje.media.kinds import StreamKind as StreamKind


def _values(enum: type[StrEnum]) -> str:
    return ", ".join(f"'{m.value}'" for m in enum)


class StorageDir(Base):
    """A directory that holds recordings, identified by the uuid in its `meta.json`."""

    __tablename__ = "storage_dirs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Absolute path as configured; the uuid, not the path, identifies the directory.
    path: Mapped[str] = mapped_column(String(1024), unique=True)
    # Written into <path>/meta.json; a mismatch at start means a swapped or unmounted disk.
    storage_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Segment(Base):
    """One recorded file: fragmented MP4, video only (ORD-10.2), cut at keyframes."""

    __tablename__ = "segments"
    __table_args__ = (
        CheckConstraint("end_at >= start_at", name="ends_after_start"),
        CheckConstraint(f"state IN ({_values(SegmentState)})", name="state_known"),
        CheckConstraint(f"stream IN ({_values(StreamKind)})", name="stream_known"),
        Index("ix_segments_camera_stream_start", "camera_id", "stream", "start_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id"), index=True)
    stream: Mapped[str] = mapped_column(String(8))
    storage_dir_id: Mapped[int] = mapped_column(ForeignKey("storage_dirs.id"))
    # Relative to the storage directory; unique so a file is never indexed twice.
    path: Mapped[str] = mapped_column(String(512), unique=True)
    # UTC, recorder clock: arrival of the first packet; end = start + media duration.
    start_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    duration_ms: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(Integer)
    frames: Mapped[int] = mapped_column(Integer)
    # Keyframe offsets from start in ms, comma-separated (compact; seeks and export cuts).
    keyframes_ms: Mapped[str] = mapped_column(Text)
    codec: Mapped[str] = mapped_column(String(16))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default=SegmentState.COMMITTED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Gap(Base):
    """A stretch without video, with its cause; `end_at` is NULL while it lasts."""

    __tablename__ = "gaps"
    __table_args__ = (
        CheckConstraint(f"cause IN ({_values(GapCause)})", name="cause_known"),
        CheckConstraint("end_at IS NULL OR end_at >= start_at", name="ends_after_start"),
        Index("ix_gaps_camera_stream_start", "camera_id", "stream", "start_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id"), index=True)
    stream: Mapped[str] = mapped_column(String(8))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cause: Mapped[str] = mapped_column(String(32))
    # Human-readable detail (an error message with credentials scrubbed).
    detail: Mapped[str] = mapped_column(Text, default="")


class CameraHealthEvent(Base):
    """A change of a camera stream's health; the newest row is its current state."""

    __tablename__ = "camera_health"
    __table_args__ = (
        CheckConstraint(f"state IN ({_values(HealthState)})", name="state_known"),
        Index("ix_camera_health_camera_at", "camera_id", "at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id"))
    stream: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text, default="")
