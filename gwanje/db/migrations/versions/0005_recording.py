"""recording: storage directories, segments, gaps, camera health, legal holds, retention

Hand-reviewed schema of gwanje/media/models.py and gwanje/retention/models.py
(ORD-10.2, 15, 16.1, 31.1; docs/design/recording.md). Cameras gain `retention_days`,
which the database keeps within ORD-31.1's 30 days.

Revision ID: 0005
Revises: 0003, 0004
Create Date: 2026-11-25 19:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gwanje.db.base import UTCDateTime

revision: str = "0005"
down_revision: str | Sequence[str] | None = ("0003", "0004")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RETENTION_CHECK = "retention_days BETWEEN 1 AND 30"


def upgrade() -> None:
    # A column-level CHECK, so SQLite can add it without rebuilding the cameras table.
    op.execute(
        "ALTER TABLE cameras ADD COLUMN retention_days INTEGER "
        f"CONSTRAINT ck_cameras_retention_at_most_30_days CHECK ({RETENTION_CHECK})"
    )
    op.create_table(
        "storage_dirs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("storage_uuid", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storage_dirs")),
        sa.UniqueConstraint("path", name=op.f("uq_storage_dirs_path")),
        sa.UniqueConstraint("storage_uuid", name=op.f("uq_storage_dirs_storage_uuid")),
    )
    op.create_table(
        "segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("stream", sa.String(length=8), nullable=False),
        sa.Column("storage_dir_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("start_at", UTCDateTime(), nullable=False),
        sa.Column("end_at", UTCDateTime(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("keyframes_ms", sa.Text(), nullable=False),
        sa.Column("codec", sa.String(length=16), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("end_at >= start_at", name=op.f("ck_segments_ends_after_start")),
        sa.CheckConstraint(
            "state IN ('committed', 'deleting')", name=op.f("ck_segments_state_known")
        ),
        sa.CheckConstraint("stream IN ('main', 'sub')", name=op.f("ck_segments_stream_known")),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_segments_camera_id_cameras")
        ),
        sa.ForeignKeyConstraint(
            ["storage_dir_id"],
            ["storage_dirs.id"],
            name=op.f("fk_segments_storage_dir_id_storage_dirs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
        sa.UniqueConstraint("path", name=op.f("uq_segments_path")),
    )
    op.create_index(
        "ix_segments_camera_stream_start", "segments", ["camera_id", "stream", "start_at"]
    )
    op.create_index(op.f("ix_segments_camera_id"), "segments", ["camera_id"])
    op.create_index(op.f("ix_segments_start_at"), "segments", ["start_at"])
    op.create_index(op.f("ix_segments_end_at"), "segments", ["end_at"])
    op.create_table(
        "gaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("stream", sa.String(length=8), nullable=False),
        sa.Column("start_at", UTCDateTime(), nullable=False),
        sa.Column("end_at", UTCDateTime(), nullable=True),
        sa.Column("cause", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "cause IN ('camera_offline', 'network', 'recorder_restart', 'corrupt_input', "
            "'disk_full', 'io_error', 'missing')",
            name=op.f("ck_gaps_cause_known"),
        ),
        sa.CheckConstraint(
            "end_at IS NULL OR end_at >= start_at", name=op.f("ck_gaps_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_gaps_camera_id_cameras")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gaps")),
    )
    op.create_index("ix_gaps_camera_stream_start", "gaps", ["camera_id", "stream", "start_at"])
    op.create_index(op.f("ix_gaps_camera_id"), "gaps", ["camera_id"])
    op.create_table(
        "camera_health",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("stream", sa.String(length=8), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "state IN ('online', 'offline', 'video_loss', 'no_keyframes')",
            name=op.f("ck_camera_health_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_camera_health_camera_id_cameras")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_health")),
    )
    op.create_index("ix_camera_health_camera_at", "camera_health", ["camera_id", "at"])
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("start_at", UTCDateTime(), nullable=False),
        sa.Column("end_at", UTCDateTime(), nullable=False),
        sa.Column("ground", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("review_at", UTCDateTime(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("released_at", UTCDateTime(), nullable=True),
        sa.Column("released_by", sa.Integer(), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("end_at > start_at", name=op.f("ck_legal_holds_ends_after_start")),
        sa.CheckConstraint(
            "ground IN ('other_law', 'investigation_material', 'other_legitimate')",
            name=op.f("ck_legal_holds_ground_known"),
        ),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_legal_holds_camera_id_cameras")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["persons.id"], name=op.f("fk_legal_holds_owner_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["persons.id"], name=op.f("fk_legal_holds_created_by_persons")
        ),
        sa.ForeignKeyConstraint(
            ["released_by"], ["persons.id"], name=op.f("fk_legal_holds_released_by_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
    )
    op.create_index(
        "ix_legal_holds_camera_range", "legal_holds", ["camera_id", "start_at", "end_at"]
    )


def downgrade() -> None:
    op.drop_table("legal_holds")
    op.drop_table("camera_health")
    op.drop_table("gaps")
    op.drop_table("segments")
    op.drop_table("storage_dirs")
    op.drop_column("cameras", "retention_days")
