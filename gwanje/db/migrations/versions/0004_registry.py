"""registry: cameras, purposes, contractors, maintenance, emergency bells

Hand-reviewed schema of gwanje/registry/models.py (ORD-2.7, 3, 6-9, 15; PIPA-1). The CHECK
constraints repeat the closed lists of the code (ORD-7 purposes, lifecycle statuses,
ORD-15 unlinked reasons, bell statuses) so the database refuses anything else too.

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-25 14:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contractors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("registration_number", sa.String(length=64), nullable=False),
        sa.Column("contact", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contractors")),
        sa.UniqueConstraint("registration_number", name=op.f("uq_contractors_registration_number")),
    )
    op.create_table(
        "emergency_bells",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("location", sa.String(length=256), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("gateway", sa.String(length=128), nullable=True),
        sa.Column("protocol", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'faulty', 'removed')", name=op.f("ck_emergency_bells_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_bells")),
        sa.UniqueConstraint("code", name=op.f("uq_emergency_bells_code")),
    )
    op.create_table(
        "cameras",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("district", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=256), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("installer_body", sa.String(length=128), nullable=False),
        sa.Column("installer_reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decommission_reason", sa.Text(), nullable=True),
        sa.Column("std_standard_product", sa.Boolean(), nullable=False),
        sa.Column("std_multi_purpose", sa.Boolean(), nullable=False),
        sa.Column("std_integrable", sa.Boolean(), nullable=False),
        sa.Column("install_contractor", sa.String(length=128), nullable=True),
        sa.Column("install_contractor_reg_no", sa.String(length=64), nullable=True),
        sa.Column("consultation_date", sa.Date(), nullable=True),
        sa.Column("consultation_experts", sa.Text(), nullable=True),
        sa.Column("consultation_residents", sa.Text(), nullable=True),
        sa.Column("exemption_camera_id", sa.Integer(), nullable=True),
        sa.Column("signage_installed_on", sa.Date(), nullable=True),
        sa.Column("signage_purpose", sa.String(length=256), nullable=True),
        sa.Column("signage_location", sa.String(length=256), nullable=True),
        sa.Column("signage_range", sa.String(length=256), nullable=True),
        sa.Column("signage_hours", sa.String(length=128), nullable=True),
        sa.Column("signage_manager_name", sa.String(length=128), nullable=True),
        sa.Column("signage_manager_contact", sa.String(length=64), nullable=True),
        sa.Column("signage_contractor_name", sa.String(length=128), nullable=True),
        sa.Column("signage_contractor_contact", sa.String(length=64), nullable=True),
        sa.Column("unlinked_reason", sa.String(length=32), nullable=True),
        sa.Column("unlinked_note", sa.Text(), nullable=True),
        sa.Column("main_stream_url", sa.String(length=512), nullable=True),
        sa.Column("sub_stream_url", sa.String(length=512), nullable=True),
        sa.Column("stream_username_enc", sa.Text(), nullable=True),
        sa.Column("stream_password_enc", sa.Text(), nullable=True),
        sa.Column("onvif_url", sa.String(length=512), nullable=True),
        sa.Column("model", sa.String(length=128), nullable=True),
        sa.Column("firmware_version", sa.String(length=64), nullable=True),
        sa.Column("kc_cert_no", sa.String(length=64), nullable=True),
        sa.Column("security_cert_no", sa.String(length=64), nullable=True),
        sa.Column("installed_on", sa.Date(), nullable=True),
        sa.Column("end_of_life_on", sa.Date(), nullable=True),
        sa.Column("privacy_masks_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('planned', 'consulted', 'installed', 'linked', 'decommissioned')",
            name=op.f("ck_cameras_status"),
        ),
        sa.CheckConstraint(
            "unlinked_reason IS NULL OR unlinked_reason IN ('inefficiency', 'national_security')",
            name=op.f("ck_cameras_unlinked_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_cameras_department_id_departments")
        ),
        sa.ForeignKeyConstraint(
            ["exemption_camera_id"],
            ["cameras.id"],
            name=op.f("fk_cameras_exemption_camera_id_cameras"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cameras")),
        sa.UniqueConstraint("code", name=op.f("uq_cameras_code")),
    )
    op.create_index(op.f("ix_cameras_department_id"), "cameras", ["department_id"], unique=False)
    op.create_index(op.f("ix_cameras_district"), "cameras", ["district"], unique=False)
    op.create_index(op.f("ix_cameras_status"), "cameras", ["status"], unique=False)
    op.create_table(
        "bell_cameras",
        sa.Column("bell_id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bell_id"],
            ["emergency_bells.id"],
            name=op.f("fk_bell_cameras_bell_id_emergency_bells"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_bell_cameras_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("bell_id", "camera_id", name=op.f("pk_bell_cameras")),
    )
    op.create_index(op.f("ix_bell_cameras_camera_id"), "bell_cameras", ["camera_id"], unique=False)
    op.create_table(
        "camera_maintenance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("performed_on", sa.Date(), nullable=False),
        sa.Column("contractor_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_camera_maintenance_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contractor_id"],
            ["contractors.id"],
            name=op.f("fk_camera_maintenance_contractor_id_contractors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_maintenance")),
    )
    op.create_index(
        op.f("ix_camera_maintenance_camera_id"), "camera_maintenance", ["camera_id"], unique=False
    )
    op.create_table(
        "camera_purposes",
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.CheckConstraint(
            "purpose IN ('crime_prevention', 'illegal_dumping', 'parking', 'traffic_info', 'illegal_parking', 'disaster', 'facility')",
            name=op.f("ck_camera_purposes_purpose"),
        ),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_camera_purposes_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("camera_id", "purpose", name=op.f("pk_camera_purposes")),
    )
    op.create_index(
        op.f("ix_camera_purposes_purpose"), "camera_purposes", ["purpose"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_camera_purposes_purpose"), table_name="camera_purposes")
    op.drop_table("camera_purposes")
    op.drop_index(op.f("ix_camera_maintenance_camera_id"), table_name="camera_maintenance")
    op.drop_table("camera_maintenance")
    op.drop_index(op.f("ix_bell_cameras_camera_id"), table_name="bell_cameras")
    op.drop_table("bell_cameras")
    op.drop_index(op.f("ix_cameras_status"), table_name="cameras")
    op.drop_index(op.f("ix_cameras_district"), table_name="cameras")
    op.drop_index(op.f("ix_cameras_department_id"), table_name="cameras")
    op.drop_table("cameras")
    op.drop_table("emergency_bells")
    op.drop_table("contractors")
