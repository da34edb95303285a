"""masking jobs: the masked clips of granted data-subject viewings (PIPA-4)

Hand-reviewed schema of gwanje/governance/subjects/models.py (MaskingJob).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gwanje.db.base import UTCDateTime

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "masking_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("stream", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("auto_tracks", sa.Integer(), nullable=False),
        sa.Column("plan_digest", sa.String(length=64), nullable=False),
        sa.Column("output_sha256", sa.String(length=64), nullable=False),
        sa.Column("output_bytes", sa.Integer(), nullable=False),
        sa.Column("masked_frames", sa.Integer(), nullable=False),
        sa.Column("boxes", sa.Integer(), nullable=False),
        sa.Column("cpu_seconds", sa.Float(), nullable=False),
        sa.Column("cost_won", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "state IN ('preparing', 'planned', 'applying', 'applied', 'released', 'failed')",
            name=op.f("ck_masking_jobs_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_masking_jobs_camera_id_cameras")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["persons.id"], name=op.f("fk_masking_jobs_created_by_persons")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["subject_request_items.id"],
            name=op.f("fk_masking_jobs_item_id_subject_request_items"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["subject_requests.id"],
            name=op.f("fk_masking_jobs_request_id_subject_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"], ["persons.id"], name=op.f("fk_masking_jobs_reviewed_by_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_masking_jobs")),
    )
    with op.batch_alter_table("masking_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_masking_jobs_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_masking_jobs_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("masking_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_masking_jobs_state"))
        batch_op.drop_index(batch_op.f("ix_masking_jobs_request_id"))

    op.drop_table("masking_jobs")
