"""ptz: PTZ configuration and allowed area, purpose presets, auto-tracking rules
(ORD-10.1, PIPA-7)

Hand-reviewed schema of gwanje/ptz/models.py (PtzCamera, PtzPreset, PtzTrackingRule).
Numbered 0013 on the ptz branch with down_revision 0009; re-chained at merge.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gwanje.db.base import UTCDateTime

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ptz_cameras",
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("profile_token", sa.String(length=64), nullable=False),
        sa.Column("onvif_username_enc", sa.Text(), nullable=True),
        sa.Column("onvif_password_enc", sa.Text(), nullable=True),
        sa.Column("pan_min", sa.Float(), nullable=False),
        sa.Column("pan_max", sa.Float(), nullable=False),
        sa.Column("tilt_min", sa.Float(), nullable=False),
        sa.Column("tilt_max", sa.Float(), nullable=False),
        sa.Column("zoom_min", sa.Float(), nullable=False),
        sa.Column("zoom_max", sa.Float(), nullable=False),
        sa.Column("idle_return_s", sa.Integer(), nullable=False),
        sa.Column("speed_pan", sa.Float(), nullable=False),
        sa.Column("speed_tilt", sa.Float(), nullable=False),
        sa.Column("speed_zoom", sa.Float(), nullable=False),
        sa.Column("last_command_at", UTCDateTime(), nullable=True),
        sa.Column("away_from_home", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "idle_return_s BETWEEN 10 AND 86400", name=op.f("ck_ptz_cameras_idle_return")
        ),
        sa.CheckConstraint(
            "pan_min >= -1 AND pan_min <= pan_max AND pan_max <= 1", name=op.f("ck_ptz_cameras_pan")
        ),
        sa.CheckConstraint(
            "speed_pan > 0 AND speed_tilt > 0 AND speed_zoom > 0", name=op.f("ck_ptz_cameras_speed")
        ),
        sa.CheckConstraint(
            "tilt_min >= -1 AND tilt_min <= tilt_max AND tilt_max <= 1",
            name=op.f("ck_ptz_cameras_tilt"),
        ),
        sa.CheckConstraint(
            "zoom_min >= 0 AND zoom_min <= zoom_max AND zoom_max <= 1",
            name=op.f("ck_ptz_cameras_zoom"),
        ),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_ptz_cameras_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("camera_id", name=op.f("pk_ptz_cameras")),
    )
    op.create_table(
        "ptz_presets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("pan", sa.Float(), nullable=False),
        sa.Column("tilt", sa.Float(), nullable=False),
        sa.Column("zoom", sa.Float(), nullable=False),
        sa.Column("is_home", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "purpose IN ('crime_prevention', 'illegal_dumping', 'parking', 'traffic_info', 'illegal_parking', 'disaster', 'facility')",
            name=op.f("ck_ptz_presets_purpose"),
        ),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["ptz_cameras.camera_id"],
            name=op.f("fk_ptz_presets_camera_id_ptz_cameras"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["persons.id"], name=op.f("fk_ptz_presets_created_by_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ptz_presets")),
        sa.UniqueConstraint("camera_id", "name", name=op.f("uq_ptz_presets_camera_id")),
    )
    with op.batch_alter_table("ptz_presets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ptz_presets_camera_id"), ["camera_id"], unique=False)
        batch_op.create_index(
            "ix_ptz_presets_one_home",
            ["camera_id"],
            unique=True,
            sqlite_where=sa.text("is_home"),
            postgresql_where=sa.text("is_home"),
        )

    op.create_table(
        "ptz_tracking_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("object_kind", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "object_kind IN ('vehicle', 'person', 'fire_smoke')",
            name=op.f("ck_ptz_tracking_rules_object_kind"),
        ),
        sa.CheckConstraint(
            "purpose IN ('crime_prevention', 'illegal_dumping', 'parking', 'traffic_info', 'illegal_parking', 'disaster', 'facility')",
            name=op.f("ck_ptz_tracking_rules_purpose"),
        ),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["ptz_cameras.camera_id"],
            name=op.f("fk_ptz_tracking_rules_camera_id_ptz_cameras"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["persons.id"], name=op.f("fk_ptz_tracking_rules_created_by_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ptz_tracking_rules")),
        sa.UniqueConstraint("camera_id", "name", name=op.f("uq_ptz_tracking_rules_camera_id")),
    )
    with op.batch_alter_table("ptz_tracking_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ptz_tracking_rules_camera_id"), ["camera_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ptz_tracking_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ptz_tracking_rules_camera_id"))

    op.drop_table("ptz_tracking_rules")
    with op.batch_alter_table("ptz_presets", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_ptz_presets_one_home",
            sqlite_where=sa.text("is_home"),
            postgresql_where=sa.text("is_home"),
        )
        batch_op.drop_index(batch_op.f("ix_ptz_presets_camera_id"))

    op.drop_table("ptz_presets")
    op.drop_table("ptz_cameras")
